"""warm-pool-left-on: a training warm pool kept alive when no job comes to reuse it.

A warm pool (`KeepAlivePeriodInSeconds`) keeps a finished job's instances, billed, so that the next job
with the same configuration starts at once. A pool pays off only when a job reuses it. A pool that is
Available now is flagged when no training job of the same instance type, count and volume in the
look-back reused a pool: none names it in `WarmPoolStatus.ReusedByJob`, and none started while an earlier
one's pool was still alive. The saving is the retained time of such pools in the look-back (the full
keep-alive for pools still alive), priced at the training rate and spread over a month.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sagetrim.catalog import Usage
from sagetrim.inventory.details import JobDetails, JobForm, WarmPool
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules import sizing
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="warm-pool-left-on", title="Training warm pool that nothing reuses", severity=Severity.LOW,
                kind=Kind.TRAINING.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params:
    """days: the look-back in which a reuse would count."""

    days: int = 14

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 90:
            raise ValueError("days must be between 1 and 90")


def history_days(params: Params) -> int:
    return params.days


_UNDESCRIBED = JobDetails(JobForm.TRAINING, None, 1)  # a job that went away before its describe
_NO_POOL = WarmPool(None, None, None)


def _job(r: Resource) -> JobDetails:
    return r.details_as(JobDetails) or _UNDESCRIBED


def _config(r: Resource) -> tuple[str | None, int, int | None]:
    return (r.instance_type, r.instance_count, _job(r).volume_gb)


def _pool(r: Resource) -> WarmPool:
    return _job(r).warm_pool or _NO_POOL


def reuses(jobs: list[Resource]) -> list[str]:
    """Jobs (of one configuration) that reused a warm pool, or started while an earlier one's was alive."""
    found = {str(_pool(r).reused_by) for r in jobs if _pool(r).reused_by}
    for r in jobs:
        start = sizing.parse_time(_job(r).started)
        for earlier in jobs:
            end = sizing.parse_time(_job(earlier).ended)
            keep = float(_job(earlier).keep_alive_s or 0)
            if (earlier is not r and start is not None and end is not None and keep
                    and end <= start <= end + timedelta(seconds=keep)):
                found.add(r.name)
    return sorted(found)


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    since = ctx.now - timedelta(days=params.days)
    jobs = [r for r in ctx.of_kind(Kind.TRAINING)
            if r.status == "InProgress" or _pool(r).status == "Available"
            or (_job(r).finished and (r.created is None or r.created >= since))]
    for r in jobs:
        if _pool(r).status != "Available":
            continue
        same = [j for j in jobs if _config(j) == _config(r)]
        reused = reuses(same)
        if reused:
            continue
        price = sizing.hourly_price(ctx.catalog, str(r.instance_type), ctx.region, Usage.TRAINING)
        if price is None:
            continue
        pools = [j for j in same if _job(j).keep_alive_s and _job(j).finished]
        retained_s = sum(float(_job(j).keep_alive_s or 0) if _pool(j).status == "Available"
                         else float(_pool(j).retained_s or _job(j).keep_alive_s or 0) for j in pools)
        count = max(1, r.instance_count)
        days = sizing.job_window_days(r, params.days)
        wasted = retained_s / 3600 * price * count
        monthly = sizing.per_month(wasted, days)
        keep = float(_job(r).keep_alive_s or 0)
        ended = sizing.parse_time(_job(r).ended)
        expires = ended + timedelta(seconds=keep) if ended else None
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"instance_type": r.instance_type, "instance_count": count, "keep_alive_s": int(keep),
                      "retained_s": _pool(r).retained_s, "expires": expires.isoformat() if expires else None,
                      "usd_per_hour": round(r.usd_per_hour or price * count, 4),
                      "jobs_of_this_configuration": len(same), "pools_in_window": len(pools), "reused": 0,
                      "retained_hours_in_window": round(retained_s / 3600, 2), "window_days": days,
                      "assumptions": [f"pools like this one recur at the rate of the last {days} days"]},
            message=(f"keeps {count} x {r.instance_type} alive for {keep / 60:.0f} min after the job (billed "
                     f"${price * count:.2f}/h), and no job of this configuration reused a warm pool in the last "
                     f"{days} days; about ${monthly:,.2f} a month. Release it now with UpdateTrainingJob "
                     f"(ResourceConfig KeepAlivePeriodInSeconds=0) and drop the keep-alive from the job's settings"),
            action=META.action,
        )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, history_days=history_days)
