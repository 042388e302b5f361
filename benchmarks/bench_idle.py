"""Requests and wall time of the idle-endpoint check per 1,000 endpoints, beside one-call-per-endpoint.

The per-endpoint approach is the published idle-endpoint Lambda (paginating, to be fair to it):
ListEndpoints, then DescribeEndpoint and GetMetricStatistics(Invocations) for every endpoint.
sagetrim reads every variant's invocations, hour by hour over 14 days, in GetMetricData calls of 500
queries (paginated at 100,800 datapoints), the variant names CloudWatch holds in one paginated ListMetrics,
and the opt-outs in one tagging call per region.

    python benchmarks/bench_idle.py [--endpoints 1000] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import select
from sagetrim.sim.account import start_account
from sagetrim.sim.fleet import Scenario

REGION = "us-east-1"


def per_endpoint(server: Any) -> set[str]:
    sm, cw = server.client("sagemaker", REGION), server.client("cloudwatch", REGION)
    end = datetime.now(UTC)
    idle = set()
    for page in sm.get_paginator("list_endpoints").paginate():
        for ep in page["Endpoints"]:
            desc = sm.describe_endpoint(EndpointName=ep["EndpointName"])
            total = 0.0
            for v in desc["ProductionVariants"]:
                stats = cw.get_metric_statistics(
                    Namespace="AWS/SageMaker", MetricName="Invocations", StartTime=end - timedelta(hours=24),
                    EndTime=end, Period=86400, Statistics=["Sum"],
                    Dimensions=[{"Name": "EndpointName", "Value": ep["EndpointName"]},
                                {"Name": "VariantName", "Value": v["VariantName"]}])
                total += sum(p["Sum"] for p in stats["Datapoints"])
            if total == 0:
                idle.add(ep["EndpointName"])
    return idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    os.environ["SAGETRIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="sagetrim-bench-")
    half = args.endpoints // 2
    scenario = Scenario.model_validate({"regions": {REGION: {"endpoints": [
        {"name": "idle", "count": half, "traffic": "idle"},
        {"name": "busy", "count": args.endpoints - half, "traffic": "steady"}]}}})
    server, _ = start_account(scenario)
    server.faults.set_latency(args.latency_ms / 1000)
    try:
        session = server.session(REGION)
        # Warm the describe cache so the sagetrim figures are the idle check itself, as in a scheduled run.
        run_scan(session, [REGION], [], load_catalog(use_cache=False), rules=[])
        server.requests.reset()
        t0 = time.perf_counter()
        result = run_scan(session, [REGION], [], load_catalog(use_cache=False), rules=select(["idle-endpoint"]),
                          settings=Settings())
        ours_s = time.perf_counter() - t0
        ours = server.requests.counts()
        server.requests.reset()
        t0 = time.perf_counter()
        theirs_idle = per_endpoint(server)
        theirs_s = time.perf_counter() - t0
        theirs = server.requests.counts()
    finally:
        server.stop()
    assert {f.name for f in result.findings} == theirs_idle, "both approaches must find the same endpoints"
    n = args.endpoints
    check = {k: v for k, v in ours.items()
             if k in ("cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "resourcegroupstaggingapi:GetResources")}
    print(f"{n} endpoints ({half} idle), {args.latency_ms:g} ms added per request; both find the same {half}")
    print(f"{'approach':52} {'requests':>9} {'per 1k':>8} {'wall s':>8}")
    print(f"{'sagetrim idle check (metrics, listing, tagging)':52} {sum(check.values()):9d} "
          f"{sum(check.values()) * 1000 / n:8.1f}")
    print(f"{'sagetrim whole run (lists + idle check, warm cache)':52} {sum(ours.values()):9d} "
          f"{sum(ours.values()) * 1000 / n:8.1f} {ours_s:8.2f}")
    print(f"{'one call per endpoint (Describe + GetMetricStatistics)':52} {sum(theirs.values()):9d} "
          f"{sum(theirs.values()) * 1000 / n:8.1f} {theirs_s:8.2f}")
    print("sagetrim:", check, "\nper endpoint:", theirs)


if __name__ == "__main__":
    main()
