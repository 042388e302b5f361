"""training-oversized: training jobs on bigger instances than their hosts ever used.

The busiest host's CPU, memory and GPU utilization (`/aws/sagemaker/TrainingJobs`, `Host` = JOB/algo-N) of
jobs that ended in the look-back or run now give the cheapest type that, at the same instance count, keeps
the peaks under `target_peak_pct` (see `rules.sizing`). Jobs whose GPU sat unused are
training-gpu-unused's; jobs without utilization data are not judged. The saving is the price difference
over the job's billed hours, spread over a month as if such jobs recur at the look-back's rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sagetrim.aws.metrics import MetricQuery
from sagetrim.catalog import Catalog, Usage
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules import sizing
from sagetrim.rules.context import RuleContext
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="training-oversized", title="Training job on bigger instances than it used",
                severity=Severity.MEDIUM, kind=Kind.TRAINING.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params(sizing.SizingParams):
    """Sizing settings (see `rules.sizing.SizingParams`); `days` is also how far back finished jobs are read."""

    min_monthly_usd: float = 1.0


def history_days(params: Params) -> int:
    return params.days


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    return sizing.oversized_job_queries(META.id, Kind.TRAINING, resources, params, now, catalog)


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r, resize in sizing.oversized_jobs(ctx, Kind.TRAINING, Usage.TRAINING, params, META.id):
        if resize.choice.need.gpu == "unused" or resize.choice.best is None:
            continue  # an unused GPU is training-gpu-unused's finding
        yield sizing.job_finding(META, ctx, r, resize, params)


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries, history_days=history_days)
