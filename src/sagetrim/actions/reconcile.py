"""Settle interrupted actions: an intent in the journal with no outcome is checked against AWS, and what
really happened is recorded (once) under the same ``action_id``.

A run killed between its intent record and its outcome record (a Lambda timeout, a full disk, a signal)
leaves such an intent. The next applied run calls :func:`reconcile` before it changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.actions.common import error_text, list_tags
from sagetrim.actions.journal import Journal, JournalEntry, OutcomeStatus
from sagetrim.aws.errors import is_not_found
from sagetrim.aws.session import client

__all__ = ["RECONCILE_WINDOW", "Settled", "reconcile"]

RECONCILE_WINDOW = timedelta(days=14)  # how far back open intents are looked for
_PREFIX = "settled after an interrupted run: "


@dataclass(frozen=True, slots=True)
class Settled:
    """What an interrupted action turned out to be; ``recorded`` is False when AWS could not tell (the
    intent stays open and the next run asks again)."""

    intent: JournalEntry
    outcome: OutcomeStatus
    reason: str
    recorded: bool


def _describe(check: Callable[[], Any]) -> Any | None:
    """A describe's answer, or None when the resource is gone."""
    try:
        return check()
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def _endpoint(sm: Any, intent: JournalEntry) -> tuple[OutcomeStatus, str]:
    described = _describe(lambda: sm.describe_endpoint(EndpointName=intent.name))
    backup = f"; `sagetrim restore {intent.name}` recreates it from {intent.backup}" if intent.backup else ""
    if described is None:
        return "done", f"endpoint {intent.name} is deleted{backup}"
    status = described.get("EndpointStatus", "")
    if status == "Deleting":
        return "done", f"endpoint {intent.name} is being deleted{backup}"
    return "failed", f"the run stopped before the delete; endpoint {intent.name} is still {status}"


class _NotYet(Exception):
    """AWS cannot tell yet (an update in progress); the next run asks again."""


def _variant(sm: Any, intent: JournalEntry) -> tuple[OutcomeStatus, str]:
    variant = intent.extra.get("variant")
    if not isinstance(variant, str) or not variant:
        return "failed", f"the journal does not say which variant of endpoint {intent.name} was to be removed"
    described = _describe(lambda: sm.describe_endpoint(EndpointName=intent.name))
    if described is None:
        return "skipped", f"endpoint {intent.name} no longer exists"
    status = described.get("EndpointStatus", "")
    if status == "Updating":
        raise _NotYet(f"endpoint {intent.name} is Updating")
    serving = {v["VariantName"] for v in [*described.get("ProductionVariants", []),
                                          *described.get("ShadowProductionVariants", [])]}
    if variant not in serving:
        backup = f"; `sagetrim restore {intent.name}` puts it back from {intent.backup}" if intent.backup else ""
        return "done", (f"endpoint {intent.name} is on configuration {described.get('EndpointConfigName')} "
                        f"without variant {variant}{backup}")
    return "failed", f"the run stopped before the update; variant {variant} of endpoint {intent.name} still serves"


def _notebook(sm: Any, intent: JournalEntry) -> tuple[OutcomeStatus, str]:
    described = _describe(lambda: sm.describe_notebook_instance(NotebookInstanceName=intent.name))
    if described is None:
        return "skipped", f"notebook instance {intent.name} no longer exists"
    status = described.get("NotebookInstanceStatus", "")
    if status in ("Stopping", "Stopped"):
        return "done", f"notebook instance {intent.name} is {status}"
    return "failed", f"the run stopped before the stop; notebook instance {intent.name} is still {status}"


def _tag(sm: Any, intent: JournalEntry) -> tuple[OutcomeStatus, str]:
    from sagetrim.actions.executor import FINDING_TAG

    try:
        tags = {t["Key"]: t["Value"] for t in list_tags(sm, intent.arn)}
    except ClientError as exc:
        if is_not_found(exc):
            return "skipped", f"{intent.kind} {intent.name} no longer exists"
        raise
    if tags.get(FINDING_TAG) == intent.rule:
        return "done", f"{intent.kind} {intent.name} carries {FINDING_TAG} = {intent.rule}"
    return "failed", f"the run stopped before tagging; {intent.kind} {intent.name} is not tagged"


_CHECKS: dict[str, Callable[[Any, JournalEntry], tuple[OutcomeStatus, str]]] = {
    "delete-endpoint": _endpoint,
    "remove-variant": _variant,
    "stop-notebook": _notebook,
    "tag": _tag,
}


def reconcile(journal: Journal, session_for: Callable[[str, str], boto3.Session], now: datetime) -> list[Settled]:
    """Check every open intent of the last :data:`RECONCILE_WINDOW` against AWS and record its outcome.

    Args:
        journal: the audit journal.
        session_for: a boto3 session for an (account, region).
        now: the time of the records written.

    Returns:
        One entry per open intent: what it turned out to be, and whether that was recorded.

    Raises:
        StoreError: the journal could not be read, or an outcome could not be written (the outcomes
            returned so far were recorded; the others stay open).

    An intent another run settled at the same time is left out of the result (that run reports it).
    """
    settled: list[Settled] = []
    for intent in journal.read(since=now - RECONCILE_WINDOW).open_intents():
        check = _CHECKS.get(intent.action)
        if check is None:
            outcome: OutcomeStatus = "failed"
            reason = f"sagetrim cannot check a {intent.action} afterwards; look at {intent.kind} {intent.name}"
        else:
            try:
                sm = client(session_for(intent.account, intent.region), "sagemaker", intent.region)
                outcome, reason = check(sm, intent)
            except (ClientError, BotoCoreError, Exception) as exc:
                settled.append(Settled(intent, "started", f"could not be checked ({error_text(exc)}); "
                                                          "the next applied run checks again", recorded=False))
                continue
        settled_entry = replace(intent, time=now, outcome=outcome, reason=_PREFIX + reason,
                                extra={**intent.extra, "reconciled": True})
        # Two runs may settle one intent at once (a schedule delivered twice, a user beside the schedule):
        # the record is filed under the intent's time with an id of its own, so only one of them lands.
        try:
            recorded = journal.record_once(settled_entry, once=f"{intent.action_id}.settled", filed=intent.time)
        except ValueError:  # an action id sagetrim never writes: the record was edited by hand
            settled.append(Settled(intent, "started", f"its action id {intent.action_id!r} is not one sagetrim "
                                                      "writes, so its outcome cannot be recorded", recorded=False))
            continue
        if recorded:
            settled.append(Settled(intent, outcome, _PREFIX + reason, recorded=True))
    return settled
