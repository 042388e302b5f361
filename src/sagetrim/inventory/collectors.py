"""One collector per kind of resource: list at the largest page size, describe only what changed.

Collectors read AWS through the clients they are given and return `Resource` records with their
costs. They never act, and they never describe what a list call already returned. A resource deleted
between its list call and its describe is left out and counted in `RegionScope.vanished`, never emitted
with guessed values. A resource whose describe fails for another reason (access denied on that one, an
endpoint whose configuration was deleted) is left out and kept in `RegionScope.failures`; the rest of its
kind is collected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.aws.errors import error_code, is_not_found
from sagetrim.catalog import Usage
from sagetrim.errors import CollectionError
from sagetrim.inventory.costing import Pricer, Rate
from sagetrim.inventory.describe_cache import DescribeCache
from sagetrim.inventory.details import (
    ClusterDetails,
    EndpointDetails,
    InstanceGroup,
    JobDetails,
    JobForm,
    NotebookDetails,
    SpaceDetails,
    StudioAppDetails,
    WarmPool,
)
from sagetrim.inventory.model import Kind, Resource, Variant
from sagetrim.inventory.studio_idle import APP_SETTINGS, idle_shutdown

PAGE_SIZE = 100  # the largest page every SageMaker list call accepts
DESCRIBE_WORKERS = 8


class EndpointConfigMissing(CollectionError):
    """An endpoint whose endpoint configuration was deleted (AWS allows it): it cannot be priced."""


DescribeFailure = ClientError | BotoCoreError | CollectionError


@dataclass(frozen=True)
class ResourceFailure:
    """One listed resource that could not be described (for a reason other than being gone)."""

    kind: str
    name: str
    error: DescribeFailure


@dataclass
class RegionScope:
    """What a collector needs for one account in one region."""

    account: str
    region: str
    sagemaker: Any
    pricer: Pricer
    cache: DescribeCache
    vanished: Counter[str] = field(default_factory=Counter)  # per kind: listed, then gone before described
    failures: list[ResourceFailure] = field(default_factory=list)  # listed, and not described

    def paginate(self, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list call, at the largest page size."""
        paginator = self.sagemaker.get_paginator(operation)
        for page in paginator.paginate(**params, PaginationConfig={"PageSize": PAGE_SIZE}):
            yield from page.get(key, [])

    def described(self, kind: str, items: list[dict[str, Any]], key: Callable[[dict[str, Any]], str],
                  stamp: Callable[[dict[str, Any]], str],
                  describe: Callable[[dict[str, Any]], dict[str, Any] | None],
                  counted_as: str | None = None) -> dict[str, dict[str, Any]]:
        """Extracted describe results per key, from the cache when the stamp matches, else described anew.

        An item whose describe answers "not found" (or returns None) went away after it was listed: it has
        no entry, and it is counted in `vanished` under `counted_as` (by default `kind`). An item whose
        describe fails otherwise has no entry either and is kept in `failures`, unless every item failed with
        the same error: then nothing of the kind could be read and that error is raised.
        """
        out: dict[str, dict[str, Any]] = {}
        todo = []
        for item in items:
            hit = self.cache.get(kind, key(item), stamp(item))
            if hit is not None:
                out[key(item)] = hit
            else:
                todo.append(item)

        def one(item: dict[str, Any]) -> tuple[str, str, dict[str, Any] | DescribeFailure | None]:
            try:
                return key(item), stamp(item), describe(item)
            except (ClientError, BotoCoreError, CollectionError) as exc:
                return key(item), stamp(item), None if is_not_found(exc) else exc

        failed: list[ResourceFailure] = []
        if todo:
            with ThreadPoolExecutor(max_workers=min(DESCRIBE_WORKERS, len(todo))) as pool:
                for k, st, value in pool.map(one, todo):
                    if value is None:
                        self.vanished[counted_as or kind] += 1
                    elif isinstance(value, dict):
                        out[k] = value
                        self.cache.put(kind, k, st, value)
                    else:
                        failed.append(ResourceFailure(counted_as or kind, k, value))
        if (len(failed) > 1 and len(failed) == len(items) and len({error_code(f.error) for f in failed}) == 1
                and not isinstance(failed[0].error, CollectionError)):
            raise failed[0].error  # e.g. no permission to describe the kind at all: one error, not one per item
        self.failures.extend(failed)
        self.cache.retain(kind, {key(i) for i in items})
        return out


