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
    tmp_path: Path, clean_sim: SimServer
) -> None:
    assert isinstance(open_store(None, clean_sim.session()), LocalStore)
    local = open_store(str(tmp_path / "dir"), clean_sim.session())
    assert isinstance(local, LocalStore) and local.root == tmp_path / "dir"
    assert isinstance(open_store(f"file://{tmp_path}", clean_sim.session()), LocalStore)
    s3 = open_store("s3://sagetrim-state/prod/team-a/", clean_sim.session())
    assert isinstance(s3, S3Store) and (s3.bucket, s3.prefix) == ("sagetrim-state", "prod/team-a/")
    assert s3.location("journal/x.json") == "s3://sagetrim-state/prod/team-a/journal/x.json"

    with pytest.raises(UsageError, match=r"s3://BUCKET/PREFIX"):
        open_store("s3://", clean_sim.session())
    with pytest.raises(UsageError, match=r"valid S3 bucket"):
        open_store("s3://Bad_Bucket/x", clean_sim.session())
    with pytest.raises(UsageError, match=r"gs://"):
        open_store("gs://bucket/x", clean_sim.session())
    afile = tmp_path / "a-file"
    afile.write_text("")
    with pytest.raises(UsageError, match="is a file"):
        open_store(str(afile), clean_sim.session())


def test_given_an_s3_store_when_documents_and_records_are_written_then_they_read_back(clean_sim: SimServer) -> None:
    s3 = clean_sim.client("s3")
    s3.create_bucket(Bucket="sagetrim-state")
    store = open_store("s3://sagetrim-state/prod", clean_sim.session())

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


def test_given_a_missing_bucket_when_an_s3_store_writes_then_store_error_names_the_location(
        clean_sim: SimServer) -> None:
    store = open_store("s3://no-such-bucket-here/x", clean_sim.session())
    with pytest.raises(StoreError, match=r"s3://no-such-bucket-here/x/k.json.*NoSuchBucket"):
        store.put_json("k.json", {})


_FULL_DISK = """
import resource, signal, sys
from datetime import datetime, timezone
from pathlib import Path
from sagetrim.actions.state import LocalStore, StoreError

root = Path(sys.argv[1])
size = (root / "journal.jsonl").stat().st_size
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write is short, then fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, size + 40))
try:
    LocalStore(root).append_record("journal", {"reason": "x" * 200}, datetime.now(timezone.utc))
except StoreError as exc:
    print(exc)
    sys.exit(3)
"""


def test_given_a_disk_that_fills_mid_record_when_appending_then_error_and_no_half_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    store = LocalStore(tmp_path)
    store.append_record("journal", {"n": 1}, WHEN)
    before = (tmp_path / "journal.jsonl").read_bytes()

    ran = subprocess.run([sys.executable, "-c", _FULL_DISK, str(tmp_path)], capture_output=True, text=True,
                         check=False)

    assert ran.returncode == 3, ran.stderr
    assert "could not append" in ran.stdout and "nothing of the record was kept" in ran.stdout
    assert (tmp_path / "journal.jsonl").read_bytes() == before, "the 40 bytes written were cut back"
    store.append_record("journal", {"n": 2}, WHEN)
    assert [r["n"] for r in store.read_records("journal")] == [1, 2]


