"""Scale-to-zero: an asynchronous endpoint scaled in to no instance (AWS's documented pattern) bills nothing,
so no rule fails on it, none reports a $0.00 saving, and `rightsize` explains it instead of failing."""

from __future__ import annotations

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.rightsize import run_rightsize
from sagetrim.pipeline.scan import run_scan
from sagetrim.sim import SimServer
from sagetrim.sim.fleet import Scenario, build_fleet

REGION = "us-east-1"


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {"endpoints": [
        {"name": "async-zero-idle", "asynchronous": True, "instance_count": 0, "traffic": "idle",
         "instance_type": "ml.g5.xlarge"},
        {"name": "async-zero-sporadic", "asynchronous": True, "instance_count": 0, "traffic": "sporadic",
         "instance_type": "ml.g5.xlarge"},
    ]}}}))
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    settings=Settings())


def test_given_endpoints_scaled_to_zero_when_every_rule_runs_then_no_error_and_no_zero_dollar_finding(
    scan: ScanResult
) -> None:
    assert {r.name: r.usd_per_hour for r in scan.resources} == {"async-zero-idle": 0.0, "async-zero-sporadic": 0.0}
    assert scan.errors == []
    assert scan.findings == [], "nothing to save on what bills nothing"


def test_given_an_endpoint_scaled_to_zero_when_rightsized_then_it_is_explained_without_an_error(
    scan: ScanResult, sim: SimServer
) -> None:
    explanation = run_rightsize(sim.session(REGION), "async-zero-sporadic", [REGION], load_catalog(use_cache=False),
                                Settings())
    assert "async-zero-sporadic" in str(explanation.to_json())


def test_given_a_real_time_endpoint_with_zero_instances_when_described_then_the_fleet_refuses_it() -> None:
    with pytest.raises(ValueError, match="only an asynchronous endpoint scales in to zero"):
        Scenario.model_validate({"regions": {REGION: {"endpoints": [{"name": "x", "instance_count": 0}]}}})
