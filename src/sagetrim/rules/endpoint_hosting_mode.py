"""endpoint-hosting-mode: an always-on real-time endpoint whose traffic fits a cheaper way of hosting.

The hourly invocations of the last `days` give the traffic's shape:

- sporadic (requests in few hours, scattered): serverless inference, which bills per request. Only for
  endpoints without an accelerator, whose memory in use fits 6 GB with headroom, whose model latency stays
  under 60 s and whose peak concurrency stays under `serverless_max_concurrency`; else asynchronous.
- periodic (the same hours of most days, quiet otherwise): a batch transform job at those hours.
- bursty (quiet hours between bursts) or long requests (model latency of `long_request_s` or more):
  asynchronous inference, whose instances scale to zero while the queue is empty.
- diurnal (a daily cycle): autoscaling the variant between `autoscaling_min_instances` and its count, for
  variants on two or more instances not yet registered with Application Auto Scaling.
- several low-traffic endpoints (peak under `low_traffic_per_minute`) on the same container image: one
  multi-model endpoint, sized by `rules.sizing` for their summed CPU and memory.

Endpoints with several variants, serverless or asynchronous ones, those younger than `min_hours_of_data`
and those with no invocations (idle-endpoint's) are left alone. Each estimate prices the new mode over the
same hours at the catalog's prices and states its assumptions; request payload sizes are not published
by CloudWatch, so serverless assumes payloads under its 4 MB limit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

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

META = RuleMeta(id="endpoint-hosting-mode", title="Always-on endpoint whose traffic fits a cheaper hosting mode",
                severity=Severity.MEDIUM, kind=Kind.ENDPOINT.value, action=Action.NOTIFY)
Shape = Literal["idle", "sporadic", "periodic", "bursty", "diurnal", "steady"]
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
SERVERLESS_MAX_LATENCY_S = 60.0


@dataclass(frozen=True)
class Params(sizing.SizingParams):
    """Sizing settings (see `rules.sizing.SizingParams`), and the traffic thresholds: sporadic_active_pct and
    periodic_active_pct: at most this share of hours with requests; long_request_s: model latency that calls
    for asynchronous inference; low_traffic_per_minute: peak rate under which an endpoint may share a
    multi-model endpoint; min_multi_model_endpoints: how many such endpoints on one image make a group;
    batch_startup_minutes, async_scale_in_minutes: start-up and scale-in time added to every run or burst;
    autoscaling_min_instances: the floor of an autoscaled variant; serverless_max_concurrency: its cap."""

    min_hours_of_data: int = 168
    min_saving_pct: float = 20.0
    sporadic_active_pct: float = 10.0
    periodic_active_pct: float = 25.0
    long_request_s: float = 30.0
    low_traffic_per_minute: float = 20.0
    min_multi_model_endpoints: int = 3
    batch_startup_minutes: float = 10.0
    async_scale_in_minutes: float = 30.0
    autoscaling_min_instances: int = 1
    serverless_max_concurrency: int = 200

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.sporadic_active_pct <= self.periodic_active_pct <= 50:
            raise ValueError("need 0 < sporadic_active_pct <= periodic_active_pct <= 50")
        if not 1 <= self.long_request_s <= 3600:
            raise ValueError("long_request_s must be between 1 and 3600")
        if self.low_traffic_per_minute < 0:
            raise ValueError("low_traffic_per_minute cannot be negative")
        if not 2 <= self.min_multi_model_endpoints <= 1000:
            raise ValueError("min_multi_model_endpoints must be between 2 and 1000")
        if not (0 <= self.batch_startup_minutes <= 120 and 0 <= self.async_scale_in_minutes <= 120):
            raise ValueError("batch_startup_minutes and async_scale_in_minutes must be between 0 and 120")
        if not 1 <= self.autoscaling_min_instances <= 100:
            raise ValueError("autoscaling_min_instances must be between 1 and 100")
        if not 1 <= self.serverless_max_concurrency <= 1000:
            raise ValueError("serverless_max_concurrency must be between 1 and 1000")


def _candidates(resources: list[Resource]) -> Iterator[tuple[Resource, EndpointDetails]]:
    for r in resources:
        if r.kind is not Kind.ENDPOINT or r.status != "InService":
            continue
        d = r.details_as(EndpointDetails)
        if d is None or d.serverless or d.asynchronous or len(r.variants) != 1:
            continue
        if r.variants[0].instance_type:
            yield r, d


def renamed_variants(r: Resource, d: EndpointDetails) -> list[str]:
    """Variant names CloudWatch holds invocations under for this endpoint that it no longer has (renamed by an
    `UpdateEndpoint`): their traffic is the endpoint's history."""
    return sorted(set(d.metric_variants or ()) - {v.name for v in r.variants})


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    """Per endpoint: hourly invocations (under every variant name it had) and model latency, and CPU and
    memory maxima."""
    start, end = sizing.window(now, params.days)
    out: list[MetricQuery] = []
    for r, d in _candidates(resources):
        out += sizing.endpoint_queries(META.id, r, now, params.days, catalog, latency=True,
                                       peak_percentile=params.peak_percentile)
        for old in renamed_variants(r, d):
            out.append(MetricQuery(sizing.metric_key(META.id, r, old, "Invocations"), sizing.INVOCATION_NAMESPACE,
                                   "Invocations", (("EndpointName", r.name), ("VariantName", old)), "Sum",
                                   sizing.PERIOD_S, start, end))
    return out


