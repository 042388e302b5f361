"""A variant renamed by an UpdateEndpoint keeps its history: the traffic CloudWatch holds under the old name is
the endpoint's, for the hosting-mode rule as for idle-endpoint."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim import SimServer
from sagetrim.sim.fleet import Scenario, build_fleet

REGION = "us-east-1"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.clock.set(NOW)
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {"endpoints": [
        {"name": "renamed-steady", "instance_type": "ml.m5.xlarge", "requests_per_minute": 300, "age_days": 30,
         "variants": [{"traffic": "steady", "renamed_from": "blue", "renamed_days_ago": 1}]},
        {"name": "truly-sporadic", "instance_type": "ml.m5.xlarge", "traffic": "sporadic", "age_days": 30},
    ]}}}))
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["endpoint-hosting-mode"]), settings=Settings(), now=NOW)


def test_given_a_steady_endpoint_whose_variant_was_renamed_yesterday_then_it_is_not_called_sporadic(
    scan: ScanResult
) -> None:
    assert not [f for f in scan.findings if f.name == "renamed-steady"], "14 days of steady traffic: nothing to do"
    assert [f.rule for f in scan.findings if f.name == "truly-sporadic"] == ["endpoint-hosting-mode"]


def test_given_a_renamed_variant_then_the_resource_details_name_every_variant_cloudwatch_holds(
    scan: ScanResult, sim: SimServer
) -> None:
    # The scan's own inventory is as DescribeEndpoint tells it; the names CloudWatch holds are read for the rules.
    [r] = [r for r in scan.resources if r.name == "renamed-steady"]
    assert [v.name for v in r.variants] == ["AllTraffic"]
    d = r.details_as(EndpointDetails)
    assert d is not None and d.metric_variants is None
