"""Check a backup before `restore` acts on it: its shape, that it is the backup sagetrim wrote, and that what
it asks for stays within the settings' `restore` limits.

Whoever can write to the state store can write a backup, so nothing in one is trusted: an instance type, a
count, an image, a role or an autoscaling target that the checks do not accept stops the restore before the
first call that changes anything.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from sagetrim.actions.backup import BACKUP_FORMAT, backup_digest, variant_resource_id
from sagetrim.actions.journal import Journal
from sagetrim.config import RestoreSettings
from sagetrim.errors import UsageError

if TYPE_CHECKING:
    from sagetrim.actions.state import StateStore

__all__ = ["UnsafeBackup", "check_backup", "check_digest", "recorded_digests"]

_MAX_PROBLEMS = 8
_ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/([\w+=,.@/-]{1,576})$")
_STAMP = re.compile(r"/(\d{8}T\d{6}Z)\.json$")

_Name = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")]
_InstanceType = Annotated[str, StringConstraints(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9-]+$", max_length=64)]
_Count = Annotated[int, Field(ge=0, le=1_000_000)]
_Text = Annotated[str, StringConstraints(max_length=2048)]


class _Open(BaseModel):
    """A Describe response: the members sagetrim relies on are checked, the rest passes through."""

    model_config = ConfigDict(extra="allow", strict=True)


class _Tag(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    Key: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    Value: Annotated[str, StringConstraints(max_length=256)]


class _Container(_Open):
    Image: _Text | None = None


class _Model(_Open):
    ModelName: _Name
    ExecutionRoleArn: _Text | None = None
    PrimaryContainer: _Container | None = None
    Containers: list[_Container] = Field(default_factory=list, max_length=15)


class _ModelItem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    model: _Model
    tags: list[_Tag] = Field(max_length=50)


class _ManagedScaling(_Open):
    MaxInstanceCount: _Count | None = None


class _Variant(_Open):
    VariantName: _Name
    ModelName: _Name | None = None
    InstanceType: _InstanceType | None = None
    InitialInstanceCount: _Count | None = None
    ManagedInstanceScaling: _ManagedScaling | None = None


class _EndpointConfig(_Open):
    EndpointConfigName: _Name
    ProductionVariants: list[_Variant] = Field(min_length=1, max_length=10)
    ShadowProductionVariants: list[_Variant] = Field(default_factory=list, max_length=10)


class _Target(_Open):
    ServiceNamespace: Literal["sagemaker"]
    ResourceId: _Text
    ScalableDimension: Literal["sagemaker:variant:DesiredInstanceCount"]
    MinCapacity: _Count
    MaxCapacity: _Count


class _Alarm(_Open):
    AlarmName: _Text


class _Policy(_Open):
    PolicyName: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    ServiceNamespace: Literal["sagemaker"]
    ResourceId: _Text
    ScalableDimension: Literal["sagemaker:variant:DesiredInstanceCount"]
    PolicyType: _Text
    Alarms: list[_Alarm] = Field(default_factory=list)


class _Autoscaling(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    scalable_targets: list[_Target] = Field(default_factory=list, max_length=20)
    scaling_policies: list[_Policy] = Field(default_factory=list, max_length=100)


class EndpointBackup(BaseModel):
    """The backup document `backup_endpoint` writes (see its module)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal[1]
    kind: Literal["endpoint"]
    account: Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")]
    name: _Name
    arn: _Text
    taken_at: _Text
    endpoint: _Open
    endpoint_tags: list[_Tag] = Field(max_length=50)
    endpoint_config: _EndpointConfig
    endpoint_config_tags: list[_Tag] = Field(max_length=50)
    models: list[_ModelItem] = Field(max_length=20)
    autoscaling: _Autoscaling | None = None


class UnsafeBackup(UsageError):
    """A backup that `restore` refuses: malformed, changed since it was written, or beyond the limits."""


