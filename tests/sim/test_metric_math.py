"""Metric math in the simulated GetMetricData: what CloudWatch computes, and refusals where it refuses or
where the sim does not evaluate a CloudWatch function."""

from __future__ import annotations

import numpy as np
import pytest

from sagetrim.sim.metric_math import CLOUDWATCH_FUNCTIONS, FUNCTIONS, ExpressionError, Series, evaluate

PERIOD = 60


def series(label: str, points: dict[int, float]) -> Series:
    """A series on a 60 s grid from 0 to 300 s, with datapoints at the given minutes."""
    ts = np.array(sorted(points), dtype=np.int64) * PERIOD
    return Series(ts, np.array([points[m] for m in sorted(points)], dtype=np.float64), label, 0, PERIOD, 300)


QUERIES = {
    "m1": series("Invocations", {0: 1.0, 1: 2.0, 2: 3.0}),
    "m2": series("ModelLatency", {1: 10.0, 2: 20.0, 3: 30.0}),
    "errors": series("Invocation5XXErrors", {0: 0.0, 1: 4.0}),
}


def resolve(qid: str) -> Series:
    if qid not in QUERIES:
        raise ExpressionError(f"there is no query with id {qid}")
    return QUERIES[qid]


def metrics(label_filter: str | None) -> list[Series]:
    return [s for s in QUERIES.values() if label_filter is None or label_filter in s.label]


def points(text: str) -> dict[int, float]:
    """Minute -> value of the expression's result."""
    result = evaluate(text, "e1", resolve, metrics)
    assert result.label == "e1"
    return {int(t) // PERIOD: v for t, v in zip(result.ts.tolist(), result.values.tolist(), strict=True)}


# --- what it computes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("m1 + m2", {1: 12.0, 2: 23.0}),  # two series: only the timestamps both have
    ("m1 * 2 - 1", {0: 1.0, 1: 3.0, 2: 5.0}),  # a number applies to every datapoint
    ("2 + m1 * 3", {0: 5.0, 1: 8.0, 2: 11.0}),  # * before +
    ("(2 + m1) * 3", {0: 9.0, 1: 12.0, 2: 15.0}),
    ("-m1 + 10", {0: 9.0, 1: 8.0, 2: 7.0}),
    ("m1 ^ 2", {0: 1.0, 1: 4.0, 2: 9.0}),
    ("ABS(0 - m1)", {0: 1.0, 1: 2.0, 2: 3.0}),
    ("100 * errors / m1", {0: 0.0, 1: 200.0}),
])
def test_given_arithmetic_when_evaluated_then_values_follow_per_timestamp(text: str,
                                                                        expected: dict[int, float]) -> None:
    assert points(text) == expected


def test_given_a_division_by_zero_when_evaluated_then_that_timestamp_has_no_datapoint() -> None:
    assert points("m1 / errors") == {1: 0.5}
    assert points("m1 / 0") == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("SUM([m1, m2])", {0: 1.0, 1: 12.0, 2: 23.0, 3: 30.0}),  # per timestamp, over the series present there
    ("AVG([m1, m2])", {0: 1.0, 1: 6.0, 2: 11.5, 3: 30.0}),
    ("MIN([m1, m2])", {0: 1.0, 1: 2.0, 2: 3.0, 3: 30.0}),
    ("MAX([m1, m2])", {0: 1.0, 1: 10.0, 2: 20.0, 3: 30.0}),
    ("SUM(METRICS())", {0: 1.0, 1: 16.0, 2: 23.0, 3: 30.0}),
    ("SUM(METRICS(\"Invocation\"))", {0: 1.0, 1: 6.0, 2: 3.0}),  # labels containing the string
    ("SUM([m1, m2 * 2])", {0: 1.0, 1: 22.0, 2: 43.0, 3: 60.0}),
])
def test_given_an_array_when_aggregated_then_one_series(text: str, expected: dict[int, float]) -> None:
    assert points(text) == expected


def test_given_a_single_series_when_aggregated_then_a_number_drawn_at_its_timestamps() -> None:
    assert points("SUM(m1)") == {0: 6.0, 1: 6.0, 2: 6.0}
    assert points("m1 / MAX(m1)") == {0: 1 / 3, 1: 2 / 3, 2: 1.0}
    assert points("PERIOD(m1) + 0 * m1") == {0: 60.0, 1: 60.0, 2: 60.0}


def test_given_fill_when_evaluated_then_every_period_of_the_grid_has_a_value() -> None:
    assert points("FILL(m2, 0)") == {0: 0.0, 1: 10.0, 2: 20.0, 3: 30.0, 4: 0.0}
    assert points("SUM(FILL(METRICS(), 0))") == {0: 1.0, 1: 16.0, 2: 23.0, 3: 30.0, 4: 0.0}


# --- what CloudWatch refuses ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "problem"), [
    ("m9 * 2", "no query with id m9"),
    ("m1 +", "ended"),
    ("(m1 + m2", "expected ')'"),
    ("m1 m2", "unexpected 'm2'"),
    ("m1 % 2", "unexpected character '%'"),
    ("", "empty"),
    ("FOO(m1)", "FOO is not a function of metric math"),
    ("METRICS()", "returns 3 time series"),
    ("METRICS() + [m1]", "two arrays"),
    ("\"m1\" + 1", "quoted string"),
    ("1 + 2", "refers to no time series"),
    ("FILL(m1)", "FILL takes a time series"),
    ("SUM(m1, m2)", "SUM takes exactly one argument"),
])
def test_given_an_expression_cloudwatch_refuses_when_evaluated_then_the_error_says_why(text: str,
                                                                                       problem: str) -> None:
    with pytest.raises(ExpressionError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        evaluate(text, "e1", resolve, metrics)


# --- what the sim does not evaluate: refused, never answered with nothing ---------------------------------


@pytest.mark.parametrize("text", [
    "RATE(m1)", "IF(m1 > 1, m1, 0)", "m1 >= 2", "m1 > 1 AND m2 > 1", "RUNNING_SUM(m1)", "FILL(m1, REPEAT)",
    "FILL(m1, LINEAR)", "SEARCH('{AWS/SageMaker,EndpointName} Invocations', 'Sum', 60)",
])
def test_given_a_cloudwatch_function_the_sim_lacks_when_evaluated_then_it_is_refused_as_such(text: str) -> None:
    with pytest.raises(ExpressionError) as err:
        evaluate(text, "e1", resolve, metrics)

    assert "the simulated account does not evaluate" in str(err.value)


def test_given_metrics_insights_when_evaluated_then_it_is_refused() -> None:
    with pytest.raises(ExpressionError, match="Metrics Insights"):
        evaluate('SELECT AVG(CPUUtilization) FROM SCHEMA("/aws/sagemaker/Endpoints", EndpointName)', "e1", resolve,
                 metrics)


def test_given_the_function_lists_then_the_sim_evaluates_only_cloudwatch_functions() -> None:
    assert set(FUNCTIONS) <= CLOUDWATCH_FUNCTIONS
