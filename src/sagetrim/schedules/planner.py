"""What the schedules want at a moment: the coming transitions, and for each targeted resource whether to
start it, stop it, or leave it. Pure functions: no AWS calls, no wall clock.

The desired state at a moment is set by the latest transition (a start or a stop fire) at or before it, looked
for within a bounded window. That makes a run idempotent and safe to run late: at 21:07 the latest
transition is the 21:00 stop, so a notebook still running is stopped, and one already stopped is left alone.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from sagetrim.errors import UsageError
from sagetrim.inputs import check_time
from sagetrim.schedules.cron import ScheduleExpression
from sagetrim.schedules.model import Schedule, TargetKind

__all__ = [
    "LOOKBACK",
    "Action",
    "AppRef",
    "Decision",
    "DesiredState",
    "Operation",
    "Outcome",
    "Target",
    "Transition",
    "as_utc",
    "last_transitions",
    "next_transitions",
    "parse_moment",
    "plan",
]

Action = Literal["start", "stop"]
DesiredState = Literal["running", "stopped"]
Operation = Literal["StartNotebookInstance", "StopNotebookInstance", "DeleteApp"]
Outcome = Literal["planned", "done", "failed", "skipped", "in-state"]

# How far back to look for the latest transition: covers weekly and monthly expressions. A resource whose
# schedules did not fire in this window is left alone.
LOOKBACK = timedelta(days=32)
RETRY = "retry on the next run"
APPS_NOT_STARTED = ("Studio apps are stopped (DeleteApp; the user profile or space and its storage stay) but "
                    "never started: AWS starts an app only from its full spec, when its user opens it in Studio.")


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_moment(text: str) -> datetime:
    """Read ``--at``: an ISO 8601 timestamp with an offset or ``Z``; without one it is UTC.

    Raises:
        UsageError: not an ISO timestamp.
    """
    try:
        moment = as_utc(datetime.fromisoformat(text.strip()))
    except (ValueError, OverflowError):
        shown = text if len(text) <= 60 else text[:60] + "..."
        raise UsageError(f"--at {shown!r} is not an ISO 8601 timestamp; e.g. 2026-11-02T21:07:00-05:00, "
                         "2026-11-03T02:07Z, or 2026-11-03T02:07 (UTC)") from None
    return check_time(moment, name="--at")


@dataclass(frozen=True)
class Transition:
    """One fire of a schedule's start or stop expression."""

    schedule: str
    action: Action
    at: datetime  # aware, UTC
    expression: str
    timezone: str

    @property
    def local(self) -> datetime:
        """The moment in the schedule's time zone."""
        return self.at.astimezone(ZoneInfo(self.timezone))

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule,
            "action": self.action,
            "at": self.local.isoformat(),
            "at_utc": self.at.isoformat().replace("+00:00", "Z"),
            "timezone": self.timezone,
            "expression": self.expression,
        }


def _fires(schedule: Schedule, action: Action, after: datetime) -> Iterator[Transition]:
    expression = schedule.start if action == "start" else schedule.stop
    if expression is None:
        return
    for moment in expression.fires_after(after, schedule.tz):
        yield Transition(schedule.name, action, moment, str(expression), schedule.timezone)


def next_transitions(schedules: Sequence[Schedule], now: datetime, count: int = 5) -> list[Transition]:
    """The coming starts and stops of every schedule, in time order.

    Args:
        schedules: the schedules.
        now: the moment to look forward from (naive means UTC); transitions strictly after it count.
        count: how many transitions to list per schedule.

    Returns:
        Up to ``count`` transitions per schedule, all of them sorted by time (then schedule name).
    """
    start = as_utc(now)
    out: list[Transition] = []
    for schedule in schedules:
        merged = heapq.merge(_fires(schedule, "start", start), _fires(schedule, "stop", start),
                             key=lambda t: (t.at, t.action))
        out.extend(islice(merged, max(count, 0)))
    return sorted(out, key=lambda t: (t.at, t.schedule, t.action))


