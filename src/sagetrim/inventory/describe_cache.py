"""Describe results kept between scans, keyed by the resource's LastModifiedTime and status.

A list call already tells whether a resource changed; only what changed is described again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from sagetrim.catalog.cache import default_cache_dir

FORMAT = 1


class DescribeCache:
    """One JSON file per (endpoint URL, account, region); entries are small extracted dicts."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, dict[str, Any]]] = {}
        self._dirty = False
        if path is not None:
            try:
                doc = json.loads(path.read_text())
                if doc.get("format") == FORMAT:
                    self._data = doc["entries"]
            except (OSError, ValueError, KeyError):
                self._data = {}

    @classmethod
    def for_target(cls, endpoint_url: str | None, account: str, region: str, enabled: bool = True) -> DescribeCache:
        if not enabled:
            return cls(None)
        where = hashlib.sha1((endpoint_url or "aws").encode()).hexdigest()[:10]
        return cls(default_cache_dir() / "describe" / where / account / f"{region}.json")

    def get(self, kind: str, key: str, stamp: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._data.get(kind, {}).get(key)
        if entry is not None and entry.get("stamp") == stamp:
            value: dict[str, Any] = entry["value"]
            return value
        return None

    def put(self, kind: str, key: str, stamp: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._data.setdefault(kind, {})[key] = {"stamp": stamp, "value": value}
            self._dirty = True

    def retain(self, kind: str, keys: set[str]) -> None:
        """Forget entries of resources that are gone."""
        with self._lock:
            current = self._data.get(kind, {})
            gone = [k for k in current if k not in keys]
            for k in gone:
                del current[k]
            self._dirty = self._dirty or bool(gone)

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            with self._lock:
                tmp.write_text(json.dumps({"format": FORMAT, "entries": self._data}, default=str))
            tmp.replace(self.path)
        except OSError:
            pass  # a cache that cannot be written only costs calls next time
