"""The agent's idle decision and its stop, on their own: what Jupyter, the processes and earlier runs say,
and what the agent then decides, says and asks SageMaker for."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import types
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sagetrim.agent import autostop

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .conftest import FakeProc

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
BOOT = NOW - 86400.0
KID = "0123abcd-ef45-6789-abcd-ef0123456789"
OTHER = "fedcba98-7654-3210-fedc-ba9876543210"
ARN = "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/nb-1"


def ago(seconds: float) -> str:
    """The ISO-8601 time `seconds` before NOW, as Jupyter writes it."""
    return autostop.iso(NOW - seconds)


def jupyter(*kernels: dict[str, Any], sessions: tuple[dict[str, Any], ...] = (),
            terminals: tuple[dict[str, Any], ...] = (), started_ago: float = 7200.0,
            api_ago: float | None = None) -> dict[str, Any]:
    """What Jupyter's API answers: by default started 2 h ago, with nothing since."""
    api = started_ago if api_ago is None else api_ago
    return {"status": {"started": ago(started_ago), "last_activity": ago(api)}, "kernels": list(kernels),
            "sessions": list(sessions), "terminals": list(terminals)}


def kernel(kid: str = KID, *, state: str = "idle", active_ago: float | None = 7200.0,
           connections: int | None = None) -> dict[str, Any]:
    k: dict[str, Any] = {"id": kid, "name": "python3", "execution_state": state}
    if active_ago is not None:
        k["last_activity"] = ago(active_ago)
    if connections is not None:
        k["connections"] = connections
    return k


@dataclass
class Decision:
    idle: bool
    idle_for: float
    reasons: list[str]
    state: dict[str, Any]


def decide(answer: dict[str, Any], *, busy: tuple[tuple[str, float, str], ...] = (),
           state: dict[str, Any] | None = None, idle_minutes: float = 60.0, busy_cap_minutes: float = 1440.0,
           ignore_connections: bool = False) -> Decision:
    flags = argparse.Namespace(idle_minutes=idle_minutes, busy_cap_minutes=busy_cap_minutes,
                               ignore_connections=ignore_connections)
    kept = {} if state is None else state
    idle, idle_for, reasons = autostop.assess(flags, answer, list(busy), kept, NOW, BOOT)
    return Decision(idle, idle_for, reasons, kept)


class TestIdleTime:
    def test_given_nothing_since_jupyter_started_when_the_threshold_has_passed_then_it_is_idle(self) -> None:
        d = decide(jupyter(started_ago=7200))
        assert (d.idle, d.idle_for) == (True, 7200.0)
        assert d.reasons == ["idle: last activity 2.0 h ago (Jupyter start), threshold 60 min"]

    @pytest.mark.parametrize(("quiet_s", "idle"), [(3600.0, True), (3599.0, False)])
    def test_given_the_last_activity_at_the_threshold_then_it_is_idle_from_that_second_on(
        self, quiet_s: float, idle: bool
    ) -> None:
        d = decide(jupyter(kernel(active_ago=quiet_s)))
        assert (d.idle, d.idle_for) == (idle, quiet_s)
        assert d.reasons[0].startswith("idle:" if idle else "not idle yet:")

    def test_given_an_idle_kernel_used_lately_then_the_idle_time_counts_from_its_use_and_is_remembered(
        self,
    ) -> None:
        d = decide(jupyter(kernel(active_ago=600)))
        assert (d.idle, d.idle_for) == (False, 600.0)
        assert d.reasons == ["not idle yet: last activity 10 min ago (kernel 0123abcd), threshold 60 min"]
        assert (d.state["last_active"], d.state["last_source"]) == (NOW - 600, "kernel 0123abcd")

    def test_given_a_kernel_without_a_last_activity_then_it_counts_as_active_now(self) -> None:
        d = decide(jupyter(kernel(active_ago=None)))
        assert (d.idle, d.idle_for) == (False, 0.0)

    def test_given_activity_seen_by_an_earlier_run_and_gone_since_then_the_idle_time_counts_from_it(self) -> None:
        # given an earlier run saw a kernel used 30 min ago, and that kernel has been shut down
        state = {"last_active": NOW - 1800, "last_source": "kernel analysis.ipynb"}
        # when the agent checks a Jupyter that shows nothing since it started
        d = decide(jupyter(started_ago=7200), state=state)
        # then the instance is idle for 30 min only
        assert (d.idle, d.idle_for) == (False, 1800.0)
        assert "(kernel analysis.ipynb)" in d.reasons[0]

    def test_given_nothing_since_boot_then_no_activity_is_remembered(self) -> None:
        # given a Jupyter whose start time is not after the boot (a clock set late)
        d = decide(jupyter(started_ago=86400 + 60))
        assert (d.idle, d.idle_for) == (True, 86400.0)
        assert "(boot)" in d.reasons[0]
        assert "last_active" not in d.state

    def test_given_a_kernel_active_in_the_future_of_a_skewed_clock_then_it_has_been_idle_for_no_time(self) -> None:
        d = decide(jupyter(kernel(active_ago=-30)))
        assert (d.idle, d.idle_for) == (False, 0.0)

    def test_given_recent_terminal_input_then_it_is_not_idle(self) -> None:
        d = decide(jupyter(terminals=({"name": "1", "last_activity": ago(300)}, {"name": "2"})))
        assert (d.idle, d.idle_for) == (False, 300.0)
        assert "(terminal 1)" in d.reasons[0]

    def test_given_a_terminal_without_a_last_activity_then_it_counts_for_nothing(self) -> None:
        d = decide(jupyter(terminals=({"name": "2"},)))
        assert (d.idle, d.idle_for) == (True, 7200.0)


