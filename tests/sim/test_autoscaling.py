"""Application Auto Scaling in the simulated account: deregistering answers and cleans up as AWS does."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sagetrim.aws.errors import is_not_found
from sagetrim.sim import SimServer

REGION = "us-east-1"
TARGET = {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/ep/variant/AllTraffic",
          "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}
TRACKING = {"TargetValue": 70.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}


def test_given_no_such_target_then_deregistering_answers_object_not_found(clean_sim: SimServer) -> None:
    with pytest.raises(ClientError) as err:
        clean_sim.client("application-autoscaling", REGION).deregister_scalable_target(**TARGET)
    assert err.value.response["Error"]["Code"] == "ObjectNotFoundException"
    assert is_not_found(err.value)


def test_given_a_target_with_a_policy_when_deregistered_then_the_policy_goes_with_it(clean_sim: SimServer) -> None:
    aas = clean_sim.client("application-autoscaling", REGION)
    aas.register_scalable_target(**TARGET, MinCapacity=1, MaxCapacity=4)
    aas.put_scaling_policy(PolicyName="invocations", PolicyType="TargetTrackingScaling", **TARGET,
                           TargetTrackingScalingPolicyConfiguration=TRACKING)
    other = {**TARGET, "ResourceId": "endpoint/ep/variant/canary"}
    aas.register_scalable_target(**other, MinCapacity=1, MaxCapacity=2)
    aas.put_scaling_policy(PolicyName="invocations", PolicyType="TargetTrackingScaling", **other,
                           TargetTrackingScalingPolicyConfiguration=TRACKING)
    aas.deregister_scalable_target(**TARGET)
    policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert [p["ResourceId"] for p in policies] == ["endpoint/ep/variant/canary"]
