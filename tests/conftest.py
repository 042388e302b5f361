"""Shared test fixtures: an isolated price cache, a CLI runner that goes through `main()`, and the simulated
account: one server per test process, emptied for each test module (``sim``) or each test (``clean_sim``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sagetrim.sim import SimServer


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


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    """The simulated account's server, with its Price List API: one per test process."""
    from sagetrim.sim.account import start_account

    server, _ = start_account(None)
    try:
        yield server
    finally:
        server.stop()
        server.reset()


@pytest.fixture(scope="module")
def sim(sim_server: SimServer) -> SimServer:
    """The simulated account of one test module, empty when the module starts; its tests share it.

    moto's state is process-wide, so the tests of one file share one account and files do not
    (pytest runs with ``--dist loadfile``).
    """
    from sagetrim.sim import pricing

    sim_server.reset()
    sim_server.register_json_service("pricing", pricing.handle)  # a test may have replaced it
    return sim_server


@pytest.fixture
def clean_sim(sim: SimServer) -> SimServer:
    """The module's simulated account with no resources, faults, logged requests or clock offset."""
    sim.reset()
    return sim
