"""stopped-notebook-storage: a notebook instance stopped for weeks whose volume still bills.

A stopped notebook instance bills no compute, but its ML storage volume bills every GB-month until the
instance is deleted. One stopped for `min_stopped_days` or more (since its `LastModifiedTime`) is
probably abandoned; copying what matters to S3 and deleting it saves the volume's whole price.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import NotebookDetails
from sagetrim.inventory.model import Kind
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="stopped-notebook-storage", title="Notebook instance stopped for weeks, still paying for its volume",
                severity=Severity.LOW, kind=Kind.NOTEBOOK.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params:
    """min_stopped_days: stopped at least this long counts as abandoned."""

    min_stopped_days: float = 14.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_stopped_days <= 365:
            raise ValueError("min_stopped_days must be between 1 and 365")


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in ctx.of_kind(Kind.NOTEBOOK):
        if r.status != "Stopped" or r.last_modified is None or r.usd_per_hour <= 0:
            continue
        stopped_days = (ctx.now - r.last_modified).total_seconds() / 86400
        if stopped_days < params.min_stopped_days:
            continue
        monthly = r.usd_per_hour * HOURS_PER_MONTH
        d = r.details_as(NotebookDetails)
        volume = d.volume_gb if d else None
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"stopped_days": round(stopped_days, 1), "stopped_since": r.last_modified.isoformat(),
                      "threshold_days": params.min_stopped_days, "volume_gb": volume,
                      "usd_per_month": round(monthly, 2),
                      "billed_since_stopped_usd": round(r.usd_per_hour * stopped_days * 24, 2)},
            message=(f"stopped for {stopped_days:.0f} days, its {volume} GB volume still bills ${monthly:,.2f} a "
                     f"month; copy what matters to S3 and delete the notebook instance"),
            action=META.action,
        )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__)
