"""The sizing core on synthetic profiles: the cheapest candidate that holds the peaks with headroom wins."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest

from sagetrim.aws.metrics import MetricSeries
from sagetrim.catalog import Usage, load_catalog
from sagetrim.inventory.details import JobDetails, JobForm
from sagetrim.inventory.model import Kind, Resource, Variant
from sagetrim.rules import sizing

CATALOG = load_catalog(use_cache=False)
PARAMS = sizing.SizingParams()
NOW = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)


def brute_force(busy_vcpus: float, memory_gib: float, count: int, low: int, usage: Usage = Usage.HOSTING,
                target: float = 0.7) -> tuple[float, str, int]:
    """Every x86 C/M/R type at every count from `low` to `count`: the cheapest that holds the peaks."""
    best = None
    for t, n in itertools.product(CATALOG.types(), range(low, count + 1)):
        if usage.value not in t.usages or t.arch != "x86_64" or t.category not in "CMR" or t.accelerator:
            continue
        if busy_vcpus * count > target * t.vcpu * n or memory_gib > target * t.memory_gib:
            continue
        price = CATALOG.price(t.name, "us-east-1", usage).usd * n
        key = (round(price, 6), t.name, n)
        best = key if best is None or key < best else best
    assert best is not None
    return best


@pytest.mark.parametrize(("current", "count", "busy", "memory"), [
    ("ml.m5.4xlarge", 1, 1.3, 26.0),
    ("ml.c5.xlarge", 4, 0.55, 3.1),
    ("ml.m5.2xlarge", 3, 0.4, 2.0),
    ("ml.r5.2xlarge", 2, 3.0, 40.0),
])
def test_the_winner_is_the_cheapest_fit_of_every_type_and_count(current, count, busy, memory):
    instance = CATALOG.instance(current)
    profile = sizing.Profile(current, count, 336, busy, memory)
    need = sizing.need_of(profile, instance, PARAMS)
    assert need is not None
    low = 2 if count >= 2 else 1
    choice = sizing.choose(need, instance, count, CATALOG, "us-east-1", Usage.HOSTING, PARAMS, min_count=low,
                           max_count=count)
    assert choice is not None and choice.best is not None
    price, _, n = brute_force(busy, memory, count, low)
    assert choice.best.usd_per_hour == pytest.approx(price)
    assert choice.best.count == n
    assert choice.best.cpu_pct <= 70 + 1e-6 and choice.best.memory_pct <= 70 + 1e-6
    assert all(not o.fits for o in choice.considered if o.usd_per_hour < choice.best.usd_per_hour)


def test_cpu_utilization_is_read_as_busy_vcpus_summed_over_cores():
    # 150 % CPUUtilization on a 4-vCPU instance is 1.5 vCPUs busy: it needs 1.5 / 0.7 = 2.14 vCPUs.
    r = _endpoint("ep", "ml.c5.xlarge", 1)
    metrics = _variant_metrics(r, cpu=150.0, memory=20.0, invocations=600)
    profile = sizing.variant_profile(metrics, "t", r, "AllTraffic", CATALOG.instance("ml.c5.xlarge"), 1, 100)
    assert profile.cpu_busy == pytest.approx(1.5)
    assert profile.memory_gib == pytest.approx(0.2 * 8)
    assert profile.invocations_per_minute == pytest.approx(10)
    need = sizing.need_of(profile, CATALOG.instance("ml.c5.xlarge"), PARAMS)
    assert need is not None and need.vcpus == pytest.approx(1.5 / 0.7)


def test_an_idle_gpu_gives_a_cpu_type_and_its_memory_moves_to_the_host():
    instance = CATALOG.instance("ml.g5.2xlarge")
    profile = sizing.Profile(instance.name, 1, 336, cpu_busy=0.5, memory_gib=6.0, gpu_busy=0.03, gpu_memory_gib=2.0)
    need = sizing.need_of(profile, instance, PARAMS)
    assert need is not None and need.gpu == "unused" and need.memory_gib == pytest.approx(8.0 / 0.7)
    choice = sizing.choose(need, instance, 1, CATALOG, "us-east-1", Usage.HOSTING, PARAMS, min_count=1, max_count=1,
                           inferentia_alternative=True)
    assert choice is not None and choice.best is not None
    best = CATALOG.instance(choice.best.instance_type)
    assert best.accelerator is None and best.category in "CMR"
    assert choice.best.usd_per_hour == pytest.approx(brute_force(0.5, 8.0, 1, 1)[0])
    assert choice.alternatives and "Neuron" in choice.alternatives[0].note


def test_a_busy_gpu_stays_on_a_gpu_counted_by_throughput():
    instance = CATALOG.instance("ml.p3.2xlarge")
    profile = sizing.Profile(instance.name, 1, 336, cpu_busy=0.8, memory_gib=10.0, gpu_busy=0.5, gpu_memory_gib=6.0)
    need = sizing.need_of(profile, instance, PARAMS)
    assert need is not None and need.gpu == "used" and need.gpu_units == pytest.approx(0.5 / 0.7)
    choice = sizing.choose(need, instance, 1, CATALOG, "us-east-1", Usage.HOSTING, PARAMS, min_count=1, max_count=1)
    assert choice is not None and choice.best is not None
    best = CATALOG.instance(choice.best.instance_type)
    assert best.category == "G" and best.accelerator is not None
    assert best.gpu_count * sizing.GPU_SCORE[best.accelerator.model] * 0.7 >= 0.5
    # The T4 (half a V100) cannot hold 0.5 V100 at 70 %: a g4dn would need two GPUs' worth.
    assert not any(o.fits for o in choice.considered if o.instance_type.startswith("ml.g4dn.") and o.count == 1
                   and CATALOG.instance(o.instance_type).gpu_count == 1)


def test_an_overloaded_instance_gets_no_cheaper_recommendation():
    instance = CATALOG.instance("ml.m5.large")
    profile = sizing.Profile(instance.name, 1, 336, cpu_busy=1.9, memory_gib=7.0)
    need = sizing.need_of(profile, instance, PARAMS)
    assert need is not None
    choice = sizing.choose(need, instance, 1, CATALOG, "us-east-1", Usage.HOSTING, PARAMS, min_count=1, max_count=1)
    assert choice is not None and not choice.current.fits and choice.saving_per_hour == 0


def test_a_missing_metric_leaves_the_resource_unjudged():
    instance = CATALOG.instance("ml.g5.xlarge")
    assert sizing.need_of(sizing.Profile(instance.name, 1, 336, None, 4.0), instance, PARAMS) is None
    assert sizing.need_of(sizing.Profile(instance.name, 1, 336, 0.2, 4.0, gpu_busy=None), instance, PARAMS) is None


def test_the_peak_is_a_percentile_of_the_hourly_maxima():
    values = [float(v) for v in range(1, 101)]
    assert sizing.percentile(values, 100) == 100
    assert sizing.percentile(values, 99) == 99
    assert sizing.percentile([], 99) is None


@pytest.mark.parametrize("bad", [{"target_peak_pct": 5}, {"days": 0}, {"peak_percentile": 20},
                                 {"min_saving_pct": 100}, {"min_hours_of_data": 0}])
def test_settings_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        sizing.SizingParams(**bad)


def test_explain_shows_the_profile_the_candidates_and_why_the_winner_wins():
    r = _endpoint("ep", "ml.m5.4xlarge", 1)
    metrics = _variant_metrics(r, cpu=160.0, memory=40.0, invocations=1200, prefix="rightsize")
    doc = sizing.explain(r, metrics, CATALOG).to_json()
    assert doc["status"] == "resize" and doc["window_days"] == 14 and doc["target_peak_pct"] == 70
    part = doc["parts"][0]
    assert part["profile"]["peak_vcpus_busy"] == pytest.approx(1.6)
    assert part["profile"]["peak_memory_gib"] == pytest.approx(25.6)
    assert part["recommended"]["usd_per_hour"] == pytest.approx(brute_force(1.6, 25.6, 1, 1)[0])
    assert "cheapest option that keeps the peaks under 70 %" in part["why"]
    assert part["candidates"][0]["fits"] is False and part["candidates"][0]["why_not"]
    assert doc["monthly_saving_usd"] == pytest.approx(
        (part["current"]["usd_per_hour"] - part["recommended"]["usd_per_hour"]) * 730, abs=0.01)
    assert doc["assumptions"]


def test_explain_without_metrics_is_unknown_never_a_resize():
    r = _endpoint("ep", "ml.m5.4xlarge", 1)
    doc = sizing.explain(r, {}, CATALOG).to_json()
    assert doc["status"] == "idle"  # no invocations either
    metrics = {k: v for k, v in _variant_metrics(r, 160.0, 40.0, 1200, prefix="rightsize").items()
               if not k.endswith("/MemoryUtilization")}
    assert sizing.explain(r, metrics, CATALOG).to_json()["status"] == "unknown"
    notebook = Resource(Kind.NOTEBOOK, "1", "us-east-1", "nb", "arn:nb", "InService", NOW)
    assert sizing.explain(notebook, {}, CATALOG).status == "unknown"


def test_a_job_is_priced_over_its_billed_hours():
    job = Resource(Kind.TRAINING, "1", "us-east-1", "j", "arn:j", "Completed", NOW - timedelta(days=1),
                   instance_type="ml.m5.xlarge", instance_count=1,
                   details=JobDetails(JobForm.FINISHED_TRAINING, "ml.m5.xlarge", 1, billable_s=5400, lookback_days=14))
    assert sizing.job_hours(job, NOW) == pytest.approx(1.5)
    assert sizing.per_month(14.0, 14) == pytest.approx(14.0 * 730 / 336)
    queries = sizing.job_queries("t", job, NOW, 14, CATALOG)
    assert {q.dimensions for q in queries} == {(("Host", "j/algo-1"),)}
    assert all(q.period >= 3600 and q.end - q.start == timedelta(days=14) for q in queries)


def _endpoint(name: str, instance_type: str, count: int) -> Resource:
    return Resource(Kind.ENDPOINT, "1", "us-east-1", name, f"arn:aws:sagemaker:us-east-1:1:endpoint/{name}",
                    "InService", NOW - timedelta(days=30), instance_type=instance_type, instance_count=count,
                    variants=(Variant("AllTraffic", instance_type, count),))


def _variant_metrics(r: Resource, cpu: float, memory: float, invocations: float,
                     prefix: str = "t") -> dict[str, MetricSeries]:
    hours = [NOW - timedelta(hours=h) for h in range(336, 0, -1)]

    def series(peak: float) -> MetricSeries:
        return MetricSeries(hours, [peak * (0.5 + 0.5 * math.sin(i)) ** 2 if i != 100 else peak
                                    for i in range(len(hours))])

    return {sizing.metric_key(prefix, r, "AllTraffic", m): series(v) for m, v in (
        ("CPUUtilization", cpu), ("MemoryUtilization", memory), ("Invocations", invocations))}
