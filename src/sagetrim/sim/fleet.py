"""Generate a realistic SageMaker fleet, with weeks of CloudWatch metrics, in the simulated account.

A scenario (YAML, or the built-in `demo` preset) lists groups of notebooks, Studio apps, endpoints
and jobs per region. Resources are created through the SageMaker API like any client would create
them; their history (creation times, job status) and their metrics are then written on the sim side.
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sagetrim.catalog import load_catalog
from sagetrim.yamlfile import load_yaml_model

if TYPE_CHECKING:
    from sagetrim.sim.server import SimServer

ROLE_ARN = "arn:aws:iam::{account}:role/SageMakerExecution"
IMAGE = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.3-cpu-py311"
SKLEARN_IMAGE = "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
INVOCATION_NAMESPACE = "AWS/SageMaker"  # Invocations, ModelLatency, async metrics
ENDPOINT_NAMESPACE = "/aws/sagemaker/Endpoints"  # instance utilization
TRAINING_NAMESPACE = "/aws/sagemaker/TrainingJobs"
PROCESSING_NAMESPACE = "/aws/sagemaker/ProcessingJobs"
PERIOD_S = 3600  # one datapoint an hour: statistic sets of the hour's 60 one-minute samples
SAMPLES = PERIOD_S // 60
HISTORY_DAYS = 14
# The OnStart script of every lifecycle configuration a scenario names: AWS's auto-stop-idle sample as it is
# commonly installed (fetched, then run by cron every 5 minutes), so that its notebooks stop when idle.
AUTOSTOP_ON_START = (
    "#!/bin/bash\nset -e\nIDLE_TIME=3600\n"
    "wget https://raw.githubusercontent.com/aws-samples/amazon-sagemaker-notebook-instance-lifecycle-config-samples"
    "/master/scripts/auto-stop-idle/autostop.py\n"
    '(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time $IDLE_TIME") | crontab -\n'
)

Traffic = Literal["idle", "diurnal", "bursty", "steady", "high", "periodic", "sporadic", "weekly"]


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the name, or the prefix of the names when count > 1")
    count: int = Field(1, ge=1, le=20_000)
    age_days: float = Field(30, ge=0, description="how long ago the resources were created")
    tags: dict[str, str] = Field(default_factory=dict)

    def names(self) -> list[str]:
        return [self.name] if self.count == 1 else [f"{self.name}-{i:04d}" for i in range(self.count)]


class NotebookGroup(_Group):
    instance_type: str = "ml.t3.medium"
    status: Literal["InService", "Stopped"] = "InService"
    lifecycle_config: str | None = Field(
        None, description="attach a lifecycle configuration of this name (it installs AWS's autostop sample)")
    volume_gb: int = Field(5, ge=5, le=16384)


class StudioAppGroup(_Group):
    instance_type: str = "ml.t3.medium"
    app_type: Literal["JupyterLab", "KernelGateway", "CodeEditor", "JupyterServer", "Canvas"] = "JupyterLab"
    idle_shutdown_minutes: int | None = Field(
        None, ge=60, le=525600, description="turn on Studio's idle shutdown for the app's user profile "
                                            "(JupyterLab and CodeEditor apps), after this many idle minutes")

    @model_validator(mode="after")
    def _idle_shutdown_where_studio_has_it(self) -> StudioAppGroup:
        if self.idle_shutdown_minutes is not None and self.app_type not in ("JupyterLab", "CodeEditor"):
            raise ValueError(f"Studio has idle shutdown for JupyterLab and CodeEditor apps, not {self.app_type}")
        return self


class VariantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traffic: Traffic = "steady"
    weight: float = Field(1.0, gt=0)
    renamed_from: str | None = Field(None, description="the variant's name before an UpdateEndpoint renamed it: "
                                                       "its metrics until then are under that name")
    renamed_days_ago: float = Field(1.0, ge=0, description="when the rename happened")
    error_pct: float = Field(0.0, ge=0, le=100, description="share of the requests answered with an error")
    error_kind: Literal["4XX", "5XX"] = "4XX"
    shadow: bool = Field(False, description="a shadow variant: it gets a copy of the production traffic, "
                                            "as much as its own traffic shape lets through")


class EndpointGroup(_Group):
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(1, ge=0, le=100, description="0: an asynchronous endpoint scaled in to zero")
    traffic: Traffic = "steady"
    variants: list[VariantSpec] = Field(default_factory=list, description="several variants, each its own traffic")
    requests_per_minute: float = Field(60, ge=0, description="peak rate of the busiest hours")
    cpu_peak_pct: float | None = Field(None, ge=0, le=100, description="peak CPU per vCPU, percent")
    gpu_peak_pct: float | None = Field(None, ge=0, le=100, description="peak GPU per GPU, percent")
    serverless_memory_mb: int | None = Field(None, ge=1024, le=6144)
    asynchronous: bool = False
    image: str | None = None
    autoscaling_max: int | None = Field(None, ge=1, le=100,
                                        description="register each variant with Application Auto Scaling, 1..this")


    @model_validator(mode="after")
    def _zero_only_when_asynchronous(self) -> EndpointGroup:
        if self.instance_count == 0 and not self.asynchronous:
            raise ValueError("only an asynchronous endpoint scales in to zero instances (instance_count 0)")
        if any(v.shadow for v in self.variants):
            if all(v.shadow for v in self.variants):
                raise ValueError("an endpoint with a shadow variant needs a production variant beside it")
            if self.asynchronous or self.serverless_memory_mb:
                raise ValueError("shadow variants are for real-time endpoints, not asynchronous or serverless ones")
        return self


class JobGroup(_Group):
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = Field(1, ge=1, le=100)
    status: Literal["InProgress", "Completed", "Stopped", "Failed"] = "InProgress"
    hours: float = Field(2, gt=0, description="how long each job ran (or has run so far)")
    spot: bool = False
    volume_gb: int = Field(30, ge=1)
    image: str | None = None
    cpu_peak_pct: float | None = Field(None, ge=0, le=100)
    gpu_peak_pct: float | None = Field(None, ge=0, le=100)
    keep_alive_s: int | None = Field(None, ge=1, le=3600, description="training warm pool keep-alive, seconds")
    hyperparameters: dict[str, str] = Field(default_factory=dict, description="training job hyperparameters")


class InstanceGroupSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    instance_type: str
    count: int = Field(1, ge=0, le=100)


class ClusterGroup(_Group):
    """HyperPod clusters, each with the same instance groups."""

    instance_groups: list[InstanceGroupSpec] = Field(min_length=1)


class RegionFleet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lifecycle_scripts: dict[str, str] = Field(
        default_factory=dict, description="OnStart script by lifecycle configuration name; a configuration "
                                          "a notebook names and this omits installs AWS's autostop sample")

    notebooks: list[NotebookGroup] = Field(default_factory=list)
    studio_apps: list[StudioAppGroup] = Field(default_factory=list)
    endpoints: list[EndpointGroup] = Field(default_factory=list)
    training_jobs: list[JobGroup] = Field(default_factory=list)
    processing_jobs: list[JobGroup] = Field(default_factory=list)
    transform_jobs: list[JobGroup] = Field(default_factory=list)
    clusters: list[ClusterGroup] = Field(default_factory=list)


class Scenario(BaseModel):
    """A fleet to generate: per region, groups of resources and their behaviour."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 7
    regions: dict[str, RegionFleet]


