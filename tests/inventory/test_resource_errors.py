"""A resource that cannot be described is reported alone, by name; the rest of its kind and region is
still scanned and priced."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console
from tests.inventory.helpers import REGION, make_endpoint, make_notebook

from sagetrim.catalog import load_catalog
from sagetrim.inventory.model import ScanError
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.report.html import render_html
from sagetrim.report.scan import errors_table


@pytest.fixture
def fleet(clean_sim: Any) -> Any:
    """Three endpoints and three notebooks, nothing else."""
    for name in ("a", "b", "c"):
        make_endpoint(clean_sim, f"ep-{name}")
        make_notebook(clean_sim, f"nb-{name}")
    return clean_sim


def _scan(sim: Any) -> ScanResult:
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False, rules=[])


def test_an_endpoint_whose_configuration_was_deleted_is_an_error_of_its_own(fleet: Any) -> None:
    fleet.client("sagemaker", REGION).delete_endpoint_config(EndpointConfigName="ep-b")  # AWS allows it

    result = _scan(fleet)

    priced = {r.name: r for r in result.resources}
    assert set(priced) == {"ep-a", "ep-c", "nb-a", "nb-b", "nb-c"}
    assert all(priced[n].usd_per_hour > 0 and priced[n].instance_count == 2 for n in ("ep-a", "ep-c"))
    [error] = result.errors
    assert (error.kind, error.resource, error.code) == ("endpoint", "ep-b", "EndpointConfigMissing")
    assert "ep-b" in error.message and "endpoint configuration" in error.message
    assert result.to_json()["errors"][0]["resource"] == "ep-b"
    assert result.vanished == {}


def test_access_denied_on_one_resource_is_an_error_naming_it(fleet: Any) -> None:
    fleet.faults.access_denied(operation="DescribeNotebookInstance", params={"NotebookInstanceName": "nb-b"})

    result = _scan(fleet)

    assert {r.name for r in result.resources} == {"ep-a", "ep-b", "ep-c", "nb-a", "nb-c"}
    assert [(e.kind, e.resource, e.code) for e in result.errors] == [
        ("notebook-instance", "nb-b", "AccessDeniedException")]


def test_access_denied_on_every_describe_of_a_kind_is_one_error_for_the_kind(fleet: Any) -> None:
    fleet.faults.access_denied(operation="DescribeNotebookInstance")

    result = _scan(fleet)

    assert {r.name for r in result.resources} == {"ep-a", "ep-b", "ep-c"}
    assert result.errors == [ScanError(fleet.account_id, REGION, "notebook-instance", "AccessDeniedException",
                                       "User is not authorized to perform this action")]


def test_the_reports_name_the_resource_and_count_what_vanished(fleet: Any) -> None:
    fleet.client("sagemaker", REGION).delete_endpoint_config(EndpointConfigName="ep-b")
    fleet.faults.vanish("notebook-instance", "nb-c", after="ListNotebookInstances")

    result = _scan(fleet)

    page = render_html(result)
    assert "<td>ep-b</td><td>EndpointConfigMissing</td>" in page
    assert "1 resource(s) deleted while the scan read them were skipped (1 notebook-instance)" in page
    console = Console(width=200, record=True)
    console.print(errors_table(result))
    table = console.export_text()
    assert "ep-b" in table and "EndpointConfigMissing" in table
