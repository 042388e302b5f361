"""Small helpers the actions share: error text, tags, and JSON-safe copies of responses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

__all__ = [
    "error_text",
    "jsonable",
    "list_tags",
    "settable_tags",
    "utc_iso",
]

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
