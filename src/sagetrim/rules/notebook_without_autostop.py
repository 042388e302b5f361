"""notebook-without-autostop: a running notebook instance with nothing to stop it when idle.

A notebook instance bills every hour it is InService. Without a lifecycle configuration that stops
it when idle (the sagetrim agent, or any script that calls StopNotebookInstance), it runs nights
and weekends. The saving assumes it would otherwise run only the hours it is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import NotebookDetails
from sagetrim.inventory.model import Kind
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="notebook-without-autostop", title="Notebook instance without autostop", severity=Severity.MEDIUM,
                kind=Kind.NOTEBOOK.value, action=Action.NOTIFY)
# What a script that stops an idle notebook contains (the sagetrim agent, AWS's sample, hand-made ones).
STOPS_WHEN_IDLE = re.compile(r"autostop|stop[-_]notebook[-_]instance|StopNotebookInstance|idle", re.IGNORECASE)


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
        script = ctx.lifecycle_scripts.get(config or "", "")
        if config and STOPS_WHEN_IDLE.search(script):
            continue
        compute_per_hour = r.usd_per_hour - (d.storage_usd_per_hour if d else 0.0)
        idle_hours = HOURS_PER_MONTH - params.expected_use_hours_per_month
        monthly = compute_per_hour * idle_hours
        why = (f"its lifecycle configuration {config!r} does not stop it when idle" if config
               else "it has no lifecycle configuration")
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"lifecycle_config": config, "stops_when_idle": False, "instance_type": r.instance_type,
                      "usd_per_hour": round(compute_per_hour, 4),
                      "assumed_use_hours_per_month": params.expected_use_hours_per_month},
            message=(f"{why}; stopping it outside the {params.expected_use_hours_per_month:g} hours a month it is "
                     f"used saves ${monthly:,.2f}. Fix: sagetrim autostop install {r.name} --idle-minutes 60 --apply"),
            action=META.action,
        )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, needs_lifecycle_scripts=True)
