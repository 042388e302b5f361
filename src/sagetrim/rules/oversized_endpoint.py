"""oversized-endpoint: a real-time endpoint whose instances are bigger, or more, than its load needs.

Per variant, the CPU, memory and GPU utilization of the last `days` (hourly maxima, see `rules.sizing`)
and its invocations give the cheapest instance type and count that keep the observed peak under
`target_peak_pct` of capacity. A GPU that stays nearly idle gives a CPU type (Inferentia is shown as an
alternative); a P-family instance serving inference gives a G type, whose GPUs are built for it, when one
holds the load. A variant on two or more instances keeps at least two, for availability across zones.
Variants without a week of data, without the metrics the sizing needs, or without any invocation (idle,
not oversized) are not judged. The saving is the hourly price difference over a 730-hour month.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sagetrim.aws.metrics import MetricQuery
from sagetrim.catalog import Catalog, InstanceType, Usage
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.json_types import JsonObject
from sagetrim.rules import sizing
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="oversized-endpoint", title="Endpoint on bigger or more instances than its load needs",
                severity=Severity.MEDIUM, kind=Kind.ENDPOINT.value, action=Action.NOTIFY)


@dataclass(frozen=True)
class Params(sizing.SizingParams):
    """Sizing settings (see `rules.sizing.SizingParams`), and: keep_two_for_availability: a variant on two or
    more instances keeps two; max_invocations_per_instance_per_minute: a measured capacity of one instance
    (from a load test), which then bounds how few instances may serve the peak."""

    min_hours_of_data: int = 168
    keep_two_for_availability: bool = True
    max_invocations_per_instance_per_minute: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        limit = self.max_invocations_per_instance_per_minute
        if limit is not None and limit <= 0:
            raise ValueError("max_invocations_per_instance_per_minute must be positive")


def _candidates(resources: list[Resource]) -> Iterator[Resource]:
    for r in resources:
        d = r.details_as(EndpointDetails)
        if (r.kind is Kind.ENDPOINT and r.status == "InService" and d is not None and not d.serverless
                and any(v.instance_type for v in r.variants)):
            yield r


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    """Per variant: hourly CPU, memory (and GPU) maxima and invocation sums over the look-back."""
    out: list[MetricQuery] = []
    for r in _candidates(resources):
        out += sizing.endpoint_queries(META.id, r, now, params.days, catalog, peak_percentile=params.peak_percentile)
    return out


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in _candidates(ctx.resources):
        d = r.details_as(EndpointDetails)
        asynchronous = d is not None and d.asynchronous
        parts: list[JsonObject] = []
        alternatives: list[JsonObject] = []
        candidates: JsonObject = {}
        saving = 0.0
        for v in r.variants:
            instance = sizing.shape(v.instance_type, ctx.catalog)
            if instance is None or v.instance_count < 1:
                continue  # not an instance type sagetrim knows, or scaled in to zero: nothing to resize
            profile = sizing.variant_profile(ctx.metrics, META.id, r, v.name, instance, v.instance_count,
                                             params.peak_percentile)
            if profile.hours < params.min_hours_of_data:
                continue  # too young to judge
            if not asynchronous and not profile.invocations_per_minute:
                continue  # served nothing: idle (idle-endpoint's finding when every variant is), not a resize
            need = sizing.need_of(profile, instance, params, params.max_invocations_per_instance_per_minute)
            if need is None:
                continue  # a metric the sizing needs is missing: unknown
            low = 2 if params.keep_two_for_availability and v.instance_count >= 2 else 1
            choice = sizing.choose(need, instance, v.instance_count, ctx.catalog, ctx.region, Usage.HOSTING, params,
                                   min_count=min(low, v.instance_count), max_count=v.instance_count,
                                   inferentia_alternative=need.gpu != "none")
            if choice is None or choice.best is None:
                continue
            monthly = choice.saving_per_hour * HOURS_PER_MONTH
            if not (choice.changes and params.worth_it(choice.current.usd_per_hour, choice.saving_per_hour, monthly)):
                continue
            saving += monthly
            parts.append(_part(v.name, instance, profile, need, choice, monthly, params.target_peak_pct, ctx.catalog))
            alternatives += [{"variant": v.name, **o.to_json()} for o in choice.alternatives]
            candidates[v.name] = [o.to_json() for o in choice.considered[:8]]
        if not parts:
            continue
        changes = "; ".join(f"{p['variant']}: {p['current']} -> {p['recommended']} ({p['reason']})" for p in parts)
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(saving), monthly_savings_usd=saving,
            evidence={"window_days": params.days, "target_peak_pct": params.target_peak_pct,
                      "peak": _peak_rule(params), "variants": [*parts], "alternatives": [*alternatives],
                      "assumptions": list(sizing.ASSUMPTIONS)},
            message=(f"{changes}; keeps the observed peaks under {params.target_peak_pct:g} % and saves "
                     f"${saving:,.2f} a month. Details: sagetrim rightsize {r.name}"),
            action=META.action, details={"candidates": candidates},
        )


def _peak_rule(params: sizing.SizingParams) -> str:
    if params.peak_percentile >= 100:
        return f"highest hourly maximum over {params.days} days"
    return f"p{params.peak_percentile:g} of hourly maxima over {params.days} days"


def _part(variant: str, instance: InstanceType, profile: sizing.Profile, need: sizing.Need,
          choice: sizing.Choice, monthly: float, target_pct: float, catalog: Catalog) -> JsonObject:
    assert choice.best is not None
    best = sizing.shape(choice.best.instance_type, catalog)
    if need.gpu == "unused":
        reason = (f"GPU peak {(profile.gpu_busy or 0) / instance.gpu_count:.0%} per GPU: a CPU type serves it "
                  "(with the CPU build of the container image)")
    elif instance.category == "P" and best is not None and best.category == "G":
        reason = (f"P-family GPUs serving inference: {best.accelerator.model if best.accelerator else 'a G type'} "
                  f"holds the GPU peak of {profile.gpu_busy or 0:.2f} GPUs")
    elif choice.best.instance_type == instance.name:
        reason = f"{choice.best.count} of {profile.count} instances hold the peak"
    else:
        reason = (f"peak {profile.cpu_busy or 0:.2f} of {instance.vcpu} vCPUs and {profile.memory_gib or 0:.1f} of "
                  f"{instance.memory_gib:g} GiB")
    return {
        "variant": variant, "current": choice.current.label, "recommended": choice.best.label, "reason": reason,
        "gpu": need.gpu, "profile": profile.to_json(),
        "peak_invocations_per_minute_per_instance": round((profile.invocations_per_minute or 0) / profile.count, 1),
        "projected_peak_pct": choice.best.to_json()["projected_peak_pct"],
        "usd_per_hour_now": round(choice.current.usd_per_hour, 4),
        "usd_per_hour_after": round(choice.best.usd_per_hour, 4), "monthly_saving_usd": round(monthly, 2),
        "why": choice.why(target_pct),
    }


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries)
