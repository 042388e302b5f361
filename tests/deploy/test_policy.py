"""The least-privilege policy tables: every action sagetrim calls has its resources, and none is a wildcard."""

from __future__ import annotations

import pytest

from sagetrim.actions import required_permissions
from sagetrim.deploy import policy
from sagetrim.errors import UsageError
from sagetrim.schedules import PERMISSIONS as SCHEDULE_PERMISSIONS


def test_given_every_action_sagetrim_declares_when_granted_then_each_has_resources() -> None:
    declared = {*required_permissions(), *SCHEDULE_PERMISSIONS, *policy.SCAN_PERMISSIONS,
                *policy.home_actions(fan_out=True)}
    grants = policy.grants(declared)
    assert {a for g in grants for a in g.actions} == declared
    assert all(g.resources for g in grants)


def test_given_a_wildcard_or_an_unknown_action_when_granted_then_it_is_refused() -> None:
    with pytest.raises(UsageError, match="never with a wildcard"):
        policy.grants(["sagemaker:List*"])
    with pytest.raises(UsageError, match="sagemaker:DeleteModel has no entry"):
        policy.grants(["sagemaker:DeleteModel"])


def test_given_the_enabled_actions_when_derived_then_the_account_actions_follow_them() -> None:
    reading = policy.account_actions(["notify"], schedules=False)
    assert reading == set(policy.SCAN_PERMISSIONS)
    deleting = policy.account_actions(["delete-endpoint"], schedules=False)
    assert {"sagemaker:DeleteEndpoint", "sagemaker:CreateModel", "iam:PassRole"} <= deleting
    assert "sagemaker:CreateModel" not in policy.account_actions(["stop-notebook", "tag"], schedules=False)
    assert set(SCHEDULE_PERMISSIONS) <= policy.account_actions(["notify"])
    assert "sns:Publish" not in policy.account_actions()  # notifying runs with the deployment's own role


def test_given_an_account_when_a_policy_is_made_then_resources_are_that_accounts_and_star_only_where_needed() -> None:
    scope = policy.AccountScope("111122223333", partition="aws-us-gov", region="us-gov-west-1", bucket="state",
                                topic_arn="arn:aws-us-gov:sns:us-gov-west-1:111122223333:sagetrim",
                                log_group="/sagetrim")
    document = policy.policy_document([*policy.account_actions(), *policy.home_actions()], scope)
    for statement in document["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if resources == ["*"]:
            assert all(policy.RESOURCES[a] == (policy.ANY,) for a in statement["Action"])
        else:
            assert all(r.startswith("arn:aws-us-gov:") and ("111122223333" in r or ":s3:::state" in r)
                       for r in resources)
    passing = next(s for s in document["Statement"] if s["Action"] == ["iam:PassRole"])
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert "sts:GetCallerIdentity" not in str(policy.policy_document(["sts:GetCallerIdentity"], scope))
    with pytest.raises(UsageError, match="sts:member-roles"):
        policy.policy_document(["sts:AssumeRole"], scope)
