"""failing-endpoint: an endpoint whose requests nearly all fail bills for nothing useful; a few errors, or too few
requests, are not a finding."""

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
    {"name": "wrong-payload", "variants": [{"traffic": "steady", "error_pct": 100}]},
    {"name": "crashing-model", "variants": [{"traffic": "steady", "error_pct": 98, "error_kind": "5XX"}]},
    {"name": "some-errors", "variants": [{"traffic": "steady", "error_pct": 30}]},
    {"name": "healthy", "traffic": "steady"},
    {"name": "barely-used", "requests_per_minute": 0.05, "variants": [{"traffic": "sporadic", "error_pct": 100}]},
]


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.clock.set(NOW)
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {"endpoints": [
        {"instance_type": "ml.m5.large", "age_days": 30, **e} for e in ENDPOINTS]}}}))
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["failing-endpoint"]), settings=Settings(), now=NOW)


def test_given_endpoints_whose_requests_nearly_all_fail_then_each_is_reported_with_the_kind_of_error(
    scan: ScanResult
) -> None:
    found = {f.name: f for f in scan.findings}
    assert set(found) == {"wrong-payload", "crashing-model"}
    assert found["wrong-payload"].evidence["failed_pct"] == 100.0 and "4xx" in found["wrong-payload"].message
    assert "5xx" in found["crashing-model"].message and "callers send" not in found["crashing-model"].message
    assert found["wrong-payload"].monthly_savings_usd == pytest.approx(0.115 * HOURS_PER_MONTH)
