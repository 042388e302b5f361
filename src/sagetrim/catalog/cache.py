"""The user's price cache: prices read from the AWS Price List API by `sagetrim prices refresh`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """`$SAGETRIM_CACHE_DIR`, else `$XDG_CACHE_HOME/sagetrim`, else `~/.cache/sagetrim`."""
    explicit = os.environ.get("SAGETRIM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "sagetrim"


@dataclass
class RegionPrices:
    """Exact prices of one region as read from the Price List API."""

    region: str
    fetched: str  # ISO date of the refresh
    instances: dict[str, dict[str, float]] = field(default_factory=dict)  # usage -> type -> USD/h
    storage: dict[str, float] = field(default_factory=dict)  # usage -> USD per GB-month
    data_processed: dict[str, float] = field(default_factory=dict)  # "in"/"out" -> USD per GB
    serverless_usd_per_gb_second: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CACHE_FORMAT,
            "region": self.region,
            "fetched": self.fetched,
            "instances": self.instances,
            "storage": self.storage,
            "data_processed": self.data_processed,
            "serverless_usd_per_gb_second": self.serverless_usd_per_gb_second,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RegionPrices:
        return cls(
            region=doc["region"],
            fetched=doc["fetched"],
            instances={u: dict(t) for u, t in doc.get("instances", {}).items()},
            storage=dict(doc.get("storage", {})),
            data_processed=dict(doc.get("data_processed", {})),
            serverless_usd_per_gb_second=doc.get("serverless_usd_per_gb_second"),
        )


class PriceCache:
    """One JSON file per region under `<cache dir>/prices/`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_cache_dir()) / "prices"

    def path(self, region: str) -> Path:
        return self.root / f"{region}.json"

    def load(self, region: str) -> RegionPrices | None:
        """The cached prices of a region, or None; an unreadable file counts as absent."""
        try:
            doc = json.loads(self.path(region).read_text())
        except (OSError, ValueError):
            return None
        if doc.get("format") != CACHE_FORMAT:
            return None
        return RegionPrices.from_json(doc)

    def save(self, prices: RegionPrices) -> Path:
        """Write atomically, so a reader never sees half a file."""
        path = self.path(prices.region)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(prices.to_json(), indent=1, sort_keys=True))
        tmp.replace(path)
        return path
