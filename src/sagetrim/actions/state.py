"""Where sagetrim keeps what must outlive a run: endpoint backups and the audit journal.

Two backends behind one small interface: a local directory (the default) and an S3 prefix (for the
Lambda deployment and for teams). Keys are ``/``-separated relative paths such as
``backups/111122223333/us-east-1/endpoint/churn/20250101T000000Z.json``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
import uuid
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.actions.common import error_text
from sagetrim.aws.session import client, default_region
from sagetrim.errors import ActionError, UsageError

if TYPE_CHECKING:
    import boto3

__all__ = [
    "S3_STORE_PERMISSIONS",
    "LocalStore",
    "S3Store",
    "StateStore",
    "StoreError",
    "StoredRecord",
    "StreamRead",
    "Unreadable",
    "default_state_dir",
    "open_store",
]

try:  # POSIX (Linux, macOS, Lambda); elsewhere a journal line is appended with a single write.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_S3_READERS = 8
# What an S3 state store needs (on the bucket for ListBucket, on its objects for the others).
S3_STORE_PERMISSIONS = ("s3:GetObject", "s3:PutObject", "s3:ListBucket")


class StoreError(ActionError):
    """The state store could not be read or written."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One record of a stream as stored, with where it is (``line 7`` or an S3 key)."""

    where: str
    doc: Any  # the decoded JSON value: an object for every record sagetrim wrote


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A part of a stream that could not be read back as a record, and why."""

    where: str
    why: str


@dataclass
class StreamRead:
    """What reading a stream gave: the records in stored order, and what was skipped as unreadable."""

    records: list[StoredRecord] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a valid state key: {key!r}")
    return key


def _day_path(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y/%m/%d")


def _record_name(when: datetime, once: str | None = None) -> str:
    return f"{when.astimezone(UTC).strftime('%H%M%S.%fZ')}-{once or uuid.uuid4().hex[:12]}.json"


ONCE_FIELD = "once"  # the field a record written with `once` carries it in
_ONCE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def _check_once(once: str | None) -> str | None:
    if once is not None and not _ONCE.match(once):
        raise ValueError(f"not a valid record id: {once!r}")
    return once


def _why_unreadable(raw: bytes) -> tuple[Any, str | None]:
    """A stored document or record decoded, or why it cannot be: not UTF-8, not JSON, nested too deeply (a
    hand-edited or hostile file must not end the reader with a RecursionError), an integer too long."""
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    except ValueError as exc:
        return None, f"not valid JSON ({exc})"
    except RecursionError:
        return None, "not readable (nested too deeply)"


class StateStore(ABC):
    """A place to keep JSON documents under keys, plus append-only record streams (the journal)."""

    @abstractmethod
    def put_json(self, key: str, doc: dict[str, Any]) -> None:
        """Write ``doc`` under ``key``, replacing what was there, all or nothing.

        Raises:
            StoreError: the document could not be written.
        """

    @abstractmethod
    def get_json(self, key: str) -> dict[str, Any] | None:
        """The document under ``key``, or None when there is none.

        Raises:
            StoreError: the store could not be read.
        """

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """The keys that start with ``prefix``, sorted.

        Raises:
            StoreError: the store could not be listed.
        """

    @abstractmethod
    def append_record(self, stream: str, record: dict[str, Any], when: datetime, *, once: str | None = None) -> bool:
        """Append one record to a stream; concurrent writers never overwrite one another.

        Args:
            stream: the stream's name (``journal``).
            record: the record; with ``once`` it is written with ``once`` in its field :data:`ONCE_FIELD`.
            when: the record's time, which files it (by day).
            once: an id (letters, digits, ``_.:-``) no two records filed at the same ``when`` may share: of
                writers racing to append a record with one id at one time, exactly one succeeds.

        Returns:
            Whether the record was written (False: a record with this ``once`` was there already).

        Raises:
            StoreError: the record could not be written.
        """

    @abstractmethod
    def read_stream(self, stream: str, since: datetime | None = None) -> StreamRead:
        """The records of a stream (at least those written since ``since``; callers filter exactly), and
        the parts that could not be decoded (skipped, never fatal).

        Raises:
            StoreError: the stream could not be read at all.
        """

    def read_records(self, stream: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """The readable records of a stream that are JSON objects (see :meth:`read_stream`).

        Raises:
            StoreError: the stream could not be read at all.
        """
        return [r.doc for r in self.read_stream(stream, since).records if isinstance(r.doc, dict)]

    @abstractmethod
    def location(self, key: str = "") -> str:
        """Where ``key`` lives, for messages: a path or an ``s3://`` URI."""

    def stream_location(self, stream: str) -> str:
        """Where a stream's records live, for messages."""
        return self.location(f"{stream}/")


