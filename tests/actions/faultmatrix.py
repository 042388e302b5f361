"""A fault at one step of an applied run, and the invariants that must hold whatever the step and the fault.

An applied run is what `sagetrim act --apply` does once its scan is done: settle the actions an earlier run
was interrupted in, then act on the findings whose resource still calls for it. The fleet asks for one of each
change: delete an endpoint (after its backup), remove a variant registered with autoscaling from another
(after its backup), stop a notebook, tag an endpoint.

A *step* is one call the run makes, to AWS (``sagemaker:DeleteEndpoint``, the second
``sagemaker:DescribeEndpoint``) or to its state store (the backup's write and read-back, each journal append);
the steps are those of a clean run, found by running one. A fault at a step is an AWS error, a process killed
before or after the call (after: the change is made, the answer lost), or, for the store, a read-back that
differs from what was written.

The invariants:

- no change without a backup that reads back: if the endpoint is gone (or the variant removed) after the
  faulted run, its latest backup passes the checks `restore` makes (shape, digest recorded in the journal);
- after the next (fault-free) run, every change AWS shows has exactly one ``done`` record, no intent is left
  open, no action has two outcomes, no journal line is unreadable, and the work is finished;
- each endpoint restored from its latest backup is the endpoint as it was (its variant back with its
  autoscaling, whatever step the removal was cut off at).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import boto3

from sagetrim.actions.executor import FINDING_TAG, RunInterrupted, carry_out
from sagetrim.actions.journal import Journal
from sagetrim.actions.reconcile import reconcile
from sagetrim.actions.restore import latest_backup, restore_endpoint
from sagetrim.actions.state import LocalStore, StateStore, StoreError
from sagetrim.actions.verify import check_backup, check_digest
from sagetrim.rules.model import Action, Finding
from sagetrim.sim import SimServer
from sagetrim.sim.faults import FaultyStore, SimulatedKill, StoreEffect, StoreOperation
from tests.actions.helpers import (
    DIMENSION,
    REGION,
    endpoint_exists,
    finding,
    make_endpoint,
    make_notebook,
    observed,
)

NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)
NEXT_RUN = NOW + timedelta(hours=1)

AwsEffect = Literal["error", "kill-before", "kill-after"]
AWS_EFFECTS: tuple[AwsEffect, ...] = ("error", "kill-before", "kill-after")
STORE_EFFECTS: tuple[StoreEffect, ...] = ("error", "kill-before", "kill-after", "corrupt")
CHANGES = {("delete-endpoint", "churn"), ("remove-variant", "ranker"), ("stop-notebook", "ds-alice"),
           ("tag", "fraud")}
CANARY = "endpoint/ranker/variant/canary"


@dataclass(frozen=True)
class Step:
    """The ``nth`` (from 0) call of ``operation`` in a run: ``sagemaker:DeleteEndpoint`` or ``append_record``."""

    where: Literal["aws", "store"]
    operation: str
    nth: int

    def __str__(self) -> str:
        return f"{self.operation}#{self.nth}"


def build_fleet(sim: SimServer) -> list[Finding]:
    """An idle endpoint with autoscaling, an endpoint whose idle canary variant has autoscaling, an idle
    notebook and an endpoint to tag, with one finding each."""
    make_endpoint(sim, "churn")
    make_endpoint(sim, "ranker")
    sim.client("application-autoscaling", REGION).register_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=CANARY, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=3)
    make_endpoint(sim, "fraud", autoscaling=False)
    make_notebook(sim, "ds-alice")
    canary = finding(sim, "endpoint", "ranker", Action.REMOVE_VARIANT, rule="idle-variant", savings=85.0)
    return [
        finding(sim, "endpoint", "churn", Action.DELETE_ENDPOINT, savings=800.0),
        replace(canary, evidence={**canary.evidence, "variant": "canary"}),
        finding(sim, "notebook-instance", "ds-alice", Action.STOP_NOTEBOOK, savings=120.0),
        finding(sim, "endpoint", "fraud", Action.TAG, rule="endpoint-should-autoscale", savings=42.5),
    ]


def _notebook_status(sim: SimServer, name: str) -> str:
    sm = sim.client("sagemaker", REGION)
    return str(sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"])


def _serves_canary(sim: SimServer) -> bool:
    variants = sim.backend("sagemaker", region=REGION).endpoints["ranker"].production_variants
    return "canary" in {v["VariantName"] for v in variants}


def _tagged(sim: SimServer, name: str) -> bool:
    sm = sim.client("sagemaker", REGION)
    arn = sm.describe_endpoint(EndpointName=name)["EndpointArn"]
    return FINDING_TAG in {t["Key"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


def still_wanted(sim: SimServer, findings: list[Finding]) -> list[Finding]:
    """The findings a new scan would make: the endpoint while it exists, the notebook while it runs, the tag
    always (the rule behind it still holds). Read from the sim's backend, so that no request is logged or
    faulted."""
    backend = sim.backend("sagemaker", region=REGION)
    wanted = []
    for f in findings:
        if f.action is Action.DELETE_ENDPOINT and f.name not in backend.endpoints:
            continue
        if f.action is Action.REMOVE_VARIANT and not _serves_canary(sim):
            continue
        if f.action is Action.STOP_NOTEBOOK and backend.notebook_instances[f.name].status != "InService":
            continue
        wanted.append(f)
    return wanted


def applied_run(sim: SimServer, store: StateStore, findings: list[Finding], now: datetime) -> None:
    """Settle interrupted actions, then act on what is still wanted."""
    def session_for(account: str, region: str) -> boto3.Session:
        return sim.session(region)

    journal = Journal(store)
    reconcile(journal, session_for, now)
    carry_out(still_wanted(sim, findings), session_for=session_for, store=store, journal=journal, apply=True,
              now=now)


def _numbered(operations: list[str], where: Literal["aws", "store"]) -> list[Step]:
    seen: Counter[str] = Counter()
    steps = []
    for operation in operations:
        steps.append(Step(where, operation, seen[operation]))
        seen[operation] += 1
    return steps


def prepare(sim: SimServer, store: StateStore, *, interrupted: bool) -> tuple[list[Finding], dict[str, Any]]:
    """A fresh fleet, its findings and the endpoint to delete as it is; with ``interrupted``, an earlier run
    was killed right after DeleteEndpoint, leaving the next run an intent to settle (with the notebook and the
    tag still to do)."""
    sim.reset()
    findings = build_fleet(sim)
    before = {name: observed(sim, name) for name in ("churn", "ranker")}
    if interrupted:
        sim.faults.kill("after", service="sagemaker", operation="DeleteEndpoint")
        with contextlib.suppress(SimulatedKill):
            applied_run(sim, store, findings, NOW - timedelta(hours=1))
        sim.faults.clear()
        assert Journal(store).read().open_intents(), "the earlier run left an intent open"
    return findings, before


def clean_run_steps(sim: SimServer, root: Path, *, interrupted: bool = False) -> list[Step]:
    """Every call a fault-free applied run makes, to AWS and to its store, each numbered by occurrence."""
    inner = LocalStore(root / "clean")
    findings, _ = prepare(sim, inner, interrupted=interrupted)
    sim.requests.reset()
    store = FaultyStore(inner)
    applied_run(sim, store, findings, NOW)
    return (_numbered([r.key for r in sim.requests.records], "aws")
            + _numbered([operation for operation, _ in store.calls], "store"))


def inject(sim: SimServer, store: FaultyStore, step: Step, effect: str) -> Callable[[], int]:
    """Put the fault in place; returns how to ask how many times it fired."""
    if step.where == "aws":
        service, operation = step.operation.split(":")
        if effect == "error":
            fault = sim.faults.add("AccessDeniedException", status=400, service=service, operation=operation,
                                   skip=step.nth, times=1)
        else:
            fault = sim.faults.add("SimulatedProcessKill", status=400, service=service, operation=operation,
                                   skip=step.nth, times=1, kill="before" if effect == "kill-before" else "after")
        return lambda: fault.fired
    store_op: StoreOperation = step.operation  # type: ignore[assignment]
    store_fault = store.fail(store_op, effect, skip=step.nth)  # type: ignore[arg-type]
    return lambda: store_fault.fired


def run_with_fault(sim: SimServer, root: Path, step: Step, effect: str, *, interrupted: bool = False) -> None:
    """One cell of the matrix: a fleet (and an interrupted run, see :func:`prepare`), a run faulted at
    ``step``, a fault-free next run, and the invariants checked after each (an AssertionError names what
    broke)."""
    inner = LocalStore(root / f"{step.operation.replace(':', '-')}-{step.nth}-{effect}")
    findings, before = prepare(sim, inner, interrupted=interrupted)
    store = FaultyStore(inner)
    fired = inject(sim, store, step, effect)

    with contextlib.suppress(SimulatedKill, StoreError, RunInterrupted):  # the run stops there; what it
        applied_run(sim, store, findings, NOW)                         # left behind is what is checked
    assert fired() == 1, "the fault was injected"
    sim.faults.clear()

    if not endpoint_exists(sim, "churn"):
        assert_backup_reads_back(sim, inner)
    if not _serves_canary(sim):
        assert_backup_reads_back(sim, inner, "ranker")

    applied_run(sim, inner, findings, NEXT_RUN)

    assert_journal_complete(inner)
    assert not endpoint_exists(sim, "churn"), "the next run finished the delete"
    assert not _serves_canary(sim), "the next run finished the removal"
    assert _notebook_status(sim, "ds-alice") in ("Stopping", "Stopped"), "the next run finished the stop"
    assert _tagged(sim, "fraud"), "the next run finished the tag"
    for name in ("churn", "ranker"):
        restore_endpoint(sim.client("sagemaker", REGION), sim.client("application-autoscaling", REGION), inner,
                         sim.account_id, REGION, name, poll_s=0)
        assert observed(sim, name) == before[name], f"the latest backup restores endpoint {name} as it was"


def assert_backup_reads_back(sim: SimServer, store: StateStore, name: str = "churn") -> None:
    """The endpoint was changed: a backup of it is in the store and passes the checks restore makes."""
    key = latest_backup(store, sim.account_id, REGION, name)
    assert key is not None, f"endpoint {name} was changed with no backup"
    doc = store.get_json(key)
    assert doc is not None, "the backup does not read back"
    check_backup(doc, location=key, account=sim.account_id, region=REGION, endpoint_name=name)
    check_digest(doc, store=store, key=key, endpoint_name=name)


def assert_journal_complete(store: StateStore) -> None:
    """Every change has exactly one ``done`` record; no intent is open; no action has two outcomes."""
    read = Journal(store).read()
    assert read.unreadable == [], f"unreadable journal lines: {read.unreadable}"
    assert read.open_intents() == [], f"intents left open: {[(e.action, e.name) for e in read.open_intents()]}"
    done = Counter((e.action, e.name) for e in read.entries if e.outcome == "done")
    assert set(done) == CHANGES and set(done.values()) == {1}, f"done records: {dict(done)}"
    outcomes = Counter(e.action_id for e in read.entries if e.action_id and e.outcome != "started")
    twice = [action_id for action_id, n in outcomes.items() if n > 1]
    assert twice == [], f"actions with more than one outcome: {twice}"
    intents = {e.action_id for e in read.entries if e.outcome == "started"}
    assert set(outcomes) <= intents, "an outcome with no intent before it"


def run_matrix(sim: SimServer, root: Path, steps: list[Step], effect: str, *, interrupted: bool = False) -> list[str]:
    """Every cell of one row (one effect at each step); returns what broke, one line per broken cell."""
    assert steps, "a row with no step to fault"
    broken = []
    for step in steps:
        try:
            run_with_fault(sim, root, step, effect, interrupted=interrupted)
        except Exception as exc:
            broken.append(f"{effect} at {step}: {type(exc).__name__}: {exc}")
    return broken
