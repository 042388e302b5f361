"""The CloudFormation template that runs sagetrim inside an account, made from the settings.

One template, two uses, chosen by the ``ScannerRoleArn`` parameter:

- empty (the default): the *scanner* stack. Lambda functions for the scan-and-act cycle, the schedules and
  restore; an EventBridge rule for the scan cycle and one per schedule transition; an SNS topic with an
  optional e-mail subscription; the state bucket; a log group; and one least-privilege role. With
  ``MemberRoleArns`` it fans out: the functions assume those roles and reach only the member accounts.
- a role ARN: the *member* stack, for a service-managed StackSet over an organization. It creates only the
  role ``MemberRoleName``, which that scanner role may assume, with what sagetrim calls in an account.

EventBridge rules read cron expressions in UTC: a schedule in another time zone gets a rule on
:func:`sagetrim.schedules.utc_expression`, which fires at every UTC time its local times can fall on. The
template is built with long-form intrinsic functions and written as YAML by :mod:`sagetrim.deploy.cfn`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import yaml

from sagetrim import __version__
from sagetrim.config import Settings
from sagetrim.deploy import policy
from sagetrim.deploy.cfn import NO_VALUE, dump_yaml, equals, get_att, if_, not_, ref, sub
from sagetrim.deploy.handlers import (
    CONFIG_KEY,
    ENV_APPLY,
    ENV_CONFIG,
    ENV_REGIONS,
    ENV_ROLE_ARNS,
    ENV_STATE,
    ENV_TOPIC,
)
from sagetrim.errors import UsageError
from sagetrim.rules.model import Action
from sagetrim.schedules import Schedule, utc_expression

__all__ = [
    "DEFAULT_SCAN_SCHEDULE",
    "HANDLERS",
    "RUNTIME",
    "build_template",
    "render_template",
]

RUNTIME = "python3.11"
ARCHITECTURE = "x86_64"
HANDLERS = {
    "scan": "sagetrim.deploy.handlers.scan_and_act",
    "schedules": "sagetrim.deploy.handlers.run_schedules",
    "restore": "sagetrim.deploy.handlers.restore_endpoint",
}
DEFAULT_SCAN_SCHEDULE = "cron(0 6 * * ? *)"
DEFAULT_CODE_KEY = "sagetrim-lambda.zip"
DEFAULT_MEMBER_ROLE = "sagetrim-member"
# Lambda allows 4 KB of environment variables in all; the other variables take well under 1 KB.
MAX_INLINE_CONFIG = 3000
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)
_REGION = r"[a-z]{2}(-[a-z]+)+-\d+"
_ROLE = r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=.@/-]+"  # no commas: the list is comma-separated
_REGIONS_PATTERN = rf"^$|^{_REGION}(,{_REGION})*$"
_ROLES_PATTERN = rf"^$|^{_ROLE}(,{_ROLE})*$"


# --- the template -----------------------------------------------------------------------------------


def _logical(text: str) -> str:
    """A CloudFormation logical id fragment from a schedule name: letters and digits, CamelCase."""
    parts = re.split(r"[^A-Za-z0-9]+", text)
    return "".join(p[:1].upper() + p[1:] for p in parts if p)[:40]


def _inline_config(settings: Settings) -> str | None:
    """The settings the functions read from $SAGETRIM_CONFIG: all but what the stack's parameters set."""
    doc = settings.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for key in ("regions", "role_arns", "state"):
        doc.pop(key, None)
    notify = doc.get("notify") or {}
    notify.pop("sns_topic_arn", None)
    if not notify:
        doc.pop("notify", None)
    doc = {k: v for k, v in doc.items() if v not in ({}, [], None)}
    if not doc:
        return None
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    if len(text.encode()) > MAX_INLINE_CONFIG:
        raise UsageError(
            f"the settings take {len(text.encode())} bytes, more than the {MAX_INLINE_CONFIG} that fit in the "
            f"functions' environment; deploy with shorter settings and upload the full file to "
            f"s3://STATE_BUCKET/{policy.STATE_PREFIX}/{CONFIG_KEY} (the functions read it there first)"
        )
    return text


