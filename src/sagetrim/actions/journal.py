"""The audit journal: one record for every action sagetrim planned, did, skipped or failed."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sagetrim.actions.common import utc_iso
from sagetrim.actions.state import StateStore

__all__ = ["STREAM", "Journal", "JournalEntry", "JournalReport", "OutcomeStatus", "read_journal"]

STREAM = "journal"
OutcomeStatus = Literal["planned", "done", "skipped", "failed"]
# The actions whose completion cuts the bill (notifying or tagging saves nothing by itself).
SAVING_ACTIONS = frozenset({"stop-notebook", "delete-endpoint"})


def _parse_time(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One action as it happened (or was planned)."""

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

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["time"] = utc_iso(self.time)
        doc["monthly_savings_usd"] = round(self.monthly_savings_usd, 2)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> JournalEntry:
        """Read a record back; unknown keys (from newer versions) are ignored."""
        return cls(
            time=_parse_time(str(doc["time"])), action=str(doc.get("action", "")), rule=str(doc.get("rule", "")),
            finding_id=str(doc.get("finding_id", "")), account=str(doc.get("account", "")),
            region=str(doc.get("region", "")), kind=str(doc.get("kind", "")), name=str(doc.get("name", "")),
            arn=str(doc.get("arn", "")), outcome=doc.get("outcome", "failed"), reason=str(doc.get("reason", "")),
            monthly_savings_usd=float(doc.get("monthly_savings_usd") or 0.0), backup=doc.get("backup"),
            dry_run=bool(doc.get("dry_run", False)),
        )


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

    def entries(self, since: datetime | None = None, name: str | None = None) -> list[JournalEntry]:
        """The entries, oldest first.

        Args:
            since: only entries at or after this time (a naive value is read as UTC).
            name: only entries about the resource with this name.

        Raises:
            StoreError: the journal could not be read.
        """
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        out = [JournalEntry.from_json(doc) for doc in self.store.read_records(STREAM, since)]
        out = [e for e in out if (since is None or e.time >= since) and (name is None or e.name == name)]
        return sorted(out, key=lambda e: e.time)


def savings_usd(entries: list[JournalEntry]) -> float:
    """Monthly dollars saved by the actions done for real (stops and deletes, not dry runs)."""
    return sum(e.monthly_savings_usd for e in entries
               if e.outcome == "done" and not e.dry_run and e.action in SAVING_ACTIONS)


@dataclass(frozen=True)
class JournalReport:
    """What `sagetrim journal` shows: the entries and their totals."""

    location: str
    entries: list[JournalEntry] = field(default_factory=list)

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
        }


def read_journal(store: StateStore, since: datetime | None = None, name: str | None = None) -> JournalReport:
    """The journal entries (filtered) with their totals, for `sagetrim journal`.

    Args:
        store: the state store holding the journal.
        since: only entries at or after this time.
        name: only entries about this resource name.

    Raises:
        StoreError: the journal could not be read.
    """
    return JournalReport(location=store.stream_location(STREAM), entries=Journal(store).entries(since=since, name=name))
