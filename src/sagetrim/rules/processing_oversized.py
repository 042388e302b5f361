"""processing-oversized: processing jobs on bigger instances than their hosts ever used.

Like training-oversized, from `/aws/sagemaker/ProcessingJobs` utilization (`Host` = JOB/algo-N) of jobs that
ended in the look-back or run now: the cheapest type that, at the same instance count, keeps the busiest
host's peaks under `target_peak_pct` (see `rules.sizing`). A GPU that sat unused gives a CPU type. Jobs
without utilization data are not judged; the saving is spread over a month at the look-back's rate.
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
from sagetrim.rules.training_oversized import job_finding

META = RuleMeta(id="processing-oversized", title="Processing job on bigger instances than it used",
                severity=Severity.MEDIUM, kind=Kind.PROCESSING.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params(sizing.SizingParams):
    """Sizing settings (see `rules.sizing.SizingParams`); `days` is also how far back finished jobs are read."""

    min_monthly_usd: float = 1.0


def history_days(params: Params) -> int:
    return params.days


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    """Hourly maxima of every host of every recent processing job."""
    out: list[MetricQuery] = []
    for r in sizing.recent_jobs(resources, Kind.PROCESSING, now, params.days):
        out += sizing.job_queries(META.id, r, now, params.days)
    return out


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in sizing.recent_jobs(ctx.resources, Kind.PROCESSING, ctx.now, params.days):
        resize = sizing.size_job(r, ctx.metrics, ctx.catalog, ctx.region, Usage.PROCESSING, params, META.id,
                                 ctx.now)
        if resize is not None:
            yield job_finding(META, ctx, r, resize, params)


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries, history_days=history_days)
