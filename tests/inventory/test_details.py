"""Typed details per kind of resource: read as fields, written to the scan's JSON in the keys it always had."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sagetrim.inventory.details import (
    EndpointDetails,
    JobDetails,
    JobForm,
    NotebookDetails,
    ScalingRange,
    StudioAppDetails,
    WarmPool,
)
from sagetrim.inventory.model import Kind, Resource

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_a_notebook_gone_before_its_describe_writes_only_what_the_list_told():
    described = NotebookDetails("autostop", 0.0019, 50, "Enabled", "notebook-al2-v2")
    gone = NotebookDetails(None, 0.0007, 5, described=False)
    assert described.to_json() == {"lifecycle_config": "autostop", "storage_usd_per_hour": 0.0019, "volume_gb": 50,
                                   "direct_internet": "Enabled", "platform": "notebook-al2-v2"}
    assert gone.to_json() == {"lifecycle_config": None, "storage_usd_per_hour": 0.0007, "volume_gb": 5}


def test_an_endpoint_writes_its_facts_only_once_they_were_read():
    plain = EndpointDetails("cfg", ("m1",), asynchronous=False, serverless=False)
    assert plain.to_json() == {"endpoint_config": "cfg", "models": ["m1"], "async": False, "serverless": False}
    known = EndpointDetails("cfg", ("m1",), False, False, autoscaling={"AllTraffic": ScalingRange(1, 4)},
                            images=("img",), multi_model=False)
    assert known.to_json() == {**plain.to_json(), "autoscaling": {"AllTraffic": {"min": 1, "max": 4}},
                               "images": ["img"], "multi_model": False}
    assert EndpointDetails("cfg", (), False, False, autoscaling={}).to_json()["autoscaling"] == {}


@pytest.mark.parametrize(("details", "keys"), [
    (JobDetails(JobForm.TRAINING, "ml.m5.xlarge", 2, "2026-03-10 10:00:00+00:00", volume_gb=30),
     ["instance_type", "count", "volume_gb", "spot", "started", "keep_alive_s"]),
    (JobDetails(JobForm.TUNING, "ml.m5.xlarge", 1, max_parallel_jobs=4),
     ["instance_type", "count", "max_parallel_jobs", "started"]),
    (JobDetails(JobForm.PROCESSING, "ml.m5.xlarge", 1), ["instance_type", "count", "volume_gb", "started"]),
    (JobDetails(JobForm.TRANSFORM, "ml.m5.xlarge", 1), ["instance_type", "count", "started"]),
    (JobDetails(JobForm.FINISHED_PROCESSING, "ml.m5.xlarge", 1, lookback_days=14),
     ["instance_type", "count", "volume_gb", "image", "started", "ended", "history", "lookback_days"]),
    (JobDetails(JobForm.FINISHED_TRAINING, "ml.g5.xlarge", 1, lookback_days=14,
                warm_pool=WarmPool("Available", 600, None)),
     ["instance_type", "count", "volume_gb", "keep_alive_s", "spot", "image", "algorithm", "gpu_settings",
      "billable_s", "training_s", "started", "ended", "history", "lookback_days", "warm_pool"]),
])
def test_each_form_of_job_writes_the_keys_of_its_describe_in_order(details, keys):
    doc = details.to_json()
    assert list(doc) == keys
    assert doc.get("history", None) in ((True, None) if details.finished else (None,))


def test_a_finished_training_job_writes_its_warm_pool():
    pool = JobDetails(JobForm.FINISHED_TRAINING, "ml.g5.xlarge", 1, warm_pool=WarmPool("Available", 600, None))
    assert pool.to_json()["warm_pool"] == {"status": "Available", "retained_s": 600, "reused_by": None}


def test_a_resource_gives_its_details_only_as_their_own_type():
    app = StudioAppDetails("d-1", None, "shared", "JupyterLab", "default")
    r = Resource(Kind.STUDIO_APP, "1", "us-east-1", "d-1/shared/JupyterLab/default", "arn:app", "InService", NOW,
                 details=app)
    assert r.details_as(StudioAppDetails) is app and app.owner == "shared"
    assert r.details_as(EndpointDetails) is None
    assert r.to_json()["details"] == app.to_json()
    assert Resource(Kind.TRAINING, "1", "us-east-1", "j", "arn:j", "InProgress", NOW).to_json()["details"] == {}


@pytest.mark.parametrize(("status", "billing"), [("UpdateRollbackFailed", True), ("RollingBack", True),
                                                  ("Failed", False), ("OutOfService", False)])
def test_given_an_endpoint_in_a_state_when_scanned_then_it_is_priced_while_its_instances_run(
    clean_sim: Any, status: str, billing: bool
) -> None:
    from tests.inventory.helpers import REGION, make_endpoint

    from sagetrim.catalog import load_catalog
    from sagetrim.pipeline.scan import run_scan

    make_endpoint(clean_sim, "stuck")
    clean_sim.set_status(clean_sim.account_id, REGION, "endpoint", "stuck", status)

    result = run_scan(clean_sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                      rules=[])

    [endpoint] = result.resources
    assert endpoint.status == status
    assert endpoint.usd_per_hour == (pytest.approx(2 * 0.115) if billing else 0.0)
