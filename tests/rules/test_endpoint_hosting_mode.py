"""endpoint-hosting-mode on endpoints of every traffic shape, whose answers are known."""

from __future__ import annotations

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.fleet import Scenario, build_fleet

SHARED = "111122223333.dkr.ecr.us-east-1.amazonaws.com/shared-sklearn:1.0"
OTHER = "111122223333.dkr.ecr.us-east-1.amazonaws.com/other-model:2.0"
M5 = {"instance_type": "ml.m5.large", "requests_per_minute": 100}
ENDPOINTS = [
    {"name": "sporadic", "count": 2, **M5, "traffic": "sporadic"},
    {"name": "sporadic-gpu", "instance_type": "ml.g4dn.xlarge", "traffic": "sporadic", "requests_per_minute": 100},
    {"name": "periodic", "count": 2, **M5, "traffic": "periodic"},
    {"name": "bursty", "count": 2, **M5, "traffic": "bursty", "instance_count": 2},
    {"name": "diurnal", "count": 2, **M5, "traffic": "diurnal", "instance_count": 3},
    {"name": "diurnal-scaled", **M5, "traffic": "diurnal", "instance_count": 3, "autoscaling_max": 4},
    {"name": "diurnal-single", **M5, "traffic": "diurnal"},
    {"name": "steady", **M5, "traffic": "steady"},
    {"name": "high", **M5, "traffic": "high"},
    {"name": "idle", **M5, "traffic": "idle"},
    {"name": "young", **M5, "traffic": "sporadic", "age_days": 3},
    {"name": "ab", **M5, "variants": [{"traffic": "sporadic"}, {"traffic": "sporadic"}]},
    {"name": "small", "count": 3, "instance_type": "ml.m5.xlarge", "traffic": "steady", "requests_per_minute": 8,
     "image": SHARED},
    {"name": "pair", "count": 2, "instance_type": "ml.m5.large", "traffic": "steady", "requests_per_minute": 8,
     "image": OTHER},
]
EXPECTED = {
    "sporadic-0000": "serverless", "sporadic-0001": "serverless", "sporadic-gpu": "asynchronous",
    "periodic-0000": "batch-transform", "periodic-0001": "batch-transform",
    "bursty-0000": "asynchronous", "bursty-0001": "asynchronous",
    "diurnal-0000": "autoscaling", "diurnal-0001": "autoscaling",
    "small-0000": "multi-model", "small-0001": "multi-model", "small-0002": "multi-model",
}


@pytest.fixture(scope="module")
def scan(sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"endpoints": ENDPOINTS}}}))
    sim.requests.reset()
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False),
                      use_cache=False, rules=select(["endpoint-hosting-mode"]), settings=Settings())
    return result, dict(sim.requests.counts())


def by_name(scan):
    result, _ = scan
    return {f.name: f for f in result.findings}


def test_each_traffic_shape_gets_its_hosting_mode_and_nothing_else_is_flagged(scan):
    assert {name: f.evidence["recommended_mode"] for name, f in by_name(scan).items()} == EXPECTED


def test_the_shape_is_judged_from_the_hourly_invocations(scan):
    f = by_name(scan)
    assert f["sporadic-0000"].evidence["shape"] == "sporadic"
    assert f["sporadic-0000"].evidence["traffic"]["active"] <= 0.1
    assert f["periodic-0000"].evidence["traffic"]["top3"] >= 0.9
    assert f["diurnal-0000"].evidence["traffic"]["r2"] >= 0.5
    assert f["bursty-0000"].evidence["traffic"]["active"] <= 0.75
    assert all(x.evidence["traffic"]["hours"] == 336 for x in f.values())


def test_serverless_is_sized_from_memory_and_priced_per_request(scan):
    f = by_name(scan)["sporadic-0000"]
    settings = f.evidence["settings"]
    memory_gib = f.evidence["profile"]["peak_memory_gib"]
    assert settings["MemorySizeInMB"] / 1024 >= memory_gib / 0.7
    assert settings["MemorySizeInMB"] - 1024 < memory_gib / 0.7 * 1024
    assert f.evidence["monthly_usd_now"] == pytest.approx(0.115 * 730)
    assert f.evidence["monthly_usd_after"] < 1
    assert "4 MB" in " ".join(f.evidence["assumptions"])
    # A GPU endpoint cannot go serverless: it goes asynchronous instead.
    assert by_name(scan)["sporadic-gpu"].evidence["recommended_mode"] == "asynchronous"


def test_autoscaling_follows_the_load_and_is_not_offered_twice(scan):
    f = by_name(scan)["diurnal-0000"]
    assert f.evidence["settings"]["ScalableTarget"] == {"MinCapacity": 1, "MaxCapacity": 3}
    assert 0 < f.monthly_savings_usd < 3 * 0.115 * 730
    assert "diurnal-scaled" not in by_name(scan)  # already registered with Application Auto Scaling


def test_low_traffic_endpoints_on_one_image_share_a_multi_model_endpoint(scan):
    members = [f for name, f in by_name(scan).items() if name.startswith("small-")]
    group = members[0].evidence
    assert group["settings"]["Mode"] == "MultiModel" and group["settings"]["Image"] == SHARED
    assert sorted(group["settings"]["endpoints"]) == ["small-0000", "small-0001", "small-0002"]
    # Each member carries its share: the shares add up to the group's saving, counted once.
    assert sum(f.monthly_savings_usd for f in members) == pytest.approx(group["group_monthly_saving_usd"], abs=0.05)
    assert not any(name.startswith("pair-") for name in by_name(scan))  # two are not a group


def test_savings_are_what_the_mode_would_cost_less(scan):
    for f in by_name(scan).values():
        ev = f.evidence
        assert f.monthly_savings_usd == pytest.approx(ev["monthly_usd_now"] - ev["monthly_usd_after"], abs=0.01)
        assert f.monthly_savings_usd >= 0.2 * ev["monthly_usd_now"] - 0.01
        assert ev["estimate"] and ev["assumptions"]


def test_endpoint_facts_cost_one_describe_per_model_of_old_single_variant_endpoints(scan):
    result, counts = scan
    eligible = [r for r in result.resources if r.kind.value == "endpoint" and len(r.variants) == 1
                and r.name != "young"]
    assert counts["sagemaker:DescribeModel"] == len(eligible)
    assert counts["application-autoscaling:DescribeScalableTargets"] == 1
    assert counts["cloudwatch:GetMetricData"] == 1


def test_a_role_that_may_not_read_autoscaling_loses_only_the_autoscaling_advice(sim, scan):
    sim.faults.add("AccessDeniedException", service="application-autoscaling")
    try:
        result = run_scan(sim.session("us-east-1"), ["us-east-1"], [], load_catalog(use_cache=False),
                          use_cache=False, rules=select(["endpoint-hosting-mode"]), settings=Settings())
    finally:
        sim.faults.clear()
    assert [(e.kind, e.code) for e in result.errors] == [("autoscaling", "AccessDeniedException")]
    modes = {f.name: f.evidence["recommended_mode"] for f in result.findings}
    assert modes == {k: v for k, v in EXPECTED.items() if v != "autoscaling"}
