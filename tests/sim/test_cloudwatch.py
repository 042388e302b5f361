"""The simulated CloudWatch answers like the real one, through boto3 against the sim server."""

from __future__ import annotations

import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError
from moto.core.models import DEFAULT_ACCOUNT_ID

from sagetrim.sim import clock as sim_clock
from sagetrim.sim.cloudwatch import install, metric_store
from sagetrim.sim.metrics_store import MetricStore

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

    from sagetrim.sim import SimServer

NS = "/aws/sagemaker/Endpoints"
ENDPOINT = [{"Name": "EndpointName", "Value": "ep-a"}]
VARIANT = [*ENDPOINT, {"Name": "VariantName", "Value": "AllTraffic"}]
OTHER_ACCOUNT = "111111111111"


@pytest.fixture(scope="module")
def endpoint_url(sim: SimServer) -> str:
    """The module's SimServer (its start installs the metric store; installing again is a no-op)."""
    install()
    return sim.url


def _client(endpoint_url: str, region: str = "us-east-1", key: str = "testing", secret: str = "testing",
            token: str | None = None) -> CloudWatchClient:
    client: CloudWatchClient = boto3.client(
        "cloudwatch", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token,
    )
    return client


@pytest.fixture
def cw(endpoint_url: str) -> CloudWatchClient:
    """A CloudWatch client of the default account in us-east-1."""
    return _client(endpoint_url)


@pytest.fixture(autouse=True)
def empty_stores(endpoint_url: str) -> None:
    """Every test starts without metrics in the accounts and regions it uses."""
    for account, region in ((DEFAULT_ACCOUNT_ID, "us-east-1"), (DEFAULT_ACCOUNT_ID, "eu-west-1"),
                            (OTHER_ACCOUNT, "us-east-1")):
        metric_store(account, region).clear()


@pytest.fixture
def store() -> MetricStore:
    """The store behind the default account in us-east-1."""
    return metric_store(DEFAULT_ACCOUNT_ID, "us-east-1")


@pytest.fixture
def t0() -> datetime:
    """A whole hour two days back on the sim clock: periods starting here are aligned."""
    now = sim_clock.now()
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(days=2)


def _put(cw: CloudWatchClient, when: datetime, dims: list[dict[str, str]] = VARIANT, name: str = "Invocations",
         namespace: str = NS, **datum: Any) -> None:
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[{"MetricName": name, "Dimensions": dims, "Timestamp": when, **datum}],  # type: ignore[list-item, typeddict-item]
    )


def _stats(cw: CloudWatchClient, t0: datetime, dims: list[dict[str, str]] = VARIANT, hours: int = 1,
           period: int = 3600, namespace: str = NS, **kwargs: Any) -> list[dict[str, Any]]:
    if "ExtendedStatistics" not in kwargs:
        kwargs.setdefault("Statistics", ["Sum", "Average", "Minimum", "Maximum", "SampleCount"])
    answer = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Invocations", Dimensions=dims,  # type: ignore[arg-type]
        StartTime=t0, EndTime=t0 + timedelta(hours=hours), Period=period, **kwargs,
    )
    return sorted(answer["Datapoints"], key=lambda d: d["Timestamp"])  # type: ignore[arg-type, return-value]


def _query(qid: str, dims: list[dict[str, str]] = VARIANT, stat: str = "Sum", period: int = 3600,
           name: str = "Invocations", **extra: Any) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {"Metric": {"Namespace": NS, "MetricName": name, "Dimensions": dims}, "Period": period,
                       "Stat": stat},
        **extra,
    }


def _data(cw: CloudWatchClient, t0: datetime, queries: list[dict[str, Any]], hours: int = 1,
          **kwargs: Any) -> dict[str, dict[str, Any]]:
    answer = cw.get_metric_data(
        MetricDataQueries=queries, StartTime=t0, EndTime=t0 + timedelta(hours=hours), **kwargs  # type: ignore[arg-type]
    )
    return {r["Id"]: r for r in answer["MetricDataResults"]}  # type: ignore[misc]


# --- identity: exact dimensions, namespace ------------------------------------------------------


