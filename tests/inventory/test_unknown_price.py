"""A resource the catalog cannot price is listed with the reason, never as $0: its dollars are null in the JSON,
"unknown" in the table and the HTML report, and the totals leave it out and say so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sagetrim.catalog import Catalog, Usage, load_catalog
from sagetrim.config import Settings
from sagetrim.errors import CatalogError
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.sim import SimServer
from sagetrim.sim.fleet import Scenario, build_fleet

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
REGION = "us-east-1"


class CatalogWithoutG5(Catalog):
    """The bundled catalog, as if it had no price at all for ml.g5.xlarge (a type AWS added after it)."""

    def price(self, instance_type: str, region: str, usage: Usage) -> Any:
        if instance_type == "ml.g5.xlarge":
            raise CatalogError(f"no price for {instance_type}")
        return super().price(instance_type, region, usage)


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.clock.set(NOW)
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {
        "endpoints": [{"name": "new-gpu", "instance_type": "ml.g5.xlarge", "age_days": 3},
                      {"name": "known", "instance_type": "ml.m5.large", "age_days": 3}],
        "notebooks": [{"name": "gpu-notebook", "instance_type": "ml.g5.xlarge"}]}}}))
    catalog = load_catalog(use_cache=False)
    catalog.__class__ = CatalogWithoutG5
    return run_scan(sim.session(REGION), [REGION], [], catalog, use_cache=False, settings=Settings(),
                    rules=[], now=NOW)


def test_given_a_type_the_catalog_cannot_price_then_the_resource_says_why_and_has_no_dollars(
    scan: ScanResult
) -> None:
    by_name = {r.name: r for r in scan.resources}
    for name, usage in (("new-gpu", "hosting"), ("gpu-notebook", "notebook")):
        doc = by_name[name].to_json()
        assert doc["price_unknown"] == f"the catalog has no {usage} price for ml.g5.xlarge in us-east-1"
        assert (doc["usd_per_hour"], doc["month_to_date_usd"], doc["projected_month_usd"]) == (None, None, None)
        assert doc["price_exact"] is False
    known = by_name["known"].to_json()
    assert known["price_unknown"] is None and known["usd_per_hour"] == pytest.approx(0.115)


def test_given_resources_of_unknown_price_then_the_totals_leave_them_out_and_count_them(scan: ScanResult) -> None:
    totals = scan.totals()
    assert totals["price_unknown"] == 2 and totals["resources"] == 1
    assert totals["usd_per_hour"] == pytest.approx(0.115)


def test_given_resources_of_unknown_price_then_the_table_and_the_html_say_unknown_never_zero(
    scan: ScanResult
) -> None:
    from sagetrim.report.html import render_html
    from sagetrim.report.scan import resources_table, totals_table
    from sagetrim.report.terminal import SafeConsole

    console = SafeConsole(record=True, width=200)
    console.print(resources_table(scan))
    console.print(totals_table(scan))
    text = console.export_text()
    row = next(line for line in text.splitlines() if "new-gpu" in line)
    assert row.count("unknown") == 3 and "$0" not in row
    assert "2 resource(s) of unknown price are listed but in none of these sums" in " ".join(text.split())
    html = render_html(scan)
    assert "price unknown: the catalog has no hosting price for ml.g5.xlarge" in html
    assert "2 resource(s) of unknown price are listed below but in none of the sums" in html


def test_given_a_resource_of_unknown_price_then_the_rules_of_its_kind_call_it_unknown(scan: ScanResult,
                                                                                  sim: SimServer) -> None:
    from sagetrim.rules import select

    catalog = load_catalog(use_cache=False)
    catalog.__class__ = CatalogWithoutG5
    result = run_scan(sim.session(REGION), [REGION], [], catalog, use_cache=False, settings=Settings(),
                      rules=select(["idle-notebook", "idle-endpoint"]), now=NOW)
    unknown = {(u.rule, u.name): u.reason for u in result.unknowns}
    assert unknown[("idle-endpoint", "new-gpu")] == ("its price is unknown (the catalog has no hosting price for "
                                                     "ml.g5.xlarge in us-east-1)")
    assert ("idle-notebook", "gpu-notebook") in unknown
    assert ("idle-endpoint", "gpu-notebook") not in unknown  # only the rules of its kind
    assert not [f for f in result.findings if f.name in ("new-gpu", "gpu-notebook")]


def test_given_serverless_with_provisioned_concurrency_then_its_price_is_unknown_never_zero(sim: SimServer) -> None:
    sim.reset()
    sm = sim.client("sagemaker", REGION)
    sm.create_model(ModelName="m", ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
                    PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1"})
    for name, serverless in (("on-demand", {"MemorySizeInMB": 2048, "MaxConcurrency": 5}),
                             ("provisioned", {"MemorySizeInMB": 2048, "MaxConcurrency": 5,
                                              "ProvisionedConcurrency": 2})):
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "m", "ServerlessConfig": serverless}])
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    result = run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                      settings=Settings(), rules=[], now=NOW)
    by_name = {r.name: r for r in result.resources}
    assert by_name["on-demand"].price_unknown is None and by_name["on-demand"].usd_per_hour == 0.0  # per request
    assert by_name["provisioned"].price_unknown == (
        "serverless with provisioned concurrency (2 x 2048 MB) bills every second it is provisioned, used or not; "
        "the catalog has no price for provisioned concurrency")


def test_given_resources_of_unknown_price_then_they_come_first_and_a_short_table_shows_them(
    scan: ScanResult
) -> None:
    from sagetrim.report.scan import resources_table
    from sagetrim.report.terminal import SafeConsole

    assert {r.name for r in scan.resources[:2]} == {"gpu-notebook", "new-gpu"}
    console = SafeConsole(record=True, width=200)
    console.print(resources_table(scan, limit=2))
    text = " ".join(console.export_text().split())
    assert "new-gpu" in text and "gpu-notebook" in text and "Resources of unknown price come first" in text
