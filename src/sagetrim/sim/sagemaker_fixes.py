"""Where moto's SageMaker differs from AWS in ways a cost scanner would notice, and the fixes.

:func:`apply` patches moto in place (idempotently). Each fix says in one comment what AWS does. The
reference for valid values is the installed botocore service model, so the sim accepts exactly what the
installed botocore sends. :func:`set_creation_time` and :func:`set_status` let the sim side give resources
a history (created weeks ago, a job still running) that moto's instant lifecycle cannot.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from sagetrim.sim import clock
from sagetrim.sim.moto_patch import MOTO_TESTED, MotoMismatch, existing, replace

if TYPE_CHECKING:
    from botocore.model import ListShape, ServiceModel, Shape, StructureShape

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "INSTANCE_TYPE_SHAPES",
    "MotoKind",
    "apply",
    "decode_page_token",
    "encode_page_token",
    "enum_values",
    "instance_types",
    "remove",
    "service_model",
    "set_creation_time",
    "set_status",
    "validation_errors",
]

# The botocore shapes that list the ml.* instance types valid for each usage.
INSTANCE_TYPE_SHAPES = (
    "InstanceType",  # notebook instances
    "AppInstanceType",  # Studio apps
    "TrainingInstanceType",
    "ProcessingInstanceType",
    "TransformInstanceType",
    "ProductionVariantInstanceType",  # endpoints
    "ClusterInstanceType",  # HyperPod
)

MotoKind = Literal[
    "endpoint",
    "endpoint-config",
    "model",
    "notebook-instance",
    "training-job",
    "processing-job",
    "transform-job",
    "hyper-parameter-tuning-job",
    "domain",
]

# Page size of a List call without MaxResults.
DEFAULT_PAGE_SIZE = 10

_apply_lock = threading.Lock()
_applied = False
_billable_seconds: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


@functools.cache
def service_model() -> ServiceModel:
    """The SageMaker service model of the installed botocore."""
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker")


def enum_values(shape: str | Shape) -> list[str]:
    """The values of an enum shape of the SageMaker model (empty for a shape that is no enum)."""
    found = service_model().shape_for(shape) if isinstance(shape, str) else shape
    return list(getattr(found, "enum", None) or [])


@functools.cache
def instance_types(shape: str) -> frozenset[str]:
    """The instance types the installed botocore accepts for one usage, e.g. ``TrainingInstanceType``."""
    return frozenset(enum_values(shape))


def _patch(owner: Any, name: str, value: Any) -> None:
    """Replace an existing attribute of a moto class (kept in one place so every patch is easy to find)."""
    replace(owner, name, value)


def _moto(module: str) -> Any:
    """A moto module, typed loosely: the patches reach into its internals on purpose."""
    return importlib.import_module(module)


def _enum_message(value: object, path: str, allowed: Iterable[str]) -> str:
    return (
        f"Value '{value}' at '{path}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _summarise(errors: list[str]) -> str:
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: {'; '.join(errors)}"


def _member_path(path: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """A service-model pattern in Python's dialect, or None for the Java-only ones (\\p{..} classes), left unchecked."""
    if "\\p{" in pattern or "\\P{" in pattern:
        return None
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def _walk(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        for name, member in cast("StructureShape", shape).members.items():
            if value.get(name) is not None:
                _walk(member, value[name], _member_path(path, name), errors)
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            _walk(cast("ListShape", shape).member, item, f"{path}.{index}.member", errors)
    elif kind == "string" and isinstance(value, str):
        allowed = enum_values(shape)
        if allowed:
            if value not in allowed:
                errors.append(_enum_message(value, path, allowed))
            return
        # AWS checks a string's length and its pattern (a Java regex matched against the whole value).
        high, low = shape.metadata.get("max"), shape.metadata.get("min")
        if high is not None and len(value) > high:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                          f"Member must have length less than or equal to {high}")
        elif low is not None and len(value) < low:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                          f"Member must have length greater than or equal to {low}")
        pattern = shape.metadata.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        if compiled is not None and compiled.fullmatch(value) is None:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                          f"Member must satisfy regular expression pattern: {pattern}")
    elif kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        high, low = shape.metadata.get("max"), shape.metadata.get("min")
        if high is not None and value > high:
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {high}"
            )
        elif low is not None and value < low:
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must have value greater than or equal to {low}"
            )


