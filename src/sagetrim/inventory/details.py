"""What a scan knows about a resource beyond its type, count and cost: one frozen record per kind.

Each record's `to_json` gives the `details` object of the scan's JSON. A record is built where the describe
results are read (inventory/collectors.py, inventory/history.py); everything else reads typed fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from sagetrim.json_types import JsonObject, JsonValue


@dataclass(frozen=True, slots=True)
class NotebookDetails:
    """A notebook instance: its lifecycle configuration and ML storage volume.

    `described` is False when the instance went away between the list and the describe: then only the
    volume's default size is known, not its internet access or platform.
    """

    lifecycle_config: str | None
    storage_usd_per_hour: float
    volume_gb: int
    direct_internet: str | None = None
    platform: str | None = None
    described: bool = True

    def to_json(self) -> JsonObject:
        doc: JsonObject = {"lifecycle_config": self.lifecycle_config,
                           "storage_usd_per_hour": self.storage_usd_per_hour, "volume_gb": self.volume_gb}
        if self.described:
            doc.update({"direct_internet": self.direct_internet, "platform": self.platform})
        return doc


@dataclass(frozen=True, slots=True)
class StudioAppDetails:
    """A Studio app: its domain, its owner (a user profile or a space) and its type."""

    domain_id: str
    user_profile: str | None
    space: str | None
    app_type: str
    app_name: str
    # Studio's own idle shutdown for the app: the level that turns it on (domain, user profile, space; None
    # when it is off, unsupported as for KernelGateway, or could not be read) and its timeout (None: Studio's
    # default).
    idle_shutdown_from: str | None = None
    idle_shutdown_minutes: int | None = None

    @property
    def owner(self) -> str | None:
        return self.user_profile or self.space

    def to_json(self) -> JsonObject:
        doc: JsonObject = {"domain_id": self.domain_id, "user_profile": self.user_profile, "space": self.space,
                           "app_type": self.app_type, "app_name": self.app_name}
        if self.idle_shutdown_from is not None:
            doc["idle_shutdown"] = {"minutes": self.idle_shutdown_minutes, "from": self.idle_shutdown_from}
        return doc


@dataclass(frozen=True, slots=True)
class ScalingRange:
    """An endpoint variant registered with Application Auto Scaling: its instance count range."""

    min: int
    max: int


@dataclass(frozen=True, slots=True)
class EndpointDetails:
    """An endpoint: its configuration and models, and the facts the hosting-mode rule asks the scan for.

    `autoscaling` is None when not read (or unreadable), else every variant registered, by name (empty: none);
    `images` and `multi_model` are None unless the endpoint could share a multi-model endpoint.
    """

    endpoint_config: str | None
    models: tuple[str, ...]
    asynchronous: bool
    serverless: bool
    autoscaling: Mapping[str, ScalingRange] | None = None
    images: tuple[str, ...] | None = None
    multi_model: bool | None = None
    # Every variant name CloudWatch holds invocation metrics for (renamed ones too); None when not read.
    metric_variants: tuple[str, ...] | None = None

    def to_json(self) -> JsonObject:
        doc: JsonObject = {"endpoint_config": self.endpoint_config, "models": list(self.models),
                           "async": self.asynchronous, "serverless": self.serverless}
        if self.autoscaling is not None:
            doc["autoscaling"] = {v: {"min": s.min, "max": s.max} for v, s in self.autoscaling.items()}
        if self.images is not None:
            doc["images"] = list(self.images)
        if self.multi_model is not None:
            doc["multi_model"] = self.multi_model
        if self.metric_variants is not None:
            doc["metric_variants"] = list(self.metric_variants)
        return doc


@dataclass(frozen=True, slots=True)
class WarmPool:
    """A finished training job's warm pool: Available, InUse, Reused or Terminated."""

    status: str | None
    retained_s: int | None
    reused_by: str | None

    def to_json(self) -> JsonObject:
        return {"status": self.status, "retained_s": self.retained_s, "reused_by": self.reused_by}


class JobForm(StrEnum):
    """Which describe a job's details come from: a running job of each kind, or a finished one."""

    TRAINING = "training"
    TUNING = "tuning"
    PROCESSING = "processing"
    TRANSFORM = "transform"
    FINISHED_TRAINING = "finished-training"
    FINISHED_PROCESSING = "finished-processing"


