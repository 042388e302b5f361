"""The OnStart lifecycle script: the agent inline, within SageMaker's limit, installed without internet."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sagetrim.agent.cli import app
from sagetrim.agent.lifecycle import (
    CONTENT_LIMIT,
    AgentOptions,
    agent_source,
    encode_content,
    render_on_start,
)
from sagetrim.errors import UsageError

DEFAULT = AgentOptions(idle_minutes=60)
LARGEST = AgentOptions(
    idle_minutes=123.25,
    ignore_connections=True,
    cpu_threshold=12.5,
    busy_cap_minutes=2880.5,
    jupyter_url="https://localhost:8443/some/base/path",
    dry_run=True,
)


def embedded_agent(script: str) -> str:
    packed = re.search(r"<<'AGENT_GZIP_BASE64'.*?\n(.*?)\nAGENT_GZIP_BASE64\n", script, re.DOTALL)
    assert packed, "no embedded agent"
    return gzip.decompress(base64.b64decode(packed.group(1))).decode()


class TestScript:
    @pytest.mark.parametrize("options", [DEFAULT, LARGEST])
    def test_its_base64_fits_sagemaker_limit(self, options: AgentOptions) -> None:
        assert len(encode_content(render_on_start(options, every_minutes=1))) <= CONTENT_LIMIT

    def test_it_carries_the_agent_byte_for_byte(self) -> None:
        assert embedded_agent(render_on_start(DEFAULT)) == agent_source()

    def test_it_downloads_nothing(self) -> None:
        script = render_on_start(DEFAULT)
        for word in ("curl", "wget", "pip ", "yum ", "conda ", "http://", "s3://"):
            assert word not in script
        assert "https://" not in script.replace("https://localhost:8443", "")

    def test_it_passes_the_agent_its_flags_and_schedules_it(self) -> None:
        script = render_on_start(LARGEST, every_minutes=10)
        assert (
            "--idle-minutes 123.25 --cpu-threshold 12.5 --busy-cap-minutes 2880.5 "
            "--jupyter-url https://localhost:8443/some/base/path --ignore-connections --dry-run"
        ) in script
        assert "OnCalendar=*:0/10" in script
        assert '"*/10 * * * * root $CMD"' in script

    def test_it_is_valid_bash(self) -> None:
        done = subprocess.run(["bash", "-n"], input=render_on_start(DEFAULT), text=True, capture_output=True)
        assert done.returncode == 0, done.stderr

    def test_run_on_a_machine_without_systemd_it_installs_the_agent_and_a_cron_job_that_works(
        self, tmp_path: Path
    ) -> None:
        # given the script, and a scratch root standing for the instance's file system
        script = tmp_path / "on-start.sh"
        script.write_text(render_on_start(DEFAULT))
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "SAGETRIM_AUTOSTOP_ROOT": str(tmp_path / "root"),
            "HOME": str(tmp_path),
        }
        # when SageMaker runs it at start
        done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
        # then the agent is installed, as is, with a cron job every 5 minutes
        assert done.returncode == 0, done.stderr
        agent = tmp_path / "root/usr/local/bin/sagetrim-autostop.py"
        assert agent.read_text() == agent_source()
        assert os.access(agent, os.X_OK)
        cron = (tmp_path / "root/etc/cron.d/sagetrim-autostop").read_text()
        schedule, command = cron.split(" root ", 1)
        assert schedule == "*/5 * * * *"
        # and the job's command runs the agent with a Python that has boto3, logging one JSON line
        python = command.split()[0]
        assert subprocess.run([python, "-c", "import boto3"]).returncode == 0
        subprocess.run(["sh", "-c", command.replace("--idle-minutes", "--state-file /nonexistent/s --idle-minutes")])
        logged = (tmp_path / "root/var/log/sagetrim-autostop.log").read_text().splitlines()
        assert len(logged) == 1
        assert json.loads(logged[0])["action"] == "none"

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (lambda: AgentOptions(idle_minutes=0), "--idle-minutes must be a number of minutes above 0"),
            (lambda: AgentOptions(busy_cap_minutes=-1), "--busy-cap-minutes must be a number of minutes above 0"),
            (lambda: AgentOptions(cpu_threshold=-5), "--cpu-threshold must be a percentage of one core"),
            (lambda: AgentOptions(jupyter_url="https://x/'; rm -rf /"), "--jupyter-url must be a plain"),
            (lambda: render_on_start(DEFAULT, every_minutes=7), "--every-minutes must divide the hour"),
        ],
    )
    def test_a_bad_option_is_refused_and_says_which(self, make: object, message: str) -> None:
        with pytest.raises(UsageError, match=re.escape(message)):
            make()  # type: ignore[operator]

    def test_a_cpu_threshold_beyond_the_instance_is_refused(self) -> None:
        with pytest.raises(UsageError, match=r"above what ml.t3.medium can reach: 100 x 2 vCPUs = 200"):
            AgentOptions(cpu_threshold=250).check_vcpus(2, "ml.t3.medium")


class TestCommands:
    runner = CliRunner()

    def test_agent_source_prints_the_agent(self) -> None:
        result = self.runner.invoke(app, ["agent-source"])
        assert result.exit_code == 0
        assert result.stdout == agent_source()

    def test_lifecycle_config_writes_the_script_and_reports_its_size(self, tmp_path: Path) -> None:
        out = tmp_path / "on-start.sh"
        result = self.runner.invoke(app, ["lifecycle-config", "--idle-minutes", "45", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text() == render_on_start(AgentOptions(idle_minutes=45))
        assert f"of {CONTENT_LIMIT:,} base64 characters" in result.stderr

    def test_lifecycle_config_prints_the_base64_content_sagemaker_takes(self) -> None:
        result = self.runner.invoke(app, ["lifecycle-config", "--idle-minutes", "45", "--base64"])
        assert base64.b64decode(result.stdout).decode() == render_on_start(AgentOptions(idle_minutes=45))

    @pytest.mark.parametrize(
        "flags",
        [
            ["--idle-minutes", "-1"],
            ["--idle-minutes", "60", "--every-minutes", "7"],
            ["--idle-minutes", "60", "--cpu-threshold", "250", "--instance-type", "ml.t3.medium"],
            ["--idle-minutes", "60", "--instance-type", "ml.nope.huge"],
        ],
    )
    def test_lifecycle_config_refuses_bad_flags_with_status_2(self, flags: list[str]) -> None:
        result = self.runner.invoke(app, ["lifecycle-config", *flags])
        assert isinstance(result.exception, UsageError)
        assert result.exception.exit_code == 2

    def test_lifecycle_config_needs_the_idle_minutes(self) -> None:
        result = self.runner.invoke(app, ["lifecycle-config"])
        assert result.exit_code == 2
        assert "--idle-minutes" in result.output

    def test_policy_lets_the_notebook_role_describe_and_stop_that_notebook_only(self) -> None:
        result = self.runner.invoke(app, ["policy", "--notebook", "Team-Notebook"])
        [statement] = json.loads(result.stdout)["Statement"]
        assert statement["Action"] == ["sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"]
        assert statement["Resource"] == "arn:aws:sagemaker:*:*:notebook-instance/team-notebook"

    def test_policy_for_the_installer_covers_every_call_install_makes(self) -> None:
        result = self.runner.invoke(app, ["policy", "--installer"])
        actions = {a for s in json.loads(result.stdout)["Statement"] for a in s["Action"]}
        assert actions == {
            "sagemaker:CreateNotebookInstanceLifecycleConfig",
            "sagemaker:DescribeNotebookInstanceLifecycleConfig",
            "sagemaker:UpdateNotebookInstanceLifecycleConfig",
            "sagemaker:DescribeNotebookInstance",
            "sagemaker:StopNotebookInstance",
            "sagemaker:StartNotebookInstance",
            "sagemaker:UpdateNotebookInstance",
        }
