"""Every rule at once on a fleet built like a real account, traps included (weekly and sporadic endpoints, a
renamed variant, scale-to-zero, an A/B variant left on, an idle shadow variant, an all-4xx endpoint, a failed
metric query, a job stopped by hand, commented-out autostop, kernel culling, AWS's autostop sample, Studio's
idle shutdown): each rule finds exactly the resources it should (precision and recall 1.0), what cannot be
read is unknown, and the savings total is the sum, per resource, of its largest saving, computed here from
the catalog's prices (and, for serverless hosting, the account's own metrics read here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagetrim.catalog import Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.sim import SimServer
from sagetrim.sim.cloudwatch import metric_store
from sagetrim.sim.fleet import Scenario, build_fleet

REGION = "us-east-1"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday
CATALOG = load_catalog(use_cache=False)
ENDPOINTS = [
    # name, spec: the traps
    {"name": "forgotten", "traffic": "idle"},
    {"name": "weekly-report", "traffic": "weekly"},  # used every Saturday: not a delete
    {"name": "sporadic-scorer", "traffic": "sporadic"},
    {"name": "renamed-steady", "requests_per_minute": 300,  # 14 days of traffic under the old name
     "variants": [{"traffic": "steady", "renamed_from": "blue", "renamed_days_ago": 1}]},
    {"name": "async-at-zero", "asynchronous": True, "instance_count": 0, "traffic": "sporadic",
     "instance_type": "ml.g5.xlarge"},  # scale-to-zero: bills nothing
    {"name": "ab-left-on", "instance_type": "ml.m5.xlarge",
     "variants": [{"traffic": "steady"}, {"traffic": "idle", "weight": 0.01}]},
    {"name": "shadow-left-on", "instance_type": "ml.m5.xlarge",  # a shadow test nobody turned off
     "variants": [{"traffic": "steady"}, {"traffic": "idle", "shadow": True}]},
    {"name": "wrong-payload", "variants": [{"traffic": "steady", "error_pct": 100}]},  # every request a 4xx
    {"name": "unreadable", "traffic": "idle"},  # its metric query fails
    {"name": "busy", "traffic": "steady", "instance_type": "ml.c5.xlarge", "cpu_peak_pct": 60},
]
COMMENTED_OUT = ("#!/bin/bash\nset -e\n# TODO: add autostop\n"
                 "# wget https://raw.githubusercontent.com/aws-samples/amazon-sagemaker-notebook-instance-lifecycle-"
                 "config-samples/master/scripts/auto-stop-idle/autostop.py\n"
                 '# (crontab -l; echo "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time 3600") | crontab -\n')
KERNEL_CULLING = ("#!/bin/bash\nset -e\ncat >> /home/ec2-user/.jupyter/jupyter_notebook_config.py <<EOF\n"
                  "c.MappingKernelManager.cull_idle_timeout = 3600\nc.MappingKernelManager.cull_interval = 300\nEOF\n")
LIFECYCLE = {"commented-out": COMMENTED_OUT, "kernel-culling": KERNEL_CULLING}  # "aws-autostop": AWS's sample
NOTEBOOKS = [
    {"name": "nb-commented-autostop", "lifecycle_config": "commented-out", "age_days": 10},
    {"name": "nb-kernel-culling", "lifecycle_config": "kernel-culling", "age_days": 10},
    {"name": "nb-aws-autostop", "lifecycle_config": "aws-autostop", "age_days": 10},  # stops itself: fine
    {"name": "nb-new", "age_days": 1},  # no autostop, but not left on for days yet
]
STUDIO_APPS = [
    {"name": "ana", "age_days": 5},  # JupyterLab on for five days, no idle shutdown
    {"name": "ben", "age_days": 5, "idle_shutdown_minutes": 120},  # Studio stops it when idle: its uptime is use
    {"name": "cy", "age_days": 5, "app_type": "CodeEditor", "idle_shutdown_minutes": 60},
]
JOBS = [
    {"name": "stopped-by-hand", "instance_type": "ml.m5.4xlarge", "status": "Stopped", "hours": 6, "age_days": 2},
    {"name": "spot-done", "instance_type": "ml.m5.4xlarge", "status": "Completed", "hours": 3, "age_days": 2,
     "spot": True},
]
# The truth: every (rule, resource) that is waste, and nothing else.
EXPECTED = {
    ("idle-endpoint", "forgotten"),  # delete: 14 days without an invocation
    ("idle-endpoint", "weekly-report"),  # notify: cheaper hosting for a weekly job, not a delete
    ("endpoint-hosting-mode", "weekly-report"),
    ("endpoint-hosting-mode", "sporadic-scorer"),
    ("oversized-endpoint", "sporadic-scorer"),  # peaks at 0.1 of 2 vCPUs
    ("idle-variant", "ab-left-on"),
    ("idle-variant", "shadow-left-on"),
    ("failing-endpoint", "wrong-payload"),
    ("training-spot", "stopped-by-hand"),  # 6 billed hours on demand, stopped by hand
    ("notebook-without-autostop", "nb-commented-autostop"),  # a comment is not autostop
    ("idle-notebook", "nb-commented-autostop"),
    ("notebook-without-autostop", "nb-kernel-culling"),  # culling stops kernels, not the instance
    ("idle-notebook", "nb-kernel-culling"),
    ("notebook-without-autostop", "nb-new"),
    ("studio-idle-app", "ana"),
}


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.clock.set(NOW)
    endpoints = [{"instance_type": "ml.m5.large", "age_days": 30, **e} for e in ENDPOINTS]
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {
        "endpoints": endpoints, "training_jobs": JOBS, "notebooks": NOTEBOOKS, "lifecycle_scripts": LIFECYCLE,
        "studio_apps": STUDIO_APPS}}}))
    metric_store(sim.account_id, REGION).fail_reads("AWS/SageMaker", "Invocations",
                                                    {"EndpointName": "unreadable", "VariantName": "AllTraffic"})
    return run_scan(sim.session(REGION), [REGION], [], CATALOG, use_cache=False, settings=Settings(), now=NOW)


def _short(name: str) -> str:
    """A resource's name as the fleet gave it (a Studio app is named DOMAIN/OWNER/TYPE/APP)."""
    return name.split("/")[1] if name.count("/") == 3 else name


