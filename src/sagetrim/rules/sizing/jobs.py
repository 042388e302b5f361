"""Jobs as the job-sizing rules (training-oversized, processing-oversized, training-gpu-unused) see them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sagetrim.aws.metrics import MetricQuery, MetricSeries
from sagetrim.catalog import Catalog, InstanceType, Usage
from sagetrim.inventory.details import JobDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.json_types import JsonObject
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Finding, RuleMeta
from sagetrim.rules.sizing.choice import Choice, Need, choose, need_of
from sagetrim.rules.sizing.explanation import ASSUMPTIONS
from sagetrim.rules.sizing.jobtime import job_hours, job_window_days, per_month
from sagetrim.rules.sizing.params import SizingParams
from sagetrim.rules.sizing.profiles import Profile, job_profile
from sagetrim.rules.sizing.queries import job_queries
from sagetrim.rules.sizing.shape import shape


def recent_jobs(resources: Iterable[Resource], kind: Kind, now: datetime, days: int) -> list[Resource]:
    """Jobs of `kind` that ended within the look-back (from the scan's history) or are running now."""
    since = now - timedelta(days=days)
    out = []
    for r in resources:
        if r.kind is not kind or not r.instance_type:
            continue
        d = r.details_as(JobDetails)
        if r.status == "InProgress" or (d is not None and d.finished and r.status in ("Completed", "Stopped")
                                        and (r.created is None or r.created >= since)):
            out.append(r)
    return out


@dataclass(frozen=True)
class JobResize:
    """A job's sizing: its profile, the choice, its billed hours and the saving spread over a month."""

    instance: InstanceType
    profile: Profile
    choice: Choice
    hours: float
    window_days: int
    monthly_saving_usd: float

    def evidence(self, params: SizingParams) -> JsonObject:
        assert self.choice.best is not None
        return {
            "window_days": self.window_days, "target_peak_pct": params.target_peak_pct,
            "peak": "highest hourly maximum of any host" if params.peak_percentile >= 100
            else f"p{params.peak_percentile:g} of hourly maxima of the busiest host",
            "profile": self.profile.to_json(), "gpu": self.choice.need.gpu,
            "current": self.choice.current.label, "recommended": self.choice.best.label,
            "projected_peak_pct": self.choice.best.to_json()["projected_peak_pct"],
            "usd_per_hour_now": round(self.choice.current.usd_per_hour, 4),
            "usd_per_hour_after": round(self.choice.best.usd_per_hour, 4),
            "billed_hours": round(self.hours, 2),
            "usd_per_run_now": round(self.choice.current.usd_per_hour * self.hours, 2),
            "usd_per_run_after": round(self.choice.best.usd_per_hour * self.hours, 2),
            "why": self.choice.why(params.target_peak_pct),
            "assumptions": [*ASSUMPTIONS, f"jobs like this one recur at the rate of the last {self.window_days} days",
                            "a host that is not saturated runs as fast on a smaller type that holds its peak"],
        }


def size_job(resource: Resource, metrics: Mapping[str, MetricSeries], catalog: Catalog, region: str,
             usage: Usage, params: SizingParams, prefix: str, now: datetime, *,
             need: Need | None = None) -> JobResize | None:
    """Size one job at its instance count; None when it cannot be judged or nothing cheaper fits.

    `need` overrides what the metrics would give (e.g. a GPU known to be useless)."""
    instance = shape(resource.instance_type, catalog)
    if instance is None:
        return None
    profile = job_profile(metrics, prefix, resource, instance, params.peak_percentile)
    if need is None:
        if profile.hours < params.min_hours_of_data:
            return None
        need = need_of(profile, instance, params)
    hours = job_hours(resource, now)
    if need is None or not hours:
        return None
    choice = choose(need, instance, profile.count, catalog, region, usage, params, min_count=profile.count,
                    max_count=profile.count)
    if choice is None or choice.best is None or not choice.changes:
        return None
    days = job_window_days(resource, params.days)
    monthly = per_month(choice.saving_per_hour * hours, days)
    if not params.worth_it(choice.current.usd_per_hour, choice.saving_per_hour, monthly):
        return None
    return JobResize(instance, profile, choice, hours, days, monthly)


def oversized_job_queries(prefix: str, kind: Kind, resources: list[Resource], params: SizingParams, now: datetime,
                          catalog: Catalog) -> list[MetricQuery]:
    """Hourly maxima of every host of every recent job of `kind`."""
    out: list[MetricQuery] = []
    for r in recent_jobs(resources, kind, now, params.days):
        out += job_queries(prefix, r, now, params.days, catalog)
    return out


def oversized_jobs(ctx: RuleContext, kind: Kind, usage: Usage, params: SizingParams,
                   prefix: str) -> Iterator[tuple[Resource, JobResize]]:
    """The recent jobs of `kind` that a cheaper type would run, with their sizing."""
    for r in recent_jobs(ctx.resources, kind, ctx.now, params.days):
        resize = size_job(r, ctx.metrics, ctx.catalog, ctx.region, usage, params, prefix, ctx.now)
        if resize is not None:
            yield r, resize


def job_finding(meta: RuleMeta, ctx: RuleContext, r: Resource, resize: JobResize, params: SizingParams) -> Finding:
    """The finding of a resized job (training-oversized's and processing-oversized's)."""
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
