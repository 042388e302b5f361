"""Guardrail policies: built from the catalog, they deny and allow as specified for every covered action."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from sagetrim.catalog import Catalog, load_catalog
from sagetrim.errors import UsageError
from sagetrim.guardrails import (
    ALLOW_ALL,
    COVERED_ACTIONS,
    INSTANCE_TYPES_KEY,
    MANAGED_POLICY_MAX_CHARS,
    build_policy,
    check,
    parse_policy,
    policy_size,
    resolve_allowed,
)
from sagetrim.guardrails.policy import SID_ALLOW_LIST, SID_GPU, size_rank

ACTIONS = [c.action for c in COVERED_ACTIONS]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(use_cache=False)


@pytest.fixture(scope="module")
def small_types(catalog: Catalog) -> dict[str, Any]:
    """A team allowed T3 and M5 up to 2xlarge, without GPUs."""
    return build_policy(["ml.t3.*", "ml.m5.*"], deny_gpu=True, max_size="2xlarge", catalog=catalog)


# -- every covered action ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_given_an_allow_list_when_any_covered_action_asks_for_an_allowed_type_then_it_is_allowed(action, small_types):
    decision = check(small_types, action, "ml.m5.xlarge")
    assert decision.allowed, decision.reason
    assert decision.outcome == "allow"


@pytest.mark.parametrize("action", ACTIONS)
def test_given_an_allow_list_when_any_covered_action_asks_for_a_disallowed_type_then_it_is_denied(action, small_types):
    for instance_type in ("ml.c5.xlarge", "ml.g5.xlarge", "ml.m5.4xlarge"):
        decision = check(small_types, action, instance_type)
        assert not decision.allowed, (action, instance_type)
        assert decision.outcome == "explicit-deny"
        assert decision.sid is not None and decision.sid in decision.reason


@pytest.mark.parametrize("action", ACTIONS)
def test_given_patterns_only_when_any_covered_action_is_checked_then_the_patterns_decide(action, catalog):
    policy = build_policy(["ml.t3.*", "ml.m5.large"], catalog=catalog)
    assert check(policy, action, "ml.t3.medium").allowed
    assert check(policy, action, "ml.m5.large").allowed
    assert not check(policy, action, "ml.m5.xlarge").allowed
    assert not check(policy, action, "ml.p4d.24xlarge").allowed


def test_given_the_policy_when_built_then_its_actions_are_exactly_the_covered_ones(small_types):
    for statement in small_types["Statement"]:
        assert statement["Effect"] == "Deny"
        assert statement["Action"] == ACTIONS
        assert statement["Resource"] == "*"
        assert list(statement["Condition"]) in (["ForAnyValue:StringLike"], ["ForAnyValue:StringNotLike"])
        assert list(next(iter(statement["Condition"].values()))) == [INSTANCE_TYPES_KEY]
    assert len(set(ACTIONS)) == len(ACTIONS) == 23


# -- deny-gpu and max-size ---------------------------------------------------------------------------


@pytest.mark.parametrize("allow", [[], ["ml.*"]])
def test_given_deny_gpu_when_gpu_types_are_asked_then_they_are_denied_and_cpu_types_allowed(allow, catalog):
    policy = build_policy(allow, deny_gpu=True, catalog=catalog)
    for action in ("sagemaker:CreateTrainingJob", "sagemaker:CreateEndpointConfig", "sagemaker:CreateApp"):
        assert not check(policy, action, "ml.g5.xlarge").allowed
        assert not check(policy, action, "ml.p4d.24xlarge").allowed
        assert check(policy, action, "ml.m5.xlarge").allowed


def test_given_deny_gpu_alone_when_built_then_a_gpu_statement_names_every_gpu_family(catalog):
    policy = build_policy([], deny_gpu=True, catalog=catalog)
    (statement,) = policy["Statement"]
    assert statement["Sid"] == SID_GPU
    families = {f"ml.{t.family}.*" for t in catalog.types() if t.has_gpu}
    assert set(statement["Condition"]["ForAnyValue:StringLike"][INSTANCE_TYPES_KEY]) == families
    assert check(policy, "CreateTrainingJob", "ml.g5.xlarge").sid == SID_GPU


def test_given_max_size_when_sizes_are_asked_then_larger_sizes_in_any_family_are_denied(catalog):
    policy = build_policy([], max_size="4xlarge", catalog=catalog)
    for allowed in ("ml.m5.4xlarge", "ml.c5.2xlarge", "ml.t3.medium", "ml.g5.4xlarge", "ml.r5.large"):
        assert check(policy, "CreateProcessingJob", allowed).allowed, allowed
    for denied in ("ml.m5.12xlarge", "ml.c5.9xlarge", "ml.g5.8xlarge", "ml.p4d.24xlarge", "ml.m5.metal"):
        assert not check(policy, "CreateProcessingJob", denied).allowed, denied
    # a size the catalog does not list yet is denied too
    assert not check(policy, "CreateProcessingJob", "ml.m5.64xlarge").allowed


@pytest.mark.parametrize(("allow", "deny_gpu", "max_size"), [
    (["ml.*"], True, "4xlarge"),
    (["ml.*"], False, "xlarge"),
    (["ml.c*", "ml.m5.*", "ml.g5.*"], True, "2xlarge"),
    (["*.xlarge", "*.2xlarge"], False, None),
    ([], True, "large"),
])
def test_given_any_options_when_every_catalog_type_is_checked_then_exactly_the_resolved_types_pass(
    allow, deny_gpu, max_size, catalog
):
    policy = build_policy(allow, deny_gpu=deny_gpu, max_size=max_size, catalog=catalog)
    expected = {t.name for t in resolve_allowed(allow, catalog, deny_gpu=deny_gpu, max_size=max_size)}
    passed = {t.name for t in catalog.types() if check(policy, "CreateTrainingJob", t.name).allowed}
    assert passed == expected
    assert expected, "the options should leave some types"
    if deny_gpu:
        assert not any(catalog.instance(n).has_gpu for n in passed)
    if max_size:
        limit = size_rank(max_size)
        assert all((size_rank(catalog.instance(n).size) or 0) <= limit for n in passed)


def test_given_a_family_allowed_whole_when_built_then_it_is_one_wildcard_guarded_by_the_size_statement(catalog):
    policy = build_policy(["ml.m5.*", "ml.c5.large"], max_size="2xlarge", catalog=catalog)
    allow_list = policy["Statement"][-1]["Condition"]["ForAnyValue:StringNotLike"][INSTANCE_TYPES_KEY]
    assert allow_list == ["ml.c5.large", "ml.m5.*", "system"]
    assert not check(policy, "CreateTrainingJob", "ml.m5.4xlarge").allowed
    assert check(policy, "CreateTrainingJob", "ml.m5.2xlarge").allowed


# -- requests with several types or none -------------------------------------------------------------


def test_given_two_variants_when_one_type_is_disallowed_then_the_endpoint_config_is_denied(small_types):
    decision = check(small_types, "CreateEndpointConfig", ["ml.m5.large", "ml.c5.xlarge"])
    assert not decision.allowed
    assert decision.sid == SID_ALLOW_LIST
    assert check(small_types, "CreateEndpointConfig", ["ml.m5.large", "ml.t3.medium"]).allowed


def test_given_a_request_without_instance_types_when_checked_then_the_guardrail_does_not_deny_it(small_types):
    # ForAnyValue: is false for a missing key: a serverless endpoint config carries no instance types.
    assert check(small_types, "CreateEndpointConfig", None).allowed
    assert check(small_types, "CreateEndpointConfig", []).allowed


def test_given_forallvalues_instead_when_checked_then_it_lets_mixed_requests_through_and_denies_keyless_ones(
    small_types,
):
    wrong = copy.deepcopy(small_types)
    for statement in wrong["Statement"]:
        condition = statement["Condition"]
        statement["Condition"] = {op.replace("ForAnyValue", "ForAllValues"): v for op, v in condition.items()}
    assert check(wrong, "CreateEndpointConfig", ["ml.m5.large", "ml.c5.xlarge"]).allowed
    assert not check(wrong, "CreateEndpointConfig", None).allowed


def test_given_studio_system_type_when_checked_then_it_is_always_allowed(small_types):
    assert check(small_types, "CreateApp", "system").allowed
    assert check(small_types, "CreateDomain", ["system", "ml.t3.medium"]).allowed


# -- check's inputs ----------------------------------------------------------------------------------


def test_given_short_names_when_checked_then_action_and_type_are_normalized(small_types):
    decision = check(small_types, "createtrainingjob", "M5.Large")
    assert decision.allowed
    assert "sagemaker:CreateTrainingJob with ml.m5.large" in decision.reason


def test_given_no_baseline_when_checked_then_the_guardrail_alone_grants_nothing(small_types):
    decision = check(small_types, "CreateTrainingJob", "ml.m5.large", baseline=None)
    assert (decision.allowed, decision.outcome) == (False, "implicit-deny")


def test_given_a_team_baseline_when_checked_then_both_policies_decide(small_types):
    team = {"Version": "2012-10-17", "Statement": [{"Sid": "TeamTraining", "Effect": "Allow",
            "Action": "sagemaker:CreateTrainingJob", "Resource": "arn:aws:sagemaker:*:*:training-job/*"}]}
    assert check(small_types, "CreateTrainingJob", "ml.m5.large", baseline=team).sid == "TeamTraining"
    assert check(small_types, "CreateProcessingJob", "ml.m5.large", baseline=team).outcome == "implicit-deny"
    assert check(small_types, "CreateTrainingJob", "ml.c5.large", baseline=team).outcome == "explicit-deny"


def test_given_context_keys_when_checked_then_they_reach_the_evaluator(small_types):
    regional = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sagemaker:*",
                "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}
    assert not check(regional, "CreateApp", "ml.t3.medium", {"aws:RequestedRegion": "us-east-1"}).allowed
    assert check(regional, "CreateApp", "ml.t3.medium", {"aws:RequestedRegion": "eu-west-1"}).allowed


# -- the document itself -----------------------------------------------------------------------------


@pytest.mark.parametrize(("allow", "deny_gpu", "max_size"), [
    (["ml.t3.*"], False, None),
    (["ml.*"], True, None),
    (["ml.*"], True, "4xlarge"),
    (["ml.*"], False, "xlarge"),
    ([], True, "2xlarge"),
])
def test_given_a_built_policy_when_serialized_then_it_is_valid_json_under_the_managed_policy_limit(
    allow, deny_gpu, max_size, catalog
):
    policy = build_policy(allow, deny_gpu=deny_gpu, max_size=max_size, catalog=catalog)
    text = json.dumps(policy, indent=2)
    assert parse_policy(text) == policy
    assert policy_size(policy) == len(re.sub(r"\s", "", text)) <= MANAGED_POLICY_MAX_CHARS
    assert all(re.fullmatch(r"[A-Za-z0-9]+", s["Sid"]) for s in policy["Statement"])


def test_given_a_limit_too_small_when_built_then_a_usage_error_gives_the_size(catalog):
    with pytest.raises(UsageError, match=r"needs [\d,]+ characters, over the 500"):
        build_policy(["ml.*"], deny_gpu=True, catalog=catalog, max_chars=500)


# -- bad inputs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"allow": ["ml.g9.*"]}, r"no instance type matches 'ml\.g9\.\*'\. Did you mean ml\.g"),
    ({"allow": ["ml.m5.larg"]}, r"Did you mean ml\.m5\.large"),
    ({"allow": ["ml.[cm]5.*"]}, r"\* and \?"),
    ({"allow": [" "]}, "empty instance-type pattern"),
    ({"allow": ["ml.m5.*"], "max_size": "4xl"}, r"unknown instance size '4xl'\. Did you mean 4xlarge"),
    ({"allow": ["ml.p4d.*"], "deny_gpu": True}, "no instance type is left"),
    ({"allow": []}, "nothing to restrict"),
])
def test_given_bad_options_when_building_then_a_usage_error_explains(kwargs, message, catalog):
    with pytest.raises(UsageError, match=message):
        build_policy(catalog=catalog, **kwargs)


@pytest.mark.parametrize(("action", "instance_type", "message"), [
    ("CreateTraningJob", "ml.m5.large", r"Did you mean sagemaker:CreateTrainingJob"),
    ("sagemaker:CreateEndpoint", "ml.m5.large", r"not an action that carries sagemaker:InstanceTypes"),
    ("CreateTrainingJob", "ml.m5.*", "wildcard"),
])
def test_given_bad_check_inputs_when_checking_then_a_usage_error_explains(action, instance_type, message, small_types):
    with pytest.raises(UsageError, match=message):
        check(small_types, action, instance_type)


def test_given_an_invalid_policy_when_checking_then_a_usage_error_names_the_element():
    with pytest.raises(UsageError, match=r"Statement\[0\]\.Effect"):
        check({"Statement": [{"Effect": "Block", "Action": "*", "Resource": "*"}]}, "CreateApp", "ml.t3.medium")


def test_given_the_allow_all_baseline_when_read_then_it_allows_everything():
    assert ALLOW_ALL["Statement"][0]["Action"] == "*"
