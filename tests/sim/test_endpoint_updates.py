"""The simulated account keeps shadow variants and updates endpoints as AWS does, failures included."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagetrim.sim import SimServer

REGION = "us-east-1"
ROLE = "arn:aws:iam::{account}:role/sagemaker"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def _variant(name: str, instance_type: str = "ml.m5.large", count: int = 1) -> dict[str, Any]:
    return {"VariantName": name, "ModelName": "model", "InstanceType": instance_type, "InitialInstanceCount": count}


@pytest.fixture
def sm(clean_sim: SimServer) -> Any:
    sm = clean_sim.client("sagemaker", REGION)
    sm.create_model(ModelName="model", ExecutionRoleArn=ROLE.format(account=clean_sim.account_id),
                    PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(EndpointConfigName="two", ProductionVariants=[_variant("blue"), _variant("green")],
                              ShadowProductionVariants=[_variant("shadow", "ml.m5.xlarge")])
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="two")
    return sm


def test_given_a_configuration_with_a_shadow_variant_then_the_config_and_the_endpoint_list_it(sm: Any) -> None:
    config = sm.describe_endpoint_config(EndpointConfigName="two")
    assert [v["VariantName"] for v in config["ShadowProductionVariants"]] == ["shadow"]
    assert config["ShadowProductionVariants"][0]["InstanceType"] == "ml.m5.xlarge"
    endpoint = sm.describe_endpoint(EndpointName="ep")
    assert [(v["VariantName"], v["CurrentInstanceCount"]) for v in endpoint["ShadowProductionVariants"]] == [
        ("shadow", 1)]


def test_given_a_shadow_variant_of_an_unknown_instance_type_then_no_configuration_is_created(sm: Any) -> None:
    with pytest.raises(ClientError) as err:
        sm.create_endpoint_config(EndpointConfigName="bad", ProductionVariants=[_variant("blue")],
                                  ShadowProductionVariants=[_variant("shadow", "ml.nothing.large")])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError):
        sm.describe_endpoint_config(EndpointConfigName="bad")


def test_given_an_update_to_a_configuration_without_a_variant_then_the_endpoint_serves_the_rest(sm: Any) -> None:
    sm.create_endpoint_config(EndpointConfigName="one", ProductionVariants=[_variant("blue", count=2)])
    before = sm.describe_endpoint(EndpointName="ep")["LastModifiedTime"]
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="one")
    endpoint = sm.describe_endpoint(EndpointName="ep")
    assert endpoint["EndpointConfigName"] == "one"
    assert [(v["VariantName"], v["CurrentInstanceCount"]) for v in endpoint["ProductionVariants"]] == [("blue", 2)]
    assert "ShadowProductionVariants" not in endpoint
    assert endpoint["LastModifiedTime"] >= before
    assert sm.describe_endpoint_config(EndpointConfigName="two")  # the old configuration stays


def test_given_retain_all_variant_properties_then_kept_variants_keep_their_current_count(sm: Any) -> None:
    sm.update_endpoint_weights_and_capacities(EndpointName="ep", DesiredWeightsAndCapacities=[
        {"VariantName": "blue", "DesiredInstanceCount": 3}])
    sm.create_endpoint_config(EndpointConfigName="one", ProductionVariants=[_variant("blue", count=1)])
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="one", RetainAllVariantProperties=True)
    variant = sm.describe_endpoint(EndpointName="ep")["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 3


@pytest.mark.parametrize(("endpoint", "config", "says"), [
    ("missing", "two", "Could not find endpoint"),
    ("ep", "missing", "Could not find endpoint configuration"),
])
def test_given_a_name_that_does_not_exist_then_update_endpoint_says_so(sm: Any, endpoint: str, config: str,
                                                                         says: str) -> None:
    with pytest.raises(ClientError) as err:
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert says in err.value.response["Error"]["Message"]


def test_given_an_endpoint_that_is_not_in_service_then_it_cannot_be_updated(sm: Any, clean_sim: SimServer) -> None:
    clean_sim.set_status(clean_sim.account_id, REGION, "endpoint", "ep", "Updating")
    with pytest.raises(ClientError) as err:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="two")
    assert "Cannot update in-progress endpoint" in err.value.response["Error"]["Message"]


def test_given_a_variant_registered_with_autoscaling_then_removing_it_fails_until_it_is_deregistered(
    sm: Any, clean_sim: SimServer
) -> None:
    scaling = clean_sim.client("application-autoscaling", REGION)
    target = {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/ep/variant/green",
              "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    sm.create_endpoint_config(EndpointConfigName="one", ProductionVariants=[_variant("blue")])
    with pytest.raises(ClientError) as err:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="one")
    assert "green" in err.value.response["Error"]["Message"]
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "two"
    scaling.deregister_scalable_target(**target)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="one")
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "one"


def test_given_a_registered_variant_whose_instance_type_changes_then_the_update_fails(
    sm: Any, clean_sim: SimServer
) -> None:
    clean_sim.client("application-autoscaling", REGION).register_scalable_target(
        ServiceNamespace="sagemaker", ResourceId="endpoint/ep/variant/blue",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount", MinCapacity=1, MaxCapacity=4)
    sm.create_endpoint_config(EndpointConfigName="bigger", ProductionVariants=[_variant("blue", "ml.m5.xlarge")])
    with pytest.raises(ClientError):
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="bigger")
    sm.create_endpoint_config(EndpointConfigName="same", ProductionVariants=[_variant("blue")])
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="same")  # same type: allowed
