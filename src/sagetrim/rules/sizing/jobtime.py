"""A job's billed hours and the window its cost is spread over, from the times its describe gave."""

from __future__ import annotations

from datetime import datetime

from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import JobDetails
from sagetrim.inventory.model import Resource


def job_hours(resource: Resource, now: datetime) -> float | None:
    """Billed instance-hours per instance of a job: BillableTimeInSeconds when it has ended (spot included),
    else its run time so far (or in all)."""
    d = resource.details_as(JobDetails)
    if d is None:
        return None
    if d.billable_s:
        return float(d.billable_s) / 3600
    started = parse_time(d.started)
    ended = parse_time(d.ended) or (now if resource.status == "InProgress" else None)
    if started is None or ended is None:
        return None
    return max(0.0, (ended - started).total_seconds() / 3600)


def parse_time(value: str | datetime | None) -> datetime | None:
    """An ISO time as a describe gave it; None for none or a malformed one."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def per_month(usd_in_window: float, days: int) -> float:
    """A cost seen over a look-back of `days`, as a 730-hour month at the same rate."""
    return usd_in_window * HOURS_PER_MONTH / (days * 24)


def job_window_days(resource: Resource, params_days: int) -> int:
    """The window a job's cost is spread over: the rule's look-back, not more than the history collected."""
    d = resource.details_as(JobDetails)
    collected = d.lookback_days if d else None
    return min(params_days, collected) if collected else params_days
