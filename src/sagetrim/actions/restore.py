"""Turn a backup back into the endpoint it was taken from.

Each request is built from the backed-up Describe response, keeping only the members the Create call
accepts (read from the installed botocore service model), so new fields AWS adds to both round-trip
without code changes here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from sagetrim.actions.backup import backup_prefix, variant_resource_id
from sagetrim.actions.common import REPLACES_TAG, error_text, list_tags, request_from, settable_tags
from sagetrim.actions.journal import Journal, JournalEntry
from sagetrim.actions.verify import check_backup, check_digest
from sagetrim.aws.errors import is_not_found
from sagetrim.aws.session import caller_account, client
from sagetrim.errors import ActionError, UsageError

if TYPE_CHECKING:
    import boto3

    from sagetrim.actions.state import StateStore
    from sagetrim.config import RestoreSettings

__all__ = [
    "RESTORE_PERMISSIONS",
    "RestoreResult",
    "latest_backup",
    "list_backups",
    "restore",
    "restore_endpoint",
]

# Recreating a deleted endpoint. Putting a removed variant back also calls what remove-variant is allowed
# (ListTags, UpdateEndpoint): see RemoveVariant.permissions.
RESTORE_PERMISSIONS = (
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sagemaker:CreateModel",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateEndpoint",
    "sagemaker:AddTags",
    "iam:PassRole",
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
)


@dataclass(frozen=True)
class RestoreResult:
    """What `sagetrim restore` did."""

    account: str
    region: str
    endpoint_name: str
    backup_key: str
    backup_location: str
    endpoint_arn: str
    endpoint_config_name: str
    status: str
    created: list[str] = field(default_factory=list)  # e.g. "model churn-v3", "endpoint churn"
    kept: list[str] = field(default_factory=list)  # resources that were still there and were reused
    notes: list[str] = field(default_factory=list)  # what a person should still check

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def list_backups(store: StateStore, account: str, region: str, endpoint_name: str) -> list[str]:
    """The keys of an endpoint's backups, oldest first."""
    return [k for k in store.list_keys(backup_prefix(account, region, endpoint_name)) if k.endswith(".json")]


def latest_backup(store: StateStore, account: str, region: str, endpoint_name: str) -> str | None:
    """The key of an endpoint's newest backup, or None."""
    keys = list_backups(store, account, region, endpoint_name)
    return keys[-1] if keys else None


def _exists(call: Any, **params: Any) -> bool:
    try:
        call(**params)
    except ClientError as exc:
        if is_not_found(exc):
            return False
        raise
    return True


def _load_backup(store: StateStore, account: str, region: str, endpoint_name: str, key: str | None, *,
                 limits: RestoreSettings | None, allow_unverified: bool) -> tuple[str, dict[str, Any]]:
    """The backup to restore, checked (shape, digest, limits) before anything is created."""
    if key is None:
        key = latest_backup(store, account, region, endpoint_name)
        if key is None:
            where = store.location(backup_prefix(account, region, endpoint_name))
            raise UsageError(f"no backup of endpoint {endpoint_name} (account {account}, region {region}) "
                             f"in {where}; check --state, --region and the account, or list what was done with "
                             f"`sagetrim journal --name {endpoint_name}`")
    elif not key.startswith(backup_prefix(account, region, endpoint_name)) or not key.endswith(".json"):
        raise UsageError(f"--backup {key!r} is not a backup of endpoint {endpoint_name} in {account}/{region}: its "
                         f"backups are under {backup_prefix(account, region, endpoint_name)}; omit --backup to use "
                         "the latest")
    try:
        doc = store.get_json(key)
    except ValueError as exc:  # a key with empty or relative parts
        raise UsageError(f"--backup {key!r}: {exc}") from None
    if doc is None:
        raise UsageError(f"no backup at {store.location(key)}; omit the key to use the latest backup")
    check_digest(doc, store=store, key=key, endpoint_name=endpoint_name, allow_unverified=allow_unverified)
    check_backup(doc, location=store.location(key), account=account, region=region, endpoint_name=endpoint_name,
                 limits=limits)
    return key, doc