def _refuse(location: str, problems: list[str], fix: str) -> UnsafeBackup:
    shown = problems[:_MAX_PROBLEMS]
    more = f"\n  (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
    return UnsafeBackup(f"refusing to restore from {location}; nothing was created:\n  "
                        + "\n  ".join(shown) + more + f"\n{fix}")


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _allowed(value: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _limits_problems(backup: EndpointBackup, limits: RestoreSettings) -> list[str]:
    problems: list[str] = []
    config = backup.endpoint_config
    model_names = [item.model.ModelName for item in backup.models]
    variants = [("ProductionVariants", v) for v in config.ProductionVariants]
    variants += [("ShadowProductionVariants", v) for v in config.ShadowProductionVariants]
    for group, variant in variants:
        where = f"endpoint_config.{group}, variant {variant.VariantName}:"
        if variant.InstanceType is not None and not _allowed(variant.InstanceType, limits.instance_types):
            problems.append(f"{where} InstanceType {variant.InstanceType} is not allowed by "
                            f"restore.instance_types ({', '.join(limits.instance_types)})")
        counts = [("InitialInstanceCount", variant.InitialInstanceCount)]
        if variant.ManagedInstanceScaling is not None:
            counts.append(("ManagedInstanceScaling.MaxInstanceCount", variant.ManagedInstanceScaling.MaxInstanceCount))
        for field, count in counts:
            if count is not None and count > limits.max_instances:
                problems.append(f"{where} {field} {count}, more than restore.max_instances "
                                f"({limits.max_instances})")
        if variant.ModelName is not None and variant.ModelName not in model_names:
            problems.append(f"{where} model {variant.ModelName} is not in the backup")
    served = {v.ModelName for _, v in variants}
    for item in backup.models:
        model = item.model
        where = f"models, model {model.ModelName}:"
        if model.ModelName not in served:
            problems.append(f"{where} the endpoint configuration does not serve it")
        if model.ExecutionRoleArn is not None:
            match = _ROLE_ARN.match(model.ExecutionRoleArn)
            if match is None:
                problems.append(f"{where} ExecutionRoleArn {model.ExecutionRoleArn!r} is not an IAM role ARN")
            elif match[1] != backup.account:
                problems.append(f"{where} ExecutionRoleArn {model.ExecutionRoleArn} is a role of account "
                                f"{match[1]}, not of the endpoint's account {backup.account}")
            elif not _allowed(match[2], limits.execution_roles):
                problems.append(f"{where} role {match[2]} is not allowed by "
                                f"restore.execution_roles ({', '.join(limits.execution_roles)})")
        containers = [c for c in [model.PrimaryContainer, *model.Containers] if c is not None]
        for container in containers:
            if container.Image is not None and not _allowed(container.Image, limits.images):
                problems.append(f"{where} image {container.Image} is not allowed by restore.images "
                                f"({', '.join(limits.images)})")
    variant_ids = {variant_resource_id(backup.name, v.VariantName) for _, v in variants}
    scaling = backup.autoscaling or _Autoscaling()
    resource_ids = [("scalable_targets", t.ResourceId) for t in scaling.scalable_targets]
    resource_ids += [("scaling_policies", p.ResourceId) for p in scaling.scaling_policies]
    for kind, resource_id in resource_ids:
        if resource_id not in variant_ids:
            problems.append(f"autoscaling.{kind}: {resource_id} is not a variant of endpoint {backup.name}")
    for target in scaling.scalable_targets:
        if target.MaxCapacity > limits.max_instances or target.MinCapacity > target.MaxCapacity:
            problems.append(f"autoscaling.scalable_targets, {target.ResourceId}: capacity {target.MinCapacity}-"
                            f"{target.MaxCapacity}; it must be at most restore.max_instances ({limits.max_instances}) "
                            "and the minimum at most the maximum")
    return problems


def check_backup(doc: dict[str, Any], *, location: str, account: str, region: str, endpoint_name: str,
                 limits: RestoreSettings | None = None) -> EndpointBackup:
    """Check a backup's shape, that it is the backup of this endpoint, and that it stays within ``limits``.

    Args:
        doc: the backup document as read from the store.
        location: where it was read, for messages.
        account: the account the restore runs in.
        region: the region the restore runs in.
        endpoint_name: the endpoint to restore.
        limits: the settings' `restore` section; the defaults when None.

    Returns:
        The backup, validated.

    Raises:
        UnsafeBackup: what is wrong, every problem named; nothing may be created from it.
    """
    if doc.get("format") != BACKUP_FORMAT or doc.get("kind") != "endpoint":
        raise UnsafeBackup(f"{location} is not an endpoint backup this version of sagetrim can read "
                           f"(format {doc.get('format')!r}, kind {doc.get('kind')!r})")
    try:
        backup = EndpointBackup.model_validate(doc)
    except ValidationError as exc:
        problems = [f"{_loc(e['loc']) or '(document)'}: {e['msg']}" for e in exc.errors(include_url=False)]
        raise _refuse(location, problems, "The backup is malformed; restore from another one with --backup KEY "
                                          f"(`sagetrim journal --name {endpoint_name}` lists them).") from None
    problems = []
    for field, want, got in (("name", endpoint_name, backup.name), ("account", account, backup.account),
                             ("region", region, backup.region)):
        if want != got:
            problems.append(f"{field}: the backup is of {got}, not {want}")
    arn_parts = backup.arn.split(":")
    if len(arn_parts) < 6 or arn_parts[2] != "sagemaker" or arn_parts[3:5] != [backup.region, backup.account]:
        problems.append(f"arn: {backup.arn!r} is not an endpoint ARN of {backup.account} in {backup.region}")
    if problems:
        raise _refuse(location, problems, "Give the backup of this endpoint (omit --backup for the latest).")
    problems = _limits_problems(backup, limits or RestoreSettings())
    if problems:
        raise _refuse(location, problems, "If the backup is what you want, widen the `restore` section of the "
                                          "settings file (see `sagetrim config init`); otherwise restore from "
                                          "another backup with --backup KEY.")
    return backup


def _taken(key: str) -> datetime | None:
    match = _STAMP.search(key)
    if match is None:
        return None
    return datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def recorded_digests(store: StateStore, key: str, endpoint_name: str) -> set[str]:
    """The digests the journal recorded for the backup under ``key`` when it was written.

    Raises:
        UnsafeBackup: the journal cannot be read as journal records.
        StoreError: the journal could not be read.
    """
    try:
        entries = Journal(store).entries(since=_taken(key), name=endpoint_name)
    except (KeyError, ValueError, TypeError) as exc:
        raise UnsafeBackup(f"the journal at {store.stream_location('journal')} holds a malformed record "
                           f"({type(exc).__name__}: {exc}), so backup {store.location(key)} cannot be checked "
                           "against it") from None
    return {e.backup_sha256 for e in entries if e.backup == key and e.backup_sha256}


def check_digest(doc: dict[str, Any], *, store: StateStore, key: str, endpoint_name: str,
                 allow_unverified: bool = False) -> str:
    """Check that a backup is, byte for byte in canonical JSON, the one the journal recorded when it was written.

    Args:
        doc: the backup document as read from the store.
        store: the store it was read from (the journal is there too).
        key: its key.
        endpoint_name: the endpoint it is a backup of.
        allow_unverified: accept a backup the journal has no digest for (one written by an older version).

    Returns:
        The backup's digest.

    Raises:
        UnsafeBackup: the digest differs, or none was recorded and ``allow_unverified`` is false.
    """
    digest = backup_digest(doc)
    recorded = recorded_digests(store, key, endpoint_name)
    location = store.location(key)
    if recorded and recorded != {digest}:
        raise UnsafeBackup(
            f"refusing to restore from {location}; nothing was created: the backup was changed after it was "
            f"written (its SHA-256 is {digest}, the journal recorded {', '.join(sorted(recorded))}). Find out who "
            f"wrote to the state store; restore from another backup with --backup KEY "
            f"(`sagetrim journal --name {endpoint_name}` lists them)")
    if not recorded and not allow_unverified:
        raise UnsafeBackup(
            f"refusing to restore from {location}; nothing was created: the journal records no digest for this "
            f"backup (it was written by an older sagetrim, or not by sagetrim), so it cannot be told from a "
            f"changed one. Read it, then pass --allow-unverified to restore it anyway (it is still checked "
            f"against the `restore` limits of the settings)")
    return digest