def load_scenario(path: Path) -> Scenario:
    return load_yaml_model(path, Scenario, what="scenario")


@dataclass
class FleetSummary:
    """What was generated."""

    counts: dict[str, int] = field(default_factory=dict)
    metric_series: int = 0

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n


# -- traffic shapes ---------------------------------------------------------------------------------

def traffic_profile(shape: Traffic, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Relative load (0..1) per timestamp (epoch seconds) for a traffic shape."""
    hours = (ts % 86400) / 3600.0
    weekday = ((ts // 86400) + 3) % 7 < 5  # 1970-01-01 was a Thursday
    n = ts.size
    if shape == "idle":
        return np.zeros(n)
    if shape == "steady":
        return np.clip(0.5 + rng.normal(0, 0.05, n), 0, 1)
    if shape == "high":
        return np.clip(0.9 + rng.normal(0, 0.04, n), 0, 1)
    if shape == "diurnal":
        day = np.clip(np.sin(np.pi * (hours - 6) / 16), 0, None) * np.where(weekday, 1.0, 0.35)
        return np.clip(0.03 + 0.97 * day + rng.normal(0, 0.03, n), 0, 1)
    if shape == "periodic":  # a batch every night at 02:00 for 30 minutes
        return np.where((hours >= 2) & (hours < 2.5), 1.0, 0.0)
    if shape == "sporadic":  # a few requests a day
        return (rng.random(n) < 0.02) * 0.05
    if shape == "weekly":  # a job every Saturday, 10:00 to 12:00
        saturday = ((ts // 86400) + 3) % 7 == 5
        return np.where(saturday & (hours >= 10) & (hours < 12), 1.0, 0.0)
    # bursty: quiet, with bursts of 20-60 minutes a few times a day
    load = np.zeros(n)
    starts = np.flatnonzero(rng.random(n) < 3 * PERIOD_S / 86400)
    for s in starts:
        load[s:s + rng.integers(4, 13)] = rng.uniform(0.6, 1.0)
    return load


def _timestamps(start: datetime, end: datetime) -> np.ndarray:
    first = math.ceil(start.timestamp() / PERIOD_S) * PERIOD_S
    last = int(end.timestamp()) // PERIOD_S * PERIOD_S
    if last < first:
        return np.zeros(0, dtype=np.int64)
    return np.arange(first, last, PERIOD_S, dtype=np.int64)


# -- the generator ----------------------------------------------------------------------------------

class FleetBuilder:
    """Creates one scenario in a running sim."""

    def __init__(self, server: SimServer, scenario: Scenario, now: datetime | None = None, workers: int = 8) -> None:
        self.server = server
        self.scenario = scenario
        self.now = now or server.clock.now()
        self.account = server.account_id
        self.rng = np.random.default_rng(scenario.seed)
        self.catalog = load_catalog(use_cache=False)
        self.workers = workers
        self.summary = FleetSummary()

    def build(self) -> FleetSummary:
        for region, fleet in self.scenario.regions.items():
            sm = self.server.client("sagemaker", region)
            self._notebooks(sm, region, fleet.notebooks, fleet.lifecycle_scripts)
            self._studio(sm, region, fleet.studio_apps)
            self._endpoints(sm, region, fleet.endpoints)
            self._jobs(sm, region, "training-job", fleet.training_jobs)
            self._jobs(sm, region, "processing-job", fleet.processing_jobs)
            self._jobs(sm, region, "transform-job", fleet.transform_jobs)
            self._clusters(sm, region, fleet.clusters)
        return self.summary

    # HyperPod
    def _clusters(self, sm: Any, region: str, groups: list[ClusterGroup]) -> None:
        role = ROLE_ARN.format(account=self.account)
        for g in groups:
            for name in g.names():
                sm.create_cluster(ClusterName=name, Tags=self._tags(g.tags), InstanceGroups=[{
                    "InstanceGroupName": ig.name, "InstanceType": ig.instance_type, "InstanceCount": ig.count,
                    "LifeCycleConfig": {"SourceS3Uri": f"s3://sagemaker-{self.account}-hyperpod/lifecycle/",
                                        "OnCreate": "on_create.sh"},
                    "ExecutionRole": role} for ig in g.instance_groups])
            self.summary.add("hyperpod-cluster", g.count)

    def _parallel(self, fn: Callable[[str], None], names: list[str]) -> None:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(fn, names))

    def _created(self, region: str, kind: Any, name: str, age_days: float) -> datetime:
        """Backdate a resource made just now, as if created (and last changed) `age_days` ago."""
        from sagetrim.sim import sagemaker_fixes

        when = self.now - timedelta(days=age_days)
        sagemaker_fixes.set_creation_time(self.account, region, kind, name, when, last_modified=when)
        return when

    @staticmethod
    def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in tags.items()]

    # notebooks
    def _notebooks(self, sm: Any, region: str, groups: list[NotebookGroup], scripts: dict[str, str]) -> None:
        role = ROLE_ARN.format(account=self.account)
        configs = {g.lifecycle_config for g in groups if g.lifecycle_config}
        for cfg in sorted(configs):
            script = base64.b64encode(scripts.get(cfg, AUTOSTOP_ON_START).encode()).decode()
            sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=cfg,
                                                         OnStart=[{"Content": script}])
        for g in groups:
            def one(name: str, g: NotebookGroup = g) -> None:
                params: dict[str, Any] = {"NotebookInstanceName": name, "InstanceType": g.instance_type,
                                          "RoleArn": role, "VolumeSizeInGB": g.volume_gb}
                if g.lifecycle_config:
                    params["LifecycleConfigName"] = g.lifecycle_config
                if g.tags:
                    params["Tags"] = self._tags(g.tags)
                sm.create_notebook_instance(**params)
                if g.status == "Stopped":
                    sm.stop_notebook_instance(NotebookInstanceName=name)
                self._created(region, "notebook-instance", name, g.age_days)

            self._parallel(one, g.names())
            self.summary.add("notebook-instance", g.count)

    # Studio
    def _studio(self, sm: Any, region: str, groups: list[StudioAppGroup]) -> None:
        if not groups:
            return
        domain = sm.create_domain(DomainName="studio", AuthMode="IAM", DefaultUserSettings={
            "ExecutionRole": ROLE_ARN.format(account=self.account)}, SubnetIds=["subnet-0a1b2c3d"],
            VpcId="vpc-0a1b2c3d")["DomainArn"].rsplit("/", 1)[-1]
        for g in groups:
            def one(name: str, g: StudioAppGroup = g) -> None:
                settings = {}
                if g.idle_shutdown_minutes is not None:
                    settings[f"{g.app_type}AppSettings"] = {"AppLifecycleManagement": {"IdleSettings": {
                        "LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": g.idle_shutdown_minutes}}}
                sm.create_user_profile(DomainId=domain, UserProfileName=name,
                                       **({"UserSettings": settings} if settings else {}))
                sm.create_app(DomainId=domain, UserProfileName=name, AppType=g.app_type, AppName="default",
                              ResourceSpec={"InstanceType": "system" if g.app_type == "Canvas" else g.instance_type},
                              Tags=self._tags(g.tags))
                when = self.now - timedelta(days=g.age_days)
                self.server.set_creation_time(self.account, region, "app", f"{domain}/{name}/{g.app_type}/default",
                                              when)

            self._parallel(one, g.names())
            self.summary.add("studio-app", g.count)

    # endpoints
    def _endpoints(self, sm: Any, region: str, groups: list[EndpointGroup]) -> None:
        role = ROLE_ARN.format(account=self.account)
        store = self._metric_store(region)
        for g in groups:
            variants = g.variants or [VariantSpec(traffic=g.traffic)]

            def one(name: str, g: EndpointGroup = g, variants: list[VariantSpec] = variants) -> None:
                image = (g.image or IMAGE).format(region=region)
                sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": image})
                pvs = []
                for i, v in enumerate(variants):
                    pv: dict[str, Any] = {"VariantName": f"variant-{i + 1}" if len(variants) > 1 else "AllTraffic",
                                          "ModelName": name, "InitialVariantWeight": v.weight}
                    if g.serverless_memory_mb:
                        pv["ServerlessConfig"] = {"MemorySizeInMB": g.serverless_memory_mb, "MaxConcurrency": 5}
                    else:
                        pv.update(InstanceType=g.instance_type, InitialInstanceCount=max(1, g.instance_count))
                    pvs.append(pv)
                production = [pv for pv, v in zip(pvs, variants, strict=True) if not v.shadow]
                shadows = [pv for pv, v in zip(pvs, variants, strict=True) if v.shadow]
                cfg: dict[str, Any] = {"EndpointConfigName": name, "ProductionVariants": production}
                if shadows:
                    cfg["ShadowProductionVariants"] = shadows
                if g.asynchronous:
                    cfg["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": f"s3://async-{self.account}/out"}}
                sm.create_endpoint_config(**cfg)
                sm.create_endpoint(EndpointName=name, EndpointConfigName=name, Tags=self._tags(g.tags))
                if g.instance_count == 0:  # autoscaling (MinCapacity 0) has scaled it in to no instance
                    for variant in self.server.backend("sagemaker", region=region).endpoints[name].production_variants:
                        variant["CurrentInstanceCount"] = variant["DesiredInstanceCount"] = 0
                if g.autoscaling_max:
                    scaling = self.server.client("application-autoscaling", region)
                    for pv in production:
                        scaling.register_scalable_target(
                            ServiceNamespace="sagemaker", ResourceId=f"endpoint/{name}/variant/{pv['VariantName']}",
                            ScalableDimension="sagemaker:variant:DesiredInstanceCount", MinCapacity=1,
                            MaxCapacity=g.autoscaling_max)
                created = self._created(region, "endpoint", name, g.age_days)
                self._created(region, "endpoint-config", name, g.age_days)
                for pv, v in zip(pvs, variants, strict=True):
                    self._endpoint_metrics(store, name, pv["VariantName"], g, v, created)

            self._parallel(one, g.names())
            self.summary.add("endpoint", g.count)

    def _endpoint_metrics(self, store: Any, endpoint: str, variant: str, g: EndpointGroup, v: VariantSpec,
                          created: datetime) -> None:
        ts = _timestamps(max(created, self.now - timedelta(days=HISTORY_DAYS)), self.now)
        if ts.size == 0:
            return
        rng = np.random.default_rng(zlib.crc32(f"{endpoint}/{variant}".encode()))
        load = traffic_profile(v.traffic, ts, rng)
        dims = {"EndpointName": endpoint, "VariantName": variant}
        invocations = np.round(load * g.requests_per_minute * PERIOD_S / 60)
        if v.renamed_from is not None:  # the history before the rename is under the old name
            renamed = int((self.now - timedelta(days=v.renamed_days_ago)).timestamp())
            before = (ts < renamed) & (invocations > 0)
            if before.any():
                store.put_series(INVOCATION_NAMESPACE, "Invocations", {**dims, "VariantName": v.renamed_from},
                                 ts[before], sums=invocations[before], counts=SAMPLES, minimums=0.0,
                                 maximums=np.ceil(invocations[before] / SAMPLES * 1.5), unit="None")
                self.summary.metric_series += 1
            invocations = np.where(ts < renamed, 0.0, invocations)
        busy = invocations > 0
        if busy.any():
            # Invocation metrics are published only for periods with requests.
            t, inv = ts[busy], invocations[busy]
            if g.asynchronous:
                endpoint_dims = {"EndpointName": endpoint}
                store.put_series(INVOCATION_NAMESPACE, "InvocationsProcessed", endpoint_dims, t, sums=inv,
                                 counts=SAMPLES, minimums=0.0, maximums=np.ceil(inv / SAMPLES * 2), unit="None")
                store.put_series(INVOCATION_NAMESPACE, "ApproximateBacklogSize", endpoint_dims, t,
                                 values=np.ceil(inv / SAMPLES), counts=SAMPLES, unit="None")
                self.summary.metric_series += 2
            else:
                store.put_series(INVOCATION_NAMESPACE, "Invocations", dims, t, sums=inv, counts=SAMPLES,
                                 minimums=0.0, maximums=np.ceil(inv / SAMPLES * 1.5), unit="None")
                if v.error_pct:  # the failed requests are counted in Invocations too
                    errors = np.round(inv * v.error_pct / 100)
                    store.put_series(INVOCATION_NAMESPACE, f"Invocation{v.error_kind}Errors", dims, t, sums=errors,
                                     counts=SAMPLES, minimums=0.0, maximums=np.ceil(errors / SAMPLES * 1.5),
                                     unit="None")
                    self.summary.metric_series += 1
                latency = 20_000 + 30_000 * load[busy] + rng.normal(0, 2_000, t.size)
                store.put_series(INVOCATION_NAMESPACE, "ModelLatency", dims, t,
                                 values=np.clip(latency, 1_000, None), counts=SAMPLES, unit="Microseconds")
                self.summary.metric_series += 2
        if g.serverless_memory_mb:
            return
        inst = self.catalog.instance(g.instance_type)
        cpu_peak = g.cpu_peak_pct if g.cpu_peak_pct is not None else 60.0
        cpu = inst.vcpu * (2.0 + (cpu_peak - 2.0) * load + rng.normal(0, 0.5, ts.size))
        mem = 25 + 20 * load + rng.normal(0, 1, ts.size)
        instance_dims = {"EndpointName": endpoint, "VariantName": variant}
        store.put_series(ENDPOINT_NAMESPACE, "CPUUtilization", instance_dims, ts,
                         values=np.clip(cpu, 0, inst.vcpu * 100), counts=SAMPLES, unit="Percent")
        store.put_series(ENDPOINT_NAMESPACE, "MemoryUtilization", instance_dims, ts, values=np.clip(mem, 0, 100),
                         counts=SAMPLES, unit="Percent")
        self.summary.metric_series += 2
        if inst.gpu_count:
            gpu_peak = g.gpu_peak_pct if g.gpu_peak_pct is not None else 50.0
            gpu = inst.gpu_count * (gpu_peak * load + rng.normal(0, 0.3, ts.size))
            store.put_series(ENDPOINT_NAMESPACE, "GPUUtilization", instance_dims, ts,
                             values=np.clip(gpu, 0, inst.gpu_count * 100), counts=SAMPLES, unit="Percent")
            store.put_series(ENDPOINT_NAMESPACE, "GPUMemoryUtilization", instance_dims, ts,
                             values=np.clip(gpu * 0.8, 0, inst.gpu_count * 100), counts=SAMPLES, unit="Percent")
            self.summary.metric_series += 2

    # jobs
    def _jobs(self, sm: Any, region: str, kind: str, groups: list[JobGroup]) -> None:
        role = ROLE_ARN.format(account=self.account)
        store = self._metric_store(region)
        for g in groups:
            def one(name: str, g: JobGroup = g) -> None:
                image = (g.image or IMAGE.replace("inference", "training")).format(region=region)
                tags = self._tags(g.tags)
                if kind == "training-job":
                    stopping = {"MaxRuntimeInSeconds": int(g.hours * 3600 * 2) + 3600}
                    if g.spot:
                        stopping["MaxWaitTimeInSeconds"] = stopping["MaxRuntimeInSeconds"] * 2
                    resources: dict[str, Any] = {"InstanceType": g.instance_type, "InstanceCount": g.instance_count,
                                                 "VolumeSizeInGB": g.volume_gb}
                    if g.keep_alive_s:
                        resources["KeepAlivePeriodInSeconds"] = g.keep_alive_s
                    extra: dict[str, Any] = {"HyperParameters": g.hyperparameters} if g.hyperparameters else {}
                    sm.create_training_job(
                        TrainingJobName=name, RoleArn=role,
                        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
                        OutputDataConfig={"S3OutputPath": f"s3://models-{self.account}/{name}"},
                        ResourceConfig=resources, StoppingCondition=stopping, EnableManagedSpotTraining=g.spot,
                        Tags=tags, **extra)
                elif kind == "processing-job":
                    sm.create_processing_job(
                        ProcessingJobName=name, RoleArn=role, AppSpecification={"ImageUri": image},
                        ProcessingResources={"ClusterConfig": {"InstanceCount": g.instance_count,
                                                               "InstanceType": g.instance_type,
                                                               "VolumeSizeInGB": g.volume_gb}},
                        StoppingCondition={"MaxRuntimeInSeconds": int(g.hours * 7200) + 3600}, Tags=tags)
                else:
                    sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": image})
                    sm.create_transform_job(
                        TransformJobName=name, ModelName=name,
                        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                        "S3Uri": f"s3://batch-{self.account}/in"}}},
                        TransformOutput={"S3OutputPath": f"s3://batch-{self.account}/out"},
                        TransformResources={"InstanceType": g.instance_type, "InstanceCount": g.instance_count},
                        Tags=tags)
                start = self.now - timedelta(days=g.age_days)
                end = start + timedelta(hours=g.hours) if g.status != "InProgress" else None
                if end is not None and end > self.now:
                    end = self.now
                self._created(region, kind, name, g.age_days + 3 / 1440)
                billable = int(g.hours * 3600 * (0.3 if g.spot else 1.0)) if kind == "training-job" else None
                status_kwargs: dict[str, Any] = {"start": start, "end": end}
                if billable is not None and g.status != "InProgress":
                    status_kwargs["billable_seconds"] = billable
                self.server.set_status(self.account, region, kind, name, g.status, **status_kwargs)
                if kind in ("training-job", "processing-job"):
                    self._job_metrics(store, kind, name, g, start, end or self.now)

            self._parallel(one, g.names())
            self.summary.add(kind, g.count)

    def _job_metrics(self, store: Any, kind: str, name: str, g: JobGroup, start: datetime, end: datetime) -> None:
        ts = _timestamps(start, end)
        if ts.size == 0:
            return
        inst = self.catalog.instance(g.instance_type)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        namespace = TRAINING_NAMESPACE if kind == "training-job" else PROCESSING_NAMESPACE
        for i in range(1, g.instance_count + 1):
            dims = {"Host": f"{name}/algo-{i}"}
            cpu_peak = g.cpu_peak_pct if g.cpu_peak_pct is not None else 70.0
            cpu = inst.vcpu * (cpu_peak + rng.normal(0, 3, ts.size))
            store.put_series(namespace, "CPUUtilization", dims, ts, values=np.clip(cpu, 0, inst.vcpu * 100),
                             unit="Percent")
            store.put_series(namespace, "MemoryUtilization", dims, ts,
                             values=np.clip(40 + rng.normal(0, 2, ts.size), 0, 100), unit="Percent")
            self.summary.metric_series += 2
            if inst.gpu_count:
                gpu_peak = g.gpu_peak_pct if g.gpu_peak_pct is not None else 80.0
                gpu = inst.gpu_count * (gpu_peak + rng.normal(0, 2, ts.size))
                store.put_series(namespace, "GPUUtilization", dims, ts,
                                 values=np.clip(gpu, 0, inst.gpu_count * 100), unit="Percent")
                self.summary.metric_series += 1

    def _metric_store(self, region: str) -> Any:
        from sagetrim.sim.cloudwatch import metric_store

        return metric_store(self.account, region)


def build_fleet(server: SimServer, scenario: Scenario, now: datetime | None = None) -> FleetSummary:
    """Create `scenario` in a running sim and return what was made."""
    return FleetBuilder(server, scenario, now=(now or server.clock.now()).astimezone(UTC)).build()


# -- the demo preset --------------------------------------------------------------------------------

def demo_scenario() -> Scenario:
    """A small team's account: some of it busy, much of it waste, in two regions."""
    excluded = {"sagetrim:exclude": "true", "team": "fraud"}
    return Scenario.model_validate({
        "seed": 42,
        "regions": {
            "us-east-1": {
                "notebooks": [
                    {"name": "ds-notebook", "count": 4, "instance_type": "ml.t3.medium", "age_days": 60},
                    {"name": "gpu-experiments", "count": 2, "instance_type": "ml.g4dn.xlarge", "age_days": 25,
                     "volume_gb": 100},
                    {"name": "team-lead", "instance_type": "ml.m5.xlarge", "lifecycle_config": "autostop-60",
                     "age_days": 40},
                    {"name": "old-project", "count": 3, "instance_type": "ml.t3.large", "status": "Stopped",
                     "volume_gb": 50, "age_days": 120},
                ],
                "studio_apps": [
                    {"name": "analyst", "count": 3, "instance_type": "ml.t3.medium", "app_type": "JupyterLab"},
                    {"name": "vision-research", "instance_type": "ml.g5.xlarge", "app_type": "KernelGateway"},
                    {"name": "forecasting", "app_type": "Canvas", "age_days": 6},  # logged in since last week
                ],
                "endpoints": [
                    {"name": "churn-model-v1", "count": 3, "instance_type": "ml.m5.xlarge", "instance_count": 2,
                     "traffic": "idle", "age_days": 45},
                    {"name": "image-tagger-staging", "instance_type": "ml.g5.2xlarge", "traffic": "idle",
                     "age_days": 20},
                    {"name": "recommendations", "count": 2, "instance_type": "ml.c5.2xlarge", "instance_count": 3,
                     "traffic": "diurnal", "requests_per_minute": 900, "cpu_peak_pct": 55},
                    {"name": "search-ranking", "instance_type": "ml.c5.4xlarge", "instance_count": 4,
                     "traffic": "high", "requests_per_minute": 3000, "cpu_peak_pct": 70},
                    {"name": "fraud-score", "instance_type": "ml.m5.large", "traffic": "steady",
                     "requests_per_minute": 120, "cpu_peak_pct": 35},
                    {"name": "pricing-ab-test", "instance_type": "ml.m5.xlarge",
                     "variants": [{"traffic": "steady", "weight": 1}, {"traffic": "idle", "weight": 0.01}]},
                    {"name": "text-embeddings", "instance_type": "ml.p3.2xlarge", "traffic": "steady",
                     "requests_per_minute": 40, "gpu_peak_pct": 8, "cpu_peak_pct": 10},
                    {"name": "faq-bot", "serverless_memory_mb": 2048, "traffic": "sporadic"},
                    {"name": "new-forecast", "instance_type": "ml.m5.2xlarge", "traffic": "idle",
                     "age_days": 0.04},
                    {"name": "fraud-shadow", "instance_type": "ml.m5.2xlarge", "traffic": "idle", "tags": excluded},
                ],
                "training_jobs": [
                    {"name": "bert-finetune", "instance_type": "ml.p3.8xlarge", "hours": 5, "age_days": 0.15},
                    {"name": "xgb-nightly", "count": 6, "instance_type": "ml.p3.2xlarge", "status": "Completed",
                     "hours": 1.5, "age_days": 5, "image": SKLEARN_IMAGE, "gpu_peak_pct": 0},
                    {"name": "resnet-spot", "instance_type": "ml.g5.2xlarge", "spot": True, "hours": 3,
                     "age_days": 0.08},
                ],
                "processing_jobs": [
                    {"name": "feature-build", "instance_type": "ml.m5.4xlarge", "instance_count": 2, "hours": 1,
                     "age_days": 0.03},
                ],
                "transform_jobs": [
                    {"name": "monthly-scoring", "instance_type": "ml.c5.xlarge", "instance_count": 2, "hours": 1,
                     "age_days": 0.02},
                ],
                "clusters": [
                    {"name": "llm-pretrain", "instance_groups": [
                        {"name": "controller", "instance_type": "ml.m5.xlarge", "count": 1},
                        {"name": "workers", "instance_type": "ml.g5.12xlarge", "count": 2}]},
                ],
            },
            "eu-west-1": {
                "notebooks": [{"name": "eu-analyst", "count": 2, "instance_type": "ml.t3.xlarge", "age_days": 30}],
                "endpoints": [
                    {"name": "eu-legacy-model", "count": 2, "instance_type": "ml.m5.large", "traffic": "idle",
                     "age_days": 90},
                    {"name": "eu-recommendations", "instance_type": "ml.c5.xlarge", "instance_count": 2,
                     "traffic": "diurnal", "requests_per_minute": 300},
                ],
            },
        },
    })