def test_given_variant_metric_when_queried_by_endpoint_only_then_no_datapoints(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, VARIANT, Value=5.0)

    assert _stats(cw, t0, ENDPOINT) == []
    result = _data(cw, t0, [_query("m1", ENDPOINT), _query("m2", VARIANT)])
    assert result["m1"]["Values"] == [] and result["m1"]["StatusCode"] == "Complete"
    assert result["m2"]["Values"] == [5.0]


def test_given_endpoint_metric_when_queried_with_extra_dimension_then_no_datapoints(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, ENDPOINT, Value=5.0)

    assert _stats(cw, t0, VARIANT) == []
    assert [d["Sum"] for d in _stats(cw, t0, ENDPOINT)] == [5.0]


def test_given_same_metric_in_two_namespaces_when_queried_then_only_that_namespace_counts(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, Value=1.0)
    _put(cw, t0, namespace="Custom/Other", Value=100.0)

    assert [d["Sum"] for d in _stats(cw, t0)] == [1.0]
    assert [d["Sum"] for d in _stats(cw, t0, namespace="Custom/Other")] == [100.0]


# --- statistics ---------------------------------------------------------------------------------


def test_given_raw_values_when_statistics_requested_then_each_matches_hand_computation(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0 + timedelta(minutes=1), Values=[1.0, 2.0, 3.0, 4.0])
    _put(cw, t0 + timedelta(minutes=59), Value=10.0)

    (point,) = _stats(cw, t0)

    assert point["Timestamp"] == t0
    assert (point["Sum"], point["SampleCount"], point["Average"], point["Minimum"], point["Maximum"]) == (
        20.0, 5.0, 4.0, 1.0, 10.0,
    )
    assert point["Unit"] == "None"


def test_given_values_with_counts_when_statistics_requested_then_counts_weight_each_value(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, Values=[1.0, 5.0], Counts=[3.0, 1.0])

    (point,) = _stats(cw, t0)
    (pct,) = _stats(cw, t0, ExtendedStatistics=["p50", "p90"])

    assert (point["Sum"], point["SampleCount"], point["Average"], point["Minimum"], point["Maximum"]) == (
        8.0, 4.0, 2.0, 1.0, 5.0,
    )
    assert pct["ExtendedStatistics"] == {"p50": 1.0, "p90": 5.0}


def test_given_statistic_sets_when_statistics_requested_then_sets_merge_per_period(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, StatisticValues={"Sum": 30.0, "SampleCount": 3.0, "Minimum": 5.0, "Maximum": 15.0})
    _put(cw, t0 + timedelta(minutes=30), StatisticValues={"Sum": 10.0, "SampleCount": 2.0, "Minimum": 1.0,
                                                            "Maximum": 9.0})

    (point,) = _stats(cw, t0)

    assert (point["Sum"], point["SampleCount"], point["Average"], point["Minimum"], point["Maximum"]) == (
        40.0, 5.0, 8.0, 1.0, 15.0,
    )


def test_given_hundred_raw_values_when_percentiles_requested_then_nearest_rank(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, Values=[float(v) for v in range(100, 0, -1)])

    (point,) = _stats(cw, t0, ExtendedStatistics=["p0", "p50", "p90", "p99.9", "p100"])
    data = _data(cw, t0, [_query("m1", stat="p90"), _query("m2", stat="p99")])

    assert point["ExtendedStatistics"] == {"p0": 1.0, "p50": 50.0, "p90": 90.0, "p99.9": 100.0, "p100": 100.0}
    assert data["m1"]["Values"] == [90.0] and data["m2"]["Values"] == [99.0]


def test_given_statistic_sets_only_when_percentile_requested_then_no_percentile(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, StatisticValues={"Sum": 30.0, "SampleCount": 3.0, "Minimum": 5.0, "Maximum": 15.0})

    assert _stats(cw, t0, ExtendedStatistics=["p50"]) == []
    data = _data(cw, t0, [_query("m1", stat="p50"), _query("m2", stat="Sum")])
    assert data["m1"]["Values"] == [] and data["m2"]["Values"] == [30.0]


def test_given_statistic_set_with_equal_min_and_max_when_percentile_requested_then_it_is_known(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, StatisticValues={"Sum": 21.0, "SampleCount": 3.0, "Minimum": 7.0, "Maximum": 7.0})

    (point,) = _stats(cw, t0, ExtendedStatistics=["p50"])

    assert point["ExtendedStatistics"] == {"p50": 7.0}


