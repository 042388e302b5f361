"""The sim's patches of moto check what they replace: another moto fails loudly at start-up, naming the
versions the sim is written for."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import pytest

from sagetrim.sim.moto_patch import MOTO_TESTED, MotoMismatch, existing, replace

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


class Backend:
    """A stand-in for a moto class."""

    def describe(self) -> str:
        return "moto"


def test_given_an_existing_attribute_when_replaced_then_the_new_one_is_used_and_the_old_one_returned() -> None:
    owner = type("Owner", (Backend,), {})

    original = replace(owner, "describe", lambda self: "sim")

    assert owner().describe() == "sim"
    assert original(owner()) == "moto"


def test_given_a_missing_attribute_when_replaced_then_it_fails_naming_moto_versions_and_changes_nothing() -> None:
    owner = type("Owner", (Backend,), {})

    with pytest.raises(MotoMismatch) as err:
        replace(owner, "renamed_in_moto_6", lambda self: "sim")

    message = str(err.value)
    assert "Owner.renamed_in_moto_6" in message
    assert f"moto {version('moto')} does not have" in message and f"moto {MOTO_TESTED}" in message
    assert not hasattr(owner, "renamed_in_moto_6")


def test_given_a_module_attribute_when_checked_then_a_missing_one_fails_too() -> None:
    module = SimpleNamespace(utcnow=lambda: None)

    assert existing(module, "utcnow") is module.utcnow
    with pytest.raises(MotoMismatch, match="now"):
        existing(module, "now")


def test_given_the_package_metadata_then_moto_is_pinned_to_the_versions_the_sim_is_written_for() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]

    assert f"moto[server]{MOTO_TESTED}" in project["optional-dependencies"]["sim"]
    assert any(d.startswith("croniter>=") and ",<" in d for d in project["dependencies"])


@pytest.mark.parametrize(("module", "owner", "name"), [
    ("moto.sagemaker.models", "FakeEndpoint", "_process_production_variants"),
    ("moto.sagemaker.models", "SageMakerModelBackend", "_get_resource_from_arn"),
    ("moto.cloudwatch.responses", "CloudWatchResponse", "get_metric_data"),
])
def test_given_a_moto_without_a_patched_method_when_the_sim_starts_then_it_fails_with_the_expected_moto(
        module: str, owner: str, name: str) -> None:
    # A fresh process: the patches are process-wide and applied once.
    script = (f"import {module} as m; delattr(m.{owner}, {name!r})\n"
              "from sagetrim.sim import SimServer\nSimServer().start()\n")

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)

    assert done.returncode != 0
    assert f"MotoMismatch: the simulated account patches {module}.{owner}.{name}" in done.stderr
    assert f"written for moto {MOTO_TESTED}" in done.stderr
