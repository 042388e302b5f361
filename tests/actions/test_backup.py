"""Endpoint backups: everything a restore needs, written and read back, or an error and no backup."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from sagetrim.actions.backup import EndpointNotFound, backup_digest, backup_endpoint, backup_key
from sagetrim.actions.state import LocalStore, StoreError
from sagetrim.actions.verify import check_backup
from sagetrim.errors import ActionError
from sagetrim.sim import SimServer
from tests.actions.helpers import REGION, make_endpoint, role_arn

NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)


def _backup(clean_sim: SimServer, store: Any, name: str = "churn", sm: Any = None) -> str:
    return backup_endpoint(sm or clean_sim.client("sagemaker", REGION),
                           clean_sim.client("application-autoscaling", REGION), store, clean_sim.account_id, REGION,
                           name, NOW)


class WithoutVariantSummaries:
    """A SageMaker client whose DescribeEndpoint has no ProductionVariants, as AWS answers for an endpoint that
    is being created or has failed."""

    def __init__(self, sm: Any) -> None:
        self.sm = sm

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sm, name)

    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        described = dict(self.sm.describe_endpoint(**kwargs))
        described.pop("ProductionVariants", None)
        return described


def test_given_an_endpoint_when_backed_up_then_everything_to_recreate_it_is_stored(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_endpoint(clean_sim, "churn")

    key = _backup(clean_sim, store)

    assert key == f"backups/{clean_sim.account_id}/{REGION}/endpoint/churn/20250502T030405Z.json"
    doc = store.get_json(key)
    assert doc is not None
    assert (doc["name"], doc["account"], doc["region"], doc["taken_at"]) == (
        "churn", clean_sim.account_id, REGION, "2025-05-02T03:04:05+00:00")
    assert doc["endpoint"]["EndpointConfigName"] == "churn-config"
    assert isinstance(doc["endpoint"]["CreationTime"], str), "datetimes are stored as ISO strings"
    assert "ResponseMetadata" not in doc["endpoint"]
    assert [v["VariantName"] for v in doc["endpoint_config"]["ProductionVariants"]] == ["primary", "canary"]
    assert doc["endpoint_config"]["DataCaptureConfig"]["InitialSamplingPercentage"] == 20
    assert [m["model"]["ModelName"] for m in doc["models"]] == ["churn-model-a", "churn-model-b"]
    assert doc["models"][0]["model"]["VpcConfig"]["Subnets"] == ["subnet-0123456789abcdef0"]
    assert {"Key": "model", "Value": "churn-model-a"} in doc["models"][0]["tags"]
    assert doc["endpoint_tags"] == [{"Key": "team", "Value": "fraud"}]
    assert doc["endpoint_config_tags"] == [{"Key": "team", "Value": "fraud"}]
    [target] = doc["autoscaling"]["scalable_targets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (
        "endpoint/churn/variant/primary", 1, 6)
    [policy] = doc["autoscaling"]["scaling_policies"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0


def test_given_a_describe_that_fails_when_backing_up_then_action_error_and_nothing_stored(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_endpoint(clean_sim, "churn")
    clean_sim.faults.access_denied(service="sagemaker", operation="DescribeEndpointConfig")

    with pytest.raises(ActionError, match="failed at DescribeEndpointConfig: AccessDeniedException"):
        _backup(clean_sim, store)
    assert store.list_keys("backups/") == []


def test_given_a_model_already_deleted_when_backing_up_then_refused_because_no_restore_could_work(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_endpoint(clean_sim, "churn")
    clean_sim.client("sagemaker", REGION).delete_model(ModelName="churn-model-b")

    with pytest.raises(ActionError, match="model churn-model-b .* no longer exists"):
        _backup(clean_sim, store)


def test_given_no_endpoint_when_backing_up_then_endpoint_not_found(clean_sim: SimServer, store: LocalStore) -> None:
    with pytest.raises(EndpointNotFound):
        _backup(clean_sim, store, "ghost")


class BrokenStore(LocalStore):
    """A store whose writes fail, or whose reads come back altered."""

    def __init__(self, root: Any, mode: str) -> None:
        super().__init__(root)
        self.mode = mode

    def put_json(self, key: str, doc: dict[str, Any]) -> None:
        if self.mode == "write":
            raise StoreError("could not write: disk full")
        super().put_json(key, doc)

    def get_json(self, key: str) -> dict[str, Any] | None:
        doc = super().get_json(key)
        if self.mode == "altered" and doc is not None:
            doc["models"] = []
        if self.mode == "lost":
            return None
        return doc


@pytest.mark.parametrize(("mode", "message"), [
    ("write", "could not be stored: could not write: disk full"),
    ("altered", "differs from what was written on read-back"),
    ("lost", "is missing on read-back"),
])
def test_given_a_store_that_fails_when_backing_up_then_action_error(
    clean_sim: SimServer, tmp_path: Any, mode: str, message: str
) -> None:
    make_endpoint(clean_sim, "churn", autoscaling=False)
    with pytest.raises(ActionError, match=message):
        _backup(clean_sim, BrokenStore(tmp_path, mode))


def test_given_a_backup_when_written_then_it_is_in_the_format_restore_reads(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_endpoint(clean_sim, "churn")

    key = _backup(clean_sim, store)

    doc = store.get_json(key)
    assert doc is not None and (doc["format"], doc["kind"]) == (1, "endpoint")
    backup = check_backup(doc, location=key, account=clean_sim.account_id, region=REGION, endpoint_name="churn")
    assert [t.ResourceId for t in backup.autoscaling.scalable_targets] == ["endpoint/churn/variant/primary"]


def test_given_two_autoscaled_endpoints_when_one_is_backed_up_then_only_its_own_targets_and_policies_are_in_it(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_endpoint(clean_sim, "churn")
    make_endpoint(clean_sim, "fraud")

    doc = store.get_json(_backup(clean_sim, store))

    assert doc is not None
    assert [t["ResourceId"] for t in doc["autoscaling"]["scalable_targets"]] == ["endpoint/churn/variant/primary"]
    assert [p["PolicyName"] for p in doc["autoscaling"]["scaling_policies"]] == ["churn-invocations"]


def test_given_a_describe_without_variant_summaries_when_backed_up_then_the_config_names_the_autoscaled_variants(
    clean_sim: SimServer, store: LocalStore
) -> None:
    make_endpoint(clean_sim, "churn")

    doc = store.get_json(_backup(clean_sim, store, sm=WithoutVariantSummaries(clean_sim.client("sagemaker", REGION))))

    assert doc is not None
    assert [t["ResourceId"] for t in doc["autoscaling"]["scalable_targets"]] == ["endpoint/churn/variant/primary"]
    assert [p["PolicyName"] for p in doc["autoscaling"]["scaling_policies"]] == ["churn-invocations"]


def test_given_two_variants_serving_one_model_when_backed_up_then_the_model_is_in_it_once(
    clean_sim: SimServer, store: LocalStore
) -> None:
    sm = clean_sim.client("sagemaker", REGION)
    sm.create_model(ModelName="shared", ExecutionRoleArn=role_arn(clean_sim),
                    PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"})
    sm.create_endpoint_config(EndpointConfigName="ab-config", ProductionVariants=[
        {"VariantName": name, "ModelName": "shared", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
        for name in ("a", "b")])
    sm.create_endpoint(EndpointName="ab", EndpointConfigName="ab-config")

    doc = store.get_json(_backup(clean_sim, store, "ab"))

    assert doc is not None and [m["model"]["ModelName"] for m in doc["models"]] == ["shared"]


def test_given_a_time_in_another_zone_when_a_backup_is_named_then_the_name_is_its_utc_time() -> None:
    paris = datetime(2025, 5, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))

    assert backup_key("1", REGION, "churn", paris) == f"backups/1/{REGION}/endpoint/churn/20250502T030405Z.json"
    assert backup_key("1", REGION, "churn", paris) == backup_key("1", REGION, "churn", paris.astimezone(UTC))


def test_given_a_backup_document_when_digested_then_it_is_the_sha256_of_its_canonical_utf8_json() -> None:
    doc = {"name": "modèle-été", "tags": [{"Key": "équipe", "Value": "fraude"}], "format": 1}
    reordered = {"format": 1, "tags": [{"Value": "fraude", "Key": "équipe"}], "name": "modèle-été"}
    canonical = '{"format":1,"name":"modèle-été","tags":[{"Key":"équipe","Value":"fraude"}]}'

    assert backup_digest(doc) == backup_digest(reordered) == hashlib.sha256(canonical.encode()).hexdigest()
