"""The audit journal: append, read back, filter, and the savings summary."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sagetrim.actions.journal import Journal, JournalEntry, read_journal, savings_usd
from sagetrim.actions.state import LocalStore, open_store
from sagetrim.sim import SimServer

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def entry(minutes: int, name: str, action: str = "delete-endpoint", outcome: Any = "done", savings: float = 100.0,
          dry_run: bool = False) -> JournalEntry:
    return JournalEntry(
        time=T0 + timedelta(minutes=minutes), action=action, rule="idle-endpoint", finding_id=f"id-{name}",
        account="111122223333", region="us-east-1", kind="endpoint", name=name,
        arn=f"arn:aws:sagemaker:us-east-1:111122223333:endpoint/{name}", outcome=outcome,
        reason="deleted" if outcome == "done" else "a reason", monthly_savings_usd=savings,
        backup=f"backups/111122223333/us-east-1/endpoint/{name}/x.json", dry_run=dry_run,
    )


def test_given_entries_when_appended_then_they_read_back_whole_and_in_time_order(journal: Journal) -> None:
    later, earlier = entry(5, "b"), entry(1, "a")
    journal.record(later)
    journal.record(earlier)

    assert journal.entries() == [earlier, later]
    doc = later.to_json()
    assert doc["time"] == "2025-06-01T12:05:00+00:00"
    assert set(doc) == {"time", "action", "rule", "finding_id", "account", "region", "kind", "name", "arn", "outcome",
                        "reason", "monthly_savings_usd", "backup", "dry_run"}


def test_given_a_journal_when_filtered_by_time_and_name_then_only_matching_entries(journal: Journal) -> None:
    for e in (entry(0, "a"), entry(10, "b"), entry(20, "a"), entry(30, "c")):
        journal.record(e)

    assert [e.name for e in journal.entries(since=T0 + timedelta(minutes=10))] == ["b", "a", "c"]
    assert [e.time.minute for e in journal.entries(name="a")] == [0, 20]
    naive = (T0 + timedelta(minutes=15)).replace(tzinfo=None)
    assert [e.name for e in journal.entries(since=naive, name="a")] == ["a"]


def test_given_mixed_outcomes_when_summarised_then_only_real_stops_and_deletes_count(journal: Journal) -> None:
    entries = [
        entry(0, "a", savings=100.0),
        entry(1, "b", action="stop-notebook", savings=50.0),
        entry(2, "c", outcome="skipped", savings=1000.0),
        entry(3, "d", outcome="planned", dry_run=True, savings=1000.0),
        entry(4, "e", outcome="failed", savings=1000.0),
        entry(5, "f", action="notify", savings=1000.0),
        entry(6, "g", action="tag", savings=1000.0),
    ]
    for e in entries:
        journal.record(e)

    assert savings_usd(entries) == 150.0
    report = read_journal(journal.store)
    assert report.monthly_savings_usd == 150.0
    assert report.counts == {"done": 4, "skipped": 1, "planned": 1, "failed": 1}
    assert report.to_json()["location"].endswith("journal.jsonl")
    assert len(report.to_json()["entries"]) == 7


def test_given_an_s3_journal_when_runs_append_then_one_object_per_record_by_day(clean_sim: SimServer) -> None:
    clean_sim.client("s3").create_bucket(Bucket="sagetrim-journal")
    store = open_store("s3://sagetrim-journal/acme", clean_sim.session())
    journal = Journal(store)
    journal.record(entry(0, "a"))
    journal.record(entry(60 * 24 * 2, "b"))  # two days later

    keys = store.list_keys("journal/")
    assert [k.rsplit("/", 1)[0] for k in keys] == ["journal/2025/06/01", "journal/2025/06/03"]
    assert [e.name for e in journal.entries()] == ["a", "b"]
    assert [e.name for e in journal.entries(since=T0 + timedelta(days=1))] == ["b"]


def test_given_no_journal_yet_when_read_then_it_is_empty(store: LocalStore) -> None:
    assert Journal(store).entries() == []
    assert read_journal(store).to_json()["counts"] == {}


def test_given_malformed_records_when_read_then_each_is_skipped_with_its_line_and_the_rest_shown(
    store: LocalStore, journal: Journal
) -> None:
    journal.record(entry(1, "a"))
    good = json.dumps(entry(2, "b").to_json())
    bad = {
        "not an object": "[1, 2]",
        "bad time": good.replace(T0.date().isoformat(), "yesterday"),
        "bad amount": good.replace('"monthly_savings_usd": 100.0', '"monthly_savings_usd": "lots"'),
        "bad outcome": good.replace('"outcome": "done"', '"outcome": "maybe"'),
    }
    with (store.root / "journal.jsonl").open("ab") as fh:
        fh.write(b"\xc3\x28 broken utf-8\n" + "\n".join(bad.values()).encode() + b"\n")
    journal.record(entry(3, "c"))

    report = read_journal(store)

    assert [e.name for e in report.entries] == ["a", "c"]
    assert [u.where for u in report.unreadable] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert [u.why.split(" ")[0] for u in report.unreadable] == ["not", "not", "time", "monthly_savings_usd", "outcome"]
    assert report.to_json()["unreadable"][0] == {"where": "line 2", "why": "not UTF-8 text"}


def test_given_a_record_with_fields_of_a_newer_version_when_read_and_written_then_they_are_kept(
    journal: Journal
) -> None:
    doc = {**entry(1, "a").to_json(), "backup_digest": "sha256:abc", "action_id": "x1"}

    again = JournalEntry.from_json(doc)

    assert again.action_id == "x1" and again.extra == {"backup_digest": "sha256:abc"}
    assert again.to_json() == doc


def test_given_an_intent_and_its_outcome_when_shown_then_only_the_outcome_and_open_intents_remain(
    store: LocalStore, journal: Journal
) -> None:
    journal.record(replace(entry(1, "a", outcome="started"), action_id="1"))
    journal.record(replace(entry(2, "a"), action_id="1"))
    journal.record(replace(entry(3, "b", outcome="started"), action_id="2"))

    report = read_journal(store)

    assert [(e.name, e.outcome) for e in report.entries] == [("a", "done"), ("b", "started")]
    assert [e.action_id for e in journal.read().open_intents()] == ["2"]
