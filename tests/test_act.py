"""`sagetrim act`, `restore` and `journal` end to end against the simulated account."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest

import sagetrim.pipeline.act as act_module
from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.act import run_act
from sagetrim.rules import select
from sagetrim.sim.cloudwatch import metric_store
from sagetrim.sim.fleet import Scenario, build_fleet
from tests.conftest import run_cli

SCENARIO = {"regions": {"us-east-1": {"endpoints": [
    {"name": "stale-model", "instance_type": "ml.m5.xlarge", "instance_count": 2, "traffic": "idle"},
    {"name": "late-traffic", "instance_type": "ml.m5.large", "traffic": "idle"},
    {"name": "busy-model", "instance_type": "ml.c5.xlarge", "traffic": "steady"},
    {"name": "kept-on-purpose", "instance_type": "ml.m5.large", "traffic": "idle",
     "tags": {"sagetrim:exclude": "true"}},
]}}}


@pytest.fixture(scope="module")
def fleet(sim, tmp_path_factory):
    build_fleet(sim, Scenario.model_validate(SCENARIO))
    state = tmp_path_factory.mktemp("state")
    env = {**sim.env(), "SAGETRIM_STATE_DIR": str(state)}
    return sim, env, state


def endpoints(sim) -> set[str]:
    return {e["EndpointName"] for e in sim.client("sagemaker").list_endpoints(MaxResults=100)["Endpoints"]}


def test_without_apply_act_plans_and_changes_nothing(fleet):
    sim, env, _ = fleet
    result = run_cli("act", "--rules", "idle-endpoint", "--format", "json", env=env)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["dry_run"] is True
    assert {o["name"]: o["status"] for o in doc["outcomes"]} == {"stale-model": "planned", "late-traffic": "planned"}
    assert endpoints(sim) == {"stale-model", "late-traffic", "busy-model", "kept-on-purpose"}


def test_a_run_whose_time_budget_leaves_actions_for_the_next_run_exits_5_and_changes_nothing(fleet):
    sim, env, _ = fleet
    result = run_cli("act", "--rules", "idle-endpoint", "--apply", "--time-budget", "2s", "--format", "json",
                     env=env)
    assert result.code == 5, result.err
    doc = json.loads(result.out)
    assert {o["name"]: o["status"] for o in doc["outcomes"]} == {"stale-model": "deferred", "late-traffic": "deferred"}
    assert "--time-budget 2s" in doc["outcomes"][0]["reason"]
    assert endpoints(sim) == {"stale-model", "late-traffic", "busy-model", "kept-on-purpose"}


def test_traffic_between_scan_and_act_keeps_the_endpoint(fleet, monkeypatch):
    sim, _, state = fleet
    original = act_module.carry_out

    def traffic_arrives_then_act(findings, **kwargs):
        now = sim.clock.now()
        metric_store(sim.account_id, "us-east-1").put_series(
            "AWS/SageMaker", "Invocations", {"EndpointName": "late-traffic", "VariantName": "AllTraffic"},
            np.array([int((now - timedelta(minutes=2)).timestamp())]), sums=[12.0], counts=[1.0], minimums=[12.0],
            maximums=[12.0])
        return original(findings, **kwargs)

    monkeypatch.setattr(act_module, "carry_out", traffic_arrives_then_act)
    monkeypatch.setenv("SAGETRIM_STATE_DIR", str(state))
    run = run_act(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False), Settings(),
                  select(["idle-endpoint"]), apply=True)
    outcome = {o.name: o for o in run.report.outcomes}
    assert outcome["late-traffic"].status == "skipped" and "12 invocations" in outcome["late-traffic"].reason
    assert outcome["stale-model"].status == "done"
    assert endpoints(sim) == {"late-traffic", "busy-model", "kept-on-purpose"}
    assert list((state / "backups").rglob("*.json"))


def test_a_second_apply_does_nothing_more(fleet):
    sim, env, _ = fleet
    before = endpoints(sim)
    result = run_cli("act", "--rules", "idle-endpoint", "--apply", "--format", "json", env=env)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert all(o["status"] != "done" for o in doc["outcomes"])
    assert endpoints(sim) == before


def test_restore_brings_the_deleted_endpoint_back(fleet):
    sim, env, _ = fleet
    result = run_cli("restore", "stale-model", "--region", "us-east-1", env=env)
    assert result.code == 0, result.err
    sm = sim.client("sagemaker")
    desc = sm.describe_endpoint(EndpointName="stale-model")
    config = sm.describe_endpoint_config(EndpointConfigName=desc["EndpointConfigName"])
    assert [(v["InstanceType"], v["InitialInstanceCount"]) for v in config["ProductionVariants"]] == [
        ("ml.m5.xlarge", 2)]
    again = run_cli("restore", "stale-model", "--region", "us-east-1", env=env)
    assert again.code == 2 and "exists" in again.err


def test_the_journal_tells_what_was_done(fleet):
    _, env, _ = fleet
    result = run_cli("journal", "--format", "json", env=env)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    done = [e for e in doc["entries"] if e["outcome"] == "done" and e["action"] == "delete-endpoint"]
    assert [e["name"] for e in done] == ["stale-model"]
    assert done[0]["rule"] == "idle-endpoint" and done[0]["backup"]
    assert doc["monthly_savings_usd"] == pytest.approx(2 * 0.23 * 730, abs=0.01)
    table = run_cli("journal", "--since", "1d", env=env)
    assert table.code == 0 and "stale-model" in table.out


def test_bad_since_is_a_usage_error(fleet):
    _, env, _ = fleet
    result = run_cli("journal", "--since", "last tuesday", env=env)
    assert result.code == 2 and "--since" in result.err


def test_a_damaged_journal_is_read_around_its_broken_lines(fleet, tmp_path):
    _, env, _ = fleet
    (tmp_path / "journal.jsonl").write_bytes(
        b'{"time": "2025-06-01T12:00:00+00:00", "action": "tag", "outcome": "done", "name": "a", "region": "r"}\n'
        b'{"time": "2025-06-01T12:01:00+00:00", "action": "ta\n'
        b'\xff\xfe\n'
        b'{"time": "soon", "outcome": "done"}\n'
        + b'[' * 100_000 + b'\n'
        + b'{"n": ' + b'9' * 5000 + b'}\n')
    result = run_cli("journal", "--format", "json", env={**env, "SAGETRIM_STATE_DIR": str(tmp_path)})
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert [e["name"] for e in doc["entries"]] == ["a"]
    why = {u["where"]: u["why"] for u in doc["unreadable"]}
    assert sorted(why) == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "nested too deeply" in why["line 5"] and "not valid JSON" in why["line 6"]
    assert "skipped 5 unreadable journal record(s)" in result.err


def test_a_region_that_cannot_be_scanned_is_reported_with_exit_4_not_as_no_findings(fleet):
    account, env, _ = fleet
    denied = account.faults.access_denied(service="sagemaker", region="eu-west-1")
    try:
        table = run_cli("act", "--regions", "eu-west-1", env=env)
        as_json = run_cli("act", "--regions", "eu-west-1", "--format", "json", env=env)
    finally:
        account.faults.remove(denied)
    assert table.code == 4, table.err
    assert "part(s) of the scan failed" in table.out and "AccessDeniedException" in table.out
    assert as_json.code == 4
    assert {e["region"] for e in json.loads(as_json.out)["errors"]} == {"eu-west-1"}
    assert "not scanned: " in as_json.err and "AccessDeniedException" in as_json.err


@pytest.mark.parametrize("regions", ["", " , ", "not-a-region"])
def test_empty_or_unknown_regions_are_bad_input_and_nothing_is_done(fleet, regions):
    account, env, _ = fleet
    account.requests.reset()
    result = run_cli("act", "--apply", "--regions", regions, env=env)
    assert result.code == 2, result.err
    assert "region" in result.err and "Traceback" not in result.err
    assert {r.service for r in account.requests.records} <= {"sts"}, "at most who-am-I was asked; nothing changed"