def _parameters(settings: Settings) -> dict[str, Any]:
    return {
        # Strings rather than CommaDelimitedList: the functions take them as text, and one pattern checks them.
        "Regions": {
            "Type": "String", "Default": ",".join(settings.regions), "AllowedPattern": _REGIONS_PATTERN,
            "Description": "Regions to scan and act in, comma-separated; empty: the stack's region.",
        },
        "MemberRoleArns": {
            "Type": "String", "Default": ",".join(settings.role_arns), "AllowedPattern": _ROLES_PATTERN,
            "Description": "Fan-out: roles in member accounts the functions assume (one per account, e.g. from "
                           "a member StackSet); empty: the stack's own account.",
        },
        "ScannerRoleArn": {
            "Type": "String", "Default": "",
            "AllowedPattern": rf"^$|^{_ROLE}$",
            "Description": "Member mode (for a StackSet over an organization): the role of the scanner stack "
                           "(its RoleArn output) that may assume the member role. Empty: this is the scanner.",
        },
        "MemberRoleName": {
            "Type": "String", "Default": DEFAULT_MEMBER_ROLE, "AllowedPattern": r"^[\w+=,.@-]{1,64}$",
            "Description": "Member mode: the name of the role to create in the member account.",
        },
        "NotificationEmail": {
            "Type": "String", "Default": "", "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "Description": "An e-mail address subscribed to the notifications topic (optional).",
        },
        "ApplyActions": {
            "Type": "String", "Default": "false", "AllowedValues": ["true", "false"],
            "Description": "true: carry out the actions and the schedules; false: dry runs, journaled only.",
        },
        "ScanSchedule": {
            "Type": "String", "Default": DEFAULT_SCAN_SCHEDULE,
            "Description": "When the scan-and-act cycle runs: an EventBridge cron(...) or rate(...) "
                           "expression, in UTC.",
        },
        "CodeS3Bucket": {
            "Type": "String", "MinLength": 3, "AllowedPattern": r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            "Description": "The bucket holding the deployment package (sagetrim deploy package), in the stack's "
                           "region. A member stack does not use it (give the scanner's).",
        },
        "CodeS3Key": {
            "Type": "String", "Default": DEFAULT_CODE_KEY, "Description": "The key of the deployment package.",
        },
        "CodeS3BucketPerRegion": {
            "Type": "String", "Default": "false", "AllowedValues": ["true", "false"],
            "Description": "true: the package is in CodeS3Bucket-REGION, one bucket per region (for a StackSet "
                           "over several regions).",
        },
        "LogRetentionDays": {
            "Type": "Number", "Default": 30, "AllowedValues": list(LOG_RETENTION_DAYS),
            "Description": "How long the functions' logs are kept.",
        },
    }


def _conditions() -> dict[str, Any]:
    return {
        "IsScanner": equals(ref("ScannerRoleArn"), ""),
        "IsMember": not_(equals(ref("ScannerRoleArn"), "")),
        "HasEmail": {"Fn::And": [{"Condition": "IsScanner"}, not_(equals(ref("NotificationEmail"), ""))]},
        "FansOut": not_(equals(ref("MemberRoleArns"), "")),
        "ScansOwnAccount": equals(ref("MemberRoleArns"), ""),
        "CodeBucketPerRegion": equals(ref("CodeS3BucketPerRegion"), "true"),
    }


def _account_resources(execution_roles: Sequence[str]) -> dict[str, Any]:
    """Resource ARNs in the account the stack runs in, per kind (SageMaker in any region); the roles a restored
    model may be given are those the settings' `restore.execution_roles` name."""
    out: dict[str, Any] = {policy.ANY: "*"}
    for kinds in policy.RESOURCES.values():
        for kind in kinds:
            if kind.startswith("sagemaker:"):
                name = kind.split(":", 1)[1]
                tail = "*" if name == "*" else f"{name}/*"
                out[kind] = sub(f"arn:${{AWS::Partition}}:sagemaker:*:${{AWS::AccountId}}:{tail}")
    out[policy.SCALABLE_TARGETS] = sub("arn:${AWS::Partition}:application-autoscaling:*:${AWS::AccountId}:"
                                       "scalable-target/*")
    out[policy.EXECUTION_ROLES] = [sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{name}")
                                   for name in execution_roles]
    return out


def _home_resources() -> dict[str, Any]:
    return {
        policy.STATE_BUCKET: sub("arn:${AWS::Partition}:s3:::${StateBucket}"),
        policy.STATE_OBJECTS: sub(f"arn:${{AWS::Partition}}:s3:::${{StateBucket}}/{policy.STATE_PREFIX}/*"),
        policy.TOPIC: ref("Topic"),
        policy.LOG_GROUP: get_att("LogGroup", "Arn"),
        policy.MEMBER_ROLES: {"Fn::Split": [",", ref("MemberRoleArns")]},
    }


def _policy(name: str, statements: list[Any]) -> dict[str, Any]:
    return {"PolicyName": name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}


