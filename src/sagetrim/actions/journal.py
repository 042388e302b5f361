"""The audit journal: one record for every action sagetrim planned, did, skipped or failed.

An applied change leaves two records sharing an ``action_id``: its intent (outcome ``started``), written
before the change, and its outcome after it. An intent without an outcome is an interrupted action; the
next applied run checks AWS and records what really happened (see :mod:`sagetrim.actions.reconcile`).
Records are JSON objects; keys this version does not know are kept (``extra``) and written back.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sagetrim.actions.common import utc_iso
from sagetrim.actions.state import StateStore, Unreadable

__all__ = ["STREAM", "Journal", "JournalEntry", "JournalRead", "JournalReport", "OutcomeStatus", "read_journal"]

STREAM = "journal"
# started: the intent written before a change; deferred: left for the next run (time budget).
OutcomeStatus = Literal["planned", "started", "done", "skipped", "failed", "deferred"]
OUTCOMES: frozenset[str] = frozenset(get_args(OutcomeStatus))
# The actions whose completion cuts the bill (notifying or tagging saves nothing by itself).
SAVING_ACTIONS = frozenset({"stop-notebook", "delete-endpoint", "remove-variant"})


def _parse_time(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _text(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    return value


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One action as it happened (or was planned, or was about to happen)."""

    time: datetime
    action: str
    rule: str
    finding_id: str
    account: str
    region: str
    kind: str
    name: str
    arn: str
    outcome: OutcomeStatus
    reason: str
    monthly_savings_usd: float
    backup: str | None
    dry_run: bool
    action_id: str = ""  # shared by an intent and its outcome
    extra: dict[str, Any] = field(default_factory=dict)  # keys of newer versions, kept as they were
    backup_sha256: str | None = None  # the digest of the backup as written (see backup_digest)

    def to_json(self) -> dict[str, Any]:
        doc = {k: v for k, v in self.extra.items() if k not in _FIELDS}
        doc.update({f: getattr(self, f) for f in _FIELDS if f not in ("extra", "action_id")})
        doc["time"] = utc_iso(self.time)
        doc["monthly_savings_usd"] = round(self.monthly_savings_usd, 2)
        if self.action_id:
            doc["action_id"] = self.action_id
        if self.backup_sha256 is None:
            del doc["backup_sha256"]
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> JournalEntry:
        """Read a record back; unknown keys (from newer versions) are kept in ``extra``.

        Raises:
            ValueError: the record is not an object, or its time, outcome, amount or a text field is not
                what sagetrim writes.
        """
        if not isinstance(doc, dict):
            raise ValueError(f"not a JSON object but {type(doc).__name__}")
        if not isinstance(doc.get("time"), str):
            raise ValueError("no time")
        try:
            when = _parse_time(doc["time"])
        except ValueError:
            raise ValueError(f"time {doc['time']!r} is not an ISO 8601 timestamp") from None
        outcome = doc.get("outcome")
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome {outcome!r} is not one of {', '.join(sorted(OUTCOMES))}")
        amount = doc.get("monthly_savings_usd") or 0.0
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
            raise ValueError(f"monthly_savings_usd {amount!r} is not a number")
        backup = doc.get("backup")
        if backup is not None and not isinstance(backup, str):
            raise ValueError("backup is not text")
        return cls(
            time=when, action=_text(doc, "action"), rule=_text(doc, "rule"), finding_id=_text(doc, "finding_id"),
            account=_text(doc, "account"), region=_text(doc, "region"), kind=_text(doc, "kind"),
            name=_text(doc, "name"), arn=_text(doc, "arn"), outcome=outcome, reason=_text(doc, "reason"),
            monthly_savings_usd=float(amount), backup=backup, dry_run=doc.get("dry_run") is True,
            action_id=_text(doc, "action_id"), backup_sha256=_text(doc, "backup_sha256") or None,
            extra={k: v for k, v in doc.items() if k not in _FIELDS},
        )


_FIELDS = frozenset(f.name for f in fields(JournalEntry))


