"""CloudFormation YAML: long-form intrinsic functions are written as the short forms CloudFormation reads."""

from __future__ import annotations

import json
from typing import Any

from cfnlint.decode.cfn_yaml import loads

from sagetrim.deploy.cfn import NO_VALUE, dump_yaml, equals, get_att, if_, not_, ref, sub

DOCUMENT: dict[str, Any] = {
    "Conditions": {"IsMember": not_(equals(ref("ScannerRoleArn"), "")),
                   "Both": {"Fn::And": [{"Condition": "IsMember"}, equals("a", "b")]}},
    "Resources": {
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Role": get_att("Role", "Arn"),
                "Code": {"S3Bucket": if_("PerRegion", sub("${Bucket}-${AWS::Region}"), ref("Bucket"))},
                "Environment": {"Variables": {"CONFIG": "rules:\n  idle-endpoint:\n    hours: 48\n",
                                              "ROLES": {"Fn::Split": [",", ref("MemberRoleArns")]},
                                              "NOTE": "déjà vu"}},
                "Subscription": if_("HasEmail", [{"Endpoint": ref("Email")}], NO_VALUE),
                "Nested": {"Fn::GetAtt": ["Stack", {"Fn::Sub": "Outputs.${Name}"}]},
            },
        },
    },
}


def _read(text: str) -> Any:
    """The document as CloudFormation reads it (cfn-lint's decoder), as plain data."""
    return json.loads(json.dumps(loads(text)))


def test_given_long_forms_when_dumped_then_cloudformation_reads_back_the_same_document() -> None:
    assert _read(dump_yaml(DOCUMENT)) == DOCUMENT


def test_given_intrinsic_functions_when_dumped_then_they_are_written_in_short_form() -> None:
    text = dump_yaml(DOCUMENT)

    assert "Role: !GetAtt 'Role.Arn'\n" in text
    assert "IsMember: !Not\n  - !Equals\n    - !Ref 'ScannerRoleArn'\n" in text
    assert "S3Bucket: !If\n        - PerRegion\n        - !Sub '${Bucket}-${AWS::Region}'\n" in text
    assert "Ref:" not in text and "Fn::" not in text


def test_given_a_get_att_with_a_computed_attribute_when_dumped_then_it_keeps_the_list_form() -> None:
    text = dump_yaml({"Value": {"Fn::GetAtt": ["Stack", sub("Outputs.${Name}")]}})

    assert text == "Value: !GetAtt\n- Stack\n- !Sub 'Outputs.${Name}'\n"


def test_given_a_mapping_with_ref_among_other_keys_when_dumped_then_it_stays_a_mapping() -> None:
    document = {"Properties": {"Ref": "not an intrinsic", "Other": 1}, "Condition": {"Condition": "IsMember"}}

    assert _read(dump_yaml(document)) == document


def test_given_a_multi_line_string_when_dumped_then_it_is_a_literal_block_in_key_order() -> None:
    text = dump_yaml({"B": "one\ntwo\n", "A": "plain"})

    assert text == "B: |\n  one\n  two\nA: plain\n"
