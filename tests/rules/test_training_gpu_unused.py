"""training-gpu-unused on GPU jobs whose frameworks and GPU use are known."""

from __future__ import annotations

import pytest

from sagetrim.catalog import Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.rules.training_gpu_unused import cannot_use_gpu
from sagetrim.sim.fleet import Scenario, build_fleet

CATALOG = load_catalog(use_cache=False)
ECR = "683313688378.dkr.ecr.us-east-1.amazonaws.com"
SKLEARN = f"{ECR}/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = f"{ECR}/sagemaker-xgboost:1.7-1"
TORCH_GPU = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-gpu-py311"
DONE = {"status": "Completed", "hours": 3, "age_days": 2}
JOBS = [
    {"name": "sk", "instance_type": "ml.p3.2xlarge", "image": SKLEARN, "gpu_peak_pct": 0, **DONE},
    {"name": "xgb-cpu", "instance_type": "ml.g5.2xlarge", "image": XGBOOST, "gpu_peak_pct": 0, **DONE},
    {"name": "xgb-gpu", "instance_type": "ml.g5.2xlarge", "image": XGBOOST, "gpu_peak_pct": 60,
     "hyperparameters": {"tree_method": "gpu_hist"}, **DONE},
    {"name": "torch-idle", "instance_type": "ml.g5.2xlarge", "image": TORCH_GPU, "gpu_peak_pct": 4, **DONE},
    {"name": "torch-busy", "instance_type": "ml.g5.2xlarge", "image": TORCH_GPU, "gpu_peak_pct": 80, **DONE},
    {"name": "sk-measured-busy", "instance_type": "ml.g5.2xlarge", "image": SKLEARN, "gpu_peak_pct": 80, **DONE},
    {"name": "cpu-job", "instance_type": "ml.m5.xlarge", "image": SKLEARN, **DONE},
    {"name": "running-idle", "instance_type": "ml.g5.2xlarge", "image": TORCH_GPU, "gpu_peak_pct": 2,
     "status": "InProgress", "hours": 4, "age_days": 3 / 24},
]


@pytest.fixture(scope="module")
def findings(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"training_jobs": JOBS}}}))
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], CATALOG, use_cache=False,
                      rules=select(["training-gpu-unused"]), settings=Settings())
    return {f.name: f for f in result.findings}


def test_jobs_that_cannot_or_did_not_use_their_gpu_are_flagged(findings):
    assert set(findings) == {"sk", "xgb-cpu", "torch-idle", "running-idle"}


def test_the_reasons_name_the_framework_or_the_measured_peak(findings):
    assert "scikit-learn runs on CPUs only" in findings["sk"].evidence["reasons"]
    assert any("XGBoost" in r for r in findings["xgb-cpu"].evidence["reasons"])
    assert findings["torch-idle"].evidence["gpu_peak_pct_per_gpu"] < 10
    assert findings["torch-idle"].evidence["reasons"][0].startswith("its GPUs peaked at")


def test_the_recommendation_is_a_cheaper_cpu_type_priced_over_the_billed_hours(findings):
    for f in findings.values():
        ev = f.evidence
        itype = ev["recommended"].split(" x ")[1]
        assert CATALOG.instance(itype).accelerator is None and "training" in CATALOG.instance(itype).usages
        assert ev["usd_per_hour_after"] == pytest.approx(CATALOG.price(itype, "us-east-1", Usage.TRAINING).usd)
        window = ev["window_days"] * 24
        saving = (ev["usd_per_hour_now"] - ev["usd_per_hour_after"]) * ev["billed_hours"] * 730 / window
        assert f.monthly_savings_usd == pytest.approx(saving, rel=5e-3)


@pytest.mark.parametrize(("image", "algorithm", "settings", "expected"), [
    (SKLEARN, "", {}, "scikit-learn"),
    (XGBOOST, "", {}, "XGBoost"),
    (XGBOOST, "", {"device": "cuda"}, None),
    ("", "xgboost", {"tree_method": "hist"}, "XGBoost"),
    (TORCH_GPU, "", {}, None),
    ("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-cpu-py311", "", {}, "CPU build"),
    ("123.dkr.ecr.us-east-1.amazonaws.com/cpuless-model:1", "", {}, None),
])
def test_what_an_image_tells_about_gpu_use(image, algorithm, settings, expected):
    reason = cannot_use_gpu(image, algorithm, settings)
    assert (reason is None) if expected is None else (expected in (reason or ""))
