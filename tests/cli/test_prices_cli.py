"""`sagetrim prices` and `sagetrim estimate` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"


def test_version(cli):
    result = cli("--version")
    assert result.code == 0 and result.out.startswith("sagetrim ")


def test_hosting_price_of_ml_m5_xlarge_as_json(cli):
    result = cli("prices", "ml.m5.xlarge", "--region", "us-east-1", "--usage", "hosting", "--format", "json")
    assert result.code == 0, result.err
    [row] = json.loads(result.out)
    assert row["usd_per_hour"] == 0.23 and row["currency"] == "USD"
    assert row["date"] == "2025-06-16" and "pricing page" in row["source"]


def test_listing_is_cheapest_first_and_filters_apply(cli):
    result = cli("prices", "--usage", "training", "--gpu", "--min-vcpu", "8", "--format", "json")
    rows = json.loads(result.out)
    assert rows and all(r["accelerator_kind"] == "gpu" and r["vcpu"] >= 8 for r in rows)
    assert [r["usd_per_hour"] for r in rows] == sorted(r["usd_per_hour"] for r in rows)


def test_csv_has_a_header_and_a_line_per_type(cli):
    result = cli("prices", "ml.c5.*", "--format", "csv")
    lines = result.out.strip().splitlines()
    assert lines[0].startswith("instance_type,region,usage,usd_per_hour")
    as_json = json.loads(cli("prices", "ml.c5.*", "--format", "json").out)
    assert len(lines) == 1 + len(as_json) and len(as_json) >= 5


def test_table_shows_the_source(cli):
    result = cli("prices", "ml.m5.xlarge")
    assert result.code == 0 and "ml.m5.xlarge" in result.out and "page 2025-06-16" in result.out


def test_unknown_type_is_a_usage_error_with_suggestions(cli):
    result = cli("prices", "ml.m5.xlargee")
    assert result.code == 2
    assert "Did you mean ml.m5.xlarge" in result.err and "Traceback" not in result.err


def test_type_not_valid_for_the_usage_is_a_usage_error(cli):
    result = cli("prices", "ml.t3.medium", "--usage", "training")
    assert result.code == 2 and "cannot be used for training" in result.err


def test_unknown_usage_lists_the_valid_ones(cli):
    result = cli("prices", "--usage", "inference")
    assert result.code == 2 and "hosting" in result.err


def test_estimate_of_the_shipped_example(cli):
    result = cli("estimate", "--plan", str(EXAMPLE), "--format", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["plan"]["total_usd"] == 204.3976


def test_estimate_compare_sets_alternatives_side_by_side(cli):
    result = cli("estimate", "--plan", str(EXAMPLE), "--compare")
    assert result.code == 0, result.err
    assert "on-demand training" in result.out and "vs plan" in result.out


def test_a_malformed_plan_names_the_line_and_field(cli, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("workloads:\n  - name: a\n    stage: hosting\n    instance_type: ml.m5.large\n    count: -1\n")
    result = cli("estimate", "--plan", str(plan))
    assert result.code == 2
    assert "line 5" in result.err and "workloads[0].count" in result.err and "Traceback" not in result.err


def test_a_missing_plan_file_is_a_usage_error(cli, tmp_path):
    result = cli("estimate", "--plan", str(tmp_path / "nope.yaml"))
    assert result.code == 2 and "cannot read the plan" in result.err


def test_refresh_reads_the_price_list_api_and_later_lookups_prefer_it(cli, sim, tmp_path):
    env = {**sim.env(), "SAGETRIM_CACHE_DIR": str(tmp_path)}
    refreshed = cli("prices", "refresh", "--region", "eu-west-1", "--format", "json", env=env)
    assert refreshed.code == 0, refreshed.err
    [summary] = json.loads(refreshed.out)
    assert summary["region"] == "eu-west-1" and summary["instance_prices"] > 1000
    assert (tmp_path / "prices" / "eu-west-1.json").exists()
    [row] = json.loads(cli("prices", "ml.m5.xlarge", "--region", "eu-west-1", "--format", "json", env=env).out)
    assert row["exact"] is True and "Price List API" in row["source"]


def test_refresh_of_an_unknown_region_is_a_usage_error(cli, sim, tmp_path):
    result = cli("prices", "refresh", "--region", "mars-1", env={**sim.env(), "SAGETRIM_CACHE_DIR": str(tmp_path)})
    assert result.code == 2 and "mars-1" in result.err