def test_given_the_trap_fleet_then_every_rule_has_precision_and_recall_of_one(scan: ScanResult) -> None:
    found = {(f.rule, _short(f.name)) for f in scan.findings}
    assert found - EXPECTED == set(), "false positives"
    assert EXPECTED - found == set(), "misses"
    assert scan.errors == []


def test_given_the_trap_fleet_then_only_the_forgotten_endpoint_idle_variants_and_notebooks_without_autostop_change(
    scan: ScanResult
) -> None:
    changes = {(f.action.value, f.name) for f in scan.findings if f.action.value != "notify"}
    assert changes == {("delete-endpoint", "forgotten"), ("stop-notebook", "nb-commented-autostop"),
                       ("stop-notebook", "nb-kernel-culling"), ("remove-variant", "ab-left-on"),
                       ("remove-variant", "shadow-left-on")}


def test_given_a_metric_query_that_fails_then_every_rule_that_reads_it_calls_the_endpoint_unknown(
    scan: ScanResult
) -> None:
    unknown = {(u.rule, u.name) for u in scan.unknowns}
    assert {rule for rule, name in unknown if name == "unreadable"} == {
        "idle-endpoint", "failing-endpoint", "endpoint-hosting-mode", "oversized-endpoint"}
    assert not [f for f in scan.findings if f.name == "unreadable"]


def _hourly(instance_type: str, usage: Usage) -> float:
    return CATALOG.price(instance_type, REGION, usage).usd