def last_transitions(schedule: Schedule, at: datetime, lookback: timedelta = LOOKBACK) -> list[Transition]:
    """The latest transition of a schedule at or before ``at`` and within ``lookback`` of it.

    Args:
        schedule: the schedule.
        at: the moment (naive means UTC).
        lookback: how far back a transition still counts.

    Returns:
        No transition, one, or two when the start and the stop fire at the same moment.
    """
    moment, since = as_utc(at), as_utc(at) - lookback
    found: list[Transition] = []
    pairs: tuple[tuple[Action, ScheduleExpression | None], ...] = (("start", schedule.start), ("stop", schedule.stop))
    for action, expression in pairs:
        if expression is None:
            continue
        fire = expression.last_fire(moment, schedule.tz, since)
        if fire is not None:
            found.append(Transition(schedule.name, action, fire, str(expression), schedule.timezone))
    if not found:
        return []
    latest = max(t.at for t in found)
    return [t for t in found if t.at == latest]


@dataclass(frozen=True)
class AppRef:
    """What identifies a Studio app in DescribeApp and DeleteApp."""

    domain_id: str
    owner_field: Literal["UserProfileName", "SpaceName"]
    owner: str
    app_type: str
    app_name: str

    def params(self) -> dict[str, str]:
        """The request parameters naming the app."""
        return {"DomainId": self.domain_id, self.owner_field: self.owner, "AppType": self.app_type,
                "AppName": self.app_name}


@dataclass(frozen=True)
class Target:
    """A notebook instance or Studio app as listed, with what the schedules match on."""

    kind: TargetKind
    region: str
    name: str  # a notebook's name; an app's DOMAIN/OWNER/AppType/APPNAME
    arn: str
    status: str
    changed: datetime | None  # LastModifiedTime (notebook) or CreationTime (app), aware
    match_names: tuple[str, ...]  # what name_prefix / name_contains look at
    schedule_tag: str | None = None  # the value of its sagetrim:schedule tag
    excluded: bool = False  # tagged sagetrim:exclude = true
    instance_type: str | None = None
    app: AppRef | None = None


@dataclass(frozen=True)
class Decision:
    """What a run does (or would do, or did) with one targeted resource, and why."""

    target: Target
    outcome: Outcome
    reason: str
    schedule: str | None = None  # the schedule whose transition decided
    transition: Transition | None = None
    desired: DesiredState | None = None
    operation: Operation | None = None

    def to_json(self) -> dict[str, Any]:
        t = self.target
        return {
            "region": t.region,
            "kind": t.kind,
            "name": t.name,
            "arn": t.arn,
            "status": t.status,
            "instance_type": t.instance_type,
            "schedule": self.schedule,
            "transition": self.transition.to_json() if self.transition else None,
            "desired": self.desired,
            "operation": self.operation,
            "outcome": self.outcome,
            "reason": self.reason,
        }


# (kind, desired, status) -> what to do: an operation to call, "in-state", or a reason to skip.
_NOTEBOOK: dict[tuple[DesiredState, str], Operation | str] = {
    ("stopped", "InService"): "StopNotebookInstance",
    ("stopped", "Stopped"): "in-state",
    ("stopped", "Failed"): "in-state",
    ("stopped", "Stopping"): "in-state",
    ("stopped", "Pending"): f"Pending: {RETRY}",
    ("stopped", "Updating"): f"Updating: {RETRY}",
    ("running", "Stopped"): "StartNotebookInstance",
    ("running", "InService"): "in-state",
    ("running", "Pending"): "in-state",
    ("running", "Stopping"): f"Stopping: {RETRY}",
    ("running", "Updating"): f"Updating: {RETRY}",
    ("running", "Failed"): "Failed: not started (see its FailureReason)",
}
_APP: dict[tuple[DesiredState, str], Operation | str] = {
    ("stopped", "InService"): "DeleteApp",
    ("stopped", "Pending"): f"Pending: {RETRY}",
    ("stopped", "Deleting"): "in-state",
    ("stopped", "Deleted"): "in-state",
    ("stopped", "Failed"): "in-state",
    ("running", "InService"): "in-state",
    ("running", "Pending"): "in-state",
}
_OPERATIONS = ("StartNotebookInstance", "StopNotebookInstance", "DeleteApp")


