"""Right-sizing: from observed peaks to the cheapest instance type and count that keeps them under a target.

Utilization is read as SageMaker publishes it: `CPUUtilization` and `GPUUtilization` are summed over vCPUs
and GPUs (a 4-vCPU instance runs to 400 %), `MemoryUtilization` is a percent of the instance's memory and
`GPUMemoryUtilization` a percent of one GPU's memory summed over its GPUs. The peak of a metric is a
percentile (by default the maximum) of its hourly maxima over the look-back window. Endpoint metrics
(`EndpointName` + `VariantName`) are the busiest instance of the variant, so the group's load is taken as
that peak on every instance, which errs on the safe side.

A candidate (type, count) fits when the peaks, moved onto it, stay under `target_peak_pct` of its capacity:

- CPU: busy vCPUs across the group (peak % / 100 x count) <= target x vCPUs x count;
- memory: GiB in use on one instance <= target x the candidate's memory (each instance holds the whole
  model, so memory does not shrink with more instances);
- GPU: busy GPUs, converted by the relative throughput in `GPU_SCORE` (V100 = 1), <= target x GPUs x score
  x count, and the GPU memory in use fits. A GPU whose peak stays under `gpu_idle_pct` counts as unused: the
  candidates are then CPU types, and the GPU memory in use moves to the host's memory.

Candidates are the types SageMaker accepts for the usage, with the current type's CPU architecture (a
container image is built for one), from the general-purpose, compute- and memory-optimized families
(burstable ones only when allowed, as their CPU credits run out under steady load) or, when a GPU is in use,
the GPU families. vCPUs of different generations count alike. Inferentia types are shown as alternatives
only: the model must first be compiled with AWS Neuron. The cheapest fitting candidate wins; at equal
price the current type is kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Literal

from sagetrim.aws.metrics import MetricQuery, MetricSeries
from sagetrim.catalog import Catalog, InstanceType, Usage, load_catalog
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.errors import CatalogError
from sagetrim.inventory.details import EndpointDetails, JobDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.json_types import JsonObject

ENDPOINT_NAMESPACE = "/aws/sagemaker/Endpoints"
INVOCATION_NAMESPACE = "AWS/SageMaker"
JOB_NAMESPACES = {Kind.TRAINING: "/aws/sagemaker/TrainingJobs", Kind.PROCESSING: "/aws/sagemaker/ProcessingJobs"}
USAGE_OF_KIND = {Kind.ENDPOINT: Usage.HOSTING, Kind.TRAINING: Usage.TRAINING, Kind.PROCESSING: Usage.PROCESSING,
                 Kind.TRANSFORM: Usage.TRANSFORM, Kind.NOTEBOOK: Usage.NOTEBOOK, Kind.STUDIO_APP: Usage.STUDIO}
PERIOD_S = 3600
PEAK_PERIOD_S = 6 * 3600
CPU_CATEGORIES = frozenset({"C", "M", "R"})
BURSTABLE_CATEGORY = "T"
GPU_CATEGORIES = frozenset({"G", "P"})
INFERENTIA = "inferentia"
# Approximate inference throughput of one GPU relative to an NVIDIA V100, after published dense FP16
# tensor throughput and memory bandwidth, rounded down. A GPU not listed is not recommended.
GPU_SCORE: dict[str, float] = {
    "NVIDIA K80": 0.15, "NVIDIA T4": 0.5, "NVIDIA V100": 1.0, "NVIDIA A10G": 0.8, "NVIDIA L4": 0.8,
    "NVIDIA L40S": 2.0, "NVIDIA A100": 2.5, "NVIDIA H100": 5.0, "NVIDIA H200": 5.5, "NVIDIA B200": 9.0,
    "NVIDIA B300": 10.0, "NVIDIA RTX PRO 6000 Blackwell": 3.0,
}
GpuUse = Literal["none", "unused", "used"]


# -- settings shared by the sizing rules --------------------------------------------------------------

@dataclass(frozen=True)
class SizingParams:
    """days: the look-back; target_peak_pct: the share of a candidate's capacity the observed peak may use;
    peak_percentile: which of the hourly maxima is the peak (100 = the highest); gpu_idle_pct: a GPU peaking
    below this (per GPU) is unused; min_hours_of_data: fewer hourly datapoints leave a resource unjudged;
    min_saving_pct and min_monthly_usd: smaller savings are not reported; allow_burstable: consider T types."""

    days: int = 14
    target_peak_pct: float = 70.0
    peak_percentile: float = 100.0
    gpu_idle_pct: float = 10.0
    min_hours_of_data: int = 1
    min_saving_pct: float = 10.0
    min_monthly_usd: float = 5.0
    allow_burstable: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 63:
            raise ValueError("days must be between 1 and 63 (CloudWatch keeps 5-minute data 63 days)")
        if not 10 <= self.target_peak_pct <= 100:
            raise ValueError("target_peak_pct must be between 10 and 100")
        if not 50 <= self.peak_percentile <= 100:
            raise ValueError("peak_percentile must be between 50 and 100")
        if not 0 <= self.gpu_idle_pct <= 100:
            raise ValueError("gpu_idle_pct must be between 0 and 100")
        if not 1 <= self.min_hours_of_data <= self.days * 24:
            raise ValueError("min_hours_of_data must be between 1 and days x 24")
        if not 0 <= self.min_saving_pct < 100:
            raise ValueError("min_saving_pct must be between 0 and 100")
        if self.min_monthly_usd < 0:
            raise ValueError("min_monthly_usd cannot be negative")

    @property
    def headroom(self) -> float:
        return self.target_peak_pct / 100

    def worth_it(self, current_usd: float, saving_usd: float, monthly_saving_usd: float) -> bool:
        """Whether a saving is large enough to report."""
        return (saving_usd > 0 and monthly_saving_usd >= self.min_monthly_usd
                and saving_usd >= current_usd * self.min_saving_pct / 100)


# -- windows, keys and queries ------------------------------------------------------------------------

def window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The look-back window, on whole hours so that every sizing rule shares it (and its GetMetricData calls)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(days=days), end


def metric_key(prefix: str, resource: Resource, part: str, metric: str) -> str:
    return f"{prefix}/{resource.arn}/{part}/{metric}"


@cache
def _shapes() -> Catalog:
    """Instance shapes for building queries (the bundled snapshot; shapes do not depend on prices)."""
    return load_catalog(use_cache=False)


def shape(name: str | None, catalog: Catalog | None = None) -> InstanceType | None:
    """The instance type called `name`, or None when unknown."""
    if not name:
        return None
    try:
        return (catalog or _shapes()).instance(name)
    except CatalogError:
        return None


def utilization_period(peak_percentile: float) -> int:
    """The Period of utilization maxima: when the peak is the highest maximum, 6-hour maxima give the same
    peak from a sixth of the datapoints; a percentile of hourly maxima needs the hourly ones."""
    return PEAK_PERIOD_S if peak_percentile >= 100 else PERIOD_S


def endpoint_queries(prefix: str, resource: Resource, now: datetime, days: int, *,
                     utilization: bool = True, latency: bool = False,
                     peak_percentile: float = 100.0) -> list[MetricQuery]:
    """Queries for every instance-backed variant: hourly invocation sums (and latency), and utilization maxima
    at `utilization_period`."""
    start, end = window(now, days)
    util_period = utilization_period(peak_percentile)
    out = []
    for v in resource.variants:
        if not v.instance_type:
            continue
        dims = (("EndpointName", resource.name), ("VariantName", v.name))

        def q(namespace: str, metric: str, stat: str, dims: tuple[tuple[str, str], ...] = dims,
              part: str = v.name) -> MetricQuery:
            period = util_period if namespace == ENDPOINT_NAMESPACE else PERIOD_S
            return MetricQuery(metric_key(prefix, resource, part, metric), namespace, metric, dims, stat, period,
                               start, end)

        out.append(q(INVOCATION_NAMESPACE, "Invocations", "Sum"))
        if latency:
            out.append(q(INVOCATION_NAMESPACE, "ModelLatency", "Average"))
        if utilization:
            out += [q(ENDPOINT_NAMESPACE, "CPUUtilization", "Maximum"),
                    q(ENDPOINT_NAMESPACE, "MemoryUtilization", "Maximum")]
            t = shape(v.instance_type)
            if t is not None and t.has_gpu:
                out += [q(ENDPOINT_NAMESPACE, "GPUUtilization", "Maximum"),
                        q(ENDPOINT_NAMESPACE, "GPUMemoryUtilization", "Maximum")]
    return out


def job_queries(prefix: str, resource: Resource, now: datetime, days: int) -> list[MetricQuery]:
    """Hourly maxima of every host of a training or processing job (`Host` = JOB/algo-N)."""
    namespace = JOB_NAMESPACES.get(resource.kind)
    if namespace is None or not resource.instance_type:
        return []
    start, end = window(now, days)
    t = shape(resource.instance_type)
    metrics = ["CPUUtilization", "MemoryUtilization"]
    if t is not None and t.has_gpu:
        metrics += ["GPUUtilization", "GPUMemoryUtilization"]
    return [MetricQuery(metric_key(prefix, resource, f"algo-{i}", m), namespace, m,
                        (("Host", f"{resource.name}/algo-{i}"),), "Maximum", PERIOD_S, start, end)
            for i in range(1, max(1, resource.instance_count) + 1) for m in metrics]


def profile_queries(resource: Resource, now: datetime, params: SizingParams | None = None,
                    prefix: str = "rightsize") -> list[MetricQuery]:
    """What `explain` reads for one resource; none for kinds that publish no utilization."""
    p = params or SizingParams()
    if resource.kind is Kind.ENDPOINT:
        return endpoint_queries(prefix, resource, now, p.days, peak_percentile=p.peak_percentile)
    days = p.days
    return job_queries(prefix, resource, now, days)


# -- profiles ----------------------------------------------------------------------------------------

def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Profile:
    """Observed peaks of a group of identical instances: one endpoint variant, or one job's hosts.

    Utilization is of the busiest instance; GPUs and vCPUs are counted busy (a peak of 150 % CPU is 1.5 vCPUs).
    """

    instance_type: str
    count: int
    hours: int
    cpu_busy: float | None
    memory_gib: float | None
    gpu_busy: float | None = None
    gpu_memory_gib: float | None = None
    invocations_per_minute: float | None = None

    def to_json(self) -> JsonObject:
        def r(x: float | None, n: int = 2) -> float | None:
            return None if x is None else round(x, n)

        return {"instance_type": self.instance_type, "instance_count": self.count, "hours_of_data": self.hours,
                "peak_vcpus_busy": r(self.cpu_busy), "peak_memory_gib": r(self.memory_gib),
                "peak_gpus_busy": r(self.gpu_busy), "peak_gpu_memory_gib": r(self.gpu_memory_gib),
                "peak_invocations_per_minute": r(self.invocations_per_minute, 1)}


def _peak(metrics: Mapping[str, MetricSeries], key: str, pct: float) -> float | None:
    series = metrics.get(key)
    return percentile(series.values, pct) if series is not None else None


def variant_profile(metrics: Mapping[str, MetricSeries], prefix: str, resource: Resource, variant: str,
                    instance: InstanceType, count: int, pct: float) -> Profile:
    """The peaks of one endpoint variant from `endpoint_queries` results."""
    def peak(metric: str) -> float | None:
        return _peak(metrics, metric_key(prefix, resource, variant, metric), pct)

    cpu, mem, gpu, gpu_mem = (peak(m) for m in ("CPUUtilization", "MemoryUtilization", "GPUUtilization",
                                                 "GPUMemoryUtilization"))
    invocations = metrics.get(metric_key(prefix, resource, variant, "Invocations"), MetricSeries())
    hourly_max = max(invocations.values, default=0.0)
    per_gpu_gib = instance.accelerator.memory_gib / instance.accelerator.count if instance.accelerator else 0.0
    buckets = len(metrics.get(metric_key(prefix, resource, variant, "CPUUtilization"), MetricSeries()).values)
    hours = buckets * utilization_period(pct) // 3600
    return Profile(instance.name, count, hours, None if cpu is None else cpu / 100,
                   None if mem is None else mem / 100 * instance.memory_gib,
                   None if gpu is None else gpu / 100, None if gpu_mem is None else gpu_mem / 100 * per_gpu_gib,
                   hourly_max / 60)


def job_profile(metrics: Mapping[str, MetricSeries], prefix: str, resource: Resource, instance: InstanceType,
                pct: float) -> Profile:
    """The peaks of a job's busiest host from `job_queries` results."""
    per_gpu_gib = instance.accelerator.memory_gib / instance.accelerator.count if instance.accelerator else 0.0
    count = max(1, resource.instance_count)

    def peak(metric: str) -> float | None:
        peaks = [p for i in range(1, count + 1)
                 if (p := _peak(metrics, metric_key(prefix, resource, f"algo-{i}", metric), pct)) is not None]
        return max(peaks) if peaks else None

    cpu, mem, gpu, gpu_mem = (peak(m) for m in ("CPUUtilization", "MemoryUtilization", "GPUUtilization",
                                                 "GPUMemoryUtilization"))
    hours = max((len(metrics.get(metric_key(prefix, resource, f"algo-{i}", "CPUUtilization"),
                                 MetricSeries()).values) for i in range(1, count + 1)), default=0)
    return Profile(instance.name, count, hours, None if cpu is None else cpu / 100,
                   None if mem is None else mem / 100 * instance.memory_gib,
                   None if gpu is None else gpu / 100, None if gpu_mem is None else gpu_mem / 100 * per_gpu_gib)