# -- traffic ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Traffic:
    """Hourly invocations of an endpoint over the hours it existed in the window, and what they show."""

    hourly: tuple[float, ...]
    hour_of_day: tuple[int, ...]
    day: tuple[int, ...]
    latency_s: float | None  # invocation-weighted mean of the hourly ModelLatency averages
    latency_peak_s: float | None  # highest hourly average

    @property
    def hours(self) -> int:
        return len(self.hourly)

    @property
    def total(self) -> float:
        return sum(self.hourly)

    @property
    def active_hours(self) -> int:
        return sum(1 for x in self.hourly if x > 0)

    @property
    def peak_per_minute(self) -> float:
        return max(self.hourly, default=0.0) / 60

    @property
    def runs(self) -> int:
        """Contiguous blocks of hours with requests."""
        return sum(1 for i, x in enumerate(self.hourly) if x > 0 and (i == 0 or self.hourly[i - 1] == 0))

    def daily_profile(self) -> list[float]:
        sums, counts = [0.0] * 24, [0] * 24
        for x, h in zip(self.hourly, self.hour_of_day, strict=True):
            sums[h] += x
            counts[h] += 1
        return [s / c if c else 0.0 for s, c in zip(sums, counts, strict=True)]

    def stats(self) -> dict[str, float]:
        """Share of active hours, how much a daily cycle explains (R²), the trough of that cycle, the share of
        requests in the three busiest hours of the day and the share of days with requests."""
        n, total = self.hours, self.total
        if not n or not total:
            return {"active": 0.0, "r2": 0.0, "trough": 0.0, "top3": 0.0, "days_active": 0.0}
        profile = self.daily_profile()
        mean = total / n
        ss_tot = sum((x - mean) ** 2 for x in self.hourly)
        ss_res = sum((x - profile[h]) ** 2 for x, h in zip(self.hourly, self.hour_of_day, strict=True))
        by_hour = [0.0] * 24
        for x, h in zip(self.hourly, self.hour_of_day, strict=True):
            by_hour[h] += x
        days = set(self.day)
        active_days = {d for x, d in zip(self.hourly, self.day, strict=True) if x > 0}
        return {"active": self.active_hours / n, "r2": 1 - ss_res / ss_tot if ss_tot else 0.0,
                "trough": min(profile) / max(profile) if max(profile) else 0.0,
                "top3": sum(sorted(by_hour, reverse=True)[:3]) / total,
                "days_active": len(active_days) / len(days)}


