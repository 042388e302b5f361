"""failing-endpoint: an endpoint whose invocations nearly all fail: it bills for nothing useful.

SageMaker counts every `InvokeEndpoint` request in `Invocations`, and those answered with a 4xx or a 5xx
in `Invocation4XXErrors` and `Invocation5XXErrors` (per variant, `EndpointName` + `VariantName`). When at
least `error_pct` of at least `min_invocations` requests in `days` failed, the endpoint's instances serve
errors: a client calling with the wrong payload, a model that cannot load, a container that crashes. The
finding names the share of each kind; fixing or deleting it is the owner's call (notify). A query
CloudWatch failed makes the endpoint unknown.
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
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="failing-endpoint", title="Endpoint whose requests nearly all fail", severity=Severity.HIGH,
                kind=Kind.ENDPOINT.value, action=Action.NOTIFY)
NAMESPACE = "AWS/SageMaker"
METRICS = ("Invocations", "Invocation4XXErrors", "Invocation5XXErrors")


@dataclass(frozen=True)
class Params:
    """days: the window read. error_pct: the share of failed requests that makes it failing.
    min_invocations: fewer requests than this in the window are too few to judge."""

    days: int = 7
    error_pct: float = 95.0
    min_invocations: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 63:
            raise ValueError("days must be between 1 and 63 (CloudWatch keeps hourly data 63 days)")
        if not 50 <= self.error_pct <= 100:
            raise ValueError("error_pct must be between 50 and 100")
        if self.min_invocations < 1:
            raise ValueError("min_invocations must be at least 1")


def _candidates(resources: list[Resource]) -> Iterator[Resource]:
    for r in resources:
        if r.kind is not Kind.ENDPOINT or r.status != "InService" or r.usd_per_hour <= 0:
            continue
        d = r.details_as(EndpointDetails)
        if d is not None and not d.asynchronous:
            yield r


def _key(endpoint: str, variant: str, metric: str) -> str:
    return f"{META.id}/{endpoint}/{variant}/{metric}"


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    """Three sums per variant over the window."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=params.days)
    return [MetricQuery(_key(r.name, v.name, m), NAMESPACE, m, (("EndpointName", r.name), ("VariantName", v.name)),
                        "Sum", params.days * 86400, start, end)
            for r in _candidates(resources) for v in r.variants for m in METRICS]


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in _candidates(ctx.resources):
        total = {m: sum(ctx.series(_key(r.name, v.name, m)).total for v in r.variants) for m in METRICS}
        requests = total["Invocations"]
        if requests < params.min_invocations:
            continue  # too few requests to call it failing (idle-endpoint and endpoint-hosting-mode judge those)
        failed = total["Invocation4XXErrors"] + total["Invocation5XXErrors"]
        share = min(1.0, failed / requests)
        if share * 100 < params.error_pct:
            continue
        monthly = r.usd_per_hour * HOURS_PER_MONTH
        client = total["Invocation4XXErrors"] / requests * 100
        server = total["Invocation5XXErrors"] / requests * 100
        cause = ("the callers send requests the model rejects (4xx: payload, content type, auth)"
                 if client >= server else "the model or its container fails (5xx: loading, crashes, timeouts)")
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(monthly), monthly_savings_usd=monthly,
            evidence={"window_days": params.days, "invocations": requests, "errors_4xx": total["Invocation4XXErrors"],
                      "errors_5xx": total["Invocation5XXErrors"], "failed_pct": round(share * 100, 1),
                      "usd_per_hour": round(r.usd_per_hour, 4)},
            message=(f"{share:.0%} of its {requests:,.0f} requests in {params.days} days failed ({client:.0f} % 4xx, "
                     f"{server:.0f} % 5xx): {cause}. It bills ${monthly:,.2f} a month for answers nobody gets; "
                     "fix it, or delete it"),
            action=META.action,
        )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries)
