"""The rules: one module per finding, each with META, Params and evaluate (and queries for metrics).

The registry is a plain dict built from explicit imports; a module's name is its rule id with dashes.
"""

from __future__ import annotations

from types import ModuleType

from sagetrim.errors import UsageError
from sagetrim.rules import (
    endpoint_hosting_mode,
    idle_endpoint,
    idle_notebook,
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

RULES: dict[str, ModuleType] = {m.META.id: m for m in (
    idle_endpoint, notebook_without_autostop, idle_notebook, oversized_endpoint, endpoint_hosting_mode,
    training_spot, training_gpu_unused, training_oversized, processing_oversized, stopped_notebook_storage,
    studio_idle_app, warm_pool_left_on)}


def select(ids: list[str] | None) -> list[ModuleType]:
    """The rules named (all when none are); an unknown id is an error that lists the valid ones."""
    if not ids:
        return list(RULES.values())
    unknown = [i for i in ids if i not in RULES]
    if unknown:
        raise UsageError(f"unknown rule(s): {', '.join(unknown)}; the rules are: {', '.join(RULES)}.")
    return [RULES[i] for i in ids]


__all__ = ["RULES", "select"]
