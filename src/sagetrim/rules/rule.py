"""What a rule is made of, as typed fields: the engine and the scan read these, never a module's attributes.

A rule module ends with `RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, ...)`; the
registry (`rules/__init__.py`) checks every part when it is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sagetrim.aws.metrics import MetricQuery
from sagetrim.catalog import Catalog
from sagetrim.inventory.model import Resource
from sagetrim.rules.context import RuleContext
from sagetrim.rules.model import Finding, RuleMeta

P = TypeVar("P")

# (resources of one account and region, params, now, catalog) -> the metrics the rule will read
Queries = Callable[[list[Resource], P, datetime, Catalog], list[MetricQuery]]
# (finding, CloudWatch client of its account and region, params, now) -> a reason not to act, or None
Recheck = Callable[[Finding, object, P, datetime], str | None]


@dataclass(frozen=True)
class Rule(Generic[P]):
    """One rule: what it is, its settings, how it judges, and what the scan must read for it.

    Attributes:
        meta: id, title, severity, kind and action.
        params: the frozen dataclass of its settings; every field has a default.
        evaluate: the findings in one account and region; never calls AWS.
        doc: what the rule finds and on what evidence (the module's docstring).
        queries: the CloudWatch metrics `evaluate` reads through `RuleContext.series`.
        recheck: asked again with fresh data right before a destructive action.
        history_days: how many days of finished jobs and warm pools the scan must read for it.
        needs_lifecycle_scripts: reads the notebook lifecycle configurations' scripts.
        needs_endpoint_facts: reads the endpoints' model images and autoscaling.
        needs_variant_history: reads every variant name CloudWatch holds for each endpoint (renamed ones
            too) into `EndpointDetails.metric_variants` before its queries are made.
    """

    meta: RuleMeta
    params: type[P]
    evaluate: Callable[[RuleContext, P], Iterable[Finding]]
    doc: str | None
    queries: Queries[P] | None = None
    recheck: Recheck[P] | None = None
    history_days: Callable[[P], int] | None = None
    needs_lifecycle_scripts: bool = False
    needs_endpoint_facts: bool = False
    needs_variant_history: bool = False

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def summary(self) -> str:
        """The first line of the rule's documentation."""
        return (self.doc or "").strip().splitlines()[0] if self.doc and self.doc.strip() else ""

    def query(self, resources: list[Resource], params: P, now: datetime, catalog: Catalog) -> list[MetricQuery]:
        """The rule's metric queries; none when it reads no metrics."""
        return self.queries(resources, params, now, catalog) if self.queries is not None else []

    def days_of_history(self, params: P) -> int:
        """Days of finished jobs the scan must read for the rule; 0 when it reads none."""
        return self.history_days(params) if self.history_days is not None else 0
