"""The Price List API of the simulated account, served from the bundled price snapshot."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sagetrim.catalog.catalog import Catalog, _load_snapshot
from sagetrim.catalog.pricelist import SERVICE_CODE, matches, render_products
from sagetrim.sim.wire import SimServiceError

MAX_RESULTS = 100


@cache
def _records() -> tuple[dict[str, Any], ...]:
    return tuple(render_products(Catalog(_load_snapshot(), None)))


def handle(operation: str, body: dict[str, Any], region: str) -> dict[str, Any]:
    """AWSPriceListService over JSON: GetProducts, DescribeServices and GetAttributeValues for SageMaker."""
    if region not in ("us-east-1", "ap-south-1", "eu-central-1"):
        raise SimServiceError("UnknownOperationException", f"the Price List API has no endpoint in {region}")
    if operation == "DescribeServices":
        return {"Services": [{"ServiceCode": SERVICE_CODE, "AttributeNames": ["regionCode", "instanceName",
                                                                              "component", "productFamily"]}],
                "FormatVersion": "aws_v1"}
    if body.get("ServiceCode") != SERVICE_CODE:
        raise SimServiceError("InvalidParameterException", f"unknown service code {body.get('ServiceCode')!r}")
    if operation == "GetAttributeValues":
        name = body.get("AttributeName", "")
        values = sorted({r["product"]["attributes"].get(name) for r in _records()} - {None})
        return {"AttributeValues": [{"Value": v} for v in values]}
    if operation != "GetProducts":
        raise SimServiceError("UnknownOperationException", f"{operation} is not supported by the sim")
    limit = int(body.get("MaxResults") or MAX_RESULTS)
    if not 1 <= limit <= MAX_RESULTS:
        raise SimServiceError("InvalidParameterException", f"MaxResults must be between 1 and {MAX_RESULTS}")
    filters = body.get("Filters") or []
    try:
        found = [r for r in _records() if matches(r, filters)]
    except ValueError as exc:
        raise SimServiceError("InvalidParameterException", str(exc)) from None
    start = int(body.get("NextToken") or 0)
    page = found[start:start + limit]
    out: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(r) for r in page]}
    if start + limit < len(found):
        out["NextToken"] = str(start + limit)
    return out
