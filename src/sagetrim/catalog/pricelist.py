"""The AWS Price List API's `GetProducts` records for SageMaker: reading them, and writing them.

Reading turns the records of one region into `RegionPrices`. Writing renders the catalog's own
prices in the same shape, which is what the simulated account's Price List API serves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sagetrim.catalog.cache import RegionPrices
from sagetrim.catalog.catalog import Catalog
from sagetrim.catalog.model import COMPONENT_OF_USAGE, USAGE_OF_COMPONENT, Usage

SERVICE_CODE = "AmazonSageMaker"
ON_DEMAND_TERM = "JRTCKXETXF"
PRICE_DIMENSION = "6YS6EN2CT7"
VOLUME_USAGE = {
    "General Purpose-Notebook": Usage.NOTEBOOK,
    "General Purpose-Training": Usage.TRAINING,
    "General Purpose-Processing": Usage.PROCESSING,
    "General Purpose-Hosting": Usage.HOSTING,
}
USAGE_TYPE_STAGE = {
    Usage.NOTEBOOK: "Notebk", Usage.STUDIO: "Studio:KernelGateway-", Usage.TRAINING: "Train",
    Usage.PROCESSING: "Processing", Usage.TRANSFORM: "Tsform", Usage.HOSTING: "Host",
}
SERVERLESS_MEMORY = re.compile(r"Mem-(\d+)GB")


def first_on_demand_usd(record: dict[str, Any]) -> tuple[float, str, str] | None:
    """(USD, unit, effective date) of the first tier of a record's on-demand term, or None."""
    for term in record.get("terms", {}).get("OnDemand", {}).values():
        dims = sorted(term.get("priceDimensions", {}).values(), key=lambda d: float(d.get("beginRange", 0)))
        for dim in dims:
            usd = dim.get("pricePerUnit", {}).get("USD")
            if usd is not None:
                return float(usd), str(dim.get("unit", "")), str(term.get("effectiveDate", ""))[:10]
    return None


def parse_products(region: str, fetched: str, items: Iterable[str | dict[str, Any]]) -> tuple[RegionPrices, int]:
    """Read GetProducts `PriceList` items of one region. Returns the prices and how many were used."""
    prices = RegionPrices(region=region, fetched=fetched)
    used = 0
    serverless: list[float] = []
    for item in items:
        record = json.loads(item) if isinstance(item, str) else item
        product = record.get("product", {})
        attrs = product.get("attributes", {})
        if attrs.get("regionCode", region) != region:
            continue
        found = first_on_demand_usd(record)
        if found is None or found[0] <= 0:
            continue
        usd = found[0]
        family = product.get("productFamily")
        if family == "ML Instance":
            usage = USAGE_OF_COMPONENT.get(attrs.get("component", ""))
            name = attrs.get("instanceName") or attrs.get("instanceType", "").split("-")[0]
            if usage is None or not name.startswith("ml."):
                continue
            prices.instances.setdefault(usage.value, {})[name] = usd
        elif family == "Storage" and attrs.get("volumeType") in VOLUME_USAGE:
            prices.storage[VOLUME_USAGE[attrs["volumeType"]].value] = usd
        elif attrs.get("group") in ("Hosting:IN", "Hosting:OUT"):
            prices.data_processed[attrs["group"].split(":")[1].lower()] = usd
        elif attrs.get("group") == "ServerlessInf" or family == "ML Serverless":
            mem = SERVERLESS_MEMORY.search(attrs.get("usagetype", ""))
            if mem is None:
                continue
            serverless.append(usd / int(mem.group(1)))
        else:
            continue
        used += 1
    if serverless:
        prices.serverless_usd_per_gb_second = min(serverless)
    return prices, used


# -- rendering -------------------------------------------------------------------------------------

