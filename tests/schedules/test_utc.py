"""A zoned schedule expression covered by one in UTC: it fires whenever the local times come round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sagetrim.schedules import parse_expression, utc_expression

JAN = datetime(2026, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(("expression", "timezone", "expected"), [
    ("cron(0 7 ? * MON-FRI *)", "UTC", "cron(0 7 ? * MON-FRI *)"),
    ("cron(0 7 ? * MON-FRI *)", "Europe/Paris", "cron(0 5,6 ? * MON-FRI *)"),  # UTC+1 in winter, +2 in summer
    ("cron(30 23 ? * MON-FRI *)", "Asia/Kolkata", "cron(0 18 ? * MON-FRI *)"),  # UTC+5:30, no summer time
    ("cron(30 0 ? * TUE-SAT *)", "Asia/Kolkata", "cron(0 19 * * ? *)"),  # the day before in UTC: every day
    ("cron(0/15 8-9 ? * MON *)", "America/New_York", "cron(0,15,30,45 12,13,14 ? * MON *)"),
    ("cron(0 * ? * MON *)", "Europe/Paris", "cron(0 * * * ? *)"),
    ("cron(0 7 1 * ? 2027)", "Australia/Sydney", "cron(0 20,21 * * ? *)"),
    ("rate(5 minutes)", "Europe/Paris", "rate(5 minutes)"),
])
def test_given_a_schedule_in_a_time_zone_when_covered_in_utc_then_the_expression_is_utc(
        expression: str, timezone: str, expected: str) -> None:
    assert utc_expression(parse_expression(expression), timezone, around=JAN) == expected


@pytest.mark.parametrize(("expression", "timezone"), [
    ("cron(0 7 ? * MON-FRI *)", "Europe/Paris"), ("cron(30 0 ? * TUE-SAT *)", "Asia/Kolkata"),
    ("cron(45 23 L * ? *)", "America/Los_Angeles"), ("cron(0 2 ? * SUN#1 *)", "Europe/London"),
])
def test_given_a_year_of_local_fires_when_checked_then_the_utc_rule_fires_at_each(expression: str,
                                                                                  timezone: str) -> None:
    local = parse_expression(expression)
    rule = parse_expression(utc_expression(local, timezone, around=JAN))
    tz = ZoneInfo(timezone)
    fires = local.fires_after(JAN, tz)
    for _ in range(60):
        moment = next(fires)
        utc_fire = next(rule.fires_after(moment - timedelta(seconds=1), ZoneInfo("UTC")))
        assert utc_fire == moment, f"{moment} ({moment.astimezone(UTC)}) has no UTC fire"
