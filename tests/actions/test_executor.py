"""carry_out: dry run by default, guards first, re-checks right before acting, a journal of everything."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest

from sagetrim.actions.executor import (
    ACTIONS,
    NOTIFY,
    ActReport,
    Outcome,
    RunInterrupted,
    carry_out,
    required_permissions,
)
from sagetrim.actions.journal import Journal
from sagetrim.actions.notify import NotifySettings
from sagetrim.actions.reconcile import reconcile
from sagetrim.actions.restore import latest_backup
from sagetrim.actions.state import LocalStore, StateStore, StoreError
from sagetrim.errors import GuardrailError
from sagetrim.rules.model import Action, Finding
from sagetrim.sim import SimServer
from sagetrim.sim.faults import FaultyStore
from tests.actions.helpers import REGION, endpoint_exists, finding, make_endpoint, make_notebook

NOW = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)
WRITES = ("Delete", "Stop", "Add", "Create", "Put", "Register", "Deregister", "Publish", "Update")


def act(clean_sim: SimServer, store: StateStore, journal: Journal, findings: list[Finding],
        **kwargs: Any) -> list[Outcome]:
    kwargs.setdefault("apply", True)
    return carry_out(findings, session_for=lambda account, region: clean_sim.session(region), store=store,
                     journal=journal, now=NOW, **kwargs)


def aws_writes(clean_sim: SimServer) -> list[str]:
    return [r.key for r in clean_sim.requests.records if r.operation.startswith(WRITES)]


def notebook_status(clean_sim: SimServer, name: str) -> str:
    return str(clean_sim.client("sagemaker", REGION).describe_notebook_instance(NotebookInstanceName=name)
               ["NotebookInstanceStatus"])


def tags_of(clean_sim: SimServer, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in clean_sim.client("sagemaker", REGION).list_tags(ResourceArn=arn)["Tags"]}


@pytest.fixture
def fleet(clean_sim: SimServer) -> list[Finding]:
    """An idle endpoint, an idle notebook and an endpoint to tag, with one finding each."""
    make_endpoint(clean_sim, "churn")
    make_endpoint(clean_sim, "fraud", autoscaling=False)
    make_notebook(clean_sim, "ds-alice")
    clean_sim.requests.reset()
    return [
        finding(clean_sim, "endpoint", "churn", Action.DELETE_ENDPOINT, savings=800.0),
        finding(clean_sim, "notebook-instance", "ds-alice", Action.STOP_NOTEBOOK, savings=120.0),
        finding(clean_sim, "endpoint", "fraud", Action.TAG, rule="endpoint-should-autoscale", savings=42.5),
    ]


def test_given_findings_when_not_applied_then_everything_is_planned_and_nothing_changes(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    outcomes = act(clean_sim, store, journal, fleet, apply=False)

    assert [o.status for o in outcomes] == ["planned"] * 3
    assert outcomes[0].reason == "would back up endpoint churn, then delete it if it is still idle"
    assert clean_sim.requests.total() == 0, "a dry run makes no AWS call at all"
    assert endpoint_exists(clean_sim, "churn") and notebook_status(clean_sim, "ds-alice") == "InService"
    entries = journal.entries()
    assert [(e.name, e.outcome, e.dry_run) for e in entries] == [
        ("churn", "planned", True), ("ds-alice", "planned", True), ("fraud", "planned", True)]
    report = ActReport(dry_run=True, outcomes=outcomes)
    assert report.planned_savings_usd == 920.0 and report.monthly_savings_usd == 0.0


def test_given_findings_when_applied_then_each_action_is_done_and_journaled(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    outcomes = act(clean_sim, store, journal, fleet)

    assert [o.status for o in outcomes] == ["done"] * 3, [o.reason for o in outcomes]
    assert not endpoint_exists(clean_sim, "churn")
    assert outcomes[0].backup == latest_backup(store, clean_sim.account_id, REGION, "churn")
    assert "sagetrim restore churn" in outcomes[0].reason
    assert notebook_status(clean_sim, "ds-alice") == "Stopped"
    fraud = tags_of(clean_sim, fleet[2].arn)
    assert (fraud["sagetrim:finding"], fraud["sagetrim:savings-usd"]) == ("endpoint-should-autoscale", "42.50")
    entries = journal.entries()
    assert [(e.name, e.action, e.outcome, e.dry_run) for e in entries] == [
        ("churn", "delete-endpoint", "started", False), ("churn", "delete-endpoint", "done", False),
        ("ds-alice", "stop-notebook", "started", False), ("ds-alice", "stop-notebook", "done", False),
        ("fraud", "tag", "started", False), ("fraud", "tag", "done", False)], "an intent before each change"
    assert len({e.action_id for e in entries}) == 3, "an intent and its outcome share one action id"
    assert [e.backup for e in entries if e.name == "churn"] == [outcomes[0].backup] * 2
    assert ActReport(dry_run=False, outcomes=outcomes).monthly_savings_usd == 920.0
    assert json.dumps([o.to_json() for o in outcomes])


def test_given_applied_once_when_applied_again_then_nothing_more_happens(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    act(clean_sim, store, journal, fleet)
    clean_sim.requests.reset()

    again = act(clean_sim, store, journal, fleet)

    assert [(o.status, o.reason) for o in again] == [
        ("skipped", "already gone"), ("skipped", "already stopped"), ("skipped", "already tagged")]
    assert aws_writes(clean_sim) == []
    assert len(store.list_keys("backups/")) == 1, "no second backup of a deleted endpoint"


def test_given_a_backup_that_fails_when_applied_then_the_endpoint_is_not_deleted(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    clean_sim.faults.access_denied(service="sagemaker", operation="DescribeEndpointConfig")

    outcomes = act(clean_sim, store, journal, fleet[:2])

    assert outcomes[0].status == "failed"
    assert "backup of endpoint churn failed at DescribeEndpointConfig" in outcomes[0].reason
    assert outcomes[0].backup is None
    assert endpoint_exists(clean_sim, "churn")
    assert "sagemaker:DeleteEndpoint" not in aws_writes(clean_sim)
    assert outcomes[1].status == "done", "one failed action does not stop the others"
    assert [e.outcome for e in journal.entries(name="churn")] == ["failed"]


class UnwritableStore(LocalStore):
    """A store that refuses to write keys under one prefix."""

    def __init__(self, root: Any, refuse: str) -> None:
        super().__init__(root)
        self.refuse = refuse

    def put_json(self, key: str, doc: dict[str, Any]) -> None:
        if key.startswith(self.refuse):
            raise StoreError(f"could not write {key}: permission denied")
        super().put_json(key, doc)


def test_given_a_store_that_cannot_keep_the_backup_when_applied_then_nothing_is_deleted(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    [outcome] = act(clean_sim, UnwritableStore(store.root, "backups/"), journal, fleet[:1])

    assert outcome.status == "failed" and "could not be stored" in outcome.reason
    assert endpoint_exists(clean_sim, "churn")


def test_given_an_applied_run_when_it_starts_then_its_plan_is_written_before_any_change(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    act(clean_sim, store, journal, fleet, apply=False)
    assert store.list_keys("runs/") == [], "a dry run writes only the journal"

    act(clean_sim, store, journal, fleet)
    [key] = store.list_keys("runs/2025/05/02/")
    plan = store.get_json(key)
    assert plan is not None and [f["name"] for f in plan["findings"]] == ["churn", "ds-alice", "fraud"]


def test_given_a_store_that_cannot_be_written_when_applied_then_the_run_stops_before_any_change(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    with pytest.raises(StoreError, match="runs/"):
        act(clean_sim, UnwritableStore(store.root, "runs/"), journal, fleet)
    assert aws_writes(clean_sim) == []
    assert notebook_status(clean_sim, "ds-alice") == "InService"


def test_given_a_recheck_with_a_reason_when_applied_then_not_deleted_and_the_reason_recorded(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    asked: list[str] = []

    def recheck(f: Finding) -> str | None:
        asked.append(f.name)
        return "received 12 invocations since the scan" if f.name == "churn" else None

    outcomes = act(clean_sim, store, journal, fleet[:2], recheck=recheck)

    assert asked == ["churn", "ds-alice"]
    assert (outcomes[0].status, outcomes[0].reason) == ("skipped", "received 12 invocations since the scan")
    assert outcomes[0].backup is not None, "the backup was taken before the re-check"
    assert endpoint_exists(clean_sim, "churn")
    assert outcomes[1].status == "done"
    assert journal.entries(name="churn")[0].reason == "received 12 invocations since the scan"


def test_given_a_recheck_that_fails_when_applied_then_not_deleted(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    def recheck(f: Finding) -> str | None:
        raise RuntimeError("CloudWatch unreachable")

    [outcome] = act(clean_sim, store, journal, fleet[:1], recheck=recheck)

    assert outcome.status == "failed" and "CloudWatch unreachable" in outcome.reason
    assert endpoint_exists(clean_sim, "churn")


def test_given_an_opt_out_tag_added_after_the_scan_when_applied_then_nothing_is_touched(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    sm = clean_sim.client("sagemaker", REGION)
    for f in fleet:
        sm.add_tags(ResourceArn=f.arn, Tags=[{"Key": "sagetrim:exclude", "Value": "true"}])

    outcomes = act(clean_sim, store, journal, fleet)

    assert [(o.status, o.reason) for o in outcomes] == [
        ("skipped", "opted out with the tag sagetrim:exclude = true")] * 3
    assert endpoint_exists(clean_sim, "churn") and notebook_status(clean_sim, "ds-alice") == "InService"
    assert "sagetrim:finding" not in tags_of(clean_sim, fleet[2].arn)


def test_given_an_opt_out_tag_added_during_the_recheck_when_applied_then_the_endpoint_stays(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    def recheck(f: Finding) -> None:  # someone tags the endpoint while sagetrim is about to act
        clean_sim.client("sagemaker", REGION).add_tags(ResourceArn=f.arn, Tags=[{"Key": "sagetrim:exclude",
                                                                           "Value": "TRUE"}])

    [outcome] = act(clean_sim, store, journal, fleet[:1], recheck=recheck)

    assert outcome.status == "skipped" and "sagetrim:exclude" in outcome.reason
    assert endpoint_exists(clean_sim, "churn")


@pytest.mark.parametrize(("status", "reason"), [
    ("Stopped", "already stopped"), ("Stopping", "already stopped"),
    ("Pending", "the notebook instance is Pending; retry later"),
    ("Updating", "the notebook instance is Updating; retry later"),
])
def test_given_a_notebook_not_in_service_when_applied_then_skipped_with_the_reason(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding], status: str, reason: str
) -> None:
    clean_sim.set_status(clean_sim.account_id, REGION, "notebook-instance", "ds-alice", status)
    [outcome] = act(clean_sim, store, journal, fleet[1:2])
    assert (outcome.status, outcome.reason) == ("skipped", reason)
    assert "sagemaker:StopNotebookInstance" not in aws_writes(clean_sim)


def test_given_an_endpoint_being_updated_when_applied_then_skipped_until_later(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    clean_sim.set_status(clean_sim.account_id, REGION, "endpoint", "churn", "Updating")
    [outcome] = act(clean_sim, store, journal, fleet[:1])
    assert (outcome.status, outcome.reason) == ("skipped", "the endpoint is Updating; retry later")
    assert endpoint_exists(clean_sim, "churn") and store.list_keys("backups/") == []


def test_given_resources_already_gone_when_applied_then_skipped(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    findings = [finding(clean_sim, "endpoint", "ghost", Action.DELETE_ENDPOINT),
                finding(clean_sim, "notebook-instance", "ghost-nb", Action.STOP_NOTEBOOK),
                finding(clean_sim, "endpoint", "ghost-tag", Action.TAG)]
    assert [(o.status, o.reason) for o in act(clean_sim, store, journal, findings)] == [("skipped", "already gone")] * 3


def test_given_more_destructive_actions_than_allowed_when_run_then_guardrail_error_and_nothing_done(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    for apply in (False, True):
        with pytest.raises(GuardrailError, match=r"2 destructive actions \(1 delete-endpoint, 1 stop-notebook\) "
                                                 r"exceed the limit of 1 per run.*--max-actions 2"):
            act(clean_sim, store, journal, fleet, apply=apply, max_actions=1)
    assert clean_sim.requests.total() == 0
    assert journal.entries() == []
    assert [o.status for o in act(clean_sim, store, journal, fleet, max_actions=2)] == ["done"] * 3


def test_given_one_region_unreachable_when_applied_then_it_fails_and_the_others_go_on(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    elsewhere = finding(clean_sim, "endpoint", "far", Action.DELETE_ENDPOINT, region="ap-south-1")

    def session_for(account: str, region: str) -> boto3.Session:
        if region == "ap-south-1":
            raise RuntimeError("could not assume role sagetrim in ap-south-1")
        return clean_sim.session(region)

    outcomes = carry_out([elsewhere, *fleet[:2]], session_for=session_for, store=store, journal=journal,
                         apply=True, now=NOW)

    assert outcomes[0].status == "failed" and "could not assume role" in outcomes[0].reason
    assert [o.status for o in outcomes[1:]] == ["done", "done"]
    assert len([e for e in journal.entries() if e.outcome != "started"]) == 3


def test_given_two_findings_for_one_action_on_one_resource_when_applied_then_done_once(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    twice = finding(clean_sim, "endpoint", "churn", Action.DELETE_ENDPOINT, rule="endpoint-should-be-serverless")
    wrong_kind = finding(clean_sim, "endpoint", "fraud", Action.STOP_NOTEBOOK)

    outcomes = act(clean_sim, store, journal, [fleet[0], twice, wrong_kind])

    assert [o.status for o in outcomes] == ["done", "skipped", "failed"]
    assert outcomes[1].reason == f"finding {fleet[0].id} already asks to delete-endpoint this resource"
    assert outcomes[2].reason == "stop-notebook applies to notebook-instance, not to endpoint fraud"


class Hook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


def test_given_notify_findings_when_applied_then_one_message_goes_out_after_the_other_actions(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fleet: list[Finding]
) -> None:
    topic = clean_sim.client("sns").create_topic(Name="sagetrim")["TopicArn"]
    hook = Hook()
    try:
        notices = [finding(clean_sim, "notebook-instance", "ds-bob", Action.NOTIFY, rule="notebook-without-autostop"),
                   finding(clean_sim, "endpoint", "fraud", Action.NOTIFY, rule="endpoint-should-autoscale")]

        outcomes = act(clean_sim, store, journal, [*notices, fleet[0]],
                       notify=NotifySettings(sns_topic_arn=topic, webhook_url=hook.url))
    finally:
        hook.server.shutdown()
        hook.server.server_close()

    assert [o.status for o in outcomes] == ["done", "done", "done"], [o.reason for o in outcomes]
    assert outcomes[0].reason.startswith(f"sent to SNS topic {topic} and the webhook in one message about 2")
    assert len(hook.bodies) == 1 and "ds-bob" in json.dumps(hook.bodies[0])
    keys = [r.key for r in clean_sim.requests.records]
    assert keys.index("sns:Publish") > keys.index("sagemaker:DeleteEndpoint"), "notify after acting"


def test_given_notify_findings_and_nowhere_to_send_when_applied_then_skipped_with_the_reason(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    [outcome] = act(clean_sim, store, journal, [finding(clean_sim, "endpoint", "x", Action.NOTIFY)])
    assert outcome.status == "skipped" and "notify.sns_topic_arn" in outcome.reason


def test_given_the_actions_when_listed_then_each_declares_its_permissions() -> None:
    assert set(ACTIONS) | {NOTIFY.action} == set(Action)
    for action in [*ACTIONS.values(), NOTIFY]:
        assert action.permissions, action
        assert all(":" in p for p in action.permissions)
    delete = set(ACTIONS[Action.DELETE_ENDPOINT].permissions)
    assert {"sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel",
            "sagemaker:ListTags", "sagemaker:DeleteEndpoint", "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingPolicies"} <= delete
    assert ACTIONS[Action.STOP_NOTEBOOK].allowed_states == ("InService",)
    everything = required_permissions()
    assert everything == sorted(set(everything))
    assert {"sns:Publish", "sagemaker:CreateEndpoint", "iam:PassRole", "s3:PutObject"} <= set(everything)
    assert required_permissions([Action.TAG], restore=False, s3_store=False) == sorted(
        ACTIONS[Action.TAG].permissions)


def test_given_a_journal_that_fails_on_its_third_record_when_applied_then_the_run_stops_and_says_what_was_done(
    clean_sim: SimServer, store: LocalStore, fleet: list[Finding]
) -> None:
    faulty = FaultyStore(store)
    faulty.fail("append_record", skip=2)  # the intent of the second change

    with pytest.raises(RunInterrupted) as stopped:
        act(clean_sim, faulty, Journal(faulty), fleet)

    message = str(stopped.value)
    assert "No space left on device" in message
    assert "stopped before stop-notebook notebook-instance ds-alice, which was not changed" in message
    assert "Already done in this run (and journaled): deleted endpoint churn" in message
    assert "1 other action(s) were not started" in message
    assert [(o.name, o.status) for o in stopped.value.outcomes] == [("churn", "done")]
    assert not endpoint_exists(clean_sim, "churn") and notebook_status(clean_sim, "ds-alice") == "InService"
    assert aws_writes(clean_sim) == ["sagemaker:DeleteEndpoint", "application-autoscaling:DeregisterScalableTarget"]
    assert [(e.name, e.outcome) for e in Journal(store).entries()] == [("churn", "started"), ("churn", "done")]


def test_given_a_journal_that_cannot_be_written_when_applied_then_nothing_changes(
    clean_sim: SimServer, store: LocalStore, fleet: list[Finding]
) -> None:
    faulty = FaultyStore(store)
    faulty.fail("append_record", times=None)

    with pytest.raises(RunInterrupted, match="Nothing had been changed before in this run"):
        act(clean_sim, faulty, Journal(faulty), fleet)

    assert aws_writes(clean_sim) == [] and endpoint_exists(clean_sim, "churn")


def test_given_a_journal_that_fails_after_a_delete_when_applied_then_the_error_says_so_and_the_next_run_records_it(
    clean_sim: SimServer, store: LocalStore, fleet: list[Finding]
) -> None:
    faulty = FaultyStore(store)
    faulty.fail("append_record", skip=1)  # the outcome of the delete

    with pytest.raises(RunInterrupted, match=r"delete-endpoint endpoint churn was carried out .* the next "
                                             r"`sagetrim act --apply` checks AWS and records it"):
        act(clean_sim, faulty, Journal(faulty), fleet[:1])
    assert not endpoint_exists(clean_sim, "churn")

    settled = reconcile(Journal(store), lambda account, region: clean_sim.session(region), NOW)

    assert [(s.intent.name, s.outcome, s.recorded) for s in settled] == [("churn", "done", True)]
    entries = Journal(store).entries()
    assert [(e.outcome, e.extra.get("reconciled")) for e in entries] == [("started", None), ("done", True)]
    assert entries[0].action_id == entries[1].action_id and entries[1].backup == entries[0].backup
    assert reconcile(Journal(store), lambda account, region: clean_sim.session(region), NOW) == [], "recorded once"
