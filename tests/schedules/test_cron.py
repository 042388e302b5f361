"""EventBridge cron and rate expressions: parsing, the errors for bad ones, and fire times in a time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from sagetrim.errors import ConfigError
from sagetrim.schedules.cron import CronExpression, RateExpression, ScheduleExpression, parse_expression

NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fires(text: str, after: datetime, tz: ZoneInfo = ZoneInfo("UTC"), n: int = 4) -> list[datetime]:
    return list(islice(parse_expression(text).fires_after(after, tz), n))


def cron(text: str) -> CronExpression:
    expression = parse_expression(text)
    assert isinstance(expression, CronExpression)
    return expression


# --- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "croniter_fields"),
    [
        ("cron(0 7 ? * MON-FRI *)", "0 7 * * 1,2,3,4,5"),  # '?', '-', '*', day names
        ("cron(0 7 ? * 2-6 *)", "0 7 * * 1,2,3,4,5"),  # 1 = SUN, so 2-6 = MON-FRI
        ("cron(0 7 ? * 1,7 *)", "0 7 * * 0,6"),  # ',' and the ends of the week
        ("cron(0/15 8-18 ? * * *)", "0,15,30,45 8,9,10,11,12,13,14,15,16,17,18 * * *"),  # '/' from a start
        ("cron(*/20 0 ? * * *)", "0,20,40 0 * * *"),
        ("cron(0 7 L * ? *)", "0 7 L * *"),  # last day of the month
        ("cron(0 7 LW * ? *)", "0 7 L * *"),  # last weekday: L, moved back from a weekend here
        ("cron(0 7 15W * ? *)", "0 7 15W * *"),  # weekday nearest the 15th
        ("cron(0 7 ? * 6L *)", "0 7 * * L5"),  # last Friday
        ("cron(0 7 ? * L *)", "0 7 * * 6"),  # L alone: the last day of the week, Saturday
        ("cron(0 7 ? * 2#1 *)", "0 7 * * 1#1"),  # first Monday
        ("cron(0 7 ? * MON#3 *)", "0 7 * * 1#3"),
        ("cron(0 7 1 JAN,JUL ? *)", "0 7 1 1,7 *"),  # month names
        ("cron(0 7 ? * FRI-MON *)", "0 7 * * 5,6,0,1"),  # a day-of-week range may wrap
        ("cron(0 7 ? * mon-fri *)", "0 7 * * 1,2,3,4,5"),  # names in any case
        ("cron(0 7 1/10 * ? *)", "0 7 1,11,21,31 * *"),
    ],
)
def test_given_eventbridge_syntax_when_parsed_then_it_runs_as_croniter_fields(text: str, croniter_fields: str) -> None:
    assert cron(text).croniter_fields == croniter_fields


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("cron(0 7 ? * * *)", None),
        ("cron(0 7 ? * * 2027)", {2027}),
        ("cron(0 7 ? * * 2026-2028)", {2026, 2027, 2028}),
        ("cron(0 7 ? * * 2026,2030)", {2026, 2030}),
        ("cron(0 7 ? * * 2026/2)", set(range(2026, 2200, 2))),
    ],
)
def test_given_a_year_field_when_parsed_then_the_years_are_expanded(text: str, years: set[int] | None) -> None:
    assert cron(text).years == (frozenset(years) if years is not None else None)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("rate(1 minute)", 1, "minute"), ("rate(5 minutes)", 5, "minute"), ("rate(1 hour)", 1, "hour"),
     ("rate(12 hours)", 12, "hour"), ("rate(7 days)", 7, "day"), (" rate(1 day) ", 1, "day")],
)
def test_given_a_rate_when_parsed_then_value_and_unit_are_read(text: str, value: int, unit: str) -> None:
    expression = parse_expression(text)
    assert isinstance(expression, RateExpression)
    assert (expression.value, expression.unit) == (value, unit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cron(0 7 * * ?)", ["6 fields", "this one has 5", "add the year field"]),
        ("cron(0 7 ? * MON-FRI * *)", ["6 fields", "this one has 7"]),
        ("cron(0 7 * * MON-FRI *)", ["both set", "one of them must be '?'", "cron(0 7 ? * MON-FRI *)"]),
        ("cron(0 7 ? * ? *)", ["both '?'", "set one of them"]),
        ("cron(0 7 ? * 0 *)", ["Day-of-week", "0 is out of range 1-7", "Sunday is 1 or SUN"]),
        ("cron(0 7 ? * 8 *)", ["Day-of-week", "8 is out of range 1-7"]),
        ("cron(60 7 ? * * *)", ["Minutes", "60 is out of range 0-59"]),
        ("cron(0 24 ? * * *)", ["Hours", "24 is out of range 0-23"]),
        ("cron(0 7 0 * ? *)", ["Day-of-month", "0 is out of range 1-31"]),
        ("cron(0 7 ? 13 * *)", ["Month", "13 is out of range 1-12"]),
        ("cron(0 7 ? * * 1969)", ["Year", "1969 is out of range 1970-2199"]),
        ("cron(0 7 ? FOO * *)", ["Month", "'FOO' is not a number or a name"]),
        ("cron(0 7 20-10 * ? *)", ["Day-of-month", "runs backwards", "20-31,1-10"]),
        ("cron(0/0 7 ? * * *)", ["Minutes", "step", "1 or more"]),
        ("cron(0 7 ? * 1/2 *)", ["Day-of-week", "'/' is not allowed"]),
        ("cron(0 L ? * * *)", ["Hours", "'L' is not allowed"]),
        ("cron(0 7 ? * 2#6 *)", ["Day-of-week", "after '#' must be 1-5"]),
        ("cron(0 7 1,15W * ? *)", ["Day-of-month", "'L' and 'W' stand alone"]),
        ("cron(0 7 L-2 * ? *)", ["Day-of-month", "'L' and 'W' stand alone"]),
        ("cron(0 7 ?,1 * ? *)", ["'?' stands alone"]),
        ("cron(0 7 1,,2 * ? *)", ["an empty item"]),
        ("rate(5 minute)", ["plural unit", "rate(5 minutes)"]),
        ("rate(1 hours)", ["singular unit", "rate(1 hour)"]),
        ("rate(2 weeks)", ["'weeks' must be minute(s), hour(s) or day(s)"]),
        ("rate(0 minutes)", ["1 or more"]),
        ("rate(5)", ["rate(value unit)"]),
        ("0 7 ? * MON-FRI *", ["cron(...) with six fields or rate(value unit)"]),
        ("at(2026-01-01T00:00:00)", ["cron(...) with six fields or rate(value unit)"]),
    ],
)
def test_given_a_bad_expression_when_parsed_then_a_config_error_names_field_reason_and_right_form(
    text: str, expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_expression(text)
    message = str(error.value)
    assert message.startswith(f"invalid schedule expression {text!r}: ")
    assert "e.g. " in message
    for part in expected:
        assert part in message


# --- fire times against hand-written expectations ----------------------------------------------------------


def test_given_weekdays_at_seven_when_listed_from_a_friday_then_the_weekend_is_skipped() -> None:
    assert fires("cron(0 7 ? * MON-FRI *)", utc(2026, 1, 2, 8)) == [
        utc(2026, 1, 5, 7), utc(2026, 1, 6, 7), utc(2026, 1, 7, 7), utc(2026, 1, 8, 7)]


def test_given_l_when_listed_then_it_is_the_last_day_of_each_month_leap_years_included() -> None:
    assert fires("cron(0 18 L * ? *)", utc(2028, 1, 31, 19), n=3) == [
        utc(2028, 2, 29, 18), utc(2028, 3, 31, 18), utc(2028, 4, 30, 18)]


def test_given_lw_when_listed_then_a_weekend_month_end_moves_back_to_friday() -> None:
    # Jan 31 2026 is a Saturday, Feb 28 a Saturday, Mar 31 a Tuesday, May 31 a Sunday.
    assert fires("cron(0 7 LW * ? *)", utc(2026, 1, 1), n=5) == [
        utc(2026, 1, 30, 7), utc(2026, 2, 27, 7), utc(2026, 3, 31, 7), utc(2026, 4, 30, 7), utc(2026, 5, 29, 7)]


def test_given_nw_when_listed_then_the_nearest_weekday_is_taken_within_the_month() -> None:
    # Feb 15 2026 is a Sunday (-> Monday 16th); Aug 15 2026 a Saturday (-> Friday 14th).
    assert fires("cron(0 7 15W * ? *)", utc(2026, 2, 1), n=1) == [utc(2026, 2, 16, 7)]
    assert fires("cron(0 7 15W * ? *)", utc(2026, 8, 1), n=1) == [utc(2026, 8, 14, 7)]
    # Aug 1 2026 is a Saturday: the nearest weekday in August is Monday the 3rd, not Friday July 31.
    assert fires("cron(0 7 1W * ? *)", utc(2026, 7, 15), n=1) == [utc(2026, 8, 3, 7)]


def test_given_hash_when_listed_then_it_is_the_nth_weekday_of_the_month() -> None:
    assert fires("cron(0 9 ? * 2#1 *)", utc(2026, 1, 1), n=3) == [utc(2026, 1, 5, 9), utc(2026, 2, 2, 9),
                                                                   utc(2026, 3, 2, 9)]


def test_given_day_of_week_l_when_listed_then_it_is_the_last_such_day_of_the_month() -> None:
    assert fires("cron(0 17 ? * 6L *)", utc(2026, 1, 1), n=3) == [utc(2026, 1, 30, 17), utc(2026, 2, 27, 17),
                                                                   utc(2026, 3, 27, 17)]


def test_given_a_year_range_when_listed_then_fires_stop_after_its_last_year() -> None:
    assert fires("cron(0 0 1 1 ? 2027-2028)", utc(2026, 1, 1)) == [utc(2027, 1, 1), utc(2028, 1, 1)]


def test_given_a_year_step_when_listed_then_the_years_between_are_skipped() -> None:
    assert fires("cron(0 7 ? * 2#1 2027/2)", utc(2027, 12, 1), n=3) == [utc(2027, 12, 6, 7), utc(2029, 1, 1, 7),
                                                                         utc(2029, 2, 5, 7)]


def test_given_steps_from_an_offset_when_listed_then_they_count_from_it() -> None:
    assert fires("cron(5/20 * * * ? *)", utc(2026, 1, 1), n=4) == [
        utc(2026, 1, 1, 0, 5), utc(2026, 1, 1, 0, 25), utc(2026, 1, 1, 0, 45), utc(2026, 1, 1, 1, 5)]


def test_given_an_impossible_date_when_listed_then_nothing_fires() -> None:
    assert fires("cron(0 7 30 2 ? *)", utc(2026, 1, 1)) == []


# --- time zones and daylight saving time ------------------------------------------------------------------


def test_given_new_york_seven_am_when_dst_starts_then_it_stays_seven_local() -> None:
    # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT.
    assert fires("cron(0 7 * * ? *)", utc(2026, 3, 7), NEW_YORK, n=3) == [
        utc(2026, 3, 7, 12), utc(2026, 3, 8, 11), utc(2026, 3, 9, 11)]


def test_given_a_time_in_the_spring_forward_gap_when_listed_then_that_day_is_skipped() -> None:
    assert fires("cron(30 2 * * ? *)", utc(2026, 3, 7), NEW_YORK, n=2) == [
        utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30)]
    # Paris: 2026-03-29 02:00 CET -> 03:00 CEST.
    assert fires("cron(30 2 * * ? *)", utc(2026, 3, 28), PARIS, n=2) == [
        utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30)]


def test_given_a_time_in_the_fall_back_fold_when_listed_then_it_fires_once_at_its_first_occurrence() -> None:
    # 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST; 01:30 happens at 05:30Z and again at 06:30Z.
    assert fires("cron(30 1 * * ? *)", utc(2026, 10, 31, 12), NEW_YORK, n=2) == [
        utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    assert fires("cron(0/30 1 * * ? *)", utc(2026, 11, 1), NEW_YORK, n=3) == [
        utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6)]
    # Paris: 2026-10-25 03:00 CEST -> 02:00 CET.
    assert fires("cron(30 2 * * ? *)", utc(2026, 10, 24, 12), PARIS, n=2) == [
        utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_given_paris_office_hours_when_dst_ends_then_they_stay_local() -> None:
    assert fires("cron(0 18 ? * MON-FRI *)", utc(2026, 10, 22), PARIS, n=3) == [
        utc(2026, 10, 22, 16), utc(2026, 10, 23, 16), utc(2026, 10, 26, 17)]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 11, 3, 2, 7), utc(2026, 11, 3, 2)),  # late: 21:07 EST -> the 21:00 stop
        (utc(2026, 11, 3, 2), utc(2026, 11, 3, 2)),  # exactly at the fire
        (utc(2026, 11, 3, 1, 59), utc(2026, 10, 31, 1)),  # a minute early: Friday's (EDT) stop
    ],
)
def test_given_a_moment_when_asked_for_the_last_fire_then_it_is_at_or_before_it(at: datetime,
                                                                              expected: datetime) -> None:
    stop = cron("cron(0 21 ? * MON-FRI *)")
    assert stop.last_fire(at, NEW_YORK, at - timedelta(days=8)) == expected


def test_given_the_second_pass_of_a_fold_when_asked_for_the_last_fire_then_the_first_pass_counts() -> None:
    # 06:10Z is 01:10 EST, after 01:45 EDT (05:45Z) already happened.
    expression = cron("cron(45 1 * * ? *)")
    assert expression.last_fire(utc(2026, 11, 1, 6, 10), NEW_YORK, utc(2026, 10, 1)) == utc(2026, 11, 1, 5, 45)


def test_given_a_lookback_when_the_last_fire_is_older_then_there_is_none() -> None:
    yearly = cron("cron(0 0 1 1 ? *)")
    assert yearly.last_fire(utc(2026, 6, 1), NEW_YORK, utc(2026, 5, 1)) is None
    assert yearly.last_fire(utc(2026, 6, 1), NEW_YORK, utc(2025, 6, 1)) == utc(2026, 1, 1, 5)


def test_given_a_year_range_when_asked_for_the_last_fire_after_it_then_the_final_one_counts() -> None:
    first_mondays = cron("cron(0 7 ? * 2#1 2027-2028)")
    assert first_mondays.last_fire(utc(2030, 1, 1), ZoneInfo("UTC"), utc(2020, 1, 1)) == utc(2028, 12, 4, 7)


def test_given_a_rate_when_listed_then_it_counts_from_the_epoch_in_absolute_time() -> None:
    assert fires("rate(1 hour)", utc(2026, 3, 8, 6, 20), NEW_YORK, n=3) == [
        utc(2026, 3, 8, 7), utc(2026, 3, 8, 8), utc(2026, 3, 8, 9)]
    # 1970-01-01 was a Thursday: rate(7 days) fires on Thursdays at 00:00Z.
    assert fires("rate(7 days)", utc(2026, 1, 1), n=2) == [utc(2026, 1, 8), utc(2026, 1, 15)]
    expression: ScheduleExpression = parse_expression("rate(15 minutes)")
    assert expression.last_fire(utc(2026, 1, 1, 10, 14), NEW_YORK, utc(2026, 1, 1)) == utc(2026, 1, 1, 10)
