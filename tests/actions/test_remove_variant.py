"""remove-variant: an idle variant leaves a serving endpoint through a new endpoint configuration, after a
backup; the rest keep serving as they are; `restore` puts the variant back; every reason not to act holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sagetrim.actions.executor import Outcome, carry_out
from sagetrim.actions.journal import Journal
from sagetrim.actions.reconcile import reconcile
from sagetrim.actions.restore import restore_endpoint
from sagetrim.actions.state import LocalStore, StateStore
from sagetrim.errors import UsageError
from sagetrim.rules.model import Action, Finding
from sagetrim.sim import SimServer
from tests.actions.helpers import DIMENSION, REGION, finding, make_endpoint

NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)
CANARY = "endpoint/churn/variant/canary"


def remove(clean_sim: SimServer, variant: str = "canary", name: str = "churn") -> Finding:
    f = finding(clean_sim, "endpoint", name, Action.REMOVE_VARIANT, rule="idle-variant", savings=85.0)
    return replace(f, evidence={**f.evidence, "variant": variant})


def act(clean_sim: SimServer, store: StateStore, journal: Journal, findings: list[Finding],
        **kwargs: Any) -> list[Outcome]:
    kwargs.setdefault("apply", True)
    return carry_out(findings, session_for=lambda account, region: clean_sim.session(region), store=store,
                     journal=journal, now=NOW, **kwargs)


def endpoint(clean_sim: SimServer, name: str = "churn") -> dict[str, Any]:
    return dict(clean_sim.client("sagemaker", REGION).describe_endpoint(EndpointName=name))


def variants(clean_sim: SimServer, name: str = "churn") -> dict[str, int]:
    return {v["VariantName"]: v["CurrentInstanceCount"] for v in endpoint(clean_sim, name)["ProductionVariants"]}


def scaled_variants(clean_sim: SimServer) -> set[str]:
    targets = clean_sim.client("application-autoscaling", REGION).describe_scalable_targets(
        ServiceNamespace="sagemaker")["ScalableTargets"]
    return {t["ResourceId"] for t in targets}


@pytest.fixture
def churn(clean_sim: SimServer) -> SimServer:
    """Endpoint churn: primary (2 x ml.m5.xlarge, autoscaling) and canary (1 x ml.c5.large, autoscaling too)."""
    make_endpoint(clean_sim, "churn")
    clean_sim.client("application-autoscaling", REGION).register_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=CANARY, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=2)
    return clean_sim


def test_given_a_dry_run_then_the_plan_names_the_variant_and_nothing_changes(churn: SimServer, store: StateStore,
                                                                                journal: Journal) -> None:
    [outcome] = act(churn, store, journal, [remove(churn)], apply=False)
    assert outcome.status == "planned" and "without variant canary" in outcome.reason
    assert variants(churn) == {"primary": 2, "canary": 1}


def test_given_an_idle_variant_when_applied_then_the_endpoint_serves_the_rest_as_they_are_now(
    churn: SimServer, store: StateStore, journal: Journal
) -> None:
    # Autoscaling has moved the primary to 4 instances since the configuration was written.
    churn.client("sagemaker", REGION).update_endpoint_weights_and_capacities(
        EndpointName="churn", DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 4}])
    [outcome] = act(churn, store, journal, [remove(churn)])
    assert outcome.status == "done", outcome.reason
    assert variants(churn) == {"primary": 4}
    sm = churn.client("sagemaker", REGION)
    new = sm.describe_endpoint_config(EndpointConfigName=endpoint(churn)["EndpointConfigName"])
    assert [(v["VariantName"], v["InitialInstanceCount"]) for v in new["ProductionVariants"]] == [("primary", 4)]
    assert new["DataCaptureConfig"]["DestinationS3Uri"] == "s3://capture-bucket/churn"  # the rest as it was
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=new["EndpointConfigArn"])["Tags"]}
    assert tags == {"team": "fraud", "sagetrim:replaces": "churn-config"}
    assert scaled_variants(churn) == {"endpoint/churn/variant/primary"}  # the canary's target is gone, the rest stay
    assert outcome.backup and store.get_json(outcome.backup)["endpoint_config"]["EndpointConfigName"] == "churn-config"
    [intent] = [e for e in journal.read().entries if e.outcome == "started"]
    assert intent.extra == {"variant": "canary"} and intent.backup_sha256


def test_given_traffic_since_the_scan_when_applied_then_the_variant_stays(churn: SimServer, store: StateStore,
                                                                           journal: Journal) -> None:
    [outcome] = act(churn, store, journal, [remove(churn)], recheck=lambda f: "received 3 invocations")
    assert (outcome.status, outcome.reason) == ("skipped", "received 3 invocations")
    assert variants(churn) == {"primary": 2, "canary": 1}
    assert CANARY in scaled_variants(churn)


def test_given_an_opt_out_tag_when_applied_then_the_variant_stays(clean_sim: SimServer, store: StateStore,
                                                                  journal: Journal) -> None:
    make_endpoint(clean_sim, "churn", tags={"sagetrim:exclude": "true"})
    [outcome] = act(clean_sim, store, journal, [remove(clean_sim)])
    assert outcome.status == "skipped" and "opted out" in outcome.reason
    assert variants(clean_sim) == {"primary": 2, "canary": 1}


@pytest.mark.parametrize(("variant", "why"), [
    ("blue", "variant blue is no longer part of endpoint churn"),
])
def test_given_a_variant_the_endpoint_no_longer_has_when_applied_then_skipped(
    churn: SimServer, store: StateStore, journal: Journal, variant: str, why: str
) -> None:
    [outcome] = act(churn, store, journal, [remove(churn, variant)])
    assert (outcome.status, outcome.reason) == ("skipped", why)


def test_given_the_only_production_variant_when_applied_then_it_is_never_removed(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    sm = clean_sim.client("sagemaker", REGION)
    make_endpoint(clean_sim, "churn", autoscaling=False)
    sm.create_endpoint_config(EndpointConfigName="one", ProductionVariants=[
        {"VariantName": "primary", "ModelName": "churn-model-a", "InitialInstanceCount": 1,
         "InstanceType": "ml.m5.xlarge"}],
        ShadowProductionVariants=[{"VariantName": "shadow", "ModelName": "churn-model-b", "InitialInstanceCount": 1,
                                   "InstanceType": "ml.c5.large"}])
    sm.update_endpoint(EndpointName="churn", EndpointConfigName="one")
    [outcome] = act(clean_sim, store, journal, [remove(clean_sim, "primary")])
    assert (outcome.status, outcome.reason) == ("skipped", "variant primary is the endpoint's only production variant")
    [outcome] = act(clean_sim, store, journal, [remove(clean_sim, "shadow")])  # a shadow variant may go
    assert outcome.status == "done", outcome.reason
    described = endpoint(clean_sim)
    assert "ShadowProductionVariants" not in described and variants(clean_sim) == {"primary": 1}


def test_given_an_endpoint_being_updated_when_applied_then_skipped_until_later(churn: SimServer, store: StateStore,
                                                                              journal: Journal) -> None:
    churn.set_status(churn.account_id, REGION, "endpoint", "churn", "Updating")
    [outcome] = act(churn, store, journal, [remove(churn)])
    assert (outcome.status, outcome.reason) == ("skipped", "the endpoint is Updating; retry later")


def test_given_a_removed_variant_when_restored_then_it_serves_again_with_its_autoscaling(
    churn: SimServer, store: StateStore, journal: Journal
) -> None:
    act(churn, store, journal, [remove(churn)])
    sm, aas = churn.client("sagemaker", REGION), churn.client("application-autoscaling", REGION)
    result = restore_endpoint(sm, aas, store, churn.account_id, REGION, "churn", journal=journal, poll_s=0)
    assert endpoint(churn)["EndpointConfigName"] == "churn-config"
    assert variants(churn) == {"primary": 2, "canary": 1}
    assert scaled_variants(churn) == {"endpoint/churn/variant/primary", CANARY}
    assert result.created[0] == "endpoint churn back on churn-config" and f"scalable target {CANARY}" in result.created
    # Run again, nothing more to put back: the endpoint is on the backup's configuration.
    with pytest.raises(UsageError, match="not on a configuration sagetrim made"):
        restore_endpoint(sm, aas, store, churn.account_id, REGION, "churn", poll_s=0)


def test_given_an_endpoint_someone_else_moved_on_when_restored_then_nothing_changes(
    churn: SimServer, store: StateStore, journal: Journal
) -> None:
    act(churn, store, journal, [remove(churn)])
    sm, aas = churn.client("sagemaker", REGION), churn.client("application-autoscaling", REGION)
    sm.create_endpoint_config(EndpointConfigName="their-release", ProductionVariants=[
        {"VariantName": "primary", "ModelName": "churn-model-a", "InitialInstanceCount": 2,
         "InstanceType": "ml.m5.xlarge"}])
    sm.update_endpoint(EndpointName="churn", EndpointConfigName="their-release")
    with pytest.raises(UsageError, match="configuration their-release"):
        restore_endpoint(sm, aas, store, churn.account_id, REGION, "churn", poll_s=0)
    assert endpoint(churn)["EndpointConfigName"] == "their-release"


def test_given_a_run_killed_after_the_update_when_reconciled_then_the_removal_is_recorded_done(
    churn: SimServer, store: StateStore, journal: Journal, tmp_path: Path
) -> None:
    act(churn, store, journal, [remove(churn)])
    # Only the intent, as a run killed right after UpdateEndpoint would have left the journal.
    [intent] = [e for e in journal.read().entries if e.outcome == "started"]
    fresh = Journal(LocalStore(tmp_path / "killed"))
    fresh.record(intent)
    [settled] = reconcile(fresh, lambda account, region: churn.session(region), NOW)
    assert settled.outcome == "done" and "without variant canary" in settled.reason


def test_given_a_run_killed_before_the_update_when_reconciled_then_it_is_recorded_not_done(
    churn: SimServer, store: StateStore, journal: Journal, tmp_path: Path
) -> None:
    act(churn, store, journal, [remove(churn)], apply=False)
    planned = journal.read().entries[-1]
    fresh = Journal(LocalStore(tmp_path / "killed"))
    fresh.record(replace(planned, outcome="started", dry_run=False, action_id="a" * 32, extra={"variant": "canary"}))
    [settled] = reconcile(fresh, lambda account, region: churn.session(region), NOW)
    assert settled.outcome == "failed" and "variant canary of endpoint churn still serves" in settled.reason


def test_given_update_endpoint_fails_when_applied_then_the_variant_keeps_serving_with_its_autoscaling(
    churn: SimServer, store: StateStore, journal: Journal
) -> None:
    churn.faults.add("ValidationException", status=400, service="sagemaker", operation="UpdateEndpoint", times=1)
    [outcome] = act(churn, store, journal, [remove(churn)])
    assert outcome.status == "failed"
    assert "the endpoint stays on churn-config" in outcome.reason
    assert "its autoscaling, deregistered for the update, is registered again" in outcome.reason
    assert variants(churn) == {"primary": 2, "canary": 1} and CANARY in scaled_variants(churn)
    churn.faults.clear()
    [again] = carry_out([remove(churn)], session_for=lambda account, region: churn.session(region), store=store,
                        journal=journal, now=NOW.replace(hour=4), apply=True)
    assert again.status == "done" and variants(churn) == {"primary": 2}


def test_given_a_removed_variant_when_restored_then_the_journal_says_it_was_put_back(
    churn: SimServer, store: StateStore, journal: Journal
) -> None:
    act(churn, store, journal, [remove(churn)])
    sm, aas = churn.client("sagemaker", REGION), churn.client("application-autoscaling", REGION)
    restore_endpoint(sm, aas, store, churn.account_id, REGION, "churn", journal=journal, poll_s=0)
    [entry] = [e for e in journal.read().entries if e.action == "restore-endpoint"]
    assert entry.outcome == "done" and entry.reason.startswith("restored endpoint churn back on churn-config")


def test_given_a_changed_endpoint_that_is_updating_when_restored_then_nothing_changes_until_it_is_in_service(
    churn: SimServer, store: StateStore, journal: Journal
) -> None:
    act(churn, store, journal, [remove(churn)])
    churn.set_status(churn.account_id, REGION, "endpoint", "churn", "Updating")
    sm, aas = churn.client("sagemaker", REGION), churn.client("application-autoscaling", REGION)
    with pytest.raises(UsageError, match="is Updating; it can be put back on configuration churn-config once it is"):
        restore_endpoint(sm, aas, store, churn.account_id, REGION, "churn", poll_s=0)
    assert endpoint(churn)["EndpointConfigName"] != "churn-config"


def test_given_autoscaling_moved_a_kept_variant_when_restored_then_it_keeps_its_count(
    churn: SimServer, store: StateStore, journal: Journal
) -> None:
    act(churn, store, journal, [remove(churn)])
    sm, aas = churn.client("sagemaker", REGION), churn.client("application-autoscaling", REGION)
    sm.update_endpoint_weights_and_capacities(EndpointName="churn", DesiredWeightsAndCapacities=[
        {"VariantName": "primary", "DesiredInstanceCount": 5}])  # scaled out since the removal
    restore_endpoint(sm, aas, store, churn.account_id, REGION, "churn", poll_s=0)
    assert variants(churn) == {"primary": 5, "canary": 1}
