"""Injected latency and AWS errors reach boto3 as the real ones would, in every protocol the sim speaks."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagetrim.sim.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagetrim.sim import SimServer

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def cbor_data_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A botocore data path whose CloudWatch model offers only Smithy RPC v2 CBOR.

    The installed botocore prefers CloudWatch's JSON protocol; a botocore that prefers CBOR must get
    its errors in CBOR, so the tests make one.
    """
    model = botocore.session.get_session().get_component("data_loader").load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    root = tmp_path_factory.mktemp("botocore-data")
    folder = root / "cloudwatch" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    return str(root)


def _cbor_cloudwatch(sim: SimServer, data_path: str) -> Any:
    session = botocore.session.get_session()
    session.set_config_variable("data_path", data_path)
    client = session.create_client(
        "cloudwatch",
        region_name="us-east-1",
        endpoint_url=sim.url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=NO_RETRIES,
    )
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    return client


# Each protocol the sim answers, with one read-only call a scanner makes.
CALLS: dict[str, tuple[str, Callable[[SimServer, str], Any]]] = {
    "sagemaker-json": ("sagemaker", lambda sim, _: sim.client("sagemaker", config=NO_RETRIES).list_endpoints()),
    "cloudwatch-json": ("cloudwatch", lambda sim, _: sim.client("cloudwatch", config=NO_RETRIES).list_metrics()),
    "cloudwatch-cbor": ("cloudwatch", lambda sim, path: _cbor_cloudwatch(sim, path).list_metrics()),
    "sts-query": ("sts", lambda sim, _: sim.client("sts", config=NO_RETRIES).get_caller_identity()),
}

FAULTS = {
    "throttle": ("ThrottlingException", 400),
    "internal_error": ("InternalFailure", 500),
    "unavailable": ("ServiceUnavailable", 503),
    "access_denied": ("AccessDeniedException", 400),
}


@pytest.mark.parametrize("protocol", list(CALLS))
@pytest.mark.parametrize("kind", list(FAULTS))
def test_given_a_fault_when_a_call_matches_then_boto3_raises_its_code_in_that_protocol(
    clean_sim: SimServer, cbor_data_path: str, kind: str, protocol: str
) -> None:
    service, call = CALLS[protocol]
    getattr(clean_sim.faults, kind)(service=service)

    with pytest.raises(ClientError) as error:
        call(clean_sim, cbor_data_path)

    code, status = FAULTS[kind]
    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error.value.response["Error"]["Message"]


def test_given_sagemaker_denied_in_one_region_when_scanning_two_then_only_that_region_fails(
    clean_sim: SimServer,
) -> None:
    clean_sim.faults.access_denied(service="sagemaker", region="eu-west-1")

    home = clean_sim.client("sagemaker", config=NO_RETRIES).list_endpoints()
    with pytest.raises(ClientError) as error:
        clean_sim.client("sagemaker", region="eu-west-1", config=NO_RETRIES).list_endpoints()
    identity = clean_sim.client("sts", region="eu-west-1").get_caller_identity()

    assert home["Endpoints"] == []
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert identity["Account"] == clean_sim.account_id


def test_given_a_fault_for_one_operation_and_account_when_others_call_then_they_pass(clean_sim: SimServer) -> None:
    clean_sim.faults.throttle(service="sagemaker", operation="DescribeEndpoint", account="222222222222")
    sm = clean_sim.client("sagemaker", config=NO_RETRIES)

    sm.list_endpoints()
    with pytest.raises(ClientError) as error:
        sm.describe_endpoint(EndpointName="missing")

    assert error.value.response["Error"]["Code"] == "ValidationException"  # moto's answer, not the fault


def test_given_a_fault_that_fires_twice_when_called_three_times_then_the_third_call_succeeds(
    clean_sim: SimServer,
) -> None:
    fault = clean_sim.faults.internal_error(service="sagemaker", times=2)
    sm = clean_sim.client("sagemaker", config=NO_RETRIES)

    outcomes = []
    for _ in range(3):
        try:
            sm.list_endpoints()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])

    assert outcomes == ["InternalFailure", "InternalFailure", "ok"]
    assert fault.fired == 2 and fault.exhausted


def test_given_one_throttle_when_botocore_retries_then_the_call_succeeds_on_the_second_attempt(
    clean_sim: SimServer,
) -> None:
    clean_sim.faults.throttle(service="sagemaker", times=1)
    sm = clean_sim.client("sagemaker", config=Config(retries={"total_max_attempts": 2, "mode": "standard"}))

    response = sm.list_endpoints()

    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert clean_sim.requests.counts() == {"sagemaker:ListEndpoints": 2}


def test_given_a_seeded_probability_when_replayed_then_the_same_calls_fail(clean_sim: SimServer) -> None:
    sm = clean_sim.client("sagemaker", config=NO_RETRIES)

    def pattern() -> list[bool]:
        outcome = []
        for _ in range(20):
            try:
                sm.list_endpoints()
                outcome.append(True)
            except ClientError:
                outcome.append(False)
        return outcome

    clean_sim.faults.seed(7)
    fault = clean_sim.faults.unavailable(service="sagemaker", probability=0.5)
    first = pattern()
    clean_sim.faults.seed(7)
    second = pattern()

    assert first == second
    assert 0 < first.count(False) < 20
    assert fault.fired == 2 * first.count(False)


def test_given_latency_for_sagemaker_when_calling_then_only_sagemaker_is_slow(clean_sim: SimServer) -> None:
    clean_sim.faults.set_latency(0.2, service="sagemaker")
    sm, sts = clean_sim.client("sagemaker"), clean_sim.client("sts")
    sts.get_caller_identity()

    started = time.perf_counter()
    sm.list_endpoints()
    slow = time.perf_counter() - started
    started = time.perf_counter()
    sts.get_caller_identity()
    fast = time.perf_counter() - started

    assert slow >= 0.2
    assert fast < 0.2
    assert clean_sim.faults.latency_for("sagemaker") == 0.2 and clean_sim.faults.latency_for("sts") == 0.0


def test_given_faults_and_latency_when_cleared_then_calls_pass_at_full_speed(clean_sim: SimServer) -> None:
    clean_sim.faults.set_latency(1.0)
    fault = clean_sim.faults.throttle()
    clean_sim.faults.remove(fault)
    clean_sim.faults.access_denied(service="sts")

    clean_sim.faults.clear()
    started = time.perf_counter()
    clean_sim.client("sts", config=NO_RETRIES).get_caller_identity()

    assert time.perf_counter() - started < 1.0
    assert clean_sim.faults.faults == []


def test_given_bad_fault_arguments_when_added_then_they_are_refused(clean_sim: SimServer) -> None:
    with pytest.raises(ValueError, match="probability"):
        clean_sim.faults.throttle(probability=1.5)
    with pytest.raises(ValueError, match="latency"):
        clean_sim.faults.set_latency(-1)
