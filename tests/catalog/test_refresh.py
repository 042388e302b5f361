"""`prices refresh`: real GetProducts records become exact prices that later lookups prefer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from sagetrim.catalog import Usage
from sagetrim.catalog.cache import PriceCache
from sagetrim.catalog.catalog import Catalog, _load_snapshot
from sagetrim.catalog.pricelist import parse_products, render_products
from sagetrim.catalog.refresh import refresh_region
from sagetrim.errors import CollectionError

DATA = Path(__file__).parent / "data" / "get_products_us_east_1.json"
RECORDS = [json.dumps(r) for r in json.loads(DATA.read_text())]
REQUEST = {
    "ServiceCode": "AmazonSageMaker",
    "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"}],
    "FormatVersion": "aws_v1",
    "MaxResults": 100,
}


def test_records_of_every_kind_are_read_and_the_rest_ignored():
    prices, used = parse_products("us-east-1", "2026-11-30", RECORDS)
    assert prices.instances == {
        "hosting": {"ml.m5.xlarge": 0.23}, "training": {"ml.m5.xlarge": 0.23}, "notebook": {"ml.t3.medium": 0.0464},
    }
    assert prices.storage == {"hosting": 0.14, "notebook": 0.14}
    assert prices.data_processed == {"in": 0.016, "out": 0.016}
    assert prices.serverless_usd_per_gb_second == pytest.approx(0.00002)
    assert used == 8  # AsyncInf, feature store and the free tier are not sagetrim's usages


@pytest.fixture
def stubbed_pricing():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub


def test_refresh_pages_through_get_products_and_caches_exact_prices(tmp_path, stubbed_pricing):
    client, stub = stubbed_pricing
    stub.add_response("get_products", {"PriceList": RECORDS[:6], "NextToken": "t1", "FormatVersion": "aws_v1"},
                      REQUEST)
    stub.add_response("get_products", {"PriceList": RECORDS[6:], "FormatVersion": "aws_v1"},
                      {**REQUEST, "NextToken": "t1"})
    cache = PriceCache(tmp_path)
    catalog = Catalog(_load_snapshot(), cache)

    result = refresh_region(client, catalog, cache, "us-east-1", now=datetime(2026, 11, 30, tzinfo=UTC))

    stub.assert_no_pending_responses()
    assert result.records == len(RECORDS)
    changed = {(c.usage, c.instance_type): (c.before, c.after) for c in result.changes}
    assert changed == {("notebook", "ml.t3.medium"): (0.05, 0.0464)}
    assert result.unchanged == 2
    fresh = Catalog(_load_snapshot(), cache)
    price = fresh.price("ml.t3.medium", "us-east-1", Usage.NOTEBOOK)
    assert (price.usd, price.exact, price.date) == (0.0464, True, "2026-11-30")
    assert "Price List API" in price.source
    assert fresh.price("ml.m5.xlarge", "us-east-1", Usage.HOSTING).exact
    # Prices the API did not return still come from the snapshot.
    assert not fresh.price("ml.c5.xlarge", "us-east-1", Usage.HOSTING).exact


def test_an_empty_answer_leaves_the_cache_alone(tmp_path, stubbed_pricing):
    client, stub = stubbed_pricing
    stub.add_response("get_products", {"PriceList": [], "FormatVersion": "aws_v1"}, REQUEST)
    cache = PriceCache(tmp_path)
    with pytest.raises(CollectionError, match="no SageMaker prices"):
        refresh_region(client, Catalog(_load_snapshot(), cache), cache, "us-east-1")
    assert not cache.path("us-east-1").exists()


def test_an_api_error_is_reported_as_a_collection_error(tmp_path, stubbed_pricing):
    client, stub = stubbed_pricing
    stub.add_client_error("get_products", "AccessDeniedException", "not allowed", 400)
    cache = PriceCache(tmp_path)
    with pytest.raises(CollectionError, match="AccessDenied"):
        refresh_region(client, Catalog(_load_snapshot(), cache), cache, "us-east-1")


def test_rendered_records_read_back_to_the_catalog_prices():
    catalog = Catalog(_load_snapshot(), None)
    records = list(render_products(catalog, ["eu-west-1"]))
    prices, used = parse_products("eu-west-1", "2026-11-30", records)
    assert used == len(records)
    assert prices.instances["hosting"]["ml.m5.xlarge"] == catalog.price("ml.m5.xlarge", "eu-west-1", Usage.HOSTING).usd
    assert "ml.t3.medium" not in prices.instances["training"]
    assert prices.storage["training"] == catalog.storage_price("eu-west-1", Usage.TRAINING).usd
