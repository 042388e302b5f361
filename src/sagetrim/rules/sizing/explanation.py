"""The explanation behind `sagetrim rightsize NAME`: a resource's utilization, the candidates weighed, the winner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sagetrim.aws.metrics import MetricSeries
from sagetrim.catalog import Catalog, InstanceType, Usage
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.json_types import JsonObject
from sagetrim.rules.sizing.choice import Choice, choose, need_of
from sagetrim.rules.sizing.jobtime import job_hours, job_window_days, per_month
from sagetrim.rules.sizing.params import SizingParams
from sagetrim.rules.sizing.profiles import Profile, job_profile, variant_profile
from sagetrim.rules.sizing.queries import JOB_NAMESPACES
from sagetrim.rules.sizing.shape import shape

USAGE_OF_KIND = {Kind.ENDPOINT: Usage.HOSTING, Kind.TRAINING: Usage.TRAINING, Kind.PROCESSING: Usage.PROCESSING,
                 Kind.TRANSFORM: Usage.TRANSFORM, Kind.NOTEBOOK: Usage.NOTEBOOK, Kind.STUDIO_APP: Usage.STUDIO}


@dataclass(frozen=True)
class PartExplanation:
    """The sizing of one group of instances (an endpoint variant, or a job's hosts)."""

    label: str
    status: Literal["resize", "keep", "idle", "unknown"]
    why: str
    profile: Profile | None = None
    choice: Choice | None = None
    monthly_saving_usd: float = 0.0

    def to_json(self) -> JsonObject:
        return {"part": self.label, "status": self.status, "why": self.why,
                "profile": self.profile.to_json() if self.profile else None,
                **(self.choice.to_json() if self.choice else {}),
                "monthly_saving_usd": round(self.monthly_saving_usd, 2)}


@dataclass(frozen=True)
class Explanation:
    """Why a resource should keep or change its instances: its utilization, the candidates and the winner."""

    kind: str
    name: str
    arn: str
    region: str
    window_days: int
    target_peak_pct: float
    peak_percentile: float
    parts: tuple[PartExplanation, ...]
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def monthly_saving_usd(self) -> float:
        return sum(p.monthly_saving_usd for p in self.parts)

    @property
    def status(self) -> str:
        """resize if any part should change, else unknown or idle if any part is, else keep."""
        states = {p.status for p in self.parts}
        return next((s for s in ("resize", "unknown", "idle") if s in states), "keep" if states else "unknown")

    def to_json(self) -> JsonObject:
        return {"kind": self.kind, "name": self.name, "arn": self.arn, "region": self.region,
                "status": self.status, "window_days": self.window_days, "target_peak_pct": self.target_peak_pct,
                "peak": f"p{self.peak_percentile:g} of hourly maxima" if self.peak_percentile < 100
                else "highest hourly maximum",
                "monthly_saving_usd": round(self.monthly_saving_usd, 2),
                "parts": [p.to_json() for p in self.parts], "assumptions": list(self.assumptions)}


ASSUMPTIONS = (
    "CPUUtilization and GPUUtilization are summed over vCPUs and GPUs; busy vCPUs = peak % / 100",
    "endpoint metrics are of the busiest instance of a variant, taken as the load of every instance",
    "memory in use is per instance and does not shrink with more instances",
    "vCPUs of different generations count alike; GPUs count by relative throughput (V100 = 1)",
    "candidates keep the current CPU architecture (the container image is built for one)",
    "a month is 730 hours",
)


def explain(resource: Resource, metrics: Mapping[str, MetricSeries], catalog: Catalog, *,
            region: str | None = None, params: SizingParams | None = None, prefix: str = "rightsize",
            now: datetime | None = None, keep_two_for_availability: bool = True) -> Explanation:
    """Explain the sizing of one endpoint or job from the metrics `profile_queries` fetched.

    Args:
        resource: an endpoint, or a training or processing job, from a scan.
        metrics: `fetch_metrics(cloudwatch, profile_queries(resource, now, params, prefix))`.
        catalog: instance shapes and prices.
        region: where to price (the resource's region by default).
        params: headroom, look-back and thresholds.
        prefix: the key prefix the queries were built with.
        now: for a running job's hours so far.
        keep_two_for_availability: an endpoint variant on two or more instances keeps at least two.

    Returns:
        The explanation; parts without the metrics they need are "unknown", never "resize".
    """
    p = params or SizingParams()
    where = region or resource.region
    parts: list[PartExplanation] = []
    if resource.kind is Kind.ENDPOINT:
        for v in resource.variants:
            instance = shape(v.instance_type, catalog)
            if instance is None:
                parts.append(PartExplanation(v.name, "unknown", "serverless or of an unknown type: nothing to size"))
                continue
            profile = variant_profile(metrics, prefix, resource, v.name, instance, v.instance_count,
                                      p.peak_percentile)
            d = resource.details_as(EndpointDetails)
            if not profile.invocations_per_minute and not (d and d.asynchronous):
                parts.append(PartExplanation(v.name, "idle", f"no invocations in {p.days} days: the variant is idle, "
                                             "which deleting it fixes better than a resize", profile))
                continue
            low = 2 if keep_two_for_availability and v.instance_count >= 2 else 1
            parts.append(_explain_part(v.name, profile, instance, catalog, where, Usage.HOSTING, p,
                                       low, v.instance_count, HOURS_PER_MONTH, inference=True))
    elif resource.kind in JOB_NAMESPACES:
        instance = shape(resource.instance_type, catalog)
        if instance is None:
            parts.append(PartExplanation("hosts", "unknown", "unknown instance type: nothing to size"))
        else:
            profile = job_profile(metrics, prefix, resource, instance, p.peak_percentile)
            hours = job_hours(resource, now or datetime.now(UTC))
            monthly_hours = per_month(hours, job_window_days(resource, p.days)) if hours else 0.0
            usage = USAGE_OF_KIND[resource.kind]
            parts.append(_explain_part("hosts", profile, instance, catalog, where, usage, p,
                                       profile.count, profile.count, monthly_hours, inference=False))
    else:
        parts.append(PartExplanation("instance", "unknown",
                                     f"a {resource.kind.value} publishes no utilization metrics to size it by"))
    return Explanation(resource.kind.value, resource.name, resource.arn, where, p.days, p.target_peak_pct,
                       p.peak_percentile, tuple(parts), ASSUMPTIONS)


def _explain_part(label: str, profile: Profile, instance: InstanceType, catalog: Catalog, region: str, usage: Usage,
                  params: SizingParams, low: int, high: int, hours_per_month: float, *,
                  inference: bool) -> PartExplanation:
    if profile.hours < params.min_hours_of_data:
        return PartExplanation(label, "unknown", f"{profile.hours} hours of utilization data, fewer than the "
                               f"{params.min_hours_of_data} needed", profile)
    need = need_of(profile, instance, params)
    if need is None:
        return PartExplanation(label, "unknown", "a utilization metric it needs is not published", profile)
    choice = choose(need, instance, profile.count, catalog, region, usage, params, min_count=min(low, high),
                    max_count=high, inferentia_alternative=inference and need.gpu != "none")
    if choice is None:
        return PartExplanation(label, "unknown", f"{instance.name} has no {usage.value} price", profile)
    monthly = choice.saving_per_hour * hours_per_month
    worth = params.worth_it(choice.current.usd_per_hour, choice.saving_per_hour, monthly)
    return PartExplanation(label, "resize" if choice.changes and worth else "keep",
                           choice.why(params.target_peak_pct), profile, choice, monthly if worth else 0.0)
