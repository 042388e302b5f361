"""The schedules section of sagetrim.yaml: what validates, and the messages for what does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sagetrim.errors import ConfigError
from sagetrim.schedules import CronExpression, RateExpression, ScheduleList, parse_schedules
from sagetrim.yamlfile import load_yaml_model

OFFICE: dict[str, Any] = {
    "name": "office-hours",
    "timezone": "America/New_York",
    "start": "cron(0 7 ? * MON-FRI *)",
    "stop": "cron(0 21 ? * MON-FRI *)",
    "targets": {"kinds": ["notebook-instance", "studio-app"], "name_prefix": "ds-", "tag": True},
}


def problems(*schedules: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as error:
        parse_schedules(list(schedules))
    return str(error.value)


def test_given_a_full_schedule_when_parsed_then_expressions_and_targets_are_typed() -> None:
    [schedule] = parse_schedules([OFFICE])
    assert isinstance(schedule.start, CronExpression)
    assert isinstance(schedule.stop, CronExpression)
    assert schedule.tz.key == "America/New_York"
    assert schedule.targets.kinds == ("notebook-instance", "studio-app")
    assert schedule.regions is None
    assert schedule.model_dump()["start"] == "cron(0 7 ? * MON-FRI *)"


def test_given_start_and_stop_when_enforce_is_left_out_then_the_schedule_is_enforced() -> None:
    [both] = parse_schedules([OFFICE])
    [relaxed] = parse_schedules([{**OFFICE, "enforce": False}])
    [stop_only] = parse_schedules([{**OFFICE, "start": None}])
    assert (both.enforced, relaxed.enforced, stop_only.enforced) == (True, False, False)


def test_given_defaults_when_parsed_then_utc_notebooks_and_a_rate_are_accepted() -> None:
    [schedule] = parse_schedules([{"name": "nightly", "stop": "rate(1 day)", "targets": {"name_contains": "tmp"}}])
    assert schedule.timezone == "UTC"
    assert schedule.targets.kinds == ("notebook-instance",)
    assert isinstance(schedule.stop, RateExpression)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"timezone": "Europe/Pariss"}, "schedules[0].timezone: unknown time zone 'Europe/Pariss'; use an IANA "
                                        "name: did you mean Europe/Paris"),
        ({"timezone": "EST5EDTX"}, "unknown time zone"),
        ({"start": "cron(0 7 * * MON-FRI *)"}, "schedules[0].start: invalid schedule expression"),
        ({"stop": "cron(0 21 ? * 0-4 *)"}, "schedules[0].stop: invalid schedule expression 'cron(0 21 ? * 0-4 *)': "
                                           "Day-of-week"),
        ({"start": None, "stop": None}, "needs a start, a stop or both"),
        ({"start": None, "enforce": True}, "enforce: true needs both a start and a stop"),
        ({"targets": {"kinds": ["notebook-instance"]}}, "set name_prefix, name_contains or tag: true"),
        ({"targets": {"kinds": [], "tag": True}}, "list at least one kind"),
        ({"targets": {"kinds": ["endpoint"], "tag": True}}, "schedules[0].targets.kinds[0]"),
        ({"targets": {"name_contains": ""}}, "an empty name_contains would match everything"),
        ({"targets": {"tag": True, "name": "x"}}, "schedules[0].targets.name"),
        ({"name": "office hours"}, "cannot be a schedule name"),
        ({"regions": ["us-east"]}, "region 'us-east' is an unknown region"),
        ({"when": "always"}, "schedules[0].when"),
    ],
)
def test_given_a_mistake_when_parsed_then_the_message_names_the_field_and_the_fix(change: dict[str, Any],
                                                                                 expected: str) -> None:
    assert expected in problems({**OFFICE, **change})


def test_given_two_schedules_with_one_name_when_parsed_then_it_is_an_error() -> None:
    assert "two schedules are named 'office-hours'" in problems(OFFICE, OFFICE)


def test_given_a_yaml_file_when_loaded_then_a_bad_expression_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text("- name: office\n  stop: cron(0 21 * * MON-FRI *)\n  targets: {tag: true}\n")
    with pytest.raises(ConfigError) as error:
        load_yaml_model(path, ScheduleList, what="settings file")
    assert "line 2: [0].stop: invalid schedule expression" in str(error.value)
    assert "one of them must be '?'" in str(error.value)
