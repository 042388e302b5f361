"""The executor at its edges: a resource gone between the check and the change, autoscaling already gone or not
ours to deregister, the tag limit of a new configuration, the per-run limit's default and bounds, a budget that
runs out at the change itself, and a notice held back for an opt-out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from sagetrim.actions.budget import TimeBudget
from sagetrim.actions.executor import Outcome, carry_out
from sagetrim.actions.journal import Journal
from sagetrim.actions.notify import NotifySettings
from sagetrim.actions.state import StateStore
from sagetrim.errors import GuardrailError, UsageError
from sagetrim.rules.model import Action, Finding
from sagetrim.sim import SimServer
from tests.actions.helpers import DIMENSION, REGION, endpoint_exists, finding, make_endpoint, make_notebook

NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)
NOT_FOUND = {"code": "ValidationException", "message": "Could not find endpoint \"churn\"."}


def act(sim: SimServer, store: StateStore, journal: Journal, findings: list[Finding], **kwargs: Any) -> list[Outcome]:
    kwargs.setdefault("apply", True)
    return carry_out(findings, session_for=lambda account, region: sim.session(region), store=store,
                     journal=journal, now=NOW, **kwargs)


def test_given_a_notebook_gone_at_the_stop_then_it_is_already_gone_and_a_denied_stop_fails(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    make_notebook(clean_sim, "ds-alice")
    make_notebook(clean_sim, "ds-bob")
    clean_sim.faults.add("ValidationException", message="RecordNotFound", service="sagemaker",
                         operation="StopNotebookInstance", times=1)
    [gone] = act(clean_sim, store, journal, [finding(clean_sim, "notebook-instance", "ds-alice", Action.STOP_NOTEBOOK)])
    clean_sim.faults.add("AccessDeniedException", service="sagemaker", operation="StopNotebookInstance", times=1)
    [denied] = act(clean_sim, store, journal, [finding(clean_sim, "notebook-instance", "ds-bob", Action.STOP_NOTEBOOK)])
    assert (gone.status, gone.reason) == ("skipped", "already gone")
    assert denied.status == "failed" and "AccessDeniedException on StopNotebookInstance" in denied.reason


def test_given_an_endpoint_gone_at_the_delete_then_it_is_already_gone_with_its_backup(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn", autoscaling=False)
    clean_sim.faults.add(service="sagemaker", operation="DeleteEndpoint", times=1, **NOT_FOUND)
    [outcome] = act(clean_sim, store, journal, [finding(clean_sim, "endpoint", "churn", Action.DELETE_ENDPOINT)])
    assert (outcome.status, outcome.reason) == ("skipped", "already gone") and outcome.backup


def test_given_autoscaling_deregistered_by_someone_else_then_the_delete_is_done_without_a_complaint(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn")
    # Someone deregisters the target after the backup read it: the delete's own deregistration finds nothing.
    clean_sim.faults.add("ObjectNotFoundException", message="No scalable target registered",
                         service="application-autoscaling", operation="DeregisterScalableTarget", times=1)
    [outcome] = act(clean_sim, store, journal, [finding(clean_sim, "endpoint", "churn", Action.DELETE_ENDPOINT)])
    assert outcome.status == "done" and "could not deregister" not in outcome.reason


def test_given_autoscaling_that_cannot_be_deregistered_then_the_delete_says_so(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn")
    clean_sim.faults.add("AccessDeniedException", service="application-autoscaling",
                         operation="DeregisterScalableTarget", times=1)
    [outcome] = act(clean_sim, store, journal, [finding(clean_sim, "endpoint", "churn", Action.DELETE_ENDPOINT)])
    assert outcome.status == "done" and not endpoint_exists(clean_sim, "churn")
    assert "could not deregister autoscaling targets (endpoint/churn/variant/primary: AccessDeniedException" in (
        outcome.reason)


def _remove(sim: SimServer, name: str = "churn", variant: str = "canary") -> Finding:
    f = finding(sim, "endpoint", name, Action.REMOVE_VARIANT, rule="idle-variant")
    return replace(f, evidence={**f.evidence, "variant": variant})


def test_given_an_endpoint_gone_before_a_variant_removal_then_it_is_already_gone(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    [outcome] = act(clean_sim, store, journal, [_remove(clean_sim, "nowhere")])
    assert (outcome.status, outcome.reason) == ("skipped", "already gone")


def test_given_a_configuration_with_fifty_tags_then_the_new_one_keeps_forty_nine_and_the_marker(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn", autoscaling=False)
    sm = clean_sim.client("sagemaker", REGION)
    arn = sm.describe_endpoint_config(EndpointConfigName="churn-config")["EndpointConfigArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i:02d}", "Value": "v"} for i in range(49)])  # 50 with "team"
    [outcome] = act(clean_sim, store, journal, [_remove(clean_sim)])
    assert outcome.status == "done", outcome.reason
    new = sm.describe_endpoint(EndpointName="churn")["EndpointConfigName"]
    tags = sm.list_tags(ResourceArn=sm.describe_endpoint_config(EndpointConfigName=new)["EndpointConfigArn"],
                        MaxResults=100)["Tags"]
    assert len(tags) == 50 and tags[-1] == {"Key": "sagetrim:replaces", "Value": "churn-config"}
    assert [t["Key"] for t in tags[:49]] == ["team", *(f"k{i:02d}" for i in range(48))]


def _stops(sim: SimServer, n: int) -> list[Finding]:
    return [finding(sim, "notebook-instance", f"nb-{i}", Action.STOP_NOTEBOOK) for i in range(n)]


def test_given_no_limit_then_twenty_five_destructive_actions_are_planned_and_twenty_six_are_refused(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    assert {o.status for o in act(clean_sim, store, journal, _stops(clean_sim, 25), apply=False)} == {"planned"}
    with pytest.raises(GuardrailError, match="26 destructive actions"):
        act(clean_sim, store, journal, _stops(clean_sim, 26), apply=False)


def test_given_a_limit_of_zero_then_only_harmless_actions_go_and_a_negative_limit_is_refused(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    notice = finding(clean_sim, "endpoint", "churn", Action.NOTIFY)
    assert [o.status for o in act(clean_sim, store, journal, [notice], apply=False, max_actions=0)] == ["planned"]
    with pytest.raises(GuardrailError):
        act(clean_sim, store, journal, _stops(clean_sim, 1), apply=False, max_actions=0)
    with pytest.raises(UsageError, match="0 or more, not -1"):
        act(clean_sim, store, journal, [notice], apply=False, max_actions=-1)


def test_given_a_budget_that_runs_out_at_the_change_then_it_waits_for_aws_to_tell_and_the_next_action_goes(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    for name in ("first", "second"):
        make_endpoint(clean_sim, name, autoscaling=False)
    clean_sim.faults.throttle(service="sagemaker", operation="DeleteEndpoint", times=1)
    # 10 s left (under botocore's 20 s backoff cap, so a throttled call is not retried); the clock stands still,
    # so the first action took no time and the second fits.
    budget = TimeBudget(remaining=lambda: 10.0, margin_s=0.0, describe="the test's budget", clock=lambda: 1000.0)
    deletes = [finding(clean_sim, "endpoint", n, Action.DELETE_ENDPOINT) for n in ("first", "second")]

    first, second = act(clean_sim, store, journal, deletes, budget=budget)

    assert first.status == "deferred" and "the next applied run checks AWS" in first.reason
    assert second.status == "done"
    entries = [e for e in journal.read().entries if e.name == "first"]
    assert [e.outcome for e in entries] == ["started"], "the intent stays open for the next run to settle"


def test_given_a_notice_about_a_resource_that_opted_out_then_it_is_held_back_and_recorded(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn", autoscaling=False, tags={"sagetrim:exclude": "true"})
    make_endpoint(clean_sim, "fraud", autoscaling=False)
    arn = {e: clean_sim.client("sagemaker", REGION).describe_endpoint(EndpointName=e)["EndpointArn"]
           for e in ("churn", "fraud")}
    topic = clean_sim.client("sns", REGION).create_topic(Name="sagetrim")["TopicArn"]
    notices = [replace(finding(clean_sim, "endpoint", e, Action.NOTIFY), arn=arn[e]) for e in ("churn", "fraud")]

    held, sent = act(clean_sim, store, journal, notices, notify=NotifySettings(sns_topic_arn=topic))

    assert held.status == "skipped" and "opted out" in held.reason
    assert sent.status == "done" and "about 1 resource" in sent.reason
    assert {e.name: e.outcome for e in journal.read().entries} == {"churn": "skipped", "fraud": "done"}


def test_given_a_scalable_target_on_a_variant_kept_then_a_removal_leaves_it(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn")  # autoscaling on primary only
    [outcome] = act(clean_sim, store, journal, [_remove(clean_sim)])
    assert outcome.status == "done" and "its autoscaling" not in outcome.reason
    targets = clean_sim.client("application-autoscaling", REGION).describe_scalable_targets(
        ServiceNamespace="sagemaker", ScalableDimension=DIMENSION)["ScalableTargets"]
    assert [t["ResourceId"] for t in targets] == ["endpoint/churn/variant/primary"]


def test_given_a_finding_its_action_cannot_apply_to_then_it_is_journaled_as_failed(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    wrong = finding(clean_sim, "endpoint", "churn", Action.STOP_NOTEBOOK)
    [outcome] = act(clean_sim, store, journal, [wrong])
    assert outcome.status == "failed" and "applies to notebook-instance, not to endpoint churn" in outcome.reason
    assert [(e.name, e.outcome) for e in journal.read().entries] == [("churn", "failed")]


def test_given_a_journal_that_fails_before_anything_ran_then_the_store_error_stops_the_run_as_it_is(
    clean_sim: SimServer, store: StateStore
) -> None:
    from sagetrim.actions.executor import RunInterrupted
    from sagetrim.actions.state import StoreError
    from sagetrim.sim.faults import FaultyStore

    faulty = FaultyStore(store)
    faulty.fail("append_record", "error")
    make_notebook(clean_sim, "ds-alice")
    findings = [finding(clean_sim, "endpoint", "churn", Action.STOP_NOTEBOOK),
                finding(clean_sim, "notebook-instance", "ds-alice", Action.STOP_NOTEBOOK)]
    with pytest.raises(StoreError) as err:
        act(clean_sim, faulty, Journal(faulty), findings)
    assert not isinstance(err.value, RunInterrupted)
    sm = clean_sim.client("sagemaker", REGION)
    assert sm.describe_notebook_instance(NotebookInstanceName="ds-alice")["NotebookInstanceStatus"] == "InService"


def test_given_no_time_left_then_every_action_is_deferred_once(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    budget = TimeBudget(remaining=lambda: 0.0, margin_s=0.0, describe="the test's budget", clock=lambda: 0.0)
    stops = [finding(clean_sim, "notebook-instance", n, Action.STOP_NOTEBOOK) for n in ("a", "b", "c")]
    outcomes = act(clean_sim, store, journal, stops, budget=budget)
    assert [o.status for o in outcomes] == ["deferred"] * 3
    assert sorted(e.name for e in journal.read().entries if e.outcome == "deferred") == ["a", "b", "c"]


def test_given_notices_and_nowhere_to_send_them_then_no_tags_are_read_for_them(
    clean_sim: SimServer, store: StateStore, journal: Journal
) -> None:
    clean_sim.requests.reset()
    [outcome] = act(clean_sim, store, journal, [finding(clean_sim, "endpoint", "churn", Action.NOTIFY)])
    assert outcome.status == "skipped" and outcome.reason.startswith("no SNS topic or webhook is set")
    assert [r.key for r in clean_sim.requests.records if "GetResources" in r.key] == []