@dataclass
class JournalRead:
    """The readable entries of a journal, oldest first, and the records skipped as unreadable."""

    entries: list[JournalEntry] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)

    def open_intents(self) -> list[JournalEntry]:
        """Intents (``started``) no outcome followed: actions a run was interrupted in."""
        closed = {e.action_id for e in self.entries if e.action_id and e.outcome != "started"}
        return [e for e in self.entries if e.outcome == "started" and e.action_id and e.action_id not in closed]


class Journal:
    """The audit journal kept in a state store.

    Args:
        store: where the records go (a local JSON Lines file, or one S3 object per record).
    """

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def record(self, entry: JournalEntry) -> None:
        """Append one entry.

        Raises:
            StoreError: the entry could not be written.
        """
        self.store.append_record(STREAM, entry.to_json(), entry.time)

    def record_once(self, entry: JournalEntry, *, once: str, filed: datetime) -> bool:
        """Append one entry unless an entry with the same ``once`` id, filed at ``filed``, is there already:
        of runs racing to record it, exactly one does.

        Returns:
            Whether this call recorded it.

        Raises:
            StoreError: the entry could not be written.
        """
        return self.store.append_record(STREAM, entry.to_json(), filed, once=once)

    def read(self, since: datetime | None = None, name: str | None = None) -> JournalRead:
        """The entries, oldest first, and what could not be read (skipped, with where and why).

        Args:
            since: only entries at or after this time (a naive value is read as UTC).
            name: only entries about the resource with this name.

        Raises:
            StoreError: the journal could not be read at all.
        """
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        stream = self.store.read_stream(STREAM, since)
        out = JournalRead(unreadable=list(stream.unreadable))
        for record in stream.records:
            try:
                entry = JournalEntry.from_json(record.doc)
            except ValueError as exc:
                out.unreadable.append(Unreadable(record.where, str(exc)))
                continue
            if (since is None or entry.time >= since) and (name is None or entry.name == name):
                out.entries.append(entry)
        out.entries.sort(key=lambda e: e.time)
        return out

    def entries(self, since: datetime | None = None, name: str | None = None) -> list[JournalEntry]:
        """The readable entries, oldest first (see :meth:`read`).

        Raises:
            StoreError: the journal could not be read at all.
        """
        return self.read(since, name).entries


def savings_usd(entries: list[JournalEntry]) -> float:
    """Monthly dollars saved by the actions done for real (stops and deletes, not dry runs)."""
    return sum(e.monthly_savings_usd for e in entries
               if e.outcome == "done" and not e.dry_run and e.action in SAVING_ACTIONS)


@dataclass(frozen=True)
class JournalReport:
    """What `sagetrim journal` shows: the entries, their totals, and the records that could not be read."""

    location: str
    entries: list[JournalEntry] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Entries per outcome (dry-run entries count as planned)."""
        return dict(Counter(e.outcome for e in self.entries))

    @property
    def monthly_savings_usd(self) -> float:
        """Monthly dollars saved by the stops and deletes done."""
        return savings_usd(self.entries)

    def to_json(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "counts": self.counts,
            "monthly_savings_usd": round(self.monthly_savings_usd, 2),
            "entries": [e.to_json() for e in self.entries],
            "unreadable": [{"where": u.where, "why": u.why} for u in self.unreadable],
        }


def read_journal(store: StateStore, since: datetime | None = None, name: str | None = None) -> JournalReport:
    """The journal entries (filtered) with their totals, for `sagetrim journal`. The intent of an action
    whose outcome is recorded is left out (the outcome tells it all); an intent alone stays, as ``started``.

    Args:
        store: the state store holding the journal.
        since: only entries at or after this time.
        name: only entries about this resource name.

    Raises:
        StoreError: the journal could not be read at all (unreadable records are skipped and listed).
    """
    read = Journal(store).read(since=since, name=name)
    still_open = {id(e) for e in read.open_intents()}
    shown = [e for e in read.entries if e.outcome != "started" or id(e) in still_open]
    return JournalReport(location=store.stream_location(STREAM), entries=shown, unreadable=read.unreadable)