def _span(delta: timedelta) -> str:
    hours = delta / timedelta(hours=1)
    return f"{hours / 24:g} days" if hours % 24 == 0 else f"{hours:g} hours"


def _when(t: Transition) -> str:
    return t.local.strftime("%Y-%m-%d %H:%M %Z")


def _what_to_do(target: Target, desired: DesiredState) -> str:
    if target.kind == "notebook-instance":
        return str(_NOTEBOOK.get((desired, target.status), f"{target.status}: left alone"))
    if desired == "running":
        return str(_APP.get((desired, target.status), "not started: sagetrim stops Studio apps but cannot start "
                                                       "them"))
    if target.instance_type == "system" and target.status == "InService":
        return "runs on the free system instance: left alone"
    return str(_APP.get((desired, target.status), f"{target.status}: left alone"))


def _decide(target: Target, schedules: Sequence[Schedule], latest: dict[str, list[Transition]],
            lookback: timedelta) -> Decision:
    if target.excluded:
        return Decision(target, "skipped", "opted out (sagetrim:exclude = true)",
                        schedule=", ".join(s.name for s in schedules))
    fires = [t for s in schedules for t in latest[s.name]]
    if not fires:
        names = ", ".join(s.name for s in schedules)
        return Decision(target, "skipped", f"no start or stop of {names} in the {_span(lookback)} before",
                        schedule=names)
    newest = max(t.at for t in fires)
    deciding = [t for t in fires if t.at == newest]
    if len({t.action for t in deciding}) > 1:
        which = ", ".join(f"{t.schedule} ({t.action})" for t in deciding)
        return Decision(target, "skipped", f"conflict: {which} fire at the same moment, {_when(deciding[0])}",
                        schedule=", ".join(sorted({t.schedule for t in deciding})))
    transition = deciding[0]
    schedule = next(s for s in schedules if s.name == transition.schedule)
    desired: DesiredState = "running" if transition.action == "start" else "stopped"

    def decision(outcome: Outcome, reason: str, operation: Operation | None = None) -> Decision:
        return Decision(target, outcome, reason, schedule.name, transition, desired, operation)

    todo = _what_to_do(target, desired)
    if todo == "in-state":
        return decision("in-state", f"{target.status}, as the {transition.action} at {_when(transition)} wants")
    if todo not in _OPERATIONS:
        return decision("skipped", todo)
    if not schedule.enforced and target.changed is not None and target.changed > transition.at:
        changed = target.changed.astimezone(schedule.tz).strftime("%Y-%m-%d %H:%M %Z")
        return decision("skipped", f"changed at {changed}, after the {transition.action} at {_when(transition)}: "
                                   "left as is until the next transition (the schedule is not enforced)")
    return decision("planned", f"{transition.action} at {_when(transition)} ({schedule.name})",
                    cast("Operation", todo))


def plan(targets: Iterable[Target], schedules: Sequence[Schedule], at: datetime,
         lookback: timedelta = LOOKBACK) -> list[Decision]:
    """Decide, for every resource some schedule targets, what to do at ``at``.

    Args:
        targets: the resources of one region as listed (with tags and opt-outs).
        schedules: the schedules that cover that region.
        at: the moment to evaluate (naive means UTC).
        lookback: how far back a transition still counts.

    Returns:
        One decision per targeted resource, in the order of ``targets``; resources no schedule targets are
        left out.
    """
    moment = as_utc(at)
    latest = {s.name: last_transitions(s, moment, lookback) for s in schedules}
    out = []
    for target in targets:
        matching = [s for s in schedules if target.kind in s.targets.kinds
                    and s.targets.matches(target.match_names, target.schedule_tag, s.name)]
        if matching:
            out.append(_decide(target, matching, latest, lookback))
    return out
