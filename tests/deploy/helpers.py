"""Helpers for the deployment tests: deploy the rendered template into the simulated account, EventBridge
events, and a recorder of every AWS API call made in this process with the IAM action it needs."""

from __future__ import annotations

import io
import re
import threading
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.handlers
import pytest
import yaml

from sagetrim.config import Settings
from sagetrim.deploy import render_template
from sagetrim.sim import SimServer

CODE_BUCKET = "sagetrim-code"
CODE_KEY = "sagetrim-lambda.zip"
STACK_ENV = ("SAGETRIM_REGIONS", "SAGETRIM_ROLE_ARNS", "SAGETRIM_STATE", "SAGETRIM_SNS_TOPIC_ARN", "SAGETRIM_APPLY",
             "SAGETRIM_CONFIG")


def scheduled_event(when: datetime | None = None, account: str = "123456789012", region: str = "us-east-1",
                    rule: str = "sagetrim-ScanRule-EXAMPLE") -> dict[str, Any]:
    """An EventBridge "Scheduled Event", as a rule with no Input delivers it."""
    moment = (when or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": account, "time": moment.isoformat().replace("+00:00", "Z"),
        "region": region, "resources": [f"arn:aws:events:{region}:{account}:rule/{rule}"], "detail": {},
    }


@dataclass
class Stack:
    """A stack created from the rendered template, with what the tests read from it."""

    name: str
    template: str
    outputs: dict[str, str]
    resources: dict[str, dict[str, Any]]  # logical id -> StackResourceSummary

    def function_env(self, server: SimServer, output: str = "ScanFunctionName") -> dict[str, str]:
        """The environment of one of the stack's functions, as Lambda would set it."""
        config = server.client("lambda").get_function_configuration(FunctionName=self.outputs[output])
        return dict(config["Environment"]["Variables"])


def deploy(server: SimServer, settings: Settings, name: str = "sagetrim", capabilities: tuple[str, ...] = (
        "CAPABILITY_IAM",), **parameters: str) -> Stack:
    """Create the stack from ``render_template(settings)`` in the sim and wait for it."""
    s3 = server.client("s3")
    if CODE_BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=CODE_BUCKET)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("sagetrim/__init__.py", "")
        s3.put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=buffer.getvalue())
    template = render_template(settings)
    cloudformation = server.client("cloudformation")
    with warnings.catch_warnings():
        # moto's CloudFormation skips the types it does not model (AWS::S3::BucketPolicy) with a warning.
        warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation.*")
        cloudformation.create_stack(
            StackName=name, TemplateBody=template, Capabilities=list(capabilities),
            Parameters=[{"ParameterKey": k, "ParameterValue": v}
                        for k, v in {"CodeS3Bucket": CODE_BUCKET, **parameters}.items()])
        cloudformation.get_waiter("stack_create_complete").wait(StackName=name,
                                                                  WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    return Stack(name=name, template=template,
                 outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
                 resources={r["LogicalResourceId"]: r for r in summaries if r["LogicalResourceId"]})


def use_stack_env(monkeypatch: pytest.MonkeyPatch, server: SimServer, env: dict[str, str]) -> None:
    """Point this process at the sim and give it a function's environment (without its /tmp paths)."""
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    for key in STACK_ENV:
        if key in env:
            monkeypatch.setenv(key, env[key])
        else:
            monkeypatch.delenv(key, raising=False)


# --- every AWS call, and the IAM action it needs ---------------------------------------------------------

_AKID = re.compile(r"Credential=([^/]+)/")
# Client names whose IAM prefix differs.
IAM_PREFIX = {"resourcegroupstaggingapi": "tag"}
# S3 operations are authorized as these actions (Service Authorization Reference, Amazon S3).
S3_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket", "HeadBucket": "s3:ListBucket",
              "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject", "PutObject": "s3:PutObject",
              "DeleteObject": "s3:DeleteObject"}
