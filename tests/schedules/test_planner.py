"""The planner: coming transitions, and what to do with each targeted resource at a moment (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagetrim.errors import UsageError
from sagetrim.schedules import Target, next_transitions, parse_moment, parse_schedules, plan
from sagetrim.schedules.planner import AppRef, last_transitions

OFFICE: dict[str, Any] = {
    "name": "office",
    "timezone": "America/New_York",
    "start": "cron(0 7 ? * MON-FRI *)",
    "stop": "cron(0 21 ? * MON-FRI *)",
    "targets": {"kinds": ["notebook-instance", "studio-app"], "name_prefix": "ds-"},
}
MONDAY_EVENING = datetime(2026, 11, 3, 2, 7, tzinfo=UTC)  # Mon 2026-11-02 21:07 EST, after the 21:00 stop
MONDAY_MORNING = datetime(2026, 11, 2, 12, 7, tzinfo=UTC)  # Mon 07:07 EST, after the 07:00 start


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def notebook(name: str = "ds-one", status: str = "InService", **kw: Any) -> Target:
    return Target(kind="notebook-instance", region="us-east-1", name=name,
                  arn=f"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/{name}", status=status,
                  changed=kw.pop("changed", utc(2026, 10, 1)), match_names=(name,), **kw)


def app(owner: str = "ds-ana", status: str = "InService", instance_type: str = "ml.t3.medium", **kw: Any) -> Target:
    ref = AppRef("d-1", "UserProfileName", owner, "JupyterLab", "default")
    return Target(kind="studio-app", region="us-east-1", name=f"d-1/{owner}/JupyterLab/default",
                  arn=f"arn:aws:sagemaker:us-east-1:123456789012:app/d-1/{owner}/jupyterlab/default", status=status,
                  changed=kw.pop("changed", utc(2026, 10, 1)), match_names=("default", owner),
                  instance_type=instance_type, app=ref, **kw)


def decide(target: Target, at: datetime, *schedules: dict[str, Any]) -> tuple[str, str | None, str]:
    decisions = plan([target], parse_schedules(list(schedules or [OFFICE])), at)
    assert len(decisions) == 1
    d = decisions[0]
    return d.outcome, d.operation, d.reason


# --- next transitions -------------------------------------------------------------------------------


def test_given_office_hours_when_listing_next_then_starts_and_stops_alternate_across_the_dst_change() -> None:
    transitions = next_transitions(parse_schedules([OFFICE]), utc(2026, 10, 30, 12), count=4)
    assert [(t.action, t.to_json()["at"], t.to_json()["at_utc"]) for t in transitions] == [
        ("stop", "2026-10-30T21:00:00-04:00", "2026-10-31T01:00:00Z"),
        ("start", "2026-11-02T07:00:00-05:00", "2026-11-02T12:00:00Z"),
        ("stop", "2026-11-02T21:00:00-05:00", "2026-11-03T02:00:00Z"),
        ("start", "2026-11-03T07:00:00-05:00", "2026-11-03T12:00:00Z"),
    ]
    assert transitions[0].to_json()["expression"] == "cron(0 21 ? * MON-FRI *)"


def test_given_two_schedules_when_listing_next_then_each_gets_count_and_all_are_in_time_order() -> None:
    paris = {**OFFICE, "name": "paris", "timezone": "Europe/Paris", "start": None}
    transitions = next_transitions(parse_schedules([OFFICE, paris]), utc(2026, 11, 2), count=2)
    assert [(t.schedule, t.action, t.at) for t in transitions] == [
        ("office", "start", utc(2026, 11, 2, 12)),
        ("paris", "stop", utc(2026, 11, 2, 20)),
        ("office", "stop", utc(2026, 11, 3, 2)),
        ("paris", "stop", utc(2026, 11, 3, 20)),
    ]


def test_given_a_naive_now_when_listing_next_then_it_is_read_as_utc() -> None:
    [first] = next_transitions(parse_schedules([OFFICE]), datetime(2026, 11, 2, 11, 59), count=1)
    assert first.at == utc(2026, 11, 2, 12)


def test_given_the_same_minute_for_start_and_stop_when_asked_for_the_last_transition_then_both_come_back() -> None:
    [schedule] = parse_schedules([{**OFFICE, "start": "cron(0 21 ? * MON-FRI *)"}])
    assert {t.action for t in last_transitions(schedule, MONDAY_EVENING)} == {"start", "stop"}


# --- what to do ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "status", "outcome", "operation", "reason"),
    [
        (MONDAY_EVENING, "InService", "planned", "StopNotebookInstance", "stop at 2026-11-02 21:00 EST (office)"),
        (MONDAY_EVENING, "Stopped", "in-state", None, "Stopped, as the stop at 2026-11-02 21:00 EST wants"),
        (MONDAY_EVENING, "Stopping", "in-state", None, "Stopping"),
        (MONDAY_EVENING, "Failed", "in-state", None, "Failed"),
        (MONDAY_EVENING, "Pending", "skipped", None, "Pending: retry on the next run"),
        (MONDAY_EVENING, "Updating", "skipped", None, "Updating: retry on the next run"),
        (MONDAY_EVENING, "Deleting", "skipped", None, "Deleting: left alone"),
        (MONDAY_MORNING, "Stopped", "planned", "StartNotebookInstance", "start at 2026-11-02 07:00 EST (office)"),
        (MONDAY_MORNING, "InService", "in-state", None, "InService, as the start"),
        (MONDAY_MORNING, "Pending", "in-state", None, "Pending"),
        (MONDAY_MORNING, "Stopping", "skipped", None, "Stopping: retry on the next run"),
        (MONDAY_MORNING, "Updating", "skipped", None, "Updating: retry on the next run"),
        (MONDAY_MORNING, "Failed", "skipped", None, "Failed: not started"),
    ],
)
def test_given_a_notebook_status_when_planned_then_only_a_difference_from_the_desired_state_acts(
    at: datetime, status: str, outcome: str, operation: str | None, reason: str
) -> None:
    got = decide(notebook(status=status), at)
    assert got[:2] == (outcome, operation)
    assert reason in got[2]


def test_given_a_stop_missed_by_hours_when_planned_then_it_still_applies() -> None:
    # Tuesday 06:59 EST: the latest transition is still Monday's 21:00 stop.
    assert decide(notebook(), utc(2026, 11, 3, 11, 59))[1] == "StopNotebookInstance"


def test_given_a_weekend_when_planned_then_fridays_stop_holds() -> None:
    _, operation, reason = decide(notebook(), utc(2026, 11, 1, 15))
    assert operation == "StopNotebookInstance"
    assert "2026-10-30 21:00 EDT" in reason


def test_given_no_transition_in_the_lookback_when_planned_then_the_resource_is_left_alone() -> None:
    yearly = {**OFFICE, "start": "cron(0 7 1 1 ? *)", "stop": "cron(0 21 1 1 ? *)"}
    outcome, operation, reason = decide(notebook(), MONDAY_EVENING, yearly)
    assert (outcome, operation) == ("skipped", None)
    assert "no start or stop of office in the 32 days before" in reason


def test_given_the_opt_out_tag_when_planned_then_nothing_is_done() -> None:
    assert decide(notebook(excluded=True), MONDAY_EVENING)[:2] == ("skipped", None)


def test_given_an_enforced_schedule_when_a_notebook_was_started_after_the_stop_then_it_is_stopped_again() -> None:
    started_by_hand = notebook(changed=utc(2026, 11, 3, 2, 3))
    assert decide(started_by_hand, MONDAY_EVENING)[1] == "StopNotebookInstance"


def test_given_an_unenforced_schedule_when_a_notebook_was_started_after_the_stop_then_it_is_left_running() -> None:
    started_by_hand = notebook(changed=utc(2026, 11, 3, 2, 3))
    outcome, operation, reason = decide(started_by_hand, MONDAY_EVENING, {**OFFICE, "enforce": False})
    assert (outcome, operation) == ("skipped", None)
    assert "changed at 2026-11-02 21:03 EST, after the stop at 2026-11-02 21:00 EST" in reason
    # One left running since the morning is stopped.
    assert decide(notebook(changed=utc(2026, 11, 2, 12)), MONDAY_EVENING, {**OFFICE, "enforce": False})[1] == (
        "StopNotebookInstance")


def test_given_a_stop_only_schedule_when_a_notebook_is_started_the_next_morning_then_it_is_left_running() -> None:
    nightly = {**OFFICE, "start": None}
    morning = utc(2026, 11, 3, 14)  # Tuesday 09:00 EST, started at 08:30
    assert decide(notebook(changed=utc(2026, 11, 3, 13, 30)), morning, nightly)[:2] == ("skipped", None)
    assert decide(notebook(changed=utc(2026, 11, 2, 14)), MONDAY_EVENING, nightly)[1] == "StopNotebookInstance"


def test_given_two_schedules_when_both_target_a_notebook_then_the_latest_transition_decides() -> None:
    weekend = {"name": "friday-early", "timezone": "America/New_York", "stop": "cron(0 17 ? * FRI *)",
               "targets": {"name_prefix": "ds-"}}
    friday_evening = utc(2026, 10, 30, 21, 30)  # Fri 17:30 EDT: friday-early's stop is newer than Friday's start
    decisions = plan([notebook(changed=utc(2026, 10, 30, 11))], parse_schedules([OFFICE, weekend]),
                     friday_evening)
    assert (decisions[0].schedule, decisions[0].operation) == ("friday-early", "StopNotebookInstance")


def test_given_two_schedules_when_they_disagree_at_the_same_moment_then_it_is_a_conflict() -> None:
    other = {**OFFICE, "name": "late", "start": "cron(0 21 ? * MON-FRI *)", "stop": "cron(0 23 ? * MON-FRI *)"}
    outcome, operation, reason = decide(notebook(), MONDAY_EVENING, OFFICE, other)
    assert (outcome, operation) == ("skipped", None)
    assert "conflict: office (stop), late (start)" in reason or "conflict: late (start), office (stop)" in reason


# --- targets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("targets", "selected"),
    [
        ({"name_prefix": "ds-"}, {"ds-one", "ds-tagged"}),
        ({"name_contains": "-ml-"}, {"team-ml-a"}),
        ({"tag": True}, {"ds-tagged", "other"}),
        ({"name_prefix": "team-", "tag": True}, {"team-ml-a", "ds-tagged", "other"}),
        ({"name_prefix": ""}, {"ds-one", "team-ml-a", "ds-tagged", "other"}),
    ],
)
def test_given_selectors_when_planned_then_prefix_substring_and_tag_select_the_targets(
    targets: dict[str, Any], selected: set[str]
) -> None:
    resources = [notebook("ds-one"), notebook("team-ml-a"), notebook("ds-tagged", schedule_tag="office"),
                 notebook("other", schedule_tag="office"), notebook("wrong-tag", schedule_tag="elsewhere")]
    decisions = plan(resources, parse_schedules([{**OFFICE, "targets": targets}]), MONDAY_EVENING)
    assert {d.target.name for d in decisions} == selected


def test_given_a_resource_tagged_for_another_schedule_when_a_prefix_matches_it_then_it_is_not_a_target() -> None:
    night = {**OFFICE, "name": "night", "start": "cron(0 20 ? * MON-FRI *)", "stop": "cron(0 6 ? * MON-FRI *)",
             "targets": {"tag": True}}
    resources = [notebook("ds-day"), notebook("ds-night", schedule_tag="night")]
    decisions = plan(resources, parse_schedules([OFFICE, night]), MONDAY_EVENING)
    assert {(d.target.name, d.schedule, d.operation) for d in decisions} == {
        ("ds-day", "office", "StopNotebookInstance"), ("ds-night", "night", None)}


def test_given_kinds_when_planned_then_other_kinds_are_not_targets() -> None:
    notebooks_only = {**OFFICE, "targets": {"name_prefix": "ds-"}}
    assert plan([app()], parse_schedules([notebooks_only]), MONDAY_EVENING) == []


def test_given_a_studio_app_when_its_owner_matches_and_the_stop_is_due_then_it_is_deleted() -> None:
    assert decide(app(), MONDAY_EVENING)[:2] == ("planned", "DeleteApp")


def test_given_a_studio_app_when_the_start_is_due_then_it_is_not_started() -> None:
    outcome, operation, reason = decide(app(status="Deleting"), MONDAY_MORNING)
    assert (outcome, operation) == ("skipped", None)
    assert "cannot start them" in reason
    assert decide(app(), MONDAY_MORNING)[0] == "in-state"


def test_given_a_studio_app_on_the_free_system_instance_when_the_stop_is_due_then_it_is_left_alone() -> None:
    outcome, operation, reason = decide(app(instance_type="system"), MONDAY_EVENING)
    assert (outcome, operation) == ("skipped", None)
    assert "free system instance" in reason


def test_given_a_pending_studio_app_when_the_stop_is_due_then_it_is_retried_later() -> None:
    assert decide(app(status="Pending"), MONDAY_EVENING) == ("skipped", None, "Pending: retry on the next run")


# --- --at ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-02T21:07:00-05:00", utc(2026, 11, 3, 2, 7)),
        ("2026-11-03T02:07Z", utc(2026, 11, 3, 2, 7)),
        ("2026-11-03T02:07", utc(2026, 11, 3, 2, 7)),
        ("2026-11-03", utc(2026, 11, 3)),
    ],
)
def test_given_an_iso_timestamp_when_read_as_at_then_it_is_a_utc_moment(text: str, expected: datetime) -> None:
    assert parse_moment(text) == expected


def test_given_a_bad_timestamp_when_read_as_at_then_the_error_shows_the_form() -> None:
    with pytest.raises(UsageError, match="not an ISO 8601 timestamp; e.g. 2026-11-02T21:07:00-05:00"):
        parse_moment("monday 9pm")


def test_given_a_plan_when_serialised_then_every_decision_is_json() -> None:
    import json

    [decision] = plan([notebook()], parse_schedules([OFFICE]), MONDAY_EVENING, lookback=timedelta(days=8))
    doc = json.loads(json.dumps(decision.to_json()))
    assert doc["transition"]["at"] == "2026-11-02T21:00:00-05:00"
    assert (doc["desired"], doc["operation"], doc["outcome"]) == ("stopped", "StopNotebookInstance", "planned")
