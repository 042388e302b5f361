"""The price catalog: every type the API accepts, with its shape and a price that says where it comes from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sagetrim.catalog import Usage, load_catalog
from sagetrim.errors import CatalogError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "pricing"
ENUMS = SHARED / "botocore-1.43.11_sagemaker_instance_type_enums.json"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(use_cache=False)


def botocore_types() -> set[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    names: set[str] = set()
    for shape in ("InstanceType", "AppInstanceType", "TrainingInstanceType", "ProcessingInstanceType",
                  "TransformInstanceType", "ProductionVariantInstanceType"):
        names |= {n for n in model.shape_for(shape).enum if n.startswith("ml.")}
    return names


def test_given_the_botocore_lists_then_every_type_is_in_the_catalog_with_vcpu_and_memory(catalog):
    names = {t.name for t in catalog.types()}
    if ENUMS.exists():
        listed = {n for v in json.loads(ENUMS.read_text())["enums"].values() for n in v}
        assert listed <= names
    for t in catalog.types():
        assert t.vcpu > 0 and t.memory_gib > 0, t.name
        assert t.category and t.family and t.usages


def test_every_type_the_installed_botocore_accepts_is_known_or_reported(catalog):
    missing = botocore_types() - {t.name for t in catalog.types()}
    # A newer botocore may list types newer than the snapshot; they are few and named here.
    assert len(missing) < 10, sorted(missing)


def test_every_gpu_type_has_its_gpu_count_and_memory(catalog):
    gpu_types = [t for t in catalog.types() if t.family.startswith(("p", "g")) and t.family != "geospatial"]
    assert len(gpu_types) >= 50
    for t in gpu_types:
        assert t.accelerator is not None and t.accelerator.kind == "gpu", t.name
        assert t.gpu_count >= 1 and t.accelerator.memory_gib > 0, t.name
    p4d = catalog.instance("ml.p4d.24xlarge")
    assert (p4d.gpu_count, p4d.accelerator.memory_gib, p4d.accelerator.model) == (8, 320, "NVIDIA A100")
    assert catalog.instance("ml.g5.12xlarge").gpu_count == 4
    assert catalog.instance("ml.inf2.48xlarge").accelerator.kind == "inferentia"
    assert not catalog.instance("ml.m5.xlarge").has_gpu


def test_hosting_ml_m5_xlarge_in_us_east_1_costs_0_23_with_source_and_date(catalog):
    price = catalog.price("ml.m5.xlarge", "us-east-1", Usage.HOSTING)
    assert price.usd == 0.23
    assert price.date == "2025-06-16"
    assert "pricing page" in price.source
    assert price.exact is False and "Studio notebook price" in price.basis


def test_studio_prices_from_the_pricing_page_are_exact(catalog):
    price = catalog.price("ml.m5.xlarge", "eu-west-1", Usage.STUDIO)
    assert price.exact and price.usd == 0.257


def test_types_absent_from_the_snapshot_get_a_labelled_estimate(catalog):
    price = catalog.price("ml.g6.xlarge", "us-east-1", Usage.HOSTING)
    assert not price.exact
    assert "g5.xlarge" in price.basis
    assert 0.5 < price.usd < catalog.price("ml.g5.xlarge", "us-east-1", Usage.HOSTING).usd


def test_spot_training_is_the_on_demand_training_price_less_the_typical_saving(catalog):
    on_demand = catalog.price("ml.p3.2xlarge", "us-east-1", Usage.TRAINING).usd
    spot = catalog.price("ml.p3.2xlarge", "us-east-1", Usage.SPOT_TRAINING)
    assert spot.usd == pytest.approx(on_demand * 0.3)
    assert not spot.exact


def test_an_unknown_type_suggests_the_closest_names(catalog):
    with pytest.raises(CatalogError, match=r"Did you mean ml\.m5\.xlarge"):
        catalog.instance("ml.m5.xlargee")


def test_a_type_not_offered_for_a_usage_is_refused_with_the_valid_usages(catalog):
    with pytest.raises(CatalogError, match="ml.t3.medium cannot be used for training"):
        catalog.price("ml.t3.medium", "us-east-1", Usage.TRAINING)


def test_an_unknown_region_is_refused(catalog):
    with pytest.raises(CatalogError, match="us-east-9"):
        catalog.price("ml.m5.xlarge", "us-east-9", Usage.HOSTING)


def test_storage_and_data_prices_are_labelled_estimates_scaled_by_region(catalog):
    us = catalog.storage_price("us-east-1", Usage.HOSTING)
    eu = catalog.storage_price("eu-west-1", Usage.HOSTING)
    assert us.usd == 0.14 and us.unit == "GB-month" and not us.exact
    assert eu.usd > us.usd and "region price ratio" in eu.basis
    assert catalog.data_processed_price("us-east-1", "in").usd == 0.016


def test_patterns_match_globs_substrings_and_exact_names(catalog):
    assert {t.name for t in catalog.match("ml.g5.*")} == {f"ml.g5.{s}" for s in
                                                          ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge",
                                                           "16xlarge", "24xlarge", "48xlarge")}
    assert [t.name for t in catalog.match("ml.m5.large")] == ["ml.m5.large"]
    assert all("p4d" in t.name for t in catalog.match("p4d"))
    with pytest.raises(CatalogError):
        catalog.match("zz9")
