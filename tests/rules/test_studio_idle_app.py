"""studio-idle-app on Studio apps of known ages."""

from __future__ import annotations

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.fleet import Scenario, build_fleet


@pytest.fixture(scope="module")
def findings(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"studio_apps": [
        {"name": "left-on", "age_days": 10},
        {"name": "gpu-left-on", "instance_type": "ml.g5.xlarge", "app_type": "KernelGateway", "age_days": 4},
        {"name": "today", "age_days": 1},
        {"name": "server", "app_type": "JupyterServer", "instance_type": "system", "age_days": 30},
    ]}}}))
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False),
                      use_cache=False, rules=select(["studio-idle-app"]), settings=Settings())
    return {f.evidence["owner"]: f for f in result.findings}


def test_apps_running_for_days_are_flagged_and_free_or_fresh_ones_are_not(findings):
    assert set(findings) == {"left-on", "gpu-left-on"}


def test_saving_assumes_the_expected_hours_of_use(findings):
    f = findings["left-on"]
    assert f.monthly_savings_usd == pytest.approx(0.05 * (730 - 220))
    assert f.evidence["running_hours"] == pytest.approx(240, abs=0.5)
    assert "health checks" in f.evidence["activity"]
    assert findings["gpu-left-on"].evidence["app_type"] == "KernelGateway"


def test_a_shorter_threshold_is_a_setting(sim, findings):
    settings = Settings.model_validate({"rules": {"studio-idle-app": {"max_running_hours": 12}}})
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False),
                      use_cache=False, rules=select(["studio-idle-app"]), settings=settings)
    assert {f.evidence["owner"] for f in result.findings} == {"left-on", "gpu-left-on", "today"}
