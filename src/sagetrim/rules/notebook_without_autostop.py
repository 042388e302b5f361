"""notebook-without-autostop: a running notebook instance with nothing to stop it when idle.

A notebook instance bills every hour it is InService. Without a lifecycle configuration that installs
something to stop it when idle, it runs nights and weekends. What counts (see `rules.autostop_detect`): a
cron entry or systemd timer that runs sagetrim's agent, AWS's auto-stop-idle sample (`autostop.py`) or
StopNotebookInstance itself; a mention in a comment, an `echo`, or Jupyter's kernel culling does not. The
finding quotes the line that decided. The saving assumes it would otherwise run only the hours it is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import NotebookDetails
from sagetrim.inventory.model import Kind
from sagetrim.rules.autostop_detect import find_autostop
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="notebook-without-autostop", title="Notebook instance without autostop", severity=Severity.MEDIUM,
                kind=Kind.NOTEBOOK.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params:
    """expected_use_hours_per_month: the hours a notebook is really used (10 h x 22 weekdays)."""

    expected_use_hours_per_month: float = 220.0

    def __post_init__(self) -> None:
        if not 0 <= self.expected_use_hours_per_month <= HOURS_PER_MONTH:
            raise ValueError("expected_use_hours_per_month must be between 0 and 730")


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in ctx.of_kind(Kind.NOTEBOOK):
        if r.status != "InService":
            continue
        d = r.details_as(NotebookDetails)
        config = d.lifecycle_config if d else None
        verdict = find_autostop(ctx.lifecycle_script(config)) if config else None
        if verdict is not None and verdict.stops_when_idle:
            continue
        compute_per_hour = r.usd_per_hour - (d.storage_usd_per_hour if d else 0.0)
        idle_hours = HOURS_PER_MONTH - params.expected_use_hours_per_month
        monthly = compute_per_hour * idle_hours
        why = (f"its lifecycle configuration {config!r} does not stop it when idle: {verdict.describe()}" if verdict
               else "it has no lifecycle configuration")
        found = verdict.evidence() if verdict else {"autostop": "no lifecycle configuration", "autostop_line": None,
                                                    "autostop_text": None}
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"lifecycle_config": config, "stops_when_idle": False, **found, "instance_type": r.instance_type,
                      "usd_per_hour": round(compute_per_hour, 4),
                      "assumed_use_hours_per_month": params.expected_use_hours_per_month},
            message=(f"{why}; stopping it outside the {params.expected_use_hours_per_month:g} hours a month it is "
                     f"used saves ${monthly:,.2f}. Fix: sagetrim autostop install {r.name} --idle-minutes 60 --apply"),
            action=META.action,
        )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, needs_lifecycle_scripts=True)
