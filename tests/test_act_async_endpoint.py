"""An asynchronous endpoint with queued requests is never idle: not in the scan, not in the re-check before
deleting it."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

import sagetrim.pipeline.act as act_module
from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.act import run_act
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.cloudwatch import metric_store
from sagetrim.sim.fleet import Scenario, build_fleet

REGION = "us-east-1"
SCENARIO = {"regions": {REGION: {"endpoints": [
    {"name": "queue-waiting", "instance_type": "ml.m5.large", "traffic": "idle", "asynchronous": True},
    {"name": "queue-arriving", "instance_type": "ml.m5.large", "traffic": "idle", "asynchronous": True},
    {"name": "queue-empty", "instance_type": "ml.m5.large", "traffic": "idle", "asynchronous": True},
]}}}


def queue_requests(sim, endpoint: str, minutes_ago: float, size: float) -> None:
    """Requests wait in the endpoint's queue; none has been processed."""
    when = sim.clock.now() - timedelta(minutes=minutes_ago)
    metric_store(sim.account_id, REGION).put_series(
        "AWS/SageMaker", "ApproximateBacklogSize", {"EndpointName": endpoint},
        np.array([int(when.timestamp())]), values=[size], counts=[1.0])


def endpoints(sim) -> set[str]:
    return {e["EndpointName"] for e in sim.client("sagemaker").list_endpoints(MaxResults=100)["Endpoints"]}


@pytest.fixture(scope="module")
def fleet(sim):
    build_fleet(sim, Scenario.model_validate(SCENARIO))
    queue_requests(sim, "queue-waiting", minutes_ago=120, size=7)
    return sim


def test_given_queued_requests_and_nothing_processed_the_scan_does_not_call_the_endpoint_idle(fleet):
    scan = run_scan(fleet.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    rules=select(["idle-endpoint"]), settings=Settings())
    assert {f.name for f in scan.findings} == {"queue-arriving", "queue-empty"}


def test_given_requests_queued_after_the_scan_act_keeps_the_endpoint(fleet, monkeypatch, tmp_path):
    original = act_module.carry_out

    def requests_queue_then_act(findings, **kwargs):
        queue_requests(fleet, "queue-arriving", minutes_ago=2, size=3)
        return original(findings, **kwargs)

    monkeypatch.setattr(act_module, "carry_out", requests_queue_then_act)
    monkeypatch.setenv("SAGETRIM_STATE_DIR", str(tmp_path))
    run = run_act(fleet.session(REGION), [REGION], [], load_catalog(use_cache=False), Settings(),
                  select(["idle-endpoint"]), apply=True)

    outcome = {o.name: o for o in run.report.outcomes}
    assert outcome["queue-arriving"].status == "skipped"
    assert "queued" in outcome["queue-arriving"].reason
    assert outcome["queue-empty"].status == "done"
    assert endpoints(fleet) == {"queue-waiting", "queue-arriving"}
