"""The savings add up: a resource with several findings counts once, by the largest."""

from __future__ import annotations

from collections import defaultdict

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.sim.fleet import Scenario, build_fleet

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
FLEET = {
    "training_jobs": [
        # training-spot and training-gpu-unused both fire on these.
        {"name": "sk", "count": 2, "instance_type": "ml.p3.2xlarge", "status": "Completed", "hours": 3,
         "age_days": 2, "image": SKLEARN, "gpu_peak_pct": 0},
    ],
    "endpoints": [
        {"name": "embeddings", "instance_type": "ml.p3.2xlarge", "traffic": "steady", "gpu_peak_pct": 3},
        # oversized-endpoint and endpoint-hosting-mode (serverless) both fire on this one.
        {"name": "faq", "instance_type": "ml.m5.4xlarge", "traffic": "sporadic", "cpu_peak_pct": 10},
    ],
    "notebooks": [{"name": "old", "status": "Stopped", "volume_gb": 100, "age_days": 60}],
}


@pytest.fixture(scope="module")
def result(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": FLEET}}))
    return run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False),
                    use_cache=False, settings=Settings())


def test_resources_with_two_findings_exist_in_this_fleet(result):
    rules_of = defaultdict(set)
    for f in result.findings:
        rules_of[f.name].add(f.rule)
    assert rules_of["sk-0000"] == {"training-spot", "training-gpu-unused"}
    assert rules_of["faq"] >= {"oversized-endpoint", "endpoint-hosting-mode"}


def test_the_total_counts_each_resource_once_by_its_largest_finding(result):
    largest: dict[str, float] = {}
    for f in result.findings:
        largest[f.arn] = max(largest.get(f.arn, 0.0), f.monthly_savings_usd)
    savings = result.savings()
    assert savings["monthly_usd"] == pytest.approx(sum(largest.values()), abs=0.01)
    assert savings["resources"] == len(largest) < savings["findings"] == len(result.findings)
    naive = sum(f.monthly_savings_usd for f in result.findings)
    assert savings["monthly_usd"] < naive  # adding every finding would count twice
    for rule, total in savings["by_rule"].items():
        assert total == pytest.approx(sum(f.monthly_savings_usd for f in result.findings if f.rule == rule), abs=0.01)


def test_the_job_is_counted_by_the_larger_of_its_two_savings(result):
    sk = [f for f in result.findings if f.name == "sk-0000"]
    gpu = next(f for f in sk if f.rule == "training-gpu-unused")
    spot = next(f for f in sk if f.rule == "training-spot")
    assert gpu.monthly_savings_usd > spot.monthly_savings_usd  # a CPU type saves more than spot on the GPU
    others = {f.arn: f.monthly_savings_usd for f in result.findings if f.name != "sk-0000"}
    largest: dict[str, float] = {}
    for arn, value in others.items():
        largest[arn] = max(largest.get(arn, 0.0), value)
    rest = sum(max(f.monthly_savings_usd for f in result.findings if f.arn == arn) for arn in largest)
    assert result.savings()["monthly_usd"] == pytest.approx(rest + gpu.monthly_savings_usd, abs=0.01)