class TestBrowsers:
    def test_given_recent_jupyter_api_activity_then_it_is_not_idle_unless_connections_are_ignored(self) -> None:
        answer = jupyter(api_ago=300)
        kept = decide(answer)
        assert (kept.idle, kept.idle_for) == (False, 300.0)
        assert "(Jupyter API (a browser?))" in kept.reasons[0]
        ignored = decide(answer, ignore_connections=True)
        assert (ignored.idle, ignored.idle_for) == (True, 7200.0)

    def test_given_a_browser_connected_to_an_idle_kernel_then_it_is_work_unless_connections_are_ignored(
        self,
    ) -> None:
        answer = jupyter(kernel(connections=2), sessions=({"path": "work/train.ipynb", "kernel": {"id": KID}},))
        kept = decide(answer)
        assert (kept.idle, kept.idle_for) == (False, 0.0)
        assert kept.reasons == ["2 browser connection(s) to kernel work/train.ipynb"]
        ignored = decide(answer, ignore_connections=True)
        assert (ignored.idle, ignored.idle_for) == (True, 7200.0)

    def test_given_a_kernel_without_a_connection_count_then_no_browser_keeps_it_up(self) -> None:
        d = decide(jupyter(kernel(connections=0), kernel(OTHER)))
        assert (d.idle, d.idle_for) == (True, 7200.0)


