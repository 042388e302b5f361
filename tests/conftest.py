"""Shared test fixtures: an isolated price cache and a CLI runner that goes through `main()`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads or writes the user's real price cache or state (backups, journal)."""
    monkeypatch.setenv("SAGETRIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("SAGETRIM_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    yield


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: str | None = None, timeout: float = 120) -> Result:
    """Run `sagetrim ARGS` in a fresh process, exactly as a user would."""
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "sagetrim", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})}, cwd=cwd,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="module")
def account():
    """A running simulated account (empty, with its Price List API), shared by one test module."""
    from sagetrim.sim.account import start_account

    server, _ = start_account(None)
    server.reset()
    try:
        yield server
    finally:
        server.stop()
        server.reset()
