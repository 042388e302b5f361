"""Resources and findings for the actions' tests, made in the simulated account."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sagetrim.actions.executor import carry_out
from sagetrim.actions.restore import latest_backup
from sagetrim.rules.model import Action, Finding, Severity
from sagetrim.sim import SimServer

if TYPE_CHECKING:
    from sagetrim.actions.journal import Journal
    from sagetrim.actions.state import StateStore

REGION = "us-east-1"
NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def role_arn(sim: SimServer) -> str:
    return f"arn:aws:iam::{sim.account_id}:role/sagemaker-execution"


def make_endpoint(sim: SimServer, name: str, *, region: str = REGION, autoscaling: bool = True,
                  tags: dict[str, str] | None = None) -> dict[str, Any]:
    """An endpoint with two models on two variants (one with data capture), tags on everything and an
    autoscaling target and target-tracking policy on the first variant. Returns its DescribeEndpoint."""
    sm = sim.client("sagemaker", region)
    tag_list = [{"Key": k, "Value": v} for k, v in {"team": "fraud", **(tags or {})}.items()]
    for i, model in enumerate((f"{name}-model-a", f"{name}-model-b")):
        sm.create_model(
            ModelName=model, ExecutionRoleArn=role_arn(sim),
            PrimaryContainer={"Image": f"123456789012.dkr.ecr.{region}.amazonaws.com/churn:{i + 1}",
                              "ModelDataUrl": f"s3://models-bucket/{model}/model.tar.gz",
                              "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "VARIANT": str(i)}},
            VpcConfig={"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]},
            Tags=[*tag_list, {"Key": "model", "Value": model}],
        )
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {"VariantName": "primary", "ModelName": f"{name}-model-a", "InitialInstanceCount": 2,
             "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": 0.9},
            {"VariantName": "canary", "ModelName": f"{name}-model-b", "InitialInstanceCount": 1,
             "InstanceType": "ml.c5.large", "InitialVariantWeight": 0.1},
        ],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 20,
                           "DestinationS3Uri": "s3://capture-bucket/churn",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]},
        Tags=tag_list,
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tag_list)
    if autoscaling:
        aas = sim.client("application-autoscaling", region)
        resource_id = f"endpoint/{name}/variant/primary"
        aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource_id, ScalableDimension=DIMENSION,
                                     MinCapacity=1, MaxCapacity=6)
        aas.put_scaling_policy(
            PolicyName=f"{name}-invocations", ServiceNamespace="sagemaker", ResourceId=resource_id,
            ScalableDimension=DIMENSION, PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0, "ScaleInCooldown": 300, "ScaleOutCooldown": 60,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            },
        )
    return dict(sm.describe_endpoint(EndpointName=name))


def make_notebook(sim: SimServer, name: str, *, region: str = REGION) -> str:
    """An InService notebook instance; returns its ARN."""
    sm = sim.client("sagemaker", region)
    sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=role_arn(sim))
    return str(sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceArn"])


def finding(sim: SimServer, kind: str, name: str, action: Action, *, region: str = REGION, savings: float = 100.0,
            rule: str | None = None, account: str | None = None) -> Finding:
    """A finding about a resource as a rule would report it."""
    account = account or sim.account_id
    rule = rule or {"endpoint": "idle-endpoint", "notebook-instance": "idle-notebook"}.get(kind, "test-rule")
    return Finding(
        rule=rule, account=account, region=region, kind=kind, name=name,
        arn=f"arn:aws:sagemaker:{region}:{account}:{kind}/{name}", severity=Severity.HIGH,
        monthly_savings_usd=savings, evidence={"window_hours": 24, "invocations": 0},
        message=f"no invocations in the last 24 h; acting on it saves ${savings:,.2f} a month", action=action,
    )


def endpoint_exists(sim: SimServer, name: str, region: str = REGION) -> bool:
    names = [e["EndpointName"] for e in sim.client("sagemaker", region).list_endpoints(MaxResults=100)["Endpoints"]]
    return name in names


def observed(sim: SimServer, name: str, region: str = REGION) -> dict[str, Any]:
    """What makes an endpoint the endpoint it is, read from the account (ids and times left out)."""
    sm, aas = sim.client("sagemaker", region), sim.client("application-autoscaling", region)
    endpoint = sm.describe_endpoint(EndpointName=name)
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    models = {}
    for variant in config["ProductionVariants"]:
        model = sm.describe_model(ModelName=variant["ModelName"])
        models[model["ModelName"]] = {
            "container": model["PrimaryContainer"], "role": model["ExecutionRoleArn"], "vpc": model["VpcConfig"],
            "tags": sm.list_tags(ResourceArn=model["ModelArn"])["Tags"],
        }
    ids = [f"endpoint/{name}/variant/{v['VariantName']}" for v in config["ProductionVariants"]]
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=ids)["ScalableTargets"]
    policies = [p for rid in ids
                for p in aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)["ScalingPolicies"]]
    return {
        "config_name": endpoint["EndpointConfigName"],
        "status": endpoint["EndpointStatus"],
        "variants": config["ProductionVariants"],
        "data_capture": config.get("DataCaptureConfig"),
        "endpoint_tags": sm.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"],
        "config_tags": sm.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"],
        "models": models,
        "targets": [(t["ResourceId"], t["ScalableDimension"], t["MinCapacity"], t["MaxCapacity"]) for t in targets],
        "policies": [(p["PolicyName"], p["PolicyType"], p["TargetTrackingScalingPolicyConfiguration"])
                     for p in policies],
    }


def delete_with_backup(sim: SimServer, store: StateStore, journal: Journal, name: str = "churn",
                       now: datetime = NOW) -> str:
    """Delete the endpoint `name` as `act --apply` does (backup first); returns the backup's key."""
    [outcome] = carry_out([finding(sim, "endpoint", name, Action.DELETE_ENDPOINT)],
                          session_for=lambda account, region: sim.session(region), store=store, journal=journal,
                          apply=True, now=now)
    assert outcome.status == "done", outcome.reason
    key = latest_backup(store, sim.account_id, REGION, name)
    assert key is not None
    return key
