"""Right-sizing: from observed peaks to the cheapest instance type and count that keeps them under a target.

Utilization is read as SageMaker publishes it: `CPUUtilization` and `GPUUtilization` are summed over vCPUs
and GPUs (a 4-vCPU instance runs to 400 %), `MemoryUtilization` is a percent of the instance's memory and
`GPUMemoryUtilization` a percent of one GPU's memory summed over its GPUs. The peak of a metric is a
percentile (by default the maximum) of its hourly maxima over the look-back window; endpoints' utilization is
read as 6-hour maxima when the peak is the highest maximum, which is the same peak. Endpoint metrics
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

The parts: `params` (the shared settings), `queries` (what to read), `profiles` (the peaks read), `choice`
(the candidates and the winner), `explanation` (`sagetrim rightsize NAME`), `jobtime` (a job's billed hours)
and `jobs` (jobs as the job rules see them). The catalog is always passed in.
"""

from __future__ import annotations

from sagetrim.rules.sizing.choice import (
    GPU_SCORE,
    Choice,
    GpuUse,
    Need,
    Option,
    choose,
    eligible,
    gpu_use,
    hourly_price,
    need_of,
    option_for,
)
from sagetrim.rules.sizing.explanation import ASSUMPTIONS, USAGE_OF_KIND, Explanation, PartExplanation, explain
from sagetrim.rules.sizing.jobs import (
    JobResize,
    job_finding,
    oversized_job_queries,
    oversized_jobs,
    recent_jobs,
    size_job,
)
from sagetrim.rules.sizing.jobtime import job_hours, job_window_days, parse_time, per_month
from sagetrim.rules.sizing.params import SizingParams
from sagetrim.rules.sizing.profiles import Profile, job_profile, percentile, variant_profile
from sagetrim.rules.sizing.queries import (
    ENDPOINT_NAMESPACE,
    INVOCATION_NAMESPACE,
    JOB_NAMESPACES,
    PERIOD_S,
    endpoint_queries,
    job_queries,
    metric_key,
    profile_queries,
    utilization_period,
    window,
)
from sagetrim.rules.sizing.shape import shape

__all__ = [
    "ASSUMPTIONS",
    "ENDPOINT_NAMESPACE",
    "GPU_SCORE",
    "INVOCATION_NAMESPACE",
    "JOB_NAMESPACES",
    "PERIOD_S",
    "USAGE_OF_KIND",
    "Choice",
    "Explanation",
    "GpuUse",
    "JobResize",
    "Need",
    "Option",
    "PartExplanation",
    "Profile",
    "SizingParams",
    "choose",
    "eligible",
    "endpoint_queries",
    "explain",
    "gpu_use",
    "hourly_price",
    "job_finding",
    "job_hours",
    "job_profile",
    "job_queries",
    "job_window_days",
    "metric_key",
    "need_of",
    "option_for",
    "oversized_job_queries",
    "oversized_jobs",
    "parse_time",
    "per_month",
    "percentile",
    "profile_queries",
    "recent_jobs",
    "shape",
    "size_job",
    "utilization_period",
    "variant_profile",
    "window",
]
