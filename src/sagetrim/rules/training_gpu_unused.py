"""training-gpu-unused: training jobs on GPU instances whose code cannot use, or did not use, the GPU.

Two kinds of evidence. Measured: the busiest host's `GPUUtilization` (`/aws/sagemaker/TrainingJobs`, summed
over GPUs) peaked under `gpu_idle_pct` per GPU. Known from the job: scikit-learn runs on CPUs only; the
built-in XGBoost uses a GPU only with `tree_method=gpu_hist` or `device=cuda`; an image tagged as a CPU build
has no GPU libraries. A measured GPU peak at or above the threshold overrides what the image suggests.
The recommendation is the cheapest CPU type that holds the job's CPU and memory peaks with headroom (or, with
no utilization data, at least its vCPUs and memory) at the same count; the saving is the price difference
over its billed hours, spread over a month at the look-back's rate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sagetrim.aws.metrics import MetricQuery
from sagetrim.catalog import Catalog, InstanceType, Usage
from sagetrim.inventory.details import JobDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.rules import sizing
from sagetrim.rules.context import RuleContext, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="training-gpu-unused", title="GPU training instances whose GPU goes unused",
                severity=Severity.HIGH, kind=Kind.TRAINING.value, action=Action.NOTIFY)
CPU_TAG = re.compile(r"(^|[-_.])cpu([-_.]|$)")


@dataclass(frozen=True)
class Params(sizing.SizingParams):
    """Sizing settings (see `rules.sizing.SizingParams`); `gpu_idle_pct` is the per-GPU peak under which a GPU
    counts as unused, and `days` also how far back finished jobs are read."""

    min_monthly_usd: float = 1.0


def history_days(params: Params) -> int:
    return params.days


def cannot_use_gpu(image: str, algorithm: str = "", gpu_settings: Mapping[str, str] | None = None) -> str | None:
    """Why the job's code cannot use a GPU, judging by its image, algorithm and hyperparameters; or None."""
    repo, _, tag = image.rsplit("/", 1)[-1].lower().partition(":")
    settings = {k.lower(): str(v).lower() for k, v in (gpu_settings or {}).items()}
    if "scikit-learn" in repo or "sklearn" in repo:
        return "scikit-learn runs on CPUs only"
    if "xgboost" in repo or "xgboost" in algorithm.lower():
        if settings.get("tree_method") != "gpu_hist" and not settings.get("device", "").startswith(("cuda", "gpu")):
            return "XGBoost uses a GPU only with tree_method=gpu_hist or device=cuda, and this job set neither"
        return None
    if CPU_TAG.search(tag):
        return f"its image {repo}:{tag} is a CPU build, without GPU libraries"
    return None


def _gpu_jobs(resources: list[Resource], now: datetime, days: int,
              catalog: Catalog) -> Iterator[tuple[Resource, InstanceType]]:
    for r in sizing.recent_jobs(resources, Kind.TRAINING, now, days):
        t = sizing.shape(r.instance_type, catalog)
        if t is not None and t.has_gpu:
            yield r, t


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    """Hourly maxima of every host of every recent GPU training job."""
    out: list[MetricQuery] = []
    for r, _ in _gpu_jobs(resources, now, params.days, catalog):
        out += sizing.job_queries(META.id, r, now, params.days, catalog)
    return out


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r, t in _gpu_jobs(ctx.resources, ctx.now, params.days, ctx.catalog):
        d = r.details_as(JobDetails)
        if d is None:
            continue
        known = cannot_use_gpu(d.image, d.algorithm, d.gpu_settings)
        profile = sizing.job_profile(ctx.metrics, META.id, r, t, params.peak_percentile)
        measured = profile.gpu_busy is not None and profile.hours >= params.min_hours_of_data
        peak_pct = (profile.gpu_busy or 0) / t.gpu_count * 100
        if measured and peak_pct >= params.gpu_idle_pct:
            continue  # the GPU did work, whatever the image suggests
        if not measured and known is None:
            continue  # no evidence either way
        reasons = []
        if measured:
            reasons.append(f"its GPUs peaked at {peak_pct:.1f} % (under {params.gpu_idle_pct:g} %)")
        if known:
            reasons.append(known)
        need = _need(profile, t, params)
        resize = sizing.size_job(r, ctx.metrics, ctx.catalog, ctx.region, Usage.TRAINING, params, META.id, ctx.now,
                                 need=need)
        if resize is None or resize.choice.best is None:
            continue
        evidence = resize.evidence(params)
        evidence.update({"gpu_peak_pct_per_gpu": round(peak_pct, 1) if measured else None,
                         "image": d.image if d.finished else None, "algorithm": d.algorithm or None,
                         "gpu_settings": dict(d.gpu_settings or {}), "reasons": [*reasons]})
        best = resize.choice.best
        yield Finding(
            rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
            severity=severity_for(resize.monthly_saving_usd), monthly_savings_usd=resize.monthly_saving_usd,
            evidence=evidence,
            message=(f"runs on {r.instance_count} x {t.name} ({t.gpu_count} GPU each) but {'; '.join(reasons)}; "
                     f"{best.label} costs ${best.usd_per_hour * resize.hours:,.2f} a run instead of "
                     f"${resize.choice.current.usd_per_hour * resize.hours:,.2f} (about "
                     f"${resize.monthly_saving_usd:,.2f} a month at the last {resize.window_days} days' rate)"),
            action=META.action, details={"candidates": [o.to_json() for o in resize.choice.considered[:8]]},
        )


def _need(profile: sizing.Profile, t: InstanceType, params: Params) -> sizing.Need:
    """CPU and memory peaks with headroom when measured, else at least the current vCPUs and memory; no GPU."""
    if profile.cpu_busy is not None and profile.memory_gib is not None and profile.hours >= params.min_hours_of_data:
        return sizing.Need(vcpus=profile.cpu_busy * profile.count / params.headroom,
                           memory_gib=(profile.memory_gib + (profile.gpu_memory_gib or 0)) / params.headroom,
                           gpu="unused")
    return sizing.Need(vcpus=float(t.vcpu * profile.count), memory_gib=t.memory_gib, gpu="unused")


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries, history_days=history_days)
