"""The SageMaker pricing model as pure functions: usage in, US dollars out. No AWS, no catalog.

SageMaker bills instances per second of use (notebook instances, Studio apps, processing,
training, batch transform and hosting alike), ML storage per GB-month prorated by the hour, and
endpoint data processed per GB in and out. A month is AWS's billing month of 730 hours.
"""

from __future__ import annotations

__all__ = [
    "HOURS_PER_MONTH",
    "SECONDS_PER_HOUR",
    "data_processed_usd",
    "instance_usd",
    "monthly_from_hourly",
    "serverless_usd",
    "spot_usd",
    "storage_usd",
]

SECONDS_PER_HOUR = 3600
HOURS_PER_MONTH = 730.0


def instance_usd(usd_per_hour: float, seconds: float, count: int = 1) -> float:
    """Instance-time billed per second: `count` instances running for `seconds` each."""
    return usd_per_hour * count * seconds / SECONDS_PER_HOUR


def spot_usd(on_demand_usd_per_hour: float, billable_seconds: float, savings: float, count: int = 1) -> float:
    """Managed spot training: billable seconds at the on-demand rate less the spot saving (0..1)."""
    if not 0 <= savings < 1:
        raise ValueError("a spot saving is a fraction between 0 and 1")
    return instance_usd(on_demand_usd_per_hour * (1 - savings), billable_seconds, count)


def storage_usd(gb: float, usd_per_gb_month: float, hours: float = HOURS_PER_MONTH, count: int = 1) -> float:
    """ML storage volumes: GB-months prorated by the hours the volumes exist."""
    return gb * count * usd_per_gb_month * hours / HOURS_PER_MONTH


def data_processed_usd(gb_in: float, gb_out: float, usd_per_gb_in: float, usd_per_gb_out: float) -> float:
    """Endpoint data processed: every GB into and out of real-time endpoints."""
    return gb_in * usd_per_gb_in + gb_out * usd_per_gb_out


def serverless_usd(memory_gb: float, requests: float, seconds_per_request: float, usd_per_gb_second: float) -> float:
    """Serverless inference compute: configured memory x the duration of each request."""
    return memory_gb * requests * seconds_per_request * usd_per_gb_second


def monthly_from_hourly(usd_per_hour: float) -> float:
    """The cost of running something around the clock for a billing month."""
    return usd_per_hour * HOURS_PER_MONTH