def validation_errors(operation: str, params: Mapping[str, Any]) -> list[str]:
    """Check a SageMaker request's enum values and integer ranges the way AWS does.

    Args:
        operation: the operation name, e.g. ``CreateTrainingJob``.
        params: the request parameters, as moto parsed them from the request.

    Returns:
        AWS's text for each violation (empty when the request is valid).
    """
    try:
        shape = service_model().operation_model(operation).input_shape
    except Exception:  # an operation this botocore does not know: leave it to moto
        return []
    errors: list[str] = []
    if shape is not None:
        _walk(shape, params, "", errors)
    return errors


def _check_instance_type(value: str | None, shape: str, path: str) -> None:
    from moto.sagemaker.exceptions import ValidationError

    if value is not None and value not in instance_types(shape):
        raise ValidationError(message=_summarise([_enum_message(value, path, enum_values(shape))]))


# --- time helpers -----------------------------------------------------------------------------------


def _naive_utc(value: Any) -> datetime | None:
    """moto stores naive UTC datetimes; accept aware datetimes, epoch numbers and ISO strings."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return clock.to_naive_utc(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    return _naive_utc(datetime.fromisoformat(str(value)))


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


# --- paging of the job lists -----------------------------------------------------------------------


def encode_page_token(offset: int) -> str:
    """An opaque NextToken for the page that starts at ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: str | None) -> int:
    """The offset a NextToken stands for; a token the sim did not issue is a ValidationException."""
    from moto.sagemaker.exceptions import ValidationError

    if not token:
        return 0
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:  # binascii.Error is a ValueError
        raise ValidationError(message=f'Invalid pagination token because "{token}".') from exc
    return max(0, offset)


@dataclass(frozen=True)
class _Listing:
    """How to list one kind of resource: where moto keeps it and how AWS sorts, filters and pages it."""

    store: str
    name_attr: str
    status_attr: str
    list_key: str
    summary: Callable[[Any], dict[str, Any]]
    default_order: str = "Ascending"
    default_sort: str = "CreationTime"
    status_filter_after_paging: bool = False
    extra_filter: Callable[[Any, Mapping[str, Any]], bool] | None = None


def _training_summary(job: Any) -> dict[str, Any]:
    summary = {
        "TrainingJobName": job.training_job_name,
        "TrainingJobArn": job.arn,
        "CreationTime": job.creation_time,
        "TrainingEndTime": job.training_end_time,
        "LastModifiedTime": job.last_modified_time,
        "TrainingJobStatus": job.training_job_status,
        "SecondaryStatus": job.secondary_status,
        "WarmPoolStatus": _warm_pool_status(job),
    }
    return {k: v for k, v in summary.items() if v is not None}


def _processing_summary(job: Any) -> dict[str, Any]:
    summary = {
        "ProcessingJobName": job.processing_job_name,
        "ProcessingJobArn": job.arn,
        "CreationTime": job.creation_time,
        "ProcessingEndTime": job.processing_end_time,
        "LastModifiedTime": job.last_modified_time,
        "ProcessingJobStatus": job.processing_job_status,
        "FailureReason": getattr(job, "failure_reason", None) or None,
    }
    return {k: v for k, v in summary.items() if v is not None}


def _transform_summary(job: Any) -> dict[str, Any]:
    summary = {
        "TransformJobName": job.transform_job_name,
        "TransformJobArn": job.arn,
        "CreationTime": job.creation_time,
        "TransformEndTime": job.transform_end_time,
        "LastModifiedTime": job.last_modified_time,
        "TransformJobStatus": job.transform_job_status,
        "FailureReason": job.failure_reason or None,
    }
    return {k: v for k, v in summary.items() if v is not None}


