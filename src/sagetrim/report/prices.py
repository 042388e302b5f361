"""How the catalog and price refreshes are shown."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from sagetrim.catalog import Catalog, InstanceType, Price, Usage
from sagetrim.costs import monthly_from_hourly
from sagetrim.report.output import money, new_table

PRICE_COLUMNS = [
    "instance_type", "region", "usage", "usd_per_hour", "usd_per_month", "exact", "source", "date", "basis",
    "vcpu", "memory_gib", "category", "accelerator_kind", "accelerator_model", "accelerator_count",
    "accelerator_memory_gib",
]


def price_row(inst: InstanceType, region: str, usage: Usage, price: Price) -> dict[str, Any]:
    """One catalog line as a flat, JSON-ready record."""
    acc = inst.accelerator
    return {
        "instance_type": inst.name, "region": region, "usage": usage.value,
        "usd_per_hour": price.usd, "usd_per_month": round(monthly_from_hourly(price.usd), 2), "currency": "USD",
        "exact": price.exact, "source": price.source, "date": price.date, "basis": price.basis,
        "vcpu": inst.vcpu, "memory_gib": inst.memory_gib, "category": inst.category, "family": inst.family,
        "arch": inst.arch,
        "accelerator_kind": acc.kind if acc else None, "accelerator_model": acc.model if acc else None,
        "accelerator_count": acc.count if acc else 0, "accelerator_memory_gib": acc.memory_gib if acc else 0,
    }


def _short_source(row: dict[str, Any]) -> str:
    source = str(row["source"])
    if source.startswith("AWS Price List"):
        return f"API {row['date']}"
    if source.startswith("AWS pricing page"):
        return f"page {row['date']}"
    return f"est. {row['date']}"


def prices_table(rows: list[dict[str, Any]], catalog: Catalog, region: str, usage: Usage) -> Table:
    approx = sum(1 for r in rows if not r["exact"])
    caption = (
        "~ marks an approximation (JSON/CSV say how it was derived); page: AWS pricing page, "
        "API: Price List API, est.: estimate"
        + (f"\n{approx} of {len(rows)} prices are approximations; `sagetrim prices refresh --region {region}` "
           "reads the exact ones." if approx else "")
    )
    table = new_table(f"SageMaker {usage.value} prices in {region} ({catalog.region_name(region)}), cheapest first",
                      caption)
    table.add_column("Instance type", no_wrap=True)
    table.add_column("vCPU", justify="right", no_wrap=True)
    table.add_column("GiB", justify="right", no_wrap=True)
    table.add_column("Accelerator", min_width=12)
    table.add_column("$/hour", justify="right", no_wrap=True)
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("Source")
    for r in rows:
        model = str(r["accelerator_model"] or "").removeprefix("NVIDIA ").removeprefix("AWS ")
        acc = f"{r['accelerator_count']}x {model} {r['accelerator_memory_gib']:g}G" if r["accelerator_kind"] else ""
        table.add_row(r["instance_type"], str(r["vcpu"]), f"{r['memory_gib']:g}", acc,
                      money(r["usd_per_hour"], 4) + (" " if r["exact"] else "~"), money(r["usd_per_month"]),
                      _short_source(r))
    return table


def refresh_table(summaries: list[dict[str, Any]]) -> Table:
    table = new_table("Prices read from the AWS Price List API")
    for col in ("Region", "Records", "Instance prices", "Unchanged", "Changed", "Cache file"):
        table.add_column(col, justify="left" if col in ("Region", "Cache file") else "right")
    for s in summaries:
        table.add_row(s["region"], str(s["records"]), str(s["instance_prices"]), str(s["unchanged"]),
                      str(s["changed"]), s["cache"])
    return table


def changes_table(summary: dict[str, Any], limit: int = 15) -> Table:
    changes = sorted(summary["changes"], key=lambda c: -abs((c["after"] or 0) - (c["before"] or 0)))
    table = new_table(f"Largest changes in {summary['region']} ({len(changes)} in all)")
    for col in ("Usage", "Instance type", "Before $/h", "After $/h", "Change"):
        table.add_column(col, justify="left" if col in ("Usage", "Instance type") else "right")
    for c in changes[:limit]:
        before = c["before"]
        delta = "new" if before is None else f"{(c['after'] - before) / before:+.1%}" if before else ""
        table.add_row(c["usage"], c["instance_type"], money(before, 4) + ("" if c["before_exact"] else " ~"),
                      money(c["after"], 4), delta)
    return table
