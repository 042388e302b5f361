"""A run killed right after DeleteEndpoint leaves an intent open; the next run, which settles it, then meets a
fault at any of its calls (AWS or store): the invariants of :mod:`tests.actions.faultmatrix` still hold once
a fault-free run follows."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagetrim.sim import SimServer
from tests.actions.faultmatrix import AWS_EFFECTS, clean_run_steps, run_matrix


@pytest.mark.parametrize("effect", [*AWS_EFFECTS, "store-error", "store-kill-before", "store-kill-after"])
def test_given_a_fault_while_an_interrupted_run_is_settled_then_nothing_is_lost_hidden_or_recorded_twice(
    clean_sim: SimServer, tmp_path: Path, effect: str
) -> None:
    steps = clean_run_steps(clean_sim, tmp_path, interrupted=True)
    assert "sagemaker:DeleteEndpoint" not in {s.operation for s in steps}, "the delete was done before"
    where = "store" if effect.startswith("store-") else "aws"
    steps = [s for s in steps if s.where == where]

    broken = run_matrix(clean_sim, tmp_path, steps, effect.removeprefix("store-"), interrupted=True)

    assert broken == [], "\n".join(broken)
