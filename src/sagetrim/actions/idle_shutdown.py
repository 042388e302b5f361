"""Studio's built-in idle shutdown, read and set: the cheapest fix for JupyterLab and Code Editor apps left on.

Idle shutdown lives in `AppLifecycleManagement.IdleSettings` of an app type's settings (`JupyterLabAppSettings`,
`CodeEditorAppSettings`) at three levels: the domain's defaults (`DefaultUserSettings`, `DefaultSpaceSettings`),
a user profile (`UserSettings`) and a space (`SpaceSettings`). The switch (`LifecycleManagement`) exists on
the domain and on user profiles; a space sets only its timeout (see :mod:`sagetrim.inventory.studio_idle`
for which level wins).

A change is planned first (what each level holds now and what it would hold), then, when applied, written
with UpdateDomain / UpdateUserProfile / UpdateSpace. Each settings member is sent whole, as it was read with
only its idle settings changed, so the rest of it stays as it was whether AWS replaces or merges members.
Every change is journaled with the settings before and after it, and :func:`undo_plan` puts back the settings
as they were before sagetrim's last change there.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.actions.common import error_text, request_from
from sagetrim.actions.journal import Journal, JournalEntry
from sagetrim.aws.errors import is_not_found
from sagetrim.errors import ActionError, UsageError
from sagetrim.inventory.studio_idle import APP_SETTINGS

__all__ = [
    "ACTION",
    "MAX_MINUTES",
    "MIN_MINUTES",
    "PERMISSIONS",
    "IdlePlan",
    "LevelChange",
    "apply_plan",
    "plan_idle_shutdown",
    "undo_plan",
]

ACTION = "set-idle-shutdown"
MIN_MINUTES, MAX_MINUTES = 60, 525_600  # the range AWS accepts for IdleTimeoutInMinutes
PERMISSIONS = ("sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile", "sagemaker:DescribeSpace",
               "sagemaker:UpdateDomain", "sagemaker:UpdateUserProfile", "sagemaker:UpdateSpace")
Kind = Literal["studio-domain", "studio-user-profile", "studio-space"]
APP_TYPES = tuple(APP_SETTINGS)  # JupyterLab, CodeEditor


@dataclass(frozen=True)
class LevelChange:
    """One settings member (e.g. a user profile's `UserSettings`) of one app type, before and after."""

    settings: str  # DefaultUserSettings, DefaultSpaceSettings, UserSettings or SpaceSettings
    app_type: str
    before: dict[str, Any]  # IdleSettings now ({} when not set)
    after: dict[str, Any]

    @property
    def changes(self) -> bool:
        return self.before != self.after

    def to_json(self) -> dict[str, Any]:
        return {"settings": self.settings, "app_type": self.app_type, "before": self.before, "after": self.after,
                "changes": self.changes}


@dataclass
class IdlePlan:
    """What one change would do to one domain, user profile or space."""

    region: str
    domain_id: str
    kind: Kind
    name: str  # the domain id, or DOMAIN/NAME of a user profile or space
    arn: str
    changes: list[LevelChange]
    members: dict[str, dict[str, Any]]  # settings -> app settings key -> the member to send (whole)
    originals: dict[str, dict[str, Any]]  # the same members as they are now
    notes: list[str] = field(default_factory=list)
    undo_of: str | None = None  # the time of the journaled change this plan undoes

    @property
    def changed(self) -> bool:
        return any(c.changes for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "domain_id": self.domain_id, "kind": self.kind, "name": self.name,
                "arn": self.arn, "changes": [c.to_json() for c in self.changes], "notes": self.notes,
                **({"undo_of": self.undo_of} if self.undo_of else {})}


def _idle(member: dict[str, Any] | None) -> dict[str, Any]:
    return dict(((member or {}).get("AppLifecycleManagement") or {}).get("IdleSettings") or {})


def _with_idle(member: dict[str, Any] | None, idle: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(member or {})
    lifecycle = out.setdefault("AppLifecycleManagement", {})
    lifecycle["IdleSettings"] = idle
    return out


def _describe(sm: Any, domain_id: str, user_profile: str | None,
              space: str | None) -> tuple[Kind, str, str, dict[str, Any], dict[str, Any]]:
    """(kind, name, arn, the level's description, the domain's description)."""
    try:
        domain = sm.describe_domain(DomainId=domain_id)
        if user_profile is not None:
            doc = sm.describe_user_profile(DomainId=domain_id, UserProfileName=user_profile)
            return "studio-user-profile", f"{domain_id}/{user_profile}", doc["UserProfileArn"], doc, domain
        if space is not None:
            doc = sm.describe_space(DomainId=domain_id, SpaceName=space)
            return "studio-space", f"{domain_id}/{space}", doc["SpaceArn"], doc, domain
    except ClientError as exc:
        if is_not_found(exc):
            what = (f"user profile {user_profile}" if user_profile is not None else
                    f"space {space}" if space is not None else "domain")
            raise UsageError(f"no {what} in domain {domain_id}: {error_text(exc)}; list them with "
                             "`aws sagemaker list-domains` / `list-user-profiles` / `list-spaces`") from None
        raise ActionError(f"could not read the Studio settings of domain {domain_id}: {error_text(exc)}") from exc
    except BotoCoreError as exc:
        raise ActionError(f"could not read the Studio settings of domain {domain_id}: {error_text(exc)}") from exc
    return "studio-domain", domain_id, domain["DomainArn"], domain, domain


def _settings_of(kind: Kind) -> tuple[str, ...]:
    return {"studio-domain": ("DefaultUserSettings", "DefaultSpaceSettings"), "studio-user-profile": ("UserSettings",),
            "studio-space": ("SpaceSettings",)}[kind]


def plan_idle_shutdown(sm: Any, region: str, domain_id: str, *, user_profile: str | None = None,
                       space: str | None = None, minutes: int | None = None, off: bool = False,
                       app_types: tuple[str, ...] = APP_TYPES) -> IdlePlan:
    """Plan idle shutdown on (after ``minutes``) or ``off`` for a domain's defaults, a user profile or a space.

    Raises:
        UsageError: a bad combination or value (nothing is read or changed), or the level does not exist.
    """
    if user_profile is not None and space is not None:
        raise UsageError("give --user-profile or --space, not both: each is a level of its own")
    if off == (minutes is not None):
        raise UsageError("give --minutes N to turn idle shutdown on (or change its timeout), or --off to turn it off")
    if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise UsageError(f"--minutes {minutes}: Studio accepts {MIN_MINUTES} to {MAX_MINUTES:,} minutes")
    if off and space is not None:
        raise UsageError("a space sets only its timeout; turn idle shutdown off on the domain or the space owner's "
                         "user profile (--user-profile)")
    unknown = [t for t in app_types if t not in APP_SETTINGS]
    if unknown or not app_types:
        raise UsageError(f"--app-type {', '.join(unknown) or '(none)'}: Studio has idle shutdown for "
                         f"{' and '.join(APP_TYPES)}")
    kind, name, arn, doc, domain = _describe(sm, domain_id, user_profile, space)
    changes: list[LevelChange] = []
    members: dict[str, dict[str, Any]] = {}
    originals: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for settings in _settings_of(kind):
        current = doc.get(settings) or {}
        for app_type in app_types:
            key = APP_SETTINGS[app_type]
            before = _idle(current.get(key))
            after = ({**before, "LifecycleManagement": "DISABLED"} if off
                     else {**before, "IdleTimeoutInMinutes": minutes})
            if not off and kind != "studio-space":
                after["LifecycleManagement"] = "ENABLED"
            low, high = before.get("MinIdleTimeoutInMinutes"), before.get("MaxIdleTimeoutInMinutes")
            if minutes is not None and ((low and minutes < low) or (high and minutes > high)):
                raise UsageError(f"--minutes {minutes}: {settings} of domain {domain_id} allows {app_type} "
                                 f"timeouts of {low or MIN_MINUTES} to {high or MAX_MINUTES} minutes")
            changes.append(LevelChange(settings, app_type, before, after))
            members.setdefault(settings, {})[key] = _with_idle(current.get(key), after)
            originals.setdefault(settings, {})[key] = copy.deepcopy(current.get(key) or {})
    if kind == "studio-space" and not off:
        switch = {t: _idle((domain.get("DefaultUserSettings") or {}).get(APP_SETTINGS[t])).get("LifecycleManagement")
                  for t in app_types}
        off_types = [t for t, s in switch.items() if s != "ENABLED"]
        if off_types:
            notes.append(f"the domain does not turn idle shutdown on for {', '.join(off_types)}: the space's timeout "
                         "applies only where the domain or the owner's user profile turns it on")
    return IdlePlan(region, domain_id, kind, name, arn, changes, members, originals, notes)


def undo_plan(sm: Any, journal: Journal, region: str, domain_id: str, *, user_profile: str | None = None,
              space: str | None = None) -> IdlePlan:
    """Plan putting back the settings as they were before sagetrim's last change to this level.

    Raises:
        UsageError: the journal holds no applied change to this level.
    """
    kind, name, arn, doc, _ = _describe(sm, domain_id, user_profile, space)
    done = [e for e in journal.read().entries
            if e.action == ACTION and e.kind == kind and e.name == name and e.region == region
            and e.outcome == "done" and not e.dry_run]
    if not done:
        raise UsageError(f"the journal holds no idle-shutdown change sagetrim made to "
                         f"{kind.removeprefix('studio-').replace('-', ' ')} "
                         f"{name} in {region}; nothing to undo (see `sagetrim journal --name {name}`)")
    last = done[-1]
    before = last.extra.get("before")
    if not isinstance(before, dict):
        raise UsageError(f"the journal entry of {last.time.isoformat()} for {name} does not say what the settings "
                         "were before; nothing was changed")
    changes: list[LevelChange] = []
    members: dict[str, dict[str, Any]] = {}
    originals: dict[str, dict[str, Any]] = {}
    for settings, by_key in before.items():
        current = doc.get(settings) or {}
        for app_type, key in APP_SETTINGS.items():
            if key not in by_key:
                continue
            members.setdefault(settings, {})[key] = _with_idle(by_key[key], _idle(by_key[key]))
            originals.setdefault(settings, {})[key] = copy.deepcopy(current.get(key) or {})
            changes.append(LevelChange(settings, app_type, _idle(current.get(key)), _idle(by_key[key])))
    return IdlePlan(region, domain_id, kind, name, arn, changes, members, originals, undo_of=last.time.isoformat())


def apply_plan(sm: Any, plan: IdlePlan, journal: Journal, account: str, now: datetime, *, apply: bool) -> str:
    """Journal the plan; with ``apply``, make the change first. Returns what happened, in words.

    Raises:
        ActionError: AWS refused the change (journaled as failed; nothing was changed).
    """
    before = plan.originals
    if not plan.changed:
        outcome, reason = "skipped", "the settings are already as asked"
    elif not apply:
        outcome, reason = "planned", "would update " + _what(plan)
    else:
        try:
            _update(sm, plan)
        except (ClientError, BotoCoreError) as exc:
            reason = f"{_operation(plan)} failed: {error_text(exc)}"
            _journal(journal, plan, account, now, "failed", reason, before, apply=True)
            raise ActionError(f"{reason}; nothing was changed") from exc
        outcome, reason = "done", ("put back " if plan.undo_of else "updated ") + _what(plan)
    _journal(journal, plan, account, now, outcome, reason, before, apply=apply)
    return reason


def _what(plan: IdlePlan) -> str:
    changed = [c for c in plan.changes if c.changes]
    settings = " and ".join(dict.fromkeys(c.settings for c in changed))
    apps = " and ".join(dict.fromkeys(c.app_type for c in changed))
    return f"{plan.kind.removeprefix('studio-').replace('-', ' ')} {plan.name}: {settings} for {apps}"


def _operation(plan: IdlePlan) -> str:
    return {"studio-domain": "UpdateDomain", "studio-user-profile": "UpdateUserProfile",
            "studio-space": "UpdateSpace"}[plan.kind]


def _update(sm: Any, plan: IdlePlan) -> None:
    operation = _operation(plan)
    ids: dict[str, Any] = {"DomainId": plan.domain_id}
    if plan.kind == "studio-user-profile":
        ids["UserProfileName"] = plan.name.split("/", 1)[1]
    elif plan.kind == "studio-space":
        ids["SpaceName"] = plan.name.split("/", 1)[1]
    request = request_from(sm, operation, {**ids, **plan.members})
    # Empty idle settings say "not set here" (the level inherits); fitting the request drops empty members, so
    # they are put back, or an undo to "not set" would send nothing.
    for settings, by_key in plan.members.items():
        for key, member in by_key.items():
            if _idle(member) == {}:
                sent = request.setdefault(settings, {}).setdefault(key, {})
                sent.setdefault("AppLifecycleManagement", {})["IdleSettings"] = {}
    getattr(sm, {"UpdateDomain": "update_domain", "UpdateUserProfile": "update_user_profile",
                 "UpdateSpace": "update_space"}[operation])(**request)


def _journal(journal: Journal, plan: IdlePlan, account: str, now: datetime, outcome: Any, reason: str,
             before: dict[str, Any], *, apply: bool) -> None:
    extra: dict[str, Any] = {"before": before, "after": plan.members}
    if plan.undo_of:
        extra["undo_of"] = plan.undo_of
    journal.record(JournalEntry(
        time=now, action=ACTION, rule="", finding_id="", account=account, region=plan.region, kind=plan.kind,
        name=plan.name, arn=plan.arn, outcome=outcome, reason=reason, monthly_savings_usd=0.0, backup=None,
        dry_run=not apply, extra=extra))