def _stamp(item: dict[str, Any], status_key: str) -> str:
    return f"{item.get('LastModifiedTime')}|{item.get(status_key)}"


def _priced(scope: RegionScope, usage: Usage, burn: float, exact: bool, since: datetime | None,
            *rates: Rate | None, **fields: Any) -> Resource:
    """The resource with its dollars; unknown if any of ``rates`` (the parts it bills for) is."""
    unknown = "; ".join(dict.fromkeys(r.unknown for r in rates if r is not None and r.unknown)) or None
    if unknown:
        return Resource(account=scope.account, region=scope.region, price_exact=False, price_unknown=unknown,
                        **fields)
    mtd, projected = scope.pricer.accrue(burn, since)
    return Resource(account=scope.account, region=scope.region, usd_per_hour=burn, month_to_date_usd=mtd,
                    projected_month_usd=projected, price_exact=exact, **fields)


# -- notebook instances -----------------------------------------------------------------------------

def collect_notebooks(scope: RegionScope) -> list[Resource]:
    items = list(scope.paginate("list_notebook_instances", "NotebookInstances"))

    def describe(item: dict[str, Any]) -> dict[str, Any] | None:
        doc = scope.sagemaker.describe_notebook_instance(NotebookInstanceName=item["NotebookInstanceName"])
        return {"volume_gb": doc.get("VolumeSizeInGB", 5), "direct_internet": doc.get("DirectInternetAccess"),
                "platform": doc.get("PlatformIdentifier")}

    details = scope.described("notebook", items, lambda i: i["NotebookInstanceName"],
                              lambda i: _stamp(i, "NotebookInstanceStatus"), describe, Kind.NOTEBOOK.value)
    out = []
    for item in items:
        name = item["NotebookInstanceName"]
        extra = details.get(name)
        if extra is None:
            continue  # gone since it was listed
        status = item["NotebookInstanceStatus"]
        running = status in ("InService", "Pending", "Updating", "Stopping")
        compute = scope.pricer.instance(item.get("InstanceType"), Usage.NOTEBOOK) if running else None
        storage = scope.pricer.storage(float(extra.get("volume_gb") or 0), Usage.NOTEBOOK)
        burn = (compute.usd_per_hour if compute else 0.0) + storage.usd_per_hour
        # The month so far accrues the whole burn rate (compute and storage) since the instance last changed
        # state when it runs, and the storage since its creation when it is stopped.
        since = item.get("LastModifiedTime") if running else item.get("CreationTime")
        out.append(_priced(
            scope, Usage.NOTEBOOK, burn, (compute.exact if compute else True) and storage.exact, since, compute,
            kind=Kind.NOTEBOOK, name=name, arn=item["NotebookInstanceArn"], status=status,
            created=item.get("CreationTime"), last_modified=item.get("LastModifiedTime"),
            instance_type=item.get("InstanceType"), instance_count=1 if running else 0,
            details=NotebookDetails(
                lifecycle_config=item.get("NotebookInstanceLifecycleConfigName"),
                storage_usd_per_hour=round(storage.usd_per_hour, 6), volume_gb=extra["volume_gb"],
                direct_internet=extra.get("direct_internet"), platform=extra.get("platform"),
                described=name in details),
        ))
    return out


# -- Studio apps ------------------------------------------------------------------------------------

