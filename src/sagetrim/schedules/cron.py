"""EventBridge schedule expressions, ``cron(...)`` and ``rate(...)``: parsed, checked, and evaluated in a
time zone the way EventBridge Scheduler evaluates them.

croniter does the calendar arithmetic. EventBridge's dialect is translated to croniter's five plain fields:
``?`` becomes ``*``, day-of-week 1-7 = SUN-SAT becomes 0-6, ``5L`` (last Thursday) becomes ``L4``, ``2#1``
(first Monday) becomes ``1#1``. Two things are done here instead:

- the year field: croniter reads years only as a seventh field after a seconds field, so the years are
  expanded here (within EventBridge's 1970-2199) and used to filter and skip;
- ``LW`` (last weekday of the month): croniter accepts ``W`` only after a day number, so ``LW`` runs as
  ``L`` and a Saturday or Sunday is moved back to the Friday before.

Cron times are wall-clock times in the schedule's time zone (EventBridge Scheduler semantics): a time that
does not exist because clocks spring forward is skipped, and a time that occurs twice because clocks fall
back fires once, at its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

from sagetrim.errors import ConfigError

__all__ = [
    "CronExpression",
    "InvalidExpression",
    "RateExpression",
    "ScheduleExpression",
    "local_instant",
    "parse_expression",
]

CRON_EXAMPLE = "cron(0 7 ? * MON-FRI *)"
RATE_EXAMPLE = "rate(5 minutes)"
FIELD_NAMES = ("Minutes", "Hours", "Day-of-month", "Month", "Day-of-week", "Year")
MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                      "DEC"), start=1)}
DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
YEARS = (1970, 2199)
# Wall-clock times move against UTC by at most this much (DST shifts are 1 h, 2 h at most historically), so a
# search that starts this far to the safe side of a moment's local time cannot miss a fire.
_SLACK = timedelta(hours=3)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_RATE_S = 10 * 366 * 86400  # the longest rate: ten years (timedelta and the planner stay far from overflow)


class InvalidExpression(ConfigError, ValueError):
    """A cron or rate expression that EventBridge would reject; the message says where, what and how."""


_MAX_DIGITS = 9  # no field or rate value needs more; int() of thousands of digits is slow and may refuse


def _is_number(token: str) -> bool:
    return token.isascii() and token.isdigit() and len(token) <= _MAX_DIGITS


def _shown(text: str, limit: int = 80) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def _fail(text: str, problem: str, example: str = CRON_EXAMPLE) -> InvalidExpression:
    return InvalidExpression(f"invalid schedule expression {_shown(text)}: {problem}; e.g. {example}")


def local_instant(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """The moment (aware, UTC) a naive wall-clock time happens in ``tz``.

    Returns the first of the two moments in a fall-back fold, and None for a time inside a spring-forward
    gap (it never happens). Moments are kept in UTC: Python compares two datetimes of one zone by wall time,
    which is wrong inside a fold.
    """
    moment = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return moment


# --- cron -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    low: int
    high: int
    names: Mapping[str, int]
    wildcards: str
    example: str


_SPECS = (
    _FieldSpec("Minutes", 0, 59, {}, ",-*/", "0, 0/15 or 0,30"),
    _FieldSpec("Hours", 0, 23, {}, ",-*/", "7, 8-18 or 0/6"),
    _FieldSpec("Day-of-month", 1, 31, {}, ",-*?/LW", "1, 1-15, L, LW, 15W or ?"),
    _FieldSpec("Month", 1, 12, MONTHS, ",-*/", "*, 1-6 or JAN,JUL"),
    _FieldSpec("Day-of-week", 1, 7, DAYS, ",-*?L#", "MON-FRI, 2-6, 6L or 2#1, with 1 = SUN and 7 = SAT"),
    _FieldSpec("Year", YEARS[0], YEARS[1], {}, ",-*/", "* or 2026-2030"),
)
_ITEM = re.compile(r"^(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[^/]*))?$")


class _FieldParser:
    """Checks one field of one expression and translates it for croniter."""

    def __init__(self, text: str, spec: _FieldSpec, value: str) -> None:
        self.text, self.spec, self.value = text, spec, value.upper()

    def fail(self, problem: str) -> InvalidExpression:
        return _fail(self.text, f"{self.spec.name} field {_shown(self.value, 40)}: {problem} (valid values look like "
                                f"{self.spec.example})")

    def number(self, token: str) -> int:
        spec = self.spec
        if token.upper() in spec.names:
            return spec.names[token.upper()]
        if token.isascii() and token.isdigit() and not _is_number(token):
            raise self.fail(f"{_shown(token, 20)} is out of range {spec.low}-{spec.high}")
        if not _is_number(token):
            kind = "a number or a name" if spec.names else "a number"
            raise self.fail(f"{_shown(token, 20)} is not {kind}")
        number = int(token)
        if not spec.low <= number <= spec.high:
            extra = ""
            if spec.name == "Day-of-week" and number == 0:
                extra = ": EventBridge counts SUN = 1 to SAT = 7, so Sunday is 1 or SUN"
            raise self.fail(f"{number} is out of range {spec.low}-{spec.high}{extra}")
        return number

    def check_wildcards(self) -> None:
        # Names (JUL, WED) are taken out first: their letters are not wildcards.
        bare = re.sub(r"[A-Z]{3}", lambda m: "" if m[0] in self.spec.names else m[0], self.value)
        for char in ",-*/?LW#":
            if char in bare and char not in self.spec.wildcards:
                allowed = " ".join(self.spec.wildcards)
                raise self.fail(f"{char!r} is not allowed in this field (allowed: {allowed})")

    def values(self, item: str) -> list[int]:
        """Expand one list item (``*``, ``a``, ``a-b``, with an optional ``/step``) to its numbers."""
        match = _ITEM.match(item)
        if match is None:
            raise self.fail(f"{item!r} is not a value, a range a-b, or a step a/n")
        low, high = self.spec.low, self.spec.high
        first, last = low, high
        if match["range"] != "*":
            ends = match["range"].split("-")
            first = self.number(ends[0])
            last = self.number(ends[1]) if len(ends) == 2 else (high if match["step"] is not None else first)
        step = 1
        if match["step"] is not None:
            if not _is_number(match["step"]) or int(match["step"]) < 1:
                raise self.fail(f"the step in {item!r} must be a whole number of 1 or more")
            step = int(match["step"])
        if first > last:
            if self.spec.name != "Day-of-week":
                raise self.fail(f"the range {item!r} runs backwards; write it as a list, "
                                f"e.g. {first}-{high},{low}-{last}")
            return [*range(first, high + 1), *range(low, last + 1)][::step]
        return list(range(first, last + 1, step))

    def items(self) -> list[str]:
        items = self.value.split(",")
        if any(not i for i in items):
            raise self.fail("an empty item in the list")
        return items


def _translate_plain(parser: _FieldParser) -> str:
    """Minutes, hours, month and plain day-of-month: ``*`` or the explicit list of numbers."""
    if parser.value == "*":
        return "*"
    values = sorted({v for item in parser.items() for v in parser.values(item)})
    return ",".join(str(v) for v in values)


def _translate_day_of_month(parser: _FieldParser) -> tuple[str, bool]:
    """Returns croniter's field and whether it is ``LW`` (last weekday, handled here)."""
    value = parser.value
    if value in ("?", "*"):
        return "*", False
    if value == "LW":
        return "L", True
    if "L" in value or "W" in value:
        if value == "L":
            return "L", False
        match = re.fullmatch(r"(\d+)W", value)
        if match is None:
            raise parser.fail("'L' and 'W' stand alone: L (last day), LW (last weekday) or nW (the weekday "
                              "nearest day n); they cannot be combined with other values")
        # croniter gives the nearest weekday within the month; for a day the month lacks (31W in June) it
        # takes the month's last day as the target.
        return f"{parser.number(match[1])}W", False
    return _translate_plain(parser), False