# Calls IAM never denies.
NO_PERMISSION = {"sts:GetCallerIdentity"}
# What Lambda's runtime does with the function's role (not a call of sagetrim's code).
LAMBDA_RUNTIME = {"logs:CreateLogStream", "logs:PutLogEvents"}


@dataclass(frozen=True)
class ApiCall:
    """One API call: client service name, operation, parameters, and the access key that signed it."""

    service: str
    operation: str
    params: dict[str, Any]
    access_key: str

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}"

    def iam_actions(self) -> set[str]:
        """The IAM actions this call needs: its own, and those it implies (passing a role, tags on create)."""
        if self.service == "s3":
            if self.operation not in S3_ACTIONS:
                raise AssertionError(f"no IAM action known for s3:{self.operation}; add it to S3_ACTIONS")
            return {S3_ACTIONS[self.operation]}
        action = f"{IAM_PREFIX.get(self.service, self.service)}:{self.operation}"
        if action in NO_PERMISSION:
            return set()
        out = {action}
        if self.service == "sagemaker":
            if self.params.get("ExecutionRoleArn") or self.params.get("RoleArn"):
                out.add("iam:PassRole")
            if self.operation.startswith("Create") and self.params.get("Tags"):
                out.add("sagemaker:AddTags")  # SageMaker authorizes tags on create as AddTags
        return out


@dataclass
class ApiRecorder:
    """Records every AWS call made in this process by clients of sessions created while it is installed."""

    calls: list[ApiCall] = field(default_factory=list)
    recording: bool = True
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def before_parameter_build(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._local.pending = (model.service_model.service_name, model.name, dict(params))

    def before_send(self, request: Any, **_: Any) -> None:
        pending = getattr(self._local, "pending", None)
        self._local.pending = None  # a retry of the same call is not a new call
        if pending is None or not self.recording:
            return
        header = request.headers.get("Authorization", b"")
        match = _AKID.search(header.decode() if isinstance(header, bytes) else str(header))
        with self._lock:
            self.calls.append(ApiCall(*pending, access_key=match.group(1) if match else ""))

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Calls made inside are not recorded (the test's own setup)."""
        self.recording = False
        try:
            yield
        finally:
            self.recording = True

    def iam_actions(self, access_key: str | None = None) -> set[str]:
        """The IAM actions of the recorded calls (only those signed with ``access_key``, if given)."""
        return {a for c in self.calls if access_key is None or c.access_key == access_key for a in c.iam_actions()}


@contextmanager
def record_api_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiRecorder]:
    """Install an ApiRecorder on every botocore session created from now on (botocore reads its list of
    built-in handlers whenever a session is created)."""
    recorder = ApiRecorder()
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [
        *botocore.handlers.BUILTIN_HANDLERS,
        ("before-parameter-build", recorder.before_parameter_build),
        ("before-send", recorder.before_send),
    ])
    try:
        yield recorder
    finally:
        recorder.recording = False


def allowed_actions(template_policies: list[Any], conditions: dict[str, bool]) -> set[str]:
    """Every action the policies of a role allow, with ``Fn::If`` resolved by ``conditions``."""

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Fn::If"}:
            name, then, otherwise = value["Fn::If"]
            return resolve(then if conditions[name] else otherwise)
        if isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}:
            return None
        if isinstance(value, list):
            return [r for r in (resolve(v) for v in value) if r is not None]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    out: set[str] = set()
    for policy in resolve(template_policies):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            out.update(actions)
    return out


class CfnLoader(yaml.SafeLoader):
    """Reads a template's short forms (``!Ref X``) back into their long forms (``{"Ref": "X"}``)."""


def _long_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CfnLoader.add_multi_constructor("!", _long_form)


def load_template(text: str) -> dict[str, Any]:
    """A rendered template, parsed."""
    doc: dict[str, Any] = yaml.load(text, Loader=CfnLoader)
    return doc
