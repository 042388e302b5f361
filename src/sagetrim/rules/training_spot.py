"""training-spot: on-demand training jobs that could have run on managed spot capacity.

Managed spot training bills the same job's seconds at a discount (often 60-90 %) in exchange for possible
interruptions, which SageMaker resumes from checkpoints. For each on-demand job that ended in the look-back
(completed, or stopped by hand or failed after billing hours: their seconds were billed all the same), the
saving is its billed seconds x instances x (on-demand - spot price), at the catalog's typical spot discount,
spread over a month as if such jobs recur at the look-back's rate. Where the account has run spot jobs, their
observed saving (1 - billable / training seconds) is shown beside it. Jobs with a warm pool (which spot does
not support), shorter than `min_job_minutes`, or on types without spot training are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sagetrim.catalog import Usage
from sagetrim.inventory.details import JobDetails
from sagetrim.inventory.model import Kind
from sagetrim.rules import sizing
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

BILLED_ENDINGS = ("Completed", "Stopped", "Failed")  # a job billed its seconds however it ended
META = RuleMeta(id="training-spot", title="On-demand training job that could have used managed spot",
                severity=Severity.MEDIUM, kind=Kind.TRAINING.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params:
    """days: the look-back for completed jobs; min_job_minutes: shorter jobs are left alone (spot start-up
    delays outweigh the saving); min_monthly_usd: smaller savings are not reported."""

    days: int = 14
    min_job_minutes: float = 10.0
    min_monthly_usd: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 90:
            raise ValueError("days must be between 1 and 90")
        if self.min_job_minutes < 0:
            raise ValueError("min_job_minutes cannot be negative")
        if self.min_monthly_usd < 0:
            raise ValueError("min_monthly_usd cannot be negative")


def history_days(params: Params) -> int:
    return params.days


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    since = ctx.now - timedelta(days=params.days)
    jobs = [(r, d) for r in ctx.of_kind(Kind.TRAINING)
            if (d := r.details_as(JobDetails)) is not None and d.finished and r.status in BILLED_ENDINGS
            and (r.created is None or r.created >= since)]
    spot_runs = [d for _, d in jobs if d.spot and d.training_s]
    observed = (sum(1 - float(d.billable_s or 0) / float(d.training_s or 1) for d in spot_runs)
                / len(spot_runs)) if spot_runs else None
    for r, d in jobs:
        if d.spot or d.keep_alive_s:
            continue
        seconds = float(d.billable_s or d.training_s or 0)
        t = sizing.shape(r.instance_type, ctx.catalog)
        if t is None or seconds < params.min_job_minutes * 60 or Usage.SPOT_TRAINING.value not in t.usages:
            continue
        on_demand = sizing.hourly_price(ctx.catalog, t.name, ctx.region, Usage.TRAINING)
        spot = sizing.hourly_price(ctx.catalog, t.name, ctx.region, Usage.SPOT_TRAINING)
        if on_demand is None or spot is None:
            continue
        count = max(1, r.instance_count)
        hours = seconds / 3600
        saving = (on_demand - spot) * hours * count
        days = sizing.job_window_days(r, params.days)
        monthly = sizing.per_month(saving, days)
        if monthly < params.min_monthly_usd or saving <= 0:
            continue
        discount = 1 - spot / on_demand
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"status": r.status, "instance_type": t.name, "instance_count": count,
                      "billable_hours": round(hours, 2),
                      "usd_on_demand": round(on_demand * hours * count, 2),
                      "usd_on_spot": round(spot * hours * count, 2), "saving_usd": round(saving, 2),
                      "spot_discount_pct": round(discount * 100, 1),
                      "observed_spot_saving_pct": None if observed is None else round(observed * 100, 1),
                      "window_days": days,
                      "assumptions": [f"the catalog's typical managed spot saving of {discount:.0%}; spot "
                                      "prices and interruptions vary",
                                      "the job writes checkpoints, so an interrupted run resumes",
                                      f"jobs like this one recur at the rate of the last {days} days"]},
            message=(f"{'' if r.status == 'Completed' else r.status.lower() + ' after it '}"
                     f"ran {hours:.1f} h on {count} x {t.name} on demand for ${on_demand * hours * count:,.2f}; "
                     f"with managed spot (EnableManagedSpotTraining, a MaxWaitTimeInSeconds and checkpoints) "
                     f"it would have cost about ${spot * hours * count:,.2f} (about ${monthly:,.2f} a month at "
                     f"the last {days} days' rate)"),
            action=META.action,
        )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, history_days=history_days)