def _translate_day_of_week(parser: _FieldParser) -> str:
    if parser.value in ("?", "*"):
        return "*"
    out = []
    for item in parser.items():
        if item == "L":  # the last day of the week
            out.append("6")
        elif item.endswith("L"):
            out.append(f"L{parser.number(item[:-1]) - 1}")
        elif "#" in item:
            day, _, nth = item.partition("#")
            if not _is_number(nth) or not 1 <= int(nth) <= 5:
                raise parser.fail(f"in {item!r} the week of the month after '#' must be 1-5")
            out.append(f"{parser.number(day) - 1}#{nth}")
        elif "L" in item:
            raise parser.fail(f"{item!r}: 'L' follows a day (6L = the last Friday) or stands alone")
        else:
            out.append(",".join(str(v - 1) for v in parser.values(item)))
    return ",".join(out)


def _expand_years(parser: _FieldParser) -> frozenset[int] | None:
    if parser.value == "*":
        return None
    return frozenset(y for item in parser.items() for y in parser.values(item))


@dataclass(frozen=True)
class CronExpression:
    """A parsed ``cron(Minutes Hours Day-of-month Month Day-of-week Year)`` expression."""

    text: str
    fields: tuple[str, ...]
    croniter_fields: str  # the five croniter fields it runs as
    years: frozenset[int] | None  # None: every year
    last_weekday: bool = False  # day-of-month LW

    def __str__(self) -> str:
        return self.text

    def _matches(self, start: datetime, *, forward: bool) -> Iterator[datetime]:
        """Naive wall-clock times that match, after (or before) the naive ``start``, in order."""
        # LW moves a fire back by up to two days: start that much further out and let callers filter.
        shift = timedelta(days=2) if self.last_weekday else timedelta(0)
        begin = start - shift if forward else start + shift
        while True:
            # 30 years covers the sparsest real expressions (a fifth Monday in February: 28-year cycle).
            it = croniter(self.croniter_fields, begin, ret_type=datetime, max_years_between_matches=30)
            try:
                while True:
                    wall: datetime = it.get_next(datetime) if forward else it.get_prev(datetime)
                    if not YEARS[0] <= wall.year <= YEARS[1]:
                        return
                    if self.years is not None and wall.year not in self.years:
                        break
                    yield self._last_weekday(wall) if self.last_weekday else wall
            except CroniterBadDateError:  # no match at all within croniter's search window
                return
            # A year the year field leaves out: jump to the next (or previous) one it allows.
            allowed = sorted(self.years or ())
            if forward:
                later = [y for y in allowed if y > wall.year]
                if not later:
                    return
                begin = datetime(later[0], 1, 1) - timedelta(minutes=1)
            else:
                earlier = [y for y in allowed if y < wall.year]
                if not earlier:
                    return
                begin = datetime(earlier[-1] + 1, 1, 1)

    @staticmethod
    def _last_weekday(wall: datetime) -> datetime:
        """Move the month's last day back to the Friday before when it is a Saturday or Sunday."""
        weekday = wall.weekday()  # Monday = 0
        return wall - timedelta(days=weekday - 4) if weekday > 4 else wall

    def fires_after(self, after: datetime, tz: ZoneInfo) -> Iterator[datetime]:
        """The fire times (aware, UTC) strictly after the aware ``after``, in order, evaluated in ``tz``."""
        start = after.astimezone(tz).replace(tzinfo=None) - _SLACK
        for wall in self._matches(start, forward=True):
            moment = local_instant(wall, tz)
            if moment is not None and moment > after:
                yield moment

    def last_fire(self, at: datetime, tz: ZoneInfo, since: datetime) -> datetime | None:
        """The latest fire (aware, UTC) at or before the aware ``at`` and not before ``since``, or None."""
        start = at.astimezone(tz).replace(tzinfo=None) + _SLACK
        for wall in self._matches(start, forward=False):
            moment = local_instant(wall, tz)
            if moment is None or moment > at:
                continue
            return moment if moment >= since else None
        return None


