"""Burn rates and month-to-date costs of resources, from the catalog and the pricing model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sagetrim.catalog import Catalog, Usage
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.errors import CatalogError


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start of the calendar month of `now` and start of the next one, in UTC."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return start, nxt


@dataclass(frozen=True, slots=True)
class Rate:
    """A per-hour rate; ``unknown`` says why there is none (then ``usd_per_hour`` is 0 and means nothing)."""

    usd_per_hour: float
    exact: bool
    unknown: str | None = None


class Pricer:
    """Prices resources of one region at one moment."""

    def __init__(self, catalog: Catalog, region: str, now: datetime) -> None:
        self.catalog = catalog
        self.region = region if region in catalog.regions() else "us-east-1"
        self.now = now
        self.month_start, self.month_end = month_bounds(now)

    def instance(self, instance_type: str | None, usage: Usage, count: int = 1) -> Rate:
        """Per-hour rate of `count` instances; a type the catalog has no price for is an unknown rate."""
        if not instance_type or count <= 0:
            return Rate(0.0, True)
        try:
            price = self.catalog.price(instance_type, self.region, usage)
        except CatalogError:
            try:  # a type the API accepts here but the catalog lists under another usage
                price = self.catalog.price(instance_type, self.region, Usage.HOSTING)
            except CatalogError:
                return Rate(0.0, False, f"the catalog has no {usage.value} price for {instance_type} in "
                                        f"{self.region}")
        return Rate(price.usd * count, price.exact)

    def canvas(self) -> Rate:
        """Per-hour rate of a Canvas app's workspace instance (while logged in)."""
        price = self.catalog.canvas_price(self.region)
        return Rate(price.usd, price.exact)

    def storage(self, gb: float, usage: Usage, count: int = 1) -> Rate:
        if gb <= 0 or count <= 0:
            return Rate(0.0, True)
        price = self.catalog.storage_price(self.region, usage)
        return Rate(gb * count * price.usd / HOURS_PER_MONTH, price.exact)

    def accrue(self, usd_per_hour: float, since: datetime | None) -> tuple[float, float]:
        """(month-to-date, projected month) of a burn rate that has applied since `since`."""
        start = max(since, self.month_start) if since else self.month_start
        hours_so_far = max(0.0, (self.now - start).total_seconds() / 3600)
        hours_left = max(0.0, (self.month_end - self.now).total_seconds() / 3600)
        mtd = usd_per_hour * hours_so_far
        return mtd, mtd + usd_per_hour * hours_left
