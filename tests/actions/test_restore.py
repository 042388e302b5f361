"""Restore: a deleted endpoint comes back the same, from its latest backup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagetrim.actions.journal import Journal
from sagetrim.actions.restore import latest_backup, list_backups, restore, restore_endpoint
from sagetrim.actions.state import LocalStore
from sagetrim.errors import UsageError
from sagetrim.sim import SimServer
from tests.actions.helpers import REGION, delete_with_backup, endpoint_exists, make_endpoint, observed

NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)


def _restore(clean_sim: SimServer, store: LocalStore, name: str, **kwargs: Any) -> Any:
    return restore_endpoint(clean_sim.client("sagemaker", REGION), clean_sim.client("application-autoscaling", REGION),
                            store, clean_sim.account_id, REGION, name, poll_s=1, **kwargs)


def test_given_a_deleted_endpoint_when_restored_then_an_equivalent_endpoint_exists(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn")
    before = observed(clean_sim, "churn")
    delete_with_backup(clean_sim, store, journal, "churn")
    assert not endpoint_exists(clean_sim, "churn")
    autoscaling = clean_sim.client("application-autoscaling", REGION)
    assert autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    # Someone also cleaned up the configuration and a model afterwards: restore brings them back too.
    sm = clean_sim.client("sagemaker", REGION)
    sm.delete_endpoint_config(EndpointConfigName="churn-config")
    sm.delete_model(ModelName="churn-model-b")

    result = _restore(clean_sim, store, "churn", journal=journal)

    assert observed(clean_sim, "churn") == before
    assert result.created == ["model churn-model-b", "endpoint config churn-config", "endpoint churn",
                              "scalable target endpoint/churn/variant/primary", "scaling policy churn-invocations"]
    assert result.kept == ["model churn-model-a"]
    assert result.status == "InService"
    assert result.backup_key == latest_backup(store, clean_sim.account_id, REGION, "churn")
    assert result.to_json()["endpoint_arn"].endswith(":endpoint/churn")
    last = journal.entries(name="churn")[-1]
    assert (last.action, last.outcome, last.backup) == ("restore-endpoint", "done", result.backup_key)
    assert (last.dry_run, last.monthly_savings_usd) == (False, 0.0), "a restore is a change that saves nothing"


def test_given_several_backups_when_restored_without_a_key_then_the_latest_is_used(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn", autoscaling=False)
    delete_with_backup(clean_sim, store, journal, "churn", NOW)
    _restore(clean_sim, store, "churn")
    delete_with_backup(clean_sim, store, journal, "churn", NOW + timedelta(hours=1))

    keys = list_backups(store, clean_sim.account_id, REGION, "churn")
    assert len(keys) == 2
    assert _restore(clean_sim, store, "churn").backup_key == keys[-1]


def test_given_a_session_when_restored_then_the_account_comes_from_sts(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn", autoscaling=False)
    delete_with_backup(clean_sim, store, journal, "churn")

    result = restore(clean_sim.session(REGION), REGION, "churn", store=store, journal=journal)

    assert result.account == clean_sim.account_id and result.created == ["endpoint churn"]
    assert endpoint_exists(clean_sim, "churn")


def test_given_the_endpoint_exists_when_restored_then_usage_error_and_nothing_changes(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn")
    delete_with_backup(clean_sim, store, journal, "churn")
    _restore(clean_sim, store, "churn")
    clean_sim.requests.reset()

    with pytest.raises(UsageError, match="endpoint churn exists .* nothing was changed"):
        _restore(clean_sim, store, "churn")
    writes = [r.operation for r in clean_sim.requests.records if not r.operation.startswith(("Describe", "List"))]
    assert writes == []


def test_given_no_backup_when_restored_then_usage_error_names_where_it_looked(
    clean_sim: SimServer, store: LocalStore
) -> None:
    with pytest.raises(UsageError, match=rf"no backup of endpoint ghost .* in {store.root}/backups/"
                                         rf"{clean_sim.account_id}/{REGION}/endpoint/ghost"):
        _restore(clean_sim, store, "ghost")
    with pytest.raises(UsageError, match="no backup at"):
        _restore(clean_sim, store, "ghost",
                 backup_key=f"backups/{clean_sim.account_id}/{REGION}/endpoint/ghost/20250101T000000Z.json")
    with pytest.raises(UsageError, match="is not a backup of endpoint ghost .* omit --backup"):
        _restore(clean_sim, store, "ghost", backup_key="backups/x/y/endpoint/ghost/1.json")


def test_given_an_async_and_serverless_config_when_its_request_is_rebuilt_then_only_create_fields_stay(
    clean_sim: SimServer,
) -> None:
    from sagetrim.actions.common import request_from

    described = {
        "EndpointConfigName": "async-config",
        "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/async-config",
        "CreationTime": "2025-01-01T00:00:00+00:00",
        "ProductionVariants": [
            {"VariantName": "a", "ModelName": "m", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1},
            {"VariantName": "s", "ModelName": "m", "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}},
        ],
        "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://out/", "S3FailurePath": "s3://fail/"},
                                 "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4}},
        "KmsKeyId": "",
        "ShadowProductionVariants": [],
    }
    request = request_from(clean_sim.client("sagemaker", REGION), "CreateEndpointConfig", described,
                       Tags=[{"Key": "team", "Value": "ml"}])

    assert set(request) == {"EndpointConfigName", "ProductionVariants", "AsyncInferenceConfig", "Tags"}
    assert request["ProductionVariants"][1]["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert request["AsyncInferenceConfig"]["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 4}
