"""The scan against a simulated account filled by plain boto3 calls, as a user's own tooling would fill it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.conftest import run_cli

from sagetrim.catalog import Usage, load_catalog
from sagetrim.pipeline.scan import run_scan

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3-cpu-py311"
ENDPOINT_TYPES = ["ml.m5.large", "ml.c5.xlarge", "ml.g5.xlarge", "ml.inf2.xlarge", "ml.m7i.2xlarge"]
NOTEBOOK_TYPES = ["ml.t3.medium", "ml.m5.xlarge", "ml.g4dn.xlarge"]
REGIONS = ["us-east-1", "eu-west-1"]


def _fill(sim, region: str, n_endpoints: int, n_notebooks: int, n_jobs: int) -> dict[str, tuple[str, int]]:
    """Create resources with boto3 only; returns name -> (instance type, count) expected from the scan."""
    sm = sim.client("sagemaker", region)
    expected: dict[str, tuple[str, int]] = {}

    def endpoint(i: int) -> None:
        name = f"ep-{region}-{i}"
        itype, count = ENDPOINT_TYPES[i % len(ENDPOINT_TYPES)], 1 + i % 3
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": itype, "InitialInstanceCount": count}])
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
        expected[name] = (itype, count)

    def notebook(i: int) -> None:
        name = f"nb-{region}-{i}"
        itype = NOTEBOOK_TYPES[i % len(NOTEBOOK_TYPES)]
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType=itype, RoleArn=ROLE)
        expected[name] = (itype, 1)

    def job(i: int) -> None:
        name = f"train-{region}-{i}"
        itype, count = ("ml.p3.2xlarge", 1) if i % 2 else ("ml.m5.xlarge", 2)
        sm.create_training_job(
            TrainingJobName=name, RoleArn=ROLE,
            AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            OutputDataConfig={"S3OutputPath": "s3://bucket/out"},
            ResourceConfig={"InstanceType": itype, "InstanceCount": count, "VolumeSizeInGB": 30},
            StoppingCondition={"MaxRuntimeInSeconds": 86400})
        sim.set_status(sim.account_id, region, "training-job", name, "InProgress")
        expected[name] = (itype, count)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(endpoint, range(n_endpoints)))
        list(pool.map(notebook, range(n_notebooks)))
        list(pool.map(job, range(n_jobs)))
    return expected


@pytest.fixture(scope="module")
def filled(sim):
    """1,000 endpoints, 300 notebooks and 200 running training jobs in two regions."""
    expected = {}
    for region in REGIONS:
        expected.update(_fill(sim, region, 500, 150, 100))
    return expected


def test_scan_lists_every_resource_with_type_count_and_price(sim, filled, tmp_path):
    result = run_cli("scan", "--regions", ",".join(REGIONS), "--format", "json", "--output",
                     str(tmp_path / "scan.json"), env=sim.env())
    assert result.code == 0, result.err
    doc = json.loads((tmp_path / "scan.json").read_text())
    resources = {r["name"]: r for r in doc["resources"]}
    assert set(resources) == set(filled)
    catalog = load_catalog(use_cache=False)
    usage_of = {"endpoint": Usage.HOSTING, "notebook-instance": Usage.NOTEBOOK, "training-job": Usage.TRAINING}
    for name, (itype, count) in filled.items():
        r = resources[name]
        assert (r["instance_type"], r["instance_count"]) == (itype, count), name
        price = catalog.price(itype, r["region"], usage_of[r["kind"]]).usd * count
        storage = {"notebook-instance": 5 * 0.14 / 730, "training-job": 30 * count * 0.14 / 730}.get(r["kind"], 0)
        ratio = {"us-east-1": 1.0, "eu-west-1": 1.1151}[r["region"]] if storage else 1.0
        assert r["usd_per_hour"] == pytest.approx(price + storage * ratio, rel=1e-3), name
        for key in ("kind", "arn", "account", "region", "status", "month_to_date_usd", "created"):
            assert r[key] is not None, (name, key)
    endpoint = next(r for r in doc["resources"] if r["kind"] == "endpoint")
    assert endpoint["variants"][0]["instance_type"] == endpoint["instance_type"]
    assert doc["errors"] == []
    assert {f["rule"] for f in doc["findings"]} == {"notebook-without-autostop"}  # all just created, no autostop
    assert doc["totals"]["resources"] == len(filled)
    assert doc["api_calls"]["sagemaker:ListEndpoints"] == 2 * 5  # 500 per region at 100 a page
    assert set(doc["totals"]["by_region"]) == set(REGIONS)


def test_a_second_scan_of_an_unchanged_account_makes_far_fewer_calls(sim, filled):
    session = sim.session("us-east-1")
    first = run_scan(session, REGIONS, [], load_catalog(use_cache=False))
    second = run_scan(session, REGIONS, [], load_catalog(use_cache=False))
    assert sum(second.api_calls.values()) * 10 < sum(first.api_calls.values())
    assert not any(op.startswith("sagemaker:Describe") for op in second.api_calls)
    assert len(second.resources) == len(first.resources)


def test_a_changed_resource_is_described_again(sim, filled):
    session = sim.session("us-east-1")
    run_scan(session, ["us-east-1"], [], load_catalog(use_cache=False))
    sim.client("sagemaker").stop_notebook_instance(NotebookInstanceName="nb-us-east-1-0")
    again = run_scan(session, ["us-east-1"], [], load_catalog(use_cache=False))
    assert again.api_calls.get("sagemaker:DescribeNotebookInstance") == 1
    nb = next(r for r in again.resources if r.name == "nb-us-east-1-0")
    assert nb.status == "Stopped" and nb.instance_count == 0
    assert nb.usd_per_hour == pytest.approx(5 * 0.14 / 730)  # only its volume bills now


def test_a_region_that_denies_access_is_reported_and_the_others_scanned(sim, filled):
    sim.faults.add("AccessDeniedException", service="sagemaker", region="eu-west-1")
    try:
        result = run_scan(sim.session("us-east-1"), REGIONS, [], load_catalog(use_cache=False), use_cache=False)
    finally:
        sim.faults.clear()
    assert [(e.region, e.kind, e.code) for e in result.errors] == [("eu-west-1", "*", "AccessDeniedException")]
    assert {r.region for r in result.resources} == {"us-east-1"}
    assert len(result.resources) == 750


def test_roles_fan_out_to_member_accounts(sim, monkeypatch):
    for key, value in sim.env().items():
        monkeypatch.setenv(key, value)
    member = "222222222222"
    sts = sim.client("sts")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/sagetrim", RoleSessionName="setup")["Credentials"]
    import boto3

    sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=sim.url,
                      aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
    sm.create_notebook_instance(NotebookInstanceName="member-nb", InstanceType="ml.t3.medium", RoleArn=ROLE)
    result = run_scan(sim.session("us-east-1"), ["us-east-1"], [f"arn:aws:iam::{member}:role/sagetrim"],
                      load_catalog(use_cache=False), use_cache=False)
    assert [(r.account, r.name) for r in result.resources] == [(member, "member-nb")]


def test_a_malformed_role_arn_is_a_usage_error(sim):
    result = run_cli("scan", "--role-arn", "not-an-arn", env=sim.env())
    assert result.code == 2 and "not an IAM role ARN" in result.err and "Traceback" not in result.err


def test_an_unknown_region_is_a_usage_error(sim):
    result = run_cli("scan", "--regions", "us-east-9", env=sim.env())
    assert result.code == 2 and "unknown region" in result.err


def test_the_command_exits_4_when_a_region_failed_and_3_on_findings_at_the_threshold(sim, filled):
    sim.faults.add("AccessDeniedException", service="sagemaker", region="eu-west-1")
    try:
        partial = run_cli("scan", "--regions", ",".join(REGIONS), "--rules", "none", "--format", "json",
                          env=sim.env())
    finally:
        sim.faults.clear()
    assert partial.code == 4
    assert json.loads(partial.out)["errors"][0]["code"] == "AccessDeniedException"
    failing = run_cli("scan", "--regions", "us-east-1", "--fail-on", "low", "--format", "json", env=sim.env())
    assert failing.code == 3 and json.loads(failing.out)["findings"]
