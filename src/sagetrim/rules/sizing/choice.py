"""Choosing an instance type and count: what the peaks need, the eligible candidates, the cheapest that fits."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sagetrim.catalog import Catalog, InstanceType, Usage
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.errors import CatalogError
from sagetrim.json_types import JsonObject
from sagetrim.rules.sizing.params import SizingParams
from sagetrim.rules.sizing.profiles import Profile

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
    """Weigh every eligible type against the need; None when the current type has no price for the usage, or
    there is no instance to resize (an asynchronous endpoint scaled in to zero)."""
    own = hourly_price(catalog, current.name, region, usage)
    if own is None or current_count < 1:
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
