"""idle-notebook: a notebook instance that has run without a break far longer than a working day.

Notebook instances publish no utilization metrics, so the evidence is the one AWS records: how long
the instance has been InService since it last started (`LastModifiedTime`). One that has run for
days without a stop is left on overnight; stopping it keeps its volume and everything on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.model import Kind
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="idle-notebook", title="Notebook instance running for days", severity=Severity.MEDIUM,
                kind=Kind.NOTEBOOK.value, action=Action.STOP_NOTEBOOK)


@dataclass(frozen=True)
class Params:
    """max_running_hours: running this long or longer without a stop counts as left on;
    expected_use_hours_per_month: the hours a notebook is really used."""

    max_running_hours: float = 72.0
    expected_use_hours_per_month: float = 220.0

    def __post_init__(self) -> None:
        if self.max_running_hours < 1:
            raise ValueError("max_running_hours must be at least 1")
        if not 0 <= self.expected_use_hours_per_month <= HOURS_PER_MONTH:
            raise ValueError("expected_use_hours_per_month must be between 0 and 730")


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in ctx.of_kind(Kind.NOTEBOOK):
        if r.status != "InService" or r.last_modified is None:
            continue
        running = (ctx.now - r.last_modified).total_seconds() / 3600
        if running < params.max_running_hours:
            continue
        compute_per_hour = r.usd_per_hour - float(r.details.get("storage_usd_per_hour", 0))
        monthly = compute_per_hour * (HOURS_PER_MONTH - params.expected_use_hours_per_month)
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"running_hours": round(running, 1), "running_since": r.last_modified.isoformat(),
                      "threshold_hours": params.max_running_hours, "instance_type": r.instance_type,
                      "usd_per_hour": round(compute_per_hour, 4)},
            message=(f"InService for {running / 24:.1f} days without a stop; stopping it when unused saves "
                     f"${monthly:,.2f} a month (its volume and files stay)"),
            action=META.action,
        )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__)
