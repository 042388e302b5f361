"""Interrupted actions: a run killed between an intent and its outcome is settled by the next run from what
AWS shows, once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from sagetrim.actions.executor import carry_out
from sagetrim.actions.journal import Journal
from sagetrim.actions.reconcile import reconcile
from sagetrim.actions.state import LocalStore
from sagetrim.rules.model import Action
from sagetrim.sim import SimServer
from sagetrim.sim.faults import SimulatedKill
from sagetrim.sim.server import SimSession
from tests.actions.helpers import REGION, endpoint_exists, finding, make_endpoint, make_notebook

NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)


def apply(clean_sim: SimServer, store: LocalStore, *findings: object) -> None:
    carry_out(list(findings), session_for=lambda account, region: clean_sim.session(region),  # type: ignore[arg-type]
              store=store, journal=Journal(store), apply=True, now=NOW)


def interrupted_delete(clean_sim: SimServer, store: LocalStore) -> None:
    """A run killed right after it deleted endpoint churn: the intent is journaled, the outcome is not."""
    make_endpoint(clean_sim, "churn")
    clean_sim.faults.kill("after", operation="DeleteEndpoint")
    with pytest.raises(SimulatedKill):
        apply(clean_sim, store, finding(clean_sim, "endpoint", "churn", Action.DELETE_ENDPOINT))


def settle(clean_sim: SimServer, store: LocalStore) -> list[tuple[str, str, bool]]:
    settled = reconcile(Journal(store), lambda account, region: clean_sim.session(region), NOW)
    return [(s.intent.name, s.outcome, s.recorded) for s in settled]


def test_given_a_run_killed_during_delete_endpoint_when_the_next_run_starts_then_the_delete_is_recorded(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_endpoint(clean_sim, "churn")
    clean_sim.faults.kill("after", operation="DeleteEndpoint")  # deleted, then the process dies

    with pytest.raises(SimulatedKill):
        apply(clean_sim, store, finding(clean_sim, "endpoint", "churn", Action.DELETE_ENDPOINT))
    assert not endpoint_exists(clean_sim, "churn")
    assert [e.outcome for e in Journal(store).entries()] == ["started"], "the intent was written before the delete"

    assert settle(clean_sim, store) == [("churn", "done", True)]
    done = Journal(store).entries()[-1]
    assert done.reason.startswith("settled after an interrupted run: endpoint churn is deleted")
    assert done.backup and store.get_json(done.backup) is not None, "the backup it names is there"
    assert settle(clean_sim, store) == [], "settled once"


def test_given_a_run_killed_before_delete_endpoint_when_the_next_run_starts_then_it_is_recorded_as_not_done(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_endpoint(clean_sim, "churn")
    clean_sim.faults.kill("before", operation="DeleteEndpoint")

    with pytest.raises(SimulatedKill):
        apply(clean_sim, store, finding(clean_sim, "endpoint", "churn", Action.DELETE_ENDPOINT))

    assert endpoint_exists(clean_sim, "churn")
    assert settle(clean_sim, store) == [("churn", "failed", True)]
    assert "endpoint churn is still InService" in Journal(store).entries()[-1].reason


def test_given_a_run_killed_during_a_notebook_stop_when_the_next_run_starts_then_the_stop_is_recorded(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_notebook(clean_sim, "ds-alice")
    clean_sim.faults.kill("after", operation="StopNotebookInstance")

    with pytest.raises(SimulatedKill):
        apply(clean_sim, store, finding(clean_sim, "notebook-instance", "ds-alice", Action.STOP_NOTEBOOK))

    assert settle(clean_sim, store) == [("ds-alice", "done", True)]


def test_given_an_account_that_cannot_be_reached_when_settling_then_the_intent_stays_open_for_the_next_run(
    clean_sim: SimServer, store: LocalStore
) -> None:
    interrupted_delete(clean_sim, store)
    clean_sim.faults.access_denied(operation="DescribeEndpoint", region=REGION)

    first = reconcile(Journal(store), lambda account, region: clean_sim.session(region), NOW)

    assert [(s.outcome, s.recorded) for s in first] == [("started", False)]
    assert "AccessDeniedException" in first[0].reason
    assert [e.outcome for e in Journal(store).entries()] == ["started"], "nothing is guessed"
    clean_sim.faults.clear()
    assert settle(clean_sim, store) == [("churn", "done", True)]


def test_given_two_runs_settling_one_interrupted_action_at_once_then_its_outcome_is_recorded_once(
    clean_sim: SimServer, store: LocalStore
) -> None:
    interrupted_delete(clean_sim, store)
    both_read_the_journal = threading.Barrier(2)

    def session_for(account: str, region: str) -> SimSession:
        both_read_the_journal.wait(timeout=10)  # each run found the intent open before either settles it
        return clean_sim.session(region)

    results: list[list[tuple[str, str, bool]]] = []

    def run() -> None:
        settled = reconcile(Journal(store), session_for, NOW)
        results.append([(s.intent.name, s.outcome, s.recorded) for s in settled])

    runs = [threading.Thread(target=run) for _ in range(2)]
    for t in runs:
        t.start()
    for t in runs:
        t.join()

    assert sorted(results) == [[], [("churn", "done", True)]], "one run records it; the other leaves it"
    assert [e.outcome for e in Journal(store).entries()] == ["started", "done"]
    assert settle(clean_sim, store) == []
