"""idle-endpoint judges an endpoint on its history: a forgotten endpoint is proposed for deletion, one used
now and then gets cheaper hosting, a renamed variant keeps its history, and what cannot be read is unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.actions.executor import carry_out
from sagetrim.actions.journal import Journal
from sagetrim.actions.state import LocalStore
from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import idle_endpoint, select
from sagetrim.rules.model import Action, Finding
from sagetrim.sim import SimServer
from sagetrim.sim.cloudwatch import metric_store
from sagetrim.sim.fleet import Scenario, build_fleet

REGION = "us-east-1"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday: the weekly job last ran 4 days ago
PRICE = 0.115  # ml.m5.large hosting, us-east-1
ENDPOINTS = [
    {"name": "forgotten", "traffic": "idle", "age_days": 30},
    {"name": "weekly-report", "traffic": "weekly", "age_days": 30},
    {"name": "renamed-weekly", "age_days": 30,
     "variants": [{"traffic": "weekly", "renamed_from": "blue", "renamed_days_ago": 2}]},
    {"name": "busy", "traffic": "steady"},
    {"name": "new-never-called", "traffic": "idle", "age_days": 3},
    {"name": "just-created", "traffic": "idle", "age_days": 2 / 24},
    {"name": "unreadable", "traffic": "idle", "age_days": 30},
]


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.clock.set(NOW)
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {"endpoints": [
        {"instance_type": "ml.m5.large", **e} for e in ENDPOINTS]}}}))
    metric_store(sim.account_id, REGION).fail_reads("AWS/SageMaker", "Invocations",
                                                    {"EndpointName": "unreadable", "VariantName": "AllTraffic"})
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["idle-endpoint"]), settings=Settings(), now=NOW)


def findings(scan: ScanResult) -> dict[str, Finding]:
    return {f.name: f for f in scan.findings}


def test_given_an_endpoint_without_invocations_for_the_whole_lookback_then_its_deletion_is_proposed(
    scan: ScanResult
) -> None:
    f = findings(scan)["forgotten"]
    assert f.action is Action.DELETE_ENDPOINT
    assert f.monthly_savings_usd == pytest.approx(PRICE * HOURS_PER_MONTH)
    assert f.evidence["last_invocation"] is None and f.evidence["pattern"] == "unused"
    assert f.evidence["lookback_days"] == 14 and f.evidence["idle_days"] == 14


def test_given_an_endpoint_used_every_saturday_then_it_gets_cheaper_hosting_not_a_delete(scan: ScanResult) -> None:
    f = findings(scan)["weekly-report"]
    assert f.action is Action.NOTIFY
    assert f.evidence["pattern"] == "periodic"
    assert f.evidence["last_invocation"] == "2026-11-21T11:00:00+00:00"
    # Two Saturdays of two busy hours in 14 days: 4 h, or 8.7 h a month; the rest of the month is saved.
    busy_per_month = 4 / 14 * HOURS_PER_MONTH / 24
    assert f.evidence["busy_hours"] == 4
    assert f.monthly_savings_usd == pytest.approx(PRICE * (HOURS_PER_MONTH - busy_per_month))
    assert "scale-to-zero" in f.message and "Deleting is proposed after 7 days" in f.message


def test_given_a_variant_renamed_since_its_last_use_then_its_history_under_the_old_name_counts(
    scan: ScanResult
) -> None:
    f = findings(scan)["renamed-weekly"]
    assert f.action is Action.NOTIFY, "without the old name's history it would look unused for 14 days"
    assert f.evidence["last_invocation"] == "2026-11-21T11:00:00+00:00"
    variants = {v["variant"]: v for v in f.evidence["variants"]}  # type: ignore[union-attr,index]
    assert variants["blue"]["current"] is False and variants["blue"]["invocations"] > 0
    assert variants["AllTraffic"]["current"] is True and variants["AllTraffic"]["invocations"] == 0


def test_given_an_endpoint_never_called_since_it_was_made_days_ago_then_it_is_flagged_but_not_yet_deleted(
    scan: ScanResult
) -> None:
    f = findings(scan)["new-never-called"]
    assert f.action is Action.NOTIFY and f.evidence["pattern"] == "never used"
    assert f.monthly_savings_usd == pytest.approx(PRICE * HOURS_PER_MONTH)


def test_given_busy_endpoints_then_no_finding(scan: ScanResult) -> None:
    assert "busy" not in findings(scan)


def test_given_an_endpoint_younger_than_the_window_or_unreadable_then_it_is_unknown_with_the_reason(
    scan: ScanResult
) -> None:
    unknown = {u.name: u.reason for u in scan.unknowns}
    assert set(unknown) == {"just-created", "unreadable"}
    assert "younger than the 24 h window" in unknown["just-created"]
    assert "CloudWatch answered InternalError" in unknown["unreadable"]
    assert "unreadable" not in findings(scan) and "just-created" not in findings(scan)
    doc = scan.to_json()["unknown"]["idle-endpoint"]
    assert sorted(u["name"] for u in doc) == ["just-created", "unreadable"]
    assert scan.errors == [], "an unknown is not an error"


def test_given_a_failed_query_at_recheck_then_the_endpoint_is_not_deleted(
    scan: ScanResult, sim: SimServer, tmp_path: object
) -> None:
    forgotten = findings(scan)["forgotten"]
    store = metric_store(sim.account_id, REGION)
    store.fail_reads("AWS/SageMaker", "Invocations", {"EndpointName": "forgotten", "VariantName": "AllTraffic"},
                     status="Forbidden", message="no permission")
    params = idle_endpoint.Params()

    reason = idle_endpoint.recheck(forgotten, sim.client("cloudwatch", REGION), params, NOW + timedelta(minutes=5))

    assert reason is not None and "Forbidden" in reason and "not acting" in reason
    state = LocalStore(tmp_path / "state")  # type: ignore[operator]
    [outcome] = carry_out([forgotten], session_for=lambda account, region: sim.session(region), store=state,
                          journal=Journal(state), apply=True,
                          recheck=lambda f: idle_endpoint.recheck(f, sim.client("cloudwatch", REGION), params,
                                                                  NOW + timedelta(minutes=5)))
    assert outcome.status == "skipped" and "Forbidden" in outcome.reason
    names = [e["EndpointName"] for e in sim.client("sagemaker", REGION).list_endpoints()["Endpoints"]]
    assert "forgotten" in names


def test_given_unknowns_then_the_table_and_the_html_report_count_them(scan: ScanResult) -> None:
    from sagetrim.report.html import render_html
    from sagetrim.report.scan import scan_view
    from sagetrim.report.terminal import SafeConsole

    console = SafeConsole(record=True, width=80)
    console.print(scan_view(scan))
    text = " ".join(console.export_text().split())
    assert "2 resource(s) could not be judged by idle-endpoint" in text
    assert "2 resource(s) could not be judged (2 by idle-endpoint)" in render_html(scan)
