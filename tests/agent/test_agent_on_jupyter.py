"""The autostop agent against a real Jupyter server and the stand-in SageMaker API.

Thresholds are the real ones (60 minutes) and the agent is told what time it is (`--now`), except
where the test is about real elapsed time or real CPU use; then thresholds are fractions of a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from sagetrim.agent.autostop import parse_time

if TYPE_CHECKING:
    from .conftest import Agent, FakeProc, JupyterServer, Notebook

HOUR = 3600.0


def last_sign_of_life(jupyter: JupyterServer) -> float:
    """The latest time Jupyter reports anything at all, read without counting as activity."""
    status = jupyter.status()
    return max(parse_time(status["started"]), parse_time(status["last_activity"]))


class TestKernels:
    def test_a_busy_kernel_running_a_long_silent_cell_is_not_stopped(
        self, jupyter: JupyterServer, agent: Agent, notebook: Notebook
    ) -> None:
        # given a kernel busy with a cell that prints nothing, two hours after anything was seen
        agent.jupyter, agent.notebook = jupyter, notebook
        kernel = jupyter.start_kernel()
        jupyter.execute(kernel, "import time; time.sleep(30)", wait=False)
        # when the agent checks
        check = agent("--idle-minutes", "60", "--ignore-connections", now=time.time() + 2 * HOUR)
        # then the instance is working, not idle
        assert check.report["idle"] is False
        assert check.action == "none"
        assert "busy for" in check.reasons
        assert notebook.status() == "InService"

    def test_a_kernel_busy_beyond_the_busy_cap_counts_as_stuck_and_the_instance_stops(
        self, jupyter: JupyterServer, agent: Agent, notebook: Notebook
    ) -> None:
        # given a kernel busy for three hours, beyond a two-hour cap
        agent.jupyter, agent.notebook = jupyter, notebook
        kernel = jupyter.start_kernel()
        jupyter.execute(kernel, "import time; time.sleep(30)", wait=False)
        later = time.time() + 3 * HOUR
        # when the agent checks
        check = agent("--idle-minutes", "60", "--busy-cap-minutes", "120", now=later)
        # then the kernel is stuck, not work, and the instance is stopped
        assert "counted as stuck" in check.reasons
        assert check.report["idle"] is True
        assert check.action == "stop"
        assert notebook.status() == "Stopped"

    def test_an_idle_kernel_past_the_threshold_is_stopped(
        self, jupyter: JupyterServer, agent: Agent, notebook: Notebook
    ) -> None:
        # given a kernel that ran a cell and then nothing, in real time, with a 3-second threshold
        agent.jupyter, agent.notebook = jupyter, notebook
        kernel = jupyter.start_kernel()
        jupyter.execute(kernel, "x = 1 + 1")
        # when the agent checks at once, then it is not idle yet
        first = agent("--idle-minutes", "0.05")
        assert first.report["idle"] is False
        assert first.action == "none"
        assert "not idle yet" in first.reasons
        # when it checks again once the threshold has passed
        time.sleep(max(0.0, last_sign_of_life(jupyter) + 3.2 - time.time()))
        second = agent("--idle-minutes", "0.05")
        # then the instance is stopped
        assert second.report["idle"] is True
        assert second.report["idle_for_s"] >= 3.0
        assert second.action == "stop"
        assert notebook.status() == "Stopped"

    def test_an_open_browser_connection_keeps_the_instance_up_unless_told_to_ignore_it(
        self, jupyter: JupyterServer, agent: Agent
    ) -> None:
        # given a notebook tab connected to an idle kernel, two hours after its last activity
        agent.jupyter = jupyter
        kernel = jupyter.start_kernel()
        tab = jupyter.channels(kernel)
        try:
            later = time.time() + 2 * HOUR
            # when the agent checks, then the open tab is work
            check = agent("--idle-minutes", "60", "--dry-run", now=later)
            assert check.report["idle"] is False
            assert "1 browser connection(s)" in check.reasons
            # when it is told to ignore connections, then it would stop
            agent.state_file.unlink()  # that check saw the tab: start afresh
            ignoring = agent("--idle-minutes", "60", "--dry-run", "--ignore-connections", now=later)
            assert ignoring.report["idle"] is True, ignoring.reasons
            assert ignoring.action == "would-stop"
        finally:
            tab.close()

    def test_a_busy_kernel_spinning_the_cpu_is_judged_by_the_busy_cap_not_by_its_cpu(
        self, jupyter: JupyterServer, real_agent: Agent
    ) -> None:
        # given a kernel spinning a core in a cell, whose real process the agent sees
        agent = real_agent
        agent.jupyter = jupyter
        kernel = jupyter.start_kernel()
        jupyter.execute(kernel, "while True: pass", wait=False)
        agent.proc.link(kernel_pid(kernel))
        time.sleep(1.5)
        flags = ("--idle-minutes", "0.01", "--ignore-connections", "--dry-run")
        # when the agent checks within the busy cap, then the kernel is work
        assert agent(*flags).report["idle"] is False
        # when the cap is shorter than the cell has run, then it is stuck and its CPU does not count
        agent.state_file.unlink()  # that check saw the kernel as work
        check = agent(*flags, "--busy-cap-minutes", "0.01")
        assert "counted as stuck" in check.reasons
        assert check.action == "would-stop"
        jupyter.api("POST", f"/api/kernels/{kernel}/interrupt")

    def test_an_idle_kernel_whose_process_keeps_computing_is_work(
        self, jupyter: JupyterServer, real_agent: Agent
    ) -> None:
        # given a cell that started a background thread spinning a core, and returned
        agent = real_agent
        agent.jupyter = jupyter
        kernel = jupyter.start_kernel()
        jupyter.execute(kernel, "import threading\nthreading.Thread(target=lambda: [0 for _ in iter(int, 1)]).start()")
        agent.proc.link(kernel_pid(kernel))
        time.sleep(1.5)
        # when the agent checks
        check = agent("--idle-minutes", "0.01", "--ignore-connections", "--dry-run")
        # then the kernel's process is work although Jupyter says the kernel is idle
        assert check.report["idle"] is False
        assert "% CPU" in check.reasons
        jupyter.api("POST", f"/api/kernels/{kernel}/restart")


class TestTerminalsAndProcesses:
    def test_terminal_activity_keeps_the_instance_up(self, jupyter: JupyterServer, agent: Agent) -> None:
        # given a terminal where someone typed a command
        agent.jupyter = jupyter
        name = jupyter.start_terminal()
        jupyter.type_in_terminal(name, "echo training\r")
        typed = parse_time(jupyter.terminal(name)["last_activity"])
        # when the agent checks 30 minutes later, then the terminal is recent activity
        check = agent("--idle-minutes", "60", "--ignore-connections", "--dry-run", now=typed + 1800)
        assert check.report["idle"] is False
        assert f"terminal {name}" in check.reasons
        # when it checks 90 minutes later, then the instance is idle
        later = agent("--idle-minutes", "60", "--ignore-connections", "--dry-run", now=typed + 5400)
        assert later.report["idle"] is True
        assert later.action == "would-stop"

    def test_a_cpu_busy_background_process_keeps_the_instance_up(
        self, jupyter: JupyterServer, real_agent: Agent
    ) -> None:
        # given no kernel, a 0.6-second threshold long past, and a `nohup python train.py &` spinning a core
        agent = real_agent
        agent.jupyter = jupyter
        sleeper = subprocess.Popen(["sleep", "60"])
        trainer = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            agent.proc.link(sleeper.pid)
            time.sleep(max(1.5, last_sign_of_life(jupyter) + 1.0 - time.time()))
            flags = ("--idle-minutes", "0.01", "--ignore-connections", "--dry-run")
            # when only the sleeping process is seen, then the instance is idle
            assert agent(*flags).action == "would-stop"
            # when the spinning one is seen too
            agent.proc.link(trainer.pid)
            check = agent(*flags)
            # then it is work
            assert check.report["idle"] is False
            assert f"process {trainer.pid} at" in check.reasons
            assert "while True: pass" in check.reasons
        finally:
            sleeper.kill()
            trainer.kill()


class TestNoKernelsAndMemory:
    def test_with_no_kernels_at_all_the_instance_stops_once_the_threshold_has_passed(
        self, jupyter: JupyterServer, agent: Agent, notebook: Notebook
    ) -> None:
        # given a server on which nothing was ever run (the machine booted a day ago)
        agent.jupyter, agent.notebook = jupyter, notebook
        start = parse_time(jupyter.status()["started"])
        # when the agent checks 50 minutes after Jupyter started, then it is not idle yet
        early = agent("--idle-minutes", "60", "--ignore-connections", now=start + 3000)
        assert early.report["idle"] is False
        assert "(Jupyter start)" in early.reasons
        # when it checks 61 minutes after, then the instance is stopped
        late = agent("--idle-minutes", "60", "--ignore-connections", now=start + 3660)
        assert late.report["idle"] is True
        assert late.action == "stop"
        assert notebook.status() == "Stopped"

    def test_activity_seen_by_an_earlier_check_is_remembered(
        self, jupyter: JupyterServer, agent: Agent, fake_proc: FakeProc
    ) -> None:
        # given a kernel that was active and has been shut down since an earlier check saw it
        agent.jupyter = jupyter
        start = parse_time(jupyter.status()["started"])
        agent.state_file.parent.mkdir()
        remembered = {"last_active": start + 6000, "last_source": "kernel report.ipynb"}
        agent.state_file.write_text(json.dumps({"version": 1, "boot_id": fake_proc.boot_id, **remembered}))
        # when the agent checks 30 minutes after that activity
        check = agent("--idle-minutes", "60", "--ignore-connections", "--dry-run", now=start + 7800)
        # then it is not idle yet, and says why
        assert check.report["idle"] is False
        assert "30 min ago (kernel report.ipynb)" in check.reasons

    def test_what_an_earlier_boot_saw_is_forgotten(self, jupyter: JupyterServer, agent: Agent) -> None:
        # given the state of a check made before the last reboot
        agent.jupyter = jupyter
        start = parse_time(jupyter.status()["started"])
        agent.state_file.parent.mkdir()
        earlier = {"last_active": start + 6000, "stop_requested_at": start + 6000}
        agent.state_file.write_text(json.dumps({"version": 1, "boot_id": "an earlier boot", **earlier}))
        # when the agent checks
        check = agent("--idle-minutes", "60", "--ignore-connections", "--dry-run", now=start + 7800)
        # then neither that activity nor that stop request counts
        assert check.action == "would-stop"


class TestJupyterNotAnswering:
    def test_jupyter_down_does_nothing_and_says_why(self, agent: Agent, notebook: Notebook, closed_url: str) -> None:
        # given nothing listening where Jupyter should be
        agent.notebook = notebook
        # when the agent checks long after boot
        check = agent("--idle-minutes", "1", "--jupyter-url", closed_url)
        # then it does nothing this run
        assert check.report == {**check.report, "idle": False, "idle_for_s": None, "action": "none"}
        assert "Jupyter did not answer" in check.reasons
        assert check.status == 0
        assert notebook.status() == "InService"
        assert not agent.state_file.exists()

    def test_jupyter_answering_403_does_nothing_and_says_why(
        self, jupyter: JupyterServer, agent: Agent, notebook: Notebook
    ) -> None:
        # given a wrong token
        agent.notebook = notebook
        # when the agent checks
        check = agent("--idle-minutes", "1", "--jupyter-url", jupyter.url, "--token", "wrong")
        # then it does nothing this run
        assert check.action == "none"
        assert "403" in check.reasons
        assert notebook.status() == "InService"


class TestStopping:
    def test_the_stop_is_requested_once(self, jupyter: JupyterServer, agent: Agent, notebook: Notebook) -> None:
        # given an idle instance that the agent stopped
        agent.jupyter, agent.notebook = jupyter, notebook
        stops_before = notebook.api.calls("StopNotebookInstance")
        later = time.time() + 2 * HOUR
        assert agent("--idle-minutes", "60", now=later).action == "stop"
        # and that is still InService at the next check (the stop takes minutes on SageMaker)
        notebook.api.set_status(notebook.name, "InService")
        # when the agent checks again
        again = agent("--idle-minutes", "60", now=later + 300)
        # then it does not ask again
        assert again.action == "none"
        assert "stop already requested" in again.reasons
        assert notebook.api.calls("StopNotebookInstance") - stops_before == 1

    def test_an_instance_not_in_service_is_not_stopped(
        self, jupyter: JupyterServer, agent: Agent, notebook: Notebook
    ) -> None:
        # given an idle instance already stopped through the API
        agent.jupyter, agent.notebook = jupyter, notebook
        notebook.api.client().stop_notebook_instance(NotebookInstanceName=notebook.name)
        # when the agent checks
        check = agent("--idle-minutes", "60", now=time.time() + 2 * HOUR)
        # then it reads the status and does not ask for a stop
        assert check.action == "none"
        assert f"{notebook.name} is Stopped: no stop requested" in check.reasons

    def test_a_failed_stop_is_reported_and_tried_again(
        self, jupyter: JupyterServer, agent: Agent, closed_url: str
    ) -> None:
        # given an idle instance whose metadata names a notebook the API does not know
        agent.jupyter = jupyter
        metadata = agent.state_file.parent.parent / "metadata.json"
        metadata.write_text('{"ResourceName": "nobody"}')
        # when the agent checks
        check = agent(
            "--idle-minutes", "60", "--metadata-file", str(metadata), now=time.time() + 2 * HOUR,
            env={"AWS_ENDPOINT_URL": closed_url, "AWS_DEFAULT_REGION": "us-east-1",
                 "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_MAX_ATTEMPTS": "1"},
        )  # fmt: skip
        # then it says so, exits 1, and does not record a stop
        assert check.action == "none"
        assert "could not stop notebook instance nobody" in check.reasons
        assert check.status == 1
        assert "stop_requested_at" not in agent.state()


class TestIndependence:
    def test_the_machine_time_zone_changes_nothing(self, jupyter: JupyterServer, agent: Agent) -> None:
        # given an idle kernel
        agent.jupyter = jupyter
        jupyter.execute(jupyter.start_kernel(), "pass")
        now = time.time()
        # when the agent checks at the same instant on machines set to three time zones
        reports = []
        for tz in ("UTC", "Asia/Kolkata", "America/Los_Angeles"):
            agent.state_file.unlink(missing_ok=True)
            reports.append(agent("--idle-minutes", "1", "--dry-run", now=now, env={"TZ": tz}).report)
        # then it decides the same, to the second
        assert reports[0] == reports[1] == reports[2]
        assert reports[0]["idle_for_s"] < 60

    def test_checking_does_not_make_jupyter_look_active(self, jupyter: JupyterServer, agent: Agent) -> None:
        # given an idle kernel and Jupyter's own record of the last activity
        agent.jupyter = jupyter
        kernel = jupyter.start_kernel()
        jupyter.execute(kernel, "pass")
        time.sleep(0.2)
        before = (jupyter.status()["last_activity"], jupyter.kernel(kernel)["last_activity"])
        # when the agent checks three times
        for _ in range(3):
            agent("--idle-minutes", "60", "--dry-run")
        # then Jupyter's record is unchanged
        assert (jupyter.status()["last_activity"], jupyter.kernel(kernel)["last_activity"]) == before


def kernel_pid(kernel_id: str) -> int:
    """The pid of a kernel's process: the one started with the kernel's connection file."""
    from pathlib import Path

    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"kernel-{kernel_id}.json".encode() in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    raise LookupError(kernel_id)


class TestHttps:
    def test_jupyter_on_https_with_a_self_signed_certificate_is_read(
        self, https_jupyter: JupyterServer, agent: Agent
    ) -> None:
        # given Jupyter serving https with a self-signed certificate, as on a notebook instance
        agent.jupyter = https_jupyter
        assert https_jupyter.url.startswith("https://")
        # when the agent checks
        check = agent("--idle-minutes", "60", "--dry-run", now=time.time() + 2 * HOUR)
        # then it reads Jupyter and decides
        assert check.action == "would-stop"
