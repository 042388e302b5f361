"""Small helpers the actions share: error text, tags, and JSON-safe copies of responses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from botocore.model import Shape

__all__ = [
    "REPLACES_TAG",
    "error_text",
    "fit_shape",
    "jsonable",
    "list_tags",
    "request_from",
    "settable_tags",
    "utc_iso",
]

# On an endpoint configuration remove-variant made: the name of the configuration it replaces.
REPLACES_TAG = "sagetrim:replaces"


def error_text(exc: BaseException) -> str:
    """A one-line description of an error, the AWS error code first when there is one."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "")
        return f"{error.get('Code', 'Error')} on {operation}: {error.get('Message', '')}".strip()
    if isinstance(exc, BotoCoreError):
        return f"{type(exc).__name__}: {exc}"
    return str(exc) or type(exc).__name__


def list_tags(sagemaker: Any, arn: str) -> list[dict[str, str]]:
    """Every tag of a SageMaker resource (ListTags, paginated at 100)."""
    tags: list[dict[str, str]] = []
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn, PaginationConfig={"PageSize": 100}):
        tags.extend({"Key": t["Key"], "Value": t["Value"]} for t in page.get("Tags", []))
    return tags


def settable_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """The tags a caller may set again: AWS-reserved ``aws:`` keys are left out."""
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags if not t["Key"].lower().startswith("aws:")]


def utc_iso(when: datetime) -> str:
    """An ISO 8601 UTC timestamp; a naive datetime is read as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


def jsonable(value: Any) -> Any:
    """A copy of an AWS response that ``json.dumps`` accepts: datetimes as ISO strings, bytes as text,
    ``ResponseMetadata`` left out."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def fit_shape(value: Any, shape: Shape) -> Any:
    """``value`` with only what ``shape`` accepts; empty members (None, "", [], {}) left out."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        out = {}
        for key, item in value.items():
            if key in members:
                fitted = fit_shape(item, members[key])
                if fitted not in (None, "", [], {}):
                    out[key] = fitted
        return out
    if kind == "list" and isinstance(value, list):
        return [fit_shape(v, shape.member) for v in value]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(value, dict):
        return {k: fit_shape(v, shape.value) for k, v in value.items()}  # type: ignore[attr-defined]
    return value


def request_from(client: Any, operation: str, described: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The parameters of ``operation`` taken from a Describe response, plus ``extra`` (empty ones dropped).

    Only the members the installed botocore model accepts are kept, so fields AWS adds to both the Describe
    and the Create call round-trip without code changes."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    request: dict[str, Any] = fit_shape(described, shape)
    request.update({k: v for k, v in extra.items() if v not in (None, [], {})})
    return request
