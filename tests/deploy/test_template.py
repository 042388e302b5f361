"""The CloudFormation template: it passes cfn-lint, creates in the simulated account as a scanner, a member
or a fan-out stack, and each schedule gets rules on its UTC expressions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from sagetrim.config import Settings
from sagetrim.deploy import build_template, handlers, render_template
from sagetrim.deploy.policy import SCAN_PERMISSIONS
from sagetrim.deploy.template import HANDLERS, RUNTIME
from sagetrim.errors import UsageError
from sagetrim.schedules import parse_expression, utc_expression
from tests.deploy.helpers import allowed_actions, deploy, load_template

LINT_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"]
JAN = datetime(2026, 1, 15, tzinfo=UTC)
FULL = {
    "regions": ["us-east-1", "eu-west-1"],
    "notify": {"webhook_url": "https://hooks.example.com/services/T0/B0/X"},
    "rules": {"idle-endpoint": {"hours": 48}},
    "actions": {"max_per_run": 10},
    "schedules": [
        {"name": "office-hours", "timezone": "Europe/Paris", "start": "cron(0 7 ? * MON-FRI *)",
         "stop": "cron(0 19 ? * MON-FRI *)", "targets": {"name_prefix": "ds-"}},
        {"name": "india-nights", "timezone": "Asia/Kolkata", "stop": "cron(30 0 ? * TUE-SAT *)",
         "targets": {"kinds": ["notebook-instance", "studio-app"], "tag": True}},
        {"name": "hourly", "start": "rate(1 hour)", "stop": "rate(1 hour)", "targets": {"name_prefix": ""}},
    ],
}
VARIANTS = {
    "defaults": Settings(),
    "full": Settings.model_validate(FULL),
    "notify-only": Settings.model_validate({"actions": {"enabled": ["notify"]}}),
    "restore-roles": Settings.model_validate({"restore": {"execution_roles": [
        "sagemaker-execution", "service-role/AmazonSageMaker-ExecutionRole-*"]}}),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_given_settings_when_the_template_is_rendered_then_it_passes_cfn_lint(name: str) -> None:
    matches = lint(render_template(VARIANTS[name], now=JAN),
                   config=ManualArgs(regions=LINT_REGIONS, include_checks=["I"]))
    assert [str(m) for m in matches] == []


def test_given_settings_when_rendered_then_the_functions_read_them_back_without_the_stack_parameters() -> None:
    template = build_template(VARIANTS["full"], now=JAN)
    env = template["Resources"]["ScanFunction"]["Properties"]["Environment"]["Variables"]
    settings = handlers.resolve_invocation({}, {handlers.ENV_CONFIG: env[handlers.ENV_CONFIG]}).settings
    assert settings == Settings.model_validate({**FULL, "regions": []})
    assert template["Parameters"]["Regions"]["Default"] == "us-east-1,eu-west-1"
    assert env[handlers.ENV_STATE] == {"Fn::Sub": "s3://${StateBucket}/sagetrim"}
    assert handlers.ENV_CONFIG not in build_template(Settings())["Resources"]["ScanFunction"]["Properties"][
        "Environment"]["Variables"]


def test_given_settings_too_long_for_lambda_when_rendered_then_it_says_where_to_put_them() -> None:
    many = [{"name": f"team-{i:03d}", "stop": "cron(0 19 ? * MON-FRI *)", "targets": {"name_prefix": f"team-{i:03d}-"}}
            for i in range(60)]
    with pytest.raises(UsageError, match="s3://STATE_BUCKET/sagetrim/sagetrim.yaml"):
        render_template(Settings(schedules=many))


def test_given_only_notify_enabled_when_rendered_then_the_role_can_only_read() -> None:
    template = build_template(VARIANTS["notify-only"])
    role = template["Resources"]["Role"]["Properties"]["Policies"]
    account = allowed_actions(role, {"FansOut": False, "ScansOwnAccount": True}) - allowed_actions(
        role, {"FansOut": False, "ScansOwnAccount": False})
    assert account == set(SCAN_PERMISSIONS)
    assert "RestoreFunction" not in template["Resources"] and "ScheduleFunction" not in template["Resources"]


def test_given_restore_execution_roles_when_rendered_then_only_those_roles_may_be_passed_and_only_to_sagemaker(
) -> None:
    template = build_template(VARIANTS["restore-roles"])
    [statement] = [s for p in template["Resources"]["MemberRole"]["Properties"]["Policies"]
                   for s in p["PolicyDocument"]["Statement"] if s.get("Action") == ["iam:PassRole"]]

    assert statement["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/sagemaker-execution"},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/service-role/AmazonSageMaker-ExecutionRole-*"},
    ]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_given_the_template_when_the_scanner_stack_is_created_then_every_resource_is_there(clean_sim: Any) -> None:
    sim = clean_sim
    stack = deploy(sim, VARIANTS["full"], name="scanner", NotificationEmail="finops@example.com",
                   ScanSchedule="rate(12 hours)")

    # The stack's own functions (a CreateStack retried by botocore after a slow answer may leave another stack).
    names = [stack.outputs[o] for o in ("ScanFunctionName", "ScheduleFunctionName", "RestoreFunctionName")]
    functions = {f["FunctionName"]: f for f in sim.client("lambda").list_functions()["Functions"]
                 if f["FunctionName"] in names}
    assert {functions[n]["Handler"] for n in names} == set(HANDLERS.values())
    assert {f["Runtime"] for f in functions.values()} == {RUNTIME}
    assert {f["Role"] for f in functions.values()} == {stack.outputs["RoleArn"]}
    events = sim.client("events")
    rules = {r["Name"]: r for r in events.list_rules(NamePrefix="scanner-")["Rules"]}
    by_logical = {logical: rules[stack.resources[logical]["PhysicalResourceId"]]
                  for logical in stack.resources if logical.endswith("Rule")}
    assert by_logical["ScanRule"]["ScheduleExpression"] == "rate(12 hours)"
    schedule_rules = {k: v["ScheduleExpression"] for k, v in by_logical.items() if k != "ScanRule"}
    office = [e for k, e in schedule_rules.items() if "OfficeHours" in k]
    assert sorted(office) == [utc_expression(parse_expression(e), "Europe/Paris") for e in (
        "cron(0 19 ? * MON-FRI *)", "cron(0 7 ? * MON-FRI *)")]
    assert schedule_rules["Schedule3HourlyStartStopRule"] == "rate(1 hour)"
    for logical, rule in by_logical.items():
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        expected = stack.outputs["ScanFunctionName" if logical == "ScanRule" else "ScheduleFunctionName"]
        assert target["Arn"].endswith(f":function:{expected}")
    subscriptions = sim.client("sns").list_subscriptions_by_topic(TopicArn=stack.outputs["TopicArn"])
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions["Subscriptions"]] == [("email", "finops@example.com")]
    s3 = sim.client("s3")
    bucket = stack.outputs["StateBucketName"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # moto's CloudFormation applies only a bucket's encryption and tags; the rest is read from the template.
    properties = load_template(stack.template)["Resources"]["StateBucket"]["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    env = stack.function_env(sim)
    assert env[handlers.ENV_STATE] == f"s3://{bucket}/sagetrim" and env[handlers.ENV_TOPIC] == stack.outputs["TopicArn"]
    assert env[handlers.ENV_APPLY] == "false" and env[handlers.ENV_REGIONS] == "us-east-1,eu-west-1"
    role_name = stack.outputs["RoleArn"].rsplit("/", 1)[-1]
    assert sorted(sim.client("iam").list_role_policies(RoleName=role_name)["PolicyNames"]) == [
        "sagetrim-account", "sagetrim-home"]
    [group] = sim.client("logs").describe_log_groups(
        logGroupNamePrefix=stack.resources["LogGroup"]["PhysicalResourceId"])["logGroups"]
    assert group["retentionInDays"] == 30
    permissions = {logical for logical, r in stack.resources.items() if r["ResourceType"] == "AWS::Lambda::Permission"}
    assert permissions == {logical.replace("Rule", "Permission") for logical in by_logical}
    assert "MemberRole" not in stack.resources


def test_given_a_scanner_role_when_the_member_stack_is_created_then_it_holds_only_the_member_role(sim: Any) -> None:
    scanner = "arn:aws:iam::123456789012:role/scanner-Role-EXAMPLE"
    stack = deploy(sim, Settings(), name="member", capabilities=("CAPABILITY_NAMED_IAM",), ScannerRoleArn=scanner,
                   MemberRoleName="sagetrim-member-test")

    assert set(stack.outputs) == {"MemberRoleArn"}
    assert {r["ResourceType"] for r in stack.resources.values()} == {"AWS::IAM::Role"}
    role = sim.client("iam").get_role(RoleName="sagetrim-member-test")["Role"]
    assert role["Arn"] == stack.outputs["MemberRoleArn"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": scanner} and statement["Action"] == "sts:AssumeRole"


def test_given_member_roles_when_the_fan_out_stack_is_rendered_then_its_role_may_only_assume_them() -> None:
    template = load_template(render_template(Settings(role_arns=["arn:aws:iam::111122223333:role/sagetrim-member"])))
    policies = template["Resources"]["Role"]["Properties"]["Policies"]
    assert template["Parameters"]["MemberRoleArns"]["Default"] == "arn:aws:iam::111122223333:role/sagetrim-member"
    fan_out = allowed_actions(policies, {"FansOut": True, "ScansOwnAccount": False})
    assert fan_out == {"logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:PutObject", "s3:ListBucket",
                       "sns:Publish", "sts:AssumeRole"}
    statement = policies[0]["PolicyDocument"]["Statement"][-1]["Fn::If"][1]
    assert statement["Resource"] == {"Fn::Split": [",", {"Ref": "MemberRoleArns"}]}