# -- what a candidate must provide --------------------------------------------------------------------

@dataclass(frozen=True)
class Need:
    """What the observed peaks require of a candidate, headroom included."""

    vcpus: float  # across the group
    memory_gib: float  # per instance
    gpu: GpuUse
    gpu_units: float = 0.0  # across the group, in V100s
    gpu_memory_gib: float | None = None  # across the group; None: unknown
    gpu_memory_per_gpu_gib: float | None = None  # when unknown: what one GPU holds today
    invocations_per_minute: float | None = None
    max_invocations_per_instance: float | None = None

    def to_json(self) -> JsonObject:
        return {"vcpus": round(self.vcpus, 2), "memory_gib_per_instance": round(self.memory_gib, 2),
                "gpu": self.gpu, "gpu_units_v100": round(self.gpu_units, 2),
                "gpu_memory_gib": None if self.gpu_memory_gib is None else round(self.gpu_memory_gib, 2)}


def gpu_use(profile: Profile, instance: InstanceType, params: SizingParams) -> GpuUse | None:
    """Whether the GPUs are used, unused, or absent; None when a GPU type has no GPU metrics."""
    if not instance.has_gpu:
        return "none"
    if profile.gpu_busy is None:
        return None
    return "unused" if profile.gpu_busy / instance.gpu_count * 100 < params.gpu_idle_pct else "used"


