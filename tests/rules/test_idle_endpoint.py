"""idle-endpoint on 250 endpoints in two regions whose answers are known."""

from __future__ import annotations

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.fleet import Scenario, build_fleet

REGIONS = ["us-east-1", "eu-west-1"]
# Per region: group -> (count, spec); 125 endpoints a region.
GROUPS = {
    "idle": (40, {"traffic": "idle", "age_days": 20}),
    "busy": (30, {"traffic": "steady", "requests_per_minute": 50}),
    "diurnal": (10, {"traffic": "diurnal", "requests_per_minute": 200}),
    "ab": (10, {"variants": [{"traffic": "steady"}, {"traffic": "idle"}]}),
    "abidle": (5, {"variants": [{"traffic": "idle"}, {"traffic": "idle"}]}),
    "young": (10, {"traffic": "idle", "age_days": 1 / 24}),
    "serverless": (5, {"traffic": "idle", "serverless_memory_mb": 2048}),
    "optout": (5, {"traffic": "idle", "tags": {"sagetrim:exclude": "true"}}),
    "asyncidle": (5, {"traffic": "idle", "asynchronous": True}),
    "asyncbusy": (5, {"traffic": "steady", "asynchronous": True}),
}
IDLE_GROUPS = {"idle", "abidle", "asyncidle"}


@pytest.fixture(scope="module")
def result(sim):
    scenario = Scenario.model_validate({"regions": {region: {"endpoints": [
        {"name": f"{group}-{region}", "count": count, "instance_type": "ml.m5.large", **spec}
        for group, (count, spec) in GROUPS.items()]} for region in REGIONS}})
    build_fleet(sim, scenario)
    sim.requests.reset()
    scan = run_scan(sim.session("us-east-1"), REGIONS, [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["idle-endpoint"]), settings=Settings())
    return scan, dict(sim.requests.counts())


def group_of(name: str) -> str:
    return name.split("-", 1)[0]


def test_the_idle_set_is_exactly_the_idle_endpoints(result):
    scan, _ = result
    assert len(scan.resources) == 250
    flagged = {f.name for f in scan.findings}
    expected = {r.name for r in scan.resources if group_of(r.name) in IDLE_GROUPS}
    assert flagged == expected
    assert len(expected) == 2 * (40 + 5 + 5)


def test_opted_out_endpoints_are_skipped_and_counted(result):
    scan, _ = result
    assert len(scan.excluded) == 10
    assert all(group_of(arn.rsplit("/", 1)[-1]) == "optout" for arn in scan.excluded)


def test_findings_carry_evidence_and_savings(result):
    scan, _ = result
    f = next(f for f in scan.findings if f.name.startswith("idle-us-east-1"))
    assert f.monthly_savings_usd == pytest.approx(0.115 * 730)
    assert f.evidence["invocations"] == 0 and f.evidence["window_hours"] == 24
    assert f.evidence["variants"] == [{"variant": "AllTraffic", "invocations": 0, "current": True}]
    assert f.action.value == "delete-endpoint" and f.region == "us-east-1"
    doc = scan.to_json()["findings"][0]
    for key in ("rule", "name", "arn", "region", "monthly_savings_usd", "evidence", "action"):
        assert key in doc


def test_the_idle_check_costs_a_handful_of_requests(result):
    _, counts = result
    # 250 endpoints, ~265 variant queries of 14 days hour by hour: one GetMetricData call per region; one
    # ListMetrics per region for the variant names CloudWatch holds; one tagging call per region.
    assert counts["cloudwatch:GetMetricData"] == 2
    assert counts["cloudwatch:ListMetrics"] == 2
    assert counts["resourcegroupstaggingapi:GetResources"] == 2
    assert not any(op.startswith("cloudwatch:") and op not in ("cloudwatch:GetMetricData", "cloudwatch:ListMetrics")
                   for op in counts)


def test_a_longer_window_is_a_setting(sim, result):
    settings = Settings.model_validate({"rules": {"idle-endpoint": {"hours": 72}}})
    scan = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["idle-endpoint"]), settings=settings)
    assert all(f.evidence["window_hours"] == 72 for f in scan.findings)
    assert {group_of(f.name) for f in scan.findings} == IDLE_GROUPS
