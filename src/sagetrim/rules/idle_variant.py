"""idle-variant: a variant that served nothing in `days` while another variant of its endpoint served.

Each variant bills for its own instances. A variant left at weight 0 after a test, a canary nobody routes
to, or a shadow variant that gets no copy of the traffic (a shadow test left on with sampling at zero, or
one whose container stopped answering) bills every hour while the endpoint looks busy, so idle-endpoint
(which needs every variant idle) never sees it. Invocations are read per variant with the exact
`EndpointName` + `VariantName` dimensions (shadow variants publish theirs under their own name); no
datapoints means no invocations, and a query CloudWatch failed makes the variant unknown. An endpoint whose
variants were renamed within the window (CloudWatch holds names it no longer has) is unknown too: the old
names' traffic cannot be told apart by variant. The fix is an endpoint configuration without the variant
(`UpdateEndpoint`), which keeps the endpoint serving; `act` does it with a backup first (remove-variant),
and right before, reads the variant's invocations again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sagetrim.aws.metrics import MetricQuery, fetch_metrics
from sagetrim.catalog import Catalog
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules.context import RuleContext, age_hours, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="idle-variant", title="Endpoint variant with no invocations", severity=Severity.MEDIUM,
                kind=Kind.ENDPOINT.value, action=Action.REMOVE_VARIANT)
NAMESPACE = "AWS/SageMaker"


@dataclass(frozen=True)
class Params:
    """days: the window with no invocations on the variant while another one serves."""

    days: int = 7

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 63:
            raise ValueError("days must be between 1 and 63 (CloudWatch keeps hourly data 63 days)")


def _candidates(resources: list[Resource]) -> Iterator[tuple[Resource, EndpointDetails]]:
    for r in resources:
        if (r.kind is not Kind.ENDPOINT or r.status != "InService" or len(r.variants) < 2
                or all(v.shadow for v in r.variants)):
            continue
        d = r.details_as(EndpointDetails)
        if d is None or d.asynchronous or d.serverless:
            continue
        yield r, d


def _key(endpoint: str, variant: str) -> str:
    return f"{META.id}/{endpoint}/{variant}/Invocations"


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    """One query per variant: its invocations over the window, as one sum."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=params.days)
    return [MetricQuery(_key(r.name, v.name), NAMESPACE, "Invocations",
                        (("EndpointName", r.name), ("VariantName", v.name)), "Sum", params.days * 86400, start, end)
            for r, _ in _candidates(resources) for v in r.variants]


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r, d in _candidates(ctx.resources):
        if age_hours(r, ctx.now) < params.days * 24:
            ctx.cannot_judge(META, r, f"younger than the {params.days}-day window")
            continue
        renamed = sorted(set(d.metric_variants or ()) - {v.name for v in r.variants})
        if renamed:
            ctx.cannot_judge(META, r, f"variants renamed within the window ({', '.join(renamed)} in CloudWatch): "
                                      "their traffic cannot be told apart by variant")
            continue
        served = {v.name: ctx.series(_key(r.name, v.name)).total for v in r.variants}
        if not any(served[v.name] for v in r.variants if not v.shadow):
            continue  # no production variant served: the whole endpoint is idle, idle-endpoint's finding
        for v in r.variants:
            if served[v.name] or v.usd_per_hour <= 0:
                continue
            monthly = v.usd_per_hour * HOURS_PER_MONTH
            busy = ", ".join(f"{name} ({n:,.0f})" for name, n in served.items() if n)
            what = "shadow variant" if v.shadow else "variant"
            yield Finding(
                rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
                severity=severity_for(monthly), monthly_savings_usd=monthly,
                evidence={"variant": v.name, "shadow": v.shadow, "instance_type": v.instance_type,
                          "instance_count": v.instance_count, "window_days": params.days, "invocations": 0,
                          "invocations_by_variant": {name: n for name, n in served.items()},
                          "usd_per_hour": round(v.usd_per_hour, 4)},
                message=(f"{what} {v.name} ({v.instance_count} x {v.instance_type}) served nothing in "
                         f"{params.days} days while {busy} served; an endpoint configuration without it "
                         f"(UpdateEndpoint) saves ${monthly:,.2f} a month and keeps the endpoint serving"),
                action=META.action,
            )


def recheck(finding: Finding, cloudwatch: object, params: Params, now: datetime) -> str | None:
    """Read the variant's invocations again right before removing it: over `days` to now, so traffic since
    the scan counts; a query CloudWatch fails is a reason not to act."""
    variant = finding.evidence.get("variant")
    if not isinstance(variant, str) or not variant:
        return "the finding names no variant to recheck"
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(days=params.days)
    period = int((end - start).total_seconds()) // 60 * 60
    query = MetricQuery("v", NAMESPACE, "Invocations", (("EndpointName", finding.name), ("VariantName", variant)),
                        "Sum", period, start, end)
    series = fetch_metrics(cloudwatch, [query])["v"]
    if series.failure:
        return (f"could not recheck the invocations of variant {variant} ({series.failure}); not acting on an "
                "unknown")
    if series.total:
        return (f"variant {variant} received {series.total:g} invocations in the last {params.days} days "
                "(rechecked just now)")
    return None


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries, recheck=recheck,
            needs_variant_history=True)
