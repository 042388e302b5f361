"""idle-variant: a variant that serves nothing while another serves is found; whole-idle endpoints, young ones and
endpoints with renamed variants are left to idle-endpoint or reported unknown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim import SimServer
from sagetrim.sim.fleet import Scenario, build_fleet

REGION = "us-east-1"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ENDPOINTS = [
    {"name": "ab-test-left-on", "variants": [{"traffic": "steady"}, {"traffic": "idle", "weight": 0.01}]},
    {"name": "both-busy", "variants": [{"traffic": "steady"}, {"traffic": "diurnal"}]},
    {"name": "both-idle", "variants": [{"traffic": "idle"}, {"traffic": "idle"}]},
    {"name": "single", "traffic": "idle"},
    {"name": "new-ab", "age_days": 2, "variants": [{"traffic": "steady"}, {"traffic": "idle"}]},
]


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.clock.set(NOW)
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {"endpoints": [
        {"instance_type": "ml.m5.xlarge", "instance_count": 2, "age_days": 30, **e} for e in ENDPOINTS]}}}))
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["idle-variant"]), settings=Settings(), now=NOW)


def test_given_a_variant_idle_beside_a_busy_one_then_it_alone_is_reported_with_its_cost(scan: ScanResult) -> None:
    [f] = scan.findings
    assert (f.name, f.evidence["variant"]) == ("ab-test-left-on", "variant-2")
    assert f.action.value == "notify"
    assert f.monthly_savings_usd == pytest.approx(2 * 0.23 * HOURS_PER_MONTH)  # 2 x ml.m5.xlarge
    assert f.evidence["invocations_by_variant"]["variant-1"] > 0  # type: ignore[index]
    assert "UpdateEndpoint" in f.message


def test_given_an_endpoint_younger_than_the_window_then_it_is_unknown(scan: ScanResult) -> None:
    assert [(u.name, u.reason) for u in scan.unknowns] == [("new-ab", "younger than the 7-day window")]
