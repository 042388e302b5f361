"""Restore trusts nothing it reads: a tampered, foreign or oversized backup is refused before any change."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from sagetrim.actions.backup import backup_digest
from sagetrim.actions.restore import restore, restore_endpoint
from sagetrim.actions.verify import UnsafeBackup
from sagetrim.config import RestoreSettings
from tests.actions.helpers import REGION, delete_with_backup, endpoint_exists, make_endpoint

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagetrim.actions.journal import Journal
    from sagetrim.actions.state import LocalStore
    from sagetrim.sim import SimServer

TEAM_LIMITS = RestoreSettings(instance_types=["ml.m5.*", "ml.c5.*"], max_instances=8,
                              execution_roles=["sagemaker-execution"],
                              images=["123456789012.dkr.ecr.*.amazonaws.com/churn:*"])


def _endpoint_deleted_with_backup(clean_sim: SimServer, store: LocalStore, journal: Journal) -> str:
    make_endpoint(clean_sim, "churn")
    return delete_with_backup(clean_sim, store, journal)


def _tamper(store: LocalStore, key: str, change: Callable[[dict[str, Any]], None], *, re_sign: bool) -> None:
    """Change a backup in the store; with ``re_sign`` also rewrite the journal's digest to match, as someone
    who can write the whole state store could."""
    doc = store.get_json(key)
    assert doc is not None
    before = backup_digest(doc)
    change(doc)
    store.put_json(key, doc)
    if re_sign:
        journal_file = store.root / "journal.jsonl"
        journal_file.write_text(journal_file.read_text().replace(before, backup_digest(doc)))


def _restore(clean_sim: SimServer, store: LocalStore, name: str = "churn", **kwargs: Any) -> Any:
    return restore_endpoint(clean_sim.client("sagemaker", REGION), clean_sim.client("application-autoscaling", REGION),
                            store, clean_sim.account_id, REGION, name, poll_s=1, **kwargs)


def _writes(clean_sim: SimServer) -> list[str]:
    return [r.operation for r in clean_sim.requests.records if not r.operation.startswith(("Describe", "List"))]


def _bigger_instance(doc: dict[str, Any]) -> None:
    doc["endpoint_config"]["ProductionVariants"][0]["InstanceType"] = "ml.p4d.24xlarge"


def _more_instances(doc: dict[str, Any]) -> None:
    doc["endpoint_config"]["ProductionVariants"][0]["InitialInstanceCount"] = 40


def _other_image(doc: dict[str, Any]) -> None:
    doc["models"][0]["model"]["PrimaryContainer"]["Image"] = "999999999999.dkr.ecr.us-east-1.amazonaws.com/miner:1"


def _other_role(doc: dict[str, Any]) -> None:
    account = doc["account"]
    doc["models"][0]["model"]["ExecutionRoleArn"] = f"arn:aws:iam::{account}:role/OrganizationAdmin"


TAMPERING = {"bigger instance": (_bigger_instance, "InstanceType ml.p4d.24xlarge is not allowed"),
             "more instances": (_more_instances, "InitialInstanceCount 40, more than restore.max_instances"),
             "another image": (_other_image, "image 999999999999.* is not allowed by restore.images"),
             "another role": (_other_role, "role OrganizationAdmin is not allowed by restore.execution_roles")}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_given_a_backup_changed_after_it_was_written_when_restored_then_refused_and_nothing_is_created(
    clean_sim: SimServer, store: LocalStore, journal: Journal, case: str
) -> None:
    key = _endpoint_deleted_with_backup(clean_sim, store, journal)
    _tamper(store, key, TAMPERING[case][0], re_sign=False)
    clean_sim.requests.reset()

    with pytest.raises(UnsafeBackup, match="nothing was created: the backup was changed after it was written"):
        _restore(clean_sim, store, limits=TEAM_LIMITS)

    assert _writes(clean_sim) == []
    assert not endpoint_exists(clean_sim, "churn")


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_given_a_tampered_backup_with_a_rewritten_journal_when_restored_then_the_limits_refuse_it(
    clean_sim: SimServer, store: LocalStore, journal: Journal, case: str
) -> None:
    key = _endpoint_deleted_with_backup(clean_sim, store, journal)
    change, message = TAMPERING[case]
    _tamper(store, key, change, re_sign=True)
    clean_sim.requests.reset()

    with pytest.raises(UnsafeBackup, match=message):
        _restore(clean_sim, store, limits=TEAM_LIMITS)

    assert _writes(clean_sim) == []
    assert not endpoint_exists(clean_sim, "churn")


def test_given_an_untouched_backup_when_restored_within_the_team_limits_then_the_endpoint_is_back(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    _endpoint_deleted_with_backup(clean_sim, store, journal)

    result = _restore(clean_sim, store, limits=TEAM_LIMITS)

    assert result.endpoint_name == "churn"
    assert endpoint_exists(clean_sim, "churn")


def test_given_the_default_limits_when_a_role_of_another_account_or_a_foreign_target_is_restored_then_refused(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    key = _endpoint_deleted_with_backup(clean_sim, store, journal)

    def foreign(doc: dict[str, Any]) -> None:
        doc["models"][1]["model"]["ExecutionRoleArn"] = "arn:aws:iam::999999999999:role/sagemaker-execution"
        doc["autoscaling"]["scalable_targets"][0]["ResourceId"] = "endpoint/payments/variant/primary"

    _tamper(store, key, foreign, re_sign=True)
    clean_sim.requests.reset()

    with pytest.raises(UnsafeBackup) as caught:
        _restore(clean_sim, store)

    assert "is a role of account 999999999999, not of the endpoint's account" in str(caught.value)
    assert "endpoint/payments/variant/primary is not a variant of endpoint churn" in str(caught.value)
    assert _writes(clean_sim) == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["endpoint_config"]["ProductionVariants"][0].update(InitialInstanceCount="2"),
     r"ProductionVariants\[0\]\.InitialInstanceCount: Input should be a valid integer"),
    (lambda d: d["endpoint_config"]["ProductionVariants"][0].update(InstanceType="m5 xlarge"),
     r"ProductionVariants\[0\]\.InstanceType: String should match pattern"),
    (lambda d: d.pop("models"), r"models: Field required"),
    (lambda d: d.update(name="payments"), "name: the backup is of payments, not churn"),
    (lambda d: d["autoscaling"]["scalable_targets"][0].update(ServiceNamespace="ec2"),
     r"scalable_targets\[0\]\.ServiceNamespace: Input should be 'sagemaker'"),
])
def test_given_a_malformed_backup_when_restored_then_the_message_names_the_field(
    clean_sim: SimServer, store: LocalStore, journal: Journal, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    key = _endpoint_deleted_with_backup(clean_sim, store, journal)
    _tamper(store, key, change, re_sign=True)
    clean_sim.requests.reset()

    with pytest.raises(UnsafeBackup, match=message):
        _restore(clean_sim, store)

    assert _writes(clean_sim) == []


def test_given_a_backup_without_a_recorded_digest_when_restored_then_only_allow_unverified_restores_it(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    _endpoint_deleted_with_backup(clean_sim, store, journal)
    journal_file = store.root / "journal.jsonl"
    records = [json.loads(line) for line in journal_file.read_text().splitlines()]
    journal_file.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "backup_sha256"}) + "\n"
                                    for r in records))

    with pytest.raises(UnsafeBackup, match="records no digest for this backup .* --allow-unverified"):
        _restore(clean_sim, store)
    with pytest.raises(UnsafeBackup, match="records no digest for this backup .* --allow-unverified"):
        restore(clean_sim.session(REGION), REGION, "churn", store=store, account=clean_sim.account_id)
    assert not endpoint_exists(clean_sim, "churn")

    _restore(clean_sim, store, allow_unverified=True)
    assert endpoint_exists(clean_sim, "churn")


def test_given_a_delete_when_journaled_then_the_entry_carries_the_digest_of_the_backup_as_stored(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    key = _endpoint_deleted_with_backup(clean_sim, store, journal)
    stored = store.get_json(key)
    assert stored is not None

    [entry] = [e for e in journal.entries() if e.backup == key and e.outcome == "done"]

    assert entry.backup_sha256 == backup_digest(stored)
