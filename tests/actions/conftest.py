"""Fixtures for the actions' tests: one simulated account per module, emptied before each test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sagetrim.actions.journal import Journal
from sagetrim.actions.state import LocalStore
from sagetrim.sim import SimServer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the user's real state directory."""
    path = tmp_path / "state"
    monkeypatch.setenv("SAGETRIM_STATE_DIR", str(path))
    return path


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    """A running simulated account shared by the tests of one module."""
    with SimServer() as server:
        yield server


@pytest.fixture
def aws(sim: SimServer) -> SimServer:
    """The module's simulated account with no resources and no faults."""
    sim.reset()
    return sim


@pytest.fixture
def store(state_dir: Path) -> LocalStore:
    """A local state store in a temporary directory."""
    return LocalStore(state_dir)


@pytest.fixture
def journal(store: LocalStore) -> Journal:
    """The audit journal of the temporary store."""
    return Journal(store)
