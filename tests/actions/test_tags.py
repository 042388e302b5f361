"""Tags carried from a backup to the resources a restore creates: the resource's own, never AWS's."""

from __future__ import annotations

from sagetrim.actions.common import settable_tags


def test_given_tags_with_aws_reserved_keys_when_set_again_then_only_the_owners_tags_are_kept() -> None:
    tags = [{"Key": "aws:cloudformation:stack-name", "Value": "ml-stack"},
            {"Key": "AWS:servicecatalog:productArn", "Value": "arn:aws:catalog:product/p-1"},
            {"Key": "team", "Value": "fraud"},
            {"Key": "cost-center:aws", "Value": "42"}]

    assert settable_tags(tags) == [{"Key": "team", "Value": "fraud"}, {"Key": "cost-center:aws", "Value": "42"}]


def test_given_no_tags_when_set_again_then_none() -> None:
    assert settable_tags([]) == []
