"""What idle-notebook and studio-idle-app share: an instance InService for days without a break, whose compute
would bill only for the hours it is really used if it were stopped when unused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.model import Resource
from sagetrim.json_types import JsonObject
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Finding, RuleMeta


@dataclass(frozen=True)
class LeftRunningParams:
    """max_running_hours: running this long or longer without a break counts as left on;
    expected_use_hours_per_month: the hours it is really used (10 h x 22 weekdays)."""

    max_running_hours: float = 72.0
    expected_use_hours_per_month: float = 220.0

    def __post_init__(self) -> None:
        if self.max_running_hours < 1:
            raise ValueError("max_running_hours must be at least 1")
        if not 0 <= self.expected_use_hours_per_month <= HOURS_PER_MONTH:
            raise ValueError("expected_use_hours_per_month must be between 0 and 730")

    def left_on(self, running_hours: float) -> bool:
        """Whether an instance running this long (inf: since an unknown time) counts as left on."""
        return running_hours != float("inf") and running_hours >= self.max_running_hours

    def monthly_saving(self, compute_usd_per_hour: float) -> float:
        """The compute a month of stopping it outside the expected use saves."""
        return compute_usd_per_hour * (HOURS_PER_MONTH - self.expected_use_hours_per_month)


def left_running_finding(meta: RuleMeta, ctx: RuleContext, r: Resource, running_hours: float, since: datetime | None,
                         compute_usd_per_hour: float, params: LeftRunningParams, evidence: JsonObject,
                         message: str) -> Finding:
    """The finding on `r`: its running hours and threshold first in the evidence, then the rule's own."""
    monthly = params.monthly_saving(compute_usd_per_hour)
    return Finding(
        rule=meta.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
        severity=severity_for(monthly), monthly_savings_usd=monthly,
        evidence={"running_hours": round(running_hours, 1), "running_since": since.isoformat() if since else None,
                  "threshold_hours": params.max_running_hours, **evidence},
        message=message.format(days=running_hours / 24, monthly=monthly),
        action=meta.action,
    )
