"""Create or update the autostop lifecycle configuration and attach it to a notebook instance.

A notebook instance takes a new lifecycle configuration only while it is Stopped, so attaching one
to an InService notebook means stop, wait, update, start: that happens only on `apply_install`,
after `plan_install` has said so. The content of a configuration already attached can change at any
time; it runs at the next start.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from sagetrim.errors import ActionError, SagetrimError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker.type_defs import NotebookInstanceLifecycleHookTypeDef

DEFAULT_CONFIG_NAME = "sagetrim-autostop"
ConfigChange = Literal["create", "update", "unchanged"]

_CONFIG_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_TRANSITIONAL = ("Pending", "Updating", "Stopping", "Deleting", "Failed")


@dataclass(frozen=True)
class WaitPolicy:
    """How to wait for a notebook status: poll every `delay_s`, give up after `timeout_s`."""

    delay_s: int = 15
    timeout_s: int = 900

    @property
    def config(self) -> dict[str, int]:
        """A botocore `WaiterConfig`."""
        return {
            "Delay": self.delay_s,
            "MaxAttempts": max(1, math.ceil(self.timeout_s / max(self.delay_s, 1))),
        }


@dataclass(frozen=True)
class InstallPlan:
    """What installing the autostop on one notebook instance takes."""

    notebook: str
    status: str
    instance_type: str
    config_name: str
    config_change: ConfigChange
    attached_config: str | None

    @property
    def attach(self) -> bool:
        """Whether the notebook must be updated to use the configuration."""
        return self.attached_config != self.config_name

    @property
    def restart(self) -> bool:
        """Whether the notebook must be stopped and started again for that."""
        return self.attach and self.status == "InService"

    @property
    def blocked(self) -> str | None:
        """Why nothing can be done now, if so."""
        if self.status in _TRANSITIONAL:
            return (
                f"notebook instance {self.notebook} is {self.status}: nothing done; "
                "run again once it is InService or Stopped"
            )
        return None

    def steps(self) -> list[str]:
        """The steps, in order, in words."""
        if self.blocked:
            return [self.blocked]
        config = {
            "create": f"create lifecycle configuration {self.config_name}",
            "update": f"update lifecycle configuration {self.config_name} with the new script",
            "unchanged": f"lifecycle configuration {self.config_name} is up to date",
        }[self.config_change]
        steps = [config]
        if not self.attach:
            when = "at the next start" if self.config_change == "update" else "already"
            steps.append(f"{self.notebook} already uses it: the autostop runs {when}")
            return steps
        if self.attached_config:
            steps.append(f"{self.notebook} uses lifecycle configuration {self.attached_config}: replace it")
        if self.restart:
            steps += [
                f"stop {self.notebook} (InService; a notebook must be stopped to change its lifecycle "
                "configuration; running kernels end) and wait until it is Stopped",
                f"attach {self.config_name} to {self.notebook} and wait until the update is done",
                f"start {self.notebook} again and wait until it is InService",
            ]
        else:
            steps.append(f"attach {self.config_name} to {self.notebook} (Stopped): the autostop runs at its next start")
        return steps


def sagemaker_client(profile: str | None, region: str | None) -> SageMakerClient:
    """A SageMaker client from the standard credential chain, with adaptive retries.

    Raises:
        UsageError: the profile does not exist or no region is set.
    """
    import boto3
    from botocore.config import Config

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        return session.client("sagemaker", config=Config(retries={"mode": "adaptive", "max_attempts": 8}))
    except BotoCoreError as exc:
        raise UsageError(f"{exc} (use --profile / --region, or AWS_PROFILE / AWS_REGION)") from exc


def plan_install(
    client: SageMakerClient,
    notebook: str,
    content: str,
    *,
    config_name: str = DEFAULT_CONFIG_NAME,
    replace_config: bool = False,
) -> InstallPlan:
    """Read the notebook and the configuration, and say what installing `content` takes. Read-only.

    Args:
        client: a SageMaker client.
        notebook: the notebook instance name.
        content: the base64 OnStart content (`lifecycle.encode_content`).
        config_name: the lifecycle configuration to create or update.
        replace_config: whether a different configuration already attached may be replaced.

    Raises:
        UsageError: a bad configuration name, no such notebook, or another configuration attached.
        ActionError: AWS could not be read.
    """
    if not _CONFIG_NAME.match(config_name):
        raise UsageError(
            f"--config-name {config_name!r}: use up to 63 letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    try:
        described = client.describe_notebook_instance(NotebookInstanceName=notebook)
    except ClientError as exc:
        if _code(exc) == "ValidationException":
            raise UsageError(f"no notebook instance named {notebook!r} in {client.meta.region_name}") from exc
        raise ActionError(f"could not describe notebook instance {notebook}: {exc}") from exc
    attached = described.get("NotebookInstanceLifecycleConfigName") or None
    if attached and attached != config_name and not replace_config:
        raise UsageError(
            f"notebook instance {notebook} already uses lifecycle configuration {attached!r}, and a notebook "
            f"has only one. Add the autostop to that script (`sagetrim autostop lifecycle-config ... --out "
            f"FILE`), or pass --replace-config to attach {config_name!r} in its place."
        )
    return InstallPlan(
        notebook=notebook,
        status=described["NotebookInstanceStatus"],
        instance_type=described.get("InstanceType", ""),
        config_name=config_name,
        config_change=_config_change(client, config_name, content),
        attached_config=attached,
    )


def apply_install(
    client: SageMakerClient,
    plan: InstallPlan,
    content: str,
    *,
    wait: WaitPolicy | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> None:
    """Carry out `plan`: create or update the configuration, then stop / attach / start as it says.

    Raises:
        ActionError: the notebook is in transition, a call failed, or a status was not reached in time.
    """
    if plan.blocked:
        raise ActionError(plan.blocked)
    wait = wait or WaitPolicy()
    name, config = plan.notebook, plan.config_name
    on_start: list[NotebookInstanceLifecycleHookTypeDef] = [{"Content": content}]
    step = "update the lifecycle configuration"
    try:
        if plan.config_change == "create":
            step = "create the lifecycle configuration"
            client.create_notebook_instance_lifecycle_config(
                NotebookInstanceLifecycleConfigName=config, OnStart=on_start
            )
            say(f"created lifecycle configuration {config}")
        elif plan.config_change == "update":
            client.update_notebook_instance_lifecycle_config(
                NotebookInstanceLifecycleConfigName=config, OnStart=on_start
            )
            say(f"updated lifecycle configuration {config}")
        if not plan.attach:
            return
        if plan.restart:
            step = f"stop {name}"
            client.stop_notebook_instance(NotebookInstanceName=name)
            say(f"stopping {name}")
            _wait(client, "notebook_instance_stopped", name, wait)
            say(f"{name} is Stopped")
        step = f"attach {config} to {name}"
        client.update_notebook_instance(NotebookInstanceName=name, LifecycleConfigName=config)
        _wait(client, "notebook_instance_stopped", name, wait)
        say(f"attached {config} to {name}")
        if plan.restart:
            step = f"start {name} again"
            client.start_notebook_instance(NotebookInstanceName=name)
            say(f"starting {name}")
            _wait(client, "notebook_instance_in_service", name, wait)
            say(f"{name} is InService, with the autostop running")
    except (ClientError, WaiterError) as exc:
        after = " It was stopped: start it again once the cause is fixed." if plan.restart else ""
        raise ActionError(f"could not {step}: {exc}.{after}") from exc


def notebook_role_policy(notebook: str | None = None) -> dict[str, Any]:
    """The IAM policy the notebook's execution role needs for the agent to stop the notebook."""
    resource = f"arn:aws:sagemaker:*:*:notebook-instance/{notebook.lower() if notebook else '*'}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SagetrimAutostop",
                "Effect": "Allow",
                "Action": ["sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"],
                "Resource": resource,
            }
        ],
    }


