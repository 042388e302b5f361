"""Right-sizing at equal price keeps the current instance type: a switch that saves nothing is no advice."""

from __future__ import annotations

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.rightsize import run_rightsize
from sagetrim.sim.fleet import Scenario, build_fleet

REGION = "us-east-1"


def test_given_a_lightly_loaded_endpoint_whose_cheapest_fit_ties_with_another_type_the_current_type_stays(sim):
    # ml.c6i.large and ml.c5.large both cost $0.102 an hour in us-east-1 and both hold this load.
    build_fleet(sim, Scenario.model_validate({"regions": {REGION: {"endpoints": [
        {"name": "tied", "instance_type": "ml.c6i.large", "traffic": "steady", "requests_per_minute": 60,
         "cpu_peak_pct": 10}]}}}))

    explanation = run_rightsize(sim.session(REGION), "tied", [REGION], load_catalog(use_cache=False), Settings())

    doc = explanation.to_json()
    [part] = doc["parts"]
    tied = [c for c in part["candidates"]
            if c["fits"] and c["usd_per_hour"] == part["recommended"]["usd_per_hour"]]
    assert {c["instance_type"] for c in tied} >= {"ml.c6i.large", "ml.c5.large"}
    assert part["recommended"]["instance_type"] == "ml.c6i.large"
    assert doc["status"] != "resize"
    assert doc["monthly_saving_usd"] == 0
