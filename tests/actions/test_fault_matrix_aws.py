"""An AWS error, or the process killed before or after the call, at every AWS call of an applied run: the
invariants of :mod:`tests.actions.faultmatrix` hold in every cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagetrim.sim import SimServer
from tests.actions.faultmatrix import AWS_EFFECTS, clean_run_steps, run_matrix


@pytest.mark.parametrize("effect", AWS_EFFECTS)
def test_given_a_fault_at_any_aws_call_of_an_applied_run_then_nothing_is_lost_hidden_or_recorded_twice(
    clean_sim: SimServer, tmp_path: Path, effect: str
) -> None:
    steps = [s for s in clean_run_steps(clean_sim, tmp_path) if s.where == "aws"]
    assert {"sagemaker:DeleteEndpoint", "sagemaker:StopNotebookInstance", "sagemaker:AddTags",
            "sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint",
            "application-autoscaling:DeregisterScalableTarget"} <= {s.operation for s in steps}

    broken = run_matrix(clean_sim, tmp_path, steps, effect)

    assert broken == [], "\n".join(broken)