def need_of(profile: Profile, instance: InstanceType, params: SizingParams,
            max_invocations_per_instance: float | None = None) -> Need | None:
    """What the peaks need; None when a metric the sizing depends on is missing (the resource stays unjudged)."""
    use = gpu_use(profile, instance, params)
    if profile.cpu_busy is None or profile.memory_gib is None or use is None:
        return None
    if instance.accelerator is not None and not instance.has_gpu:
        return None  # Inferentia, Trainium, Gaudi: no utilization metrics to size them by
    h = params.headroom
    memory = profile.memory_gib
    if use == "unused" and profile.gpu_memory_gib is not None:
        memory += profile.gpu_memory_gib  # the model moves from GPU memory to the host's
    units, gpu_mem, per_gpu = 0.0, None, None
    if use == "used" and instance.accelerator is not None:
        score = GPU_SCORE.get(instance.accelerator.model, 1.0)
        units = profile.gpu_busy * score * profile.count / h if profile.gpu_busy is not None else 0.0
        if profile.gpu_memory_gib is not None:
            gpu_mem = profile.gpu_memory_gib * profile.count / h
        else:
            per_gpu = instance.accelerator.memory_gib / instance.accelerator.count
    return Need(vcpus=profile.cpu_busy * profile.count / h, memory_gib=memory / h, gpu=use, gpu_units=units,
                gpu_memory_gib=gpu_mem, gpu_memory_per_gpu_gib=per_gpu,
                invocations_per_minute=profile.invocations_per_minute,
                max_invocations_per_instance=max_invocations_per_instance)


