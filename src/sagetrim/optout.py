"""The opt-out tag, decided in one place: its key and value, the predicate, and the region-wide lookup.

A resource tagged ``sagetrim:exclude`` = ``true`` gets no finding, no action, no notice and no scheduled
start or stop. The key is matched exactly, as AWS matches tag keys (``sagetrim:Exclude`` is another tag).
The value opts out when it reads ``true`` in any letter case, with surrounding whitespace ignored
(``True``, ``TRUE``, `` true ``); nothing else does: not ``yes``, ``1``, ``on``, an empty value or a
missing key, so that a typo never silently stops acting on a resource the user did not mean to exclude,
and every spelling of the one documented value is honoured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["EXCLUDE_KEY", "EXCLUDE_VALUE", "OPTED_OUT", "TAG_TEXT", "is_excluded", "opted_out_arns", "opts_out"]

EXCLUDE_KEY = "sagetrim:exclude"
EXCLUDE_VALUE = "true"
TAG_TEXT = f"{EXCLUDE_KEY} = {EXCLUDE_VALUE}"
OPTED_OUT = f"opted out with the tag {TAG_TEXT}"  # the reason given for what is skipped
PAGE = 100  # the most resources a GetResources page returns


def opts_out(value: object) -> bool:
    """Whether a value of the ``sagetrim:exclude`` tag opts its resource out (``true``, any case, trimmed)."""
    return isinstance(value, str) and value.strip().lower() == EXCLUDE_VALUE


def is_excluded(tags: Mapping[str, str] | Iterable[Mapping[str, Any]]) -> bool:
    """Whether tags carry the opt-out tag.

    Args:
        tags: ``{key: value}``, or AWS's list of ``{"Key": ..., "Value": ...}`` (ListTags, GetResources).
    """
    if isinstance(tags, Mapping):
        return opts_out(tags.get(EXCLUDE_KEY))
    return any(t.get("Key") == EXCLUDE_KEY and opts_out(t.get("Value")) for t in tags)


def opted_out_arns(tagging: Any, resource_types: Iterable[str] = ("sagemaker",)) -> set[str]:
    """ARNs of the region's resources that opted out, from one paginated Resource Groups Tagging API call.

    The tagging API compares tag values exactly, so the call filters by key only and each value is judged
    here, by the same predicate as everywhere else.

    Args:
        tagging: a ``resourcegroupstaggingapi`` client of the region.
        resource_types: the ``ResourceTypeFilters`` (``service`` or ``service:type``).

    Raises:
        botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError: the tags could not be read.
    """
    arns: set[str] = set()
    pages = tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": EXCLUDE_KEY}], ResourceTypeFilters=list(resource_types), ResourcesPerPage=PAGE)
    for page in pages:
        arns.update(m["ResourceARN"] for m in page.get("ResourceTagMappingList", []) if is_excluded(m.get("Tags", [])))
    return arns