class TestBusyKernels:
    def test_given_a_busy_kernel_then_it_is_work_named_by_its_notebook(self) -> None:
        # given a kernel of a notebook, busy since its last activity 5 min ago
        answer = jupyter(kernel(state="busy", active_ago=300),
                         sessions=({"path": "work/train.ipynb", "name": "train", "kernel": {"id": KID}},))
        # when the agent checks
        d = decide(answer)
        # then it is not idle, says so, and remembers since when the kernel is busy
        assert (d.idle, d.idle_for) == (False, 0.0)
        assert d.reasons == ["kernel work/train.ipynb busy for 5 min"]
        assert d.state["busy_since"] == {KID: NOW - 300}
        assert d.state["last_active"] == NOW
        assert d.state["last_source"] == "work seen at 2026-01-01T00:00:00Z"

    def test_given_a_busy_kernel_of_no_notebook_then_it_is_named_by_the_start_of_its_id(self) -> None:
        answer = jupyter(kernel(state="busy", active_ago=90),
                         sessions=({"path": "other.ipynb", "kernel": {"id": OTHER}}, {"name": "console",
                                                                                      "kernel": None}))
        assert decide(answer).reasons == ["kernel 0123abcd busy for 90 s"]

    def test_given_a_session_with_a_name_and_no_path_then_the_kernel_is_named_by_it(self) -> None:
        answer = jupyter(kernel(state="busy", active_ago=90), sessions=({"name": "console", "kernel": {"id": KID}},))
        assert decide(answer).reasons == ["kernel console busy for 90 s"]

    def test_given_a_kernel_busy_since_an_earlier_run_then_its_busy_time_counts_from_then(self) -> None:
        d = decide(jupyter(kernel(state="busy", active_ago=60)), state={"busy_since": {KID: NOW - 3 * 3600}})
        assert d.reasons == ["kernel 0123abcd busy for 3.0 h"]
        assert d.state["busy_since"] == {KID: NOW - 3 * 3600}

    def test_given_a_kernel_no_longer_busy_then_its_busy_time_is_forgotten(self) -> None:
        d = decide(jupyter(kernel(active_ago=7200)), state={"busy_since": {KID: NOW - 3 * 3600}})
        assert d.state["busy_since"] == {}
        assert d.idle

    @pytest.mark.parametrize(("busy_s", "stuck"), [(3600.0, False), (3601.0, True)])
    def test_given_a_kernel_busy_up_to_the_cap_then_it_is_work_and_beyond_it_stuck(
        self, busy_s: float, stuck: bool
    ) -> None:
        # given a kernel busy for the hour of the cap, or a second more, and Jupyter's clock moved by it
        answer = jupyter(kernel(state="busy", active_ago=busy_s), api_ago=60)
        # when the agent checks
        d = decide(answer, busy_cap_minutes=60)
        # then up to the cap it is work; beyond it the kernel, and Jupyter's clock that it moves, count for nothing
        if stuck:
            assert (d.idle, d.idle_for) == (True, 7200.0)
            assert d.reasons == ["idle: last activity 2.0 h ago (Jupyter start), threshold 60 min",
                                 "kernel 0123abcd busy for 60 min, beyond the busy cap: counted as stuck"]
        else:
            assert (d.idle, d.idle_for) == (False, 0.0)
            assert d.reasons == ["kernel 0123abcd busy for 60 min"]


class TestProcesses:
    def test_given_a_busy_process_of_the_users_then_it_is_work(self) -> None:
        d = decide(jupyter(), busy=(("4242", 93.4, "python train.py --epochs 9"),))
        assert (d.idle, d.idle_for) == (False, 0.0)
        assert d.reasons == ["process 4242 at 93% CPU: python train.py --epochs 9"]

    def test_given_a_long_command_or_none_then_the_reason_shows_its_first_80_characters_or_a_question_mark(
        self,
    ) -> None:
        command = "python " + "x" * 100
        d = decide(jupyter(), busy=(("1", 50.0, command), ("2", 20.0, "")))
        assert d.reasons == [f"process 1 at 50% CPU: {command[:80]}", "process 2 at 20% CPU: ?"]

    def test_given_a_busy_kernel_and_its_own_process_then_the_process_is_not_counted_twice(self) -> None:
        # given a busy kernel whose process is busy too, and a training script
        kernel_process = f"python -m ipykernel_launcher -f /run/jupyter/kernel-{KID}.json"
        busy = (("10", 99.0, kernel_process), ("11", 80.0, "python train.py"))
        d = decide(jupyter(kernel(state="busy", active_ago=60)), busy=busy)
        # then the kernel and the script are the work, each once
        assert d.reasons == ["kernel 0123abcd busy for 60 s", "process 11 at 80% CPU: python train.py"]

    def test_given_a_stuck_kernel_whose_process_spins_then_the_process_does_not_keep_the_instance_up(self) -> None:
        kernel_process = f"python -m ipykernel_launcher -f /run/jupyter/kernel-{KID}.json"
        d = decide(jupyter(kernel(state="busy", active_ago=7200)), busy=(("10", 100.0, kernel_process),),
                   busy_cap_minutes=60)
        assert (d.idle, d.idle_for) == (True, 7200.0)

    def test_given_a_process_of_an_idle_kernel_then_it_is_work(self) -> None:
        kernel_process = f"python -m ipykernel_launcher -f /run/jupyter/kernel-{KID}.json"
        d = decide(jupyter(kernel()), busy=(("10", 100.0, kernel_process),))
        assert (d.idle, len(d.reasons)) == (False, 1)

    def test_given_work_and_a_stuck_kernel_then_both_are_said(self) -> None:
        d = decide(jupyter(kernel(OTHER, state="busy", active_ago=7200)), busy=(("11", 80.0, "python train.py"),),
                   busy_cap_minutes=60)
        assert (d.idle, d.idle_for) == (False, 0.0)
        assert d.reasons == ["process 11 at 80% CPU: python train.py",
                             "kernel fedcba98 busy for 2.0 h, beyond the busy cap: counted as stuck"]