def restore_endpoint(sm: Any, autoscaling: Any, store: StateStore, account: str, region: str, endpoint_name: str,
                     backup_key: str | None = None, *, journal: Journal | None = None,
                     limits: RestoreSettings | None = None, allow_unverified: bool = False,
                     wait_timeout_s: float = 1800, poll_s: float = 15, now: datetime | None = None) -> RestoreResult:
    """Recreate a deleted endpoint from its backup, or put back the variant sagetrim removed from one.

    Models and the endpoint configuration are recreated only if they are gone (same containers, role,
    VPC config, variants, async / serverless / data-capture config, tags); then the endpoint is created
    with its tags and, once it is InService, its autoscaling targets and policies are registered again.
    An endpoint that still exists is changed only when it runs on a configuration remove-variant made from
    the backup's (tagged ``sagetrim:replaces``): it is updated back to the backup's configuration (the
    variants that kept serving keep their instance counts), and the removed variant's autoscaling is
    registered again.
    Nothing in the backup is trusted: before the first change it is checked against its schema, against the
    digest the journal recorded when it was written, and against ``limits`` (see :mod:`sagetrim.actions.verify`).

    Args:
        sm: a SageMaker client of the endpoint's account and region.
        autoscaling: an Application Auto Scaling client of the same account and region.
        store: where the backups are.
        account: the account id.
        region: the region name.
        endpoint_name: the endpoint to recreate.
        backup_key: the backup to use; the newest one by default.
        journal: where to record the restore.
        limits: what the backup may ask for (the settings' `restore` section); the defaults when None.
        allow_unverified: restore a backup the journal recorded no digest for.
        wait_timeout_s: how long to wait for the endpoint to be InService before registering autoscaling.
        poll_s: how often to ask while waiting.
        now: the time recorded in the journal.

    Returns:
        What was created and what was reused.

    Raises:
        UsageError: the endpoint exists (and is not on a configuration remove-variant made), or there is no
            usable backup (UnsafeBackup: a backup that is
            malformed, changed since it was written, or beyond ``limits``). Nothing was changed.
        ActionError: a call failed part-way; the message says what was created so far.
    """
    key, doc = _load_backup(store, account, region, endpoint_name, backup_key, limits=limits,
                            allow_unverified=allow_unverified)
    config = doc["endpoint_config"]
    config_name = config["EndpointConfigName"]
    try:
        current = sm.describe_endpoint(EndpointName=endpoint_name)
        replaced = _replaced_config(sm, current) if current.get("EndpointConfigName") != config_name else None
    except ClientError as exc:
        if not is_not_found(exc):
            raise ActionError(f"could not check endpoint {endpoint_name}: {error_text(exc)}") from exc
        current = None
    except BotoCoreError as exc:
        raise ActionError(f"could not check endpoint {endpoint_name}: {error_text(exc)}") from exc
    if current is not None and replaced != config_name:
        raise UsageError(f"endpoint {endpoint_name} exists in {account}/{region} (status "
                         f"{current.get('EndpointStatus')}, configuration {current.get('EndpointConfigName')}) and "
                         "is not on a configuration sagetrim made from this backup's; nothing was changed. Delete "
                         "it first to restore the backup, or leave it as it is")
    if current is not None and current.get("EndpointStatus") != "InService":
        raise UsageError(f"endpoint {endpoint_name} is {current.get('EndpointStatus')}; it can be put back on "
                         f"configuration {config_name} once it is InService. Nothing was changed")
    serving = {v["VariantName"] for v in [*(current or {}).get("ProductionVariants", []),
                                          *(current or {}).get("ShadowProductionVariants", [])]}

    created: list[str] = []
    kept: list[str] = []
    notes: list[str] = []
    step = ""
    try:
        for item in doc["models"]:
            model = item["model"]
            step = f"model {model['ModelName']}"
            if _exists(sm.describe_model, ModelName=model["ModelName"]):
                kept.append(step)
                continue
            sm.create_model(**request_from(sm, "CreateModel", model, Tags=settable_tags(item["tags"])))
            created.append(step)
        step = f"endpoint config {config_name}"
        if _exists(sm.describe_endpoint_config, EndpointConfigName=config_name):
            kept.append(step)
        else:
            sm.create_endpoint_config(**request_from(sm, "CreateEndpointConfig", config,
                                                     Tags=settable_tags(doc["endpoint_config_tags"])))
            created.append(step)
        step = f"endpoint {endpoint_name}"
        if current is None:
            response = sm.create_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name, **(
                {"Tags": tags} if (tags := settable_tags(doc["endpoint_tags"])) else {}))
            endpoint_arn = response["EndpointArn"]
            created.append(step)
        else:  # put back on its old configuration: the variants sagetrim removed come back, the rest keep serving
            sm.update_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name,
                               RetainAllVariantProperties=True)
            endpoint_arn = current["EndpointArn"]
            created.append(f"endpoint {endpoint_name} back on {config_name}")
        scaling = doc.get("autoscaling") or {}
        # Variants that kept serving kept their autoscaling; only the ones coming back register again.
        back = {variant_resource_id(endpoint_name, v) for v in _variant_names(config) - serving}
        targets = [t for t in scaling.get("scalable_targets", []) if t["ResourceId"] in back]
        policies = [p for p in scaling.get("scaling_policies", []) if p["ResourceId"] in back]
        status = "Creating" if current is None else "Updating"
        if targets:
            step = f"waiting for endpoint {endpoint_name} to be InService"
            attempts = max(1, math.ceil(wait_timeout_s / max(poll_s, 1)))
            sm.get_waiter("endpoint_in_service").wait(
                EndpointName=endpoint_name, WaiterConfig={"Delay": max(1, round(poll_s)), "MaxAttempts": attempts})
            status = "InService"
            for target in targets:
                step = f"scalable target {target['ResourceId']}"
                autoscaling.register_scalable_target(**request_from(autoscaling, "RegisterScalableTarget", target))
                created.append(step)
            for policy in policies:
                step = f"scaling policy {policy['PolicyName']}"
                autoscaling.put_scaling_policy(**request_from(autoscaling, "PutScalingPolicy", policy))
                created.append(step)
                if policy.get("PolicyType") == "StepScaling" and policy.get("Alarms"):
                    alarms = ", ".join(a["AlarmName"] for a in policy["Alarms"])
                    notes.append(f"step scaling policy {policy['PolicyName']} has a new ARN: point its CloudWatch "
                                 f"alarms ({alarms}) at it again")
        else:
            status = str(sm.describe_endpoint(EndpointName=endpoint_name).get("EndpointStatus", status))
    except (ClientError, BotoCoreError, WaiterError) as exc:
        done = ", ".join(created) or "nothing"
        error = ActionError(f"restore of endpoint {endpoint_name} failed at {step}: {error_text(exc)}; "
                            f"created so far: {done} (backup {store.location(key)})")
        _record(journal, doc, key, "failed", str(error), now)
        raise error from exc
    result = RestoreResult(account=account, region=region, endpoint_name=endpoint_name, backup_key=key,
                           backup_location=store.location(key), endpoint_arn=endpoint_arn,
                           endpoint_config_name=config_name, status=status, created=created, kept=kept, notes=notes)
    _record(journal, doc, key, "done", ("recreated " if current is None else "restored ") + ", ".join(created), now)
    return result