def _function(handler: str, description: str, timeout: int, memory: int, env: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Condition": "IsScanner",
        "Properties": {
            "Description": description,
            "Runtime": RUNTIME,
            "Architectures": [ARCHITECTURE],
            "Handler": handler,
            "Role": get_att("Role", "Arn"),
            "Code": {
                "S3Bucket": if_("CodeBucketPerRegion", sub("${CodeS3Bucket}-${AWS::Region}"), ref("CodeS3Bucket")),
                "S3Key": ref("CodeS3Key"),
            },
            "Timeout": timeout,
            "MemorySize": memory,
            "Environment": {"Variables": env},
            "LoggingConfig": {"LogGroup": ref("LogGroup"), "LogFormat": "Text"},
        },
    }


def _rule(function: str, expression: Any, description: str, payload: dict[str, Any] | None) -> dict[str, Any]:
    target: dict[str, Any] = {"Id": "sagetrim", "Arn": get_att(function, "Arn")}
    if payload is not None:
        target["Input"] = json.dumps(payload, separators=(",", ":"))
    return {
        "Type": "AWS::Events::Rule",
        "Condition": "IsScanner",
        "Properties": {"Description": description[:512], "ScheduleExpression": expression, "State": "ENABLED",
                       "Targets": [target]},
    }


def _permission(function: str, rule: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "Condition": "IsScanner",
        "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": ref(function),
                       "Principal": "events.amazonaws.com", "SourceArn": get_att(rule, "Arn")},
    }