def _studio_idle(scope: RegionScope, apps: list[dict[str, Any]]) -> dict[str, tuple[int | None, str] | None]:
    """Studio's idle shutdown of each running JupyterLab or Code Editor app, by app name: one describe per
    domain, user profile and space involved. One that cannot be read leaves its apps without (unknown)."""
    wanted = [a for a in apps if a.get("AppType") in APP_SETTINGS and a.get("Status") in ("InService", "Pending")]
    docs: dict[tuple[str, str, str], dict[str, Any] | None] = {}

    def read(kind: str, domain: str, name: str) -> dict[str, Any] | None:
        if (kind, domain, name) not in docs:
            try:
                if kind == "domain":
                    docs[kind, domain, name] = scope.sagemaker.describe_domain(DomainId=domain)
                elif kind == "user":
                    docs[kind, domain, name] = scope.sagemaker.describe_user_profile(DomainId=domain,
                                                                                     UserProfileName=name)
                else:
                    docs[kind, domain, name] = scope.sagemaker.describe_space(DomainId=domain, SpaceName=name)
            except (ClientError, BotoCoreError):
                docs[kind, domain, name] = None
        return docs[kind, domain, name]

    out: dict[str, tuple[int | None, str] | None] = {}
    for a in wanted:
        domain_id, space_name = a["DomainId"], a.get("SpaceName")
        domain = read("domain", domain_id, "")
        space = read("space", domain_id, space_name) if space_name else None
        owner = a.get("UserProfileName") or ((space or {}).get("OwnershipSettings") or {}).get("OwnerUserProfileName")
        user = read("user", domain_id, owner) if owner else None
        unreadable = (domain is None or (space_name is not None and space is None)
                      or (owner is not None and user is None))
        out[_app_name(a)] = None if unreadable else idle_shutdown(a["AppType"], domain, user, space)
    return out


def _app_name(app: dict[str, Any]) -> str:
    owner = app.get("UserProfileName") or app.get("SpaceName") or ""
    return f"{app['DomainId']}/{owner}/{app['AppType']}/{app['AppName']}"


def collect_studio_apps(scope: RegionScope) -> list[Resource]:
    out = []
    apps = list(scope.paginate("list_apps", "Apps"))
    idle = _studio_idle(scope, apps)
    for app in apps:
        status = app.get("Status", "")
        if status in ("Deleted", "Failed"):
            continue
        owner = app.get("UserProfileName") or app.get("SpaceName") or ""
        spec = app.get("ResourceSpec") or {}
        instance_type = spec.get("InstanceType")
        if instance_type == "system":
            instance_type = None
        running = status in ("InService", "Pending")
        shutdown = idle.get(_app_name(app))
        canvas = app["AppType"] == "Canvas"
        if canvas:  # billed per hour logged in, at the Canvas workspace rate, whatever its resource spec says
            instance_type = None
            rate = scope.pricer.canvas() if running else None
        else:
            rate = scope.pricer.instance(instance_type, Usage.STUDIO) if running else None
        arn = (f"arn:aws:sagemaker:{scope.region}:{scope.account}:app/{app['DomainId']}/{owner}/"
               f"{app['AppType'].lower()}/{app['AppName']}")
        out.append(_priced(
            scope, Usage.STUDIO, rate.usd_per_hour if rate else 0.0, rate.exact if rate else True,
            app.get("CreationTime"), rate,
            kind=Kind.CANVAS_APP if canvas else Kind.STUDIO_APP, name=_app_name(app), arn=arn,
            status=status, created=app.get("CreationTime"), instance_type=instance_type,
            instance_count=1 if running and (instance_type or canvas) else 0,
            details=StudioAppDetails(domain_id=app["DomainId"], user_profile=app.get("UserProfileName"),
                                     space=app.get("SpaceName"), app_type=app["AppType"], app_name=app["AppName"],
                                     idle_shutdown_from=shutdown[1] if shutdown else None,
                                     idle_shutdown_minutes=shutdown[0] if shutdown else None),
        ))
    return out


# -- Studio spaces ----------------------------------------------------------------------------------

