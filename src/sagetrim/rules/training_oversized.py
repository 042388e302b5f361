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
from sagetrim.rules.context import RuleContext, severity_for
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
    """Hourly maxima of every host of every recent training job."""
    out: list[MetricQuery] = []
    for r in sizing.recent_jobs(resources, Kind.TRAINING, now, params.days):
        out += sizing.job_queries(META.id, r, now, params.days)
    return out


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in sizing.recent_jobs(ctx.resources, Kind.TRAINING, ctx.now, params.days):
        resize = sizing.size_job(r, ctx.metrics, ctx.catalog, ctx.region, Usage.TRAINING, params, META.id, ctx.now)
        if resize is None or resize.choice.need.gpu == "unused" or resize.choice.best is None:
            continue
        yield job_finding(META, ctx, r, resize, params)


def job_finding(meta: RuleMeta, ctx: RuleContext, r: Resource, resize: sizing.JobResize,
                params: sizing.SizingParams) -> Finding:
    """The finding of a resized job (shared with processing-oversized)."""
    assert resize.choice.best is not None
    p = resize.profile
    return Finding(
        rule=meta.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
        severity=severity_for(resize.monthly_saving_usd), monthly_savings_usd=resize.monthly_saving_usd,
        evidence=resize.evidence(params),
        message=(f"its busiest host peaked at {p.cpu_busy or 0:.1f} of {resize.instance.vcpu} vCPUs and "
                 f"{p.memory_gib or 0:.1f} of {resize.instance.memory_gib:g} GiB"
                 + (f" and {p.gpu_busy or 0:.2f} of {resize.instance.gpu_count} GPUs" if resize.instance.has_gpu
                    else "")
                 + f"; {resize.choice.best.label} keeps the peaks under {params.target_peak_pct:g} % for "
                 f"${resize.choice.best.usd_per_hour * resize.hours:,.2f} a run instead of "
                 f"${resize.choice.current.usd_per_hour * resize.hours:,.2f} (about ${resize.monthly_saving_usd:,.2f} "
                 f"a month at the last {resize.window_days} days' rate)"),
        action=meta.action,
        details={"candidates": [o.to_json() for o in resize.choice.considered[:8]]},
    )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries, history_days=history_days)
