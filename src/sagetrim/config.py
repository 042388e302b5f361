"""The settings file, `sagetrim.yaml`, validated: a mistake names its line and field.

The settings know nothing of the rules: each rule's section under `rules:` is checked against the Params
that the caller passes in (`load_settings(path, rule_params)`), so that this module sits below the rules.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from sagetrim.errors import ConfigError, UsageError
from sagetrim.inputs import check_region, check_role_arn, check_state_uri
from sagetrim.schedules import ScheduleList
from sagetrim.urls import webhook_target
from sagetrim.yamlfile import load_yaml_model

DEFAULT_FILE = Path("sagetrim.yaml")
_TOPIC_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]{1,32}:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$")
RULE_PARAMS_CONTEXT = "rule_params"  # validation context key: rule id -> that rule's Params dataclass

P = TypeVar("P")
RuleParams = Mapping[str, type]  # rule id -> the rule's Params dataclass


@cache
def _rules_model(rule_params: tuple[tuple[str, type], ...]) -> type[BaseModel]:
    """A strict pydantic model of the `rules:` section, made from each rule's Params dataclass (so typos
    are errors)."""
    fields: dict[str, Any] = {}
    for rule_id, params in rule_params:
        hints = typing.get_type_hints(params)
        params_fields: dict[str, Any] = {f.name: (hints[f.name], f.default) for f in dataclasses.fields(params)}
        # Strict: `hours: true` or `hours: "24"` is a mistake, not 1 or 24; NaN and infinities are refused.
        model = create_model(f"{rule_id.replace('-', '_')}_params",
                             __config__=ConfigDict(extra="forbid", strict=True, allow_inf_nan=False), **params_fields)
        fields[rule_id.replace("-", "_")] = (model | None, Field(None, alias=rule_id))
    return create_model("RuleSettings", __base__=_CheckedRules, **fields)


class RuleOverrides(BaseModel):
    """Each rule's settings by rule id, as given; checked against the rules' Params when read from a file."""

    model_config = ConfigDict(extra="allow")

    def overrides(self) -> dict[str, Any]:
        """Each rule's settings as given, by rule id."""
        return {k: v for k, v in self.model_dump(by_alias=True, exclude_unset=True).items() if v is not None}

    def __eq__(self, other: object) -> bool:
        """Equal when they set the same rules the same way, checked against the Params or not."""
        if isinstance(other, RuleOverrides):
            return self.overrides() == other.overrides()
        return NotImplemented


class _CheckedRules(RuleOverrides):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _checked(check: Callable[..., str], value: str, **kwargs: Any) -> str:
    """Run an input check inside a pydantic validator, so that its message lands on the field's line."""
    try:
        return check(value, **kwargs)
    except UsageError as exc:
        raise ValueError(str(exc).rstrip(".")) from None


Region = Annotated[str, AfterValidator(lambda r: r if r == "all" else _checked(check_region, r, name="region"))]
RoleArn = Annotated[str, AfterValidator(lambda arn: _checked(check_role_arn, arn, name="role ARN"))]


