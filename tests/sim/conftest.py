"""Fixtures for the simulated account's tests (the account itself is ``sim``/``clean_sim``, from tests/conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.config import Config

if TYPE_CHECKING:
    pass

# A client that gives up at the first error, so a fault shows as a ClientError at once.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def no_retries() -> Config:
    """botocore config without retries."""
    return NO_RETRIES
