"""What a rule reads: a series it asked for, empty when AWS had no datapoints, and an error for one it did not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sagetrim.aws.metrics import MetricSeries
from sagetrim.catalog import load_catalog
from sagetrim.rules.context import MetricNotRequestedError, RuleContext, severity_for
from sagetrim.rules.model import Severity

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _context(metrics: dict[str, MetricSeries]) -> RuleContext:
    return RuleContext(account="123456789012", region="us-east-1", now=NOW, catalog=load_catalog(use_cache=False),
                       resources=[], metrics=metrics)


def test_given_a_requested_series_without_datapoints_when_read_then_it_is_empty():
    ctx = _context({"idle-endpoint/e/v/Invocations": MetricSeries()})
    series = ctx.series("idle-endpoint/e/v/Invocations")
    assert series.values == [] and series.total == 0 and series.peak is None


def test_given_a_key_no_rule_requested_when_read_then_a_clear_error_names_it():
    ctx = _context({"idle-endpoint/e/v/Invocations": MetricSeries()})
    with pytest.raises(MetricNotRequestedError, match="idle-endpoint/e/v/Invocation' was never requested"):
        ctx.series("idle-endpoint/e/v/Invocation")


@pytest.mark.parametrize(("monthly", "severity"), [(0.0, Severity.LOW), (49.99, Severity.LOW),
                                                   (50.0, Severity.MEDIUM), (500.0, Severity.HIGH)])
def test_severity_is_the_enum_by_monthly_dollars(monthly, severity):
    assert severity_for(monthly) is severity
