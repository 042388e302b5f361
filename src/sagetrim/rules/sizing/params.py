"""The settings every sizing rule shares."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SizingParams:
    """days: the look-back; target_peak_pct: the share of a candidate's capacity the observed peak may use;
    peak_percentile: which of the hourly maxima is the peak (100 = the highest); gpu_idle_pct: a GPU peaking
    below this (per GPU) is unused; min_hours_of_data: fewer hours of utilization data leave a resource unjudged;
    min_saving_pct and min_monthly_usd: smaller savings are not reported; allow_burstable: consider T types."""

    days: int = 14
    target_peak_pct: float = 70.0
    peak_percentile: float = 100.0
    gpu_idle_pct: float = 10.0
    min_hours_of_data: int = 1
    min_saving_pct: float = 10.0
    min_monthly_usd: float = 5.0
    allow_burstable: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 63:
            raise ValueError("days must be between 1 and 63 (CloudWatch keeps 5-minute data 63 days)")
        if not 10 <= self.target_peak_pct <= 100:
            raise ValueError("target_peak_pct must be between 10 and 100")
        if not 50 <= self.peak_percentile <= 100:
            raise ValueError("peak_percentile must be between 50 and 100")
        if not 0 <= self.gpu_idle_pct <= 100:
            raise ValueError("gpu_idle_pct must be between 0 and 100")
        if not 1 <= self.min_hours_of_data <= self.days * 24:
            raise ValueError("min_hours_of_data must be between 1 and days x 24")
        if not 0 <= self.min_saving_pct < 100:
            raise ValueError("min_saving_pct must be between 0 and 100")
        if self.min_monthly_usd < 0:
            raise ValueError("min_monthly_usd cannot be negative")

    @property
    def headroom(self) -> float:
        return self.target_peak_pct / 100

    def worth_it(self, current_usd: float, saving_usd: float, monthly_saving_usd: float) -> bool:
        """Whether a saving is large enough to report."""
        return (saving_usd > 0 and monthly_saving_usd >= self.min_monthly_usd
                and saving_usd >= current_usd * self.min_saving_pct / 100)
