"""Back up an endpoint, everything `restore` needs to recreate it, before it is deleted.

A backup holds the endpoint, its endpoint configuration, every model the configuration serves, the tags
of each, and the Application Auto Scaling targets and policies of its variants. It is written to the
state store and read back and compared before the caller may delete anything.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.actions.common import error_text, jsonable, list_tags, utc_iso
from sagetrim.actions.state import StateStore, StoreError
from sagetrim.aws.errors import is_not_found
from sagetrim.errors import ActionError

__all__ = [
    "AUTOSCALING_NAMESPACE",
    "BACKUP_FORMAT",
    "BACKUP_PERMISSIONS",
    "EndpointNotFound",
    "backup_digest",
    "backup_endpoint",
    "backup_key",
    "backup_prefix",
    "snapshot_endpoint",
    "store_backup",
    "variant_resource_id",
]

BACKUP_FORMAT = 1
AUTOSCALING_NAMESPACE = "sagemaker"
_TARGET_IDS_PER_CALL = 50  # DescribeScalableTargets takes at most 50 ResourceIds

BACKUP_PERMISSIONS = (
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sagemaker:ListTags",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
)


class EndpointNotFound(ActionError):
    """The endpoint to back up does not exist (any more)."""


def backup_prefix(account: str, region: str, endpoint_name: str) -> str:
    """The store prefix under which an endpoint's backups live."""
    return f"backups/{account}/{region}/endpoint/{endpoint_name}/"


def backup_key(account: str, region: str, endpoint_name: str, now: datetime) -> str:
    """The store key of a backup taken at ``now``; keys of one endpoint sort by time."""
    stamp = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{backup_prefix(account, region, endpoint_name)}{stamp}.json"


def backup_digest(doc: dict[str, Any]) -> str:
    """The SHA-256 (hex) of a backup document in canonical JSON: the same for the document as written and
    as read back from either store, different as soon as one value in it changes."""
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def variant_resource_id(endpoint_name: str, variant_name: str) -> str:
    """The Application Auto Scaling resource id of an endpoint variant."""
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def _autoscaling(autoscaling: Any, resource_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    targets: list[dict[str, Any]] = []
    for i in range(0, len(resource_ids), _TARGET_IDS_PER_CALL):
        pages = autoscaling.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=AUTOSCALING_NAMESPACE, ResourceIds=resource_ids[i:i + _TARGET_IDS_PER_CALL])
        for page in pages:
            targets.extend(page.get("ScalableTargets", []))
    policies: list[dict[str, Any]] = []
    # A policy needs a target, so only variants with a target are asked for policies.
    for resource_id in sorted({t["ResourceId"] for t in targets}):
        pages = autoscaling.get_paginator("describe_scaling_policies").paginate(
            ServiceNamespace=AUTOSCALING_NAMESPACE, ResourceId=resource_id)
        for page in pages:
            policies.extend(page.get("ScalingPolicies", []))
    return {"scalable_targets": targets, "scaling_policies": policies}


