"""A schedule's expression in UTC, for schedulers that read cron in UTC only (EventBridge rules).

A zoned cron expression becomes one that fires at every UTC time its local times can fall on within a
year either side of a moment (e.g. 05:00 and 06:00 UTC for 07:00 in Paris, winter and summer). It fires
too often on purpose: the schedule runner evaluates the zoned expression itself and acts on the latest
transition, so a fire that is not a transition changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sagetrim.schedules.cron import RateExpression, ScheduleExpression

__all__ = ["utc_expression"]


def _offsets(tz: ZoneInfo, around: datetime) -> set[int]:
    """The UTC offsets, in minutes, that ``tz`` has within a year either side of ``around``."""
    start = around.astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=366)
    out = set()
    for day in range(0, 733):
        offset = (start + timedelta(days=day)).astimezone(tz).utcoffset()
        out.add(int(offset.total_seconds() // 60) if offset is not None else 0)
    return out


def _numbers(field: str) -> list[int] | None:
    return None if field == "*" else [int(v) for v in field.split(",")]


def _fields(values: set[int], every: int) -> str:
    return "*" if len(values) >= every else ",".join(str(v) for v in sorted(values))


def utc_expression(expression: ScheduleExpression, timezone: str, around: datetime | None = None) -> str:
    """An expression in UTC that fires at least whenever ``expression`` fires in ``timezone``.

    Args:
        expression: a schedule's start or stop expression.
        timezone: the schedule's IANA time zone.
        around: the moment whose year either side decides the time zone's offsets; now by default.

    Returns:
        The expression itself in UTC (and for rates, which ignore time zones); otherwise a cron expression
        whose minutes and hours cover every offset the zone has, and whose days are every day when a
        local time can fall on another UTC day.
    """
    if isinstance(expression, RateExpression):
        return expression.text
    offsets = _offsets(ZoneInfo(timezone), around or datetime.now(UTC))
    if offsets == {0}:
        return expression.text
    minutes_field, hours_field = expression.croniter_fields.split()[:2]
    minutes, hours = _numbers(minutes_field), _numbers(hours_field)
    crosses_days = hours is None
    utc_minutes: set[int] = set()
    utc_hours: set[int] = set()
    for offset in offsets:
        for hour in hours if hours is not None else [0]:
            for minute in minutes if minutes is not None else [0, 59]:
                moment = hour * 60 + minute - offset
                if hours is not None and not 0 <= moment < 24 * 60:
                    crosses_days = True
                moment %= 24 * 60
                utc_hours.add(moment // 60)
                utc_minutes.add(moment % 60)
    minute_text = "*" if minutes is None else _fields(utc_minutes, 60)
    hour_text = "*" if hours is None else _fields(utc_hours, 24)
    days = "* * ? *" if crosses_days else " ".join(expression.fields[2:])
    return f"cron({minute_text} {hour_text} {days})"
