"""Helpers for the schedule tests (the simulated account is ``sim``/``clean_sim``, from tests/conftest.py)."""

from __future__ import annotations

from typing import Any

ROLE = "arn:aws:iam::123456789012:role/notebooks"
REGION = "us-east-1"


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
