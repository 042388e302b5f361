"""studio-idle-app: a Studio app that has run for days without a restart.

A Studio app (JupyterLab, CodeEditor, KernelGateway, ...) bills its instance for as long as it is InService.
SageMaker publishes no utilization for apps, and `LastUserActivityTimestamp` moves with SageMaker's own
health checks, so it does not tell whether anyone is active. The evidence is the one AWS records: an app runs
from its creation to its deletion, so one InService for longer than `max_running_hours` is left on nights and
weekends. The saving assumes it would run only `expected_use_hours_per_month`. Free apps (the `system`
JupyterServer) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.model import Kind
from sagetrim.rules.context import RuleContext, age_hours, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="studio-idle-app", title="Studio app running for days", severity=Severity.MEDIUM,
                kind=Kind.STUDIO_APP.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params:
    """max_running_hours: running longer than this without a restart counts as left on;
    expected_use_hours_per_month: the hours an app is really used (10 h x 22 weekdays)."""

    max_running_hours: float = 72.0
    expected_use_hours_per_month: float = 220.0

    def __post_init__(self) -> None:
        if self.max_running_hours < 1:
            raise ValueError("max_running_hours must be at least 1")
        if not 0 <= self.expected_use_hours_per_month <= HOURS_PER_MONTH:
            raise ValueError("expected_use_hours_per_month must be between 0 and 730")


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in ctx.of_kind(Kind.STUDIO_APP):
        if r.status != "InService" or not r.instance_type or r.usd_per_hour <= 0:
            continue
        running = age_hours(r, ctx.now)
        if running == float("inf") or running < params.max_running_hours:
            continue
        monthly = r.usd_per_hour * (HOURS_PER_MONTH - params.expected_use_hours_per_month)
        d = r.details
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"running_hours": round(running, 1), "running_since": r.created.isoformat() if r.created else None,
                      "threshold_hours": params.max_running_hours, "app_type": d.get("app_type"),
                      "owner": d.get("user_profile") or d.get("space"), "instance_type": r.instance_type,
                      "usd_per_hour": round(r.usd_per_hour, 4),
                      "assumed_use_hours_per_month": params.expected_use_hours_per_month,
                      "activity": "not published: LastUserActivityTimestamp follows SageMaker's health checks"},
            message=(f"{d.get('app_type')} app on {r.instance_type} InService for {running / 24:.1f} days without a "
                     f"restart; deleting it when unused (files stay on the user's or space's storage) and enabling "
                     f"idle shutdown saves ${monthly:,.2f} a month"),
            action=META.action,
        )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__)
