"""What a rule reads: one account and region's resources, the metrics the rules asked for, and the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sagetrim.aws.metrics import MetricSeries
from sagetrim.catalog import Catalog
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules.model import Severity


class MetricNotRequestedError(KeyError):
    """A rule read a metric series that no rule's `queries` asked for (a misspelt key, say)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"metric {self.key!r} was never requested: add it to the rule's queries, or fix the key"


@dataclass
class RuleContext:
    """Resources of one account and region, with the metrics and facts the rules asked for."""

    account: str
    region: str
    now: datetime
    catalog: Catalog
    resources: list[Resource]
    metrics: Mapping[str, MetricSeries] = field(default_factory=dict)
    lifecycle_scripts: dict[str, str] = field(default_factory=dict)

    def of_kind(self, kind: Kind) -> list[Resource]:
        return [r for r in self.resources if r.kind is kind]

    def series(self, key: str) -> MetricSeries:
        """The datapoints fetched under `key`; a query that found none gives an empty series.

        Raises:
            MetricNotRequestedError: no query was made under `key`.
        """
        try:
            return self.metrics[key]
        except KeyError:
            raise MetricNotRequestedError(key) from None


def age_hours(resource: Resource, now: datetime) -> float:
    if resource.created is None:
        return float("inf")
    return (now - resource.created).total_seconds() / 3600


def severity_for(monthly_usd: float) -> Severity:
    """high from $500 a month, medium from $50, else low."""
    return Severity.HIGH if monthly_usd >= 500 else Severity.MEDIUM if monthly_usd >= 50 else Severity.LOW
