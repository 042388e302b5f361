"""Benchmark the simulated CloudWatch: bulk load, memory, and query latency through boto3.

Run: ``python benchmarks/bench_cloudwatch_store.py [--endpoints 10000] [--repeat 5]``

Figures printed:
- load time (``put_series`` calls only, not data generation) and memory of 14 days of hourly
  data, five metrics per endpoint variant (Invocations and ModelLatency as statistic sets, the
  utilizations as hourly means of 60 samples);
- the same for 14 days of 5-minute raw values (4,032 points) of one metric per endpoint, measured
  in a fresh process so that its resident memory is not blurred by the first load;
- GetMetricData with 500 queries over 14 days (1-day and 1-hour periods, the latter paginated):
  the store and query engine alone, the moto server's share (parse, engine, serialize), and the
  round trip through boto3 (which adds botocore's parsing of every timestamp);
- GetMetricStatistics, and ListMetrics over every metric and with a dimension filter.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import numpy as np
from moto.cloudwatch.responses import CloudWatchResponse
from moto.server import ThreadedMotoServer

from sagetrim.sim.cloudwatch import get_metric_data, install, metric_store

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

    from sagetrim.sim.metrics_store import MetricStore

ACCOUNT = "123456789012"
REGION = "us-east-1"
NAMESPACE = "/aws/sagemaker/Endpoints"
METRICS = ("Invocations", "ModelLatency", "CPUUtilization", "MemoryUtilization", "GPUUtilization")
DAYS = 14


def rss_mib() -> float:
    """Resident memory of this process in MiB (Linux), or NaN elsewhere."""
    try:
        with open("/proc/self/statm") as f:  # noqa: PTH123
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def free_port() -> int:
    """Return a TCP port that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time in seconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def endpoint(e: int) -> dict[str, str]:
    """The dimensions of endpoint variant number ``e``."""
    return {"EndpointName": f"endpoint-{e:05d}", "VariantName": "AllTraffic"}


def hourly_series(endpoints: int, end: int) -> Iterator[tuple[str, dict[str, str], np.ndarray, dict[str, Any]]]:
    """Yield (metric, dimensions, timestamps, put_series keywords) for the hourly fleet."""
    rng = np.random.default_rng(7)
    ts = np.arange(end - DAYS * 86_400, end, 3_600, dtype=np.int64)
    n = ts.size
    for e in range(endpoints):
        dims = endpoint(e)
        calls = np.zeros(n) if e % 3 == 0 else rng.poisson(120.0, n).astype(np.float64)
        yield "Invocations", dims, ts, {"sums": calls, "counts": 60, "minimums": 0, "maximums": calls / 20}
        latency = rng.gamma(4.0, 5_000.0, n)
        yield "ModelLatency", dims, ts, {"sums": latency * 60, "counts": 60, "minimums": latency * 0.5,
                                         "maximums": latency * 3, "unit": "Microseconds"}
        for name in METRICS[2:]:
            # Hourly means of 60 one-minute samples: one column, sums derive from it.
            yield name, dims, ts, {"values": rng.uniform(1.0, 80.0, n), "counts": 60, "unit": "Percent"}


def five_minute_series(endpoints: int, end: int) -> Iterator[tuple[str, dict[str, str], np.ndarray, dict[str, Any]]]:
    """Yield 5-minute raw values (4,032 per series) of one metric per endpoint."""
    rng = np.random.default_rng(11)
    ts = np.arange(end - DAYS * 86_400, end, 300, dtype=np.int64)
    for e in range(endpoints):
        yield "Invocations", endpoint(e), ts, {"values": rng.poisson(10.0, ts.size).astype(np.float64)}


def load(
    store: MetricStore, series: Iterator[tuple[str, dict[str, str], np.ndarray, dict[str, Any]]]
) -> tuple[float, float]:
    """Bulk-load ``series``; return the wall and CPU seconds spent in ``put_series`` alone."""
    wall = cpu = 0.0
    for name, dims, ts, columns in series:
        t0, c0 = time.perf_counter(), time.process_time()
        store.put_series(NAMESPACE, name, dims, ts, **columns)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
    return wall, cpu


def report_load(label: str, store: MetricStore, seconds: tuple[float, float], rss_before: float) -> None:
    """Print one load figure."""
    points = store.point_count()
    print(f"{label}: {len(store):,} series, {points:,} points, put_series {seconds[0]:.2f} s "
          f"(CPU {seconds[1]:.2f} s); "
          f"columns {store.nbytes() / 2**20:.0f} MiB ({store.nbytes() / points:.1f} B/point), "
          f"RSS +{rss_mib() - rss_before:.0f} MiB")


def gmd_queries(count: int, period: int) -> list[dict[str, Any]]:
    """``count`` MetricStat queries on Invocations of distinct endpoints."""
    return [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": "Invocations",
                    "Dimensions": [{"Name": k, "Value": v} for k, v in endpoint(i).items()],
                },
                "Period": period,
                "Stat": "Sum",
            },
        }
        for i in range(count)
    ]


