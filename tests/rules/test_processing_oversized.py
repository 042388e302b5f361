"""processing-oversized on processing jobs whose utilization is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.catalog import Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.fleet import Scenario, build_fleet

CATALOG = load_catalog(use_cache=False)
DONE = {"status": "Completed", "hours": 3, "age_days": 2}
JOBS = [
    {"name": "pfat", "instance_type": "ml.m5.4xlarge", "instance_count": 2, "cpu_peak_pct": 5, **DONE},
    {"name": "pfit", "instance_type": "ml.m5.xlarge", "cpu_peak_pct": 60, **DONE},
    {"name": "pgpu", "instance_type": "ml.g4dn.xlarge", "cpu_peak_pct": 10, "gpu_peak_pct": 1, **DONE},
    {"name": "prun", "instance_type": "ml.m5.4xlarge", "cpu_peak_pct": 5, "status": "InProgress", "hours": 5,
     "age_days": 3 / 24},
    {"name": "pold", "instance_type": "ml.m5.4xlarge", "cpu_peak_pct": 5, **DONE, "age_days": 20},
]


@pytest.fixture(scope="module")
def scan(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"processing_jobs": JOBS}}}))
    now = datetime.now(UTC)
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], CATALOG, use_cache=False, now=now,
                      rules=select(["processing-oversized"]), settings=Settings())
    return result, now


def test_exactly_the_oversized_processing_jobs_are_flagged(scan):
    result, _ = scan
    assert {f.name for f in result.findings} == {"pfat", "pgpu", "prun"}
    assert {r.name for r in result.history} == {"pfat", "pfit", "pgpu"}


def test_each_recommendation_is_the_cheapest_processing_type_that_holds_the_peaks(scan, sim):
    result, now = scan
    cloudwatch = sim.client("cloudwatch")
    for f in result.findings:
        ev = f.evidence
        count, itype = ev["recommended"].split(" x ")
        assert count == ev["current"].split(" x ")[0]
        cpu, memory = _peaks(cloudwatch, f.name, int(count), now)
        current = CATALOG.instance(ev["current"].split(" x ")[1])
        busy, used = cpu / 100, memory / 100 * current.memory_gib
        if ev["gpu"] == "unused":
            assert CATALOG.instance(itype).accelerator is None
        cheapest = min(CATALOG.price(t.name, "us-east-1", Usage.PROCESSING).usd for t in CATALOG.types()
                       if "processing" in t.usages and t.arch == "x86_64" and t.category in "CMR"
                       and t.accelerator is None and busy <= 0.7 * t.vcpu and used <= 0.7 * t.memory_gib)
        assert CATALOG.price(itype, "us-east-1", Usage.PROCESSING).usd == pytest.approx(cheapest), f.name


def test_the_saving_covers_every_instance_of_the_job(scan):
    result, _ = scan
    f = next(f for f in result.findings if f.name == "pfat")
    ev = f.evidence
    assert ev["usd_per_hour_now"] == pytest.approx(2 * CATALOG.price("ml.m5.4xlarge", "us-east-1",
                                                                     Usage.PROCESSING).usd)
    assert f.monthly_savings_usd == pytest.approx((ev["usd_per_hour_now"] - ev["usd_per_hour_after"]) * 3 * 730 / 336,
                                                  rel=1e-3)


def _peaks(cloudwatch, job: str, count: int, now: datetime) -> tuple[float, float]:
    end = now.replace(minute=0, second=0, microsecond=0)
    queries = [{"Id": f"{m[0].lower()}{h}", "MetricStat": {"Metric": {
        "Namespace": "/aws/sagemaker/ProcessingJobs", "MetricName": m,
        "Dimensions": [{"Name": "Host", "Value": f"{job}/algo-{h}"}]}, "Period": 3600, "Stat": "Maximum"}}
        for m in ("CPUUtilization", "MemoryUtilization") for h in range(1, count + 1)]
    page = cloudwatch.get_metric_data(StartTime=end - timedelta(days=14), EndTime=end, MetricDataQueries=queries)
    cpu = max(max(r["Values"]) for r in page["MetricDataResults"] if r["Id"].startswith("c"))
    memory = max(max(r["Values"]) for r in page["MetricDataResults"] if r["Id"].startswith("m"))
    return cpu, memory
