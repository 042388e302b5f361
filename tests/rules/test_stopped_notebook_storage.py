"""stopped-notebook-storage on notebook instances stopped for known times."""

from __future__ import annotations

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.fleet import Scenario, build_fleet


@pytest.fixture(scope="module")
def findings(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"notebooks": [
        {"name": "abandoned", "status": "Stopped", "volume_gb": 50, "age_days": 30},
        {"name": "weekend", "status": "Stopped", "volume_gb": 50, "age_days": 3},
        {"name": "running", "volume_gb": 50, "age_days": 30},
    ]}}}))
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False),
                      use_cache=False, rules=select(["stopped-notebook-storage"]), settings=Settings())
    return {f.name: f for f in result.findings}


def test_only_a_notebook_stopped_for_weeks_is_flagged(findings):
    assert set(findings) == {"abandoned"}


def test_the_saving_is_its_volume_price(findings):
    f = findings["abandoned"]
    assert f.monthly_savings_usd == pytest.approx(50 * 0.14)
    assert f.evidence["volume_gb"] == 50 and f.evidence["stopped_days"] == pytest.approx(30, abs=0.1)
    assert f.evidence["billed_since_stopped_usd"] == pytest.approx(50 * 0.14 / 730 * 30 * 24, abs=0.01)
    assert f.action.value == "notify" and "S3" in f.message