def test_given_each_stat_when_get_metric_data_then_values_match_get_metric_statistics(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, Values=[2.0, 4.0, 9.0])
    stats = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")

    data = _data(cw, t0, [_query(f"q{i}", stat=s) for i, s in enumerate(stats)])
    (point,) = _stats(cw, t0)

    assert [data[f"q{i}"]["Values"] for i in range(len(stats))] == [[point[s]] for s in stats]
    assert [data[f"q{i}"]["Values"][0] for i in range(len(stats))] == [15.0, 5.0, 2.0, 9.0, 3.0]


# --- periods and time range -----------------------------------------------------------------------


def test_given_datapoints_across_hours_when_queried_then_periods_start_at_start_time_and_empty_ones_are_absent(
    cw: CloudWatchClient, t0: datetime
) -> None:
    for minutes, value in ((0, 1.0), (10, 2.0), (65, 4.0), (200, 8.0), (240, 16.0)):
        _put(cw, t0 + timedelta(minutes=minutes), Value=value)

    points = _stats(cw, t0, hours=4)

    assert [(p["Timestamp"], p["Sum"]) for p in points] == [
        (t0, 3.0), (t0 + timedelta(hours=1), 4.0), (t0 + timedelta(hours=3), 8.0),
    ]


def test_given_unaligned_start_when_queried_then_start_is_rounded_down_to_the_minute(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0 + timedelta(seconds=5), Value=1.0)

    (point,) = _stats(cw, t0 + timedelta(seconds=30), period=300)

    assert point["Timestamp"] == t0 and point["Sum"] == 1.0


def test_given_datapoint_at_end_time_when_queried_then_it_is_excluded(cw: CloudWatchClient, t0: datetime) -> None:
    _put(cw, t0, Value=1.0)
    _put(cw, t0 + timedelta(hours=1), Value=50.0)

    assert [p["Sum"] for p in _stats(cw, t0)] == [1.0]


def test_given_more_than_1440_periods_when_get_metric_statistics_then_error(
    cw: CloudWatchClient, t0: datetime
) -> None:
    with pytest.raises(ClientError) as err:
        _stats(cw, t0, hours=25, period=60)

    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "1,440" in err.value.response["Error"]["Message"]


def test_given_scan_by_when_get_metric_data_then_order_follows_it(cw: CloudWatchClient, t0: datetime) -> None:
    for h in range(3):
        _put(cw, t0 + timedelta(hours=h), Value=float(h))

    newest_first = _data(cw, t0, [_query("m1")], hours=3)["m1"]
    oldest_first = _data(cw, t0, [_query("m1")], hours=3, ScanBy="TimestampAscending")["m1"]

    assert newest_first["Values"] == [2.0, 1.0, 0.0]
    assert oldest_first["Values"] == [0.0, 1.0, 2.0]
    assert oldest_first["Timestamps"] == [t0 + timedelta(hours=h) for h in range(3)]


def test_given_unit_filter_when_queried_then_only_datapoints_of_that_unit(cw: CloudWatchClient, t0: datetime) -> None:
    _put(cw, t0, Value=1.0, Unit="Count")
    _put(cw, t0, Value=1000.0, Unit="Milliseconds")

    assert [p["Sum"] for p in _stats(cw, t0, Unit="Count")] == [1.0]
    assert [p["Sum"] for p in _stats(cw, t0)] == [1001.0]


# --- GetMetricData limits, paging, math ------------------------------------------------------------


def test_given_501_queries_when_get_metric_data_then_validation_error(cw: CloudWatchClient, t0: datetime) -> None:
    with pytest.raises(ClientError) as err:
        _data(cw, t0, [_query(f"m{i}") for i in range(501)])

    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "500" in err.value.response["Error"]["Message"]


def test_given_500_queries_when_get_metric_data_then_each_answers(cw: CloudWatchClient, t0: datetime) -> None:
    _put(cw, t0, Value=3.0)

    data = _data(cw, t0, [_query(f"m{i}") for i in range(500)])

    assert len(data) == 500 and data["m499"]["Values"] == [3.0]


