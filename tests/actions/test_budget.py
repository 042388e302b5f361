"""The time budget: no action starts that will not fit, throttled retries stop at the budget, and what is
left is recorded for the next run; no action is left half done."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sagetrim.actions.budget import TimeBudget
from sagetrim.actions.executor import carry_out
from sagetrim.actions.journal import Journal
from sagetrim.actions.state import LocalStore
from sagetrim.rules.model import Action
from sagetrim.sim import SimServer
from tests.actions.helpers import endpoint_exists, finding, make_endpoint

NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)


def delete_all(clean_sim: SimServer, store: LocalStore, names: list[str], budget: TimeBudget) -> list[tuple[str, str]]:
    outcomes = carry_out([finding(clean_sim, "endpoint", n, Action.DELETE_ENDPOINT) for n in names],
                         session_for=lambda account, region: clean_sim.session(region), store=store,
                         journal=Journal(store), apply=True, now=NOW, budget=budget)
    return [(o.name, o.status) for o in outcomes]


def test_given_slow_actions_when_the_budget_would_not_fit_another_then_the_rest_is_deferred_and_journaled(
    clean_sim: SimServer, store: LocalStore
) -> None:
    names = [f"idle-{i}" for i in range(4)]
    for name in names:
        make_endpoint(clean_sim, name, autoscaling=False)
    clean_sim.requests.reset()
    # Time as the actions see it: every SageMaker call takes one second (the machine's load plays no part).
    clock = lambda: float(sum(clean_sim.requests.counts(service="sagemaker").values()))  # noqa: E731

    outcomes = delete_all(clean_sim, store, names, TimeBudget.seconds(40, margin_s=2, clock=clock))

    assert clock() <= 40, "the run ended within its budget"
    done = [n for n, status in outcomes if status == "done"]
    deferred = [n for n, status in outcomes if status == "deferred"]
    assert done and deferred and len(done) + len(deferred) == 4
    assert not any(endpoint_exists(clean_sim, n) for n in done) and all(endpoint_exists(clean_sim, n) for n in deferred)
    entries = Journal(store).entries()
    assert sorted(e.name for e in entries if e.outcome == "deferred") == deferred
    reason = next(e.reason for e in entries if e.outcome == "deferred")
    assert reason.startswith("left for the next run:") and "the slowest action so far took" in reason


def test_given_deletes_throttled_on_every_call_when_applied_then_retries_stop_within_the_budget(
    clean_sim: SimServer, store: LocalStore
) -> None:
    names = [f"idle-{i}" for i in range(8)]
    for name in names:
        make_endpoint(clean_sim, name, autoscaling=False)
    throttled = clean_sim.faults.throttle(operation="DeleteEndpoint")
    started = time.monotonic()

    outcomes = delete_all(clean_sim, store, names, TimeBudget.seconds(24, margin_s=1))

    assert time.monotonic() - started < 24, "without the budget this took minutes"
    assert throttled.fired >= 2, "botocore did retry while the budget allowed it"
    assert {status for _, status in outcomes} == {"deferred"}
    assert all(endpoint_exists(clean_sim, n) for n in names), "nothing half done: no endpoint was deleted"
    assert all("would not fit another retry of DeleteEndpoint" in e.reason or e.reason.startswith("left for")
               for e in Journal(store).entries() if e.outcome == "deferred")


def test_given_a_lambda_context_when_its_time_runs_low_then_no_further_action_starts() -> None:
    class Context:
        millis = 300_000

        def get_remaining_time_in_millis(self) -> int:
            return self.millis

    context = Context()
    budget = TimeBudget.from_lambda(context, margin_s=60)
    assert budget is not None and budget.why_not() is None
    budget.timed(30.0)
    context.millis = 100_000  # 40 s left after the margin; the next action is expected to take up to 45 s
    assert (budget.why_not() or "").startswith("left for the next run: 40.0 s of the Lambda function's timeout")
    assert TimeBudget.from_lambda(object(), margin_s=60) is None
