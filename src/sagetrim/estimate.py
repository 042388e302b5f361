"""`sagetrim estimate`: the monthly cost of a planned workload, by stage and component."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sagetrim import costs
from sagetrim.catalog import Catalog, Price, Usage
from sagetrim.plan import ALWAYS_ON, USAGE_OF_STAGE, Plan, Stage, Workload
from sagetrim.yamlfile import load_yaml_model

STORAGE_USAGE_OF_STAGE = {**USAGE_OF_STAGE}


@dataclass(frozen=True, slots=True)
class LineItem:
    """One billed component of one workload."""

    workload: str
    stage: str
    component: str
    quantity: float
    unit: str
    rate_usd: float
    usd: float
    exact: bool
    basis: str


@dataclass
class Estimate:
    """The cost of a plan (or of one alternative of it) in one region for one month."""

    name: str
    region: str
    items: list[LineItem] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        return sum(i.usd for i in self.items)

    def by_stage(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for i in self.items:
            out[i.stage] += i.usd
        return dict(out)

    def by_workload(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for i in self.items:
            out[i.workload] += i.usd
        return dict(out)


def load_plan(path: Path, catalog: Catalog) -> Plan:
    """Read and validate a plan file against the catalog."""
    return load_yaml_model(path, Plan, context={"catalog": catalog}, what="plan")


def _item(w: Workload, component: str, quantity: float, unit: str, price: Price, usd: float,
          basis: str | None = None) -> LineItem:
    return LineItem(w.name, w.stage.value, component, quantity, unit, price.usd, usd, price.exact,
                    basis or price.basis)


def workload_items(w: Workload, catalog: Catalog, region: str) -> list[LineItem]:
    """The line items of one workload."""
    items: list[LineItem] = []
    if w.stage is Stage.SERVERLESS:
        memory, requests, ms = w.memory_gb or 0, w.requests or 0, w.ms_per_request or 0
        price = catalog.serverless_price(region)
        gb_s = memory * requests * ms / 1000
        items.append(_item(w, "serverless compute", gb_s, "GB-second", price,
                           costs.serverless_usd(memory, requests, ms / 1000, price.usd)))
    else:
        assert w.instance_type is not None
        usage = USAGE_OF_STAGE[w.stage]
        seconds = w.running_seconds()
        hours = seconds / costs.SECONDS_PER_HOUR
        price = catalog.price(w.instance_type, region, usage)
        if w.spot:
            savings = catalog.spot_training_discount if w.spot_savings is None else w.spot_savings
            usd = costs.spot_usd(price.usd, seconds, savings, w.count)
            items.append(_item(w, f"{w.instance_type} spot", hours * w.count, "instance-hour", price, usd,
                               f"on-demand {price.usd:g} USD/h less {savings:.0%} spot saving"))
        else:
            items.append(_item(w, w.instance_type, hours * w.count, "instance-hour", price,
                               costs.instance_usd(price.usd, seconds, w.count)))
        if w.storage_gb:
            # Notebook and Studio volumes exist all month, running or stopped; job volumes only while running.
            volume_hours = costs.HOURS_PER_MONTH if w.stage in ALWAYS_ON - {Stage.HOSTING} else hours
            sprice = catalog.storage_price(region, usage if usage is not Usage.TRANSFORM else Usage.PROCESSING)
            items.append(_item(w, "ML storage", w.storage_gb * w.count * volume_hours / costs.HOURS_PER_MONTH,
                               "GB-month", sprice,
                               costs.storage_usd(w.storage_gb, sprice.usd, volume_hours, w.count)))
    for direction, gb in (("in", w.data_in_gb), ("out", w.data_out_gb)):
        if gb:
            dprice = catalog.data_processed_price(region, direction)
            items.append(_item(w, f"data processed {direction}", gb, "GB", dprice, gb * dprice.usd))
    return items


def estimate(workloads: list[Workload], catalog: Catalog, region: str, name: str = "plan") -> Estimate:
    """Price every workload of a plan in one region."""
    catalog.check_region(region)
    est = Estimate(name=name, region=region)
    for w in workloads:
        est.items.extend(workload_items(w, catalog, region))
    return est


def estimate_plan(plan: Plan, catalog: Catalog, region: str, *, compare: bool = False) -> list[Estimate]:
    """The plan's estimate, followed by one per alternative when `compare` is set."""
    context = {"catalog": catalog}
    out = [estimate(plan.workloads, catalog, region)]
    if compare:
        out += [estimate(plan.apply(alt, context), catalog, region, alt.name) for alt in plan.alternatives]
    return out