def test_given_more_datapoints_than_max_when_paging_then_next_tokens_return_each_datapoint_once(
    cw: CloudWatchClient, store: MetricStore, t0: datetime
) -> None:
    start = int(t0.timestamp())
    for e in range(3):
        store.put_series(NS, "Invocations", {"EndpointName": f"ep-{e}"}, np.arange(start, start + 10 * 3600, 3600),
                         values=np.full(10, float(e)))
    queries = [_query(f"m{e}", [{"Name": "EndpointName", "Value": f"ep-{e}"}]) for e in range(3)]

    pages: list[Any] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = cw.get_metric_data(MetricDataQueries=queries, StartTime=t0, EndTime=t0 + timedelta(hours=10),  # type: ignore[arg-type]
                                  MaxDatapoints=7, **kwargs)
        pages.append(page)
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]

    assert len(pages) == 5
    assert [r["StatusCode"] for r in pages[0]["MetricDataResults"]] == ["PartialData"]
    merged: dict[str, list[datetime]] = {}
    for page in pages:
        assert sum(len(r["Values"]) for r in page["MetricDataResults"]) <= 7
        for r in page["MetricDataResults"]:
            merged.setdefault(r["Id"], []).extend(r["Timestamps"])
    expected = [t0 + timedelta(hours=h) for h in range(9, -1, -1)]
    assert merged == {f"m{e}": expected for e in range(3)}
    assert pages[-1]["MetricDataResults"][-1]["StatusCode"] == "Complete"


def test_given_next_token_of_another_request_when_get_metric_data_then_invalid_next_token(
    cw: CloudWatchClient, store: MetricStore, t0: datetime
) -> None:
    start = int(t0.timestamp())
    store.put_series(NS, "Invocations", {"EndpointName": "ep-a"}, np.arange(start, start + 7200, 60), values=1.0)
    first = cw.get_metric_data(MetricDataQueries=[_query("m1", ENDPOINT, period=60)], StartTime=t0,  # type: ignore[list-item]
                               EndTime=t0 + timedelta(hours=2), MaxDatapoints=10)

    with pytest.raises(ClientError) as err:
        cw.get_metric_data(MetricDataQueries=[_query("m2", ENDPOINT, period=60)], StartTime=t0,  # type: ignore[list-item]
                           EndTime=t0 + timedelta(hours=2), NextToken=first["NextToken"])

    assert err.value.response["Error"]["Code"] == "InvalidNextToken"


def test_given_a_metric_whose_reads_fail_when_queried_with_others_then_only_its_result_fails(
    cw: CloudWatchClient, t0: datetime
) -> None:
    b = [{"Name": "EndpointName", "Value": "ep-a"}, {"Name": "VariantName", "Value": "blue"}]
    _put(cw, t0, VARIANT, Value=5.0)
    _put(cw, t0, b, Value=7.0)
    metric_store(DEFAULT_ACCOUNT_ID, "us-east-1").fail_reads(NS, "Invocations", {"EndpointName": "ep-a",
                                                                                 "VariantName": "blue"})

    data = _data(cw, t0, [_query("a"), _query("b", b)])

    assert data["a"]["StatusCode"] == "Complete" and data["a"]["Values"] == [5.0]
    assert data["b"]["StatusCode"] == "InternalError" and data["b"]["Values"] == []
    assert data["b"]["Messages"] == [{"Code": "InternalError", "Value": "An internal error occurred."}]
    with pytest.raises(ValueError, match="InternalError or Forbidden"):
        metric_store(DEFAULT_ACCOUNT_ID, "us-east-1").fail_reads(NS, "Invocations", {}, status="Throttled")