# -- candidates --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    """One candidate: a type and count, its price, and whether the peaks fit it (and why not)."""

    instance_type: str
    count: int
    usd_per_hour: float
    fits: bool
    why_not: tuple[str, ...] = ()
    cpu_pct: float | None = None  # projected peak, percent of capacity
    memory_pct: float | None = None
    gpu_pct: float | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.count} x {self.instance_type}"

    def to_json(self) -> JsonObject:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 1)

        doc: JsonObject = {
            "instance_type": self.instance_type, "instance_count": self.count,
            "usd_per_hour": round(self.usd_per_hour, 4), "usd_per_month": round(self.usd_per_hour * HOURS_PER_MONTH, 2),
            "fits": self.fits, "projected_peak_pct": {"cpu": r(self.cpu_pct), "memory": r(self.memory_pct),
                                                      "gpu": r(self.gpu_pct)},
        }
        if self.why_not:
            doc["why_not"] = list(self.why_not)
        if self.note:
            doc["note"] = self.note
        return doc


def hourly_price(catalog: Catalog, instance_type: str, region: str, usage: Usage) -> float | None:
    """On-demand USD per instance-hour; None when the type is not sold for the usage (or is unknown)."""
    where = region if region in catalog.regions() else "us-east-1"
    try:
        return catalog.price(instance_type, where, usage).usd
    except CatalogError:
        return None


