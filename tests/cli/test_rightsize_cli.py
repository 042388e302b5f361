"""`sagetrim rightsize NAME` explains one endpoint's sizing."""

from __future__ import annotations

import json

from sagetrim.sim.fleet import Scenario, build_fleet


def test_rightsize_explains_an_oversized_endpoint(cli, sim):
    build_fleet(sim, Scenario.model_validate({"regions": {"us-east-1": {"endpoints": [
        {"name": "roomy", "instance_type": "ml.c5.4xlarge", "instance_count": 2, "traffic": "steady",
         "requests_per_minute": 100, "cpu_peak_pct": 8}]}}}))
    result = cli("rightsize", "roomy", "--region", "us-east-1", "--format", "json", env=sim.env())
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["status"] == "resize" and doc["monthly_saving_usd"] > 0
    [part] = doc["parts"]
    assert part["current"]["instance_type"] == "ml.c5.4xlarge"
    recommended = part["recommended"]
    assert recommended["usd_per_hour"] < part["current"]["usd_per_hour"] and recommended["fits"]
    cheaper = [c for c in part["candidates"] if c["usd_per_hour"] < recommended["usd_per_hour"]]
    assert all(not c["fits"] for c in cheaper)  # the winner is the cheapest that fits
    table = cli("rightsize", "roomy", "--region", "us-east-1", env=sim.env())
    assert table.code == 0 and "Candidate" in table.out


def test_an_unknown_name_is_a_usage_error(cli, sim):
    result = cli("rightsize", "no-such-endpoint", "--region", "us-east-1", env=sim.env())
    assert result.code == 2 and "no endpoint" in result.err