def _variant_names(config: dict[str, Any]) -> set[str]:
    return {v["VariantName"] for v in [*config.get("ProductionVariants", []),
                                       *config.get("ShadowProductionVariants", [])]}


def _replaced_config(sm: Any, endpoint: dict[str, Any]) -> str | None:
    """The configuration that the endpoint's current one replaced, if sagetrim made the current one
    (remove-variant tags it with the one it replaces); else None."""
    described = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    tags = {t["Key"]: t["Value"] for t in list_tags(sm, described["EndpointConfigArn"])}
    return tags.get(REPLACES_TAG)


def _record(journal: Journal | None, doc: dict[str, Any], key: str, outcome: Any, reason: str,
            now: datetime | None) -> None:
    if journal is None:
        return
    journal.record(JournalEntry(
        time=now or datetime.now(UTC), action="restore-endpoint", rule="", finding_id="", account=doc["account"],
        region=doc["region"], kind="endpoint", name=doc["name"], arn=doc.get("arn", ""), outcome=outcome,
        reason=reason, monthly_savings_usd=0.0, backup=key, dry_run=False,
    ))


def restore(session: boto3.Session, region: str, endpoint_name: str, *, store: StateStore,
            backup_key: str | None = None, journal: Journal | None = None, account: str | None = None,
            limits: RestoreSettings | None = None, allow_unverified: bool = False,
            wait_timeout_s: float = 1800) -> RestoreResult:
    """`sagetrim restore ENDPOINT`: :func:`restore_endpoint` with clients made from a session.

    Args:
        session: a boto3 session of the endpoint's account.
        region: the endpoint's region.
        endpoint_name: the endpoint to recreate.
        store: where the backups are.
        backup_key: the backup to use; the newest one by default.
        journal: where to record the restore.
        account: the account id; asked of STS by default.
        limits: what the backup may ask for (the settings' `restore` section); the defaults when None.
        allow_unverified: restore a backup the journal recorded no digest for.
        wait_timeout_s: how long to wait for the endpoint before registering autoscaling.

    Raises:
        UsageError: the endpoint exists (and is not on a configuration remove-variant made), or there is no
            usable backup.
        ActionError: AWS could not be reached, or a call failed part-way.
    """
    if account is None:
        account = caller_account(session, region)
    return restore_endpoint(client(session, "sagemaker", region), client(session, "application-autoscaling", region),
                            store, account, region, endpoint_name, backup_key, journal=journal, limits=limits,
                            allow_unverified=allow_unverified, wait_timeout_s=wait_timeout_s)