def _ceil(x: float) -> int:
    return max(0, math.ceil(x - 1e-9))


def option_for(t: InstanceType, need: Need, usd_per_instance_hour: float, min_count: int, max_count: int,
               headroom: float, *, note: str = "", check_gpu: bool = True) -> Option:
    """The fewest instances of `t` (within min..max) that hold the need, or why none does."""
    why: list[str] = []
    h = headroom
    if need.memory_gib > t.memory_gib + 1e-9:
        why.append(f"memory: {need.memory_gib * h:.1f} GiB in use needs {need.memory_gib:.1f} GiB, "
                   f"it has {t.memory_gib:g}")
    counts = {"availability": min_count, "CPU": _ceil(need.vcpus / t.vcpu)}
    gpu_capacity = 0.0
    if check_gpu and need.gpu == "used":
        acc = t.accelerator
        score = GPU_SCORE.get(acc.model) if acc is not None and t.has_gpu else None
        if acc is None or score is None:
            why.append("no GPU of known throughput")
        else:
            gpu_capacity = acc.count * score
            counts["GPU"] = _ceil(need.gpu_units / gpu_capacity)
            if need.gpu_memory_gib is not None:
                counts["GPU memory"] = _ceil(need.gpu_memory_gib / acc.memory_gib)
            elif need.gpu_memory_per_gpu_gib is not None and acc.memory_gib / acc.count < need.gpu_memory_per_gpu_gib:
                why.append(f"GPU memory: {acc.memory_gib / acc.count:g} GiB a GPU, less than the "
                           f"{need.gpu_memory_per_gpu_gib:g} GiB the model has now (its use is not published)")
    if need.invocations_per_minute and need.max_invocations_per_instance:
        counts["invocations"] = _ceil(need.invocations_per_minute / need.max_invocations_per_instance)
    count = max(1, *counts.values())
    if count > max_count:
        dims = ", ".join(f"{k} {n}" for k, n in counts.items() if n > max_count)
        why.append(f"needs {count} instances ({dims}), more than {max_count}")
        count = max_count
    busy = need.vcpus * h
    return Option(
        t.name, count, usd_per_instance_hour * count, not why, tuple(why),
        cpu_pct=busy / (t.vcpu * count) * 100,
        memory_pct=need.memory_gib * h / t.memory_gib * 100,
        gpu_pct=need.gpu_units * h / (gpu_capacity * count) * 100 if gpu_capacity else None,
        note=note,
    )


def eligible(catalog: Catalog, usage: Usage, arch: str, gpu: GpuUse, allow_burstable: bool) -> list[InstanceType]:
    """Types a resource may move to: valid for the usage, same architecture, of the right families."""
    cpu_families = CPU_CATEGORIES | ({BURSTABLE_CATEGORY} if allow_burstable else set())
    out = []
    for t in catalog.types():
        if usage.value not in t.usages or t.arch != arch:
            continue
        if gpu == "used":
            if t.category in GPU_CATEGORIES and t.has_gpu and t.accelerator and t.accelerator.model in GPU_SCORE:
                out.append(t)
        elif t.category in cpu_families and t.accelerator is None:
            out.append(t)
    return out