def test_given_metric_math_when_get_metric_data_then_expressions_combine_queries(
    cw: CloudWatchClient, t0: datetime
) -> None:
    b = [{"Name": "EndpointName", "Value": "ep-b"}]
    _put(cw, t0, ENDPOINT, Value=1.0)
    _put(cw, t0 + timedelta(hours=1), ENDPOINT, Value=2.0)
    _put(cw, t0 + timedelta(hours=1), b, Value=10.0)
    _put(cw, t0 + timedelta(hours=2), b, Value=20.0)
    queries = [
        _query("a", ENDPOINT, ReturnData=False),
        _query("b", b, ReturnData=False),
        {"Id": "plus", "Expression": "a + b"},
        {"Id": "total", "Expression": "SUM([a, b])", "Label": "all"},
        {"Id": "scaled", "Expression": "(a * 2 - 1) / 1"},
        {"Id": "filled", "Expression": "FILL(a, 0)"},
        {"Id": "everything", "Expression": "SUM(METRICS())"},
    ]

    data = _data(cw, t0, queries, hours=3, ScanBy="TimestampAscending")

    assert set(data) == {"plus", "total", "scaled", "filled", "everything"}
    assert data["plus"]["Values"] == [12.0]
    assert data["total"]["Values"] == [1.0, 12.0, 20.0] and data["total"]["Label"] == "all"
    assert data["scaled"]["Values"] == [1.0, 3.0]
    assert data["filled"]["Values"] == [1.0, 2.0, 0.0]
    assert data["everything"]["Values"] == data["total"]["Values"]


@pytest.mark.parametrize(
    ("expression", "needle"),
    [("SEARCH('{/aws/sagemaker/Endpoints,EndpointName} Invocations', 'Sum', 3600)", "SEARCH"),
     ("SELECT SUM(Invocations) FROM SCHEMA(\"/aws/sagemaker/Endpoints\")", "SELECT"),
     ("m9 * 2", "no query with id m9"),
     ("a +", "ended")],
)
def test_given_unsupported_or_broken_expression_when_get_metric_data_then_clear_error(
    cw: CloudWatchClient, t0: datetime, expression: str, needle: str
) -> None:
    with pytest.raises(ClientError) as err:
        _data(cw, t0, [_query("a"), {"Id": "e1", "Expression": expression}])

    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert needle in err.value.response["Error"]["Message"]


def test_given_no_data_when_get_metric_data_then_empty_complete_result(cw: CloudWatchClient, t0: datetime) -> None:
    data = _data(cw, t0, [_query("m1", [{"Name": "EndpointName", "Value": "never-published"}])])

    assert data["m1"]["Timestamps"] == [] and data["m1"]["Values"] == []
    assert data["m1"]["StatusCode"] == "Complete" and data["m1"]["Label"] == "Invocations"


# --- PutMetricData and put_series ------------------------------------------------------------------


def test_given_data_from_api_and_from_put_series_when_queried_then_both_count(
    cw: CloudWatchClient, store: MetricStore, t0: datetime
) -> None:
    _put(cw, t0, Value=1.0)
    store.put_series(NS, "Invocations", {"EndpointName": "ep-a", "VariantName": "AllTraffic"},
                     [t0.timestamp() + 60, t0.timestamp() + 3600], sums=[10.0, 100.0], counts=60,
                     minimums=0.0, maximums=[1.0, 5.0])

    points = _stats(cw, t0, hours=2)

    assert [(p["Sum"], p["SampleCount"], p["Maximum"]) for p in points] == [(11.0, 61.0, 1.0), (100.0, 60.0, 5.0)]


def test_given_reserved_namespace_when_put_metric_data_then_rejected(cw: CloudWatchClient, t0: datetime) -> None:
    with pytest.raises(ClientError) as err:
        _put(cw, t0, namespace="AWS/SageMaker", Value=1.0)

    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_given_value_and_statistic_values_when_put_metric_data_then_rejected(
    cw: CloudWatchClient, t0: datetime
) -> None:
    with pytest.raises(ClientError) as err:
        _put(cw, t0, Value=1.0, StatisticValues={"Sum": 1.0, "SampleCount": 1.0, "Minimum": 1.0, "Maximum": 1.0})

    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"


# --- ListMetrics ---------------------------------------------------------------------------------


def test_given_600_metrics_when_listing_then_two_pages_hold_each_metric_once(
    cw: CloudWatchClient, store: MetricStore, t0: datetime
) -> None:
    for e in range(600):
        store.put_series(NS, "Invocations", {"EndpointName": f"ep-{e:03d}", "VariantName": "AllTraffic"},
                         [t0.timestamp()], values=[1.0])

    first = cw.list_metrics(Namespace=NS)
    second = cw.list_metrics(Namespace=NS, NextToken=first["NextToken"])
    listed = [m for page in cw.get_paginator("list_metrics").paginate(Namespace=NS) for m in page["Metrics"]]

    assert (len(first["Metrics"]), len(second["Metrics"]), "NextToken" in second) == (500, 100, False)
    names = [next(d["Value"] for d in m["Dimensions"] if d["Name"] == "EndpointName") for m in listed]
    assert sorted(names) == [f"ep-{e:03d}" for e in range(600)]