class NotifySettings(BaseModel):
    """Where `act` sends its notifications."""

    model_config = ConfigDict(extra="forbid")

    sns_topic_arn: str | None = None
    webhook_url: str | None = None

    @field_validator("sns_topic_arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if value is not None and not _TOPIC_ARN.match(value):
            raise ValueError("an SNS topic ARN looks like arn:aws:sns:REGION:ACCOUNT:TOPIC")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            webhook_target(value)  # raises ValueError naming the problem, never the URL's secret parts
        return value


ActionName = typing.Literal["notify", "stop-notebook", "delete-endpoint", "remove-variant", "tag"]
# On unless the settings say otherwise. remove-variant is opt-in: it redeploys a serving endpoint (UpdateEndpoint).
DEFAULT_ACTIONS: tuple[ActionName, ...] = ("notify", "stop-notebook", "delete-endpoint", "tag")


class ActionSettings(BaseModel):
    """Limits on what `act --apply` may do in one run."""

    model_config = ConfigDict(extra="forbid")

    max_per_run: int = Field(25, ge=1, le=10_000, strict=True)
    enabled: list[ActionName] = Field(default_factory=lambda: list(DEFAULT_ACTIONS))


class RestoreSettings(BaseModel):
    """What `restore` may create from a backup; a backup asking for more is refused before any change.

    The defaults accept every endpoint sagetrim backs up: any `ml.*` type, up to 100 instances per variant,
    any image, and any role of the endpoint's own account.
    """

    model_config = ConfigDict(extra="forbid")

    max_instances: int = Field(100, ge=1, le=10_000, strict=True,
                               description="the most instances a variant (or its autoscaling) may ask for")
    instance_types: list[str] = Field(default_factory=lambda: ["ml.*"], min_length=1,
                                      description="instance types or globs (ml.m5.*) a variant may use")
    execution_roles: list[str] = Field(default_factory=lambda: ["*"], min_length=1,
                                       description="role names (with their path) or globs a model may run as")
    images: list[str] = Field(default_factory=lambda: ["*"], min_length=1,
                              description="container image URIs or globs a model may run")

    @field_validator("instance_types", "execution_roles", "images")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern.strip() or any(c.isspace() or not c.isprintable() for c in pattern):
                raise ValueError(f"{pattern!r} is not a name or glob: no spaces or control characters")
        return value

    @field_validator("execution_roles")
    @classmethod
    def _role_names(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if pattern.startswith("arn:") or not re.fullmatch(r"[\w+=,.@/*?-]{1,576}", pattern):
                raise ValueError(f"{pattern!r}: give a role name or path/name, e.g. service-role/"
                                 "AmazonSageMaker-ExecutionRole-*, not an ARN")
        return value


class Settings(BaseModel):
    """Everything `sagetrim.yaml` can set; every field has a safe default."""

    model_config = ConfigDict(extra="forbid")

    regions: list[Region] = Field(default_factory=list)
    role_arns: list[RoleArn] = Field(default_factory=list)
    state: str | None = Field(None, description="a directory, or s3://bucket/prefix")
    notify: NotifySettings = Field(default_factory=NotifySettings)
    rules: SerializeAsAny[BaseModel] = Field(default_factory=RuleOverrides)
    actions: ActionSettings = Field(default_factory=ActionSettings)
    restore: RestoreSettings = Field(default_factory=RestoreSettings)
    schedules: ScheduleList = Field(default_factory=lambda: ScheduleList([]))

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        return None if value is None else _checked(check_state_uri, value)

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        """A section whose keys are all commented out (`notify:`) reads as empty, not as an error."""
        if isinstance(data, dict):
            empty: dict[str, Any] = {"notify": {}, "rules": {}, "actions": {}, "restore": {}, "schedules": []}
            return {k: (empty[k] if v is None and k in empty else v) for k, v in data.items()}
        return data

    @field_validator("rules", mode="before")
    @classmethod
    def _known_rules(cls, value: Any, info: ValidationInfo) -> Any:
        """Check each rule's section against its Params when the rules are given in the context."""
        if isinstance(value, BaseModel):
            return value
        rule_params: RuleParams | None = (info.context or {}).get(RULE_PARAMS_CONTEXT)
        model = RuleOverrides if rule_params is None else _rules_model(tuple(rule_params.items()))
        return model.model_validate(value)

    def rule_params(self, rule_id: str, params: Callable[..., P]) -> P:
        """The rule's Params with the file's overrides applied."""
        given = self.rules.model_dump(by_alias=True, exclude_unset=True).get(rule_id)
        return params(**(given or {}))


def load_settings(path: Path | None, rule_params: RuleParams) -> Settings:
    """The settings from `path`, else from ./sagetrim.yaml if present, else the defaults.

    Args:
        path: the settings file; None looks for ./sagetrim.yaml.
        rule_params: every rule's id and Params dataclass, against which the `rules:` section is checked.

    Raises:
        ConfigError: the file cannot be read or is not valid; the message names the line and the field.
    """
    if path is None:
        if not DEFAULT_FILE.exists():
            return Settings()
        path = DEFAULT_FILE
    settings = load_yaml_model(path, Settings, context={RULE_PARAMS_CONTEXT: rule_params}, what="settings file")
    for rule_id, params in rule_params.items():  # Params checks its own ranges
        try:
            settings.rule_params(rule_id, params)
        except (ValueError, TypeError) as exc:
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
    hours: 24                          # no invocations on any variant for this long = idle now
    delete_after_days: 7               # deletion is proposed only after this long without invocations
    lookback_days: 14                  # the history read, hour by hour (up to 63)
  notebook-without-autostop:
    expected_use_hours_per_month: 220  # the hours a notebook is really used (10 h x 22 weekdays)
  idle-notebook:
    max_running_hours: 72              # InService longer than this without a stop = left on
    expected_use_hours_per_month: 220

actions:
  max_per_run: 25                      # more destructive actions than this in one run: refuse
  enabled: [notify, stop-notebook, delete-endpoint, tag]

# What `restore` may recreate from a backup; a backup asking for more is refused before any change.
restore:
  max_instances: 100                   # per variant, and as an autoscaling maximum
  instance_types: ["ml.*"]             # example: [ml.m5.*, ml.c5.*]
  execution_roles: ["*"]               # roles of the endpoint's account, by name or path/name glob
                                       # example: [service-role/AmazonSageMaker-ExecutionRole-*]
  images: ["*"]                        # example: ["111122223333.dkr.ecr.*.amazonaws.com/*"]

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
