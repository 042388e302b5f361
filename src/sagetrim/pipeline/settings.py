"""The settings a run starts from: the file, with each rule's section checked against that rule's Params
(the settings module sits below the rules and learns their Params here)."""

from __future__ import annotations

from pathlib import Path

from sagetrim.config import Settings
from sagetrim.config import load_settings as load_settings_file
from sagetrim.rules import RULES

__all__ = ["load_settings"]


def load_settings(path: Path | None = None) -> Settings:
    """The settings from `path`, else from ./sagetrim.yaml if present, else the defaults, with each rule's
    section under `rules:` checked against that rule's Params.

    Raises:
        ConfigError: the file cannot be read or is not valid; the message names the line and the field.
    """
    return load_settings_file(path, {rule_id: rule.params for rule_id, rule in RULES.items()})