def _schedule_rules(schedules: Sequence[Schedule], around: datetime | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, schedule in enumerate(schedules, 1):
        by_expression: dict[str, list[str]] = {}
        for action, expression in (("start", schedule.start), ("stop", schedule.stop)):
            if expression is not None:
                by_expression.setdefault(utc_expression(expression, schedule.timezone, around), []).append(action)
        for expression_text, actions in by_expression.items():
            label = "".join(a.capitalize() for a in actions)
            logical = f"Schedule{index}{_logical(schedule.name)}{label}"
            local = ", ".join(f"{a} {getattr(schedule, a)}" for a in actions)
            description = f"sagetrim schedule {schedule.name}: {local} in {schedule.timezone}"
            out[f"{logical}Rule"] = _rule("ScheduleFunction", expression_text, description,
                                          {"schedule": schedule.name})
            out[f"{logical}Permission"] = _permission("ScheduleFunction", f"{logical}Rule")
    return out


def build_template(settings: Settings, *, schedule_settings: Sequence[Schedule] | None = None,
                   now: datetime | None = None) -> dict[str, Any]:
    """The CloudFormation template as a dict (intrinsic functions in their long form).

    Args:
        settings: the settings to deploy: regions and roles become parameter defaults, the enabled actions
            and the schedules decide the functions, rules and permissions, the rest goes to the functions'
            environment.
        schedule_settings: the schedules to deploy instead of ``settings.schedules``.
        now: the moment around which time-zone offsets are read; now by default.

    Raises:
        UsageError: the settings are too long for the functions' environment.
    """
    schedules = list(schedule_settings) if schedule_settings is not None else list(settings.schedules.root)
    enabled = [Action(a) for a in settings.actions.enabled]
    restores = Action.DELETE_ENDPOINT in enabled
    account_actions = policy.account_actions(enabled, schedules=bool(schedules), restore=restores)
    home_statements = policy.statements(policy.home_actions(fan_out=False), _home_resources())
    fan_out_statement = policy.statements(policy.FAN_OUT_PERMISSIONS, _home_resources())[0]
    account_statements = policy.statements(account_actions, _account_resources(settings.restore.execution_roles))

    env: dict[str, Any] = {
        ENV_REGIONS: ref("Regions"),
        ENV_ROLE_ARNS: ref("MemberRoleArns"),
        ENV_STATE: sub(f"s3://${{StateBucket}}/{policy.STATE_PREFIX}"),
        ENV_TOPIC: ref("Topic"),
        ENV_APPLY: ref("ApplyActions"),
        "SAGETRIM_CACHE_DIR": "/tmp/sagetrim/cache",
        "SAGETRIM_STATE_DIR": "/tmp/sagetrim/state",
    }
    inline = _inline_config(settings)
    if inline is not None:
        env[ENV_CONFIG] = inline

    resources: dict[str, Any] = {
        "StateBucket": {
            "Type": "AWS::S3::Bucket",
            "Condition": "IsScanner",
            # Backups of deleted endpoints live here: the bucket outlives the stack.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {"Rules": [{"Id": "ExpireOldVersions", "Status": "Enabled",
                                                      "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}]},
            },
        },
        "StateBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Condition": "IsScanner",
            "Properties": {
                "Bucket": ref("StateBucket"),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [get_att("StateBucket", "Arn"), sub("${StateBucket.Arn}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }]},
            },
        },
        "Topic": {
            "Type": "AWS::SNS::Topic",
            "Condition": "IsScanner",
            "Properties": {
                "DisplayName": "sagetrim",
                "Subscription": if_("HasEmail", [{"Protocol": "email", "Endpoint": ref("NotificationEmail")}],
                                    NO_VALUE),
            },
        },
        "LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Condition": "IsScanner",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {"RetentionInDays": ref("LogRetentionDays")},
        },
        "Role": {
            "Type": "AWS::IAM::Role",
            "Condition": "IsScanner",
            "Properties": {
                "Description": "sagetrim's functions: exactly the AWS actions sagetrim calls.",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
                }]},
                "Policies": [
                    _policy("sagetrim-home", [*home_statements, if_("FansOut", fan_out_statement, NO_VALUE)]),
                    if_("ScansOwnAccount", _policy("sagetrim-account", account_statements), NO_VALUE),
                ],
            },
        },
        "MemberRole": {
            "Type": "AWS::IAM::Role",
            "Condition": "IsMember",
            "Properties": {
                "RoleName": ref("MemberRoleName"),
                "Description": "Lets sagetrim's scanner account scan and act in this account.",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": ref("ScannerRoleArn")}, "Action": "sts:AssumeRole",
                }]},
                "Policies": [_policy("sagetrim-account", account_statements)],
            },
        },
        "ScanFunction": _function(HANDLERS["scan"], "sagetrim: scan, find and act (dry run unless ApplyActions)",
                                  900, 1024, env),
        "ScanRule": _rule("ScanFunction", ref("ScanSchedule"), "sagetrim: the scan-and-act cycle", None),
        "ScanPermission": _permission("ScanFunction", "ScanRule"),
    }
    outputs: dict[str, Any] = {
        "RoleArn": {"Condition": "IsScanner", "Value": get_att("Role", "Arn"),
                    "Description": "The functions' role; give it to member stacks as ScannerRoleArn."},
        "StateBucketName": {"Condition": "IsScanner", "Value": ref("StateBucket"),
                            "Description": "Backups, the audit journal and an optional sagetrim.yaml "
                                           f"(under {policy.STATE_PREFIX}/)."},
        "TopicArn": {"Condition": "IsScanner", "Value": ref("Topic")},
        "ScanFunctionName": {"Condition": "IsScanner", "Value": ref("ScanFunction")},
        "MemberRoleArn": {"Condition": "IsMember", "Value": get_att("MemberRole", "Arn"),
                          "Description": "Add it to the scanner stack's MemberRoleArns."},
    }
    if schedules:
        resources["ScheduleFunction"] = _function(HANDLERS["schedules"], "sagetrim: start and stop on schedules",
                                                  300, 512, env)
        resources.update(_schedule_rules(schedules, now))
        outputs["ScheduleFunctionName"] = {"Condition": "IsScanner", "Value": ref("ScheduleFunction")}
    if restores:
        resources["RestoreFunction"] = _function(
            HANDLERS["restore"], 'sagetrim: recreate a deleted endpoint; invoke with {"endpoint": NAME, '
                                 '"region": REGION}', 900, 512, env)
        outputs["RestoreFunctionName"] = {"Condition": "IsScanner", "Value": ref("RestoreFunction")}

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"sagetrim {__version__}: finds and cuts Amazon SageMaker waste on a schedule, with a "
                       "least-privilege role (scanner stack), or the role a scanner assumes (member stack).",
        "Parameters": _parameters(settings),
        "Conditions": _conditions(),
        "Resources": resources,
        "Outputs": outputs,
    }


def render_template(settings: Settings, *, schedule_settings: Sequence[Schedule] | None = None,
                    now: datetime | None = None) -> str:
    """The CloudFormation template as YAML, with ``!Ref``, ``!Sub``, ``!GetAtt``… short forms.

    Args:
        settings: the settings to deploy (see :func:`build_template`).
        schedule_settings: the schedules to deploy instead of ``settings.schedules``.
        now: the moment around which time-zone offsets are read; now by default.

    Raises:
        UsageError: the settings are too long for the functions' environment.
    """
    template = build_template(settings, schedule_settings=schedule_settings, now=now)
    header = (f"# sagetrim {__version__}: made by `sagetrim deploy template`.\n"
              "# Scanner stack: aws cloudformation deploy --template-file THIS --stack-name sagetrim "
              "--capabilities CAPABILITY_IAM --parameter-overrides CodeS3Bucket=BUCKET\n"
              "# Member accounts (a service-managed StackSet): --capabilities CAPABILITY_NAMED_IAM --parameters "
              "ParameterKey=ScannerRoleArn,ParameterValue=<the scanner's RoleArn output> "
              "ParameterKey=CodeS3Bucket,ParameterValue=<the scanner's>\n")
    return header + dump_yaml(template)

