"""How estimates are shown."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.table import Table

from sagetrim.estimate import Estimate
from sagetrim.report.output import money, new_table
from sagetrim.report.terminal import markup

ITEM_COLUMNS = ["estimate", "workload", "stage", "component", "quantity", "unit", "rate_usd", "usd", "exact",
                "basis"]


def estimate_doc(estimates: list[Estimate]) -> dict[str, Any]:
    base = estimates[0]

    def one(e: Estimate) -> dict[str, Any]:
        return {
            "name": e.name, "region": e.region, "currency": "USD", "total_usd": round(e.total_usd, 4),
            "by_stage": {k: round(v, 4) for k, v in e.by_stage().items()},
            "by_workload": {k: round(v, 4) for k, v in e.by_workload().items()},
            "items": [{**asdict(i), "usd": round(i.usd, 6)} for i in e.items],
            "delta_usd": round(e.total_usd - base.total_usd, 4),
        }

    return {"plan": one(base), "alternatives": [one(e) for e in estimates[1:]]}


def item_rows(estimates: list[Estimate]) -> list[dict[str, Any]]:
    return [{"estimate": e.name, **asdict(i)} for e in estimates for i in e.items]


def estimate_table(est: Estimate) -> Table:
    table = new_table(f"Monthly estimate in {est.region} (per-second billing, 730-hour month)",
                      "~ marks a price that is an approximation; `--format json` says how it was derived.")
    for col in ("Workload", "Stage", "Component", "Quantity", "Rate", "Monthly"):
        table.add_column(col, justify="right" if col in ("Quantity", "Rate", "Monthly") else "left")
    for i in est.items:
        table.add_row(i.workload, i.stage, i.component, f"{i.quantity:,.2f} {i.unit}",
                      money(i.rate_usd, 4) + ("" if i.exact else " ~"), money(i.usd))
    table.add_section()
    for stage, usd in sorted(est.by_stage().items(), key=lambda kv: -kv[1]):
        table.add_row("", stage, "stage total", "", "", money(usd))
    table.add_section()
    table.add_row(markup("[bold]Total[/]"), "", "", "", "", markup(f"[bold]{money(est.total_usd)}[/]"))
    return table


def compare_table(estimates: list[Estimate]) -> Table:
    base = estimates[0]
    table = new_table("Side by side: monthly cost of the plan and its alternatives")
    table.add_column("Workload")
    for e in estimates:
        table.add_column(e.name, justify="right")
    workloads = list(base.by_workload())
    for w in workloads:
        table.add_row(w, *(money(e.by_workload().get(w, 0.0)) for e in estimates))
    table.add_section()
    table.add_row(markup("[bold]Total[/]"), *(markup(f"[bold]{money(e.total_usd)}[/]") for e in estimates))
    table.add_row("vs plan", "", *(
        f"{money(e.total_usd - base.total_usd)} ({(e.total_usd - base.total_usd) / base.total_usd:+.1%})"
        if base.total_usd else money(e.total_usd - base.total_usd) for e in estimates[1:]))
    return table
