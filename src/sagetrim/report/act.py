"""How `act`, `restore` and `journal` are shown."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table

from sagetrim.pipeline.act import ActRun
from sagetrim.report.output import money, new_table
from sagetrim.report.scan import errors_table
from sagetrim.report.terminal import styled

OUTCOME_COLUMNS = ["status", "action", "rule", "account", "region", "kind", "name", "monthly_savings_usd", "reason",
                   "backup", "arn", "finding_id"]
JOURNAL_COLUMNS = ["time", "action", "outcome", "rule", "account", "region", "kind", "name", "monthly_savings_usd",
                   "reason", "backup", "dry_run", "finding_id", "arn"]
STATUS_STYLE = {"planned": "cyan", "started": "magenta", "done": "green", "skipped": "yellow", "failed": "red",
                "deferred": "blue"}


def outcomes_view(run: ActRun) -> RenderableType:
    report = run.report
    title = "Plan (dry run: nothing was changed)" if report.dry_run else "Actions carried out"
    table = new_table(title)
    for col in ("Status", "Action", "Resource", "Saves/month", "Why / what happened"):
        table.add_column(col, justify="right" if col == "Saves/month" else "left",
                         overflow="fold" if col in ("Resource", "Why / what happened") else "ellipsis")
    for o in report.outcomes:
        style = STATUS_STYLE.get(o.status, "")
        table.add_row(styled((o.status, style)), o.action, styled(o.name, " ", (o.region, "dim")),
                      money(o.monthly_savings_usd), o.reason)
    parts: list[RenderableType] = []
    if report.settled:
        settled = new_table("Interrupted earlier, settled now from what AWS shows")
        for col in ("Status", "Action", "Resource", "What happened"):
            settled.add_column(col, overflow="fold" if col in ("Resource", "What happened") else "ellipsis")
        for o in report.settled:
            style = STATUS_STYLE.get(o.status, "")
            settled.add_row(styled((o.status, style)), o.action, styled(o.name, " ", (o.region, "dim")), o.reason)
        parts.append(settled)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts.items())) or "no findings to act on"
    if run.scan.errors:
        counts += (f" in what could be scanned; {len(run.scan.errors)} part(s) of the scan failed (below), so "
                   "findings there were not acted on")
    if report.dry_run:
        footer = (f"{counts}. The stops and deletes planned would save {money(report.planned_savings_usd)} a month. "
                  "Run again with --apply to carry them out (endpoints are backed up first; `sagetrim restore` "
                  "brings one back).")
    else:
        footer = (f"{counts}. Saved {money(report.monthly_savings_usd)} a month. Every action is in the journal "
                  f"(`sagetrim journal`); backups and journal: {run.store}")
    if report.deferred:
        footer += (f"\n{len(report.deferred)} action(s) deferred: they would not fit in the time budget and are "
                   "left for the next run (journaled as deferred).")
    if run.scan.errors:
        return Group(*parts, table, footer, errors_table(run.scan))
    return Group(*parts, table, footer)


def journal_table(entries: list[dict[str, Any]], saved: float) -> Table:
    table = new_table(f"Journal ({len(entries)} entries)",
                      f"Actions done for real save {money(saved)} a month.")
    for col in ("Time (UTC)", "Action", "Outcome", "Resource", "Rule", "Saves/month", "Reason"):
        table.add_column(col, justify="right" if col == "Saves/month" else "left",
                         overflow="fold" if col in ("Resource", "Reason") else "ellipsis")
    for e in entries:
        outcome = e["outcome"] + (" (dry run)" if e.get("dry_run") else "")
        table.add_row(str(e["time"])[:19].replace("T", " "), e["action"], outcome,
                      styled(str(e["name"]), " ", (str(e["region"]), "dim")), e.get("rule") or "",
                      money(e.get("monthly_savings_usd")),
                      e.get("reason") or "")
    return table


def unreadable_text(location: str, unreadable: list[Any]) -> str:
    """The warning about journal records that were skipped: how many, and where."""
    shown = ", ".join(u.where for u in unreadable[:20]) + (" …" if len(unreadable) > 20 else "")
    first = unreadable[0]
    return (f"skipped {len(unreadable)} unreadable journal record(s) in {location}: {shown} "
            f"(the first: {first.why}); the other entries are shown")


def plan_summary_view(run: ActRun) -> RenderableType:
    """The plan in a few lines: per action, how many resources and what it would save."""
    from collections import defaultdict

    groups: dict[str, list[Any]] = defaultdict(list)
    for o in run.report.outcomes:
        groups[o.action].append(o)
    table = new_table("What `sagetrim act --apply` would do (this was a dry run)")
    table.add_column("Action")
    table.add_column("Resources", justify="right")
    table.add_column("Saves/month", justify="right")
    table.add_column("For example", overflow="fold")
    for action, outs in sorted(groups.items(), key=lambda kv: -sum(o.monthly_savings_usd for o in kv[1])):
        saving = sum(o.monthly_savings_usd for o in outs) if action in ("delete-endpoint", "stop-notebook") else None
        table.add_row(action, str(len(outs)), money(saving) if saving is not None else "-",
                      ", ".join(o.name for o in outs[:3]) + (" …" if len(outs) > 3 else ""))
    return Group(table, f"Endpoints are backed up before they are deleted (`sagetrim restore` brings one back); "
                        f"planned savings {money(run.report.planned_savings_usd)} a month.")
