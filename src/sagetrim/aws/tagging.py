"""Tags of a region's resources in one paginated Resource Groups Tagging API call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["PAGE", "resource_tags"]

PAGE = 100  # the most resources a GetResources page returns


def resource_tags(tagging: Any, resource_types: Iterable[str] = ("sagemaker",)) -> dict[str, dict[str, str]]:
    """Every tagged resource of the region (of ``resource_types``: ``service`` or ``service:type``) with its
    tags, by ARN. A resource with no tag is not listed (the API lists only resources that have tags).

    Raises:
        botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError: the tags could not be read.
    """
    out: dict[str, dict[str, str]] = {}
    pages = tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=list(resource_types),
                                                            ResourcesPerPage=PAGE)
    for page in pages:
        for mapping in page.get("ResourceTagMappingList", []):
            out[mapping["ResourceARN"]] = {t["Key"]: t.get("Value", "") for t in mapping.get("Tags", [])}
    return out