def default_state_dir() -> Path:
    """``$SAGETRIM_STATE_DIR``, else ``$XDG_STATE_HOME/sagetrim``, else ``~/.local/state/sagetrim``."""
    explicit = os.environ.get("SAGETRIM_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "sagetrim"
    return Path.home() / ".local" / "state" / "sagetrim"


class LocalStore(StateStore):
    """A directory: one file per key, written atomically (temporary file, fsync, rename); a stream is one
    JSON Lines file appended under an exclusive lock.

    Args:
        root: the directory; created on the first write.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root if root is not None else default_state_dir()).expanduser()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_check_key(key).split("/"))

    def _mkdir(self, path: Path) -> None:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put_json(self, key: str, doc: dict[str, Any]) -> None:
        path = self._path(key)
        data = json.dumps(doc, indent=1, sort_keys=True).encode()
        tmp: str | None = None
        try:
            self._mkdir(path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            Path(tmp).replace(path)
            tmp = None
        except OSError as exc:
            raise StoreError(f"could not write {path}: {exc.strerror or exc}") from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    Path(tmp).unlink()

    def get_json(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"could not read {path}: {exc.strerror or exc}") from exc
        doc, why = _why_unreadable(raw)
        if why is not None:
            raise StoreError(f"{path} is {why}")
        if not isinstance(doc, dict):
            raise StoreError(f"{path} does not hold a JSON object")
        return doc

    def list_keys(self, prefix: str) -> list[str]:
        # Walk only the deepest directory the prefix names.
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root.joinpath(*base.split("/")) if base else self.root
        if not start.is_dir():
            return []
        try:
            keys = [
                p.relative_to(self.root).as_posix()
                for p in start.rglob("*")
                if p.is_file() and not p.name.startswith(".tmp-")
            ]
        except OSError as exc:
            raise StoreError(f"could not list {start}: {exc.strerror or exc}") from exc
        return sorted(k for k in keys if k.startswith(prefix))

    def _stream_path(self, stream: str) -> Path:
        return self._path(f"{stream}.jsonl")

    def append_record(self, stream: str, record: dict[str, Any], when: datetime, *, once: str | None = None) -> bool:
        """Append one line under an exclusive lock, checked: every byte is written and synced, or the file is
        cut back to its length before, so a full disk or a short write never leaves half a line. A line a
        crash left without its newline gets one first, so a new record never glues onto it. With ``once``,
        the file is searched under the same lock for a record carrying it."""
        path = self._stream_path(stream)
        if _check_once(once) is not None:
            record = {**record, ONCE_FIELD: once}
        line = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
        try:
            self._mkdir(path.parent)
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"could not append to {path}: {exc.strerror or exc}") from exc
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if once is not None and _holds_once(os.pread(fd, size, 0), once):
                return False
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            try:
                _write_all(fd, line)
                os.fsync(fd)
            except OSError as exc:
                raise StoreError(f"could not append to {path}: {exc.strerror or exc}; "
                                 f"{_cut_back(fd, size)}") from exc
        except OSError as exc:
            raise StoreError(f"could not append to {path}: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)  # closing releases the lock
        return True

    def read_stream(self, stream: str, since: datetime | None = None) -> StreamRead:
        path = self._stream_path(stream)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return StreamRead()
        except OSError as exc:
            raise StoreError(f"could not read {path}: {exc.strerror or exc}") from exc
        out = StreamRead()
        for number, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            where = f"line {number}"
            doc, why = _why_unreadable(raw)
            if why is None:
                out.records.append(StoredRecord(where, doc))
            else:
                out.unreadable.append(Unreadable(where, why))
        return out

    def location(self, key: str = "") -> str:
        return str(self.root.joinpath(*key.strip("/").split("/"))) if key.strip("/") else str(self.root)

    def stream_location(self, stream: str) -> str:
        return str(self._stream_path(stream))


def _holds_once(data: bytes, once: str) -> bool:
    """Whether a JSON Lines stream holds a record whose :data:`ONCE_FIELD` is ``once``."""
    needle = once.encode()
    for raw in data.split(b"\n"):
        if needle in raw:
            doc, _ = _why_unreadable(raw)
            if isinstance(doc, dict) and doc.get(ONCE_FIELD) == once:
                return True
    return False


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte; a write that makes no progress is a full disk."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, "no space left on device (short write)")
        view = view[written:]


def _cut_back(fd: int, size: int) -> str:
    """Truncate a stream file back to ``size`` after a failed append; says what was left."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError as exc:
        return (f"the partial line could not be removed ({exc.strerror or exc}); readers skip it and the next "
                "record starts on a new line")
    return "nothing of the record was kept"


class S3Store(StateStore):
    """An S3 prefix: one object per key; a stream is one object per record under
    ``STREAM/YYYY/MM/DD/``, so concurrent runs (e.g. Lambda invocations) never overwrite one another.

    S3 has no append, but a PutObject is atomic: a record object exists whole or not at all. Each record's
    key is new (time and a random part) and written with ``If-None-Match: *``, so a retried PutObject whose
    first attempt landed neither overwrites nor duplicates it.

    Args:
        s3: a boto3 S3 client.
        bucket: the bucket name.
        prefix: the key prefix inside the bucket (no leading or trailing slash needed).
    """

    def __init__(self, s3: Any, bucket: str, prefix: str = "") -> None:
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _object_key(self, key: str) -> str:
        return self.prefix + _check_key(key)

    def _fail(self, verb: str, key: str, exc: Exception) -> StoreError:
        return StoreError(f"could not {verb} {self.location(key)}: {error_text(exc)}")

    def put_json(self, key: str, doc: dict[str, Any]) -> None:
        body = json.dumps(doc, indent=1, sort_keys=True).encode()
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=body,
                               ContentType="application/json")
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("write", key, exc) from exc

    def _get_bytes(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""
        try:
            body: bytes = self.s3.get_object(Bucket=self.bucket, Key=self._object_key(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise self._fail("read", key, exc) from exc
        except BotoCoreError as exc:
            raise self._fail("read", key, exc) from exc
        return body

    def get_json(self, key: str) -> dict[str, Any] | None:
        raw = self._get_bytes(key)
        if raw is None:
            return None
        doc, why = _why_unreadable(raw)
        if why is not None:
            raise StoreError(f"{self.location(key)} is {why}")
        if not isinstance(doc, dict):
            raise StoreError(f"{self.location(key)} does not hold a JSON object")
        return doc

    def _list(self, prefix: str, start_after: str | None = None) -> list[str]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix + prefix}
        if start_after:
            kwargs["StartAfter"] = self.prefix + start_after
        keys: list[str] = []
        try:
            for page in self.s3.get_paginator("list_objects_v2").paginate(**kwargs):
                keys.extend(obj["Key"][len(self.prefix):] for obj in page.get("Contents", []))
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("list", prefix, exc) from exc
        return sorted(keys)

    def list_keys(self, prefix: str) -> list[str]:
        return self._list(prefix)

    def append_record(self, stream: str, record: dict[str, Any], when: datetime, *, once: str | None = None) -> bool:
        """One object per record, under a key of its time and a random part (or ``once``, so that racing
        writers of one id meet at one key), written with ``If-None-Match: *``."""
        key = f"{stream}/{_day_path(when)}/{_record_name(when, _check_once(once))}"
        if once is not None:
            record = {**record, ONCE_FIELD: once}
        body = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=body,
                               ContentType="application/json", IfNoneMatch="*")
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "PreconditionFailed":
                # The key is unique to this record, or to its `once`: an earlier attempt of this very put
                # landed, or another writer's record with the same `once` did.
                return once is None
            if code == "ConditionalRequestConflict" and once is not None:
                return False  # another writer's put of this key is in flight and will land
            raise self._fail("write", key, exc) from exc
        except BotoCoreError as exc:
            raise self._fail("write", key, exc) from exc
        return True

    def _read_record(self, key: str) -> StoredRecord | Unreadable | None:
        raw = self._get_bytes(key)
        if raw is None:
            return None
        where = self.location(key)
        doc, why = _why_unreadable(raw)
        return StoredRecord(where, doc) if why is None else Unreadable(where, why)

    def read_stream(self, stream: str, since: datetime | None = None) -> StreamRead:
        # Keys sort by day, so listing can start at the day of `since`.
        start_after = f"{stream}/{_day_path(since)}" if since is not None else None
        keys = [k for k in self._list(f"{stream}/", start_after) if k.endswith(".json")]
        with ThreadPoolExecutor(max_workers=_S3_READERS) as pool:
            read = list(pool.map(self._read_record, keys))
        out = StreamRead()
        for item in read:
            if isinstance(item, StoredRecord):
                out.records.append(item)
            elif isinstance(item, Unreadable):
                out.unreadable.append(item)
        return out

    def location(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"


def open_store(uri: str | None, session: boto3.Session | None = None) -> StateStore:
    """The state store a URI names.

    Args:
        uri: ``s3://BUCKET/PREFIX``, a directory (``file://`` optional), or None for the default
            directory (see :func:`default_state_dir`).
        session: the boto3 session for an S3 store.

    Returns:
        A :class:`LocalStore` or an :class:`S3Store`.

    Raises:
        UsageError: the URI is neither an S3 location nor a directory.
    """
    if uri is None or not uri.strip():
        return LocalStore(default_state_dir())
    uri = uri.strip()
    if uri.startswith("s3://"):
        bucket, _, prefix = uri[len("s3://"):].partition("/")
        if not _BUCKET.match(bucket):
            raise UsageError(f"the state location {uri!r} does not name a valid S3 bucket; "
                             "write it as s3://BUCKET/PREFIX, e.g. s3://my-sagetrim-state/prod")
        if session is None:
            import boto3

            session = boto3.Session()
        s3 = client(session, "s3", default_region(session))
        return S3Store(s3, bucket, prefix)
    if uri.startswith("file://"):
        uri = uri[len("file://"):]
    elif "://" in uri:
        scheme = uri.split("://", 1)[0]
        raise UsageError(f"the state location {uri!r} uses {scheme}://, which sagetrim cannot store to; "
                         "give a directory or s3://BUCKET/PREFIX")
    path = Path(uri).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"the state location {uri!r} is a file; give a directory or s3://BUCKET/PREFIX")
    return LocalStore(path)
