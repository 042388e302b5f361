"""The Lambda handlers, invoked in this process with EventBridge events, against the simulated account:
they do what the CLI's library calls do, configured the way the template configures them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.deploy import handlers, render_template
from sagetrim.errors import ConfigError, UsageError
from sagetrim.pipeline.act import run_act
from sagetrim.rules import idle_endpoint, select
from sagetrim.schedules import parse_schedules, session_clients
from sagetrim.schedules import run_schedules as run_schedules_library
from sagetrim.sim import SimServer
from sagetrim.sim.fleet import build_fleet, demo_scenario
from sagetrim.sim.server import ACCESS_KEY_ID
from tests.deploy.helpers import allowed_actions, load_template, record_api_calls, scheduled_event

REGIONS = ["us-east-1", "eu-west-1"]
BUCKET = "sagetrim-state-test"
STATE = f"s3://{BUCKET}/sagetrim"
SCHEDULES = [
    {"name": "ds-evenings", "timezone": "Europe/Paris", "start": "cron(0 8 ? * MON-FRI *)",
     "stop": "cron(0 19 ? * MON-FRI *)", "targets": {"name_prefix": "ds-notebook"}},
    {"name": "gpu-nights", "stop": "cron(0 22 * * ? *)", "targets": {"name_prefix": "gpu-"}},
]


def _last_weekday_evening(now: datetime) -> datetime:
    """18:30 UTC on the last weekday before now: 19:30 or 20:30 in Paris, after ds-evenings' 19:00 stop."""
    day = now - timedelta(days=1)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return day.replace(hour=18, minute=30, second=0, microsecond=0)


EVENING = _last_weekday_evening(datetime.now(UTC))
# ds-evenings' 19:00 stop, and gpu-nights' 22:00 stop of the day before (a stop-only schedule acts on what
# has not changed since it fired: these notebooks have run for weeks).
STOPPED_IN_THE_EVENING = [*(f"ds-notebook-000{i}" for i in range(4)), "gpu-experiments-0000", "gpu-experiments-0001"]


@pytest.fixture(scope="module", autouse=True)
def demo_fleet(sim: SimServer) -> None:
    """The module's simulated account holds the demo fleet, and an empty state bucket."""
    build_fleet(sim, demo_scenario())
    sim.client("s3").create_bucket(Bucket=BUCKET)


