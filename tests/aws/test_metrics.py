"""Batched CloudWatch reads: a query CloudWatch fails is marked failed, never read as no datapoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sagetrim.aws.metrics import MetricQuery, dimension_sets, fetch_metrics

T0 = datetime(2026, 1, 5, tzinfo=UTC)


class FakeCloudWatch:
    """Answers GetMetricData with fixed results over two pages, and ListMetrics with fixed metrics."""

    def __init__(self, pages: list[list[dict[str, Any]]], metrics: list[list[dict[str, Any]]] | None = None) -> None:
        self.pages, self.metrics, self.calls = pages, metrics or [], []

    def get_metric_data(self, **params: Any) -> dict[str, Any]:
        page = int(params.get("NextToken") or 0)
        self.calls.append(params)
        answer: dict[str, Any] = {"MetricDataResults": self.pages[page]}
        if page + 1 < len(self.pages):
            answer["NextToken"] = str(page + 1)
        return answer

    def list_metrics(self, **params: Any) -> dict[str, Any]:
        page = int(params.get("NextToken") or 0)
        self.calls.append(params)
        answer: dict[str, Any] = {"Metrics": self.metrics[page]}
        if page + 1 < len(self.metrics):
            answer["NextToken"] = str(page + 1)
        return answer


def query(key: str) -> MetricQuery:
    return MetricQuery(key, "AWS/SageMaker", "Invocations", (("EndpointName", key),), "Sum", 3600, T0,
                       T0 + timedelta(days=1))


def test_given_a_result_cloudwatch_failed_when_fetched_then_the_series_says_so_and_the_others_are_read() -> None:
    cw = FakeCloudWatch([
        [{"Id": "q0", "Timestamps": [T0], "Values": [3.0], "StatusCode": "PartialData"},
         {"Id": "q1", "Timestamps": [], "Values": [], "StatusCode": "Forbidden",
          "Messages": [{"Code": "Forbidden", "Value": "not authorized"}]}],
        [{"Id": "q0", "Timestamps": [T0 + timedelta(hours=1)], "Values": [4.0], "StatusCode": "Complete"}],
    ])

    series = fetch_metrics(cw, [query("a"), query("b")])

    assert series["a"].failure is None and series["a"].values == [3.0, 4.0]
    assert series["b"].failure == "CloudWatch answered Forbidden (Forbidden: not authorized)"
    assert series["b"].values == []


def test_given_metrics_over_pages_when_dimension_sets_are_listed_then_only_exact_sets_come_back() -> None:
    endpoint_only = [{"Name": "EndpointName", "Value": "e"}]
    cw = FakeCloudWatch([], [
        [{"Dimensions": [{"Name": "EndpointName", "Value": "e"}, {"Name": "VariantName", "Value": "blue"}]},
         {"Dimensions": endpoint_only}],
        [{"Dimensions": [{"Name": "EndpointName", "Value": "e"}, {"Name": "VariantName", "Value": "green"}]}],
    ])

    found = dimension_sets(cw, "AWS/SageMaker", "Invocations", ("EndpointName", "VariantName"))

    assert found == [{"EndpointName": "e", "VariantName": "blue"}, {"EndpointName": "e", "VariantName": "green"}]
    assert len(cw.calls) == 2 and cw.calls[0]["Dimensions"] == [{"Name": "EndpointName"}, {"Name": "VariantName"}]
