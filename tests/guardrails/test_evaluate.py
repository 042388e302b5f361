"""The IAM evaluator: operators, set operators, missing keys, statements and policies, as IAM documents them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sagetrim.errors import UsageError
from sagetrim.guardrails.evaluate import (
    ALLOW_ALL,
    Request,
    arn_match,
    condition_holds,
    evaluate,
    glob_match,
    load_policy,
    parse_policy,
)

KEY = "sagemaker:InstanceTypes"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def deny(condition: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Sid": "Guard", "Effect": "Deny", "Action": "sagemaker:*", "Resource": "*", **fields}
    if condition:
        stmt["Condition"] = condition
    return stmt


# -- wildcards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("ml.t3.*", "ml.t3.medium", True),
    ("ml.t3.*", "ml.t3a.medium", False),
    ("ml.?5.large", "ml.m5.large", True),
    ("ml.?5.large", "ml.m5d.large", False),
    ("ml.*", "ml.", True),
    ("ml.[cm]5.*", "ml.c5.large", False),  # no character classes in IAM
    ("ml.[cm]5.*", "ml.[cm]5.large", True),
    ("ML.T3.*", "ml.t3.medium", False),  # StringLike is case-sensitive
])
def test_given_an_iam_pattern_when_matched_then_only_star_and_question_mark_are_wildcards(pattern, value, expected):
    assert glob_match(pattern, value) is expected


@pytest.mark.parametrize(("pattern", "arn", "expected"), [
    ("*", "arn:aws:sagemaker:us-east-1:111122223333:training-job/x", True),
    ("arn:aws:sagemaker:*:*:training-job/*", "arn:aws:sagemaker:us-east-1:111122223333:training-job/x", True),
    ("arn:aws:sagemaker:*:*:training-job/*", "arn:aws:sagemaker:us-east-1:111122223333:processing-job/x", False),
    ("arn:aws:sagemaker:eu-*:*:*", "arn:aws:sagemaker:us-east-1:111122223333:training-job/x", False),
    ("arn:aws:sagemaker:*:111122223333:app/*/*/JupyterLab/*",
     "arn:aws:sagemaker:us-east-1:111122223333:app/d-1/user/JupyterLab/default", True),
])
def test_given_an_arn_pattern_when_matched_then_each_arn_part_is_matched_on_its_own(pattern, arn, expected):
    assert arn_match(pattern, arn) is expected


# -- single-valued operators -------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "values", "request_value", "expected"), [
    ("StringEquals", ["a", "b"], "b", True),
    ("StringEquals", ["a"], "A", False),
    ("StringNotEquals", ["a", "b"], "c", True),
    ("StringNotEquals", ["a", "b"], "a", False),  # NOR over the policy values
    ("StringEqualsIgnoreCase", ["abc"], "ABC", True),
    ("StringNotEqualsIgnoreCase", ["abc"], "ABC", False),
    ("StringLike", ["ml.t3.*"], "ml.t3.large", True),
    ("StringNotLike", ["ml.t3.*", "ml.m5.*"], "ml.m5.large", False),
    ("StringNotLike", ["ml.t3.*", "ml.m5.*"], "ml.p4d.24xlarge", True),
    ("ArnLike", ["arn:aws:sagemaker:*:*:domain/*"], "arn:aws:sagemaker:us-east-1:1:domain/d-1", True),
    ("ArnNotLike", ["arn:aws:sagemaker:*:*:domain/*"], "arn:aws:sagemaker:us-east-1:1:domain/d-1", False),
    ("NumericLessThanEquals", ["3600"], "3600", True),
    ("NumericGreaterThan", ["3600"], 7200, True),
    ("NumericNotEquals", ["1"], "1", False),
    ("Bool", ["true"], True, True),
    ("Bool", ["false"], "true", False),
    ("Bool", [True], "TRUE", True),
])
def test_given_a_present_key_when_an_operator_tests_it_then_it_follows_the_documented_semantics(
    op, values, request_value, expected
):
    policy_values = [str(v).lower() if isinstance(v, bool) else v for v in values]
    assert condition_holds(op, policy_values, request_value) is expected


@pytest.mark.parametrize(("op", "expected"), [
    ("StringEquals", False), ("StringLike", False), ("Bool", False), ("NumericEquals", False), ("ArnLike", False),
    ("StringNotEquals", True), ("StringNotLike", True), ("ArnNotLike", True),
    ("StringEqualsIfExists", True), ("StringNotLikeIfExists", True), ("BoolIfExists", True),
])
def test_given_a_missing_key_when_an_operator_tests_it_then_plain_is_false_negated_and_ifexists_are_true(op, expected):
    assert condition_holds(op, ["x"], None) is expected


def test_given_a_present_key_when_ifexists_tests_it_then_the_operator_applies():
    assert condition_holds("StringEqualsIfExists", ["a"], "b") is False
    assert condition_holds("StringEqualsIfExists", ["a"], "a") is True


@pytest.mark.parametrize(("value", "null_true", "null_false"), [
    (None, True, False), ([], True, False), ("x", False, True), (["ml.t3.medium"], False, True), (False, False, True),
])
def test_given_null_when_the_key_is_missing_or_empty_then_null_true_holds(value, null_true, null_false):
    assert condition_holds("Null", ["true"], value) is null_true
    assert condition_holds("Null", ["false"], value) is null_false


# -- set operators -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("request_value", "any_not_like", "all_not_like", "any_like", "all_like"), [
    (["ml.t3.medium"], False, False, True, True),
    (["ml.p4d.24xlarge"], True, True, False, False),
    (["ml.t3.medium", "ml.p4d.24xlarge"], True, False, True, False),
    (None, False, True, False, True),
    ([], False, True, False, True),
])
def test_given_a_multivalued_key_when_set_operators_test_it_then_any_and_all_follow_the_iam_guide(
    request_value, any_not_like, all_not_like, any_like, all_like
):
    allowed = ["ml.t3.*"]
    assert condition_holds("ForAnyValue:StringNotLike", allowed, request_value) is any_not_like
    assert condition_holds("ForAllValues:StringNotLike", allowed, request_value) is all_not_like
    assert condition_holds("ForAnyValue:StringLike", allowed, request_value) is any_like
    assert condition_holds("ForAllValues:StringLike", allowed, request_value) is all_like


@pytest.mark.parametrize(("tag_keys", "denied"), [
    (["key1:legal"], False),
    (["key1:hr", "key1:personnel"], False),
    (["key2:audit"], True),
    (None, True),
])
def test_given_the_iam_guide_forallvalues_deny_example_when_evaluated_then_the_documented_table_holds(tag_keys, denied):
    doc = policy({"Sid": "DenyRestrictedTags", "Effect": "Deny", "Action": ["iam:Tag*", "iam:UnTag*"],
                  "Resource": ["*"], "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}})
    request = Request("iam:TagRole", "arn:aws:iam::111122223333:role/r", {"aws:TagKeys": tag_keys})
    decision = evaluate(request, {"guard": doc, "base": ALLOW_ALL})
    assert (decision.outcome == "explicit-deny") is denied


def test_given_ifexists_with_a_set_operator_when_the_key_is_missing_then_it_holds():
    assert condition_holds("ForAnyValue:StringNotLikeIfExists", ["ml.t3.*"], None) is True
    assert condition_holds("ForAnyValue:StringNotLikeIfExists", ["ml.t3.*"], ["ml.t3.large"]) is False


# -- statements and policies -------------------------------------------------------------------------


def test_given_a_deny_and_an_allow_when_both_apply_then_the_explicit_deny_wins_and_is_named():
    doc = policy(deny({"ForAnyValue:StringNotLike": {KEY: ["ml.t3.*"]}}))
    decision = evaluate(Request("sagemaker:CreateTrainingJob", "*", {KEY: ["ml.p3.2xlarge"]}),
                        {"guard": doc, "base": ALLOW_ALL})
    assert (decision.allowed, decision.outcome, decision.sid, decision.policy) == (
        False, "explicit-deny", "Guard", "guard")
    assert "Guard" in decision.reason


def test_given_only_an_allow_when_it_applies_then_the_request_is_allowed_by_it():
    decision = evaluate(Request("sagemaker:CreateTrainingJob", "*", {KEY: ["ml.t3.large"]}),
                        {"guard": policy(deny({"ForAnyValue:StringNotLike": {KEY: ["ml.t3.*"]}})), "base": ALLOW_ALL})
    assert (decision.allowed, decision.outcome, decision.sid) == (True, "allow", "AllowEverything")


def test_given_no_statement_applies_when_evaluated_then_the_request_is_implicitly_denied():
    decision = evaluate(Request("s3:GetObject", "*"), {"guard": policy(deny())})
    assert (decision.allowed, decision.outcome, decision.sid) == (False, "implicit-deny", None)


@pytest.mark.parametrize(("action", "applies"), [
    ("sagemaker:CreateTrainingJob", True),
    ("SageMaker:createtrainingjob", True),  # actions are case-insensitive
    ("sagemaker:CreateProcessingJob", True),
    ("sagemaker:DescribeTrainingJob", False),
    ("s3:CreateBucket", False),
])
def test_given_action_wildcards_when_matched_then_case_is_ignored(action, applies):
    doc = policy(deny(Action=["sagemaker:Create*Job"]))
    assert (evaluate(Request(action, "*"), {"g": doc}).outcome == "explicit-deny") is applies


def test_given_notaction_when_evaluated_then_every_other_action_applies():
    doc = policy({"Effect": "Deny", "NotAction": "sagemaker:Describe*", "Resource": "*"})
    assert evaluate(Request("sagemaker:CreateApp"), {"g": doc}).outcome == "explicit-deny"
    assert evaluate(Request("sagemaker:DescribeApp"), {"g": doc}).outcome == "implicit-deny"


def test_given_resource_arns_when_evaluated_then_only_matching_resources_apply():
    doc = policy(deny(Resource="arn:aws:sagemaker:*:*:training-job/team-a-*"))
    arn = "arn:aws:sagemaker:us-east-1:111122223333:training-job/"
    assert evaluate(Request("sagemaker:CreateTrainingJob", arn + "team-a-1"), {"g": doc}).outcome == "explicit-deny"
    assert evaluate(Request("sagemaker:CreateTrainingJob", arn + "team-b-1"), {"g": doc}).outcome == "implicit-deny"
    not_resource = policy({"Effect": "Deny", "Action": "*", "NotResource": arn + "team-a-*"})
    assert evaluate(Request("sagemaker:CreateTrainingJob", arn + "team-b-1"), {"g": not_resource}).allowed is False


def test_given_several_conditions_when_evaluated_then_operators_and_keys_are_anded():
    doc = policy(deny({"StringEquals": {"aws:RequestedRegion": "us-east-1"},
                       "Bool": {"sagemaker:NetworkIsolation": "false"}}))
    both = {"aws:RequestedRegion": "us-east-1", "sagemaker:NetworkIsolation": False}
    one = {"aws:RequestedRegion": "eu-west-1", "sagemaker:NetworkIsolation": False}
    assert evaluate(Request("sagemaker:CreateTrainingJob", "*", both), {"g": doc}).outcome == "explicit-deny"
    assert evaluate(Request("sagemaker:CreateTrainingJob", "*", one), {"g": doc}).outcome == "implicit-deny"


def test_given_a_condition_key_in_another_case_when_evaluated_then_keys_are_case_insensitive():
    doc = policy(deny({"ForAnyValue:StringNotLike": {"SageMaker:instancetypes": ["ml.t3.*"]}}))
    request = Request("sagemaker:CreateApp", "*", {KEY: ["ml.m5.large"]})
    assert evaluate(request, {"g": doc}).outcome == "explicit-deny"


def test_given_a_single_statement_object_when_evaluated_then_it_counts_as_a_list():
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    assert evaluate(Request("sagemaker:CreateApp"), {"g": doc}).allowed is True


# -- reading and validating policies ----------------------------------------------------------------


def test_given_broken_json_when_parsed_then_the_error_says_where():
    with pytest.raises(UsageError, match=r"guard\.json is not valid JSON: .* line 3, column \d+"):
        parse_policy('{\n  "Version": "2012-10-17",\n  "Statement": [}\n', source="guard.json")


def test_given_a_policy_file_when_loaded_then_it_is_parsed_and_a_missing_file_is_a_usage_error(tmp_path: Path):
    path = tmp_path / "guard.json"
    path.write_text(json.dumps(ALLOW_ALL))
    assert load_policy(path) == ALLOW_ALL
    with pytest.raises(UsageError, match="cannot read the policy file"):
        load_policy(tmp_path / "missing.json")


@pytest.mark.parametrize(("doc", "message"), [
    ([], "a policy document is a JSON object"),
    ({"Version": "2012-10-17"}, "no Statement"),
    ({"Version": "2010-01-01", "Statement": []}, "Version must be"),
    (policy({"Effect": "Maybe", "Action": "*", "Resource": "*"}), r"Statement\[0\]\.Effect"),
    (policy({"Effect": "Deny", "Resource": "*"}), r"Statement\[0\] needs exactly one of Action and NotAction"),
    (policy({"Effect": "Deny", "Action": "*"}), "exactly one of Resource and NotResource"),
    (policy({"Effect": "Deny", "Action": [], "Resource": "*"}), "non-empty list of strings"),
    (policy({"Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"}), "resource-based policy"),
    (policy({"Effect": "Deny", "Action": "*", "Resource": "*", "Colour": "red"}), "unknown element"),
    (policy(deny({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})), "not supported"),
    (policy(deny({"ForAnyValue:Null": {KEY: "true"}})), "Null takes neither"),
    (policy(deny({"Bool": {"aws:SecureTransport": "yes"}})), "true.*or.*false"),
    (policy(deny({"StringEquals": {"aws:username": "${aws:username}"}})), "policy variables"),
    (policy(deny(Resource="arn:aws:s3:::${aws:username}/*")), "policy variables"),
])
def test_given_an_invalid_policy_when_validated_then_a_usage_error_names_the_element(doc, message):
    with pytest.raises(UsageError, match=message):
        evaluate(Request("sagemaker:CreateApp"), {"policy.json": doc})


# -- boundaries and corners each decision depends on -------------------------------------------------


@pytest.mark.parametrize(("op", "policy_value", "request_value", "expected"), [
    ("NumericEquals", "5", "5", True), ("NumericEquals", "5", "6", False),
    ("NumericNotEquals", "5", "6", True),
    ("NumericLessThan", "5", "5", False), ("NumericLessThan", "5", "4", True), ("NumericLessThan", "5", "6", False),
    ("NumericLessThanEquals", "5", "6", False),
    ("NumericGreaterThan", "5", "5", False), ("NumericGreaterThan", "5", "6", True),
    ("NumericGreaterThanEquals", "5", "5", True), ("NumericGreaterThanEquals", "5", "4", False),
    ("NumericLessThan", "5", "a few", False),  # a value that is not a number never matches
    ("NumericNotEquals", "5", "a few", True),
])
def test_given_numbers_at_and_around_the_boundary_when_compared_then_each_operator_is_exact(
    op, policy_value, request_value, expected
):
    assert condition_holds(op, [policy_value], request_value) is expected


@pytest.mark.parametrize(("pattern", "arn", "expected"), [
    # The sixth part keeps its colons: a resource id with colons is one part.
    ("arn:aws:sagemaker:*:*:endpoint/a:*", "arn:aws:sagemaker:us-east-1:111:endpoint/a:b", True),
    ("arn:aws:sagemaker:*:*:endpoint/a", "arn:aws:sagemaker:us-east-1:111:endpoint/a:b", False),
    # A part's wildcard does not reach into the next part.
    ("arn:aws:sagemaker:us-*:111:*", "arn:aws:sagemaker:us-east-1:222:endpoint/a", False),
    ("arn:aws:sagemaker:us-*:111:*", "arn:aws:sagemaker:us-east-1:111:endpoint/a", True),
    # ARN parts are case-sensitive.
    ("arn:aws:sagemaker:*:*:Endpoint/*", "arn:aws:sagemaker:us-east-1:111:endpoint/a", False),
    # Not six parts on either side: the whole string is matched as one pattern.
    ("arn:aws:sagemaker:*", "arn:aws:sagemaker:us-east-1:111:endpoint/a", True),
    ("arn:aws:sagemaker:us-east-1", "arn:aws:sagemaker:us-east-1:111:endpoint/a", False),
    ("arn:aws:sagemaker:*:*:endpoint/*", "not-an-arn", False),
    ("*", "anything at all", True),
])
def test_given_arn_patterns_at_the_corners_when_matched_then_parts_stay_apart(pattern, arn, expected):
    assert arn_match(pattern, arn) is expected


def test_given_a_deny_that_does_not_apply_before_one_that_does_when_evaluated_then_the_later_one_decides():
    doc = policy(deny(Sid="OtherTeam", Resource="arn:aws:sagemaker:*:*:training-job/team-b-*"),
                 deny(Sid="Guard", Condition={"ForAnyValue:StringNotLike": {KEY: ["ml.t3.*"]}}),
                 {"Sid": "Open", "Effect": "Allow", "Action": "*", "Resource": "*"})
    request = Request("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:us-east-1:1:training-job/team-a-1",
                      {KEY: ["ml.p4d.24xlarge"]})

    decision = evaluate(request, {"g": doc})

    assert decision.outcome == "explicit-deny" and "Guard" in decision.reason


def test_given_an_allow_in_a_first_policy_and_a_deny_in_a_second_when_evaluated_then_the_deny_still_wins():
    allow = policy({"Sid": "Open", "Effect": "Allow", "Action": "*", "Resource": "*"})
    guard = policy(deny(Condition={"ForAnyValue:StringNotLike": {KEY: ["ml.t3.*"]}}))

    decision = evaluate(Request("sagemaker:CreateApp", context={KEY: ["ml.g5.xlarge"]}), {"a": allow, "b": guard})

    assert decision.outcome == "explicit-deny"
    assert evaluate(Request("sagemaker:CreateApp", context={KEY: ["ml.t3.medium"]}),
                    {"a": allow, "b": guard}).outcome == "allow"


def test_given_notresource_when_the_resource_matches_it_then_the_statement_does_not_apply():
    arn = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/"
    doc = policy({"Effect": "Allow", "Action": "sagemaker:*", "NotResource": arn + "prod-*"})
    assert evaluate(Request("sagemaker:DeleteEndpoint", arn + "prod-1"), {"g": doc}).outcome == "implicit-deny"
    assert evaluate(Request("sagemaker:DeleteEndpoint", arn + "dev-1"), {"g": doc}).outcome == "allow"


def test_given_wildcards_in_values_when_matched_then_case_counts_unless_asked_not_to():
    assert glob_match("ml.M5.*", "ml.m5.large") is False
    assert glob_match("ml.M5.*", "ml.m5.large", ignore_case=True) is True


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("x", True), (["ml.t3.medium"], True)])
def test_given_null_with_both_true_and_false_when_evaluated_then_the_values_are_ored_and_it_always_holds(
    value, expected
):
    assert condition_holds("Null", ["false", "true"], value) is expected
    assert condition_holds("Null", ["true", "false"], value) is expected


@pytest.mark.parametrize(("pattern", "arn"), [
    # Matched as one string, the region's `*` would run on past the account into a resource id with colons.
    ("arn:aws:sagemaker:*:111:endpoint/*", "arn:aws:sagemaker:us-east-1:222:endpoint/a:111:endpoint/b"),
    ("arn:aws:sagemaker:*:111:endpoint/a:b", "arn:aws:sagemaker:us-east-1:222:x:111:endpoint/a:b"),
])
def test_given_a_wildcard_part_when_the_resource_id_holds_colons_then_it_still_stops_at_its_part(pattern, arn):
    assert arn_match(pattern, arn) is False
    assert glob_match(pattern, arn) is True, "as one string it would match"


def test_given_notaction_when_the_action_is_in_another_case_then_it_is_still_excluded():
    doc = policy({"Effect": "Deny", "NotAction": "sagemaker:Describe*", "Resource": "*"})
    assert evaluate(Request("SageMaker:describeApp"), {"g": doc}).outcome == "implicit-deny"
    assert evaluate(Request("SAGEMAKER:CREATEAPP"), {"g": doc}).outcome == "explicit-deny"


def test_given_a_subject_when_evaluated_then_the_reason_names_it_and_else_the_action():
    doc = policy(deny())
    named = evaluate(Request("sagemaker:CreateApp"), {"guard": doc}, subject="the JupyterLab app of alice")
    assert named.reason == "the JupyterLab app of alice is denied by statement 'Guard' of guard."
    unnamed = evaluate(Request("sagemaker:CreateApp"), {"guard": doc})
    assert unnamed.reason == "sagemaker:CreateApp is denied by statement 'Guard' of guard."
