"""Restore in detail: requests fitted to the Create calls, the wait for InService, what a person must still do,
and a failure part-way that says what was created so far."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import EndpointConnectionError, WaiterError
from botocore.model import ShapeResolver

from sagetrim.actions.backup import backup_digest
from sagetrim.actions.common import fit_shape
from sagetrim.actions.restore import restore_endpoint
from sagetrim.errors import ActionError, UsageError
from tests.actions.helpers import DIMENSION, REGION, delete_with_backup, endpoint_exists, make_endpoint

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagetrim.actions.journal import Journal
    from sagetrim.actions.state import LocalStore
    from sagetrim.sim import SimServer



def _rewrite(store: LocalStore, key: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a backup and the digest the journal recorded for it, as if it had been taken that way."""
    doc = store.get_json(key)
    assert doc is not None
    before = backup_digest(doc)
    change(doc)
    store.put_json(key, doc)
    journal_file = store.root / "journal.jsonl"
    journal_file.write_text(journal_file.read_text().replace(before, backup_digest(doc)))


def _restore(clean_sim: SimServer, store: LocalStore, *, sm: Any = None, autoscaling: Any = None,
             **kwargs: Any) -> Any:
    kwargs.setdefault("poll_s", 1)
    return restore_endpoint(sm or clean_sim.client("sagemaker", REGION),
                            autoscaling or clean_sim.client("application-autoscaling", REGION),
                            store, clean_sim.account_id, REGION, "churn", **kwargs)


class Proxy:
    """A client that answers as the one it wraps, except for the calls a test overrides."""

    def __init__(self, inner: Any, **overrides: Any) -> None:
        self.inner = inner
        self.overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self.overrides.get(name) or getattr(self.inner, name)


