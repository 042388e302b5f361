"""Every rule is registered under its module's name and documents itself."""

from __future__ import annotations

import dataclasses

import pytest

from sagetrim.errors import UsageError
from sagetrim.rules import RULES, select


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_a_rule_is_named_after_its_module_and_complete(rule_id):
    module = RULES[rule_id]
    assert module.__name__.rsplit(".", 1)[-1] == rule_id.replace("-", "_")
    assert module.META.id == rule_id and module.__doc__ and module.META.title
    assert dataclasses.is_dataclass(module.Params) and callable(module.evaluate)
    module.Params()  # every setting has a default


def test_an_unknown_rule_lists_the_valid_ones():
    with pytest.raises(UsageError, match="idle-endpoint"):
        select(["idle-endpont"])
