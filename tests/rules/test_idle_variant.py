"""idle-variant: a variant (production or shadow) that serves nothing while another serves is found, to be removed;
whole-idle endpoints, young ones and endpoints with renamed variants are left to idle-endpoint or reported unknown;
right before the removal, the variant's invocations are read again and any traffic, or a failed read, keeps it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import idle_variant, select
from sagetrim.rules.model import Finding
from sagetrim.sim import SimServer
from sagetrim.sim.cloudwatch import metric_store
from sagetrim.sim.fleet import Scenario, build_fleet

REGION = "us-east-1"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ENDPOINTS = [
    {"name": "ab-test-left-on", "variants": [{"traffic": "steady"}, {"traffic": "idle", "weight": 0.01}]},
    {"name": "both-busy", "variants": [{"traffic": "steady"}, {"traffic": "diurnal"}]},
    {"name": "both-idle", "variants": [{"traffic": "idle"}, {"traffic": "idle"}]},
    {"name": "single", "traffic": "idle"},
    {"name": "new-ab", "age_days": 2, "variants": [{"traffic": "steady"}, {"traffic": "idle"}]},
    {"name": "shadow-left-on", "variants": [{"traffic": "steady"}, {"traffic": "idle", "shadow": True}]},
    {"name": "shadow-testing", "variants": [{"traffic": "steady"}, {"traffic": "steady", "shadow": True}]},
]


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.clock.set(NOW)
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {"endpoints": [
        {"instance_type": "ml.m5.xlarge", "instance_count": 2, "age_days": 30, **e} for e in ENDPOINTS]}}}))
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["idle-variant"]), settings=Settings(), now=NOW)


def test_given_a_variant_idle_beside_a_busy_one_then_it_alone_is_reported_with_its_cost(scan: ScanResult) -> None:
    [f, _shadow_left_on] = scan.findings
    assert (f.name, f.evidence["variant"], f.evidence["shadow"]) == ("ab-test-left-on", "variant-2", False)
    assert f.action.value == "remove-variant"
    assert f.monthly_savings_usd == pytest.approx(2 * 0.23 * HOURS_PER_MONTH)  # 2 x ml.m5.xlarge
    assert f.evidence["invocations_by_variant"]["variant-1"] > 0  # type: ignore[index]
    assert "UpdateEndpoint" in f.message


def test_given_an_endpoint_younger_than_the_window_then_it_is_unknown(scan: ScanResult) -> None:
    assert [(u.name, u.reason) for u in scan.unknowns] == [("new-ab", "younger than the 7-day window")]


def test_given_a_shadow_variant_that_gets_no_traffic_then_it_is_reported_and_a_busy_shadow_is_not(
    scan: ScanResult
) -> None:
    shadow = scan.findings[1]
    assert (shadow.name, shadow.evidence["variant"], shadow.evidence["shadow"]) == ("shadow-left-on", "variant-2",
                                                                                    True)
    assert shadow.message.startswith("shadow variant variant-2 (2 x ml.m5.xlarge) served nothing")
    assert shadow.monthly_savings_usd == pytest.approx(2 * 0.23 * HOURS_PER_MONTH)
    resource = next(r for r in scan.resources if r.name == "shadow-left-on")
    assert [(v.name, v.shadow) for v in resource.variants] == [("variant-1", False), ("variant-2", True)]
    assert resource.usd_per_hour == pytest.approx(4 * 0.23)  # the shadow's instances bill too


@pytest.fixture(scope="module")
def ab_finding(scan: ScanResult) -> Finding:
    return next(f for f in scan.findings if f.name == "ab-test-left-on")


def test_given_no_traffic_since_the_scan_then_the_recheck_lets_the_removal_go_on(
    ab_finding: Finding, sim: SimServer
) -> None:
    assert idle_variant.recheck(ab_finding, sim.client("cloudwatch", REGION), idle_variant.Params(), NOW) is None


def test_given_traffic_since_the_scan_then_the_recheck_keeps_the_variant(ab_finding: Finding, sim: SimServer) -> None:
    metric_store(sim.account_id, REGION).put_series(
        "AWS/SageMaker", "Invocations", {"EndpointName": "ab-test-left-on", "VariantName": "variant-2"},
        [NOW - timedelta(minutes=2)], sums=[3.0], counts=[3.0], minimums=[1.0], maximums=[1.0], unit="None")
    reason = idle_variant.recheck(ab_finding, sim.client("cloudwatch", REGION), idle_variant.Params(), NOW)
    assert reason == "variant variant-2 received 3 invocations in the last 7 days (rechecked just now)"


def test_given_a_failed_query_at_recheck_then_the_variant_is_kept(scan: ScanResult, sim: SimServer) -> None:
    shadow = next(f for f in scan.findings if f.name == "shadow-left-on")
    metric_store(sim.account_id, REGION).fail_reads(
        "AWS/SageMaker", "Invocations", {"EndpointName": "shadow-left-on", "VariantName": "variant-2"},
        status="Forbidden", message="no permission")
    reason = idle_variant.recheck(shadow, sim.client("cloudwatch", REGION), idle_variant.Params(), NOW)
    assert reason is not None and "Forbidden" in reason and "not acting on an unknown" in reason


def test_given_a_finding_without_a_variant_then_the_recheck_refuses(ab_finding: Finding, sim: SimServer) -> None:
    unnamed = replace(ab_finding, evidence={k: v for k, v in ab_finding.evidence.items() if k != "variant"})
    assert idle_variant.recheck(unnamed, sim.client("cloudwatch", REGION), idle_variant.Params(), NOW) == (
        "the finding names no variant to recheck")