def _connection_lost(**_: Any) -> Any:
    raise EndpointConnectionError(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com")


class RecordingWaiter:
    """The endpoint_in_service waiter, recording the WaiterConfig it was given."""

    def __init__(self, inner: Any, seen: list[dict[str, Any]]) -> None:
        self.inner, self.seen = inner, seen

    def wait(self, **kwargs: Any) -> None:
        self.seen.append(kwargs["WaiterConfig"])
        self.inner.wait(**kwargs)


def test_given_a_described_resource_when_fitted_to_a_shape_then_list_and_map_items_are_fitted_too() -> None:
    shapes = ShapeResolver({
        "Request": {"type": "structure", "members": {"Items": {"shape": "ItemList"}, "ByName": {"shape": "ItemMap"},
                                                     "Labels": {"shape": "LabelMap"}}},
        "ItemList": {"type": "list", "member": {"shape": "Item"}},
        "ItemMap": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Item"}},
        "LabelMap": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Text"}},
        "Item": {"type": "structure", "members": {"Name": {"shape": "Text"}, "Size": {"shape": "Number"}}},
        "Text": {"type": "string"},
        "Number": {"type": "integer"},
    })
    request = shapes.get_shape_by_name("Request")
    described = {
        "Items": [{"Name": "a", "Size": 1, "Status": "InService"}, {"Name": "b", "Size": None, "Arn": "arn:b"}],
        "ByName": {"a": {"Name": "a", "Size": 2, "CreationTime": "2025-01-01T00:00:00+00:00"}},
        "Labels": {"team": "fraud"},
        "Status": "InService",
    }

    assert fit_shape(described, request) == {"Items": [{"Name": "a", "Size": 1}, {"Name": "b"}],
                                        "ByName": {"a": {"Name": "a", "Size": 2}}, "Labels": {"team": "fraud"}}
    # A value of the wrong kind for its shape is passed on as it is, for the Create call to refuse.
    assert fit_shape({"Items": "a,b", "ByName": "a"}, request) == {"Items": "a,b", "ByName": "a"}


@pytest.mark.parametrize(("wait_s", "poll_s", "delay", "attempts"), [
    (30, 10, 10, 3),  # asks every poll_s, for at most wait_s
    (3, 1, 1, 3),
    (3, 0.2, 1, 3),  # never more often than once a second
    (0, 15, 15, 1),  # asks at least once
])
def test_given_autoscaling_to_restore_when_waiting_for_the_endpoint_then_the_wait_is_bounded_by_the_timeout(
    clean_sim: SimServer, store: LocalStore, journal: Journal, wait_s: float, poll_s: float, delay: int,
    attempts: int
) -> None:
    make_endpoint(clean_sim, "churn")
    delete_with_backup(clean_sim, store, journal)
    sm = clean_sim.client("sagemaker", REGION)
    seen: list[dict[str, Any]] = []
    recording = Proxy(sm, get_waiter=lambda name: RecordingWaiter(sm.get_waiter(name), seen))

    result = _restore(clean_sim, store, sm=recording, wait_timeout_s=wait_s, poll_s=poll_s)

    assert seen == [{"Delay": delay, "MaxAttempts": attempts}]
    assert result.status == "InService"


def test_given_a_step_scaling_policy_with_alarms_when_restored_then_a_note_says_to_point_its_alarms_at_it_again(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn")
    clean_sim.client("application-autoscaling", REGION).put_scaling_policy(
        PolicyName="churn-latency", ServiceNamespace="sagemaker", ResourceId="endpoint/churn/variant/primary",
        ScalableDimension=DIMENSION, PolicyType="StepScaling",
        StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity", "Cooldown": 120,
                                        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})
    key = delete_with_backup(clean_sim, store, journal)

    def alarms(doc: dict[str, Any]) -> None:
        # CloudWatch alarms as AWS lists them: its own for target tracking, the team's for step scaling.
        for policy in doc["autoscaling"]["scaling_policies"]:
            name = "TargetTracking-churn-AlarmHigh" if policy["PolicyType"] != "StepScaling" else "churn-latency-high"
            policy["Alarms"] = [{"AlarmName": name, "AlarmARN": f"arn:aws:cloudwatch:{REGION}:1:alarm:{name}"}]
    _rewrite(store, key, alarms)

    result = _restore(clean_sim, store)

    assert "scaling policy churn-latency" in result.created
    assert result.notes == ["step scaling policy churn-latency has a new ARN: point its CloudWatch alarms "
                            "(churn-latency-high) at it again"]


def test_given_an_endpoint_with_aws_reserved_tags_when_restored_then_its_own_tags_come_back_without_them(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn", autoscaling=False)
    key = delete_with_backup(clean_sim, store, journal)
    sm = clean_sim.client("sagemaker", REGION)
    sm.delete_endpoint_config(EndpointConfigName="churn-config")

    def stack_tags(doc: dict[str, Any]) -> None:
        for tags in (doc["endpoint_tags"], doc["endpoint_config_tags"]):
            tags.append({"Key": "aws:cloudformation:stack-name", "Value": "ml-stack"})
    _rewrite(store, key, stack_tags)

    _restore(clean_sim, store)

    endpoint = sm.describe_endpoint(EndpointName="churn")
    config = sm.describe_endpoint_config(EndpointConfigName="churn-config")
    assert sm.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"] == [{"Key": "team", "Value": "fraud"}]
    assert sm.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"] == [{"Key": "team", "Value": "fraud"}]


def _denied(clean_sim: SimServer) -> dict[str, Any]:
    clean_sim.faults.access_denied(service="application-autoscaling", operation="PutScalingPolicy")
    return {}


def _connection_lost_at_policy(clean_sim: SimServer) -> dict[str, Any]:
    aas = clean_sim.client("application-autoscaling", REGION)
    return {"autoscaling": Proxy(aas, put_scaling_policy=_connection_lost)}


def _never_in_service(clean_sim: SimServer) -> dict[str, Any]:
    def wait(**_: Any) -> None:
        raise WaiterError(name="EndpointInService", reason="Waiter encountered a terminal failure state",
                          last_response={"EndpointStatus": "Failed"})

    sm = clean_sim.client("sagemaker", REGION)
    return {"sm": Proxy(sm, get_waiter=lambda name: Proxy(sm.get_waiter(name), wait=wait))}


@pytest.mark.parametrize(("fault", "step", "created", "error"), [
    (_denied, "scaling policy churn-invocations", "endpoint churn, scalable target endpoint/churn/variant/primary",
     "AccessDenied"),
    (_connection_lost_at_policy, "scaling policy churn-invocations",
     "endpoint churn, scalable target endpoint/churn/variant/primary", "Could not connect"),
    (_never_in_service, "waiting for endpoint churn to be InService", "endpoint churn", "terminal failure state"),
], ids=["access denied", "connection lost", "endpoint failed"])
def test_given_a_failure_part_way_when_restoring_then_the_error_names_the_step_and_what_was_created_so_far(
    clean_sim: SimServer, store: LocalStore, journal: Journal, fault: Callable[[SimServer], dict[str, Any]],
    step: str, created: str, error: str
) -> None:
    make_endpoint(clean_sim, "churn")
    key = delete_with_backup(clean_sim, store, journal)
    clients = fault(clean_sim)

    with pytest.raises(ActionError, match=rf"failed at {step}: .*{error}.*; created so far: {created} \(backup ") as e:
        _restore(clean_sim, store, journal=journal, **clients)

    last = journal.entries(name="churn")[-1]
    assert (last.action, last.outcome, last.backup, last.reason) == ("restore-endpoint", "failed", key, str(e.value))


def test_given_aws_cannot_be_reached_when_checking_the_endpoint_is_gone_then_action_error_and_nothing_is_created(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn")
    delete_with_backup(clean_sim, store, journal)
    clean_sim.requests.reset()

    with pytest.raises(ActionError, match="could not check endpoint churn: .*Could not connect"):
        _restore(clean_sim, store, sm=Proxy(clean_sim.client("sagemaker", REGION), describe_endpoint=_connection_lost))

    assert [r.operation for r in clean_sim.requests.records if r.operation.startswith("Create")] == []
    assert not endpoint_exists(clean_sim, "churn")


def test_given_a_backup_key_that_climbs_out_of_the_endpoints_backups_when_restored_then_usage_error(
    clean_sim: SimServer, store: LocalStore, journal: Journal
) -> None:
    make_endpoint(clean_sim, "churn", autoscaling=False)
    key = delete_with_backup(clean_sim, store, journal)
    prefix = key.rsplit("/", 1)[0]

    with pytest.raises(UsageError, match="--backup .*not a valid state key"):
        _restore(clean_sim, store, backup_key=f"{prefix}/../../fraud/x.json")
    assert not endpoint_exists(clean_sim, "churn")
