"""Fixtures for the simulated account's tests: one running server per test module."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.config import Config

from sagetrim.sim import SimServer

if TYPE_CHECKING:
    from collections.abc import Iterator

# A client that gives up at the first error, so a fault shows as a ClientError at once.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    """A running SimServer shared by the tests of one module."""
    with SimServer() as server:
        yield server


@pytest.fixture
def clean_sim(sim: SimServer) -> SimServer:
    """The module's SimServer with no resources, faults, logged requests or clock offset."""
    sim.reset()
    return sim


@pytest.fixture
def no_retries() -> Config:
    """botocore config without retries."""
    return NO_RETRIES
