"""HyperPod clusters are listed with their instance groups and nodes; their price is unknown (the catalog has no
cluster rates) and said so, never $0; a cluster without nodes bills nothing; the scan reads them in one list
call per region and one describe per cluster."""

from __future__ import annotations

from typing import Any

import pytest

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.inventory.details import ClusterDetails, InstanceGroup
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.scan import run_scan
from sagetrim.sim import SimServer

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/HyperPodExecution"


def group(name: str, instance_type: str, count: int) -> dict[str, Any]:
    return {"InstanceGroupName": name, "InstanceType": instance_type, "InstanceCount": count,
            "LifeCycleConfig": {"SourceS3Uri": "s3://sagemaker-hyperpod/scripts/", "OnCreate": "on_create.sh"},
            "ExecutionRole": ROLE}


@pytest.fixture(scope="module")
def scan(sim: SimServer) -> ScanResult:
    sim.reset()
    sm = sim.client("sagemaker", REGION)
    sm.create_cluster(ClusterName="llm-train", InstanceGroups=[group("controller", "ml.m5.xlarge", 1),
                                                               group("workers", "ml.p5.48xlarge", 4)])
    sm.create_cluster(ClusterName="gpu-pool", InstanceGroups=[group("workers", "ml.g5.8xlarge", 2)])
    sim.requests.reset()
    return run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                    settings=Settings(), rules=[])


def test_given_clusters_then_each_is_listed_with_its_groups_and_nodes(scan: ScanResult) -> None:
    clusters = {r.name: r for r in scan.resources if r.kind.value == "hyperpod-cluster"}
    assert set(clusters) == {"llm-train", "gpu-pool"}
    llm = clusters["llm-train"]
    assert (llm.instance_type, llm.instance_count, llm.status, llm.stage) == ("mixed", 5, "InService", "hyperpod")
    assert llm.details == ClusterDetails((InstanceGroup("controller", "ml.m5.xlarge", 1, 1),
                                          InstanceGroup("workers", "ml.p5.48xlarge", 4, 4)))
    assert (clusters["gpu-pool"].instance_type, clusters["gpu-pool"].instance_count) == ("ml.g5.8xlarge", 2)


def test_given_clusters_then_their_price_is_unknown_and_said_so_never_zero(scan: ScanResult) -> None:
    llm = next(r for r in scan.resources if r.name == "llm-train").to_json()
    assert llm["price_unknown"].startswith("the catalog has no HyperPod cluster rates")
    assert llm["usd_per_hour"] is None and llm["projected_month_usd"] is None
    assert scan.totals()["price_unknown"] == 2


def test_given_clusters_then_the_scan_lists_once_and_describes_each_once(scan: ScanResult, sim: SimServer) -> None:
    counts = sim.requests.counts()
    assert counts.get("sagemaker:ListClusters") == 1
    assert counts.get("sagemaker:DescribeCluster") == 2


def test_given_a_cluster_deleted_between_list_and_describe_then_it_is_skipped_and_counted(
    scan: ScanResult, sim: SimServer
) -> None:
    sim.faults.add("ValidationException", status=400, service="sagemaker", operation="DescribeCluster",
                   message="Could not find cluster 'gpu-pool'.", times=1)
    result = run_scan(sim.session(REGION), [REGION], [], load_catalog(use_cache=False), use_cache=False,
                      settings=Settings(), rules=[])
    sim.faults.clear()
    assert len([r for r in result.resources if r.kind.value == "hyperpod-cluster"]) == 1
    assert result.vanished == {"hyperpod-cluster": 1} and result.errors == []
