"""training-spot on ended jobs whose answers are known; also how the scan reads the job history."""

from __future__ import annotations

import pytest

from sagetrim.catalog import Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.fleet import Scenario, build_fleet

CATALOG = load_catalog(use_cache=False)
JOB = {"instance_type": "ml.m5.4xlarge", "status": "Completed", "hours": 3, "age_days": 2}
JOBS = [
    {"name": "od", **JOB},
    {"name": "od-multi", **JOB, "instance_type": "ml.m5.2xlarge", "instance_count": 2, "hours": 2},
    {"name": "spot", **JOB, "spot": True},
    {"name": "short", **JOB, "hours": 0.1},
    {"name": "old", **JOB, "age_days": 20},
    {"name": "running", **JOB, "status": "InProgress", "age_days": 0.1},
    {"name": "stopped", **JOB, "status": "Stopped"},
    {"name": "failed-late", **JOB, "status": "Failed", "hours": 4},
    {"name": "pooled", **JOB, "keep_alive_s": 600},
    {"name": "optout", **JOB, "tags": {"sagetrim:exclude": "true"}},
]


def _scan(sim, use_cache: bool = False):
    return run_scan(sim.session("us-east-1"), ["us-east-1"], [], CATALOG, use_cache=use_cache,
                    rules=select(["training-spot"]), settings=Settings())


@pytest.fixture(scope="module")
def scan(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"training_jobs": JOBS}}}))
    sim.requests.reset()
    result = _scan(sim)
    return result, dict(sim.requests.counts())


def test_on_demand_jobs_of_the_window_that_billed_are_flagged_however_they_ended(scan):
    result, _ = scan
    assert {f.name for f in result.findings} == {"od", "od-multi", "stopped", "failed-late"}
    failed = next(f for f in result.findings if f.name == "failed-late")
    assert failed.evidence["status"] == "Failed" and failed.evidence["billable_hours"] == 4
    assert failed.message.startswith("failed after it ran 4.0 h")
    assert [arn.rsplit("/", 1)[-1] for arn in result.excluded] == ["optout"]


def test_the_saving_is_the_spot_discount_over_the_billed_hours_spread_over_a_month(scan):
    result, _ = scan
    f = next(f for f in result.findings if f.name == "od-multi")
    on_demand = CATALOG.price("ml.m5.2xlarge", "us-east-1", Usage.TRAINING).usd
    spot = CATALOG.price("ml.m5.2xlarge", "us-east-1", Usage.SPOT_TRAINING).usd
    assert f.evidence["saving_usd"] == pytest.approx((on_demand - spot) * 2 * 2, abs=0.01)
    assert f.monthly_savings_usd == pytest.approx((on_demand - spot) * 2 * 2 * 730 / (14 * 24))
    assert f.evidence["window_days"] == 14 and f.evidence["billable_hours"] == 2
    assert f.evidence["observed_spot_saving_pct"] == pytest.approx(70.0)  # from the account's own spot job
    assert any("checkpoints" in a for a in f.evidence["assumptions"])


def test_history_is_read_for_the_rules_but_kept_out_of_the_inventory(scan):
    result, counts = scan
    assert {r.name for r in result.history} == {"od", "od-multi", "spot", "short", "stopped", "failed-late", "pooled",
                                                "optout"}
    assert {r.name for r in result.resources} == {"running"}
    assert result.totals()["resources"] == 1
    assert all(r.usd_per_hour == 0 and r.details.finished for r in result.history)
    od = next(r for r in result.history if r.name == "od")
    assert od.details.billable_s == 3 * 3600 and od.instance_type == "ml.m5.4xlarge"
    assert counts["sagemaker:DescribeTrainingJob"] == 8 + 1  # the finished jobs, and the running one (scan)
    assert counts["sagemaker:ListTrainingJobs"] == 3  # running (scan), recent, warm pools


def test_finished_jobs_are_described_once(sim, scan):
    _scan(sim, use_cache=True)
    sim.requests.reset()
    again = _scan(sim, use_cache=True)
    assert "sagemaker:DescribeTrainingJob" not in dict(sim.requests.counts())
    assert {f.name for f in again.findings} == {"od", "od-multi", "stopped", "failed-late"}


def test_no_rule_needing_history_means_only_the_warm_pools_that_bill_are_read(sim, scan):
    sim.requests.reset()
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], CATALOG, use_cache=False,
                      rules=select(["idle-endpoint"]), settings=Settings())
    assert all(r.details.warm_pool and r.details.warm_pool.status == "Available" for r in result.history)
    counts = dict(sim.requests.counts())
    assert counts["sagemaker:ListTrainingJobs"] == 2  # the running jobs, and the Available warm pools
    assert "sagemaker:ListProcessingJobs" in counts and counts["sagemaker:ListProcessingJobs"] == 1  # running only