@pytest.fixture
def lambda_env(sim: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the template gives the functions, pointed at the sim; a dry run by default."""
    env = {**sim.env(), handlers.ENV_REGIONS: ",".join(REGIONS), handlers.ENV_STATE: STATE,
           handlers.ENV_CONFIG: json.dumps({"schedules": SCHEDULES})}
    for key in (handlers.ENV_APPLY, handlers.ENV_ROLE_ARNS, handlers.ENV_TOPIC):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _statuses(sim: Any, region: str = "us-east-1") -> dict[str, str]:
    notebooks = sim.client("sagemaker", region).list_notebook_instances(MaxResults=100)["NotebookInstances"]
    return {n["NotebookInstanceName"]: n["NotebookInstanceStatus"] for n in notebooks}


def test_given_a_scheduled_event_when_scan_and_act_runs_then_it_finds_and_plans_what_the_cli_does(
        sim: Any, lambda_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    summary = handlers.scan_and_act(scheduled_event(), None)

    settings = Settings(state=STATE, schedules=SCHEDULES)
    cli = run_act(sim.session(), REGIONS, [], load_catalog(), settings, select([]), apply=False)
    assert summary["dry_run"] is True and summary["status"] == "ok"
    # The two runs are seconds apart: savings that accrue with time may differ in the last cent.
    found = {f["id"]: (f["rule"], f["action"], f["monthly_savings_usd"]) for f in summary["findings"]}
    expected = {f.id: (f.rule, f.action.value, pytest.approx(f.monthly_savings_usd, abs=0.02))
                for f in cli.scan.findings}
    assert found and found == expected
    outcomes = [{k: v for k, v in o.items() if k != "monthly_savings_usd"} for o in summary["outcomes"]]
    assert outcomes == [{k: v for k, v in o.to_json().items() if k != "monthly_savings_usd"}
                        for o in cli.report.outcomes]
    assert {o["status"] for o in summary["outcomes"]} <= {"planned", "skipped"}
    assert summary["counts"] == cli.report.to_json()["counts"]
    assert summary["state_store"] == cli.store
    [line] = _log_lines(capsys.readouterr().out)
    assert line["sagetrim"] == "scan_and_act" and line["findings"] == len(summary["findings"])
    assert line["dry_run"] is True and line["config"] == "$SAGETRIM_CONFIG"


def test_given_apply_is_not_true_when_scan_and_act_runs_then_nothing_changes(
        sim: Any, lambda_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    before = _statuses(sim)
    monkeypatch.setenv(handlers.ENV_APPLY, "yes")  # only "true" acts
    assert handlers.scan_and_act(scheduled_event(), None)["dry_run"] is True
    monkeypatch.setenv(handlers.ENV_APPLY, "true")
    assert handlers.scan_and_act({"dry_run": True, "rules": "idle-notebook"}, None)["dry_run"] is True
    assert _statuses(sim) == before


def _idle_hours(invocation: handlers.Invocation) -> int:
    return invocation.settings.rule_params("idle-endpoint", idle_endpoint.Params).hours


def test_given_settings_in_the_event_the_bucket_and_the_environment_when_resolved_then_the_event_wins(
        sim: Any, lambda_env: dict[str, str]) -> None:
    session = sim.session()
    environ = {**lambda_env, handlers.ENV_CONFIG: "rules:\n  idle-endpoint:\n    hours: 12\n"}
    assert _idle_hours(handlers.resolve_invocation({}, environ, session)) == 12
    sim.client("s3").put_object(Bucket=BUCKET, Key="sagetrim/sagetrim.yaml",
                                Body=b"rules:\n  idle-endpoint:\n    hours: 36\n")
    try:
        bucket = handlers.resolve_invocation({}, environ, session)
        assert _idle_hours(bucket) == 36
        assert bucket.config_source == f"{STATE}/sagetrim.yaml"
        event = handlers.resolve_invocation({"config": "rules:\n  idle-endpoint:\n    hours: 48\n"}, environ, session)
        assert _idle_hours(event) == 48 and event.config_source == "event"
        as_json = handlers.resolve_invocation({"config": {"rules": {"idle-endpoint": {"hours": 6}}}}, environ, session)
        assert _idle_hours(as_json) == 6
    finally:
        sim.client("s3").delete_object(Bucket=BUCKET, Key="sagetrim/sagetrim.yaml")
    overrides = {handlers.ENV_TOPIC: "arn:aws:sns:us-east-1:123456789012:t", handlers.ENV_APPLY: "TRUE",
                 handlers.ENV_ROLE_ARNS: " arn:aws:iam::1:role/a ,"}
    stack = handlers.resolve_invocation({}, {**environ, **overrides}, session)
    assert stack.settings.notify.sns_topic_arn == "arn:aws:sns:us-east-1:123456789012:t"
    assert stack.settings.state == STATE
    assert stack.role_arns == ["arn:aws:iam::1:role/a"] and stack.regions == REGIONS and stack.apply is True


def test_given_bad_settings_when_invoked_then_it_fails_naming_the_source_and_logs_one_error_line(
        sim: Any, lambda_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match=r"the event's config, line 3: rules\.idle-endpoint\.hourz"):
        handlers.scan_and_act({"config": "rules:\n  idle-endpoint:\n    hourz: 3\n"}, None)
    [line] = _log_lines(capsys.readouterr().out)
    assert line["status"] == "error" and line["error"] == "ConfigError"
    with pytest.raises(ConfigError, match="s3://sagetrim-state-test/missing.yaml"):
        handlers.scan_and_act({"config": f"s3://{BUCKET}/missing.yaml"}, None)


@pytest.mark.parametrize(("body", "message"), [
    (b"rules:\n  idle-endpoint:\n    hours: \xff\n", "not UTF-8 text"),
    ("rules: {}\n".encode("utf-16"), "UTF-16"),
    (b"#" * (5 * 1024 * 1024), "larger than the 4,194,304 bytes"),
])
def test_given_settings_in_the_bucket_that_are_not_text_or_too_large_when_resolved_then_a_config_error_names_them(
        sim: Any, lambda_env: dict[str, str], body: bytes, message: str) -> None:
    sim.client("s3").put_object(Bucket=BUCKET, Key="bad.yaml", Body=body)
    with pytest.raises(ConfigError, match=message) as raised:
        handlers.resolve_invocation({"config": f"s3://{BUCKET}/bad.yaml"}, lambda_env, sim.session())
    assert f"s3://{BUCKET}/bad.yaml" in str(raised.value)


def test_given_settings_in_the_event_nested_too_deeply_when_resolved_then_a_config_error(
        sim: Any, lambda_env: dict[str, str]) -> None:
    nested: dict[str, Any] = {}
    deepest = nested
    for _ in range(5000):
        deepest["x"] = {}
        deepest = deepest["x"]
    with pytest.raises(ConfigError, match="nested too deeply"):
        handlers.resolve_invocation({"config": nested}, lambda_env, sim.session())


def test_given_a_scheduled_event_when_the_schedules_run_then_they_decide_what_the_library_decides(
        sim: Any, lambda_env: dict[str, str]) -> None:
    summary = handlers.run_schedules(scheduled_event(EVENING), None)

    library = run_schedules_library(parse_schedules(SCHEDULES), session_clients(sim.session()), EVENING,
                                    apply=False, regions=REGIONS, max_actions=25)
    [account] = summary["accounts"]
    assert summary["dry_run"] is True and summary["at"] == EVENING.isoformat().replace("+00:00", "Z")
    assert account["decisions"] == library.to_json()["decisions"]
    planned = {d["name"]: d["operation"] for d in account["decisions"] if d["outcome"] == "planned"}
    assert planned == {name: "StopNotebookInstance" for name in STOPPED_IN_THE_EVENING}


def test_given_a_rule_for_one_schedule_when_it_fires_then_only_that_schedule_runs(
        sim: Any, lambda_env: dict[str, str]) -> None:
    summary = handlers.run_schedules({"schedule": "gpu-nights", "time": (EVENING + timedelta(hours=4)).isoformat()},
                                     None)
    assert summary["schedules"] == ["gpu-nights"]
    decided = {d["name"] for d in summary["accounts"][0]["decisions"]}
    assert decided and all(name.startswith("gpu-") for name in decided)
    with pytest.raises(UsageError, match="no schedule is named 'nope'; the schedules are: ds-evenings, gpu-nights"):
        handlers.run_schedules({"schedule": "nope"}, None)


def test_given_a_restore_event_without_a_backup_when_invoked_then_it_says_so(
        sim: Any, lambda_env: dict[str, str]) -> None:
    with pytest.raises(UsageError, match="give the endpoint to restore"):
        handlers.restore_endpoint({}, None)
    with pytest.raises(UsageError, match="no backup of endpoint never-deleted"):
        handlers.restore_endpoint({"endpoint": "never-deleted", "region": "us-east-1"}, None)


def test_given_apply_when_the_schedules_run_then_they_stop_the_notebooks_and_journal_it(
        sim: Any, lambda_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handlers.ENV_APPLY, "true")
    summary = handlers.run_schedules(scheduled_event(EVENING + timedelta(minutes=1)), None)

    assert summary["dry_run"] is False and summary["counts"] == {"done": len(STOPPED_IN_THE_EVENING)}
    assert {n: s for n, s in _statuses(sim).items() if n in STOPPED_IN_THE_EVENING} == dict.fromkeys(
        STOPPED_IN_THE_EVENING, "Stopped")
    keys = [o["Key"] for o in sim.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="sagetrim/journal/")["Contents"]]
    records = [json.loads(sim.client("s3").get_object(Bucket=BUCKET, Key=k)["Body"].read()) for k in keys]
    stops = [r for r in records if r["rule"] == "schedule:ds-evenings" and not r["dry_run"]]
    assert sorted(r["name"] for r in stops) == [f"ds-notebook-000{i}" for i in range(4)]
    assert {r["action"] for r in stops} == {"stop-notebook"} and {r["outcome"] for r in stops} == {"done"}


def test_given_member_roles_when_the_handlers_run_then_each_credential_stays_within_its_role(
        sim: Any, lambda_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    member = f"arn:aws:iam::{sim.account_id}:role/sagetrim-member"
    monkeypatch.setenv(handlers.ENV_ROLE_ARNS, member)
    template = load_template(render_template(Settings(role_arns=[member], schedules=SCHEDULES)))
    resources = template["Resources"]
    scanner_role = allowed_actions(resources["Role"]["Properties"]["Policies"], {"FansOut": True,
                                                                                  "ScansOwnAccount": False})
    member_role = allowed_actions(resources["MemberRole"]["Properties"]["Policies"], {})

    with record_api_calls(monkeypatch) as recorder:
        act = handlers.scan_and_act(scheduled_event(), None)
        schedules = handlers.run_schedules(scheduled_event(EVENING), None)

    assert act["accounts"] == [sim.account_id] and act["findings"] and act["dry_run"] is True
    assert [a["account"] for a in schedules["accounts"]] == [sim.account_id]
    own = recorder.iam_actions(ACCESS_KEY_ID)
    assumed = {a for c in recorder.calls if c.access_key != ACCESS_KEY_ID for a in c.iam_actions()}
    assert "sts:AssumeRole" in own and own <= scanner_role
    assert {"sagemaker:ListEndpoints", "cloudwatch:GetMetricData", "sagemaker:ListNotebookInstances"} <= assumed
    assert assumed <= member_role
