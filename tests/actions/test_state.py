"""The state stores: a local directory and an S3 prefix, and the URI that picks one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sagetrim.actions.state import LocalStore, S3Store, StoreError, default_state_dir, open_store
from sagetrim.errors import UsageError
from sagetrim.sim import SimServer

WHEN = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def test_given_a_local_store_when_a_document_is_put_then_it_reads_back_and_lists(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "state")
    store.put_json("backups/a/r/endpoint/e/1.json", {"x": 1, "when": "2025-01-01T00:00:00+00:00"})
    store.put_json("backups/a/r/endpoint/e/2.json", {"x": 2})
    store.put_json("backups/a/r/endpoint/other/1.json", {"x": 3})

    assert store.get_json("backups/a/r/endpoint/e/1.json") == {"x": 1, "when": "2025-01-01T00:00:00+00:00"}
    assert store.get_json("backups/a/r/endpoint/e/9.json") is None
    assert store.list_keys("backups/a/r/endpoint/e/") == ["backups/a/r/endpoint/e/1.json",
                                                          "backups/a/r/endpoint/e/2.json"]
    assert store.list_keys("nothing/here/") == []
    assert not list((tmp_path / "state").rglob(".tmp-*")), "no temporary file is left behind"


def test_given_a_local_store_when_a_document_is_replaced_then_the_new_one_is_read(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_json("k.json", {"v": 1})
    store.put_json("k.json", {"v": 2})
    assert store.get_json("k.json") == {"v": 2}


def test_given_a_key_that_escapes_the_store_when_it_is_used_then_it_is_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for bad in ("../outside.json", "/abs.json", "a//b.json", ""):
        with pytest.raises(ValueError, match="not a valid state key"):
            store.put_json(bad, {})


def test_given_an_unwritable_directory_when_a_document_is_put_then_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="could not write"):
        LocalStore(blocker).put_json("k.json", {})


def test_given_many_threads_when_they_append_records_then_every_line_is_whole(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)

    def append(n: int) -> None:
        for i in range(25):
            store.append_record("journal", {"writer": n, "i": i, "pad": "x" * 500}, WHEN)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    records = store.read_records("journal")
    assert len(records) == 200
    assert {(r["writer"], r["i"]) for r in records} == {(n, i) for n in range(8) for i in range(25)}
    assert store.stream_location("journal") == str(tmp_path / "journal.jsonl")


def test_given_the_environment_when_the_default_directory_is_chosen_then_the_documented_order_holds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SAGETRIM_STATE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_state_dir() == tmp_path / "explicit"
    monkeypatch.delenv("SAGETRIM_STATE_DIR")
    assert default_state_dir() == tmp_path / "xdg" / "sagetrim"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_state_dir() == tmp_path / "home" / ".local" / "state" / "sagetrim"


def test_given_uris_when_a_store_is_opened_then_the_right_backend_or_a_usage_error(
    tmp_path: Path, aws: SimServer
) -> None:
    assert isinstance(open_store(None, aws.session()), LocalStore)
    local = open_store(str(tmp_path / "dir"), aws.session())
    assert isinstance(local, LocalStore) and local.root == tmp_path / "dir"
    assert isinstance(open_store(f"file://{tmp_path}", aws.session()), LocalStore)
    s3 = open_store("s3://sagetrim-state/prod/team-a/", aws.session())
    assert isinstance(s3, S3Store) and (s3.bucket, s3.prefix) == ("sagetrim-state", "prod/team-a/")
    assert s3.location("journal/x.json") == "s3://sagetrim-state/prod/team-a/journal/x.json"

    with pytest.raises(UsageError, match=r"s3://BUCKET/PREFIX"):
        open_store("s3://", aws.session())
    with pytest.raises(UsageError, match=r"valid S3 bucket"):
        open_store("s3://Bad_Bucket/x", aws.session())
    with pytest.raises(UsageError, match=r"gs://"):
        open_store("gs://bucket/x", aws.session())
    afile = tmp_path / "a-file"
    afile.write_text("")
    with pytest.raises(UsageError, match="is a file"):
        open_store(str(afile), aws.session())


def test_given_an_s3_store_when_documents_and_records_are_written_then_they_read_back(aws: SimServer) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="sagetrim-state")
    store = open_store("s3://sagetrim-state/prod", aws.session())

    store.put_json("backups/a/r/endpoint/e/1.json", {"x": 1})
    store.put_json("backups/a/r/endpoint/e/2.json", {"x": 2})
    assert store.get_json("backups/a/r/endpoint/e/1.json") == {"x": 1}
    assert store.get_json("backups/a/r/endpoint/e/3.json") is None
    assert store.list_keys("backups/a/r/endpoint/e/") == ["backups/a/r/endpoint/e/1.json",
                                                          "backups/a/r/endpoint/e/2.json"]

    earlier = WHEN - timedelta(days=3)
    store.append_record("journal", {"n": 1}, earlier)
    store.append_record("journal", {"n": 2}, WHEN)
    store.append_record("journal", {"n": 3}, WHEN)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="sagetrim-state", Prefix="prod/journal/")["Contents"]]
    assert len(keys) == 3, "one object per record, so concurrent writers never overwrite each other"
    assert sum(k.startswith("prod/journal/2025/03/14/") for k in keys) == 2
    assert sorted(r["n"] for r in store.read_records("journal")) == [1, 2, 3]
    assert sorted(r["n"] for r in store.read_records("journal", since=WHEN)) == [2, 3]


def test_given_a_missing_bucket_when_an_s3_store_writes_then_store_error_names_the_location(aws: SimServer) -> None:
    store = open_store("s3://no-such-bucket-here/x", aws.session())
    with pytest.raises(StoreError, match=r"s3://no-such-bucket-here/x/k.json.*NoSuchBucket"):
        store.put_json("k.json", {})
