"""idle-endpoint: a real-time or asynchronous endpoint that served nothing in the last N hours.

An endpoint bills for its instances every hour whether anyone calls it or not. Invocations are read
per variant with the exact dimension set CloudWatch publishes (`EndpointName` and `VariantName`);
no datapoints means no invocations. An endpoint younger than the window is not judged yet; a
serverless endpoint costs nothing while idle and is left alone. Asynchronous endpoints publish
`InvocationsProcessed` and `ApproximateBacklogSize` per endpoint instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sagetrim.aws.metrics import MetricQuery
from sagetrim.catalog import Catalog
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.json_types import JsonValue
from sagetrim.rules.context import RuleContext, age_hours, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="idle-endpoint", title="Endpoint with no invocations", severity=Severity.HIGH,
                kind=Kind.ENDPOINT.value, action=Action.DELETE_ENDPOINT)
NAMESPACE = "AWS/SageMaker"


@dataclass(frozen=True)
class Params:
    """hours: the window with no invocations that makes an endpoint idle."""

    hours: int = 24

    def __post_init__(self) -> None:
        if not 1 <= self.hours <= 24 * 14:
            raise ValueError("hours must be between 1 and 336 (CloudWatch keeps 1-minute data 15 days)")


def _candidates(resources: list[Resource], params: Params,
                now: datetime) -> Iterator[tuple[Resource, EndpointDetails]]:
    for r in resources:
        if r.kind is not Kind.ENDPOINT or r.status != "InService":
            continue
        d = r.details_as(EndpointDetails)
        if d is None or d.serverless or age_hours(r, now) < params.hours:
            continue
        yield r, d


def _key(endpoint: str, variant: str | None, metric: str) -> str:
    return f"{META.id}/{endpoint}/{variant or '*'}/{metric}"


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    """One query per variant (two per asynchronous endpoint), over exactly the window."""
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(hours=params.hours)
    period = params.hours * 3600
    out = []
    for r, d in _candidates(resources, params, now):
        if d.asynchronous:
            dims = (("EndpointName", r.name),)
            out.append(MetricQuery(_key(r.name, None, "InvocationsProcessed"), NAMESPACE, "InvocationsProcessed",
                                   dims, "Sum", period, start, end))
            out.append(MetricQuery(_key(r.name, None, "ApproximateBacklogSize"), NAMESPACE,
                                   "ApproximateBacklogSize", dims, "Maximum", period, start, end))
            continue
        for v in r.variants:
            out.append(MetricQuery(_key(r.name, v.name, "Invocations"), NAMESPACE, "Invocations",
                                   (("EndpointName", r.name), ("VariantName", v.name)), "Sum", period, start, end))
    return out


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r, d in _candidates(ctx.resources, params, ctx.now):
        if d.asynchronous:
            processed = ctx.series(_key(r.name, None, "InvocationsProcessed")).total
            backlog = ctx.series(_key(r.name, None, "ApproximateBacklogSize")).peak or 0
            if processed or backlog:
                continue
            invocations: dict[str, float] = {v.name: 0 for v in r.variants}
        else:
            invocations = {v.name: ctx.series(_key(r.name, v.name, "Invocations")).total for v in r.variants}
            if not invocations or any(invocations.values()):
                continue
        per_variant: list[JsonValue] = [{"variant": name, "invocations": n} for name, n in invocations.items()]
        monthly = r.usd_per_hour * HOURS_PER_MONTH
        instances = ", ".join(f"{v.instance_count} x {v.instance_type}" for v in r.variants if v.instance_type)
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"window_hours": params.hours, "invocations": 0, "variants": per_variant,
                      "asynchronous": d.asynchronous, "age_hours": round(age_hours(r, ctx.now), 1),
                      "instances": instances, "usd_per_hour": round(r.usd_per_hour, 4)},
            message=(f"no invocations in the last {params.hours} h on any variant ({instances}); "
                     f"deleting it saves ${monthly:,.2f} a month"),
            action=META.action,
        )


def recheck(finding: Finding, cloudwatch: object, params: Params, now: datetime) -> str | None:
    """Read the endpoint's invocations again right before acting; a reason not to act, or None.

    Looks from the start of the finding's window to now, so traffic that arrived after the scan counts;
    an asynchronous endpoint with requests waiting in its queue is not idle either.
    """
    from sagetrim.aws.metrics import fetch_metrics

    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(hours=params.hours) - timedelta(minutes=1)
    period = max(60, int((end - start).total_seconds()) // 60 * 60)
    asynchronous = bool(finding.evidence.get("asynchronous"))
    queries = []
    if asynchronous:
        dims = (("EndpointName", finding.name),)
        queries.append(MetricQuery("processed", NAMESPACE, "InvocationsProcessed", dims, "Sum", period, start, end))
        queries.append(MetricQuery("backlog", NAMESPACE, "ApproximateBacklogSize", dims, "Maximum", period, start,
                                   end))
    else:
        for variant in _variants(finding):
            variant_dims = (("EndpointName", finding.name), ("VariantName", variant))
            queries.append(MetricQuery(variant, NAMESPACE, "Invocations", variant_dims, "Sum", period, start, end))
    series = fetch_metrics(cloudwatch, queries)
    backlog = series.pop("backlog").peak if asynchronous else None
    if backlog:
        return f"{backlog:g} requests queued in the last {params.hours} h (rechecked just now)"
    total = sum(s.total for s in series.values())
    if total:
        return f"received {total:g} invocations in the last {params.hours} h (rechecked just now)"
    return None


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries, recheck=recheck)


def _variants(finding: Finding) -> list[str]:
    """The variant names in an idle-endpoint finding's evidence."""
    listed = finding.evidence.get("variants")
    if not isinstance(listed, list):
        return []
    return [str(v["variant"]) for v in listed if isinstance(v, dict) and "variant" in v]
