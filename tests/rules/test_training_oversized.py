"""training-oversized on jobs whose utilization is known, checked against the catalog by brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.catalog import Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select, sizing
from sagetrim.sim.fleet import Scenario, build_fleet

CATALOG = load_catalog(use_cache=False)
TORCH_GPU = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-gpu-py311"
DONE = {"status": "Completed", "hours": 3, "age_days": 2}
JOBS = [
    {"name": "fat", "instance_type": "ml.m5.4xlarge", "cpu_peak_pct": 5, **DONE},
    {"name": "fat-multi", "instance_type": "ml.m5.4xlarge", "instance_count": 2, "cpu_peak_pct": 5, **DONE},
    {"name": "fit", "instance_type": "ml.m5.xlarge", "cpu_peak_pct": 60, **DONE},
    {"name": "gpu-fat", "instance_type": "ml.g5.12xlarge", "image": TORCH_GPU, "cpu_peak_pct": 10,
     "gpu_peak_pct": 15, **DONE},
    {"name": "gpu-idle", "instance_type": "ml.g5.2xlarge", "image": TORCH_GPU, "gpu_peak_pct": 2, **DONE},
    {"name": "old-fat", "instance_type": "ml.m5.4xlarge", "cpu_peak_pct": 5, **DONE, "age_days": 20},
    {"name": "running-fat", "instance_type": "ml.m5.4xlarge", "cpu_peak_pct": 5, "status": "InProgress",
     "hours": 5, "age_days": 3 / 24},
    {"name": "brief", "instance_type": "ml.m5.4xlarge", "status": "Completed", "hours": 0.5, "age_days": 2},
]


@pytest.fixture(scope="module")
def scan(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"training_jobs": JOBS}}}))
    now = datetime.now(UTC)
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], CATALOG, use_cache=False, now=now,
                      rules=select(["training-oversized"]), settings=Settings())
    return result, now


def test_exactly_the_oversized_jobs_are_flagged(scan):
    result, _ = scan
    assert {f.name for f in result.findings} == {"fat", "fat-multi", "gpu-fat", "running-fat"}


def test_the_recommendation_is_the_cheapest_type_that_holds_the_busiest_host(scan, sim):
    result, now = scan
    cloudwatch = sim.client("cloudwatch")
    for f in result.findings:
        ev = f.evidence
        count, itype = ev["recommended"].split(" x ")
        assert int(count) == int(ev["current"].split(" x ")[0])  # the instance count stays
        expected = _brute_force(ev["current"].split(" x ")[1], int(count), _peaks(cloudwatch, f.name, int(count), now))
        assert CATALOG.price(itype, "us-east-1", Usage.TRAINING).usd == pytest.approx(expected), f.name
        assert all(v is None or v <= 70 for v in ev["projected_peak_pct"].values())


def test_a_gpu_job_stays_on_a_gpu_and_the_saving_is_per_run_spread_over_a_month(scan):
    result, _ = scan
    f = next(f for f in result.findings if f.name == "gpu-fat")
    assert f.evidence["gpu"] == "used" and CATALOG.instance(f.evidence["recommended"].split(" x ")[1]).has_gpu
    ev = f.evidence
    assert ev["usd_per_run_now"] == pytest.approx(ev["usd_per_hour_now"] * 3, abs=0.01)
    assert f.monthly_savings_usd == pytest.approx((ev["usd_per_run_now"] - ev["usd_per_run_after"]) * 730 / 336,
                                                  abs=0.05)


def _peaks(cloudwatch, job: str, count: int, now: datetime) -> dict[str, float]:
    end = now.replace(minute=0, second=0, microsecond=0)
    metrics = ["CPUUtilization", "MemoryUtilization", "GPUUtilization"]
    queries = [{"Id": f"m{i}_{h}", "MetricStat": {"Metric": {
        "Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": m,
        "Dimensions": [{"Name": "Host", "Value": f"{job}/algo-{h}"}]}, "Period": 3600, "Stat": "Maximum"}}
        for i, m in enumerate(metrics) for h in range(1, count + 1)]
    page = cloudwatch.get_metric_data(StartTime=end - timedelta(days=14), EndTime=end, MetricDataQueries=queries)
    out: dict[str, float] = {}
    for r in page["MetricDataResults"]:
        if r["Values"]:
            m = metrics[int(r["Id"][1:].split("_")[0])]
            out[m] = max(out.get(m, 0.0), max(r["Values"]))
    return out


def _brute_force(current: str, count: int, peaks: dict[str, float]) -> float:
    cur = CATALOG.instance(current)
    busy, memory = peaks["CPUUtilization"] / 100, peaks["MemoryUtilization"] / 100 * cur.memory_gib
    gpus = peaks.get("GPUUtilization", 0) / 100 * (sizing.GPU_SCORE[cur.accelerator.model] if cur.has_gpu else 0)
    prices = []
    for t in CATALOG.types():
        if "training" not in t.usages or t.arch != cur.arch:
            continue
        if cur.has_gpu:
            if t.category not in "GP" or not t.has_gpu or t.accelerator.model not in sizing.GPU_SCORE:
                continue
            if gpus > 0.7 * t.gpu_count * sizing.GPU_SCORE[t.accelerator.model]:
                continue
            per_gpu = cur.accelerator.memory_gib / cur.accelerator.count
            if t.accelerator.memory_gib / t.accelerator.count < per_gpu:
                continue  # GPU memory in use is not published for jobs: a GPU must hold what one holds now
        elif t.category not in "CMR" or t.accelerator is not None:
            continue
        if busy <= 0.7 * t.vcpu and memory <= 0.7 * t.memory_gib:
            prices.append(CATALOG.price(t.name, "us-east-1", Usage.TRAINING).usd)
    assert prices
    return min(prices)