def installer_policy(config_name: str = DEFAULT_CONFIG_NAME) -> dict[str, Any]:
    """The IAM policy whoever runs `sagetrim autostop install --apply` needs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SagetrimAutostopLifecycleConfig",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreateNotebookInstanceLifecycleConfig",
                    "sagemaker:DescribeNotebookInstanceLifecycleConfig",
                    "sagemaker:UpdateNotebookInstanceLifecycleConfig",
                ],
                "Resource": f"arn:aws:sagemaker:*:*:notebook-instance-lifecycle-config/{config_name.lower()}",
            },
            {
                "Sid": "SagetrimAutostopAttach",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:DescribeNotebookInstance",
                    "sagemaker:StopNotebookInstance",
                    "sagemaker:StartNotebookInstance",
                    "sagemaker:UpdateNotebookInstance",
                ],
                "Resource": "arn:aws:sagemaker:*:*:notebook-instance/*",
            },
        ],
    }


def instance_vcpus(instance_type: str) -> int | None:
    """The vCPUs of an `ml.*` instance type from the catalog, or None when it is not known."""
    from sagetrim.catalog import load_catalog

    try:
        return load_catalog().instance(instance_type).vcpu
    except (SagetrimError, KeyError, OSError):
        return None


def _config_change(client: SageMakerClient, config_name: str, content: str) -> ConfigChange:
    try:
        existing = client.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=config_name)
    except ClientError as exc:
        if _code(exc) == "ValidationException" and "does not exist" in str(exc):
            return "create"
        raise ActionError(f"could not describe lifecycle configuration {config_name}: {exc}") from exc
    current = [hook.get("Content") for hook in existing.get("OnStart", [])]
    return "unchanged" if current == [content] else "update"


def _wait(client: SageMakerClient, waiter: str, name: str, wait: WaitPolicy) -> None:
    client.get_waiter(waiter).wait(NotebookInstanceName=name, WaiterConfig=wait.config)  # type: ignore[call-overload]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
