"""studio-idle-app: a Studio app that has run for days without a restart.

A Studio app (JupyterLab, CodeEditor, KernelGateway, ...) bills its instance for as long as it is InService.
SageMaker publishes no utilization for apps, and `LastUserActivityTimestamp` moves with SageMaker's own
health checks, so it does not tell whether anyone is active. The evidence is the one AWS records: an app runs
from its creation to its deletion, so one InService for longer than `max_running_hours` is left on nights and
weekends. The saving assumes it would run only `expected_use_hours_per_month`. Free apps (the `system`
JupyterServer) are left alone, and so are JupyterLab and Code Editor apps whose domain, user profile or space
turns on Studio's own idle shutdown (`AppLifecycleManagement.IdleSettings`): Studio stops them when idle,
so their uptime is use. A Canvas app bills its workspace instance for as long as its user stays logged in;
one InService past the threshold is judged the same way, at the Canvas workspace rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sagetrim.inventory.details import StudioAppDetails
from sagetrim.inventory.model import Kind
from sagetrim.inventory.studio_idle import APP_SETTINGS
from sagetrim.rules.context import RuleContext, age_hours
from sagetrim.rules.left_running import LeftRunningParams, left_running_finding
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="studio-idle-app", title="Studio app running for days", severity=Severity.MEDIUM,
                kind=Kind.STUDIO_APP.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params(LeftRunningParams):
    """Left-running settings (see `rules.left_running.LeftRunningParams`)."""


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in ctx.of_kind(Kind.CANVAS_APP):
        d = r.details_as(StudioAppDetails)
        running = age_hours(r, ctx.now)
        if r.status != "InService" or r.usd_per_hour <= 0 or d is None or not params.left_on(running):
            continue
        yield left_running_finding(
            META, ctx, r, running, r.created, r.usd_per_hour, params,
            {"app_type": d.app_type, "owner": d.owner, "usd_per_hour": round(r.usd_per_hour, 4),
             "assumed_use_hours_per_month": params.expected_use_hours_per_month},
            "Canvas app logged in for {days:.1f} days: its workspace instance bills every hour of it; logging out "
            "(deleting the app) keeps the user's models and datasets and saves ${monthly:,.2f} a month")
    for r in ctx.of_kind(Kind.STUDIO_APP):
        d = r.details_as(StudioAppDetails)
        if r.status != "InService" or not r.instance_type or r.usd_per_hour <= 0 or d is None:
            continue
        if d.idle_shutdown_from is not None:
            continue  # Studio shuts it down when idle
        running = age_hours(r, ctx.now)
        if not params.left_on(running):
            continue
        yield left_running_finding(
            META, ctx, r, running, r.created, r.usd_per_hour, params,
            {"app_type": d.app_type, "owner": d.owner, "instance_type": r.instance_type,
             "usd_per_hour": round(r.usd_per_hour, 4),
             "assumed_use_hours_per_month": params.expected_use_hours_per_month,
             "activity": "not published: LastUserActivityTimestamp follows SageMaker's health checks"},
            f"{d.app_type} app on {r.instance_type} InService for {{days:.1f}} days without a restart; deleting it "
            "when unused (files stay on the user's or space's storage) and enabling idle shutdown saves "
            "${monthly:,.2f} a month" + _fix(d))


def _fix(d: StudioAppDetails) -> str:
    """The command that turns Studio's idle shutdown on where the app's owner would pick it up."""
    if d.app_type not in APP_SETTINGS:
        return ""
    # A user's app: on for that user. A space's: on for the domain (a space sets only its timeout).
    level = f"--user-profile {d.user_profile} " if d.user_profile and not d.space else ""
    return f" (`sagetrim studio idle-shutdown --domain {d.domain_id} {level}--minutes 60 --app-type {d.app_type}`)"


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__)
