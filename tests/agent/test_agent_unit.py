"""The agent's parts on their own: timestamps, CPU accounting, flags, and being self-contained."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sagetrim.agent import autostop

if TYPE_CHECKING:
    from .conftest import Agent, FakeProc

AGENT = autostop.__file__


class TestTimestamps:
    @pytest.mark.parametrize(
        "text",
        [
            "2024-03-01T12:00:00Z",
            "2024-03-01T12:00:00.000000Z",
            "2024-03-01T12:00:00+00:00",
            "2024-03-01T17:30:00+05:30",
            "2024-03-01T04:00:00-08:00",
            "2024-03-01T12:00:00",
            "2024-03-01 12:00:00z",
        ],
    )
    def test_every_form_jupyter_or_a_person_writes_is_the_same_instant(self, text: str) -> None:
        assert autostop.parse_time(text) == 1709294400.0

    def test_fractions_of_a_second_of_any_length_are_kept(self) -> None:
        assert autostop.parse_time("2024-03-01T12:00:00.5Z") == 1709294400.5
        assert autostop.parse_time("2024-03-01T12:00:00.123456789Z") == pytest.approx(1709294400.123457)

    def test_a_malformed_timestamp_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not an ISO-8601 timestamp"):
            autostop.parse_time("yesterday")


class TestCpuAccounting:
    def test_a_process_is_judged_by_its_average_since_it_started_when_first_seen(self, fake_proc: FakeProc) -> None:
        # given a process started 100 s after boot that has used 90 s of CPU
        fake_proc.add(4242, cpu_s=90, started_s_after_boot=100, command="python train.py --epochs 9")
        machine = autostop.Machine(str(fake_proc.root))
        at = fake_proc.boot_time + 200
        sample = machine.processes({os.getuid()})
        # when the agent first sees it, 100 s later
        busy = autostop.busy_processes(machine, sample, {}, at, threshold=10)
        # then its 90 % is work
        assert [(pid, round(pct), cmd) for pid, pct, cmd in busy] == [("4242", 90, "python train.py --epochs 9")]

    def test_a_long_quiet_process_that_turns_busy_is_caught_at_the_next_check(self, fake_proc: FakeProc) -> None:
        # given a process that has used 60 s of CPU in 10 hours (0.2 % on average)
        fake_proc.add(77, cpu_s=60, started_s_after_boot=0)
        machine = autostop.Machine(str(fake_proc.root))
        first_at = fake_proc.boot_time + 36000
        first = machine.processes({os.getuid()})
        assert autostop.busy_processes(machine, first, {}, first_at, threshold=10) == []
        # when it uses 270 s of CPU in the 300 s before the next check
        fake_proc.add(77, cpu_s=330, started_s_after_boot=0)
        state = {"cpu": first, "cpu_at": first_at}
        busy = autostop.busy_processes(machine, machine.processes({os.getuid()}), state, first_at + 300, 10)
        # then it is work: 90 % since the last check
        assert [(pid, round(pct)) for pid, pct, _ in busy] == [("77", 90)]

    def test_only_the_processes_of_the_notebook_users_count(self, fake_proc: FakeProc) -> None:
        fake_proc.add(99, cpu_s=500, started_s_after_boot=0)
        machine = autostop.Machine(str(fake_proc.root))
        assert list(machine.processes({os.getuid()})) == ["99:0"]
        assert machine.processes({os.getuid() + 4321}) == {}

    def test_a_process_younger_than_a_second_waits_for_the_next_check(self, fake_proc: FakeProc) -> None:
        fake_proc.add(5, cpu_s=0.5, started_s_after_boot=1000)
        machine = autostop.Machine(str(fake_proc.root))
        sample = machine.processes({os.getuid()})
        assert autostop.busy_processes(machine, sample, {}, fake_proc.boot_time + 1000.5, 10) == []

    def test_a_process_a_second_old_is_judged_and_a_younger_one_does_not_hide_the_next(
        self, fake_proc: FakeProc
    ) -> None:
        # given a process started half a second ago, then one started a second ago, both busy
        fake_proc.add(5, cpu_s=0.5, started_s_after_boot=1000.5)
        fake_proc.add(6, cpu_s=0.9, started_s_after_boot=1000)
        machine = autostop.Machine(str(fake_proc.root))
        sample = dict(sorted(machine.processes({os.getuid()}).items()))
        # when the agent checks, then the one a second old is work
        busy = autostop.busy_processes(machine, sample, {}, fake_proc.boot_time + 1001, 10)
        assert [(pid, round(pct)) for pid, pct, _ in busy] == [("6", 90)]

    def test_a_process_exactly_at_the_threshold_is_not_busy(self, fake_proc: FakeProc) -> None:
        fake_proc.add(7, cpu_s=10, started_s_after_boot=0)
        fake_proc.add(8, cpu_s=10.5, started_s_after_boot=0)
        machine = autostop.Machine(str(fake_proc.root))
        sample = machine.processes({os.getuid()})
        busy = autostop.busy_processes(machine, sample, {}, fake_proc.boot_time + 100, threshold=10)
        assert [pid for pid, _, _ in busy] == ["8"]

    def test_a_clock_that_has_not_moved_since_the_last_check_judges_by_the_average_since_start(
        self, fake_proc: FakeProc
    ) -> None:
        # given a process at 90 % since it started, and a previous check at this very second
        fake_proc.add(9, cpu_s=90, started_s_after_boot=0)
        machine = autostop.Machine(str(fake_proc.root))
        sample = machine.processes({os.getuid()})
        at = fake_proc.boot_time + 100
        state = {"cpu": sample, "cpu_at": at}
        # when the agent checks again at the same second, then the process is judged since its start
        busy = autostop.busy_processes(machine, sample, state, at, 10)
        assert [(pid, round(pct)) for pid, pct, _ in busy] == [("9", 90)]


class TestFlags:
    @pytest.mark.parametrize(
        ("flags", "message"),
        [
            (["--idle-minutes", "-5"], "--idle-minutes: must be a number of minutes above 0"),
            (["--idle-minutes", "soon"], "--idle-minutes: must be a number of minutes above 0"),
            (["--busy-cap-minutes", "0"], "--busy-cap-minutes: must be a number of minutes above 0"),
            (["--cpu-threshold", "-1"], "--cpu-threshold must be between 0 and"),
            (["--cpu-threshold", str(100 * (os.cpu_count() or 1) + 1)], "--cpu-threshold must be between 0 and"),
            (["--jupyter-url", "localhost:8443"], "--jupyter-url must start with http:// or https://"),
            (["--users", "no-such-user-here"], "--users names a user that does not exist"),
        ],
    )
    def test_a_bad_flag_is_refused_with_status_2_and_says_which(self, flags: list[str], message: str) -> None:
        done = subprocess.run([sys.executable, AGENT, *flags], capture_output=True, text=True)
        assert done.returncode == 2
        assert message in done.stderr
        assert "Traceback" not in done.stderr

    def test_help_lists_the_flags(self) -> None:
        done = subprocess.run([sys.executable, AGENT, "--help"], capture_output=True, text=True)
        for flag in ("--idle-minutes", "--jupyter-url", "--token", "--ignore-connections", "--cpu-threshold",
                     "--busy-cap-minutes", "--state-file", "--metadata-file", "--dry-run"):  # fmt: skip
            assert flag in done.stdout


class TestSelfContained:
    def test_the_agent_imports_only_the_standard_library_and_boto3(self) -> None:
        tree = ast.parse(Path(AGENT).read_text())
        imported = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert imported - sys.stdlib_module_names == {"boto3"}

    def test_the_agent_runs_on_the_oldest_python_at_hand(self, tmp_path: Path, closed_url: str) -> None:
        # notebook instances of older platforms run Python 3.7 in the environment that has boto3
        found = sorted(str(p) for p in (Path.home() / ".pyenv/versions").glob("3.[78].*/bin/python3"))
        found += [shutil.which(f"python3.{minor}") or "" for minor in (7, 8)]
        runs = (p for p in found if p and subprocess.run([p, "-c", ""], capture_output=True).returncode == 0)
        python = next(runs, None)
        if python is None:
            pytest.skip("no Python 3.7 or 3.8 on this machine")
        done = subprocess.run(
            [python, AGENT, "--jupyter-url", closed_url, "--state-file", f"{tmp_path}/s.json"],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["action"] == "none"


class TestOddAnswers:
    @pytest.mark.parametrize(
        ("status", "said"),
        [
            (b'{"started": "not a time", "last_activity": "x"}', "Jupyter answered with what this agent cannot read"),
            (b"<html>a login page</html>", "Jupyter did not answer"),
        ],
    )
    def test_an_answer_it_cannot_read_does_nothing_and_says_why(self, agent: Agent, status: bytes, said: str) -> None:
        # given something on Jupyter's port that answers, but not as Jupyter does
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = status if self.path.startswith("/api/status") else b"[]"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            # when the agent checks
            check = agent("--jupyter-url", f"http://127.0.0.1:{server.server_port}", "--idle-minutes", "1")
        finally:
            server.shutdown()
        # then it does nothing this run, and says why, without a traceback
        assert (check.action, check.status) == ("none", 0)
        assert said in check.reasons
