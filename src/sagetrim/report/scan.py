"""How a scan is shown: where the money goes, resource by resource, with totals."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.scan import ScanResult
from sagetrim.report.output import money, new_table
from sagetrim.report.terminal import markup, styled

RESOURCE_COLUMNS = ["account", "region", "kind", "name", "status", "instance_type", "instance_count", "usd_per_hour",
                    "month_to_date_usd", "projected_month_usd", "created", "arn"]


def resource_rows(result: ScanResult) -> list[dict[str, Any]]:
    return [r.to_json() for r in result.resources]


def _age(created: Any, now: Any) -> str:
    if created is None:
        return ""
    seconds = (now - created).total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


KIND_LABEL = {"notebook-instance": "notebook", "studio-app": "studio app", "studio-space": "studio space",
              "canvas-app": "canvas app", "hyperpod-cluster": "hyperpod",
              "endpoint": "endpoint",
              "training-job": "training", "tuning-job": "tuning", "processing-job": "processing",
              "transform-job": "transform"}
RUNNING = {"InService", "InProgress"}


def resources_table(result: ScanResult, limit: int | None = None, width: int = 200) -> Table:
    """The resources, most expensive first; below 110 columns the region, age and month so far are left out."""
    compact = width < 110
    shown = result.resources if limit is None else result.resources[:limit]
    notes = ["~ a price that is an approximation (see `sagetrim prices`)."]
    if any(r.price_unknown for r in result.resources):
        notes.append("Resources of unknown price come first: what they cost cannot be said, not that it is $0.")
    if len(shown) < len(result.resources):
        notes.insert(0, f"{len(result.resources) - len(shown)} cheaper resources not shown; --show N or "
                        "--format json lists them.")
    if result.vanished:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(result.vanished.items()))
        notes.append(f"{sum(result.vanished.values())} resource(s) deleted while the scan read them were skipped "
                     f"({kinds}).")
    multi_account = len(result.accounts) > 1
    table = new_table(f"SageMaker resources that bill ({len(result.resources)}), most expensive first",
                      "\n".join(notes))
    if multi_account and not compact:
        table.add_column("Account", no_wrap=True)
    if not compact:
        table.add_column("Region", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Name", overflow="fold", min_width=16)
    table.add_column("Instances", min_width=10)
    if not compact:
        table.add_column("Age", justify="right", no_wrap=True)
    for col in ("$/hour", "Projected") if compact else ("$/hour", "Month so far", "Projected"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in shown:
        if r.instance_type and r.instance_count:
            instances = f"{r.instance_count} x {r.instance_type.removeprefix('ml.')}"
        elif (d := r.details_as(EndpointDetails)) is not None and d.serverless:
            instances = "serverless"
        else:
            instances = r.instance_type.removeprefix("ml.") if r.instance_type else "-"
        name = styled(r.name) if r.status in RUNNING else styled(r.name, " ", (f"({r.status})", "dim"))
        rate = "unknown" if r.price_unknown else money(r.usd_per_hour, 3) + ("" if r.price_exact else "~")
        mtd, projected = ("unknown", "unknown") if r.price_unknown else (money(r.month_to_date_usd),
                                                                           money(r.projected_month_usd))
        if compact:
            table.add_row(KIND_LABEL[r.kind.value], name, instances, rate, projected)
            continue
        row: list[str | Text] = [r.region, KIND_LABEL[r.kind.value], name, instances,
                                 _age(r.created, result.finished), rate, mtd, projected]
        table.add_row(*([r.account] if multi_account else []), *row)
    return table


def totals_table(result: ScanResult) -> Table:
    totals = result.totals()
    unknown = totals["price_unknown"]
    table = new_table("Where the money goes", caption=(
        f"{unknown} resource(s) of unknown price are listed but in none of these sums (see price_unknown in "
        "--format json)" if unknown else None))
    for col in ("By", "", "Resources", "$/hour", "Month so far", "Projected month"):
        table.add_column(col, justify="left" if col in ("By", "") else "right")
    for label, group in (("stage", totals["by_stage"]), ("region", totals["by_region"])):
        for key, t in sorted(group.items(), key=lambda kv: -kv[1]["projected_month_usd"]):
            table.add_row(label, key, str(t["resources"]), money(t["usd_per_hour"], 3),
                          money(t["month_to_date_usd"]), money(t["projected_month_usd"]))
        table.add_section()
    table.add_row(markup("[bold]total[/]"), "", str(totals["resources"]), money(totals["usd_per_hour"], 3),
                  money(totals["month_to_date_usd"]), markup(f"[bold]{money(totals['projected_month_usd'])}[/]"))
    return table


def errors_table(result: ScanResult) -> Table:
    table = new_table("Not scanned (the rest of the scan went on)")
    for col in ("Account", "Region", "Kind", "Resource", "Error", "Message"):
        table.add_column(col)
    for e in result.errors:
        table.add_row(e.account, e.region, e.kind, e.resource or "", e.code, e.message[:200])
    return table


def scan_view(result: ScanResult, limit: int | None = 25, width: int = 200) -> RenderableType:
    parts: list[RenderableType] = [resources_table(result, limit, width), totals_table(result)]
    if result.findings or result.excluded or result.unknowns:
        parts.append(findings_table(result, limit))
    if result.errors:
        parts.append(errors_table(result))
    calls = sum(result.api_calls.values())
    parts.append(markup(f"[dim]{calls} API calls in {(result.finished - result.started).total_seconds():.1f} s "
                        f"across {len(result.accounts)} account(s) and {len(result.regions)} region(s).[/]"))
    return Group(*parts)


FINDING_COLUMNS = ["rule", "severity", "account", "region", "kind", "name", "monthly_savings_usd", "action",
                   "message", "arn"]


def findings_table(result: ScanResult, limit: int | None = None) -> Table:
    savings = result.savings()
    shown = result.findings if limit is None else result.findings[:limit]
    notes = [f"Estimated savings {money(savings['monthly_usd'])} a month "
             "(a resource with several findings counts once, by the largest)."]
    if result.excluded:
        notes.append(f"{len(result.excluded)} resource(s) opted out with the tag sagetrim:exclude=true.")
    if result.unknowns:
        rules = sorted({u.rule for u in result.unknowns})
        notes.append(f"{len(result.unknowns)} resource(s) could not be judged by {', '.join(rules)} (too young, or "
                     "a metric CloudWatch did not return); `--format json` lists them under `unknown`, with why.")
    if len(shown) < len(result.findings):
        notes.append(f"{len(result.findings) - len(shown)} smaller findings not shown; --format json lists all.")
    table = new_table(f"Findings ({len(result.findings)}), largest saving first", "\n".join(notes))
    table.add_column("Rule", no_wrap=True)
    table.add_column("Resource", overflow="fold")
    table.add_column("Saves/month", justify="right", no_wrap=True)
    table.add_column("Action", no_wrap=True)
    table.add_column("Evidence", overflow="fold")
    for f in shown:
        table.add_row(f.rule, styled(f.name, " ", (f.region, "dim")), money(f.monthly_savings_usd), f.action.value,
                      f.message)
    return table