def traffic_of(ctx: RuleContext, r: Resource, params: Params) -> Traffic:
    """The endpoint's hourly invocations since the start of the window (or its first whole hour), its own
    variant's and those of the names it had before a rename."""
    start, end = sizing.window(ctx.now, params.days)
    if r.created is not None and r.created > start:
        hour = r.created.replace(minute=0, second=0, microsecond=0)
        start = hour if hour == r.created else hour + timedelta(hours=1)  # the first whole hour it existed
    variant = r.variants[0].name
    n = max(0, int((end - start).total_seconds() // 3600))
    hourly = [0.0] * n  # no datapoint is no invocation
    d = r.details_as(EndpointDetails)
    for name in [variant, *(renamed_variants(r, d) if d else [])]:
        invocations = ctx.series(sizing.metric_key(META.id, r, name, "Invocations"))
        for ts, value in zip(invocations.timestamps, invocations.values, strict=True):
            i = int((ts - start).total_seconds() // 3600)
            if 0 <= i < n:
                hourly[i] += value
    stamps = [start + timedelta(hours=i) for i in range(n)]
    latency = ctx.series(sizing.metric_key(META.id, r, variant, "ModelLatency"))
    weights = {ts: hourly[i] for ts in latency.timestamps if 0 <= (i := int((ts - start).total_seconds() // 3600)) < n}
    total_w = sum(weights.get(ts, 0.0) for ts in latency.timestamps)
    mean_us = (sum(v * weights.get(ts, 0.0) for ts, v in zip(latency.timestamps, latency.values, strict=True))
               / total_w) if total_w else None
    peak_us = max(latency.values, default=None)
    return Traffic(tuple(hourly), tuple(s.hour for s in stamps), tuple(s.toordinal() for s in stamps),
                   None if mean_us is None else mean_us / 1e6, None if peak_us is None else peak_us / 1e6)


def shape_of(traffic: Traffic, params: Params) -> tuple[Shape, dict[str, float]]:
    """Classify the traffic (see the module docstring); also returns the statistics it was judged by."""
    s = traffic.stats()
    if not traffic.total:
        return "idle", s
    if s["active"] <= params.periodic_active_pct / 100 and s["top3"] >= 0.9 and s["days_active"] >= 0.7:
        return "periodic", s
    if s["active"] <= params.sporadic_active_pct / 100:
        return "sporadic", s
    if s["r2"] >= 0.5 and s["trough"] <= 0.3:
        return "diurnal", s
    if 1 - s["active"] >= 0.25 and s["r2"] < 0.5:
        return "bursty", s
    return "steady", s


# -- estimates -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Estimate:
    """A hosting mode's monthly cost for the same traffic, and how it was reached."""

    mode: str
    monthly_usd: float
    how: str
    assumptions: tuple[str, ...]
    settings: JsonObject


def _monthly(usd_over_window: float, hours: int) -> float:
    return usd_over_window * HOURS_PER_MONTH / hours if hours else 0.0


def serverless(traffic: Traffic, r: Resource, instance: InstanceType, memory_gib: float | None, ctx: RuleContext,
               params: Params) -> Estimate | None:
    """Serverless inference, when the endpoint fits its limits."""
    if instance.accelerator is not None or memory_gib is None or traffic.latency_s is None:
        return None
    if (traffic.latency_peak_s or 0) >= SERVERLESS_MAX_LATENCY_S:
        return None
    need_mb = memory_gib / params.headroom * 1024
    memory_mb = next((m for m in SERVERLESS_MEMORY_MB if m >= need_mb), None)
    concurrency = traffic.peak_per_minute / 60 * (traffic.latency_peak_s or traffic.latency_s)
    if memory_mb is None or concurrency > params.serverless_max_concurrency:
        return None
    price = ctx.catalog.serverless_price(ctx.region if ctx.region in ctx.catalog.regions() else "us-east-1")
    usd = traffic.total * traffic.latency_s * memory_mb / 1024 * price.usd
    return Estimate(
        "serverless", _monthly(usd, traffic.hours),
        f"{traffic.total:,.0f} requests x {traffic.latency_s * 1000:,.0f} ms x {memory_mb / 1024:g} GB at "
        f"${price.usd:.7f}/GB-s, over {traffic.hours} h",
        ("billed duration taken as the model latency", "request payloads under the 4 MB serverless limit",
         "cold starts after idle periods are acceptable"),
        {"MemorySizeInMB": memory_mb, "MaxConcurrency": max(1, math.ceil(concurrency * 2))})


def batch(traffic: Traffic, r: Resource, instance: InstanceType, ctx: RuleContext, params: Params) -> Estimate | None:
    """Batch transform jobs at the busy hours, on the same instances (or the cheapest like them)."""
    count = r.variants[0].instance_count
    target, price = _like(instance, ctx.catalog, ctx.region, Usage.TRANSFORM)
    if target is None or price is None:
        return None
    hours = traffic.active_hours + traffic.runs * params.batch_startup_minutes / 60
    return Estimate(
        "batch-transform", _monthly(hours * count * price, traffic.hours),
        f"{traffic.runs} runs, {traffic.active_hours} busy hours + {params.batch_startup_minutes:g} min start-up "
        f"each, on {count} x {target.name} at ${price:.4f}/h, over {traffic.hours} h",
        ("the requests can be collected and scored in batches at the hours they arrive now",),
        {"TransformResources": {"InstanceType": target.name, "InstanceCount": count}})


def asynchronous(traffic: Traffic, r: Resource, ctx: RuleContext, params: Params) -> Estimate | None:
    """Asynchronous inference scaled to zero instances while its queue is empty."""
    v = r.variants[0]
    price = sizing.hourly_price(ctx.catalog, str(v.instance_type), ctx.region, Usage.HOSTING)
    if price is None:
        return None
    hours = min(traffic.hours, traffic.active_hours + traffic.runs * params.async_scale_in_minutes / 60)
    return Estimate(
        "asynchronous", _monthly(hours * v.instance_count * price, traffic.hours),
        f"{v.instance_count} x {v.instance_type} for {traffic.active_hours} busy hours + "
        f"{params.async_scale_in_minutes:g} min scale-in after each of {traffic.runs} bursts, over {traffic.hours} h",
        ("the callers can submit requests to a queue and read results from S3",
         "the variant scales to zero on an empty backlog and back out within minutes"),
        {"AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://BUCKET/PREFIX"}},
         "ScalableTarget": {"MinCapacity": 0, "MaxCapacity": v.instance_count}})


def autoscaled(traffic: Traffic, r: Resource, ctx: RuleContext, params: Params) -> Estimate | None:
    """Instances following the load, each carrying at most what one carries at the peak hour today."""
    v = r.variants[0]
    price = sizing.hourly_price(ctx.catalog, str(v.instance_type), ctx.region, Usage.HOSTING)
    peak = max(traffic.hourly, default=0.0)
    if price is None or not peak or v.instance_count <= params.autoscaling_min_instances:
        return None
    per_instance = peak / v.instance_count
    floor = params.autoscaling_min_instances
    instance_hours = sum(max(floor, math.ceil(x / per_instance - 1e-9)) for x in traffic.hourly)
    return Estimate(
        "autoscaling", _monthly(instance_hours * price, traffic.hours),
        f"{instance_hours:,} instance-hours instead of {v.instance_count * traffic.hours:,} "
        f"({floor}..{v.instance_count} x {v.instance_type} tracking invocations per instance), over {traffic.hours} h",
        ("scaling follows the hourly load; a target-tracking policy on SageMakerVariantInvocationsPerInstance",),
        {"ScalableTarget": {"MinCapacity": floor, "MaxCapacity": v.instance_count},
         "TargetValue": round(per_instance / 60, 1)})


def _like(instance: InstanceType, catalog: Catalog, region: str,
          usage: Usage) -> tuple[InstanceType | None, float | None]:
    """The same type if sold for `usage`, else the cheapest one with at least its vCPUs, memory and GPUs."""
    own = sizing.hourly_price(catalog, instance.name, region, usage)
    if own is not None:
        return instance, own
    best: tuple[InstanceType | None, float | None] = (None, None)
    for t in catalog.types():
        if (usage.value not in t.usages or t.arch != instance.arch or t.vcpu < instance.vcpu
                or t.memory_gib < instance.memory_gib or t.gpu_count < instance.gpu_count):
            continue
        price = sizing.hourly_price(catalog, t.name, region, usage)
        if price is not None and (best[1] is None or price < best[1]):
            best = (t, price)
    return best


# -- the rule ------------------------------------------------------------------------------------------

@dataclass
class _Seen:
    r: Resource
    details: EndpointDetails
    instance: InstanceType
    traffic: Traffic
    shape: Shape
    stats: dict[str, float]
    profile: sizing.Profile


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    seen: list[_Seen] = []
    for r, d in _candidates(ctx.resources):
        v = r.variants[0]
        instance = sizing.shape(v.instance_type, ctx.catalog)
        if instance is None:
            continue
        traffic = traffic_of(ctx, r, params)
        if traffic.hours < params.min_hours_of_data:
            continue
        shape, stats = shape_of(traffic, params)
        if shape == "idle":
            continue
        profile = sizing.variant_profile(ctx.metrics, META.id, r, v.name, instance, v.instance_count,
                                         params.peak_percentile)
        seen.append(_Seen(r, d, instance, traffic, shape, stats, profile))
    grouped: set[str] = set()
    for s in seen:
        finding = _single(ctx, s, params)
        if finding is not None:
            grouped.add(s.r.arn)
            yield finding
    yield from _multi_model(ctx, [s for s in seen if s.r.arn not in grouped], params)


def _single(ctx: RuleContext, s: _Seen, params: Params) -> Finding | None:
    """The one-endpoint modes, by the traffic's shape."""
    estimates: list[Estimate | None] = []
    long_requests = (s.traffic.latency_peak_s or 0) >= params.long_request_s
    if s.shape == "sporadic":
        estimates = [serverless(s.traffic, s.r, s.instance, s.profile.memory_gib, ctx, params)]
        if estimates[0] is None:
            estimates = [asynchronous(s.traffic, s.r, ctx, params)]
    elif s.shape == "periodic":
        estimates = [batch(s.traffic, s.r, s.instance, ctx, params)]
    elif s.shape == "bursty" or long_requests:
        estimates = [asynchronous(s.traffic, s.r, ctx, params)]
    elif s.shape == "diurnal" and s.details.autoscaling == {}:  # known not to autoscale
        estimates = [autoscaled(s.traffic, s.r, ctx, params)]
    estimate = estimates[0] if estimates else None
    if estimate is None:
        return None
    now_monthly = s.r.usd_per_hour * HOURS_PER_MONTH
    saving = now_monthly - estimate.monthly_usd
    if not params.worth_it(now_monthly, saving, saving):
        return None
    why = {"sporadic": "requests in few, scattered hours", "periodic": "requests at the same hours of most days",
           "bursty": "bursts between quiet hours", "diurnal": "a daily cycle", "steady": "long requests"}[s.shape]
    if long_requests and s.shape not in ("sporadic", "periodic"):
        why += f"; model latency up to {s.traffic.latency_peak_s:,.0f} s"
    return _finding(ctx, s.r, estimate, saving, now_monthly, {
        "shape": s.shape, "traffic": _traffic_json(s.traffic, s.stats), "profile": s.profile.to_json()},
        f"traffic shows {why}")


def _multi_model(ctx: RuleContext, seen: list[_Seen], params: Params) -> Iterator[Finding]:
    """Low-traffic endpoints sharing a container image, hosted together on one multi-model endpoint."""
    groups: dict[tuple[str, str], list[_Seen]] = defaultdict(list)
    for s in seen:
        images = s.details.images or ()
        if (len(images) != 1 or s.details.multi_model or s.instance.accelerator is not None
                or s.traffic.peak_per_minute > params.low_traffic_per_minute):
            continue
        if s.profile.cpu_busy is None or s.profile.memory_gib is None:
            continue
        groups[(images[0], s.instance.arch)].append(s)
    for (image, _), members in sorted(groups.items()):
        if len(members) < params.min_multi_model_endpoints:
            continue
        h = params.headroom
        need = sizing.Need(
            vcpus=sum((m.profile.cpu_busy or 0) * m.profile.count for m in members) / h,
            memory_gib=sum(m.profile.memory_gib or 0 for m in members) / h, gpu="none",
            invocations_per_minute=sum(m.traffic.peak_per_minute for m in members))
        largest = max(members, key=lambda m: (m.r.usd_per_hour, m.r.name))
        total_count = sum(m.r.instance_count for m in members)
        low = 2 if any(m.r.instance_count >= 2 for m in members) else 1
        choice = sizing.choose(need, largest.instance, total_count, ctx.catalog, ctx.region, Usage.HOSTING, params,
                               min_count=low, max_count=total_count)
        if choice is None or choice.best is None:
            continue
        now_monthly = sum(m.r.usd_per_hour for m in members) * HOURS_PER_MONTH
        after = choice.best.usd_per_hour * HOURS_PER_MONTH
        saving = now_monthly - after
        if not params.worth_it(now_monthly, saving, saving):
            continue
        names = sorted(m.r.name for m in members)
        estimate = Estimate(
            "multi-model", after, f"{len(members)} endpoints on one multi-model endpoint of {choice.best.label} "
            f"(their summed peak CPU and memory under {params.target_peak_pct:g} %)",
            ("the models load into one container (MultiModel mode of the same image)",
             "memory in use adds up across the models, as if all stayed loaded"),
            {"Mode": "MultiModel", "Image": image, "InstanceType": choice.best.instance_type,
             "InstanceCount": choice.best.count, "endpoints": [*names]})
        for m in sorted(members, key=lambda m: m.r.name):
            own = m.r.usd_per_hour * HOURS_PER_MONTH
            share = own * (1 - after / now_monthly)
            yield _finding(ctx, m.r, estimate, share, own, {
                "shape": m.shape, "traffic": _traffic_json(m.traffic, m.stats), "profile": m.profile.to_json(),
                "group_monthly_usd_now": round(now_monthly, 2), "group_monthly_saving_usd": round(saving, 2)},
                f"{len(members)} low-traffic endpoints run the image {image.rsplit('/', 1)[-1]}",
                share_note=f"its share of the group's ${saving:,.2f} saving")


def _traffic_json(t: Traffic, stats: dict[str, float]) -> JsonObject:
    return {"hours": t.hours, "invocations": round(t.total), "active_hours": t.active_hours, "runs": t.runs,
            "peak_per_minute": round(t.peak_per_minute, 2),
            "model_latency_ms": None if t.latency_s is None else round(t.latency_s * 1000, 1),
            **{k: round(v, 3) for k, v in stats.items()}}


def _finding(ctx: RuleContext, r: Resource, estimate: Estimate, saving: float, now_monthly: float,
             evidence: JsonObject, why: str, share_note: str = "") -> Finding:
    tail = f" ({share_note})" if share_note else ""
    return Finding(
        rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
        severity=severity_for(saving), monthly_savings_usd=saving,
        evidence={**evidence, "recommended_mode": estimate.mode, "monthly_usd_now": round(now_monthly, 2),
                  "monthly_usd_after": round(now_monthly - saving, 2), "estimate": estimate.how,
                  "settings": estimate.settings, "assumptions": list(estimate.assumptions)},
        message=(f"{why}: {estimate.mode} would cost about ${now_monthly - saving:,.2f} instead of "
                 f"${now_monthly:,.2f} a month, saving ${saving:,.2f}{tail}"),
        action=META.action,
    )


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries, needs_endpoint_facts=True,
            needs_variant_history=True)
