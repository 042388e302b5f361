"""Utilization profiles: the observed peaks of a group of identical instances, from the queries' results."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sagetrim.aws.metrics import MetricSeries
from sagetrim.catalog import InstanceType
from sagetrim.inventory.model import Resource
from sagetrim.json_types import JsonObject
from sagetrim.rules.context import checked
from sagetrim.rules.sizing.queries import metric_key, utilization_period


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


def _series(metrics: Mapping[str, MetricSeries], key: str) -> MetricSeries:
    """The series under `key` (empty when it was not queried, e.g. GPU metrics of a CPU instance).

    Raises:
        MetricUnavailableError: CloudWatch failed the query.
    """
    series = metrics.get(key)
    return MetricSeries() if series is None else checked(key, series)


def _peak(metrics: Mapping[str, MetricSeries], key: str, pct: float) -> float | None:
    return percentile(_series(metrics, key).values, pct)


def variant_profile(metrics: Mapping[str, MetricSeries], prefix: str, resource: Resource, variant: str,
                    instance: InstanceType, count: int, pct: float) -> Profile:
    """The peaks of one endpoint variant from `endpoint_queries` results."""
    def peak(metric: str) -> float | None:
        return _peak(metrics, metric_key(prefix, resource, variant, metric), pct)

    cpu, mem, gpu, gpu_mem = (peak(m) for m in ("CPUUtilization", "MemoryUtilization", "GPUUtilization",
                                                 "GPUMemoryUtilization"))
    invocations = _series(metrics, metric_key(prefix, resource, variant, "Invocations"))
    hourly_max = max(invocations.values, default=0.0)
    per_gpu_gib = instance.accelerator.memory_gib / instance.accelerator.count if instance.accelerator else 0.0
    buckets = len(_series(metrics, metric_key(prefix, resource, variant, "CPUUtilization")).values)
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
    hours = max((len(_series(metrics, metric_key(prefix, resource, f"algo-{i}", "CPUUtilization")).values)
                 for i in range(1, count + 1)), default=0)
    return Profile(instance.name, count, hours, None if cpu is None else cpu / 100,
                   None if mem is None else mem / 100 * instance.memory_gib,
                   None if gpu is None else gpu / 100, None if gpu_mem is None else gpu_mem / 100 * per_gpu_gib)
