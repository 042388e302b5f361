"""Canvas apps: each logged-in user's workspace instance bills at the Canvas rate (the pricing page's figure in
us-east-1, an estimate elsewhere, never $0), listed as canvas-app; one left logged in for days is found."""

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

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
CATALOG = load_catalog(use_cache=False)
APPS = [{"name": "analyst", "app_type": "Canvas", "age_days": 4},  # logged in since Saturday
        {"name": "new-hire", "app_type": "Canvas", "age_days": 0.2},
        {"name": "dev", "app_type": "JupyterLab", "age_days": 0.5}]


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.clock.set(NOW)
    build_fleet(sim, Scenario.model_validate({"regions": {
        "us-east-1": {"studio_apps": APPS}, "eu-west-1": {"studio_apps": [APPS[0]]}}}))
    return run_scan(sim.session("us-east-1"), ["us-east-1", "eu-west-1"], [], CATALOG, use_cache=False,
                    rules=select(["studio-idle-app"]), settings=Settings(), now=NOW)


def _owner(name: str) -> str:
    return name.split("/")[1]


def test_given_canvas_users_logged_in_then_each_is_a_canvas_app_billed_at_the_workspace_rate(scan: ScanResult) -> None:
    canvas = {(r.region, _owner(r.name)): r for r in scan.resources if r.kind.value == "canvas-app"}
    assert set(canvas) == {("us-east-1", "analyst"), ("us-east-1", "new-hire"), ("eu-west-1", "analyst")}
    east = canvas["us-east-1", "analyst"]
    assert (east.usd_per_hour, east.price_exact, east.instance_count) == (1.90, True, 1)
    west = canvas["eu-west-1", "analyst"]
    assert west.usd_per_hour > 0 and west.price_exact is False  # scaled by the region's ratio: an estimate
    assert CATALOG.canvas_price("eu-west-1").basis.startswith("Canvas workspace instance: us-east-1 list price")
    assert [r.kind.value for r in scan.resources if _owner(r.name) == "dev"] == ["studio-app"]


def test_given_a_canvas_user_logged_in_for_days_then_studio_idle_app_finds_it_at_the_canvas_rate(
    scan: ScanResult
) -> None:
    found = {(f.region, _owner(f.name)): f for f in scan.findings}
    assert set(found) == {("us-east-1", "analyst"), ("eu-west-1", "analyst")}
    f = found["us-east-1", "analyst"]
    assert f.kind == "canvas-app" and f.message.startswith("Canvas app logged in for 4.0 days")
    assert f.monthly_savings_usd == pytest.approx(1.90 * (HOURS_PER_MONTH - 220))


def test_given_canvas_apps_then_the_totals_have_a_canvas_stage(scan: ScanResult) -> None:
    from sagetrim.inventory.model import STAGE_OF_KIND, Kind

    assert STAGE_OF_KIND[Kind.CANVAS_APP] == "canvas"
    east = [r for r in scan.resources if r.kind.value == "canvas-app" and r.region == "us-east-1"]
    assert sum(r.usd_per_hour for r in east) == pytest.approx(2 * 1.90)
