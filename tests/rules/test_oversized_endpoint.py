"""oversized-endpoint on a fleet whose answers are known, checked against the catalog by brute force."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.aws.metrics import fetch_metrics
from sagetrim.catalog import Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select, sizing
from sagetrim.sim.fleet import Scenario, build_fleet

CATALOG = load_catalog(use_cache=False)
OPT_OUT = {"sagetrim:exclude": "true"}
ENDPOINTS = [
    {"name": "big", "instance_type": "ml.m5.4xlarge", "traffic": "steady", "cpu_peak_pct": 10},
    {"name": "many", "instance_type": "ml.c5.xlarge", "instance_count": 4, "traffic": "steady", "cpu_peak_pct": 20},
    {"name": "busy", "instance_type": "ml.m5.large", "traffic": "high", "cpu_peak_pct": 60},
    {"name": "snug", "instance_type": "ml.c5.2xlarge", "instance_count": 3, "traffic": "diurnal",
     "requests_per_minute": 900, "cpu_peak_pct": 55},
    {"name": "gpuidle", "instance_type": "ml.g5.2xlarge", "traffic": "steady", "gpu_peak_pct": 3, "cpu_peak_pct": 10},
    {"name": "p3", "instance_type": "ml.p3.2xlarge", "traffic": "high", "gpu_peak_pct": 50, "cpu_peak_pct": 10},
    {"name": "idle", "instance_type": "ml.m5.4xlarge", "traffic": "idle"},
    {"name": "young", "instance_type": "ml.m5.4xlarge", "traffic": "steady", "cpu_peak_pct": 10, "age_days": 2},
    {"name": "serverless", "serverless_memory_mb": 2048, "traffic": "sporadic"},
    {"name": "optout", "instance_type": "ml.m5.4xlarge", "traffic": "steady", "cpu_peak_pct": 10, "tags": OPT_OUT},
    {"name": "ab", "instance_type": "ml.m5.4xlarge", "cpu_peak_pct": 10,
     "variants": [{"traffic": "steady"}, {"traffic": "idle"}]},
]
OVERSIZED = {"big", "many", "gpuidle", "p3", "ab"}


@pytest.fixture(scope="module")
def scan(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"endpoints": ENDPOINTS}}}))
    _blind_endpoint(sim)
    sim.requests.reset()
    now = datetime.now(UTC)
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], CATALOG, use_cache=False, now=now,
                      rules=select(["oversized-endpoint"]), settings=Settings())
    return result, now, dict(sim.requests.counts())


def _blind_endpoint(sim) -> None:
    """An endpoint with invocations but no utilization metrics published."""
    from sagetrim.sim import sagemaker_fixes
    from sagetrim.sim.cloudwatch import metric_store

    sm = sim.client("sagemaker")
    role = "arn:aws:iam::123456789012:role/x"
    sm.create_model(ModelName="blind", ExecutionRoleArn=role, PrimaryContainer={"Image": "img:1"})
    sm.create_endpoint_config(EndpointConfigName="blind", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "blind", "InstanceType": "ml.m5.4xlarge",
         "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="blind", EndpointConfigName="blind")
    when = sim.clock.now() - timedelta(days=30)
    sagemaker_fixes.set_creation_time(sim.account_id, "us-east-1", "endpoint", "blind", when, last_modified=when)
    hours = [sim.clock.now() - timedelta(hours=h) for h in range(1, 300)]
    metric_store(sim.account_id, "us-east-1").put_series(
        "AWS/SageMaker", "Invocations", {"EndpointName": "blind", "VariantName": "AllTraffic"}, hours,
        sums=[600.0] * len(hours), counts=60, minimums=0.0, maximums=20.0)


def findings(scan) -> dict[str, object]:
    result, _, _ = scan
    return {f.name: f for f in result.findings}


def test_exactly_the_oversized_endpoints_are_flagged(scan):
    assert set(findings(scan)) == OVERSIZED
    result, _, _ = scan
    assert [arn.rsplit("/", 1)[-1] for arn in result.excluded] == ["optout"]


def test_each_recommendation_is_the_cheapest_type_and_count_that_fits_the_observed_peaks(scan, sim):
    _, now, _ = scan
    cloudwatch = sim.client("cloudwatch")
    for name, f in findings(scan).items():
        for part in f.evidence["variants"]:
            current, count = part["current"].split(" x ")[1], int(part["current"].split(" x ")[0])
            peaks = _peaks(cloudwatch, name, part["variant"], now)
            expected = _brute_force(current, count, peaks)
            n, itype = part["recommended"].split(" x ")
            price = CATALOG.price(itype, "us-east-1", Usage.HOSTING).usd * int(n)
            assert price == pytest.approx(expected[0]), (name, part["recommended"], expected)
            assert part["usd_per_hour_after"] == pytest.approx(price, abs=1e-4)
            assert all(v is None or v <= 70.0 for v in part["projected_peak_pct"].values()), name


def test_the_shapes_of_the_answers(scan):
    f = findings(scan)
    many = f["many"].evidence["variants"][0]
    assert int(many["recommended"].split(" x ")[0]) >= 2  # a multi-instance variant keeps two
    gpuidle = f["gpuidle"].evidence["variants"][0]
    assert gpuidle["gpu"] == "unused"
    assert CATALOG.instance(gpuidle["recommended"].split(" x ")[1]).accelerator is None
    assert any(a["instance_type"].startswith("ml.inf") for a in f["gpuidle"].evidence["alternatives"])
    p3 = f["p3"].evidence["variants"][0]
    assert p3["gpu"] == "used" and CATALOG.instance(p3["recommended"].split(" x ")[1]).category == "G"
    assert "P-family" in p3["reason"]
    assert [v["variant"] for v in f["ab"].evidence["variants"]] == ["variant-1"]  # the idle variant is not resized


def test_evidence_has_numbers_and_the_saving_is_the_price_difference(scan):
    for f in findings(scan).values():
        parts = f.evidence["variants"]
        assert f.monthly_savings_usd == pytest.approx(
            sum((p["usd_per_hour_now"] - p["usd_per_hour_after"]) * 730 for p in parts), abs=0.05)
        assert f.evidence["target_peak_pct"] == 70 and f.evidence["window_days"] == 14
        for p in parts:
            assert p["profile"]["hours_of_data"] >= 168
            assert p["profile"]["peak_vcpus_busy"] > 0 and p["profile"]["peak_memory_gib"] > 0
        assert f.evidence["assumptions"] and f"sagetrim rightsize {f.name}" in f.message


def test_the_metrics_come_in_one_batched_call(scan):
    _, _, counts = scan
    assert counts["cloudwatch:GetMetricData"] == 1
    assert not any(op.startswith("cloudwatch:") and op != "cloudwatch:GetMetricData" for op in counts)


def test_explain_agrees_with_the_rule(scan, sim):
    result, now, _ = scan
    big = next(r for r in result.resources if r.name == "big")
    metrics = fetch_metrics(sim.client("cloudwatch"), sizing.profile_queries(big, now, CATALOG))
    doc = sizing.explain(big, metrics, CATALOG).to_json()
    rule = findings(scan)["big"].evidence["variants"][0]
    part = doc["parts"][0]
    assert doc["status"] == "resize"
    assert f"{part['recommended']['instance_count']} x {part['recommended']['instance_type']}" == rule["recommended"]
    assert doc["monthly_saving_usd"] == pytest.approx(findings(scan)["big"].monthly_savings_usd, abs=0.01)


def test_a_stricter_headroom_is_a_setting(sim, scan):
    _, now, _ = scan
    settings = Settings.model_validate({"rules": {"oversized-endpoint": {"target_peak_pct": 40}}})
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], CATALOG, use_cache=False, now=now,
                      rules=select(["oversized-endpoint"]), settings=settings)
    assert result.findings
    for f in result.findings:
        assert f.evidence["target_peak_pct"] == 40
        assert all(v is None or v <= 40.0 for p in f.evidence["variants"] for v in p["projected_peak_pct"].values())


def _peaks(cloudwatch, endpoint: str, variant: str, now: datetime) -> dict[str, float]:
    """The highest hourly maximum of each utilization metric over 14 days, read straight from CloudWatch."""
    end = now.replace(minute=0, second=0, microsecond=0)
    metrics = ["CPUUtilization", "MemoryUtilization", "GPUUtilization", "GPUMemoryUtilization"]
    page = cloudwatch.get_metric_data(StartTime=end - timedelta(days=14), EndTime=end, MetricDataQueries=[
        {"Id": f"m{i}", "MetricStat": {"Metric": {"Namespace": "/aws/sagemaker/Endpoints", "MetricName": m,
                                                  "Dimensions": [{"Name": "EndpointName", "Value": endpoint},
                                                                 {"Name": "VariantName", "Value": variant}]},
                                       "Period": 3600, "Stat": "Maximum"}} for i, m in enumerate(metrics)])
    return {metrics[int(r["Id"][1:])]: max(r["Values"]) for r in page["MetricDataResults"] if r["Values"]}


def _brute_force(current: str, count: int, peaks: dict[str, float]) -> tuple[float, str, int]:
    """Every x86 hosting type and count: the cheapest whose capacity holds the peaks at 70 %."""
    cur = CATALOG.instance(current)
    busy = peaks["CPUUtilization"] / 100 * count
    memory = peaks["MemoryUtilization"] / 100 * cur.memory_gib
    gpu_busy = peaks.get("GPUUtilization", 0) / 100 * count
    gpu_used = cur.has_gpu and gpu_busy / count / cur.gpu_count * 100 >= 10
    per_gpu = cur.accelerator.memory_gib / cur.accelerator.count if cur.accelerator else 0
    gpu_memory = peaks.get("GPUMemoryUtilization", 0) / 100 * per_gpu
    if cur.has_gpu and not gpu_used:
        memory += gpu_memory
    low = 2 if count >= 2 else 1
    best = None
    for t, n in itertools.product(CATALOG.types(), range(low, count + 1)):
        if "hosting" not in t.usages or t.arch != cur.arch:
            continue
        if gpu_used:
            acc = t.accelerator
            if t.category not in "GP" or not t.has_gpu or acc is None or acc.model not in sizing.GPU_SCORE:
                continue
            cur_score = sizing.GPU_SCORE[cur.accelerator.model]
            if gpu_busy * cur_score > 0.7 * n * t.gpu_count * sizing.GPU_SCORE[acc.model]:
                continue
            if gpu_memory * count > 0.7 * n * acc.memory_gib:
                continue
        elif t.category not in "CMR" or t.accelerator is not None:
            continue
        if busy > 0.7 * n * t.vcpu or memory > 0.7 * t.memory_gib:
            continue
        price = CATALOG.price(t.name, "us-east-1", Usage.HOSTING).usd * n
        key = (round(price, 6), t.name, n)
        best = key if best is None or key < best else best
    assert best is not None
    return best