_NOTEBOOK_SUMMARY_KEYS = (
    "NotebookInstanceName",
    "NotebookInstanceArn",
    "NotebookInstanceStatus",
    "Url",
    "InstanceType",
    "CreationTime",
    "LastModifiedTime",
    "NotebookInstanceLifecycleConfigName",
    "DefaultCodeRepository",
    "AdditionalCodeRepositories",
)


def _notebook_summary(notebook: Any) -> dict[str, Any]:
    details = notebook.to_dict()
    return {key: details[key] for key in _NOTEBOOK_SUMMARY_KEYS if details.get(key) is not None}


def _warm_pool_filter(job: Any, params: Mapping[str, Any]) -> bool:
    wanted = params.get("WarmPoolStatusEquals")
    return not wanted or (_warm_pool_status(job) or {}).get("Status") == wanted


def _notebook_filter(notebook: Any, params: Mapping[str, Any]) -> bool:
    config = params.get("NotebookInstanceLifecycleConfigNameContains")
    default_repo = params.get("DefaultCodeRepositoryContains")
    other_repo = params.get("AdditionalCodeRepositoryEquals")
    return (
        (not config or config in (notebook.lifecycle_config_name or ""))
        and (not default_repo or default_repo in (notebook.default_code_repository or ""))
        and (not other_repo or other_repo in (notebook.additional_code_repositories or []))
    )


_LISTINGS = {
    # ListTrainingJobs takes a page of MaxResults jobs first and filters it on StatusEquals after (AWS
    # documents this), so a page can come back short or empty with a NextToken.
    "ListTrainingJobs": _Listing(
        "training_jobs",
        "training_job_name",
        "training_job_status",
        "TrainingJobSummaries",
        _training_summary,
        status_filter_after_paging=True,
        extra_filter=_warm_pool_filter,
    ),
    "ListProcessingJobs": _Listing(
        "processing_jobs",
        "processing_job_name",
        "processing_job_status",
        "ProcessingJobSummaries",
        _processing_summary,
    ),
    "ListTransformJobs": _Listing(
        "transform_jobs",
        "transform_job_name",
        "transform_job_status",
        "TransformJobSummaries",
        _transform_summary,
        default_order="Descending",
    ),
    # ListNotebookInstances sorts by Name by default and honours its time and repository filters; moto
    # ignored CreationTime*, LastModifiedTime* and the lifecycle-config and repository filters.
    "ListNotebookInstances": _Listing(
        "notebook_instances",
        "notebook_instance_name",
        "status",
        "NotebookInstances",
        _notebook_summary,
        default_sort="Name",
        extra_filter=_notebook_filter,
    ),
}


def _list(backend: Any, spec: _Listing, params: Mapping[str, Any]) -> dict[str, Any]:
    """Filter, sort and page the way AWS does (moto paged the job lists first and filtered the page)."""
    items = list(getattr(backend, spec.store).values())
    created_after = _naive_utc(params.get("CreationTimeAfter"))
    created_before = _naive_utc(params.get("CreationTimeBefore"))
    modified_after = _naive_utc(params.get("LastModifiedTimeAfter"))
    modified_before = _naive_utc(params.get("LastModifiedTimeBefore"))
    name_contains = params.get("NameContains")
    status = params.get("StatusEquals")

    def keep(item: Any) -> bool:
        return (
            (created_after is None or item.creation_time > created_after)
            and (created_before is None or item.creation_time < created_before)
            and (modified_after is None or item.last_modified_time > modified_after)
            and (modified_before is None or item.last_modified_time < modified_before)
            and (not name_contains or name_contains in getattr(item, spec.name_attr))
            and (spec.extra_filter is None or spec.extra_filter(item, params))
        )

    def status_ok(item: Any) -> bool:
        return not status or getattr(item, spec.status_attr) == status

    items = [item for item in items if keep(item) and (spec.status_filter_after_paging or status_ok(item))]
    keys: dict[str, Callable[[Any], Any]] = {
        "Name": lambda item: getattr(item, spec.name_attr),
        "Status": lambda item: getattr(item, spec.status_attr),
        "CreationTime": lambda item: item.creation_time,
    }
    sort_by = params.get("SortBy") or spec.default_sort
    descending = (params.get("SortOrder") or spec.default_order) == "Descending"
    items.sort(key=keys.get(sort_by, keys["CreationTime"]), reverse=descending)
    offset = decode_page_token(params.get("NextToken"))
    size = int(params.get("MaxResults") or DEFAULT_PAGE_SIZE)
    page = items[offset : offset + size]
    if spec.status_filter_after_paging:
        page = [item for item in page if status_ok(item)]
    result: dict[str, Any] = {spec.list_key: [spec.summary(item) for item in page]}
    if offset + size < len(items):
        result["NextToken"] = encode_page_token(offset + size)
    return result


