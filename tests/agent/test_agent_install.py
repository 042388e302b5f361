"""Installing the autostop: plan read-only, then create/update the configuration and attach it safely."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from sagetrim.agent.cli import app
from sagetrim.agent.install import WaitPolicy, apply_install, plan_install
from sagetrim.agent.lifecycle import AgentOptions, encode_content, render_on_start
from sagetrim.errors import ActionError, UsageError

NAME = "team-notebook"
CONFIG = "sagetrim-autostop"
CONTENT = encode_content(render_on_start(AgentOptions(idle_minutes=60)))
FAST = WaitPolicy(delay_s=0, timeout_s=3)
NOT_FOUND = "Unable to describe Notebook Instance Lifecycle Config. (Details: ... does not exist.)"


@pytest.fixture
def sagemaker() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def notebook(status: str, config: str | None = None) -> dict[str, Any]:
    described: dict[str, Any] = {"NotebookInstanceName": NAME, "NotebookInstanceStatus": status}
    described["InstanceType"] = "ml.t3.medium"
    if config:
        described["NotebookInstanceLifecycleConfigName"] = config
    return described


def expect_describe(stubber: Stubber, status: str, config: str | None = None) -> None:
    stubber.add_response("describe_notebook_instance", notebook(status, config), {"NotebookInstanceName": NAME})


def expect_config(stubber: Stubber, content: str | None) -> None:
    params = {"NotebookInstanceLifecycleConfigName": CONFIG}
    if content is None:
        stubber.add_client_error(
            "describe_notebook_instance_lifecycle_config", "ValidationException", NOT_FOUND, 400, None, params
        )
    else:
        response = {"NotebookInstanceLifecycleConfigName": CONFIG, "OnStart": [{"Content": content}]}
        stubber.add_response("describe_notebook_instance_lifecycle_config", response, params)


class TestPlan:
    def test_an_in_service_notebook_must_be_stopped_and_restarted_and_nothing_changes_without_apply(
        self, sagemaker: tuple[Any, Stubber]
    ) -> None:
        client, stubber = sagemaker
        expect_describe(stubber, "InService")
        expect_config(stubber, None)
        plan = plan_install(client, NAME, CONTENT)
        assert (plan.config_change, plan.attach, plan.restart, plan.blocked) == ("create", True, True, None)
        steps = plan.steps()
        assert steps[0] == "create lifecycle configuration sagetrim-autostop"
        assert "a notebook must be stopped to change its lifecycle configuration" in steps[1]
        assert steps[2:] == [
            "attach sagetrim-autostop to team-notebook and wait until the update is done",
            "start team-notebook again and wait until it is InService",
        ]

    def test_a_notebook_that_already_uses_the_current_script_needs_nothing(
        self, sagemaker: tuple[Any, Stubber]
    ) -> None:
        client, stubber = sagemaker
        expect_describe(stubber, "InService", CONFIG)
        expect_config(stubber, CONTENT)
        plan = plan_install(client, NAME, CONTENT)
        assert (plan.config_change, plan.attach, plan.restart) == ("unchanged", False, False)

    def test_a_new_script_for_a_configuration_already_attached_runs_at_the_next_start(
        self, sagemaker: tuple[Any, Stubber]
    ) -> None:
        client, stubber = sagemaker
        expect_describe(stubber, "InService", CONFIG)
        expect_config(stubber, "b2xkIHNjcmlwdA==")
        plan = plan_install(client, NAME, CONTENT)
        assert (plan.config_change, plan.restart) == ("update", False)
        assert plan.steps()[-1] == "team-notebook already uses it: the autostop runs at the next start"

    def test_another_configuration_attached_is_not_replaced_unless_asked(self, sagemaker: tuple[Any, Stubber]) -> None:
        client, stubber = sagemaker
        expect_describe(stubber, "Stopped", "team-setup")
        with pytest.raises(UsageError, match="already uses lifecycle configuration 'team-setup'.*--replace-config"):
            plan_install(client, NAME, CONTENT)

    def test_an_unknown_notebook_is_a_usage_error(self, sagemaker: tuple[Any, Stubber]) -> None:
        client, stubber = sagemaker
        stubber.add_client_error(
            "describe_notebook_instance", "ValidationException", "RecordNotFound", 400, None,
            {"NotebookInstanceName": NAME},
        )  # fmt: skip
        with pytest.raises(UsageError, match="no notebook instance named 'team-notebook' in us-east-1"):
            plan_install(client, NAME, CONTENT)

    def test_a_bad_configuration_name_is_refused_before_any_call(self, sagemaker: tuple[Any, Stubber]) -> None:
        client, _ = sagemaker
        with pytest.raises(UsageError, match="--config-name"):
            plan_install(client, NAME, CONTENT, config_name="-bad_name-")


class TestApply:
    def test_an_in_service_notebook_is_stopped_updated_and_started_again(self, sagemaker: tuple[Any, Stubber]) -> None:
        client, stubber = sagemaker
        expect_describe(stubber, "InService")
        expect_config(stubber, None)
        plan = plan_install(client, NAME, CONTENT)
        on_start = {"NotebookInstanceLifecycleConfigName": CONFIG, "OnStart": [{"Content": CONTENT}]}
        stubber.add_response("create_notebook_instance_lifecycle_config", {}, on_start)
        stubber.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": NAME})
        expect_describe(stubber, "Stopping")
        expect_describe(stubber, "Stopped")
        update = {"NotebookInstanceName": NAME, "LifecycleConfigName": CONFIG}
        stubber.add_response("update_notebook_instance", {}, update)
        expect_describe(stubber, "Updating", CONFIG)
        expect_describe(stubber, "Stopped", CONFIG)
        stubber.add_response("start_notebook_instance", {}, {"NotebookInstanceName": NAME})
        expect_describe(stubber, "Pending", CONFIG)
        expect_describe(stubber, "InService", CONFIG)
        said: list[str] = []
        apply_install(client, plan, CONTENT, wait=FAST, say=said.append)
        assert said == [
            "created lifecycle configuration sagetrim-autostop",
            "stopping team-notebook",
            "team-notebook is Stopped",
            "attached sagetrim-autostop to team-notebook",
            "starting team-notebook",
            "team-notebook is InService, with the autostop running",
        ]

    def test_a_stopped_notebook_is_only_attached_and_stays_stopped(self, sagemaker: tuple[Any, Stubber]) -> None:
        client, stubber = sagemaker
        expect_describe(stubber, "Stopped", "team-setup")
        expect_config(stubber, "b2xkIHNjcmlwdA==")
        plan = plan_install(client, NAME, CONTENT, replace_config=True)
        on_start = {"NotebookInstanceLifecycleConfigName": CONFIG, "OnStart": [{"Content": CONTENT}]}
        stubber.add_response("update_notebook_instance_lifecycle_config", {}, on_start)
        update = {"NotebookInstanceName": NAME, "LifecycleConfigName": CONFIG}
        stubber.add_response("update_notebook_instance", {}, update)
        expect_describe(stubber, "Stopped", CONFIG)
        apply_install(client, plan, CONTENT, wait=FAST)

    @pytest.mark.parametrize("status", ["Pending", "Updating", "Stopping", "Deleting", "Failed"])
    def test_a_notebook_in_transition_is_left_alone(self, sagemaker: tuple[Any, Stubber], status: str) -> None:
        client, stubber = sagemaker
        expect_describe(stubber, status)
        expect_config(stubber, None)
        plan = plan_install(client, NAME, CONTENT)
        assert plan.steps() == [plan.blocked]
        with pytest.raises(ActionError, match=f"team-notebook is {status}: nothing done"):
            apply_install(client, plan, CONTENT, wait=FAST)

    def test_a_notebook_that_does_not_stop_in_time_is_reported_and_left_stopping(
        self, sagemaker: tuple[Any, Stubber]
    ) -> None:
        client, stubber = sagemaker
        expect_describe(stubber, "InService", CONFIG)
        expect_config(stubber, CONTENT)
        plan = plan_install(client, NAME, CONTENT, config_name=CONFIG)
        plan = type(plan)(**{**plan.__dict__, "attached_config": None})  # attached elsewhere since
        stubber.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": NAME})
        for _ in range(3):
            expect_describe(stubber, "Stopping")
        with pytest.raises(ActionError, match="could not stop team-notebook.*It was stopped: start it again"):
            apply_install(client, plan, CONTENT, wait=FAST)


class TestInstallCommand:
    def test_without_apply_it_prints_the_plan_and_changes_nothing(
        self, monkeypatch: pytest.MonkeyPatch, sagemaker_api: Any
    ) -> None:
        # given an InService notebook in the stand-in API
        client = sagemaker_api.client()
        name = "plan-only-notebook"
        client.create_notebook_instance(
            NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn="arn:aws:iam::123456789012:role/x"
        )
        for key, value in sagemaker_api.env.items():
            monkeypatch.setenv(key, value)
        # when `install` runs without --apply
        result = CliRunner().invoke(app, ["install", name, "--idle-minutes", "45"])
        # then it says what it would do, and does nothing
        assert result.exit_code == 0, result.output
        said = " ".join(result.stdout.split())
        assert "stop plan-only-notebook (InService; a notebook must be stopped to change its lifecycle" in said
        assert "Read-only: nothing changed. Run again with --apply" in said
        with pytest.raises(client.exceptions.ClientError, match="does not exist"):
            client.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=CONFIG)
        assert client.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"] == "InService"
