"""`sagetrim prices refresh`: read real prices from the AWS Price List API into the user's cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.catalog.cache import PriceCache
from sagetrim.catalog.catalog import Catalog
from sagetrim.catalog.model import Usage
from sagetrim.catalog.pricelist import SERVICE_CODE, parse_products
from sagetrim.errors import CatalogError, CollectionError

if TYPE_CHECKING:
    from mypy_boto3_pricing import PricingClient

# The Price List API answers from a few regions only; us-east-1 serves every region's prices.
PRICE_LIST_API_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class PriceChange:
    """One price that differs from what sagetrim used before the refresh."""

    usage: str
    instance_type: str
    before: float | None
    after: float
    before_exact: bool


@dataclass
class RefreshResult:
    """What one region's refresh read and changed."""

    region: str
    records: int
    used: int
    prices: int
    path: str
    changes: list[PriceChange] = field(default_factory=list)
    unchanged: int = 0


def fetch_region(client: PricingClient, region: str) -> tuple[list[str], int]:
    """Every GetProducts record of SageMaker in one region, at the maximum page size."""
    items: list[str] = []
    pages = 0
    paginator = client.get_paginator("get_products")
    for page in paginator.paginate(
        ServiceCode=SERVICE_CODE,
        Filters=[{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
        FormatVersion="aws_v1",
        PaginationConfig={"PageSize": 100},
    ):
        pages += 1
        items.extend(page.get("PriceList", []))
    return items, pages


def refresh_region(client: PricingClient, catalog: Catalog, cache: PriceCache, region: str,
                   now: datetime | None = None) -> RefreshResult:
    """Read one region's prices, compare them with what the catalog gave so far, and cache them."""
    catalog.check_region(region)
    try:
        items, _ = fetch_region(client, region)
    except (ClientError, BotoCoreError) as exc:
        raise CollectionError(f"could not read the Price List API for {region}: {exc}") from exc
    fetched = (now or datetime.now(UTC)).date().isoformat()
    fresh, used = parse_products(region, fetched, items)
    if used == 0:
        raise CollectionError(
            f"the Price List API returned no SageMaker prices for {region} ({len(items)} records); "
            "the cache was left as it was."
        )
    result = RefreshResult(region=region, records=len(items), used=used,
                           prices=sum(len(t) for t in fresh.instances.values()), path="")
    for usage_name, per_type in sorted(fresh.instances.items()):
        usage = Usage(usage_name)
        for name, usd in sorted(per_type.items()):
            before = _current(catalog, name, region, usage)
            if before is not None and abs(before[0] - usd) < 1e-9:
                result.unchanged += 1
                continue
            result.changes.append(PriceChange(usage_name, name, before[0] if before else None, usd,
                                              before[1] if before else False))
    result.path = str(cache.save(fresh))
    return result


def _current(catalog: Catalog, name: str, region: str, usage: Usage) -> tuple[float, bool] | None:
    try:
        inst = catalog.instance(name)
    except CatalogError:  # a type the API prices but this catalog does not know yet
        return None
    if usage.value not in inst.usages:
        return None
    price = catalog.price(name, region, usage)
    return price.usd, price.exact


def summarize(result: RefreshResult) -> dict[str, Any]:
    """A JSON-ready summary of one region's refresh."""
    return {
        "region": result.region, "records": result.records, "records_used": result.used,
        "instance_prices": result.prices, "unchanged": result.unchanged, "changed": len(result.changes),
        "cache": result.path,
        "changes": [
            {"usage": c.usage, "instance_type": c.instance_type, "before": c.before, "after": c.after,
             "before_exact": c.before_exact}
            for c in result.changes
        ],
    }
