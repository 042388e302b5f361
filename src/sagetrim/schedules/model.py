"""The schedules of `sagetrim.yaml`, validated: names, time zones, cron/rate expressions and targets."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    RootModel,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from sagetrim.errors import ConfigError, UsageError
from sagetrim.inputs import check_region
from sagetrim.schedules.cron import CronExpression, RateExpression, ScheduleExpression, parse_expression

__all__ = [
    "SCHEDULE_TAG",
    "Expression",
    "Schedule",
    "ScheduleList",
    "TargetKind",
    "Targets",
    "parse_schedules",
]

SCHEDULE_TAG = "sagetrim:schedule"
TargetKind = Literal["notebook-instance", "studio-app"]
# A schedule's name is also the value of its tag: tag-value characters, no spaces (it is typed on CLIs).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$")


def _expression(value: Any) -> ScheduleExpression:
    if isinstance(value, CronExpression | RateExpression):
        return value
    return parse_expression(value)


# A cron(...) or rate(...) string in the file, the parsed expression in Python.
Expression = Annotated[
    ScheduleExpression,
    PlainValidator(_expression),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["cron(0 7 ? * MON-FRI *)", "rate(1 hour)"]}),
]


class Targets(BaseModel):
    """What a schedule starts and stops. A resource is a target when any of the selectors matches it.

    For a Studio app, the name selectors match its app name or the name of the user profile or space that
    owns it. A resource tagged ``sagetrim:schedule`` names its schedule: the name selectors of the other
    schedules pass it by (so a tag carves an exception out of a name prefix).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: tuple[TargetKind, ...] = ("notebook-instance",)
    name_prefix: str | None = None
    name_contains: str | None = None
    tag: bool = Field(False, description=f"resources tagged {SCHEDULE_TAG} = the schedule's name")

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: tuple[TargetKind, ...]) -> tuple[TargetKind, ...]:
        if not value:
            raise ValueError("list at least one kind: notebook-instance, studio-app")
        return tuple(dict.fromkeys(value))

    @field_validator("name_contains")
    @classmethod
    def _contains(cls, value: str | None) -> str | None:
        if value == "":
            raise ValueError("an empty name_contains would match everything; to mean that, write name_prefix: ''")
        return value

    @model_validator(mode="after")
    def _some_selector(self) -> Targets:
        if self.name_prefix is None and self.name_contains is None and not self.tag:
            raise ValueError("set name_prefix, name_contains or tag: true (name_prefix: '' targets every "
                             "resource of the kinds, on purpose)")
        return self

    def matches(self, names: Iterable[str], schedule_tag: str | None, schedule: str) -> bool:
        """Whether a resource known by ``names`` and tagged ``schedule_tag`` is a target of ``schedule``."""
        if schedule_tag is not None and schedule_tag != schedule:
            return False
        if self.tag and schedule_tag == schedule:
            return True
        for name in names:
            if self.name_prefix is not None and name.startswith(self.name_prefix):
                return True
            if self.name_contains is not None and self.name_contains in name:
                return True
        return False


class Schedule(BaseModel):
    """A named start/stop schedule.

    With both a start and a stop the schedule is enforced by default: on every run the latest transition
    decides, so a notebook started by hand after the evening stop is stopped again (tag it
    ``sagetrim:exclude`` = ``true`` to keep it out). With ``enforce: false``, or with only a start or only
    a stop, a transition applies only to resources not changed since it fired.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    timezone: str = "UTC"
    start: Expression | None = None
    stop: Expression | None = None
    targets: Targets
    regions: tuple[str, ...] | None = None
    enforce: bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} cannot be a schedule name (it is also the value of the {SCHEDULE_TAG} tag): "
                             "up to 128 letters, digits and _ . : / = + @ -, starting with a letter or digit, "
                             "e.g. office-hours")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            close = difflib.get_close_matches(value[:64], sorted(available_timezones()), n=3)
            value = value if len(value) <= 64 else value[:64] + "..."
            hint = f"did you mean {', '.join(close)}?" if close else "e.g. Europe/Paris, America/New_York or UTC"
            raise ValueError(f"unknown time zone {value!r}; use an IANA name: {hint}") from None
        return value

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            for region in value:
                try:
                    check_region(region)
                except UsageError as exc:
                    raise ValueError(str(exc).rstrip(".")) from None
            if not value:
                raise ValueError("an empty list covers no region; leave regions out to use the default ones")
        return value

    @model_validator(mode="after")
    def _transitions(self) -> Schedule:
        if self.start is None and self.stop is None:
            raise ValueError("a schedule needs a start, a stop or both, e.g. stop: cron(0 21 ? * MON-FRI *)")
        if self.enforce and (self.start is None or self.stop is None):
            raise ValueError("enforce: true needs both a start and a stop (a schedule with only a stop would "
                             "keep its targets stopped for good)")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        """The time zone the expressions are evaluated in."""
        return ZoneInfo(self.timezone)

    @property
    def enforced(self) -> bool:
        """Whether every run applies the latest transition, even over a change made after it."""
        if self.enforce is not None:
            return self.enforce
        return self.start is not None and self.stop is not None


class ScheduleList(RootModel[list[Schedule]]):
    """The ``schedules:`` section: a list of schedules with unique names."""

    root: list[Schedule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ScheduleList:
        seen: set[str] = set()
        for schedule in self.root:
            if schedule.name in seen:
                raise ValueError(f"two schedules are named {schedule.name!r}; names must be unique")
            seen.add(schedule.name)
        return self


def parse_schedules(data: Sequence[Mapping[str, Any]] | None, where: str = "schedules") -> list[Schedule]:
    """Validate the ``schedules:`` section of the settings.

    Args:
        data: the section as read from YAML (a list of mappings).
        where: how messages name the section, e.g. ``sagetrim.yaml: schedules``.

    Returns:
        The schedules, in file order.

    Raises:
        ConfigError: every problem, each with its field path.
    """
    try:
        return ScheduleList.model_validate(data if data is not None else []).root
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
            problems.append(f"{where}{path}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("the schedules are not valid:\n" + "\n".join(problems)) from None
