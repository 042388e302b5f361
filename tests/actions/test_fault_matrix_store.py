"""A state store that fails, loses the process before or after an operation, or reads back something else, at
every store operation of an applied run: the invariants of :mod:`tests.actions.faultmatrix` hold in every cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagetrim.sim import SimServer
from tests.actions.faultmatrix import STORE_EFFECTS, clean_run_steps, run_matrix


@pytest.mark.parametrize("effect", STORE_EFFECTS)
def test_given_a_fault_at_any_store_operation_of_an_applied_run_then_nothing_is_lost_hidden_or_recorded_twice(
    clean_sim: SimServer, tmp_path: Path, effect: str
) -> None:
    steps = [s for s in clean_run_steps(clean_sim, tmp_path) if s.where == "store"]
    assert {"read_stream", "put_json", "get_json", "append_record"} <= {s.operation for s in steps}
    if effect == "corrupt":
        steps = [s for s in steps if s.operation == "get_json"]  # only a read can differ from what was written

    broken = run_matrix(clean_sim, tmp_path, steps, effect)

    assert broken == [], "\n".join(broken)
