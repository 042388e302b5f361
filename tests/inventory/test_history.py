"""The history collector with exact AWS requests (botocore Stubber): what it lists, describes and caches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from sagetrim.catalog import load_catalog
from sagetrim.inventory.collectors import RegionScope
from sagetrim.inventory.costing import Pricer
from sagetrim.inventory.describe_cache import DescribeCache
from sagetrim.inventory.history import collect_history
from sagetrim.inventory.model import Kind

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=14)
ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"


def _summary(name: str, status: str, **extra: object) -> dict[str, object]:
    return {"TrainingJobName": name, "TrainingJobArn": ARN + name, "CreationTime": NOW - timedelta(days=1),
            "TrainingJobStatus": status, "TrainingEndTime": NOW - timedelta(hours=20), **extra}


def _describe(name: str, keep_alive: int | None = None) -> dict[str, object]:
    rc: dict[str, object] = {"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
    if keep_alive:
        rc["KeepAlivePeriodInSeconds"] = keep_alive
    return {
        "TrainingJobName": name, "TrainingJobArn": ARN + name, "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed", "CreationTime": NOW - timedelta(days=1),
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/m"},
        "AlgorithmSpecification": {"TrainingImage": "img:1-cpu", "TrainingInputMode": "File"},
        "HyperParameters": {"tree_method": "hist", "eta": "0.1"}, "RoleArn": "arn:aws:iam::123456789012:role/r",
        "ResourceConfig": rc, "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "TrainingStartTime": NOW - timedelta(hours=22), "TrainingEndTime": NOW - timedelta(hours=20),
        "TrainingTimeInSeconds": 7200, "BillableTimeInSeconds": 7200, "EnableManagedSpotTraining": False,
    }


@pytest.fixture
def sagemaker():
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub


def test_one_listing_per_window_then_a_describe_per_finished_job(sagemaker, tmp_path, monkeypatch):
    client, stub = sagemaker
    pool = {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": 600}
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": [
        _summary("done", "Completed"), _summary("running", "InProgress"), _summary("failed", "Failed"),
        _summary("pooled", "Completed", WarmPoolStatus=pool)]}, {"CreationTimeAfter": SINCE, "MaxResults": 100})
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": [_summary("pooled", "Completed",
                                                                               WarmPoolStatus=pool)]},
                      {"WarmPoolStatusEquals": "Available", "MaxResults": 100})
    stub.add_response("describe_training_job", _describe("done"), {"TrainingJobName": "done"})
    stub.add_response("describe_training_job", _describe("pooled", 3600), {"TrainingJobName": "pooled"})
    stub.add_response("list_processing_jobs", {"ProcessingJobSummaries": []},
                      {"CreationTimeAfter": SINCE, "MaxResults": 100})
    cache = DescribeCache(tmp_path / "cache.json")
    scope = RegionScope("123456789012", "us-east-1", client, Pricer(load_catalog(use_cache=False), "us-east-1", NOW),
                        cache)
    monkeypatch.setattr("sagetrim.inventory.collectors.DESCRIBE_WORKERS", 1)  # the stubbed order holds
    records = {r.name: r for r in collect_history(scope, 14)}
    stub.assert_no_pending_responses()
    assert set(records) == {"done", "pooled"}
    done, pooled = records["done"], records["pooled"]
    assert done.kind is Kind.TRAINING and done.usd_per_hour == 0 and done.details.finished
    assert done.details.billable_s == 7200 and done.details.gpu_settings == {"tree_method": "hist"}
    assert pooled.details.warm_pool.status == "Available" and pooled.details.keep_alive_s == 3600
    assert pooled.usd_per_hour > 1.5  # a live warm pool bills its instance (and volume)
    cache.save()

    # Finished jobs never change: the next run describes nothing.
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": [_summary("done", "Completed")]},
                      {"CreationTimeAfter": SINCE, "MaxResults": 100})
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": []},
                      {"WarmPoolStatusEquals": "Available", "MaxResults": 100})
    stub.add_response("list_processing_jobs", {"ProcessingJobSummaries": []},
                      {"CreationTimeAfter": SINCE, "MaxResults": 100})
    scope.cache = DescribeCache(tmp_path / "cache.json")
    assert [r.name for r in collect_history(scope, 14)] == ["done"]
    stub.assert_no_pending_responses()