def _record(sku: str, family: str, attrs: dict[str, str], usd: float, unit: str, description: str,
            date: str) -> dict[str, Any]:
    term = f"{sku}.{ON_DEMAND_TERM}"
    return {
        "product": {"productFamily": family, "attributes": attrs, "sku": sku},
        "serviceCode": SERVICE_CODE,
        "terms": {"OnDemand": {term: {
            "priceDimensions": {f"{term}.{PRICE_DIMENSION}": {
                "unit": unit, "endRange": "Inf", "description": description, "appliesTo": [],
                "rateCode": f"{term}.{PRICE_DIMENSION}", "beginRange": "0",
                "pricePerUnit": {"USD": f"{usd:.10f}"},
            }},
            "sku": sku, "effectiveDate": f"{date}T00:00:00Z", "offerTermCode": ON_DEMAND_TERM,
            "termAttributes": {},
        }}},
        "version": date.replace("-", ""),
        "publicationDate": f"{date}T00:00:00Z",
    }


def _sku(*parts: str) -> str:
    import hashlib

    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16].upper()


def render_products(catalog: Catalog, regions: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every SageMaker price of the catalog as GetProducts records (instances, storage, data)."""
    date = catalog.snapshot_date
    for region in regions or catalog.regions():
        loc = catalog.region_name(region)
        prefix = catalog.usage_type_prefix(region)
        base = {"servicecode": SERVICE_CODE, "servicename": "Amazon SageMaker", "location": loc,
                "locationType": "AWS Region", "regionCode": region}
        for inst in catalog.types():
            for usage, component in COMPONENT_OF_USAGE.items():
                if usage.value not in inst.usages:
                    continue
                usd = catalog.price(inst.name, region, usage).usd
                acc = inst.accelerator
                attrs = {
                    **base, "instanceName": inst.name, "instanceType": f"{inst.name}-{component}",
                    "component": component, "operation": "RunInstance",
                    "usagetype": f"{prefix}-{USAGE_TYPE_STAGE[usage]}"
                                 f"{'' if usage is Usage.STUDIO else ':'}{inst.name}",
                    "vCpu": str(inst.vcpu), "memory": f"{inst.memory_gib:g} GiB",
                    "gpu": str(inst.gpu_count), "gpuMemory": f"{acc.memory_gib:g}" if acc else "0",
                }
                yield _record(_sku(region, inst.name, component), "ML Instance", attrs, usd, "Hrs",
                              f"${usd} per {component} {inst.name} in {loc}", date)
        for volume, usage in VOLUME_USAGE.items():
            usd = catalog.storage_price(region, usage).usd
            stage = USAGE_TYPE_STAGE[usage]
            attrs = {**base, "volumeType": volume, "operation": "CreateVolume-Gp2",
                     "usagetype": f"{prefix}-{stage}:VolumeUsage.gp2"}
            yield _record(_sku(region, volume), "Storage", attrs, usd, "GB-Mo",
                          f"${usd} per GB-month of {volume} in {loc}", date)
        for direction in ("in", "out"):
            usd = catalog.data_processed_price(region, direction).usd
            attrs = {**base, "group": f"Hosting:{direction.upper()}", "operation": "Invoke-Endpoint",
                     "usagetype": f"{prefix}-Hst:Data-Bytes-{direction.capitalize()}"}
            yield _record(_sku(region, direction), "Data Transfer", attrs, usd, "GB",
                          f"${usd} per GB data processed {direction} in {loc}", date)
        per_gb_s = catalog.serverless_price(region).usd
        for mem in range(1, 7):
            usd = round(per_gb_s * mem, 10)
            attrs = {**base, "group": "ServerlessInf", "operation": "Serverless",
                     "usagetype": f"{prefix}-ServerlessInf:Mem-{mem}GB"}
            yield _record(_sku(region, f"mem{mem}"), "ML Serverless", attrs, usd, "Second",
                          f"${usd} per second of {mem} GB serverless inference in {loc}", date)


def matches(record: dict[str, Any], filters: Iterable[dict[str, str]]) -> bool:
    """Whether a record satisfies GetProducts TERM_MATCH filters (attribute, serviceCode, productFamily)."""
    product = record["product"]
    for flt in filters:
        field, value = flt["Field"], flt["Value"]
        if field == "serviceCode":
            actual = record["serviceCode"]
        elif field == "productFamily":
            actual = product["productFamily"]
        elif field == "sku":
            actual = product["sku"]
        else:
            actual = product["attributes"].get(field)
        if flt.get("Type", "TERM_MATCH") != "TERM_MATCH":
            raise ValueError(f"filter type {flt.get('Type')!r} is not supported")
        if actual is None or actual.lower() != value.lower():
            return False
    return True
