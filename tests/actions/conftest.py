"""Fixtures for the actions' tests: a temporary state store and its journal (the simulated account is
``clean_sim``, from tests/conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sagetrim.actions.journal import Journal
from sagetrim.actions.state import LocalStore

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the user's real state directory."""
    path = tmp_path / "state"
    monkeypatch.setenv("SAGETRIM_STATE_DIR", str(path))
    return path


@pytest.fixture
def store(state_dir: Path) -> LocalStore:
    """A local state store in a temporary directory."""
    return LocalStore(state_dir)


@pytest.fixture
def journal(store: LocalStore) -> Journal:
    """The audit journal of the temporary store."""
    return Journal(store)
