"""The simulated account answers plain boto3 like AWS would: credentials, instance types, paging, fields,
accounts, the request log, the clock and registered services."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sagetrim.sim import SimServer, SimServiceError
from sagetrim.sim.sagemaker_fixes import instance_types

if TYPE_CHECKING:
    from botocore.config import Config

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
ACCOUNT = "123456789012"
REGION = "us-east-1"


def _training_job(name: str, instance_type: str = "ml.m5.xlarge", **extra: Any) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        **extra,
    }


def _processing_job(name: str, instance_type: str = "ml.m5.xlarge") -> dict[str, Any]:
    return {
        "ProcessingJobName": name,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 2, "InstanceType": instance_type, "VolumeSizeInGB": 20}
        },
        "AppSpecification": {"ImageUri": "img"},
        "RoleArn": ROLE,
    }


def _transform_job(name: str, instance_type: str = "ml.m5.xlarge") -> dict[str, Any]:
    return {
        "TransformJobName": name,
        "ModelName": "model",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}}},
        "TransformOutput": {"S3OutputPath": "s3://b/out"},
        "TransformResources": {"InstanceType": instance_type, "InstanceCount": 1},
    }


def _endpoint(sm: Any, name: str, variants: list[dict[str, Any]], **config: Any) -> None:
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants, **config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)


def _model(sm: Any, name: str = "model") -> None:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})


def _variant(instance_type: str = "ml.m5.large", name: str = "AllTraffic", count: int = 1) -> dict[str, Any]:
    return {"VariantName": name, "ModelName": "model", "InstanceType": instance_type, "InitialInstanceCount": count}


# --- reaching the sim ---------------------------------------------------------------------------------


def test_given_only_the_env_vars_when_a_plain_boto3_client_calls_then_it_reaches_the_sim(
    clean_sim: SimServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    env = clean_sim.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    session = boto3.session.Session()
    session.client("sagemaker").create_notebook_instance(
        NotebookInstanceName="from-env", InstanceType="ml.t3.medium", RoleArn=ROLE
    )
    identity = session.client("sts").get_caller_identity()

    assert set(env) >= {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
    assert "AWS_SESSION_TOKEN" not in env
    assert identity["Account"] == clean_sim.account_id == ACCOUNT
    notebooks = clean_sim.client("sagemaker").list_notebook_instances()["NotebookInstances"]
    assert [nb["NotebookInstanceName"] for nb in notebooks] == ["from-env"]


def test_given_a_sim_session_when_it_builds_clients_then_they_talk_to_the_sim(clean_sim: SimServer) -> None:
    session = clean_sim.session("eu-west-1")

    session.client("sagemaker").create_notebook_instance(
        NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=ROLE
    )

    assert isinstance(session, boto3.Session)
    assert clean_sim.requests.counts(region="eu-west-1") == {"sagemaker:CreateNotebookInstance": 1}


# --- instance types -----------------------------------------------------------------------------------


def test_given_every_notebook_instance_type_botocore_knows_when_created_then_each_is_accepted(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    types = sorted(instance_types("InstanceType"))

    for index, instance_type in enumerate(types):
        sm.create_notebook_instance(NotebookInstanceName=f"nb-{index}", InstanceType=instance_type, RoleArn=ROLE)

    listed = clean_sim.backend("sagemaker").notebook_instances
    assert sorted(nb.instance_type for nb in listed.values()) == types
    assert {"ml.g5.xlarge", "ml.g6.xlarge"} <= set(types)  # families moto's own list rejected


def test_given_every_hosting_instance_type_when_endpoint_configs_are_created_then_each_is_accepted(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    _model(sm)
    types = sorted(instance_types("ProductionVariantInstanceType"))

    for start in range(0, len(types), 10):  # AWS allows ten variants per endpoint config
        chunk = types[start : start + 10]
        variants = [_variant(t, name=f"v{i}") for i, t in enumerate(chunk)]
        sm.create_endpoint_config(EndpointConfigName=f"cfg-{start}", ProductionVariants=variants)

    configs = clean_sim.backend("sagemaker").endpoint_configs.values()
    accepted = sorted(v["InstanceType"] for c in configs for v in c.production_variants)
    assert accepted == types


@pytest.mark.parametrize(
    ("shape", "create"),
    [
        ("TrainingInstanceType", lambda sm, i, t: sm.create_training_job(**_training_job(f"t{i}", t))),
        ("ProcessingInstanceType", lambda sm, i, t: sm.create_processing_job(**_processing_job(f"p{i}", t))),
        ("TransformInstanceType", lambda sm, i, t: sm.create_transform_job(**_transform_job(f"x{i}", t))),
    ],
    ids=["training", "processing", "transform"],
)
def test_given_every_job_instance_type_when_jobs_are_created_then_each_is_accepted(
    clean_sim: SimServer, shape: str, create: Any
) -> None:
    sm = clean_sim.client("sagemaker")
    _model(sm)

    for index, instance_type in enumerate(sorted(instance_types(shape))):
        create(sm, index, instance_type)

    assert clean_sim.requests.total() == len(instance_types(shape)) + 1


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (
            lambda sm: sm.create_notebook_instance(NotebookInstanceName="n", InstanceType="ml.x9.huge", RoleArn=ROLE),
            "instanceType",
        ),
        (lambda sm: sm.create_training_job(**_training_job("t", "ml.x9.huge")), "resourceConfig.instanceType"),
        (
            lambda sm: sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[_variant("ml.x9.huge")]),
            "productionVariants.1.member.instanceType",
        ),
    ],
    ids=["notebook", "training", "endpoint-config"],
)
def test_given_an_unknown_instance_type_when_created_then_aws_validation_error_names_the_field(
    clean_sim: SimServer, call: Any, path: str
) -> None:
    sm = clean_sim.client("sagemaker")

    with pytest.raises(ClientError) as error:
        call(sm)

    assert error.value.response["Error"]["Code"] == "ValidationException"
    message = error.value.response["Error"]["Message"]
    assert message.startswith(f"1 validation error detected: Value 'ml.x9.huge' at '{path}' failed to satisfy")
    assert "Member must satisfy enum value set: [" in message


# --- paging and sorting -------------------------------------------------------------------------------


def test_given_25_endpoints_when_listed_then_pages_are_10_by_default_up_to_100_newest_first(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    _model(sm)
    clean_sim.clock.set(datetime(2025, 3, 1, tzinfo=UTC))
    for index in range(25):
        clean_sim.clock.advance(timedelta(minutes=1))
        _endpoint(sm, f"ep-{index:02d}", [_variant()])

    first = sm.list_endpoints()
    everything = sm.list_endpoints(MaxResults=100)
    paged = [e["EndpointName"] for p in sm.get_paginator("list_endpoints").paginate() for e in p["Endpoints"]]

    assert len(first["Endpoints"]) == 10 and "NextToken" in first
    assert len(everything["Endpoints"]) == 25 and "NextToken" not in everything
    assert paged == [f"ep-{index:02d}" for index in reversed(range(25))]
    with pytest.raises(ClientError) as error:
        sm.list_endpoints(MaxResults=101)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must have value less than or equal to 100" in error.value.response["Error"]["Message"]


def test_given_jobs_over_time_when_listed_with_creation_time_after_then_filter_comes_before_paging(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for day in range(30):
        clean_sim.clock.set(start + timedelta(days=day))
        sm.create_processing_job(**_processing_job(f"proc-{day:02d}"))

    pages = list(
        sm.get_paginator("list_processing_jobs").paginate(
            CreationTimeAfter=start + timedelta(days=19, hours=12), PaginationConfig={"PageSize": 4}
        )
    )

    names = [job["ProcessingJobName"] for page in pages for job in page["ProcessingJobSummaries"]]
    assert names == [f"proc-{day:02d}" for day in range(20, 30)]  # oldest first, AWS's default
    assert [len(page["ProcessingJobSummaries"]) for page in pages] == [4, 4, 2]


def _tuning_job(name: str) -> dict[str, Any]:
    job = _training_job(name)
    del job["TrainingJobName"]
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
        },
        "TrainingJobDefinition": job,
    }


JOB_KINDS = {
    # kind: (create, list operation, summaries key, name key, AWS's default order by name of day)
    "processing-job": (
        lambda sm, n: sm.create_processing_job(**_processing_job(n)),
        "list_processing_jobs",
        "ProcessingJobSummaries",
        "ProcessingJobName",
        False,
    ),
    "transform-job": (
        lambda sm, n: sm.create_transform_job(**_transform_job(n)),
        "list_transform_jobs",
        "TransformJobSummaries",
        "TransformJobName",
        True,
    ),
    "hyper-parameter-tuning-job": (
        lambda sm, n: sm.create_hyper_parameter_tuning_job(**_tuning_job(n)),
        "list_hyper_parameter_tuning_jobs",
        "HyperParameterTuningJobSummaries",
        "HyperParameterTuningJobName",
        False,
    ),
}


@pytest.mark.parametrize("kind", list(JOB_KINDS))
def test_given_jobs_of_mixed_status_and_age_when_listed_with_both_filters_then_pages_hold_only_matches(
    clean_sim: SimServer, kind: str
) -> None:
    create, operation, key, name_key, newest_first = JOB_KINDS[kind]
    sm = clean_sim.client("sagemaker")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for day in range(12):
        clean_sim.clock.set(start + timedelta(days=day))
        create(sm, f"job-{day:02d}")
        if day % 3 == 0:
            clean_sim.set_status(ACCOUNT, REGION, kind, f"job-{day:02d}", "Stopped")

    pages = list(
        sm.get_paginator(operation).paginate(
            StatusEquals="Completed",
            CreationTimeAfter=start + timedelta(days=4, hours=12),
            PaginationConfig={"PageSize": 3},
        )
    )

    names = [job[name_key] for page in pages for job in page[key]]
    expected = [f"job-{day:02d}" for day in (5, 7, 8, 10, 11)]
    assert names == (expected[::-1] if newest_first else expected)
    assert [len(page[key]) for page in pages] == [3, 2]
    assert len(sm.get_paginator(operation).paginate().build_full_result()[key]) == 12


def test_given_training_jobs_of_mixed_status_when_listed_with_status_equals_then_aws_filters_each_page(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    for index in range(6):
        sm.create_training_job(**_training_job(f"train-{index}"))
    for index in (0, 1, 2, 5):
        clean_sim.set_status(ACCOUNT, REGION, "training-job", f"train-{index}", "InProgress")

    first = sm.list_training_jobs(StatusEquals="InProgress", MaxResults=3)
    second = sm.list_training_jobs(StatusEquals="InProgress", MaxResults=3, NextToken=first["NextToken"])

    # AWS documents that ListTrainingJobs takes MaxResults jobs first and filters that page on the status.
    assert [j["TrainingJobName"] for j in first["TrainingJobSummaries"]] == ["train-0", "train-1", "train-2"]
    assert [j["TrainingJobName"] for j in second["TrainingJobSummaries"]] == ["train-5"]
    assert "NextToken" not in second
    assert {j["TrainingJobStatus"] for j in first["TrainingJobSummaries"]} == {"InProgress"}


# --- fields a cost scanner reads ----------------------------------------------------------------------


def test_given_notebooks_when_listed_then_summaries_carry_type_lifecycle_config_and_times(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    clean_sim.clock.set(datetime(2025, 5, 1, 9, tzinfo=UTC))
    sm.create_notebook_instance(
        NotebookInstanceName="nb", InstanceType="ml.g5.xlarge", RoleArn=ROLE, LifecycleConfigName="autostop"
    )
    clean_sim.clock.advance(timedelta(hours=3))
    sm.stop_notebook_instance(NotebookInstanceName="nb")

    (notebook,) = sm.list_notebook_instances()["NotebookInstances"]

    assert notebook["InstanceType"] == "ml.g5.xlarge"
    assert notebook["NotebookInstanceLifecycleConfigName"] == "autostop"
    assert notebook["NotebookInstanceStatus"] == "Stopped"
    assert notebook["CreationTime"] == datetime(2025, 5, 1, 9, tzinfo=UTC)
    assert notebook["LastModifiedTime"] == datetime(2025, 5, 1, 12, tzinfo=UTC)


def test_given_notebooks_of_different_ages_when_listed_with_filters_then_aws_filters_sorts_and_pages(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    start = datetime(2025, 5, 1, tzinfo=UTC)
    for day, name in enumerate(["zeta", "alpha", "mu", "beta", "kappa", "omega", "delta", "pi", "eta", "nu", "xi"]):
        clean_sim.clock.set(start + timedelta(days=day))
        config = {"LifecycleConfigName": "autostop-v2"} if day % 2 else {}
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE, **config)

    first = sm.list_notebook_instances()
    recent = sm.list_notebook_instances(CreationTimeAfter=start + timedelta(days=6, hours=1))
    autostopped = sm.list_notebook_instances(NotebookInstanceLifecycleConfigNameContains="autostop", MaxResults=100)

    assert [nb["NotebookInstanceName"] for nb in first["NotebookInstances"]][:3] == ["alpha", "beta", "delta"]
    assert len(first["NotebookInstances"]) == 10 and "NextToken" in first
    assert [nb["NotebookInstanceName"] for nb in recent["NotebookInstances"]] == ["eta", "nu", "pi", "xi"]
    assert {nb["NotebookInstanceName"] for nb in autostopped["NotebookInstances"]} == {
        "alpha",
        "beta",
        "omega",
        "pi",
        "nu",
    }


def test_given_real_time_serverless_and_async_endpoints_when_described_then_variants_show_capacity(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    _model(sm)
    _endpoint(sm, "realtime", [_variant("ml.g6e.xlarge", count=3)])
    serverless = {
        "VariantName": "AllTraffic",
        "ModelName": "model",
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
    }
    _endpoint(sm, "serverless", [serverless])
    async_config = {"OutputConfig": {"S3OutputPath": "s3://bucket/async"}}
    _endpoint(sm, "async", [_variant()], AsyncInferenceConfig=async_config)

    realtime = sm.describe_endpoint(EndpointName="realtime")["ProductionVariants"][0]
    serverless_variant = sm.describe_endpoint(EndpointName="serverless")["ProductionVariants"][0]
    asynchronous = sm.describe_endpoint(EndpointName="async")

    assert realtime["CurrentInstanceCount"] == 3 and realtime["CurrentWeight"] == 1.0
    assert serverless_variant["CurrentServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert "CurrentInstanceCount" not in serverless_variant
    assert asynchronous["AsyncInferenceConfig"] == async_config


def test_given_a_spot_training_job_with_warm_pool_when_it_ends_then_times_billing_and_pool_are_reported(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    start = datetime(2025, 6, 1, 8, tzinfo=UTC)
    clean_sim.clock.set(start)
    job = _training_job(
        "spot",
        "ml.p5.48xlarge",
        EnableManagedSpotTraining=True,
        StoppingCondition={"MaxRuntimeInSeconds": 7200, "MaxWaitTimeInSeconds": 9000},
    )
    job["ResourceConfig"] = {
        "InstanceType": "ml.p5.48xlarge",
        "InstanceCount": 2,
        "VolumeSizeInGB": 100,
        "KeepAlivePeriodInSeconds": 1800,
    }
    sm.create_training_job(**job)
    clean_sim.set_status(ACCOUNT, REGION, "training-job", "spot", "InProgress")
    running = sm.describe_training_job(TrainingJobName="spot")

    clean_sim.clock.advance(timedelta(hours=2))
    clean_sim.set_status(ACCOUNT, REGION, "training-job", "spot", "Completed", billable_seconds=2520)
    clean_sim.clock.advance(timedelta(minutes=10))
    done = sm.describe_training_job(TrainingJobName="spot")
    clean_sim.clock.advance(timedelta(hours=1))
    later = sm.list_training_jobs(WarmPoolStatusEquals="Terminated")["TrainingJobSummaries"]

    assert running["TrainingJobStatus"] == "InProgress" and "TrainingEndTime" not in running
    assert "BillableTimeInSeconds" not in running
    assert done["EnableManagedSpotTraining"] is True
    assert done["ResourceConfig"]["InstanceCount"] == 2
    assert done["TrainingStartTime"] == start
    assert done["TrainingEndTime"] == start + timedelta(hours=2)
    assert done["TrainingTimeInSeconds"] == 7200 and done["BillableTimeInSeconds"] == 2520
    assert done["WarmPoolStatus"] == {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": 600}
    assert [j["WarmPoolStatus"]["Status"] for j in later] == ["Terminated"]


def test_given_a_processing_job_when_described_then_its_cluster_config_is_there(clean_sim: SimServer) -> None:
    sm = clean_sim.client("sagemaker")
    sm.create_processing_job(**_processing_job("proc", "ml.c7i.4xlarge"))

    described = sm.describe_processing_job(ProcessingJobName="proc")

    assert described["ProcessingResources"]["ClusterConfig"]["InstanceType"] == "ml.c7i.4xlarge"
    assert described["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2
    assert described["ProcessingStartTime"] == described["CreationTime"]


def test_given_an_unknown_status_when_set_from_the_sim_side_then_the_valid_ones_are_named(
    clean_sim: SimServer,
) -> None:
    clean_sim.client("sagemaker").create_training_job(**_training_job("t"))

    with pytest.raises(ValueError, match="InProgress"):
        clean_sim.set_status(ACCOUNT, REGION, "training-job", "t", "Running")
    with pytest.raises(KeyError):
        clean_sim.set_status(ACCOUNT, REGION, "training-job", "missing", "Completed")


# --- accounts, log, clock -----------------------------------------------------------------------------


def test_given_an_assumed_role_in_a_second_account_when_it_lists_then_it_sees_only_its_own_fleet(
    clean_sim: SimServer,
) -> None:
    home = clean_sim.client("sagemaker")
    _model(home)
    _endpoint(home, "home-endpoint", [_variant()])
    credentials = clean_sim.client("sts").assume_role(
        RoleArn="arn:aws:iam::222222222222:role/sagetrim-scan", RoleSessionName="sagetrim"
    )["Credentials"]
    member = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    remote = member.client("sagemaker", endpoint_url=clean_sim.url)
    remote.create_model(ModelName="model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    _endpoint(remote, "member-endpoint", [_variant()])

    home_names = [e["EndpointName"] for e in home.list_endpoints()["Endpoints"]]
    member_names = [e["EndpointName"] for e in remote.list_endpoints()["Endpoints"]]

    assert home_names == ["home-endpoint"]
    assert member_names == ["member-endpoint"]
    assert member.client("sts", endpoint_url=clean_sim.url).get_caller_identity()["Account"] == "222222222222"
    assert clean_sim.requests.counts(account="222222222222")["sagemaker:ListEndpoints"] == 1
    assert remote.describe_endpoint(EndpointName="member-endpoint")["EndpointArn"].split(":")[4] == "222222222222"


def test_given_calls_to_three_protocols_when_logged_then_counts_are_keyed_by_service_and_operation(
    clean_sim: SimServer,
) -> None:
    clean_sim.client("sagemaker").list_endpoints()
    clean_sim.client("sagemaker", region="eu-west-1").list_endpoints()
    clean_sim.client("cloudwatch").list_metrics()
    clean_sim.client("sts").get_caller_identity()

    assert clean_sim.requests.counts() == {
        "sagemaker:ListEndpoints": 2,
        "cloudwatch:ListMetrics": 1,
        "sts:GetCallerIdentity": 1,
    }
    assert clean_sim.requests.total() == 4
    assert clean_sim.requests.counts(region="eu-west-1") == {"sagemaker:ListEndpoints": 1}
    clean_sim.requests.reset()
    assert clean_sim.requests.total() == 0


def test_given_the_clock_is_set_and_advanced_when_resources_are_created_then_they_carry_sim_time(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    _model(sm)
    clean_sim.clock.set(datetime(2025, 2, 1, 12, tzinfo=UTC))
    _endpoint(sm, "first", [_variant()])
    clean_sim.clock.advance(timedelta(days=3))
    _endpoint(sm, "second", [_variant()])

    first = sm.describe_endpoint(EndpointName="first")
    second = sm.describe_endpoint(EndpointName="second")

    assert first["CreationTime"] == datetime(2025, 2, 1, 12, tzinfo=UTC)
    assert second["CreationTime"] - first["CreationTime"] == timedelta(days=3)
    assert clean_sim.clock.now() == datetime(2025, 2, 4, 12, tzinfo=UTC)
    assert abs(datetime.now(UTC) - datetime(2025, 2, 4, 12, tzinfo=UTC)) > timedelta(days=1)  # real time moves on


def test_given_an_endpoint_when_backdated_from_the_sim_side_then_aws_reports_the_old_creation_time(
    clean_sim: SimServer,
) -> None:
    sm = clean_sim.client("sagemaker")
    _model(sm)
    _endpoint(sm, "old", [_variant()])
    weeks_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(weeks=6)

    clean_sim.set_creation_time(ACCOUNT, REGION, "endpoint", "old", weeks_ago)

    (summary,) = sm.list_endpoints(CreationTimeBefore=datetime.now(UTC) - timedelta(weeks=5))["Endpoints"]
    assert summary["EndpointName"] == "old"
    assert summary["CreationTime"] == weeks_ago


# --- services moto lacks, and its gaps -------------------------------------------------------------------


def test_given_a_registered_pricing_handler_when_boto3_calls_get_products_then_the_handler_answers(
    clean_sim: SimServer, no_retries: Config
) -> None:
    calls: list[tuple[str, dict[str, Any], str]] = []

    def pricing(operation: str, body: dict[str, Any], region: str) -> dict[str, Any]:
        calls.append((operation, body, region))
        if body.get("ServiceCode") != "AmazonSageMaker":
            raise SimServiceError("InvalidParameterException", "Unknown service code")
        return {"FormatVersion": "aws_v1", "PriceList": [json.dumps({"product": {"sku": "X"}})]}

    clean_sim.register_json_service("pricing", pricing)
    client = clean_sim.client("pricing", config=no_retries)

    answer = client.get_products(ServiceCode="AmazonSageMaker", MaxResults=1)
    with pytest.raises(ClientError) as error:
        client.get_products(ServiceCode="AmazonEC2")

    assert json.loads(answer["PriceList"][0]) == {"product": {"sku": "X"}}
    assert calls[0] == ("GetProducts", {"ServiceCode": "AmazonSageMaker", "MaxResults": 1}, "us-east-1")
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert clean_sim.requests.counts() == {"pricing:GetProducts": 2}


def test_given_an_operation_moto_lacks_when_called_then_a_clear_not_implemented_error_comes_back(
    clean_sim: SimServer, no_retries: Config
) -> None:
    sm = clean_sim.client("sagemaker", config=no_retries)

    with pytest.raises(ClientError) as error:
        sm.list_inference_components()

    assert error.value.response["Error"]["Code"] == "NotImplemented"
    assert "sagemaker:ListInferenceComponents" in error.value.response["Error"]["Message"]


def test_given_resources_when_the_sim_is_reset_then_every_account_is_empty(clean_sim: SimServer) -> None:
    sm = clean_sim.client("sagemaker")
    sm.create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=ROLE)
    clean_sim.clock.set(datetime(2024, 1, 1, tzinfo=UTC))

    clean_sim.reset()

    assert sm.list_notebook_instances()["NotebookInstances"] == []
    assert clean_sim.clock.is_real
    assert clean_sim.requests.counts() == {"sagemaker:ListNotebookInstances": 1}


def test_given_a_second_server_when_it_stops_then_the_first_ones_clock_rules_again(clean_sim: SimServer) -> None:
    clean_sim.clock.set(datetime(2025, 7, 1, tzinfo=UTC))
    sm = clean_sim.client("sagemaker")

    with SimServer() as other:
        other.clock.set(datetime(2030, 1, 1, tzinfo=UTC))
        sm.create_notebook_instance(NotebookInstanceName="during", InstanceType="ml.t3.medium", RoleArn=ROLE)
    sm.create_notebook_instance(NotebookInstanceName="after", InstanceType="ml.t3.medium", RoleArn=ROLE)

    times = {nb["NotebookInstanceName"]: nb["CreationTime"] for nb in sm.list_notebook_instances()["NotebookInstances"]}
    assert times == {"during": datetime(2030, 1, 1, tzinfo=UTC), "after": datetime(2025, 7, 1, tzinfo=UTC)}


def test_given_a_name_aws_would_refuse_when_sent_then_the_sim_refuses_it_with_aws_text(sim) -> None:
    from botocore.exceptions import ClientError

    sm = sim.client("sagemaker")
    for name in ("-starts-with-a-dash", "x" * 64, "has_underscore"):
        try:
            sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium",
                                        RoleArn="arn:aws:iam::123456789012:role/x")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ValidationException"
            assert "failed to satisfy constraint" in exc.response["Error"]["Message"]
        else:
            raise AssertionError(f"{name!r} was accepted")
