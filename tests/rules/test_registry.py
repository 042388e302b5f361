"""Every rule is registered under its module's name, documents itself, and has every part the engine needs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from types import ModuleType

import pytest

from sagetrim.errors import UsageError
from sagetrim.rules import RULES, RuleDefinitionError, checked, idle_endpoint, select
from sagetrim.rules.context import RuleContext
from sagetrim.rules.model import Finding
from sagetrim.rules.rule import Rule


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_a_rule_is_named_after_its_module_and_complete(rule_id):
    rule = RULES[rule_id]
    assert rule.meta.id == rule_id and rule.summary and rule.meta.title
    assert dataclasses.is_dataclass(rule.params) and callable(rule.evaluate)
    rule.params()  # every setting has a default


@dataclasses.dataclass(frozen=True)
class _Params:
    hours: int = 1


def _evaluate(ctx: RuleContext, params: _Params) -> Iterator[Finding]:
    yield from ()


def _module(name: str, **attrs: object) -> ModuleType:
    module = ModuleType(f"sagetrim.rules.{name}", "A rule for the test: finds nothing.")
    vars(module).update(attrs)
    return module


def test_given_a_complete_rule_module_when_checked_then_its_rule_is_returned():
    rule = Rule(meta=dataclasses.replace(idle_endpoint.META, id="quiet-rule"), params=_Params, evaluate=_evaluate,
                doc="quiet-rule: finds nothing.")
    assert checked(_module("quiet_rule", RULE=rule)) is rule


@pytest.mark.parametrize(("name", "attrs", "problem"), [
    ("quiet_rule", {}, "no RULE"),
    ("quiet_rule", {"META": idle_endpoint.META, "evaluate": _evaluate}, "no RULE"),
    ("quiet_rule", {"RULE": "not a rule"}, "no RULE"),
    ("quiet_rul", {"RULE": Rule(dataclasses.replace(idle_endpoint.META, id="quiet-rule"), _Params, _evaluate,
                                "quiet-rule: finds nothing.")}, "module's name"),
    ("quiet_rule", {"RULE": Rule(dataclasses.replace(idle_endpoint.META, id="quiet-rule"), _Params, _evaluate,
                                 None)}, "no documentation"),
    ("quiet_rule", {"RULE": Rule(dataclasses.replace(idle_endpoint.META, id="quiet-rule"), dict, _evaluate,
                                 "doc")}, "not a dataclass"),
    ("quiet_rule", {"RULE": Rule(dataclasses.replace(idle_endpoint.META, id="quiet-rule"),
                                 dataclasses.make_dataclass("P", [("hours", int)]), _evaluate, "doc")}, "no default"),
    ("quiet_rule", {"RULE": Rule(dataclasses.replace(idle_endpoint.META, id="quiet-rule"), _Params, "evaluate",
                                 "doc")}, "evaluate is not callable"),
    ("quiet_rule", {"RULE": Rule(dataclasses.replace(idle_endpoint.META, id="quiet-rule"), _Params, _evaluate,
                                 "doc", queries="queries")}, "queries is not callable"),
])
def test_given_a_rule_module_missing_a_part_when_checked_then_the_error_names_it(name, attrs, problem):
    with pytest.raises(RuleDefinitionError, match=problem):
        checked(_module(name, **attrs))


def test_an_unknown_rule_lists_the_valid_ones():
    with pytest.raises(UsageError, match="idle-endpoint"):
        select(["idle-endpont"])


def test_the_rules_whose_action_removes_what_serves_recheck_their_traffic_before_acting():
    assert [r.id for r in RULES.values() if r.recheck is not None] == ["idle-endpoint", "idle-variant"]
    assert {r.meta.action.value for r in RULES.values() if r.recheck is not None} == {"delete-endpoint",
                                                                                      "remove-variant"}


def test_the_rules_that_read_history_ask_for_their_look_back():
    days = {r.id: r.days_of_history(r.params()) for r in RULES.values() if r.history_days is not None}
    assert days == {"training-spot": 14, "training-gpu-unused": 14, "training-oversized": 14,
                    "processing-oversized": 14, "warm-pool-left-on": 14}
