"""What a rule reads: one account and region's resources, their metrics, and the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sagetrim.aws.metrics import MetricSeries
from sagetrim.catalog import Catalog
from sagetrim.inventory.model import Kind, Resource


@dataclass
class Inventory:
    """Resources of one account and region, with the metrics and facts the rules asked for."""

    account: str
    region: str
    now: datetime
    catalog: Catalog
    resources: list[Resource]
    metrics: dict[str, MetricSeries] = field(default_factory=dict)
    lifecycle_scripts: dict[str, str] = field(default_factory=dict)

    def of_kind(self, kind: Kind) -> list[Resource]:
        return [r for r in self.resources if r.kind is kind]

    def series(self, key: str) -> MetricSeries:
        """The datapoints fetched under `key`; none fetched reads as no datapoints."""
        return self.metrics.get(key, MetricSeries())


def age_hours(resource: Resource, now: datetime) -> float:
    if resource.created is None:
        return float("inf")
    return (now - resource.created).total_seconds() / 3600


def severity_for(monthly_usd: float) -> str:
    """high from $500 a month, medium from $50, else low."""
    return "high" if monthly_usd >= 500 else "medium" if monthly_usd >= 50 else "low"