@dataclass(frozen=True, slots=True)
class JobDetails:
    """A training, tuning, processing or transform job: its instances and run times.

    Times are ISO strings as read ("" when not known). Finished jobs (`finished`) come from the scan's history
    of `lookback_days`; only their form has the image, billed seconds and end time.
    """

    form: JobForm
    instance_type: str | None
    count: int
    started: str = ""
    volume_gb: int | None = None
    spot: bool = False
    keep_alive_s: int | None = None
    max_parallel_jobs: int | None = None
    image: str = ""
    algorithm: str = ""
    gpu_settings: Mapping[str, str] | None = None
    billable_s: int | None = None
    training_s: int | None = None
    ended: str = ""
    lookback_days: int | None = None
    warm_pool: WarmPool | None = None

    @property
    def finished(self) -> bool:
        return self.form in (JobForm.FINISHED_TRAINING, JobForm.FINISHED_PROCESSING)

    def to_json(self) -> JsonObject:
        """The same object the scan has always written for this form of job."""
        head: JsonObject = {"instance_type": self.instance_type, "count": self.count}
        if self.form is JobForm.TRAINING:
            return {**head, "volume_gb": self.volume_gb, "spot": self.spot, "started": self.started,
                    "keep_alive_s": self.keep_alive_s}
        if self.form is JobForm.TUNING:
            return {**head, "max_parallel_jobs": self.max_parallel_jobs, "started": self.started}
        if self.form is JobForm.PROCESSING:
            return {**head, "volume_gb": self.volume_gb, "started": self.started}
        if self.form is JobForm.TRANSFORM:
            return {**head, "started": self.started}
        history: JsonObject = {"history": True, "lookback_days": self.lookback_days}
        if self.form is JobForm.FINISHED_PROCESSING:
            return {**head, "volume_gb": self.volume_gb, "image": self.image, "started": self.started,
                    "ended": self.ended, **history}
        settings: JsonValue = dict(self.gpu_settings or {})
        return {**head, "volume_gb": self.volume_gb, "keep_alive_s": self.keep_alive_s, "spot": self.spot,
                "image": self.image, "algorithm": self.algorithm, "gpu_settings": settings,
                "billable_s": self.billable_s, "training_s": self.training_s, "started": self.started,
                "ended": self.ended, **history,
                "warm_pool": self.warm_pool.to_json() if self.warm_pool else None}


@dataclass(frozen=True, slots=True)
class SpaceDetails:
    """A Studio space: its EBS volume bills every hour, whether or not an app runs in it."""

    domain_id: str
    owner: str | None  # the owning user profile of a private space
    app_type: str | None
    ebs_gb: int
    shared: bool

    def to_json(self) -> JsonObject:
        return {"domain_id": self.domain_id, "owner": self.owner, "app_type": self.app_type, "ebs_gb": self.ebs_gb,
                "shared": self.shared}


@dataclass(frozen=True, slots=True)
class InstanceGroup:
    """One instance group of a HyperPod cluster: its nodes now and the count it is scaling to."""

    name: str
    instance_type: str | None
    current: int
    target: int

    def to_json(self) -> JsonObject:
        return {"name": self.name, "instance_type": self.instance_type, "current_count": self.current,
                "target_count": self.target}


@dataclass(frozen=True, slots=True)
class ClusterDetails:
    """A HyperPod cluster: its instance groups (every node bills, busy or not) and its orchestrator."""

    instance_groups: tuple[InstanceGroup, ...]
    orchestrator: str | None = None  # "Eks" for an EKS-orchestrated cluster, None for Slurm

    def to_json(self) -> JsonObject:
        return {"instance_groups": [g.to_json() for g in self.instance_groups], "orchestrator": self.orchestrator}


Details: TypeAlias = (NotebookDetails | StudioAppDetails | SpaceDetails | EndpointDetails | JobDetails
                      | ClusterDetails)

__all__ = ["ClusterDetails", "Details", "EndpointDetails", "InstanceGroup", "JobDetails", "JobForm",
           "NotebookDetails", "ScalingRange", "SpaceDetails", "StudioAppDetails", "WarmPool"]
