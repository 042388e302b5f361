"""The rules: one module per finding, each ending with a `RULE` (see `rules/rule.py`).

The registry is a plain dict built from explicit imports and checked as it is built: a module's name is its
rule id with dashes, and every rule has its documentation, a `Params` dataclass whose every field has a
default, and an `evaluate`.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

from sagetrim.errors import UsageError
from sagetrim.rules import (
    endpoint_hosting_mode,
    failing_endpoint,
    idle_endpoint,
    idle_notebook,
    idle_variant,
    notebook_without_autostop,
    oversized_endpoint,
    processing_oversized,
    stopped_notebook_storage,
    studio_idle_app,
    training_gpu_unused,
    training_oversized,
    training_spot,
    warm_pool_left_on,
)
from sagetrim.rules.rule import Rule


class RuleDefinitionError(TypeError):
    """A rule module that lacks a part the engine needs, or whose parts do not agree."""


def checked(module: ModuleType) -> Rule[Any]:
    """The module's `RULE`, once every part of it is checked.

    Raises:
        RuleDefinitionError: naming the module and the part that is missing or wrong.
    """
    name = module.__name__.rsplit(".", 1)[-1]
    rule = vars(module).get("RULE")
    if not isinstance(rule, Rule):
        raise RuleDefinitionError(f"rule module {name} has no RULE = Rule(...)")
    problems = []
    if rule.meta.id != name.replace("_", "-"):
        problems.append(f"its id {rule.meta.id!r} is not its module's name with dashes ({name.replace('_', '-')!r})")
    if not rule.meta.title or not rule.summary:
        problems.append("it has no title or no documentation")
    if not (isinstance(rule.params, type) and dataclasses.is_dataclass(rule.params)):
        problems.append("its params is not a dataclass")
    else:
        try:
            rule.params()
        except TypeError as exc:
            problems.append(f"a setting of its params has no default ({exc})")
    if not callable(rule.evaluate):
        problems.append("its evaluate is not callable")
    for part, hook in (("queries", rule.queries), ("recheck", rule.recheck), ("history_days", rule.history_days)):
        if hook is not None and not callable(hook):
            problems.append(f"its {part} is not callable")
    if problems:
        raise RuleDefinitionError(f"rule module {name}: " + "; ".join(problems))
    return rule


def _registry(modules: tuple[ModuleType, ...]) -> dict[str, Rule[Any]]:
    rules: dict[str, Rule[Any]] = {}
    for module in modules:
        rule = checked(module)
        if rule.id in rules:
            raise RuleDefinitionError(f"rule id {rule.id!r} is registered twice")
        rules[rule.id] = rule
    return rules


RULES: dict[str, Rule[Any]] = _registry((
    idle_endpoint, notebook_without_autostop, idle_notebook, oversized_endpoint, endpoint_hosting_mode,
    training_spot, training_gpu_unused, training_oversized, processing_oversized, stopped_notebook_storage,
    studio_idle_app, warm_pool_left_on, idle_variant, failing_endpoint))


def select(ids: list[str] | None) -> list[Rule[Any]]:
    """The rules named (all when none are); an unknown id is an error that lists the valid ones."""
    if not ids:
        return list(RULES.values())
    unknown = [i for i in ids if i not in RULES]
    if unknown:
        raise UsageError(f"unknown rule(s): {', '.join(unknown)}; the rules are: {', '.join(RULES)}.")
    return [RULES[i] for i in ids]


__all__ = ["RULES", "Rule", "RuleDefinitionError", "checked", "select"]
