"""The pricing model: per-second instance billing, prorated storage, data, spot, serverless."""

from __future__ import annotations

import pytest

from sagetrim import costs


def test_instances_bill_per_second():
    assert costs.instance_usd(0.23, 90) == pytest.approx(0.23 * 90 / 3600)
    assert costs.instance_usd(1.0, 3600, count=3) == pytest.approx(3.0)


def test_storage_is_prorated_over_a_730_hour_month():
    assert costs.storage_usd(100, 0.14) == pytest.approx(14.0)
    assert costs.storage_usd(100, 0.14, hours=73) == pytest.approx(1.4)


def test_spot_applies_the_saving_to_billable_seconds():
    assert costs.spot_usd(4.0, 7200, 0.75) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        costs.spot_usd(4.0, 7200, 1.5)


def test_data_processed_and_serverless():
    assert costs.data_processed_usd(10, 20, 0.016, 0.016) == pytest.approx(0.48)
    assert costs.serverless_usd(2, 1_000_000, 0.1, 0.00002) == pytest.approx(4.0)