@dataclass(frozen=True)
class Choice:
    """The outcome of a sizing: the current option, the winner, and every candidate weighed."""

    usage: Usage
    need: Need
    current: Option
    best: Option | None
    considered: tuple[Option, ...]
    alternatives: tuple[Option, ...] = ()

    @property
    def changes(self) -> bool:
        return self.best is not None and (self.best.instance_type, self.best.count) != (
            self.current.instance_type, self.current.count)

    @property
    def saving_per_hour(self) -> float:
        """What the winner saves an hour; 0 when it is what runs now or costs more (an overloaded resource)."""
        if self.best is None or not self.changes:
            return 0.0
        return max(0.0, self.current.usd_per_hour - self.best.usd_per_hour)

    def why(self, headroom_pct: float) -> str:
        """Why the winner wins, in a sentence or two."""
        if self.best is None:
            return f"no candidate keeps the peaks under {headroom_pct:g} % of its capacity"
        cheaper = [o for o in self.considered if o.usd_per_hour < self.best.usd_per_hour and not o.fits]
        head = (f"{self.best.label} at ${self.best.usd_per_hour:.4f}/h is the cheapest option that keeps the "
                f"peaks under {headroom_pct:g} % of its capacity")
        if not self.changes:
            head += "; it is what runs now"
        elif self.best.usd_per_hour > self.current.usd_per_hour:
            head += (f"; it costs more than {self.current.label}, whose peaks exceed {headroom_pct:g} % "
                     "(no saving here, but a risk to latency)")
        if cheaper:
            shown = "; ".join(f"{o.label}: {o.why_not[0]}" for o in cheaper[:3])
            head += f". {len(cheaper)} cheaper option(s) do not fit ({shown}{'; …' if len(cheaper) > 3 else ''})"
        return head + "."

    def to_json(self, limit: int = 12) -> JsonObject:
        return {"usage": self.usage.value, "need": self.need.to_json(), "current": self.current.to_json(),
                "recommended": self.best.to_json() if self.best else None,
                "saving_usd_per_hour": round(self.saving_per_hour, 4),
                "candidates": [o.to_json() for o in self.considered[:limit]],
                "alternatives": [o.to_json() for o in self.alternatives]}


def choose(need: Need, current: InstanceType, current_count: int, catalog: Catalog, region: str, usage: Usage,
           params: SizingParams, *, min_count: int, max_count: int,
           inferentia_alternative: bool = False) -> Choice | None:
    """Weigh every eligible type against the need; None when the current type has no price for the usage."""
    own = hourly_price(catalog, current.name, region, usage)
    if own is None:
        return None
    h = params.headroom
    current_opt = option_for(current, need, own, current_count, current_count, h,
                             check_gpu=need.gpu == "used")
    options = [current_opt]
    for t in eligible(catalog, usage, current.arch, need.gpu, params.allow_burstable):
        if t.name == current.name:
            continue
        price = hourly_price(catalog, t.name, region, usage)
        if price is not None:
            options.append(option_for(t, need, price, min_count, max_count, h))
    if need.gpu != "unused":  # the same type on fewer instances
        options.append(option_for(current, need, own, min_count, max_count, h))

    def rank(o: Option) -> tuple[float, int, int, str]:
        return (round(o.usd_per_hour, 6), o.instance_type != current.name, o.count, o.instance_type)

    ranked = sorted({(o.instance_type, o.count): o for o in options}.values(), key=rank)
    best = next((o for o in ranked if o.fits), None)
    alternatives: tuple[Option, ...] = ()
    if inferentia_alternative:
        alternatives = tuple(_inferentia(need, catalog, region, usage, current.arch, min_count, max_count, h))
    return Choice(usage, need, current_opt, best, tuple(ranked), alternatives)


def _inferentia(need: Need, catalog: Catalog, region: str, usage: Usage, arch: str, min_count: int,
                max_count: int, headroom: float) -> Iterable[Option]:
    """The cheapest Inferentia type that holds the CPU, memory and (GPU) memory need."""
    best: Option | None = None
    for t in catalog.types():
        acc = t.accelerator
        if acc is None or acc.kind != INFERENTIA or usage.value not in t.usages or t.arch != arch:
            continue
        price = hourly_price(catalog, t.name, region, usage)
        if price is None:
            continue
        o = option_for(t, need, price, min_count, max_count, headroom, check_gpu=False,
                       note="needs the model compiled with AWS Neuron; benchmark it before switching")
        if need.gpu_memory_gib is not None and acc.memory_gib * o.count < need.gpu_memory_gib:
            continue
        if o.fits and (best is None or o.usd_per_hour < best.usd_per_hour):
            best = o
    if best is not None:
        yield best


# -- jobs ----------------------------------------------------------------------------------------------

