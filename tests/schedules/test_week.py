"""A simulated week of `schedule run`: every 10 minutes, across New York's fall-back, notebooks change state
exactly at the first step at or after each scheduled local transition, and never otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sagetrim.schedules import parse_schedules, run_schedules
from tests.schedules.conftest import REGION, create_notebook

if TYPE_CHECKING:
    from sagetrim.sim import SimServer

STEP = timedelta(minutes=10)
# Tue 2026-10-27 00:00Z (Mon 20:00 EDT) to Tue 2026-11-03 00:00Z (Mon 19:00 EST). New York falls back on
# Sun 2026-11-01 at 06:00Z (02:00 EDT -> 01:00 EST); Paris is already on CET (it fell back on 2026-10-25).
BEGIN = datetime(2026, 10, 27, tzinfo=UTC)
END = datetime(2026, 11, 3, tzinfo=UTC)

SCHEDULES = parse_schedules([
    {"name": "office", "timezone": "America/New_York", "start": "cron(0 7 ? * MON-FRI *)",
     "stop": "cron(0 21 ? * MON-FRI *)", "targets": {"name_prefix": "ds-"}},
    {"name": "paris", "timezone": "Europe/Paris", "start": "cron(0 8 ? * MON-FRI *)",
     "stop": "cron(45 18 ? * MON-FRI *)", "targets": {"tag": True}},
    # Every night inside New York's repeated hour: on 2026-11-01 01:00 happens twice and must start once.
    {"name": "batch", "timezone": "America/New_York", "start": "cron(0 1 * * ? *)", "stop": "cron(45 1 * * ? *)",
     "targets": {"name_contains": "batch"}},
])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# The transitions of the week, worked out by hand in UTC.
OFFICE = [  # 07:00 / 21:00 New York: EDT (UTC-4) through Friday, EST (UTC-5) from Monday 11-02
    ("stop", utc(2026, 10, 27, 1)),
    ("start", utc(2026, 10, 27, 11)), ("stop", utc(2026, 10, 28, 1)),
    ("start", utc(2026, 10, 28, 11)), ("stop", utc(2026, 10, 29, 1)),
    ("start", utc(2026, 10, 29, 11)), ("stop", utc(2026, 10, 30, 1)),
    ("start", utc(2026, 10, 30, 11)), ("stop", utc(2026, 10, 31, 1)),
    ("start", utc(2026, 11, 2, 12)),
]
PARIS = [  # 08:00 / 18:45 Paris, CET (UTC+1)
    *[(action, utc(2026, 10, day, hour, minute)) for day in (27, 28, 29, 30)
      for action, hour, minute in (("start", 7, 0), ("stop", 17, 45))],
    ("start", utc(2026, 11, 2, 7)), ("stop", utc(2026, 11, 2, 17, 45)),
]
BATCH = [  # 01:00 / 01:45 New York
    *[(action, utc(2026, 10, day, 5, minute)) for day in (27, 28, 29, 30, 31)
      for action, minute in (("start", 0), ("stop", 45))],
    ("start", utc(2026, 11, 1, 5)), ("stop", utc(2026, 11, 1, 5, 45)),  # 01:00 and 01:45 EDT; not again in EST
    ("start", utc(2026, 11, 2, 6)), ("stop", utc(2026, 11, 2, 6, 45)),  # EST
]


def first_step_at_or_after(moment: datetime) -> datetime:
    steps = -((BEGIN - moment) // STEP)  # ceiling division
    return BEGIN + steps * STEP


def expected_changes(transitions: list[tuple[str, datetime]]) -> list[tuple[datetime, str]]:
    return [(first_step_at_or_after(at), "InService" if action == "start" else "Stopped")
            for action, at in transitions]


def test_given_a_week_of_runs_every_ten_minutes_then_notebooks_change_exactly_at_the_scheduled_transitions(
    clean_sim: SimServer,
) -> None:
    sim = clean_sim
    sim.clock.set(BEGIN - timedelta(days=1))
    sm = sim.client("sagemaker", REGION)
    # At BEGIN (Monday 20:00 in New York) office hours are on; Paris and the batch are off.
    for name in ("ds-alpha", "ds-beta", "eu-1", "nightly-batch-1", "other"):
        create_notebook(sm, name, tags={"sagetrim:schedule": "paris"} if name == "eu-1" else None)
    for name in ("eu-1", "nightly-batch-1"):
        sm.stop_notebook_instance(NotebookInstanceName=name)
    backend = sim.backend("sagemaker", region=REGION).notebook_instances
    clients: dict[tuple[str, str], Any] = {}

    def client_for(region: str, service: str) -> Any:
        if (region, service) not in clients:
            clients[(region, service)] = sim.client(service, region)
        return clients[(region, service)]

    states = {name: nb.status for name, nb in backend.items()}
    changes: dict[str, list[tuple[datetime, str]]] = {name: [] for name in states}
    outcomes: set[str] = set()
    sim.requests.reset()

    at = BEGIN
    while at < END:
        sim.clock.set(at)
        report = run_schedules(SCHEDULES, client_for, at, apply=True, regions=[REGION])
        assert report.errors == []
        outcomes.update(d.outcome for d in report.decisions)
        for name, nb in backend.items():
            if nb.status != states[name]:
                changes[name].append((at, nb.status))
                states[name] = nb.status
        at += STEP

    assert changes["ds-alpha"] == expected_changes(OFFICE)
    assert changes["ds-beta"] == expected_changes(OFFICE)
    assert changes["eu-1"] == expected_changes(PARIS)
    assert changes["nightly-batch-1"] == expected_changes(BATCH)
    assert changes["other"] == []
    # The 18:45 stop in Paris lands on the 18:50 (17:50Z) step, not on an hour boundary.
    assert (utc(2026, 10, 27, 17, 50), "Stopped") in changes["eu-1"]
    # One call per change, no retries of anything already in the desired state, and nothing failed.
    calls = sim.requests.counts()
    made = sum(len(c) for c in changes.values())
    assert calls["sagemaker:StartNotebookInstance"] + calls["sagemaker:StopNotebookInstance"] == made
    assert outcomes <= {"done", "in-state"}
    steps = (END - BEGIN) // STEP
    assert calls["sagemaker:ListNotebookInstances"] == calls["resourcegroupstaggingapi:GetResources"] == steps