def test_given_a_line_left_without_its_end_when_appending_then_the_record_starts_a_new_line(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.append_record("journal", {"n": 1}, WHEN)
    with (tmp_path / "journal.jsonl").open("ab") as fh:
        fh.write(b'{"n": 2, "reas')  # a crash mid-write, by an older version or another tool

    store.append_record("journal", {"n": 3}, WHEN)

    read = store.read_stream("journal")
    assert [r.doc["n"] for r in read.records] == [1, 3]
    assert [u.where for u in read.unreadable] == ["line 2"]


def test_given_damaged_lines_when_a_stream_is_read_then_they_are_skipped_and_listed(tmp_path: Path) -> None:
    (tmp_path / "journal.jsonl").write_bytes(b'{"n": 1}\n\xff\xfe not text\n{"n": 2}\nnot json\n\n[1, 2]\n')

    read = LocalStore(tmp_path).read_stream("journal")

    assert [(r.where, r.doc) for r in read.records] == [("line 1", {"n": 1}), ("line 3", {"n": 2}),
                                                        ("line 6", [1, 2])]
    assert [(u.where, u.why.split(" (")[0]) for u in read.unreadable] == [("line 2", "not UTF-8 text"),
                                                                          ("line 4", "not valid JSON")]
    assert LocalStore(tmp_path).read_records("journal") == [{"n": 1}, {"n": 2}], "only objects are records"


def test_given_a_damaged_s3_record_when_the_stream_is_read_then_it_is_skipped_and_named(clean_sim: SimServer) -> None:
    s3 = clean_sim.client("s3")
    s3.create_bucket(Bucket="sagetrim-state")
    store = open_store("s3://sagetrim-state/prod", clean_sim.session())
    store.append_record("journal", {"n": 1}, WHEN)
    s3.put_object(Bucket="sagetrim-state", Key="prod/journal/2025/03/14/093000.000000Z-bad.json", Body=b"{half")

    read = store.read_stream("journal")

    assert [r.doc for r in read.records] == [{"n": 1}]
    assert [u.where for u in read.unreadable] == ["s3://sagetrim-state/prod/journal/2025/03/14/093000.000000Z-bad.json"]


def test_given_an_s3_record_whose_answer_is_lost_when_retried_then_it_is_stored_once(clean_sim: SimServer) -> None:
    s3 = clean_sim.client("s3")
    s3.create_bucket(Bucket="sagetrim-state")
    store = open_store("s3://sagetrim-state/prod", clean_sim.session())
    # The first PutObject lands but its answer is a 500; botocore sends it again under the same key.
    lost = clean_sim.faults.add("InternalError", status=500, service="s3", times=1, applied=True)

    store.append_record("journal", {"n": 1}, WHEN)

    assert lost.fired == 1
    assert store.read_records("journal") == [{"n": 1}], "If-None-Match: the retry neither overwrote nor doubled it"


def _race(append: object, writers: int = 6) -> list[bool]:
    """Run ``append`` (returning whether it wrote) in ``writers`` threads released at once."""
    start = threading.Barrier(writers)
    results: list[bool] = []
    lock = threading.Lock()

    def writer() -> None:
        start.wait()
        written = append()  # type: ignore[operator]
        with lock:
            results.append(written)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_given_writers_racing_to_append_one_record_id_to_a_local_stream_then_exactly_one_does(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.append_record("journal", {"n": 0}, WHEN)

    results = _race(lambda: LocalStore(tmp_path).append_record("journal", {"n": 1}, WHEN, once="a1.settled"))

    assert sorted(results) == [False] * 5 + [True]
    assert store.read_records("journal") == [{"n": 0}, {"n": 1, "once": "a1.settled"}]
    assert store.append_record("journal", {"n": 2}, WHEN, once="a2.settled"), "another id is written"


def test_given_writers_racing_to_append_one_record_id_to_an_s3_stream_then_exactly_one_does(
    clean_sim: SimServer
) -> None:
    clean_sim.client("s3").create_bucket(Bucket="sagetrim-state")
    session = clean_sim.session()

    results = _race(lambda: open_store("s3://sagetrim-state/prod", session).append_record(
        "journal", {"n": 1}, WHEN, once="a1.settled"))

    store = open_store("s3://sagetrim-state/prod", session)
    assert sorted(results) == [False] * 5 + [True]
    assert store.read_records("journal") == [{"n": 1, "once": "a1.settled"}]
    assert store.append_record("journal", {"n": 2}, WHEN, once="a2.settled"), "another id is written"


def test_given_a_record_id_that_is_not_a_plain_name_when_appending_then_it_is_refused(tmp_path: Path) -> None:
    for bad in ("../x", "a/b", "", "x" * 200):
        with pytest.raises(ValueError, match="not a valid record id"):
            LocalStore(tmp_path).append_record("journal", {}, WHEN, once=bad)
    assert LocalStore(tmp_path).read_records("journal") == []


@pytest.mark.parametrize(("content", "why"), [
    (b"[" * 100_000, "nested too deeply"),
    (b'{"n": ' + b"9" * 5000 + b"}", "not valid JSON"),
    (b'{"name": "\xff"}', "not UTF-8 text"),
    (b"[1, 2]", "does not hold a JSON object"),
])
def test_given_a_stored_document_that_cannot_be_read_when_it_is_read_then_store_error_says_why(
    tmp_path: Path, clean_sim: SimServer, content: bytes, why: str
) -> None:
    local = LocalStore(tmp_path)
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "b.json").write_bytes(content)
    s3 = clean_sim.client("s3")
    s3.create_bucket(Bucket="sagetrim-state")
    s3.put_object(Bucket="sagetrim-state", Key="prod/backups/b.json", Body=content)

    for store in (local, open_store("s3://sagetrim-state/prod", clean_sim.session())):
        with pytest.raises(StoreError, match=why) as raised:
            store.get_json("backups/b.json")
        assert store.location("backups/b.json") in str(raised.value)