def _parse_cron(text: str, body: str) -> CronExpression:
    parts = body.split()
    if len(parts) != 6:
        hint = "; add the year field, *" if len(parts) == 5 else ""
        raise _fail(text, f"a cron expression has 6 fields ({' '.join(FIELD_NAMES)}), this one has "
                          f"{len(parts)}{hint}")
    parsers = [_FieldParser(text, spec, value) for spec, value in zip(_SPECS, parts, strict=True)]
    for parser in parsers:
        parser.check_wildcards()
    for parser in parsers:
        if "?" in parser.value and parser.value != "?":
            raise parser.fail("'?' stands alone in a field")
    dom, dow = parts[2], parts[4]
    if dom == "?" and dow == "?":
        raise _fail(text, "Day-of-month and Day-of-week are both '?'; set one of them and leave '?' in the "
                          "other", "cron(0 7 ? * MON-FRI *) or cron(0 7 1 * ? *)")
    if dom != "?" and dow != "?":
        raise _fail(text, "Day-of-month and Day-of-week are both set; one of them must be '?'",
                    "cron(0 7 ? * MON-FRI *) or cron(0 7 1 * ? *)")
    minutes, hours, day, month, weekday, year = parsers
    day_field, last_weekday = _translate_day_of_month(day)
    translated = " ".join((_translate_plain(minutes), _translate_plain(hours), day_field, _translate_plain(month),
                           _translate_day_of_week(weekday)))
    try:
        croniter(translated)
    except (CroniterBadCronError, CroniterError, ValueError) as exc:  # a combination croniter cannot run
        raise _fail(text, f"not supported: {exc}") from None
    years = _expand_years(year)
    return CronExpression(text=text, fields=tuple(parts), croniter_fields=translated, years=years,
                          last_weekday=last_weekday)