def all_pages(call: Callable[[dict[str, Any]], dict[str, Any]], request: dict[str, Any]) -> tuple[int, int]:
    """Follow NextToken through every GetMetricData page; return (calls, datapoints)."""
    calls = points = 0
    kwargs = dict(request)
    while True:
        page = call(kwargs)
        calls += 1
        points += sum(len(r["Values"]) for r in page["MetricDataResults"])
        if "NextToken" not in page:
            return calls, points
        kwargs["NextToken"] = page["NextToken"]


def five_minute_phase(endpoints: int, end: int) -> None:
    """The 5-minute load on its own (run in a fresh process)."""
    install()
    store = metric_store(ACCOUNT, REGION)
    gc.collect()
    rss0 = rss_mib()
    report_load("5-min raw values", store, load(store, five_minute_series(endpoints, end)), rss0)


class ServerTimer:
    """Adds up the time moto's server spends answering CloudWatch requests (parse, engine, serialize)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def install(self) -> None:
        """Wrap ``CloudWatchResponse.dispatch``; call before the server starts (moto binds it then)."""
        original = CloudWatchResponse.dispatch.__func__  # type: ignore[attr-defined]

        def dispatch(cls: type, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(cls, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        CloudWatchResponse.dispatch = classmethod(dispatch)  # type: ignore[method-assign, assignment]


def query_phase(store: MetricStore, client: CloudWatchClient, server: ServerTimer, end: int, endpoints: int,
                repeat: int) -> None:
    """Time GetMetricData, GetMetricStatistics and ListMetrics."""
    start_dt, end_dt = datetime.fromtimestamp(end - DAYS * 86_400, UTC), datetime.fromtimestamp(end, UTC)
    n_queries = min(500, endpoints)
    for period, label in ((86_400, "1-day"), (3_600, "1-hour")):
        request = {"MetricDataQueries": gmd_queries(n_queries, period), "StartTime": start_dt, "EndTime": end_dt}
        engine, _ = timed(lambda r=request: all_pages(lambda kw: get_metric_data(store, kw), r), repeat)  # type: ignore[misc]
        all_pages(lambda kw: client.get_metric_data(**kw), request)  # type: ignore[arg-type, return-value]
        server.seconds = 0.0
        wire, (calls, points) = timed(
            lambda r=request: all_pages(lambda kw: client.get_metric_data(**kw), r), repeat  # type: ignore[arg-type, misc, return-value]
        )
        print(f"GetMetricData {n_queries} queries x {DAYS} d, {label} period, {points:,} datapoints in {calls} "
              f"call(s): engine {engine * 1e3:.0f} ms, server {server.seconds / repeat * 1e3:.0f} ms, "
              f"through boto3 {wire * 1e3:.0f} ms")
    latency, _ = timed(
        lambda: client.get_metric_statistics(
            Namespace=NAMESPACE, MetricName="CPUUtilization",
            Dimensions=[{"Name": k, "Value": v} for k, v in endpoint(1).items()],
            StartTime=start_dt, EndTime=end_dt, Period=3_600, Statistics=["Average", "Maximum"],
        ),
        repeat,
    )
    print(f"GetMetricStatistics {DAYS} d, 1-hour period (336 datapoints): {latency * 1e3:.0f} ms")

    def list_all() -> tuple[int, int]:
        pages = metrics = 0
        for page in client.get_paginator("list_metrics").paginate(Namespace=NAMESPACE):
            pages += 1
            metrics += len(page["Metrics"])
        return pages, metrics

    latency, (pages, metrics) = timed(list_all, 1)
    print(f"ListMetrics, whole namespace: {latency:.2f} s ({pages} pages, {metrics:,} metrics, "
          f"{latency / pages * 1e3:.0f} ms/page)")
    latency, _ = timed(
        lambda: client.list_metrics(
            Namespace=NAMESPACE, Dimensions=[{"Name": "EndpointName", "Value": "endpoint-00042"}]
        ),
        repeat,
    )
    print(f"ListMetrics with an EndpointName filter: {latency * 1e3:.0f} ms")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--phase", choices=("all", "five-minute"), default="all", help=argparse.SUPPRESS)
    args = parser.parse_args()
    end = (int(time.time()) // 86_400) * 86_400

    if args.phase == "five-minute":
        five_minute_phase(args.endpoints, end)
        return
    print(f"endpoints: {args.endpoints:,}, history: {DAYS} days")
    install()
    store = metric_store(ACCOUNT, REGION)
    gc.collect()
    rss0 = rss_mib()
    report_load("hourly fleet", store, load(store, hourly_series(args.endpoints, end)), rss0)
    sys.stdout.flush()
    subprocess.run([sys.executable, __file__, "--phase", "five-minute", "--endpoints", str(args.endpoints)],
                   check=True)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no log line per request
    timer = ServerTimer()
    timer.install()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        client: CloudWatchClient = boto3.client(
            "cloudwatch", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        query_phase(store, client, timer, end, args.endpoints, args.repeat)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