def _model_names(config: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for variant in [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]:
        name = variant.get("ModelName")
        if name and name not in names:
            names.append(name)
    return names


def snapshot_endpoint(sm: Any, autoscaling: Any, account: str, region: str, endpoint_name: str,
                      now: datetime) -> dict[str, Any]:
    """Read everything a restore needs about one endpoint (no writes).

    Args:
        sm: a SageMaker client of the endpoint's account and region.
        autoscaling: an Application Auto Scaling client of the same account and region.
        account: the account id.
        region: the region name.
        endpoint_name: the endpoint.
        now: when the snapshot is taken.

    Returns:
        The backup document, JSON-safe (datetimes as ISO strings).

    Raises:
        EndpointNotFound: there is no such endpoint.
        ActionError: something could not be read, or a model the endpoint serves is already gone.
    """
    step = "DescribeEndpoint"
    try:
        try:
            endpoint = sm.describe_endpoint(EndpointName=endpoint_name)
        except ClientError as exc:
            if is_not_found(exc):
                raise EndpointNotFound(f"endpoint {endpoint_name} does not exist in {account}/{region}") from exc
            raise
        step = "ListTags (endpoint)"
        endpoint_tags = list_tags(sm, endpoint["EndpointArn"])
        config_name = endpoint["EndpointConfigName"]
        step = "DescribeEndpointConfig"
        config = sm.describe_endpoint_config(EndpointConfigName=config_name)
        step = "ListTags (endpoint config)"
        config_tags = list_tags(sm, config["EndpointConfigArn"])
        models = []
        for model_name in _model_names(config):
            step = f"DescribeModel {model_name}"
            try:
                model = sm.describe_model(ModelName=model_name)
            except ClientError as exc:
                if is_not_found(exc):
                    raise ActionError(
                        f"model {model_name} of endpoint config {config_name} no longer exists, so a restore "
                        f"could not recreate endpoint {endpoint_name}; sagetrim will not delete it"
                    ) from exc
                raise
            step = f"ListTags (model {model_name})"
            models.append({"model": model, "tags": list_tags(sm, model["ModelArn"])})
        variants = [v["VariantName"] for v in [
            *(endpoint.get("ProductionVariants") or config["ProductionVariants"]),
            *(endpoint.get("ShadowProductionVariants") or config.get("ShadowProductionVariants", []))]]
        step = "DescribeScalableTargets / DescribeScalingPolicies"
        scaling = _autoscaling(autoscaling, [variant_resource_id(endpoint_name, v) for v in variants])
    except ActionError:
        raise
    except (ClientError, BotoCoreError) as exc:
        raise ActionError(f"backup of endpoint {endpoint_name} failed at {step}: {error_text(exc)}") from exc
    doc = {
        "format": BACKUP_FORMAT,
        "kind": "endpoint",
        "account": account,
        "region": region,
        "name": endpoint_name,
        "arn": endpoint["EndpointArn"],
        "taken_at": utc_iso(now),
        "endpoint": endpoint,
        "endpoint_tags": endpoint_tags,
        "endpoint_config": config,
        "endpoint_config_tags": config_tags,
        "models": models,
        "autoscaling": scaling,
    }
    result: dict[str, Any] = jsonable(doc)
    return result


def backup_endpoint(sm: Any, autoscaling: Any, store: StateStore, account: str, region: str, endpoint_name: str,
                    now: datetime) -> str:
    """Back up an endpoint to the store, then read the backup back and compare it.

    Args:
        sm: a SageMaker client of the endpoint's account and region.
        autoscaling: an Application Auto Scaling client of the same account and region.
        store: where the backup goes.
        account: the account id.
        region: the region name.
        endpoint_name: the endpoint.
        now: when the backup is taken (it names the backup).

    Returns:
        The store key of the backup.

    Raises:
        EndpointNotFound: there is no such endpoint.
        ActionError: the endpoint could not be read, or the backup could not be written or read back
            intact. Either way nothing may be deleted.
    """
    doc = snapshot_endpoint(sm, autoscaling, account, region, endpoint_name, now)
    return store_backup(store, doc, backup_key(account, region, endpoint_name, now))


def store_backup(store: StateStore, doc: dict[str, Any], key: str) -> str:
    """Write a backup document under ``key``, then read it back and compare.

    Returns:
        ``key``.

    Raises:
        ActionError: the backup could not be written, or did not read back intact.
    """
    endpoint_name = doc.get("name", "?")
    expected = json.loads(json.dumps(doc))
    try:
        store.put_json(key, doc)
        stored = store.get_json(key)
    except StoreError as exc:
        raise ActionError(f"backup of endpoint {endpoint_name} could not be stored: {exc}") from exc
    if stored != expected:
        problem = "is missing" if stored is None else "differs from what was written"
        raise ActionError(f"backup of endpoint {endpoint_name} at {store.location(key)} {problem} on read-back")
    return key
