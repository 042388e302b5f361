"""Studio user profiles, spaces and apps behave like AWS's through plain boto3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagetrim.sim.sagemaker_fixes import instance_types
from sagetrim.sim.studio import DELETED_APP_RETENTION

if TYPE_CHECKING:
    from sagetrim.sim import SimServer

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/studio"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _domain(sm: Any, name: str = "team", **settings: Any) -> str:
    arn = sm.create_domain(
        DomainName=name,
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE, **settings},
        SubnetIds=["subnet-1"],
        VpcId="vpc-1",
    )["DomainArn"]
    return str(arn.rsplit("/", 1)[-1])


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.fixture
def sm(clean_sim: SimServer) -> Any:
    return clean_sim.client("sagemaker", config=NO_RETRIES)


def test_given_a_user_profile_when_its_app_lives_and_is_deleted_then_aws_statuses_follow(
    clean_sim: SimServer, sm: Any
) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    clean_sim.clock.set(datetime(2025, 4, 1, 9, tzinfo=UTC))

    arn = sm.create_app(
        DomainId=domain,
        UserProfileName="ana",
        AppType="KernelGateway",
        AppName="datascience-1",
        ResourceSpec={"InstanceType": "ml.g5.2xlarge",
                      "SageMakerImageArn": "arn:aws:sagemaker:us-east-1:123456789012:image/ds"},
    )["AppArn"]
    running = sm.describe_app(DomainId=domain, UserProfileName="ana", AppType="KernelGateway", AppName="datascience-1")
    sm.delete_app(DomainId=domain, UserProfileName="ana", AppType="KernelGateway", AppName="datascience-1")
    deleted = sm.describe_app(DomainId=domain, UserProfileName="ana", AppType="KernelGateway", AppName="datascience-1")
    listed = sm.list_apps(DomainIdEquals=domain)["Apps"]
    clean_sim.clock.advance(DELETED_APP_RETENTION + timedelta(minutes=1))
    later = sm.list_apps(DomainIdEquals=domain)["Apps"]

    assert arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:app/{domain}/ana/kernelgateway/datascience-1"
    assert running["AppArn"] == arn and running["Status"] == "InService"
    assert running["CreationTime"] == datetime(2025, 4, 1, 9, tzinfo=UTC)
    assert running["ResourceSpec"] == {
        "InstanceType": "ml.g5.2xlarge",
        "SageMakerImageArn": "arn:aws:sagemaker:us-east-1:123456789012:image/ds",
    }
    assert deleted["Status"] == "Deleted"
    assert [(a["AppName"], a["Status"]) for a in listed] == [("datascience-1", "Deleted")]
    assert later == []
    with pytest.raises(ClientError) as error:
        sm.describe_app(DomainId=domain, UserProfileName="ana", AppType="KernelGateway", AppName="datascience-1")
    assert _code(error) == "ResourceNotFound"


def test_given_a_deleted_app_when_created_again_then_it_runs_again(sm: Any) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    app = {"DomainId": domain, "UserProfileName": "ana", "AppType": "JupyterServer", "AppName": "default"}
    sm.create_app(**app)

    with pytest.raises(ClientError) as duplicate:
        sm.create_app(**app)
    sm.delete_app(**app)
    sm.create_app(**app)

    assert _code(duplicate) == "ResourceInUse"
    assert sm.describe_app(**app)["Status"] == "InService"
    assert sm.describe_app(**app)["ResourceSpec"]["InstanceType"] == "system"  # JupyterServer's default


def test_given_a_space_with_a_default_resource_spec_when_its_app_starts_then_it_uses_that_type(sm: Any) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    sm.create_space(
        DomainId=domain,
        SpaceName="ana-lab",
        OwnershipSettings={"OwnerUserProfileName": "ana"},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={
            "AppType": "JupyterLab",
            "JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.g6.xlarge"}},
            "SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": 50}},
        },
    )

    sm.create_app(DomainId=domain, SpaceName="ana-lab", AppType="JupyterLab", AppName="default")
    (app,) = sm.list_apps(DomainIdEquals=domain, SpaceNameEquals="ana-lab")["Apps"]
    (space,) = sm.list_spaces(DomainIdEquals=domain)["Spaces"]
    described = sm.describe_space(DomainId=domain, SpaceName="ana-lab")

    assert app["SpaceName"] == "ana-lab" and "UserProfileName" not in app
    assert app["ResourceSpec"]["InstanceType"] == "ml.g6.xlarge"
    assert space["SpaceSettingsSummary"] == {
        "AppType": "JupyterLab",
        "SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": 50}},
    }
    assert space["OwnershipSettingsSummary"] == {"OwnerUserProfileName": "ana"}
    assert described["SpaceArn"] == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:space/{domain}/ana-lab"
    assert described["Status"] == "InService"


def test_given_a_space_with_a_running_app_when_deleted_then_aws_refuses_until_the_app_is_gone(sm: Any) -> None:
    domain = _domain(sm)
    sm.create_space(DomainId=domain, SpaceName="shared", SpaceSettings={"AppType": "CodeEditor"})
    sm.create_app(DomainId=domain, SpaceName="shared", AppType="CodeEditor", AppName="default")

    with pytest.raises(ClientError) as refused:
        sm.delete_space(DomainId=domain, SpaceName="shared")
    sm.update_space(DomainId=domain, SpaceName="shared", SpaceDisplayName="Shared editor")
    sm.delete_app(DomainId=domain, SpaceName="shared", AppType="CodeEditor", AppName="default")
    sm.delete_space(DomainId=domain, SpaceName="shared")

    assert _code(refused) == "ResourceInUse"
    assert sm.list_spaces(DomainIdEquals=domain)["Spaces"] == []


def test_given_a_space_when_updated_then_settings_merge_and_last_modified_moves(clean_sim: SimServer, sm: Any) -> None:
    domain = _domain(sm)
    clean_sim.clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    sm.create_space(DomainId=domain, SpaceName="s", SpaceSettings={"AppType": "JupyterLab"})
    clean_sim.clock.advance(timedelta(days=2))

    sm.update_space(
        DomainId=domain,
        SpaceName="s",
        SpaceSettings={"SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": 100}}},
    )
    space = sm.describe_space(DomainId=domain, SpaceName="s")

    assert space["SpaceSettings"]["AppType"] == "JupyterLab"
    assert space["SpaceSettings"]["SpaceStorageSettings"]["EbsStorageSettings"]["EbsVolumeSizeInGb"] == 100
    assert space["LastModifiedTime"] - space["CreationTime"] == timedelta(days=2)


def test_given_many_apps_when_listed_then_pages_hold_10_by_default_and_at_most_100(sm: Any) -> None:
    domain = _domain(sm)
    other = _domain(sm, "other")
    for user in ("ana", "bo"):
        sm.create_user_profile(DomainId=domain, UserProfileName=user)
        for index in range(12):
            sm.create_app(DomainId=domain, UserProfileName=user, AppType="KernelGateway", AppName=f"k-{index:02d}")
    sm.create_user_profile(DomainId=other, UserProfileName="ana")
    sm.create_app(DomainId=other, UserProfileName="ana", AppType="JupyterServer", AppName="default")

    first = sm.list_apps()
    all_apps = [a for page in sm.get_paginator("list_apps").paginate() for a in page["Apps"]]
    anas = sm.list_apps(DomainIdEquals=domain, UserProfileNameEquals="ana", MaxResults=100)["Apps"]

    assert len(first["Apps"]) == 10 and "NextToken" in first
    assert len(all_apps) == 25
    assert len(anas) == 12 and {a["UserProfileName"] for a in anas} == {"ana"}
    assert {a["DomainId"] for a in anas} == {domain}
    with pytest.raises(ClientError) as error:
        sm.list_apps(MaxResults=101)
    assert _code(error) == "ValidationException"


def test_given_user_profiles_when_listed_and_described_then_aws_shapes_come_back(sm: Any) -> None:
    domain = _domain(sm)
    settings = {"JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.m5.large"}}}
    sm.create_user_profile(DomainId=domain, UserProfileName="ana", UserSettings=settings)
    sm.create_user_profile(DomainId=domain, UserProfileName="bo")

    listed = sm.list_user_profiles(DomainIdEquals=domain, SortOrder="Descending")["UserProfiles"]
    ana = sm.describe_user_profile(DomainId=domain, UserProfileName="ana")

    assert [u["UserProfileName"] for u in listed] == ["bo", "ana"]
    assert ana["UserProfileArn"] == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:user-profile/{domain}/ana"
    assert ana["UserSettings"] == settings and ana["Status"] == "InService"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda sm, d: sm.create_app(
                DomainId=d, UserProfileName="nobody", AppType="JupyterServer", AppName="default"
            ),
            "ResourceNotFound",
        ),
        (
            lambda sm, d: sm.create_app(
                DomainId="d-missing", UserProfileName="ana", AppType="JupyterServer", AppName="default"
            ),
            "ResourceNotFound",
        ),
        (
            lambda sm, d: sm.create_app(
                DomainId=d, UserProfileName="ana", SpaceName="s", AppType="JupyterLab", AppName="default"
            ),
            "ValidationException",
        ),
        (
            lambda sm, d: sm.create_app(
                DomainId=d,
                UserProfileName="ana",
                AppType="KernelGateway",
                AppName="k",
                ResourceSpec={"InstanceType": "ml.x9.huge"},
            ),
            "ValidationException",
        ),
        (
            lambda sm, d: sm.create_app(DomainId=d, UserProfileName="ana", AppType="Notebook", AppName="k"),
            "ValidationException",
        ),
        (lambda sm, d: sm.create_user_profile(DomainId=d, UserProfileName="ana"), "ResourceInUse"),
        (
            lambda sm, d: sm.delete_app(DomainId=d, UserProfileName="ana", AppType="KernelGateway", AppName="gone"),
            "ResourceNotFound",
        ),
    ],
    ids=["no-user", "no-domain", "two-owners", "bad-instance-type", "bad-app-type", "duplicate-user", "no-app"],
)
def test_given_a_bad_request_when_sent_then_aws_error_code_comes_back(sm: Any, call: Any, code: str) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")

    with pytest.raises(ClientError) as error:
        call(sm, domain)

    assert _code(error) == code


def test_given_every_studio_instance_type_when_apps_start_then_each_is_accepted(sm: Any) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    types = sorted(instance_types("AppInstanceType"))

    for index, instance_type in enumerate(types):
        sm.create_app(
            DomainId=domain,
            UserProfileName="ana",
            AppType="KernelGateway",
            AppName=f"k{index}",
            ResourceSpec={"InstanceType": instance_type},
        )

    listed = [a for page in sm.get_paginator("list_apps").paginate(MaxResults=100) for a in page["Apps"]]
    assert sorted(a["ResourceSpec"]["InstanceType"] for a in listed) == types


def test_given_apps_in_two_regions_when_listed_then_each_region_sees_its_own(clean_sim: SimServer) -> None:
    home = clean_sim.client("sagemaker")
    ireland = clean_sim.client("sagemaker", region="eu-west-1")
    for sm in (home, ireland):
        domain = _domain(sm)
        sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    home.create_app(DomainId=domain, UserProfileName="ana", AppType="JupyterServer", AppName="default")

    assert len(home.list_apps()["Apps"]) == 1
    assert ireland.list_apps()["Apps"] == []


def test_given_an_app_when_backdated_and_failed_from_the_sim_side_then_aws_reports_it(
    clean_sim: SimServer, sm: Any
) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    sm.create_app(DomainId=domain, UserProfileName="ana", AppType="JupyterLab", AppName="default")
    weeks_ago = datetime(2025, 1, 6, tzinfo=UTC)

    clean_sim.set_creation_time(ACCOUNT, REGION, "app", f"{domain}/ana/JupyterLab/default", weeks_ago)
    clean_sim.set_status(ACCOUNT, REGION, "app", f"{domain}/ana/JupyterLab/default", "Failed")
    (app,) = sm.list_apps()["Apps"]

    assert app["CreationTime"] == weeks_ago
    assert app["Status"] == "Failed"
    with pytest.raises(ValueError, match="InService"):
        clean_sim.set_status(ACCOUNT, REGION, "app", f"{domain}/ana/JupyterLab/default", "Running")


def test_given_studio_resources_when_the_sim_is_reset_then_they_are_gone(clean_sim: SimServer, sm: Any) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    sm.create_app(DomainId=domain, UserProfileName="ana", AppType="JupyterServer", AppName="default")

    clean_sim.reset()

    assert sm.list_apps()["Apps"] == []
    assert sm.list_user_profiles()["UserProfiles"] == []
    assert sm.list_domains()["Domains"] == []


def test_given_an_app_created_with_tags_when_its_tags_are_read_and_changed_then_aws_tag_calls_work(
    sm: Any,
) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana")
    arn = sm.create_app(
        DomainId=domain,
        UserProfileName="ana",
        AppType="JupyterLab",
        AppName="default",
        Tags=[{"Key": "sagetrim:exclude", "Value": "true"}],
    )["AppArn"]

    created = sm.list_tags(ResourceArn=arn)["Tags"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    sm.delete_tags(ResourceArn=arn, TagKeys=["sagetrim:exclude"])
    changed = sm.list_tags(ResourceArn=arn)["Tags"]

    assert created == [{"Key": "sagetrim:exclude", "Value": "true"}]
    assert changed == [{"Key": "team", "Value": "ml"}]


def test_given_tagged_studio_resources_when_the_tagging_api_is_asked_then_they_are_listed(
    clean_sim: SimServer, sm: Any
) -> None:
    domain = _domain(sm)
    sm.create_user_profile(DomainId=domain, UserProfileName="ana", Tags=[{"Key": "team", "Value": "ml"}])
    sm.create_app(DomainId=domain, UserProfileName="ana", AppType="JupyterLab", AppName="default",
                  ResourceSpec={"InstanceType": "ml.t3.medium"}, Tags=[{"Key": "sagetrim:exclude", "Value": "true"}])
    tagging = clean_sim.client("resourcegroupstaggingapi")
    found = tagging.get_resources(TagFilters=[{"Key": "sagetrim:exclude", "Values": ["true"]}],
                                  ResourceTypeFilters=["sagemaker"])["ResourceTagMappingList"]
    assert [m["ResourceARN"].split(":", 5)[-1] for m in found] == [f"app/{domain}/ana/jupyterlab/default"]