# --- rate -------------------------------------------------------------------------------------------

RateUnit = Literal["minute", "hour", "day"]
_UNIT_SECONDS: dict[str, int] = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class RateExpression:
    """A parsed ``rate(value unit)`` expression.

    EventBridge counts a rate from the schedule's start date; a sagetrim schedule has none, so fires are
    counted from 1970-01-01T00:00Z. A day is 24 hours, whatever the time zone does.
    """

    text: str
    value: int
    unit: RateUnit

    def __str__(self) -> str:
        return self.text

    @property
    def period(self) -> timedelta:
        """The time between two fires."""
        return timedelta(seconds=self.value * _UNIT_SECONDS[self.unit])

    def fires_after(self, after: datetime, tz: ZoneInfo) -> Iterator[datetime]:
        """The fire times (aware, UTC) strictly after the aware ``after``, in order (``tz`` plays no part)."""
        period = self.period
        count = (after - _EPOCH) // period + 1
        while True:
            yield _EPOCH + count * period
            count += 1

    def last_fire(self, at: datetime, tz: ZoneInfo, since: datetime) -> datetime | None:
        """The latest fire (aware, UTC) at or before the aware ``at`` and not before ``since``, or None."""
        moment = _EPOCH + ((at - _EPOCH) // self.period) * self.period
        return moment if moment >= since else None


def _parse_rate(text: str, body: str) -> RateExpression:
    parts = body.split()
    if len(parts) != 2:
        raise _fail(text, "a rate expression is rate(value unit)", RATE_EXAMPLE)
    value, unit = parts
    if not (value.isascii() and value.isdigit()) or int(value[:_MAX_DIGITS + 1]) < 1:
        raise _fail(text, f"the value {_shown(value, 20)} must be a whole number of 1 or more", RATE_EXAMPLE)
    singular = unit.removesuffix("s")
    if singular not in _UNIT_SECONDS:
        raise _fail(text, f"the unit {_shown(unit, 20)} must be minute(s), hour(s) or day(s)", RATE_EXAMPLE)
    most = MAX_RATE_S // _UNIT_SECONDS[singular]
    if not _is_number(value) or int(value) > most:
        raise _fail(text, f"a rate is at most ten years apart: {most} {singular}s", RATE_EXAMPLE)
    number = int(value)
    expected = singular if number == 1 else f"{singular}s"
    if unit != expected:
        rule = "a value of 1 takes a singular unit" if number == 1 else "a value other than 1 takes a plural unit"
        raise _fail(text, f"{rule}, {expected!r}", f"rate({number} {expected})")
    return RateExpression(text=text, value=number, unit=singular)  # type: ignore[arg-type]


# --- either -----------------------------------------------------------------------------------------

ScheduleExpression: TypeAlias = CronExpression | RateExpression


def parse_expression(text: str) -> ScheduleExpression:
    """Parse an EventBridge schedule expression.

    Args:
        text: ``cron(Minutes Hours Day-of-month Month Day-of-week Year)`` or ``rate(value unit)``.

    Returns:
        The parsed expression.

    Raises:
        InvalidExpression: a ConfigError naming the field, what is wrong and the right form.
    """
    if not isinstance(text, str):
        raise _fail(str(text), "an expression is a string, cron(...) or rate(...)")
    stripped = text.strip()
    for kind, parse in (("cron", _parse_cron), ("rate", _parse_rate)):
        if stripped.startswith(f"{kind}(") and stripped.endswith(")"):
            return parse(stripped, stripped[len(kind) + 1:-1])
    raise _fail(text, "an expression is cron(...) with six fields or rate(value unit)",
                f"{CRON_EXAMPLE} or {RATE_EXAMPLE}")