def test_given_metric_put_many_times_when_listing_then_it_appears_once(cw: CloudWatchClient, t0: datetime) -> None:
    for minute in range(5):
        _put(cw, t0 + timedelta(minutes=minute), Value=1.0)

    metrics = cw.list_metrics(Namespace=NS)["Metrics"]

    assert metrics == [{"Namespace": NS, "MetricName": "Invocations", "Dimensions": VARIANT}]


def test_given_dimension_filters_when_listing_then_metrics_with_at_least_those_dimensions_match(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, VARIANT, Value=1.0)
    _put(cw, t0, ENDPOINT, Value=1.0)
    _put(cw, t0, [{"Name": "EndpointName", "Value": "ep-b"}], Value=1.0)
    _put(cw, t0, [{"Name": "Host", "Value": "h"}], Value=1.0)

    by_value = cw.list_metrics(Namespace=NS, Dimensions=[{"Name": "EndpointName", "Value": "ep-a"}])["Metrics"]
    by_name = cw.list_metrics(Dimensions=[{"Name": "EndpointName"}])["Metrics"]
    by_both = cw.list_metrics(Dimensions=[{"Name": "EndpointName"}, {"Name": "VariantName"}])["Metrics"]

    assert sorted(len(m["Dimensions"]) for m in by_value) == [1, 2]
    assert len(by_name) == 3
    assert [m["Dimensions"] for m in by_both] == [VARIANT]


def test_given_old_and_recent_metrics_when_listing_recently_active_then_only_recent_ones(
    cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, [{"Name": "EndpointName", "Value": "old"}], Value=1.0)
    _put(cw, sim_clock.now() - timedelta(minutes=10), [{"Name": "EndpointName", "Value": "new"}], Value=1.0)

    recent = cw.list_metrics(Namespace=NS, RecentlyActive="PT3H")["Metrics"]

    assert [m["Dimensions"] for m in recent] == [[{"Name": "EndpointName", "Value": "new"}]]
    assert len(cw.list_metrics(Namespace=NS)["Metrics"]) == 2


def test_given_a_metric_silent_for_two_weeks_when_listing_then_it_is_left_out_but_still_read(
    cw: CloudWatchClient, store: MetricStore
) -> None:
    now = sim_clock.now()
    for name, age in (("quiet", timedelta(days=15)), ("weekly", timedelta(days=13))):
        store.put_series(NS, "Invocations", {"EndpointName": name}, [now - age],
                                                       sums=[5.0], counts=[5.0], minimums=[1.0], maximums=[1.0])

    listed = cw.list_metrics(Namespace=NS)["Metrics"]

    assert [m["Dimensions"] for m in listed] == [[{"Name": "EndpointName", "Value": "weekly"}]]
    read = cw.get_metric_data(StartTime=now - timedelta(days=20), EndTime=now, MetricDataQueries=[{
        "Id": "q", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "Invocations",
                                             "Dimensions": [{"Name": "EndpointName", "Value": "quiet"}]},
                                  "Period": 86400, "Stat": "Sum"}}])["MetricDataResults"][0]
    assert sum(read["Values"]) == 5.0


# --- isolation ------------------------------------------------------------------------------------


def test_given_data_in_one_region_and_account_when_queried_elsewhere_then_nothing(
    endpoint_url: str, cw: CloudWatchClient, t0: datetime
) -> None:
    _put(cw, t0, Value=1.0)
    sts = boto3.client("sts", endpoint_url=endpoint_url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    role = f"arn:aws:iam::{OTHER_ACCOUNT}:role/reader"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="reader")["Credentials"]
    other = _client(endpoint_url, key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                    token=creds["SessionToken"])
    metric_store(OTHER_ACCOUNT, "us-east-1").put_series(
        NS, "Invocations", {"EndpointName": "ep-a", "VariantName": "AllTraffic"}, [t0.timestamp()], values=[7.0]
    )

    assert _stats(_client(endpoint_url, "eu-west-1"), t0) == []
    assert _client(endpoint_url, "eu-west-1").list_metrics()["Metrics"] == []
    assert [p["Sum"] for p in _stats(other, t0)] == [7.0]
    assert [p["Sum"] for p in _stats(cw, t0)] == [1.0]