def collect_studio_spaces(scope: RegionScope) -> list[Resource]:
    """Each space with an EBS volume of its own (JupyterLab and Code Editor spaces), priced as Studio storage
    for every hour it exists; ListSpaces gives the size, so nothing is described."""
    out = []
    for item in scope.paginate("list_spaces", "Spaces"):
        summary = item.get("SpaceSettingsSummary") or {}
        size = (((summary.get("SpaceStorageSettings") or {}).get("EbsStorageSettings") or {})
                .get("EbsVolumeSizeInGb"))
        if not size or item.get("Status") in ("Deleting", "Failed", "Delete_Failed"):
            continue
        storage = scope.pricer.storage(float(size), Usage.STUDIO)
        name = f"{item['DomainId']}/{item['SpaceName']}"
        owner = (item.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName")
        sharing = (item.get("SpaceSharingSettingsSummary") or {}).get("SharingType")
        out.append(_priced(
            scope, Usage.STUDIO, storage.usd_per_hour, storage.exact, item.get("CreationTime"), storage,
            kind=Kind.STUDIO_SPACE, name=name, arn=f"arn:aws:sagemaker:{scope.region}:{scope.account}:space/{name}",
            status=item.get("Status", ""), created=item.get("CreationTime"),
            last_modified=item.get("LastModifiedTime"),
            details=SpaceDetails(item["DomainId"], owner, summary.get("AppType"), int(size), sharing == "Shared"),
        ))
    return out


# -- endpoints --------------------------------------------------------------------------------------

PROVISIONED_CONCURRENCY_UNKNOWN = ("serverless with provisioned concurrency ({n} x {mb} MB) bills every second it is "
                                   "provisioned, used or not; the catalog has no price for provisioned concurrency")
CONFIG_CACHE_STAMP = "shadow-2"  # cached endpoint configurations that know their shadow variants


def collect_endpoints(scope: RegionScope) -> list[Resource]:
    items = list(scope.paginate("list_endpoints", "Endpoints"))
    configs: dict[str, dict[str, Any]] = {}

    def config(name: str) -> dict[str, Any]:
        if name not in configs:
            # A configuration never changes; the stamp marks entries written since shadow variants are read.
            hit = scope.cache.get("endpoint-config", name, CONFIG_CACHE_STAMP)
            if hit is None:
                doc = scope.sagemaker.describe_endpoint_config(EndpointConfigName=name)
                hit = {
                    "variants": {v["VariantName"]: {
                        "instance_type": v.get("InstanceType"), "initial_count": v.get("InitialInstanceCount", 0),
                        "serverless": v.get("ServerlessConfig"), "model": v.get("ModelName"), "shadow": shadow}
                        for shadow, key in ((False, "ProductionVariants"), (True, "ShadowProductionVariants"))
                        for v in doc.get(key, [])},
                    "async": "AsyncInferenceConfig" in doc,
                }
                scope.cache.put("endpoint-config", name, CONFIG_CACHE_STAMP, hit)
            configs[name] = hit
        return configs[name]

    def endpoint_config(name: str, endpoint: str) -> dict[str, Any]:
        try:
            return config(name)
        except ClientError as exc:
            if not is_not_found(exc):
                raise
            # Asked again, an endpoint deleted with its configuration since it was described answers "not
            # found" itself (it vanished). One that still answers lives on without its configuration, which
            # AWS allows; what its instances are and cost can then not be read.
            scope.sagemaker.describe_endpoint(EndpointName=endpoint)
            raise EndpointConfigMissing(
                f"endpoint {endpoint} still exists but its endpoint configuration {name} was deleted; its "
                "instance types cannot be read (update the endpoint to a new configuration)") from exc

    def describe(item: dict[str, Any]) -> dict[str, Any] | None:
        doc = scope.sagemaker.describe_endpoint(EndpointName=item["EndpointName"])
        cfg = (endpoint_config(doc["EndpointConfigName"], item["EndpointName"]) if doc.get("EndpointConfigName")
               else {"variants": {}})
        variants = []
        # Shadow variants bill like production ones; an endpoint still being created lists neither yet.
        shadows = {v["VariantName"] for v in doc.get("ShadowProductionVariants", [])}
        described = [*doc.get("ProductionVariants", []), *doc.get("ShadowProductionVariants", [])]
        for v in described or [{"VariantName": n} for n in cfg["variants"]]:
            vc = cfg["variants"].get(v["VariantName"], {})
            serverless = v.get("CurrentServerlessConfig") or vc.get("serverless")
            count = v.get("CurrentInstanceCount")
            variants.append({
                "name": v["VariantName"], "instance_type": None if serverless else vc.get("instance_type"),
                "count": 0 if serverless else (count if count is not None else vc.get("initial_count", 0)),
                "serverless_memory_mb": (serverless or {}).get("MemorySizeInMB"),
                "serverless_max_concurrency": (serverless or {}).get("MaxConcurrency"),
                "provisioned_concurrency": (serverless or {}).get("ProvisionedConcurrency"),
                "shadow": v["VariantName"] in shadows or bool(vc.get("shadow")),
            })
        models = sorted({str(v["model"]) for v in cfg["variants"].values() if v.get("model")})
        return {"config": doc.get("EndpointConfigName"), "variants": variants, "models": models,
                "async": bool(doc.get("AsyncInferenceConfig")) or cfg.get("async", False)}

    # "endpoint-2": cached descriptions that know a serverless variant's provisioned concurrency.
    details = scope.described("endpoint-2", items, lambda i: i["EndpointName"],
                              lambda i: _stamp(i, "EndpointStatus"), describe, Kind.ENDPOINT.value)
    out = []
    for item in items:
        name = item["EndpointName"]
        extra = details.get(name)
        if extra is None:
            continue  # gone since it was listed
        status = item["EndpointStatus"]
        # UpdateRollbackFailed: an update failed and so did its rollback; the instances still run and bill.
        billing = status in ("InService", "Updating", "SystemUpdating", "RollingBack", "Creating",
                             "UpdateRollbackFailed")
        variants, exact, rates = [], True, []
        for v in extra["variants"]:
            rate = scope.pricer.instance(v["instance_type"], Usage.HOSTING, v["count"] if billing else 0)
            if billing and v.get("provisioned_concurrency"):
                # Provisioned concurrency bills every second it is provisioned, used or not.
                rate = Rate(0.0, False, PROVISIONED_CONCURRENCY_UNKNOWN.format(
                    n=v["provisioned_concurrency"], mb=v.get("serverless_memory_mb")))
            exact = exact and rate.exact
            rates.append(rate)
            variants.append(Variant(v["name"], v["instance_type"], v["count"], v["serverless_memory_mb"],
                                    v["serverless_max_concurrency"], rate.usd_per_hour, v.get("shadow", False)))
        burn = sum(v.usd_per_hour for v in variants)
        types = {v.instance_type for v in variants if v.instance_type}
        out.append(_priced(
            scope, Usage.HOSTING, burn, exact, item.get("LastModifiedTime") or item.get("CreationTime"), *rates,
            kind=Kind.ENDPOINT, name=name, arn=item["EndpointArn"], status=status,
            created=item.get("CreationTime"), last_modified=item.get("LastModifiedTime"),
            instance_type=types.pop() if len(types) == 1 else ("mixed" if types else None),
            instance_count=sum(v.instance_count for v in variants), variants=tuple(variants),
            details=EndpointDetails(
                endpoint_config=extra.get("config"), models=tuple(extra.get("models", [])),
                asynchronous=extra.get("async", False),
                serverless=bool(variants) and all(v.serverless_memory_mb for v in variants)),
        ))
    return out


# -- jobs -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobSpec:
    """How to list and describe one kind of job, and where its instances are in the describe."""

    kind: Kind
    list_op: str
    list_key: str
    name_key: str
    arn_key: str
    status_key: str
    describe_op: str
    describe_param: str
    extract: Callable[[dict[str, Any]], dict[str, Any]]
    usage: Usage
    form: JobForm


def _training(doc: dict[str, Any]) -> dict[str, Any]:
    rc = doc.get("ResourceConfig", {})
    return {"instance_type": rc.get("InstanceType"), "count": rc.get("InstanceCount", 1),
            "volume_gb": rc.get("VolumeSizeInGB", 0), "spot": bool(doc.get("EnableManagedSpotTraining")),
            "started": str(doc.get("TrainingStartTime") or ""),
            "keep_alive_s": rc.get("KeepAlivePeriodInSeconds")}


def _tuning(doc: dict[str, Any]) -> dict[str, Any]:
    definition = doc.get("TrainingJobDefinition") or (doc.get("TrainingJobDefinitions") or [{}])[0]
    rc = definition.get("ResourceConfig", {})
    limits = doc.get("HyperParameterTuningJobConfig", {}).get("ResourceLimits", {})
    return {"instance_type": rc.get("InstanceType"), "count": rc.get("InstanceCount", 1),
            "max_parallel_jobs": limits.get("MaxParallelTrainingJobs"), "started": ""}


def _processing(doc: dict[str, Any]) -> dict[str, Any]:
    cc = doc.get("ProcessingResources", {}).get("ClusterConfig", {})
    return {"instance_type": cc.get("InstanceType"), "count": cc.get("InstanceCount", 1),
            "volume_gb": cc.get("VolumeSizeInGB", 0), "started": str(doc.get("ProcessingStartTime") or "")}


def _transform(doc: dict[str, Any]) -> dict[str, Any]:
    tr = doc.get("TransformResources", {})
    return {"instance_type": tr.get("InstanceType"), "count": tr.get("InstanceCount", 1),
            "started": str(doc.get("TransformStartTime") or "")}


def job_details(form: JobForm, extracted: dict[str, Any], *, lookback_days: int | None = None,
                warm_pool: WarmPool | None = None) -> JobDetails | None:
    """The record of a job from what its extractor read; None when it was not described."""
    if not extracted:
        return None
    return JobDetails(
        form=form, instance_type=extracted.get("instance_type"), count=extracted.get("count", 1),
        started=extracted.get("started") or "", volume_gb=extracted.get("volume_gb"),
        spot=bool(extracted.get("spot")), keep_alive_s=extracted.get("keep_alive_s"),
        max_parallel_jobs=extracted.get("max_parallel_jobs"), image=extracted.get("image") or "",
        algorithm=extracted.get("algorithm") or "", gpu_settings=extracted.get("gpu_settings"),
        billable_s=extracted.get("billable_s"), training_s=extracted.get("training_s"),
        ended=extracted.get("ended") or "", lookback_days=lookback_days, warm_pool=warm_pool)


JOB_SPECS = {
    Kind.TRAINING: JobSpec(Kind.TRAINING, "list_training_jobs", "TrainingJobSummaries", "TrainingJobName",
                           "TrainingJobArn", "TrainingJobStatus", "describe_training_job", "TrainingJobName",
                           _training, Usage.TRAINING, JobForm.TRAINING),
    Kind.TUNING: JobSpec(Kind.TUNING, "list_hyper_parameter_tuning_jobs", "HyperParameterTuningJobSummaries",
                         "HyperParameterTuningJobName", "HyperParameterTuningJobArn",
                         "HyperParameterTuningJobStatus", "describe_hyper_parameter_tuning_job",
                         "HyperParameterTuningJobName", _tuning, Usage.TRAINING, JobForm.TUNING),
    Kind.PROCESSING: JobSpec(Kind.PROCESSING, "list_processing_jobs", "ProcessingJobSummaries", "ProcessingJobName",
                             "ProcessingJobArn", "ProcessingJobStatus", "describe_processing_job",
                             "ProcessingJobName", _processing, Usage.PROCESSING, JobForm.PROCESSING),
    Kind.TRANSFORM: JobSpec(Kind.TRANSFORM, "list_transform_jobs", "TransformJobSummaries", "TransformJobName",
                            "TransformJobArn", "TransformJobStatus", "describe_transform_job", "TransformJobName",
                            _transform, Usage.TRANSFORM, JobForm.TRANSFORM),
}


def collect_jobs(scope: RegionScope, spec: JobSpec) -> list[Resource]:
    """Running jobs of one kind: only InProgress jobs bill, so only they are listed and described."""
    items = list(scope.paginate(spec.list_op, spec.list_key, StatusEquals="InProgress"))

    def describe(item: dict[str, Any]) -> dict[str, Any] | None:
        doc = getattr(scope.sagemaker, spec.describe_op)(**{spec.describe_param: item[spec.name_key]})
        return spec.extract(doc)

    details = scope.described(spec.kind.value, items, lambda i: i[spec.name_key],
                              lambda i: _stamp(i, spec.status_key), describe)
    out = []
    for item in items:
        name = item[spec.name_key]
        extra = details.get(name)
        if extra is None:
            continue  # gone since it was listed
        count = int(extra.get("count") or 1)
        instance_type = extra.get("instance_type")
        rate: Rate | None = None
        if spec.kind is Kind.TUNING:
            burn, exact = 0.0, True  # billed through its training jobs, which are listed themselves
        else:
            usage = Usage.SPOT_TRAINING if extra.get("spot") else spec.usage
            rate = scope.pricer.instance(instance_type, usage, count)
            storage = scope.pricer.storage(float(extra.get("volume_gb") or 0), spec.usage, count)
            burn, exact = rate.usd_per_hour + storage.usd_per_hour, rate.exact and storage.exact
        started = extra.get("started")
        since = datetime.fromisoformat(started) if started else item.get("CreationTime")
        out.append(_priced(
            scope, spec.usage, burn, exact, since, rate,
            kind=spec.kind, name=name, arn=item[spec.arn_key], status=item[spec.status_key],
            created=item.get("CreationTime"), last_modified=item.get("LastModifiedTime"),
            instance_type=instance_type, instance_count=count, details=job_details(spec.form, extra),
        ))
    return out


# -- HyperPod clusters ------------------------------------------------------------------------------

# HyperPod bills its nodes at cluster rates of their own (not the training price list); until the catalog has
# them, a cluster with nodes is listed with its nodes and an unknown price.
CLUSTER_PRICE_UNKNOWN = ("the catalog has no HyperPod cluster rates (they are not the training prices); its nodes "
                         "bill around the clock")


def collect_hyperpod_clusters(scope: RegionScope) -> list[Resource]:
    items = list(scope.paginate("list_clusters", "ClusterSummaries"))

    def describe(item: dict[str, Any]) -> dict[str, Any]:
        doc = scope.sagemaker.describe_cluster(ClusterName=item["ClusterName"])
        return {"groups": [{"name": g.get("InstanceGroupName", ""), "instance_type": g.get("InstanceType"),
                            "current": int(g.get("CurrentCount") or 0), "target": int(g.get("TargetCount") or 0)}
                           for g in doc.get("InstanceGroups", [])],
                "orchestrator": "Eks" if (doc.get("Orchestrator") or {}).get("Eks") else None}

    # ListClusters gives no modification time and node counts change without a status change (scaling, node
    # replacement), so every cluster is described on every scan: there are few of them.
    now = scope.pricer.now.isoformat()
    details = scope.described("hyperpod-cluster", items, lambda i: i["ClusterName"], lambda i: now, describe)
    out = []
    for item in items:
        name = item["ClusterName"]
        extra = details.get(name)
        if extra is None:
            continue  # gone since it was listed
        groups = tuple(InstanceGroup(g["name"], g["instance_type"], g["current"], g["target"])
                       for g in extra["groups"])
        nodes = sum(g.current for g in groups)
        rate = Rate(0.0, False, CLUSTER_PRICE_UNKNOWN) if nodes else None
        types = {g.instance_type for g in groups if g.instance_type and g.current}
        out.append(_priced(
            scope, Usage.TRAINING, 0.0, True, item.get("CreationTime"), rate,
            kind=Kind.HYPERPOD_CLUSTER, name=name, arn=item["ClusterArn"], status=item.get("ClusterStatus", ""),
            created=item.get("CreationTime"), instance_type=types.pop() if len(types) == 1 else (
                "mixed" if types else None),
            instance_count=nodes, details=ClusterDetails(groups, extra.get("orchestrator")),
        ))
    return out


COLLECTORS: dict[Kind, Callable[[RegionScope], list[Resource]]] = {
    Kind.NOTEBOOK: collect_notebooks,
    Kind.STUDIO_APP: collect_studio_apps,
    Kind.STUDIO_SPACE: collect_studio_spaces,
    Kind.ENDPOINT: collect_endpoints,
    Kind.HYPERPOD_CLUSTER: collect_hyperpod_clusters,
    **{kind: partial(collect_jobs, spec=spec) for kind, spec in JOB_SPECS.items()},
}
