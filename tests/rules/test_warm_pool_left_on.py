"""warm-pool-left-on on warm pools that were, and were not, reused."""

from __future__ import annotations

import pytest

from sagetrim.catalog import Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.fleet import Scenario, build_fleet

CATALOG = load_catalog(use_cache=False)
H = 1 / 24
GPU_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-gpu-py311"
DONE = {"status": "Completed", "hours": 1, "image": GPU_IMAGE}
JOBS = [
    # Ended half an hour ago with an hour's keep-alive, and nothing of its kind ever came back.
    {"name": "lonely", "instance_type": "ml.g5.2xlarge", "age_days": 1.5 * H, "keep_alive_s": 3600, **DONE},
    # b started six minutes after a ended: it reused a's pool; b's pool is alive now, and the pattern pays.
    {"name": "pool-a", "instance_type": "ml.m5.xlarge", "age_days": 3 * H, "keep_alive_s": 3600, **DONE},
    {"name": "pool-b", "instance_type": "ml.m5.xlarge", "age_days": 1.9 * H, "keep_alive_s": 3600, **DONE},
    # Its pool expired long ago.
    {"name": "expired", "instance_type": "ml.c5.xlarge", "age_days": 5 * H, "keep_alive_s": 600, **DONE},
    {"name": "plain", "instance_type": "ml.c5.xlarge", "age_days": 1 * H, **DONE, "hours": 0.5},
]


@pytest.fixture(scope="module")
def result(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"training_jobs": JOBS}}}))
    return run_scan(sim.session("us-east-1"), ["us-east-1"], [], CATALOG, use_cache=False,
                    rules=select(["warm-pool-left-on"]), settings=Settings())


def test_only_a_live_pool_that_nothing_reuses_is_flagged(result):
    assert [f.name for f in result.findings] == ["lonely"]


def test_live_pools_bill_and_are_in_the_inventory_as_well_as_read_for_the_rules(result):
    pools = {r.name: r for r in result.history if r.details.warm_pool and r.details.warm_pool.status == "Available"}
    assert set(pools) == {"lonely", "pool-b"}
    price = CATALOG.price("ml.g5.2xlarge", "us-east-1", Usage.TRAINING).usd
    assert pools["lonely"].usd_per_hour == pytest.approx(price + 30 * 0.14 / 730)  # instance and its volume
    assert {r.name for r in result.resources} == {"lonely", "pool-b"}, "they bill now"
    assert result.totals()["usd_per_hour"] == pytest.approx(sum(r.usd_per_hour for r in pools.values()), abs=1e-4)
    assert len([f for f in result.findings if f.name == "lonely"]) <= 1, "read once by the rules"


def test_the_saving_is_the_retained_time_priced_and_spread_over_a_month(result):
    f = result.findings[0]
    price = CATALOG.price("ml.g5.2xlarge", "us-east-1", Usage.TRAINING).usd
    assert f.monthly_savings_usd == pytest.approx(1 * price * 730 / 336)
    assert f.evidence["keep_alive_s"] == 3600 and f.evidence["reused"] == 0
    assert "KeepAlivePeriodInSeconds=0" in f.message