# --- fields moto leaves out -------------------------------------------------------------------------


def _warm_pool_status(job: Any) -> dict[str, Any] | None:
    """AWS keeps a completed job's instances for KeepAlivePeriodInSeconds, billed, then terminates them."""
    keep_alive = (job.resource_config or {}).get("KeepAlivePeriodInSeconds")
    end = job.training_end_time
    if not keep_alive or job.training_job_status != "Completed" or end is None:
        return None
    expiry = end + timedelta(seconds=int(keep_alive))
    now = clock.utcnow()
    if now < expiry:
        return {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": _seconds(end, now)}
    return {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": int(keep_alive)}


def _training_extras(job: Any) -> dict[str, Any]:
    """AWS reports TrainingTimeInSeconds and BillableTimeInSeconds once a job has ended."""
    extras: dict[str, Any] = {}
    if job.training_job_status in ("Completed", "Failed", "Stopped"):
        trained = _seconds(job.training_start_time, job.training_end_time)
        if trained is not None:
            extras["TrainingTimeInSeconds"] = trained
            extras["BillableTimeInSeconds"] = _billable_seconds.get(job, trained)
    warm_pool = _warm_pool_status(job)
    if warm_pool is not None:
        extras["WarmPoolStatus"] = warm_pool
    return extras


# --- the patches --------------------------------------------------------------------------------------


def apply() -> None:
    """Patch moto's SageMaker so it behaves like AWS where a cost scanner looks. Idempotent."""
    global _applied
    with _apply_lock:
        if _applied:
            return
        _patch_instance_types()
        _patch_paging()
        _patch_fields()
        _patch_not_found()
        _patch_request_validation()
        _applied = True


def _patch_instance_types() -> None:
    models = _moto("moto.sagemaker.models")

    # AWS accepts every type in the service model's enum for the usage; moto checks short, old lists.
    def endpoint_config_type(self: Any, instance_type: str) -> None:
        _check_instance_type(instance_type, "ProductionVariantInstanceType", "instanceType")

    def notebook_type(self: Any, instance_type: str) -> None:
        _check_instance_type(instance_type, "InstanceType", "instanceType")

    def transform_types(instance_types_: list[str]) -> None:
        for value in instance_types_:
            _check_instance_type(value, "TransformInstanceType", "supportedTransformInstanceTypes")

    def realtime_types(instance_types_: list[str]) -> None:
        for value in instance_types_:
            _check_instance_type(value, "ProductionVariantInstanceType", "supportedRealtimeInferenceInstanceTypes")

    def cluster_type(self: Any, instance_type: str) -> None:
        _check_instance_type(instance_type, "ClusterInstanceType", "instanceType")

    _patch(models.FakeEndpointConfig, "validate_instance_type", endpoint_config_type)
    _patch(models.FakeSagemakerNotebookInstance, "validate_instance_type", notebook_type)
    _patch(models.ModelPackage, "validate_supported_transform_instance_types", staticmethod(transform_types))
    _patch(models.ModelPackage, "validate_supported_realtime_inference_instance_types", staticmethod(realtime_types))
    _patch(models.Cluster, "valid_cluster_node_instance_types", cluster_type)

    backend = models.SageMakerModelBackend
    create_training_job = existing(backend, "create_training_job")
    create_transform_job = existing(backend, "create_transform_job")

    # AWS rejects an unknown training or transform instance type; moto stores anything.
    def checked_training_job(self: Any, *args: Any, **kwargs: Any) -> Any:
        resource_config = kwargs.get("resource_config") or {}
        _check_instance_type(resource_config.get("InstanceType"), "TrainingInstanceType", "resourceConfig.instanceType")
        return create_training_job(self, *args, **kwargs)

    def checked_transform_job(self: Any, *args: Any, **kwargs: Any) -> Any:
        resources = kwargs.get("transform_resources") or {}
        _check_instance_type(resources.get("InstanceType"), "TransformInstanceType", "transformResources.instanceType")
        return create_transform_job(self, *args, **kwargs)

    _patch(backend, "create_training_job", checked_training_job)
    _patch(backend, "create_transform_job", checked_transform_job)


def _patch_paging() -> None:
    models = _moto("moto.sagemaker.models")
    responses = _moto("moto.sagemaker.responses")

    # A SageMaker List call without MaxResults returns 10 items (AWS documents 10 for ListEndpoints,
    # ListTransformJobs and ListHyperParameterTuningJobs); moto returned 100.
    pagination = existing(models, "PAGINATION_MODEL")
    for method in ("list_endpoints", "list_hyper_parameter_tuning_jobs"):
        if "limit_default" not in pagination.get(method, {}):
            raise MotoMismatch(f"moto's SageMaker PAGINATION_MODEL has no limit_default for {method}; "
                               f"the simulated account is written for moto {MOTO_TESTED}")
        pagination[method]["limit_default"] = DEFAULT_PAGE_SIZE

    backend = models.SageMakerModelBackend
    list_endpoints = existing(backend, "list_endpoints")
    list_tuning_jobs = existing(backend, "list_hyper_parameter_tuning_jobs")

    # ListEndpoints sorts by CreationTime, newest first, unless asked otherwise; moto sorted oldest first.
    def sorted_endpoints(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["sort_by"] = kwargs.get("sort_by") or "CreationTime"
        kwargs["sort_order"] = kwargs.get("sort_order") or "Descending"
        return list_endpoints(self, *args, **kwargs)

    # ListHyperParameterTuningJobs sorts by Name unless asked otherwise; moto sorted by CreationTime.
    def sorted_tuning_jobs(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["sort_by"] = kwargs.get("sort_by") or "Name"
        return list_tuning_jobs(self, *args, **kwargs)

    _patch(backend, "list_endpoints", sorted_endpoints)
    _patch(backend, "list_hyper_parameter_tuning_jobs", sorted_tuning_jobs)

    # AWS filters before it pages (but for ListTrainingJobs' StatusEquals) and sorts on SortBy and
    # SortOrder; moto paged the job lists first, then filtered each page, and ignored the sort.
    def make_lister(operation: str) -> Callable[[Any], Any]:
        spec = _LISTINGS[operation]

        def lister(self: Any) -> Any:
            from moto.core.responses import ActionResult

            return ActionResult(_list(self.sagemaker_backend, spec, self.params))

        lister.__name__ = _snake(operation)
        return lister

    for operation in _LISTINGS:
        _patch(responses.SageMakerResponse, _snake(operation), make_lister(operation))


def _patch_fields() -> None:
    models = _moto("moto.sagemaker.models")
    responses = _moto("moto.sagemaker.responses")

    # DescribeEndpoint shows the AsyncInferenceConfig of the endpoint's config; moto dropped it.
    backend = models.SageMakerModelBackend
    create_endpoint = existing(backend, "create_endpoint")

    def endpoint_with_async(self: Any, *args: Any, **kwargs: Any) -> Any:
        endpoint = create_endpoint(self, *args, **kwargs)
        config = self.endpoint_configs.get(endpoint.endpoint_config_name)
        if config is not None and config.async_inference_config:
            endpoint.async_inference_config = config.async_inference_config
        return endpoint

    _patch(backend, "create_endpoint", endpoint_with_async)

    # A variant created without InitialVariantWeight has weight 1.0; moto left the weights out.
    process_variants = existing(models.FakeEndpoint, "_process_production_variants")

    def variants_with_weights(self: Any, production_variants: list[dict[str, Any]]) -> Any:
        variants = process_variants(self, production_variants)
        for variant, requested in zip(variants, production_variants, strict=False):
            weight = requested.get("InitialVariantWeight")
            variant.setdefault("CurrentWeight", 1.0 if weight is None else weight)
            variant.setdefault("DesiredWeight", 1.0 if weight is None else weight)
        return variants

    _patch(models.FakeEndpoint, "_process_production_variants", variants_with_weights)

    # DescribeTrainingJob reports TrainingTimeInSeconds, BillableTimeInSeconds and, for warm pools,
    # WarmPoolStatus; moto has none of them.
    training_response = existing(models.FakeTrainingJob, "response_object")

    def training_response_object(self: Any) -> dict[str, Any]:
        response: dict[str, Any] = training_response.fget(self)
        response.update(_training_extras(self))
        return response

    _patch(models.FakeTrainingJob, "response_object", property(training_response_object))

    # DescribeProcessingJob returns the job's ProcessingResources (instance type and count) and its
    # ProcessingStartTime; moto never stored them.
    create_processing = existing(responses.SageMakerResponse, "create_processing_job")

    def create_processing_job(self: Any) -> Any:
        result = create_processing(self)
        job = self.sagemaker_backend.processing_jobs[self._get_param("ProcessingJobName")]
        job.processing_resources = self._get_param("ProcessingResources")
        job.processing_start_time = job.creation_time
        return result

    create_processing_job.__name__ = "create_processing_job"
    _patch(responses.SageMakerResponse, "create_processing_job", create_processing_job)

    # CreateCluster: ThreadsPerCore is optional (1 when not given); moto failed on its absence after it had
    # stored the cluster (an internal error, then "already exists" on botocore's retry).
    create_cluster = existing(backend, "create_cluster")

    def cluster_with_defaults(self: Any, cluster_name: str, instance_groups: list[dict[str, Any]],
                              *args: Any, **kwargs: Any) -> Any:
        for group in instance_groups:
            group.setdefault("ThreadsPerCore", 1)
        return create_cluster(self, cluster_name, instance_groups, *args, **kwargs)

    _patch(backend, "create_cluster", cluster_with_defaults)

    # Starting or stopping a notebook instance updates its LastModifiedTime; moto kept the creation time.
    notebook = models.FakeSagemakerNotebookInstance
    start, stop = existing(notebook, "start"), existing(notebook, "stop")

    def touched(method: Callable[[Any], None]) -> Callable[[Any], None]:
        def wrapper(self: Any) -> None:
            method(self)
            self.last_modified_time = models.utcnow()

        wrapper.__name__ = method.__name__
        return wrapper

    _patch(notebook, "start", touched(start))
    _patch(notebook, "stop", touched(stop))


def _patch_not_found() -> None:
    """What SageMaker answers about a resource that does not exist, where moto answers otherwise."""
    models = _moto("moto.sagemaker.models")
    exceptions = _moto("moto.sagemaker.exceptions")
    backend = models.SageMakerModelBackend
    describe_training = existing(backend, "describe_training_job")
    describe_tuning = existing(backend, "describe_hyper_parameter_tuning_job")
    resource_from_arn = existing(backend, "_get_resource_from_arn")

    # DescribeTrainingJob: ValidationException "Requested resource not found." (moto names the ARN).
    def describe_training_job(self: Any, training_job_name: str) -> Any:
        if training_job_name not in self.training_jobs:
            raise exceptions.ValidationError(message="Requested resource not found.")
        return describe_training(self, training_job_name)

    # DescribeHyperParameterTuningJob: ResourceNotFound, in SageMaker's words.
    def describe_hyper_parameter_tuning_job(self: Any, hyper_parameter_tuning_job_name: str) -> Any:
        if hyper_parameter_tuning_job_name not in self.hyper_parameter_tuning_jobs:
            raise exceptions.ResourceNotFound(
                message=f"Amazon SageMaker can't find a tuning job called {hyper_parameter_tuning_job_name}. "
                        "Type another name.")
        return describe_tuning(self, hyper_parameter_tuning_job_name)

    # ListTags, AddTags and DeleteTags of a resource that does not exist: a ValidationException. moto looked
    # the name up with dict.get and failed on None (an InternalFailure, which botocore retries).
    def get_resource_from_arn(self: Any, arn: str) -> Any:
        resource = resource_from_arn(self, arn)
        if resource is None:
            kind, _, name = arn.split(":")[-1].partition("/")
            raise exceptions.ValidationError(message=f"Could not find {kind} with name {name}")
        return resource

    _patch(backend, "describe_training_job", describe_training_job)
    _patch(backend, "describe_hyper_parameter_tuning_job", describe_hyper_parameter_tuning_job)
    _patch(backend, "_get_resource_from_arn", get_resource_from_arn)


def _patch_request_validation() -> None:
    from moto.core.responses import ActionResult

    responses = _moto("moto.sagemaker.responses")
    from moto.sagemaker.exceptions import ValidationError

    # AWS validates enum values (instance types, statuses, sort keys) and integer ranges (MaxResults at
    # most 100) of every request; moto checks a few by hand and lets the rest through.
    call_action = existing(responses.SageMakerResponse, "call_action")
    for called in ("_get_action", "_get_param", "serialized", "_enrich_response"):
        existing(responses.SageMakerResponse, called)

    def validated_call_action(self: Any) -> Any:
        params = getattr(self, "params", None)
        errors = validation_errors(self._get_action(), params) if isinstance(params, Mapping) else []
        if errors:
            status, headers, body = self.serialized(ActionResult(ValidationError(message=_summarise(errors))))
            headers, body = self._enrich_response(headers, body)
            return status, headers, body
        return call_action(self)

    _patch(responses.SageMakerResponse, "call_action", validated_call_action)


def _snake(operation: str) -> str:
    from moto.core.utils import camelcase_to_underscores

    return str(camelcase_to_underscores(operation))


# --- the sim side: history that moto's instant lifecycle cannot give ----------------------------------

_STORES: dict[str, tuple[str, str | None]] = {
    # kind: (backend attribute, status attribute)
    "endpoint": ("endpoints", "endpoint_status"),
    "endpoint-config": ("endpoint_configs", None),
    "model": ("_models", None),
    "notebook-instance": ("notebook_instances", "status"),
    "training-job": ("training_jobs", "training_job_status"),
    "processing-job": ("processing_jobs", "processing_job_status"),
    "transform-job": ("transform_jobs", "transform_job_status"),
    "hyper-parameter-tuning-job": ("hyper_parameter_tuning_jobs", "hyper_parameter_tuning_job_status"),
    "domain": ("domains", "status"),
}

_STATUS_SHAPES = {
    "endpoint": "EndpointStatus",
    "notebook-instance": "NotebookInstanceStatus",
    "training-job": "TrainingJobStatus",
    "processing-job": "ProcessingJobStatus",
    "transform-job": "TransformJobStatus",
    "hyper-parameter-tuning-job": "HyperParameterTuningJobStatus",
    "domain": "DomainStatus",
}

_SECONDARY_STATUS = {
    "InProgress": "Training",
    "Completed": "Completed",
    "Failed": "Failed",
    "Stopping": "Stopping",
    "Stopped": "Stopped",
}

_ENDED = ("Completed", "Failed", "Stopped")


def _resource(account: str, region: str, kind: MotoKind, name: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    if kind not in _STORES:
        raise ValueError(f"unknown kind {kind!r}; expected one of: {', '.join(get_args(MotoKind))}")
    store = getattr(sagemaker_backends[account][region], _STORES[kind][0])
    if name not in store:
        raise KeyError(f"no {kind} named {name!r} in account {account}, region {region}")
    return store[name]


def remove(account: str, region: str, kind: MotoKind, name: str) -> None:
    """Delete a SageMaker resource outright, as someone else's delete would (jobs included, which moto
    keeps); a resource that is not there is left alone."""
    from moto.sagemaker.models import sagemaker_backends

    if kind not in _STORES:
        raise ValueError(f"unknown kind {kind!r}; expected one of: {', '.join(get_args(MotoKind))}")
    getattr(sagemaker_backends[account][region], _STORES[kind][0]).pop(name, None)


def set_creation_time(
    account: str,
    region: str,
    kind: MotoKind,
    name: str,
    when: datetime,
    *,
    last_modified: datetime | None = None,
) -> None:
    """Backdate (or move) the creation time of a resource moto holds.

    Args:
        account: account id.
        region: region name.
        kind: the resource kind, named as in its ARN (``endpoint``, ``training-job``, ...).
        name: the resource name (a domain's id for ``domain``).
        when: the new creation time; a naive value is read as UTC.
        last_modified: the new last-modified time; by default it is moved up to ``when`` if earlier.

    Raises:
        KeyError: no such resource.
        ValueError: an unknown kind.
    """
    resource = _resource(account, region, kind, name)
    created = _naive_utc(when)
    resource.creation_time = created
    if last_modified is not None:
        resource.last_modified_time = _naive_utc(last_modified)
    elif hasattr(resource, "last_modified_time") and created is not None:
        current = resource.last_modified_time
        if current is None or current < created:
            resource.last_modified_time = created


def set_status(
    account: str,
    region: str,
    kind: MotoKind,
    name: str,
    status: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    billable_seconds: int | None = None,
    failure_reason: str | None = None,
) -> None:
    """Put a resource in a status, with the times that go with it, as AWS would report them.

    A job set ``InProgress`` loses its end time; one set ``Completed``, ``Failed`` or ``Stopped`` ends at
    ``end`` (default: sim now). For training jobs ``billable_seconds`` overrides BillableTimeInSeconds
    (which otherwise equals the training time), e.g. to show managed spot savings.

    Args:
        account: account id.
        region: region name.
        kind: the resource kind (``endpoint``, ``notebook-instance`` or a job kind).
        name: the resource name.
        status: a value of the kind's status enum in the service model.
        start: when the job started running; default: keep the current one, else its creation time.
        end: when the job ended.
        billable_seconds: BillableTimeInSeconds of a training job.
        failure_reason: FailureReason of a failed resource.

    Raises:
        KeyError: no such resource.
        ValueError: an unknown kind or a status the kind does not have.
    """
    resource = _resource(account, region, kind, name)
    status_attr = _STORES[kind][1]
    shape = _STATUS_SHAPES.get(kind)
    if status_attr is None or shape is None:
        raise ValueError(f"{kind} has no status")
    allowed = enum_values(shape)
    if status not in allowed:
        raise ValueError(f"{status!r} is not a {kind} status; expected one of: {', '.join(allowed)}")
    now = clock.utcnow()
    setattr(resource, status_attr, status)
    if hasattr(resource, "last_modified_time"):
        resource.last_modified_time = now
    if failure_reason is not None:
        resource.failure_reason = failure_reason
    prefix = {
        "training-job": "training",
        "processing-job": "processing",
        "transform-job": "transform",
    }.get(kind)
    if prefix is not None:
        start_attr, end_attr = f"{prefix}_start_time", f"{prefix}_end_time"
        started = _naive_utc(start) or getattr(resource, start_attr, None) or resource.creation_time
        ended = (_naive_utc(end) or now) if status in _ENDED else None
        setattr(resource, start_attr, started)
        setattr(resource, end_attr, ended)
        if ended is not None:
            resource.last_modified_time = max(ended, resource.creation_time)
    if kind == "training-job":
        resource.secondary_status = _SECONDARY_STATUS.get(status, status)
        if billable_seconds is not None:
            _billable_seconds[resource] = int(billable_seconds)
    if kind == "hyper-parameter-tuning-job":
        resource.hyper_parameter_tuning_end_time = (_naive_utc(end) or now) if status in _ENDED else None
