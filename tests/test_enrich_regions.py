"""A region whose rule inputs cannot be read (its opt-out tags, say) gives no findings and an error naming it,
and every other region is still judged."""

from __future__ import annotations

from typing import Any

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
FLEET = ["eu-west-1", "us-east-1", "us-west-2"]  # judged before, after and around the denied one
REGIONS = ["ap-south-1", *FLEET]  # the first region has nothing to judge


def test_a_region_whose_tags_cannot_be_read_is_an_error_and_the_others_are_judged(clean_sim: Any) -> None:
    for region in FLEET:
        clean_sim.client("sagemaker", region).create_notebook_instance(
            NotebookInstanceName=f"nb-{region}", InstanceType="ml.t3.medium", RoleArn=ROLE)
    clean_sim.faults.deny(region="us-east-1", service="resourcegroupstaggingapi")

    result = run_scan(clean_sim.session("eu-west-1"), REGIONS, [], load_catalog(use_cache=False), use_cache=False,
                      rules=select(["notebook-without-autostop"]), settings=Settings())

    assert sorted(f.region for f in result.findings) == ["eu-west-1", "us-west-2"]
    [error] = [e for e in result.errors if e.kind == "findings"]
    assert (error.region, error.code) == ("us-east-1", "AccessDeniedException")
    assert {r.region for r in result.resources} == set(FLEET)  # the inventory itself went through