# -- the stop ------------------------------------------------------------------------------------------


@dataclass
class StandInSageMaker:
    """The SageMaker client the agent makes: the notebook's status, and the calls and clients asked for."""

    status: str = "InService"
    failure: Exception | None = None
    clients: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def describe_notebook_instance(self, NotebookInstanceName: str) -> dict[str, Any]:
        self.calls.append(("describe", NotebookInstanceName))
        if self.failure:
            raise self.failure
        return {"NotebookInstanceName": NotebookInstanceName, "NotebookInstanceStatus": self.status}

    def stop_notebook_instance(self, NotebookInstanceName: str) -> None:
        self.calls.append(("stop", NotebookInstanceName))


@pytest.fixture
def sagemaker(monkeypatch: pytest.MonkeyPatch) -> StandInSageMaker:
    api = StandInSageMaker()

    def client(service: str, region_name: str | None = None, endpoint_url: str | None = None) -> StandInSageMaker:
        api.clients.append((service, region_name, endpoint_url))
        return api

    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=client))
    monkeypatch.delenv("AWS_ENDPOINT_URL_SAGEMAKER", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return api


def metadata(tmp_path: Path, content: Any = None, *, raw: str | None = None) -> Path:
    path = tmp_path / "resource-metadata.json"
    path.write_text(raw if raw is not None else json.dumps(
        {"ResourceArn": ARN, "ResourceName": "nb-1"} if content is None else content))
    return path


def stop(path: Path, state: dict[str, Any], *, dry_run: bool = False) -> tuple[str, str, int]:
    return autostop.stop_instance(argparse.Namespace(metadata_file=str(path), dry_run=dry_run), state, NOW)


class TestStop:
    def test_given_an_in_service_notebook_then_it_is_stopped_once(
        self, sagemaker: StandInSageMaker, tmp_path: Path
    ) -> None:
        state: dict[str, Any] = {}
        # when the agent stops the notebook
        assert stop(metadata(tmp_path), state) == ("stop", "stop requested for notebook instance nb-1", 0)
        # then it read the status and asked for the stop, in the notebook's region, and remembers it
        assert sagemaker.calls == [("describe", "nb-1"), ("stop", "nb-1")]
        assert sagemaker.clients == [("sagemaker", "eu-west-1", None)]
        assert state["stop_requested_at"] == NOW
        # when the next run finds it idle again, then it asks nothing more
        assert stop(metadata(tmp_path), state) == ("none", "stop already requested at 2026-01-01T00:00:00Z", 0)
        assert len(sagemaker.calls) == 2

    @pytest.mark.parametrize("status", ["Pending", "Stopping", "Stopped", "Updating", "Failed"])
    def test_given_a_notebook_not_in_service_then_no_stop_is_asked(
        self, sagemaker: StandInSageMaker, tmp_path: Path, status: str
    ) -> None:
        sagemaker.status = status
        state: dict[str, Any] = {}
        assert stop(metadata(tmp_path), state) == ("none", f"notebook instance nb-1 is {status}: no stop requested", 0)
        assert sagemaker.calls == [("describe", "nb-1")]
        assert state == {}

    def test_given_a_dry_run_then_sagemaker_is_not_called(self, sagemaker: StandInSageMaker, tmp_path: Path) -> None:
        state: dict[str, Any] = {}
        assert stop(metadata(tmp_path), state, dry_run=True) == ("would-stop", "dry run: SageMaker not called", 0)
        assert (sagemaker.clients, state) == ([], {})

    @pytest.mark.parametrize(("content", "raw"), [
        (None, ""),  # not JSON
        ({"ResourceArn": ARN}, None),  # no name
        ([ARN, "nb-1"], None),  # not an object
    ])
    def test_given_metadata_without_a_notebook_name_then_nothing_is_stopped_and_the_run_fails(
        self, sagemaker: StandInSageMaker, tmp_path: Path, content: Any, raw: str | None
    ) -> None:
        state: dict[str, Any] = {}
        path = metadata(tmp_path, content, raw=raw)
        action, reason, status = stop(path, state)
        assert (action, status) == ("none", 1)
        assert reason.startswith(f"no notebook name in {path}: ")
        assert (sagemaker.clients, state) == ([], {})

    def test_given_no_metadata_file_then_nothing_is_stopped_and_the_run_fails(
        self, sagemaker: StandInSageMaker, tmp_path: Path
    ) -> None:
        action, reason, status = stop(tmp_path / "missing.json", {})
        assert (action, status) == ("none", 1)
        assert reason.startswith(f"no notebook name in {tmp_path / 'missing.json'}: ")
        assert sagemaker.clients == []

    @pytest.mark.parametrize(("arn", "region"), [
        (ARN, "eu-west-1"),
        ("arn:aws:sagemaker:ap-south-2:111122223333:notebook-instance/nb-1", "ap-south-2"),
        ("arn:aws:sagemaker::111122223333:notebook-instance/nb-1", None),  # no region part: the default
        ("arn:aws:sagemaker:eu-west-1:111122223333", None),  # not an ARN of a resource
        ("", None),
    ])
    def test_given_the_notebook_arn_then_its_region_is_the_clients(
        self, sagemaker: StandInSageMaker, tmp_path: Path, arn: str, region: str | None
    ) -> None:
        stop(metadata(tmp_path, {"ResourceArn": arn, "ResourceName": "nb-1"}), {})
        assert sagemaker.clients == [("sagemaker", region, None)]

    @pytest.mark.parametrize(("env", "endpoint"), [
        ({"AWS_ENDPOINT_URL_SAGEMAKER": "http://sm.local", "AWS_ENDPOINT_URL": "http://all.local"}, "http://sm.local"),
        ({"AWS_ENDPOINT_URL": "http://all.local"}, "http://all.local"),
        ({"AWS_ENDPOINT_URL_SAGEMAKER": "http://sm.local"}, "http://sm.local"),
        ({"AWS_ENDPOINT_URL_SAGEMAKER": "", "AWS_ENDPOINT_URL": ""}, None),
    ])
    def test_given_an_endpoint_url_in_the_environment_then_sagemaker_is_called_there(
        self, sagemaker: StandInSageMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
        endpoint: str | None,
    ) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        stop(metadata(tmp_path), {})
        assert sagemaker.clients == [("sagemaker", "eu-west-1", endpoint)]

    def test_given_a_call_that_fails_then_nothing_is_remembered_and_the_run_fails(
        self, sagemaker: StandInSageMaker, tmp_path: Path
    ) -> None:
        sagemaker.failure = RuntimeError("AccessDenied")
        state: dict[str, Any] = {}
        assert stop(metadata(tmp_path), state) == ("none", "could not stop notebook instance nb-1: AccessDenied", 1)
        assert state == {}


# -- one run: read, decide, stop, remember -------------------------------------------------------------------


class StandInJupyter:
    """Jupyter's REST API answering what a test sets, on loopback."""

    def __init__(self) -> None:
        self.answer = jupyter()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                part = self.path.split("?")[0].removeprefix("/api/")
                body = json.dumps(api.answer[part]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def jupyter_api() -> Iterator[StandInJupyter]:
    api = StandInJupyter()
    thread = threading.Thread(target=api.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()


def check(proc: FakeProc, url: str, state_file: Path, *flags: str, now: float = NOW) -> tuple[dict[str, Any], int]:
    """One run of the agent, in this process, at `now` (with the fake /proc booted a day before NOW)."""
    return autostop.run(autostop.parse_args([
        "--jupyter-url", url, "--proc-root", str(proc.root), "--state-file", str(state_file),
        "--users", str(os.getuid()), "--now", repr(now), *flags]))


@pytest.fixture
def proc(proc_booted_at: Callable[[float], FakeProc]) -> FakeProc:
    """A machine booted a day before NOW."""
    return proc_booted_at(BOOT)


class TestRun:
    def test_given_an_idle_instance_then_the_run_reports_it_asks_the_stop_and_remembers_what_it_saw(
        self, jupyter_api: StandInJupyter, proc: FakeProc, tmp_path: Path
    ) -> None:
        # given Jupyter quiet for 2 h, and a process of the users that is not busy
        proc.add(31, cpu_s=1, started_s_after_boot=0)
        state_file = tmp_path / "state" / "autostop.json"
        # when the agent runs, a fraction of a second past the two hours
        report, status = check(proc, jupyter_api.url, state_file, "--dry-run", now=NOW + 0.56)
        # then it says idle, for how long, and what it would do
        assert (report, status) == ({
            "checked_at": "2026-01-01T00:00:00Z", "idle": True, "idle_for_s": 7200.6, "action": "would-stop",
            "reasons": ["idle: last activity 2.0 h ago (Jupyter start), threshold 60 min",
                        "dry run: SageMaker not called"]}, 0)
        # and it keeps, for the next run, this boot and the CPU time of the users' processes
        saved = json.loads(state_file.read_text())
        assert (saved["version"], saved["boot_id"], saved["cpu_at"]) == (1, proc.boot_id, NOW + 0.56)
        assert list(saved["cpu"]) == ["31:0"]

    def test_given_a_busy_instance_then_the_run_reports_the_work_and_stops_nothing(
        self, jupyter_api: StandInJupyter, proc: FakeProc, tmp_path: Path, sagemaker: StandInSageMaker
    ) -> None:
        jupyter_api.answer = jupyter(kernel(state="busy", active_ago=300))
        report, status = check(proc, jupyter_api.url, tmp_path / "state" / "s.json", "--metadata-file",
                               str(metadata(tmp_path)))
        assert (report, status) == ({
            "checked_at": "2026-01-01T00:00:00Z", "idle": False, "idle_for_s": 0.0, "action": "none",
            "reasons": ["kernel 0123abcd busy for 5 min"]}, 0)
        assert sagemaker.clients == []

    def test_given_an_idle_instance_whose_stop_fails_then_the_run_fails(
        self, jupyter_api: StandInJupyter, proc: FakeProc, tmp_path: Path, sagemaker: StandInSageMaker
    ) -> None:
        sagemaker.failure = RuntimeError("AccessDenied")
        report, status = check(proc, jupyter_api.url, tmp_path / "state" / "s.json", "--metadata-file",
                               str(metadata(tmp_path)))
        assert (report["idle"], report["action"], status) == (True, "none", 1)
        assert report["reasons"][-1] == "could not stop notebook instance nb-1: AccessDenied"

    def test_given_no_jupyter_then_the_run_does_nothing_and_says_why(
        self, proc: FakeProc, tmp_path: Path, closed_url: str
    ) -> None:
        report, status = check(proc, closed_url, tmp_path / "state" / "s.json")
        assert (report["checked_at"], report["idle"], report["idle_for_s"], report["action"], status) == (
            "2026-01-01T00:00:00Z", False, None, "none", 0)
        assert report["reasons"][0].startswith(f"Jupyter did not answer at {closed_url}")

    def test_given_a_state_that_cannot_be_saved_then_the_run_still_reports_and_says_so(
        self, jupyter_api: StandInJupyter, proc: FakeProc, tmp_path: Path
    ) -> None:
        # given a state directory where a file stands
        (tmp_path / "state").write_text("not a directory")
        report, status = check(proc, jupyter_api.url, tmp_path / "state" / "s.json", "--dry-run")
        assert (report["idle"], report["action"], status) == (True, "would-stop", 0)
        assert report["reasons"][-1].startswith(f"state not saved to {tmp_path / 'state' / 's.json'}: ")