def _serverless_saving(sim: SimServer, name: str) -> float:
    """What serverless inference saves an ml.m5.large endpoint a month, from its last 14 days of metrics: the
    requests x their invocation-weighted mean model latency x the smallest serverless memory that holds the
    peak memory in use at 70 % (the sizing target), at the GB-second price, against a month of the instance."""
    end = NOW.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=14)
    dims = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}]

    def query(qid: str, namespace: str, metric: str, stat: str) -> dict[str, Any]:
        return {"Id": qid, "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dims},
                                          "Period": 3600, "Stat": stat}}

    answer = sim.client("cloudwatch", REGION).get_metric_data(StartTime=start, EndTime=end, MetricDataQueries=[
        query("inv", "AWS/SageMaker", "Invocations", "Sum"), query("lat", "AWS/SageMaker", "ModelLatency", "Average"),
        query("mem", "/aws/sagemaker/Endpoints", "MemoryUtilization", "Maximum")])["MetricDataResults"]
    series = {r["Id"]: dict(zip(r["Timestamps"], r["Values"], strict=True)) for r in answer}
    requests = sum(series["inv"].values())
    latency_s = sum(v * series["inv"].get(t, 0.0) for t, v in series["lat"].items()) / requests / 1e6
    memory_in_use_gib = CATALOG.instance("ml.m5.large").memory_gib * max(series["mem"].values()) / 100
    memory_mb = next(m for m in (1024, 2048, 3072, 4096, 5120, 6144) if m >= memory_in_use_gib / 0.7 * 1024)
    serverless = requests * latency_s * memory_mb / 1024 * CATALOG.serverless_price(REGION).usd
    return (_hourly("ml.m5.large", Usage.HOSTING) - serverless / (14 * 24)) * HOURS_PER_MONTH


def test_given_the_trap_fleet_then_the_savings_total_is_each_resources_largest_saving(scan: ScanResult,
                                                                                      sim: SimServer) -> None:
    month = HOURS_PER_MONTH
    weekly_busy_hours = 4  # two Saturdays of two busy hours in the 14 days read
    expected = {
        "forgotten": _hourly("ml.m5.large", Usage.HOSTING) * month,
        "ab-left-on": _hourly("ml.m5.xlarge", Usage.HOSTING) * month,  # the idle variant's one instance
        "shadow-left-on": _hourly("ml.m5.xlarge", Usage.HOSTING) * month,  # the shadow variant's one instance
        "wrong-payload": _hourly("ml.m5.large", Usage.HOSTING) * month,
        "stopped-by-hand": ((_hourly("ml.m5.4xlarge", Usage.TRAINING) - _hourly("ml.m5.4xlarge", Usage.SPOT_TRAINING))
                            * 6 * month / (14 * 24)),
        # A notebook stopped outside the 220 hours a month it is used saves its compute the other hours.
        **{name: _hourly("ml.t3.medium", Usage.NOTEBOOK) * (month - 220)
           for name in ("nb-commented-autostop", "nb-kernel-culling", "nb-new")},
        "ana": _hourly("ml.t3.medium", Usage.STUDIO) * (month - 220),  # the same for a Studio app
    }
    rehost_weekly = _hourly("ml.m5.large", Usage.HOSTING) * (month - weekly_busy_hours / 14 * month / 24)
    # Sporadic traffic on a CPU endpoint: serverless, priced from the account's own metrics read here.
    expected.update({name: _serverless_saving(sim, name) for name in ("weekly-report", "sporadic-scorer")})
    by_resource: dict[str, float] = {}
    for f in scan.findings:
        by_resource[_short(f.name)] = max(by_resource.get(_short(f.name), 0.0), f.monthly_savings_usd)
    for name, usd in expected.items():
        assert by_resource[name] == pytest.approx(usd, abs=0.005), name
    weekly = {f.rule: f.monthly_savings_usd for f in scan.findings if f.name == "weekly-report"}
    assert weekly["idle-endpoint"] == pytest.approx(rehost_weekly, abs=0.005)
    hosting = {f.name: f.monthly_savings_usd for f in scan.findings if f.rule == "endpoint-hosting-mode"}
    for name in ("weekly-report", "sporadic-scorer"):
        assert hosting[name] == pytest.approx(expected[name], abs=0.005), name
    assert scan.savings()["monthly_usd"] == pytest.approx(round(sum(by_resource.values()), 2), abs=0.005)
    assert scan.savings()["resources"] == 11
