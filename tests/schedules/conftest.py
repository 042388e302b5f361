"""Fixtures for the schedule tests: one simulated account per test module, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sagetrim.sim import SimServer

ROLE = "arn:aws:iam::123456789012:role/notebooks"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    """A running simulated account shared by the tests of one module."""
    with SimServer() as server:
        yield server


@pytest.fixture
def clean_sim(sim: SimServer) -> SimServer:
    """The module's simulated account with no resources, faults, logged requests or clock offset."""
    sim.reset()
    return sim


def create_notebook(sm: Any, name: str, *, tags: dict[str, str] | None = None) -> None:
    """Create a notebook instance (InService at once in the sim)."""
    sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE,
                                Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])


def notebook_status(sm: Any, name: str) -> str:
    """A notebook instance's status."""
    return str(sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"])


def create_domain(sm: Any, name: str = "team") -> str:
    """Create a Studio domain; returns its id."""
    arn = sm.create_domain(DomainName=name, AuthMode="IAM", DefaultUserSettings={"ExecutionRole": ROLE},
                           SubnetIds=["subnet-1"], VpcId="vpc-1")["DomainArn"]
    return str(arn.rsplit("/", 1)[-1])
