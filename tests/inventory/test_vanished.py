"""A resource deleted between its list call and its describe is skipped and counted, in every collector:
never an error for its whole kind, never a record with guessed values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console
from tests.inventory.helpers import (
    REGION,
    make_endpoint,
    make_notebook,
    make_processing,
    make_training,
    make_transform,
    make_tuning,
)

from sagetrim.catalog import load_catalog
from sagetrim.inventory.collectors import JOB_SPECS, RegionScope, collect_endpoints, collect_jobs, collect_notebooks
from sagetrim.inventory.costing import Pricer
from sagetrim.inventory.describe_cache import DescribeCache
from sagetrim.inventory.history import collect_history
from sagetrim.inventory.model import Kind, Resource
from sagetrim.pipeline.scan import run_scan
from sagetrim.report.scan import resources_table


def _scope(clean_sim: Any) -> RegionScope:
    return RegionScope(clean_sim.account_id, REGION, clean_sim.client("sagemaker", REGION),
                       Pricer(load_catalog(use_cache=False), REGION, datetime.now(UTC)), DescribeCache(None))


Collect = Callable[[RegionScope], list[Resource]]

# kind, how to make one, the moto kind, the list call after which it goes, how to collect, the kind counted
CASES: dict[str, tuple[Callable[[Any, str], None], str, str, Collect, str]] = {
    "notebooks": (make_notebook, "notebook-instance", "ListNotebookInstances", collect_notebooks, "notebook-instance"),
    "endpoints": (make_endpoint, "endpoint", "ListEndpoints", collect_endpoints, "endpoint"),
    "training": (make_training, "training-job", "ListTrainingJobs",
                 lambda s: collect_jobs(s, JOB_SPECS[Kind.TRAINING]), "training-job"),
    "tuning": (make_tuning, "hyper-parameter-tuning-job", "ListHyperParameterTuningJobs",
               lambda s: collect_jobs(s, JOB_SPECS[Kind.TUNING]), "tuning-job"),
    "processing": (make_processing, "processing-job", "ListProcessingJobs",
                   lambda s: collect_jobs(s, JOB_SPECS[Kind.PROCESSING]), "processing-job"),
    "transform": (make_transform, "transform-job", "ListTransformJobs",
                  lambda s: collect_jobs(s, JOB_SPECS[Kind.TRANSFORM]), "transform-job"),
    "training history": (lambda s, n: make_training(s, n, "Completed"), "training-job", "ListTrainingJobs",
                         lambda s: collect_history(s, 14), "training-job"),
    "processing history": (lambda s, n: make_processing(s, n, "Completed"), "processing-job", "ListProcessingJobs",
                           lambda s: collect_history(s, 14), "processing-job"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_resource_deleted_after_the_list_is_skipped_and_counted(clean_sim: Any, case: str) -> None:
    make, moto_kind, listed_by, collect, counted_as = CASES[case]
    for name in ("keep-a", "gone-b", "keep-c"):
        make(clean_sim, name)
    vanishing = clean_sim.faults.vanish(moto_kind, "gone-b", after=listed_by, region=REGION)
    scope = _scope(clean_sim)

    records = collect(scope)

    assert vanishing.done
    assert sorted(r.name for r in records) == ["keep-a", "keep-c"]
    assert scope.vanished == {counted_as: 1}
    for r in records:  # the others are fully known: the instance type and count their describe gave
        assert r.instance_type and r.instance_type != "mixed" and r.instance_count >= 1, r


def test_an_endpoint_deleted_with_its_configuration_between_describes_is_skipped_and_counted(
        clean_sim: Any) -> None:
    for name in ("keep-a", "gone-b"):
        make_endpoint(clean_sim, name)
    for kind in ("endpoint", "endpoint-config"):
        clean_sim.faults.vanish(kind, "gone-b", after="DescribeEndpoint", params={"EndpointName": "gone-b"})
    scope = _scope(clean_sim)
    clean_sim.requests.reset()

    records = collect_endpoints(scope)

    assert [(r.name, r.instance_type, r.instance_count) for r in records] == [("keep-a", "ml.m5.large", 2)]
    assert scope.vanished == {"endpoint": 1}
    counts = clean_sim.requests.counts()
    assert counts["sagemaker:DescribeEndpointConfig"] == 2  # keep-a's, then gone-b's: not found
    assert counts["sagemaker:DescribeEndpoint"] == 3  # gone-b asked again: gone itself, not just its configuration


def test_the_scan_reports_vanished_resources_per_kind_in_json_and_in_the_table(clean_sim: Any) -> None:
    for name in ("keep-a", "gone-b"):
        make_endpoint(clean_sim, name)
        make_notebook(clean_sim, name)
    clean_sim.faults.vanish("endpoint", "gone-b", after="ListEndpoints")
    clean_sim.faults.vanish("notebook-instance", "gone-b", after="ListNotebookInstances")

    result = run_scan(clean_sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False, rules=[])

    doc = result.to_json()
    assert doc["vanished"] == {"endpoint": 1, "notebook-instance": 1}
    assert doc["errors"] == [] and sorted(r["name"] for r in doc["resources"]) == ["keep-a", "keep-a"]
    console = Console(width=200, record=True)
    console.print(resources_table(result))
    assert "2 resource(s) deleted while the scan read them were skipped (1 endpoint, 1 notebook-instance)" in (
        console.export_text())
