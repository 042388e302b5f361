"""The deployment's role allows exactly the AWS actions sagetrim calls: nothing missing, nothing extra.

The stack is created in the simulated account from the rendered template; the handlers then run in this
process with the functions' environment through every code path: the schedules (start, stop, Studio apps),
a scan with every rule and an applied act (stops, an endpoint with autoscaling deleted after its backup,
SNS), and a restore that must recreate the endpoint's model and configuration. Every API call is
recorded and mapped to its IAM action.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from typing import Any

import pytest

from sagetrim.config import Settings
from sagetrim.deploy import handlers, render_template
from sagetrim.deploy.policy import LAMBDA_LOG_PERMISSIONS
from sagetrim.sim import SimServer
from sagetrim.sim.fleet import Scenario, build_fleet
from sagetrim.sim.server import ACCESS_KEY_ID
from tests.deploy.helpers import (
    LAMBDA_RUNTIME,
    allowed_actions,
    deploy,
    load_template,
    record_api_calls,
    scheduled_event,
    use_stack_env,
)

REGION = "us-east-1"
SCALED_ENDPOINT = "image-tagger-staging"  # idle for 20 days: idle-endpoint deletes it
AB_ENDPOINT = "ranker"  # its second variant, registered with autoscaling, serves nothing: remove-variant
# One of everything a code path reads or changes.
SCENARIO = {"seed": 3, "regions": {REGION: {
    "notebooks": [
        {"name": "ds-notebook", "age_days": 10},  # idle-notebook stops it; without autostop: notify
        {"name": "team-lead", "lifecycle_config": "autostop-60", "age_days": 10},
        {"name": "gpu-experiments", "instance_type": "ml.g4dn.xlarge", "age_days": 10},  # a schedule stops it
        {"name": "old-project", "status": "Stopped", "age_days": 60},  # a schedule starts it
    ],
    "studio_apps": [{"name": "analyst"},  # a schedule deletes it
                    {"name": "researcher", "age_days": 5}],  # the scan reads its domain's and profile's idle shutdown
    "endpoints": [
        {"name": SCALED_ENDPOINT, "traffic": "idle", "age_days": 20, "autoscaling_max": 4,
         "tags": {"team": "vision"}},
        {"name": "fraud-score", "traffic": "steady", "age_days": 20, "cpu_peak_pct": 30},
        {"name": AB_ENDPOINT, "age_days": 20, "autoscaling_max": 2,
         "variants": [{"traffic": "steady"}, {"traffic": "idle", "weight": 0.01}]},
    ],
    "training_jobs": [{"name": "bert-finetune", "age_days": 0.1, "hours": 1},
                      {"name": "xgb-nightly", "status": "Completed", "age_days": 2, "hours": 1}],
    "processing_jobs": [{"name": "feature-build", "age_days": 0.05, "hours": 1}],
    "transform_jobs": [{"name": "monthly-scoring", "age_days": 0.05, "hours": 1}],
}}}
SETTINGS = {
    "regions": [REGION],
    "actions": {"enabled": ["notify", "stop-notebook", "delete-endpoint", "remove-variant", "tag"]},
    "schedules": [
        {"name": "gpu-nights", "stop": "cron(0 * * * ? *)",
         "targets": {"kinds": ["notebook-instance", "studio-app"], "name_prefix": "gpu-experiments"}},
        {"name": "analysts-off", "stop": "cron(0 * * * ? *)", "targets": {"kinds": ["studio-app"],
                                                                           "name_prefix": "analyst"}},
        {"name": "old-project-mornings", "start": "cron(0 * * * ? *)", "targets": {"name_prefix": "old-project"}},
    ],
}


@pytest.fixture(scope="module")
def world(sim: SimServer) -> Any:
    """The fleet, a running tuning job and a scaling policy on the endpoint to be deleted, and the stack."""
    build_fleet(sim, Scenario.model_validate(SCENARIO))
    sm = sim.client("sagemaker", REGION)
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="xgb-tuning",
        HyperParameterTuningJobConfig={"Strategy": "Bayesian", "ResourceLimits": {
            "MaxNumberOfTrainingJobs": 10, "MaxParallelTrainingJobs": 2}},
        TrainingJobDefinition={
            "AlgorithmSpecification": {"TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1",
                                       "TrainingInputMode": "File"},
            "RoleArn": f"arn:aws:iam::{sim.account_id}:role/SageMakerExecution",
            "OutputDataConfig": {"S3OutputPath": "s3://models/tuning"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600}})
    sim.set_status(sim.account_id, REGION, "hyper-parameter-tuning-job", "xgb-tuning", "InProgress")
    sm.create_cluster(ClusterName="llm-train", InstanceGroups=[{  # the scan lists and describes it
        "InstanceGroupName": "workers", "InstanceType": "ml.g5.8xlarge", "InstanceCount": 2,
        "LifeCycleConfig": {"SourceS3Uri": "s3://sagemaker-lifecycle/hyperpod/", "OnCreate": "on_create.sh"},
        "ExecutionRole": f"arn:aws:iam::{sim.account_id}:role/HyperPodExecution"}])
    domain_id = sm.list_domains()["Domains"][0]["DomainId"]
    sm.create_space(DomainId=domain_id, SpaceName="team-space", SpaceSettings={"AppType": "JupyterLab"})
    sm.create_app(DomainId=domain_id, SpaceName="team-space", AppType="JupyterLab", AppName="default",
                  ResourceSpec={"InstanceType": "ml.t3.medium"})  # the scan reads the space's idle shutdown
    endpoint = sm.describe_endpoint(EndpointName=SCALED_ENDPOINT)
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variant = config["ProductionVariants"][0]["VariantName"]
    sim.client("application-autoscaling", REGION).put_scaling_policy(
        PolicyName="invocations", ServiceNamespace="sagemaker", ResourceId=f"endpoint/{SCALED_ENDPOINT}/variant/"
        f"{variant}", ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 100.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
    stack = deploy(sim, Settings.model_validate(SETTINGS), ApplyActions="true")
    return sim, stack, endpoint["EndpointConfigName"], [v["ModelName"] for v in config["ProductionVariants"]]


def test_given_every_code_path_when_run_then_the_role_allows_exactly_the_actions_called(world: Any) -> None:
    server, stack, config_name, models = world
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_stack_env(monkeypatch, server, stack.function_env(server))
        server.requests.reset()
        with record_api_calls(monkeypatch) as recorder:
            schedules = handlers.run_schedules(scheduled_event(datetime.now(UTC)), None)
            act = handlers.scan_and_act(scheduled_event(), None)
            with recorder.paused():  # someone cleans up after the delete: restore must recreate these
                sm = server.client("sagemaker", REGION)
                sm.delete_endpoint_config(EndpointConfigName=config_name)
                for model in models:
                    sm.delete_model(ModelName=model)
            restore = handlers.restore_endpoint({"endpoint": SCALED_ENDPOINT, "region": REGION}, None)
            put_back = handlers.restore_endpoint({"endpoint": AB_ENDPOINT, "region": REGION}, None)
        served = server.requests.counts()

    # Each code path did its work.
    done = {(d["operation"], d["name"].split("/")[1] if "/" in d["name"] else d["name"])
            for d in schedules["accounts"][0]["decisions"] if d["outcome"] == "done"}
    assert done == {("StopNotebookInstance", "gpu-experiments"), ("StartNotebookInstance", "old-project"),
                    ("DeleteApp", "analyst")}
    assert act["dry_run"] is False and act["status"] == "ok"
    assert {("delete-endpoint", "done"), ("remove-variant", "done"), ("stop-notebook", "done"), ("notify", "done")} <= {
        (o["action"], o["status"]) for o in act["outcomes"]}
    assert restore["status"] == "ok" and {"model", "endpoint", "scaling"} <= {c.split()[0] for c in restore["created"]}
    assert put_back["status"] == "ok" and {"endpoint", "scalable"} <= {c.split()[0] for c in put_back["created"]}

    # The role allows exactly what was called, as the template says and as the stack created it.
    allowed = allowed_actions(load_template(stack.template)["Resources"]["Role"]["Properties"]["Policies"],
                              {"FansOut": False, "ScansOwnAccount": True})
    called = recorder.iam_actions() | LAMBDA_RUNTIME
    assert called - allowed == set(), "called but not allowed"
    assert allowed - called == set(), "allowed but never called"
    assert _created_role_actions(server, stack.outputs["RoleArn"]) == allowed
    assert set(LAMBDA_LOG_PERMISSIONS) == LAMBDA_RUNTIME

    # The recorder saw every call the sim served, all made with the functions' own credentials.
    keys = {c.key for c in recorder.calls}
    served_keys = {k.replace("tagging:", "resourcegroupstaggingapi:") for k in served if not k.startswith("s3:")}
    # The sim cannot name S3 (REST) operations; the test's own clean-up was left out on purpose.
    assert served_keys - {"sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel"} == {
        k for k in keys if not k.startswith("s3:")}
    assert {c.access_key for c in recorder.calls} == {ACCESS_KEY_ID}


def _created_role_actions(server: Any, role_arn: str) -> set[str]:
    iam = server.client("iam")
    role_name = role_arn.rsplit("/", 1)[-1]
    out: set[str] = set()
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):  # moto keeps a document made by CloudFormation as Python's repr
            document = ast.literal_eval(document)
        # moto leaves AWS::NoValue in a list as None where CloudFormation drops the item.
        for statement in filter(None, document["Statement"]):
            out.update(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    return out


def test_given_the_role_when_read_then_no_action_has_a_wildcard_and_star_resources_are_only_for_unscoped_reads(
        ) -> None:
    template = load_template(render_template(Settings.model_validate(SETTINGS)))
    unscoped = set()
    for role in ("Role", "MemberRole"):
        for policy in template["Resources"][role]["Properties"]["Policies"]:
            body = policy["Fn::If"][1] if "Fn::If" in policy else policy
            for statement in body["PolicyDocument"]["Statement"]:
                if "Fn::If" in statement:
                    statement = statement["Fn::If"][1]
                assert all("*" not in a and "?" not in a for a in statement["Action"])
                if statement["Resource"] == "*":
                    unscoped.update(statement["Action"])
    assert unscoped == {
        "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
        "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "tag:GetResources", "sagemaker:ListApps",
        "sagemaker:ListClusters", "sagemaker:ListSpaces", "sagemaker:ListEndpoints",
        "sagemaker:ListHyperParameterTuningJobs",
        "sagemaker:ListNotebookInstances",
        "sagemaker:ListProcessingJobs",
        "sagemaker:ListTrainingJobs", "sagemaker:ListTransformJobs"}