def job_hours(resource: Resource, now: datetime) -> float | None:
    """Billed instance-hours per instance of a job: BillableTimeInSeconds when it has ended (spot included),
    else its run time so far (or in all)."""
    d = resource.details_as(JobDetails)
    if d is None:
        return None
    if d.billable_s:
        return float(d.billable_s) / 3600
    started = parse_time(d.started)
    ended = parse_time(d.ended) or (now if resource.status == "InProgress" else None)
    if started is None or ended is None:
        return None
    return max(0.0, (ended - started).total_seconds() / 3600)


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def per_month(usd_in_window: float, days: int) -> float:
    """A cost seen over a look-back of `days`, as a 730-hour month at the same rate."""
    return usd_in_window * HOURS_PER_MONTH / (days * 24)


def job_window_days(resource: Resource, params_days: int) -> int:
    """The window a job's cost is spread over: the rule's look-back, not more than the history collected."""
    d = resource.details_as(JobDetails)
    collected = d.lookback_days if d else None
    return min(params_days, collected) if collected else params_days


# -- the explanation behind `sagetrim rightsize NAME` --------------------------------------------------

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


# -- jobs as the job rules see them --------------------------------------------------------------------

def recent_jobs(resources: Iterable[Resource], kind: Kind, now: datetime, days: int) -> list[Resource]:
    """Jobs of `kind` that ended within the look-back (from the scan's history) or are running now."""
    since = now - timedelta(days=days)
    out = []
    for r in resources:
        if r.kind is not kind or not r.instance_type:
            continue
        d = r.details_as(JobDetails)
        if r.status == "InProgress" or (d is not None and d.finished and r.status in ("Completed", "Stopped")
                                        and (r.created is None or r.created >= since)):
            out.append(r)
    return out


@dataclass(frozen=True)
class JobResize:
    """A job's sizing: its profile, the choice, its billed hours and the saving spread over a month."""

    instance: InstanceType
    profile: Profile
    choice: Choice
    hours: float
    window_days: int
    monthly_saving_usd: float

    def evidence(self, params: SizingParams) -> JsonObject:
        assert self.choice.best is not None
        return {
            "window_days": self.window_days, "target_peak_pct": params.target_peak_pct,
            "peak": "highest hourly maximum of any host" if params.peak_percentile >= 100
            else f"p{params.peak_percentile:g} of hourly maxima of the busiest host",
            "profile": self.profile.to_json(), "gpu": self.choice.need.gpu,
            "current": self.choice.current.label, "recommended": self.choice.best.label,
            "projected_peak_pct": self.choice.best.to_json()["projected_peak_pct"],
            "usd_per_hour_now": round(self.choice.current.usd_per_hour, 4),
            "usd_per_hour_after": round(self.choice.best.usd_per_hour, 4),
            "billed_hours": round(self.hours, 2),
            "usd_per_run_now": round(self.choice.current.usd_per_hour * self.hours, 2),
            "usd_per_run_after": round(self.choice.best.usd_per_hour * self.hours, 2),
            "why": self.choice.why(params.target_peak_pct),
            "assumptions": [*ASSUMPTIONS, f"jobs like this one recur at the rate of the last {self.window_days} days",
                            "a host that is not saturated runs as fast on a smaller type that holds its peak"],
        }


def size_job(resource: Resource, metrics: Mapping[str, MetricSeries], catalog: Catalog, region: str,
             usage: Usage, params: SizingParams, prefix: str, now: datetime, *,
             need: Need | None = None) -> JobResize | None:
    """Size one job at its instance count; None when it cannot be judged or nothing cheaper fits.

    `need` overrides what the metrics would give (e.g. a GPU known to be useless)."""
    instance = shape(resource.instance_type, catalog)
    if instance is None:
        return None
    profile = job_profile(metrics, prefix, resource, instance, params.peak_percentile)
    if need is None:
        if profile.hours < params.min_hours_of_data:
            return None
        need = need_of(profile, instance, params)
    hours = job_hours(resource, now)
    if need is None or not hours:
        return None
    choice = choose(need, instance, profile.count, catalog, region, usage, params, min_count=profile.count,
                    max_count=profile.count)
    if choice is None or choice.best is None or not choice.changes:
        return None
    days = job_window_days(resource, params.days)
    monthly = per_month(choice.saving_per_hour * hours, days)
    if not params.worth_it(choice.current.usd_per_hour, choice.saving_per_hour, monthly):
        return None
    return JobResize(instance, profile, choice, hours, days, monthly)
