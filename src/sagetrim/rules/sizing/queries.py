"""The CloudWatch queries of right-sizing: one window for every sizing rule, and keys that name what was read."""

from __future__ import annotations

from datetime import datetime, timedelta

from sagetrim.aws.metrics import MetricQuery
from sagetrim.catalog import Catalog
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules.sizing.params import SizingParams
from sagetrim.rules.sizing.shape import shape

ENDPOINT_NAMESPACE = "/aws/sagemaker/Endpoints"
INVOCATION_NAMESPACE = "AWS/SageMaker"
JOB_NAMESPACES = {Kind.TRAINING: "/aws/sagemaker/TrainingJobs", Kind.PROCESSING: "/aws/sagemaker/ProcessingJobs"}
PERIOD_S = 3600
PEAK_PERIOD_S = 6 * 3600


def window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The look-back window, on whole hours so that every sizing rule shares it (and its GetMetricData calls)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(days=days), end


def metric_key(prefix: str, resource: Resource, part: str, metric: str) -> str:
    return f"{prefix}/{resource.arn}/{part}/{metric}"


def utilization_period(peak_percentile: float) -> int:
    """The Period of utilization maxima: when the peak is the highest maximum, 6-hour maxima give the same
    peak from a sixth of the datapoints; a percentile of hourly maxima needs the hourly ones."""
    return PEAK_PERIOD_S if peak_percentile >= 100 else PERIOD_S


def endpoint_queries(prefix: str, resource: Resource, now: datetime, days: int, catalog: Catalog, *,
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
            t = shape(v.instance_type, catalog)
            if t is not None and t.has_gpu:
                out += [q(ENDPOINT_NAMESPACE, "GPUUtilization", "Maximum"),
                        q(ENDPOINT_NAMESPACE, "GPUMemoryUtilization", "Maximum")]
    return out


def job_queries(prefix: str, resource: Resource, now: datetime, days: int, catalog: Catalog) -> list[MetricQuery]:
    """Hourly maxima of every host of a training or processing job (`Host` = JOB/algo-N)."""
    namespace = JOB_NAMESPACES.get(resource.kind)
    if namespace is None or not resource.instance_type:
        return []
    start, end = window(now, days)
    t = shape(resource.instance_type, catalog)
    metrics = ["CPUUtilization", "MemoryUtilization"]
    if t is not None and t.has_gpu:
        metrics += ["GPUUtilization", "GPUMemoryUtilization"]
    return [MetricQuery(metric_key(prefix, resource, f"algo-{i}", m), namespace, m,
                        (("Host", f"{resource.name}/algo-{i}"),), "Maximum", PERIOD_S, start, end)
            for i in range(1, max(1, resource.instance_count) + 1) for m in metrics]


def profile_queries(resource: Resource, now: datetime, catalog: Catalog, params: SizingParams | None = None,
                    prefix: str = "rightsize") -> list[MetricQuery]:
    """What `explain` reads for one resource; none for kinds that publish no utilization."""
    p = params or SizingParams()
    if resource.kind is Kind.ENDPOINT:
        return endpoint_queries(prefix, resource, now, p.days, catalog, peak_percentile=p.peak_percentile)
    return job_queries(prefix, resource, now, p.days, catalog)