def test_given_install_called_again_when_querying_then_data_is_kept(cw: CloudWatchClient, t0: datetime) -> None:
    _put(cw, t0, Value=1.0)

    install()

    assert [p["Sum"] for p in _stats(cw, t0)] == [1.0]


def test_given_query_protocol_request_when_get_metric_data_then_moto_serializes_the_answer(
    endpoint_url: str, store: MetricStore, t0: datetime
) -> None:
    start = int(t0.timestamp())
    store.put_series(NS, "Invocations", {"EndpointName": "ep-a"}, [start, start + 3600], values=[1.0, 2.0])
    iso = [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for t in (start, start + 7200)]
    form = {
        "Action": "GetMetricData", "Version": "2010-08-01", "StartTime": iso[0], "EndTime": iso[1],
        "ScanBy": "TimestampAscending",
        "MetricDataQueries.member.1.Id": "m1",
        "MetricDataQueries.member.1.MetricStat.Metric.Namespace": NS,
        "MetricDataQueries.member.1.MetricStat.Metric.MetricName": "Invocations",
        "MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name": "EndpointName",
        "MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value": "ep-a",
        "MetricDataQueries.member.1.MetricStat.Period": "3600",
        "MetricDataQueries.member.1.MetricStat.Stat": "Sum",
    }
    request = urllib.request.Request(
        f"{endpoint_url}/", data=urllib.parse.urlencode(form).encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/monitoring/aws4_request, "
                                  "SignedHeaders=host, Signature=0"},
    )

    with urllib.request.urlopen(request) as response:
        body = response.read().decode()

    assert f"<Timestamps><member>{iso[0]}</member>" in body
    assert "<Values><member>1.0</member><member>2.0</member></Values>" in body


# --- the store on its own --------------------------------------------------------------------------


def test_given_values_with_counts_when_loaded_then_one_column_and_shared_timestamps_are_stored() -> None:
    store = MetricStore()
    ts = np.arange(0, 336 * 3600, 3600)

    for e in range(3):
        store.put_series(NS, "CPUUtilization", {"EndpointName": f"ep-{e}"}, ts, values=np.full(336, 50.0), counts=60)

    assert store.nbytes() == 336 * 8 + 3 * 336 * 8 + 8  # timestamps once, one column each, one shared count
    data = store.read(("/aws/sagemaker/Endpoints", "CPUUtilization", (("EndpointName", "ep-1"),)), 0, 3600)
    assert data is not None and (data.sums.tolist(), data.counts.tolist()) == ([3000.0], [60.0])


def test_given_unsorted_timestamps_when_loaded_then_datapoints_are_read_in_time_order() -> None:
    store = MetricStore()

    store.put_series(NS, "Invocations", {}, [300.0, 100.0, 200.0], values=[3.0, 1.0, 2.0])

    data = store.read((NS, "Invocations", ()), 0, 1000)
    assert data is not None and (data.ts.tolist(), data.sums.tolist()) == ([100, 200, 300], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "columns",
    [{"values": [1.0, 2.0, 3.0]}, {"values": [1.0, 2.0], "sums": [1.0, 2.0]}, {"sums": [1.0, 2.0], "counts": 1},
     {"values": [1.0, float("nan")]}, {"values": float("inf")}, {"values": [1.0, 2.0], "counts": [1.0, 0.0]}],
)
def test_given_inconsistent_columns_when_put_series_then_value_error(columns: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        MetricStore().put_series(NS, "Invocations", {}, [1.0, 2.0], **columns)


def test_given_no_timestamps_when_put_series_then_no_metric_appears() -> None:
    store = MetricStore()

    store.put_series(NS, "Invocations", {"EndpointName": "ep-a"}, [], values=[])

    assert len(store) == 0 and store.list_metrics(NS) == []
