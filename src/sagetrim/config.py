"""The settings file, `sagetrim.yaml`, validated: a mistake names its line and field."""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from sagetrim.rules import RULES
from sagetrim.schedules import ScheduleList
from sagetrim.yamlfile import load_yaml_model

DEFAULT_FILE = Path("sagetrim.yaml")
EXCLUDE_TAG = ("sagetrim:exclude", "true")


@cache
def _rule_params_models() -> dict[str, type[BaseModel]]:
    """A strict pydantic model per rule, made from the rule's Params dataclass (so typos are errors)."""
    out = {}
    for rule_id, rule in RULES.items():
        hints = typing.get_type_hints(rule.params)
        fields: dict[str, Any] = {f.name: (hints[f.name], f.default) for f in dataclasses.fields(rule.params)}
        out[rule_id] = create_model(f"{rule_id.replace('-', '_')}_params",
                                    __config__=ConfigDict(extra="forbid"), **fields)
    return out


def _rules_model() -> type[BaseModel]:
    fields: dict[str, Any] = {
        rule_id.replace("-", "_"): (model | None, Field(None, alias=rule_id))
        for rule_id, model in _rule_params_models().items()
    }
    return create_model("RuleSettings", __config__=ConfigDict(extra="forbid", populate_by_name=True), **fields)


RuleSettings = _rules_model()


class NotifySettings(BaseModel):
    """Where `act` sends its notifications."""

    model_config = ConfigDict(extra="forbid")

    sns_topic_arn: str | None = None
    webhook_url: str | None = None

    @field_validator("sns_topic_arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if (value is not None and not value.startswith("arn:aws")) or (value and ":sns:" not in value):
            raise ValueError("an SNS topic ARN looks like arn:aws:sns:REGION:ACCOUNT:TOPIC")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("a webhook URL starts with https://")
        return value


ActionName = typing.Literal["notify", "stop-notebook", "delete-endpoint", "tag"]


class ActionSettings(BaseModel):
    """Limits on what `act --apply` may do in one run."""

    model_config = ConfigDict(extra="forbid")

    max_per_run: int = Field(25, ge=1, le=10_000)
    enabled: list[ActionName] = Field(default_factory=lambda: list(typing.get_args(ActionName)))


class Settings(BaseModel):
    """Everything `sagetrim.yaml` can set; every field has a safe default."""

    model_config = ConfigDict(extra="forbid")

    regions: list[str] = Field(default_factory=list)
    role_arns: list[str] = Field(default_factory=list)
    state: str | None = Field(None, description="a directory, or s3://bucket/prefix")
    notify: NotifySettings = Field(default_factory=NotifySettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)  # type: ignore[valid-type]
    actions: ActionSettings = Field(default_factory=ActionSettings)
    schedules: ScheduleList = Field(default_factory=lambda: ScheduleList([]))

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        """A section whose keys are all commented out (`notify:`) reads as empty, not as an error."""
        if isinstance(data, dict):
            empty: dict[str, Any] = {"notify": {}, "rules": {}, "actions": {}, "schedules": []}
            return {k: (empty[k] if v is None and k in empty else v) for k, v in data.items()}
        return data

    def rule_params(self, rule_id: str) -> Any:
        """The rule's Params with the file's overrides applied."""
        rule = RULES[rule_id]
        given = getattr(self.rules, rule_id.replace("-", "_"))
        overrides = given.model_dump(exclude_unset=True) if given is not None else {}
        return rule.params(**overrides)


def load_settings(path: Path | None = None) -> Settings:
    """The settings from `path`, else from ./sagetrim.yaml if present, else the defaults."""
    if path is None:
        if not DEFAULT_FILE.exists():
            return Settings()
        path = DEFAULT_FILE
    settings = load_yaml_model(path, Settings, what="settings file")
    for rule_id in RULES:  # Params checks its own ranges
        try:
            settings.rule_params(rule_id)
        except (ValueError, TypeError) as exc:
            from sagetrim.errors import ConfigError

            raise ConfigError(f"{path}: rules.{rule_id}: {exc}") from None
    return settings


EXAMPLE = """\
# sagetrim settings. Every key is optional; the values shown are the defaults unless marked "example".

# Regions that `scan` and `act` cover when --regions is not given (default: the current region).
regions: []            # example: [us-east-1, eu-west-1]

# Member accounts to reach by assuming a role in each (default: only the caller's account).
role_arns: []          # example: [arn:aws:iam::111122223333:role/sagetrim]

# Where backups of deleted endpoints and the audit journal live: a directory or s3://bucket/prefix.
# Default: $SAGETRIM_STATE_DIR, else ~/.local/state/sagetrim.
# state: s3://my-sagetrim-state/prod

notify:
  # sns_topic_arn: arn:aws:sns:us-east-1:111122223333:sagetrim      # example
  # webhook_url: https://hooks.slack.com/services/T000/B000/XXXX     # example (Slack-compatible)

rules:
  idle-endpoint:
    hours: 24                          # no invocations on any variant for this long = idle
  notebook-without-autostop:
    expected_use_hours_per_month: 220  # the hours a notebook is really used (10 h x 22 weekdays)
  idle-notebook:
    max_running_hours: 72              # InService longer than this without a stop = left on
    expected_use_hours_per_month: 220

actions:
  max_per_run: 25                      # more destructive actions than this in one run: refuse
  enabled: [notify, stop-notebook, delete-endpoint, tag]

# Start and stop notebook instances (and stop Studio apps) on EventBridge cron expressions, in a time
# zone. Targets: a name prefix or substring, or the tag sagetrim:schedule = the schedule's name.
schedules: []
# example:
#   - name: office-hours
#     timezone: America/New_York
#     start: cron(0 7 ? * MON-FRI *)
#     stop: cron(0 21 ? * MON-FRI *)
#     targets: {kinds: [notebook-instance], name_prefix: ds-, tag: true}

# Resources tagged sagetrim:exclude = true get no finding, no action and no scheduled start or stop.
"""
