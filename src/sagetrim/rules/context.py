"""What a rule reads: one account and region's resources, the metrics the rules asked for, and the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sagetrim.aws.metrics import MetricSeries
from sagetrim.catalog import Catalog
from sagetrim.errors import CollectionError
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules.model import RuleMeta, Severity, Unknown


class MetricNotRequestedError(KeyError):
    """A rule read a metric series that no rule's `queries` asked for (a misspelt key, say)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"metric {self.key!r} was never requested: add it to the rule's queries, or fix the key"


class CannotJudgeError(CollectionError):
    """What a rule needs about a resource could not be read: in a scan the resource is "unknown" for that rule
    (with this message as the reason), never judged on a guess."""


class MetricUnavailableError(CannotJudgeError, LookupError):
    """A rule read a metric series CloudWatch failed to return: the resource cannot be judged on it (in a
    scan, "unknown"; in `rightsize`, an error naming the metric)."""

    def __init__(self, key: str, failure: str) -> None:
        super().__init__(key)
        self.key = key
        self.failure = failure

    def __str__(self) -> str:
        return f"metric {self.key} could not be read: {self.failure}"


class ScriptUnavailableError(CannotJudgeError):
    """A notebook's lifecycle configuration could not be read, so whether it stops the notebook is unknown."""


def checked(key: str, series: MetricSeries) -> MetricSeries:
    """The series, unless CloudWatch failed its query.

    Raises:
        MetricUnavailableError: it did; no datapoints then means nothing.
    """
    if series.failure is not None:
        raise MetricUnavailableError(key, series.failure)
    return series


@dataclass
class RuleContext:
    """Resources of one account and region, with the metrics and facts the rules asked for."""

    account: str
    region: str
    now: datetime
    catalog: Catalog
    resources: list[Resource]
    metrics: Mapping[str, MetricSeries] = field(default_factory=dict)
    lifecycle_scripts: dict[str, str] = field(default_factory=dict)  # OnStart script by configuration name
    unreadable_scripts: dict[str, str] = field(default_factory=dict)  # configuration name -> why not read
    unknowns: list[Unknown] = field(default_factory=list)  # what the rules could not judge, and why

    def of_kind(self, kind: Kind) -> list[Resource]:
        return [r for r in self.resources if r.kind is kind]

    def series(self, key: str) -> MetricSeries:
        """The datapoints fetched under `key`; a query that found none gives an empty series.

        Raises:
            MetricNotRequestedError: no query was made under `key`.
            MetricUnavailableError: CloudWatch failed this query; its absence of datapoints means nothing.
        """
        try:
            found = self.metrics[key]
        except KeyError:
            raise MetricNotRequestedError(key) from None
        return checked(key, found)

    def lifecycle_script(self, name: str) -> str:
        """The OnStart script of a notebook lifecycle configuration ("" when it has none).

        Raises:
            ScriptUnavailableError: the configuration could not be read (denied, or deleted while a notebook
                still names it).
        """
        if name in self.unreadable_scripts:
            raise ScriptUnavailableError(f"lifecycle configuration {name} could not be read: "
                                         f"{self.unreadable_scripts[name]}")
        return self.lifecycle_scripts.get(name, "")

    def unknown(self, rule_id: str, resource: Resource, reason: str) -> Unknown:
        """What the rule `rule_id` could not judge about `resource`, and why."""
        return Unknown(rule_id, self.account, self.region, resource.kind.value, resource.name, resource.arn, reason)

    def cannot_judge(self, meta: RuleMeta, resource: Resource, reason: str) -> None:
        """Record that the rule `meta` could not judge `resource` (too young, no history): "unknown", not
        fine."""
        self.unknowns.append(self.unknown(meta.id, resource, reason))


def age_hours(resource: Resource, now: datetime) -> float:
    if resource.created is None:
        return float("inf")
    return (now - resource.created).total_seconds() / 3600


def severity_for(monthly_usd: float) -> Severity:
    """high from $500 a month, medium from $50, else low."""
    return Severity.HIGH if monthly_usd >= 500 else Severity.MEDIUM if monthly_usd >= 50 else Severity.LOW
