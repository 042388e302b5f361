"""The price catalog: instance types and prices, from the user's cache first, then the snapshot."""

from __future__ import annotations

import difflib
import fnmatch
import json
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sagetrim.catalog.cache import PriceCache, RegionPrices
from sagetrim.catalog.model import Accelerator, InstanceType, Price, Usage
from sagetrim.errors import CatalogError

PRICE_LIST_SOURCE = "AWS Price List API (AmazonSageMaker)"
STORAGE_USAGE_FALLBACK = {Usage.SPOT_TRAINING: Usage.TRAINING}


@cache
def _load_snapshot() -> dict[str, Any]:
    text = resources.files("sagetrim.catalog").joinpath("data/snapshot.json").read_text()
    doc: dict[str, Any] = json.loads(text)
    return doc


def suggest(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """' Did you mean a, b?' for the closest candidates, or ''."""
    close = difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)
    return f" Did you mean {', '.join(close)}?" if close else ""


def parse_usage(value: str) -> Usage:
    """The Usage named by `value`, or a CatalogError listing the valid names."""
    try:
        return Usage(value)
    except ValueError:
        valid = ", ".join(u.value for u in Usage)
        raise CatalogError(f"unknown usage {value!r}; use one of: {valid}.") from None


class Catalog:
    """Every `ml.*` instance type with its shape, the usages it is valid for, and its prices.

    Prices come from the user's cache (written by `sagetrim prices refresh`, exact) when it has
    them, else from the bundled dated snapshot (exact where AWS published the number, otherwise an
    approximation that says how it was derived).
    """

    def __init__(self, snapshot: dict[str, Any], cache: PriceCache | None = None) -> None:
        self._snap = snapshot
        self._cache = cache
        self._cached: dict[str, RegionPrices | None] = {}
        self.snapshot_date: str = snapshot["snapshot_date"]
        self.spot_training_discount: float = snapshot["spot_training_discount"]
        self._types = {name: _instance_type(name, doc) for name, doc in snapshot["types"].items()}

    # -- instance types ---------------------------------------------------------------------------

    def types(self) -> list[InstanceType]:
        return list(self._types.values())

    def instance(self, name: str) -> InstanceType:
        """The instance type called `name`; an unknown name gets the closest names suggested."""
        found = self._types.get(name)
        if found is not None:
            return found
        if not name.startswith("ml.") and f"ml.{name}" in self._types:
            return self._types[f"ml.{name}"]
        raise CatalogError(
            f"unknown instance type {name!r}.{suggest(name, self._types)} "
            "`sagetrim prices` lists every type."
        )

    def match(self, pattern: str) -> list[InstanceType]:
        """Types matching a glob (`ml.g5.*`), an exact name, or a substring (`g5.`)."""
        if any(ch in pattern for ch in "*?["):
            return [t for n, t in self._types.items() if fnmatch.fnmatchcase(n, pattern)]
        if pattern in self._types or f"ml.{pattern}" in self._types:
            return [self.instance(pattern)]
        hits = [t for n, t in self._types.items() if pattern in n]
        if not hits:
            raise CatalogError(
                f"no instance type matches {pattern!r}.{suggest(pattern, self._types)} "
                "Patterns are substrings (g5.) or globs (ml.g5.*)."
            )
        return hits

    def check_usage(self, instance: InstanceType, usage: Usage) -> None:
        """Raise unless SageMaker accepts `instance` for `usage`."""
        if usage.value not in instance.usages:
            valid = ", ".join(sorted(u for u in instance.usages if u in Usage.__members__.values()))
            raise CatalogError(
                f"{instance.name} cannot be used for {usage.value}: SageMaker accepts it for {valid}. "
                f"`sagetrim prices --usage {usage.value}` lists the types that can."
            )

    # -- regions ----------------------------------------------------------------------------------

    def regions(self) -> list[str]:
        return sorted(self._snap["regions"])

    def region_name(self, region: str) -> str:
        return str(self._snap["regions"][self.check_region(region)]["name"])

    def usage_type_prefix(self, region: str) -> str:
        return str(self._snap["regions"][self.check_region(region)]["usage_type_prefix"])

    def check_region(self, region: str) -> str:
        if region not in self._snap["regions"]:
            raise CatalogError(f"no prices for region {region!r}.{suggest(region, self._snap['regions'])}")
        return region

    # -- prices -----------------------------------------------------------------------------------

    def refreshed(self, region: str) -> RegionPrices | None:
        """The exact prices `prices refresh` cached for `region`, if any."""
        if self._cache is None:
            return None
        if region not in self._cached:
            self._cached[region] = self._cache.load(region)
        return self._cached[region]

    def price(self, instance_type: str, region: str, usage: Usage) -> Price:
        """The on-demand price per instance-hour of a type, in a region, for a usage."""
        instance = self.instance(instance_type)
        self.check_region(region)
        self.check_usage(instance, usage)
        if usage is Usage.SPOT_TRAINING:
            on_demand = self.price(instance.name, region, Usage.TRAINING)
            keep = 1 - self.spot_training_discount
            return Price(
                usd=round(on_demand.usd * keep, 6), unit="hour", source=on_demand.source,
                date=on_demand.date, exact=False,
                basis=f"on-demand training price x (1 - {self.spot_training_discount:.0%} typical "
                "managed spot saving); spot billing varies",
            )
        fresh = self.refreshed(region)
        if fresh is not None and instance.name in fresh.instances.get(usage.value, {}):
            return Price(
                usd=fresh.instances[usage.value][instance.name], unit="hour", source=PRICE_LIST_SOURCE,
                date=fresh.fetched, exact=True, basis=f"{usage.value} list price",
            )
        usd, source_id, *basis = self._snap["base_prices"][region][instance.name]
        source = self._snap["sources"][source_id]
        if source_id == "pricing-page":
            if usage is Usage.STUDIO:
                return Price(usd, "hour", source["title"], source["date"], True, "Studio notebook list price")
            return Price(
                usd, "hour", source["title"], source["date"], False,
                f"Studio notebook price of {instance.name}; SageMaker prices the same type alike "
                f"across usages in most regions. `sagetrim prices refresh --region {region}` reads the "
                f"exact {usage.value} price",
            )
        return Price(usd, "hour", self._snap["sources"]["estimate"]["title"], source["date"], False, basis[0])

    def storage_price(self, region: str, usage: Usage) -> Price:
        """ML storage (general purpose SSD) per GB-month for the volumes of a usage."""
        self.check_region(region)
        usage = STORAGE_USAGE_FALLBACK.get(usage, usage)
        fresh = self.refreshed(region)
        if fresh is not None and usage.value in fresh.storage:
            return Price(fresh.storage[usage.value], "GB-month", PRICE_LIST_SOURCE, fresh.fetched, True,
                         f"ML storage, {usage.value}")
        return self._estimate(self._snap["storage_usd_per_gb_month"][usage.value], region, "GB-month",
                              f"ML storage, {usage.value}")

    def data_processed_price(self, region: str, direction: str) -> Price:
        """Endpoint data processed, per GB, `direction` "in" or "out"."""
        self.check_region(region)
        fresh = self.refreshed(region)
        if fresh is not None and direction in fresh.data_processed:
            return Price(fresh.data_processed[direction], "GB", PRICE_LIST_SOURCE, fresh.fetched, True,
                         f"hosting data processed {direction}")
        return self._estimate(self._snap["data_processed_usd_per_gb"][direction], region, "GB",
                              f"hosting data processed {direction}")

    def serverless_price(self, region: str) -> Price:
        """Serverless inference compute, per GB of configured memory per second."""
        self.check_region(region)
        fresh = self.refreshed(region)
        if fresh is not None and fresh.serverless_usd_per_gb_second is not None:
            return Price(fresh.serverless_usd_per_gb_second, "GB-second", PRICE_LIST_SOURCE, fresh.fetched,
                         True, "serverless inference compute")
        return self._estimate(self._snap["serverless_usd_per_gb_second"], region, "GB-second",
                              "serverless inference compute")

    def canvas_price(self, region: str) -> Price:
        """A SageMaker Canvas workspace instance, per hour logged in (session-hour): the pricing page's figure in
        us-east-1, scaled by the region's price ratio elsewhere (an estimate)."""
        self.check_region(region)
        usd = float(self._snap["canvas_workspace_usd_per_hour"])
        if region == "us-east-1":
            source = self._snap["sources"]["canvas-pricing-page"]
            return Price(usd, "hour", source["title"], source["date"], True, "Canvas workspace instance list price")
        return self._estimate(usd, region, "hour", "Canvas workspace instance")

    def _estimate(self, us_east_1_usd: float, region: str, unit: str, what: str) -> Price:
        ratio = float(self._snap["regions"][region]["price_ratio"])
        usd = round(us_east_1_usd * ratio, 6)
        basis = f"{what}: us-east-1 list price" + ("" if ratio == 1 else f" x region price ratio {ratio}")
        source = self._snap["sources"]["estimate"]
        return Price(usd, unit, source["title"], source["date"], False, basis)

    def snapshot_prices(self, region: str) -> Iterator[tuple[str, float, bool]]:
        """(type, snapshot base USD/h, exact) for every type in a region."""
        for name, (usd, source_id, *_) in self._snap["base_prices"][self.check_region(region)].items():
            yield name, usd, source_id == "pricing-page"


def _instance_type(name: str, doc: dict[str, Any]) -> InstanceType:
    acc = doc["accelerator"]
    return InstanceType(
        name=name, family=doc["family"], size=doc["size"], category=doc["category"], vcpu=doc["vcpu"],
        memory_gib=float(doc["memory_gib"]), arch=doc["arch"],
        accelerator=Accelerator(acc["kind"], acc["model"], acc["count"], float(acc["memory_gib"])) if acc else None,
        usages=frozenset(doc["usages"]),
    )


def load_catalog(cache_dir: Path | None = None, *, use_cache: bool = True) -> Catalog:
    """The catalog backed by the bundled snapshot and, unless disabled, the user's price cache."""
    return Catalog(_load_snapshot(), PriceCache(cache_dir) if use_cache else None)
