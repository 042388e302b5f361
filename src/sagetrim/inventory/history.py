"""What the rules read beyond the billed inventory: recent finished jobs, warm pools, and endpoint facts.

The scan lists what bills now. Some findings need the recent past instead: training and processing jobs
of the last N days that have ended (were they on demand, on a GPU, oversized?), and training warm pools kept
alive after their job. Some need facts about endpoints the scan does not read: the container image of
each variant's model (to group endpoints that could share a multi-model endpoint) and whether a variant is
registered with Application Auto Scaling.

Calls, per account and region: one paginated ListTrainingJobs (CreationTimeAfter; AWS filters statuses
after paging, so one unfiltered listing is cheaper than one per status), one ListTrainingJobs
(WarmPoolStatusEquals=Available) for pools of older jobs, one paginated ListProcessingJobs, and a describe
of each finished job, cached by name since a finished job never changes. Endpoint facts cost one
DescribeEndpointConfig per configuration and one DescribeModel per model of the endpoints that could share
a multi-model endpoint (single-variant, real-time, at least a week old), both immutable and cached, and one
paginated DescribeScalableTargets.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.aws.errors import is_not_found
from sagetrim.catalog import Usage
from sagetrim.inventory.collectors import DESCRIBE_WORKERS, RegionScope, job_details
from sagetrim.inventory.details import EndpointDetails, JobForm, ScalingRange, WarmPool
from sagetrim.inventory.model import Kind, Resource

HISTORY_DAYS = 14
ENDED = ("Completed", "Stopped", "Failed")  # each billed the seconds it ran
# Hyperparameters that decide whether a framework uses a GPU (XGBoost's tree_method=gpu_hist, device=cuda).
GPU_HYPERPARAMETERS = frozenset({"tree_method", "device", "gpu_id", "num_gpus", "predictor"})
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
# Endpoints younger than this have too short a traffic history to be grouped; their models are not described.
MIN_ENDPOINT_AGE = timedelta(days=7)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def _extract_training(doc: dict[str, Any]) -> dict[str, Any]:
    rc = doc.get("ResourceConfig", {})
    algorithm = doc.get("AlgorithmSpecification", {})
    hyper = doc.get("HyperParameters") or {}
    return {
        "instance_type": rc.get("InstanceType"), "count": rc.get("InstanceCount", 1),
        "volume_gb": rc.get("VolumeSizeInGB", 0), "keep_alive_s": rc.get("KeepAlivePeriodInSeconds"),
        "spot": bool(doc.get("EnableManagedSpotTraining")), "image": algorithm.get("TrainingImage") or "",
        "algorithm": algorithm.get("AlgorithmName") or "",
        "gpu_settings": {k: str(v) for k, v in hyper.items() if k.lower() in GPU_HYPERPARAMETERS},
        "billable_s": doc.get("BillableTimeInSeconds"), "training_s": doc.get("TrainingTimeInSeconds"),
        "started": _iso(doc.get("TrainingStartTime")), "ended": _iso(doc.get("TrainingEndTime")),
    }


def _extract_processing(doc: dict[str, Any]) -> dict[str, Any]:
    cluster = doc.get("ProcessingResources", {}).get("ClusterConfig", {})
    return {
        "instance_type": cluster.get("InstanceType"), "count": cluster.get("InstanceCount", 1),
        "volume_gb": cluster.get("VolumeSizeInGB", 0), "image": doc.get("AppSpecification", {}).get("ImageUri", ""),
        "started": _iso(doc.get("ProcessingStartTime")), "ended": _iso(doc.get("ProcessingEndTime")),
    }


def _describe(scope: RegionScope, operation: str, param: str,
              extract: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def describe(item: dict[str, Any]) -> dict[str, Any] | None:
        value: dict[str, Any] = extract(getattr(scope.sagemaker, operation)(**{param: item[param]}))
        return value

    return describe


def collect_history(scope: RegionScope, days: int = HISTORY_DAYS) -> list[Resource]:
    """Training and processing jobs created in the last `days` days that have ended (Completed, Stopped or
    Failed), and the training warm pools Available now (only those when `days` is 0).

    Finished jobs no longer bill (`usd_per_hour` 0); a warm pool bills while it is Available. Every record
    has finished `JobDetails` with their `lookback_days`, and is not part of the billed inventory.
    """
    now = scope.pricer.now
    if not days:  # no rule reads the past: only the warm pools, which bill now
        return _training_history(scope, None, days)
    since = now - timedelta(days=days)
    return [*_training_history(scope, since, days), *_processing_history(scope, since, days)]


def _training_history(scope: RegionScope, since: datetime | None, days: int) -> list[Resource]:
    listed = {i["TrainingJobName"]: i for i in scope.paginate("list_training_jobs", "TrainingJobSummaries",
                                                              CreationTimeAfter=since)} if since else {}
    for item in scope.paginate("list_training_jobs", "TrainingJobSummaries", WarmPoolStatusEquals="Available"):
        listed.setdefault(item["TrainingJobName"], item)
    items = [i for i in listed.values() if i.get("TrainingJobStatus") in ENDED]
    details = scope.described("training-history", items, lambda i: i["TrainingJobName"],
                              lambda i: f"{i.get('TrainingEndTime')}|{i.get('TrainingJobStatus')}",
                              _describe(scope, "describe_training_job", "TrainingJobName", _extract_training),
                              Kind.TRAINING.value)
    out = []
    for item in items:
        name = item["TrainingJobName"]
        extra = details.get(name)
        if extra is None:
            continue
        pool = item.get("WarmPoolStatus") or {}
        count = int(extra.get("count") or 1)
        burn = mtd = projected = 0.0
        if pool.get("Status") == "Available":
            rate = scope.pricer.instance(extra.get("instance_type"), Usage.TRAINING, count)
            storage = scope.pricer.storage(float(extra.get("volume_gb") or 0), Usage.TRAINING, count)
            burn = rate.usd_per_hour + storage.usd_per_hour
            retained_h = float(pool.get("ResourceRetainedBillableTimeInSeconds") or 0) / 3600
            left_h = max(0.0, float(extra.get("keep_alive_s") or 0) / 3600 - retained_h)
            mtd, projected = burn * retained_h, burn * (retained_h + left_h)
        out.append(Resource(
            kind=Kind.TRAINING, account=scope.account, region=scope.region, name=name, arn=item["TrainingJobArn"],
            status=item["TrainingJobStatus"], created=item.get("CreationTime"),
            last_modified=item.get("LastModifiedTime"), instance_type=extra.get("instance_type"),
            instance_count=count, usd_per_hour=burn, month_to_date_usd=mtd, projected_month_usd=projected,
            details=job_details(JobForm.FINISHED_TRAINING, extra, lookback_days=days,
                                warm_pool=WarmPool(pool.get("Status"),
                                                   pool.get("ResourceRetainedBillableTimeInSeconds"),
                                                   pool.get("ReusedByJob")) if pool else None),
        ))
    return out


def _processing_history(scope: RegionScope, since: datetime, days: int) -> list[Resource]:
    items = [i for i in scope.paginate("list_processing_jobs", "ProcessingJobSummaries", CreationTimeAfter=since)
             if i.get("ProcessingJobStatus") in ENDED]
    details = scope.described("processing-history", items, lambda i: i["ProcessingJobName"],
                              lambda i: f"{i.get('ProcessingEndTime')}|{i.get('ProcessingJobStatus')}",
                              _describe(scope, "describe_processing_job", "ProcessingJobName", _extract_processing),
                              Kind.PROCESSING.value)
    out = []
    for item in items:
        name = item["ProcessingJobName"]
        extra = details.get(name)
        if extra is None:
            continue
        out.append(Resource(
            kind=Kind.PROCESSING, account=scope.account, region=scope.region, name=name,
            arn=item["ProcessingJobArn"], status=item["ProcessingJobStatus"], created=item.get("CreationTime"),
            last_modified=item.get("LastModifiedTime"), instance_type=extra.get("instance_type"),
            instance_count=int(extra.get("count") or 1),
            details=job_details(JobForm.FINISHED_PROCESSING,
                                {**extra, "ended": extra.get("ended") or _iso(item.get("ProcessingEndTime"))},
                                lookback_days=days),
        ))
    return out


# -- endpoint facts ------------------------------------------------------------------------------------

def endpoint_facts(scope: RegionScope, endpoints: list[Resource],
                   scaled: dict[str, dict[str, ScalingRange]] | None) -> list[Resource]:
    """The endpoints again, with their details' `autoscaling` (their variants' entries in `scaled`, when known)
    and, for those that could share a multi-model endpoint, `images` and `multi_model`."""
    now = scope.pricer.now

    def one(r: Resource) -> Resource:
        d = r.details_as(EndpointDetails)
        if r.kind is not Kind.ENDPOINT or d is None:
            return r
        if scaled is not None:
            d = replace(d, autoscaling=scaled.get(r.name, {}))
        if d.endpoint_config and _may_share(r, d, now):
            names = d.models or _models_of(scope, d.endpoint_config)
            models = [_model(scope, m) for m in names]
            d = replace(d, images=tuple(sorted({m["image"] for m in models if m.get("image")})),
                        multi_model=any(m.get("mode") == "MultiModel" for m in models))
        return replace(r, details=d)

    if not endpoints:
        return []
    with ThreadPoolExecutor(max_workers=min(DESCRIBE_WORKERS, len(endpoints))) as pool:
        return list(pool.map(one, endpoints))


def scalable_targets(autoscaling: Any) -> dict[str, dict[str, ScalingRange]]:
    """Endpoint variants registered with Application Auto Scaling: {endpoint: {variant: its range}}."""
    scaled: dict[str, dict[str, ScalingRange]] = {}
    paginator = autoscaling.get_paginator("describe_scalable_targets")
    for page in paginator.paginate(ServiceNamespace="sagemaker", PaginationConfig={"PageSize": 50}):
        for target in page.get("ScalableTargets", []):
            parts = str(target.get("ResourceId", "")).split("/")
            if target.get("ScalableDimension") == SCALABLE_DIMENSION and len(parts) == 4:
                scaled.setdefault(parts[1], {})[parts[3]] = ScalingRange(target.get("MinCapacity", 0),
                                                                         target.get("MaxCapacity", 0))
    return scaled


Failure = tuple[str, ClientError | BotoCoreError]


def collect_extras(scope: RegionScope, days: int, endpoints: list[Resource],
                   autoscaling: Any | None) -> tuple[list[Resource], list[Resource], list[Failure]]:
    """What the scan adds in one region: the history of `days` days and the warm pools that bill (only those
    for 0), the endpoints with their facts (when endpoints are given), and the parts that failed, which the
    others survive."""
    failures: list[Failure] = []
    history: list[Resource] = []
    try:
        history = collect_history(scope, days)
    except (ClientError, BotoCoreError) as exc:
        failures.append(("history", exc))
    scaled = None
    if autoscaling is not None and endpoints:
        try:
            scaled = scalable_targets(autoscaling)
        except (ClientError, BotoCoreError) as exc:
            failures.append(("autoscaling", exc))  # unknown: no autoscaling advice, the rest goes on
    try:
        endpoints = endpoint_facts(scope, endpoints, scaled)
    except (ClientError, BotoCoreError) as exc:
        failures.append(("endpoint-facts", exc))
    return history, endpoints, failures


def _may_share(r: Resource, d: EndpointDetails, now: datetime) -> bool:
    """Whether an endpoint could join a multi-model endpoint, as far as the scan tells: in service, one
    instance-backed real-time variant, and old enough to have a traffic history to judge."""
    return (r.status == "InService" and len(r.variants) == 1 and bool(r.variants[0].instance_type)
            and not d.asynchronous and not d.serverless
            and r.created is not None and now - r.created >= MIN_ENDPOINT_AGE)


def _models_of(scope: RegionScope, config: str) -> list[str]:
    hit = scope.cache.get("endpoint-config-models", config, "immutable")
    if hit is None:
        try:
            doc = scope.sagemaker.describe_endpoint_config(EndpointConfigName=config)
        except ClientError as exc:
            if is_not_found(exc):
                return []  # deleted since the scan read it: nothing to group by
            raise
        hit = {"models": sorted({v["ModelName"] for v in doc.get("ProductionVariants", []) if v.get("ModelName")})}
        scope.cache.put("endpoint-config-models", config, "immutable", hit)
    return list(hit["models"])


def _model(scope: RegionScope, name: str) -> dict[str, Any]:
    hit = scope.cache.get("model", name, "immutable")
    if hit is None:
        try:
            doc = scope.sagemaker.describe_model(ModelName=name)
        except ClientError as exc:
            if is_not_found(exc):
                return {}
            raise
        container = doc.get("PrimaryContainer") or (doc.get("Containers") or [{}])[0]
        hit = {"image": container.get("Image", ""), "mode": container.get("Mode", "SingleModel")}
        scope.cache.put("model", name, "immutable", hit)
    return hit
