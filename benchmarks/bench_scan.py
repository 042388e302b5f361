"""API requests and wall time of `sagetrim scan` per 1,000 resources, beside the naive approach.

The naive approach is what a hand-written script does: list calls at their default page size, then one
describe per resource (two per endpoint: endpoint and configuration) on every run.

    python benchmarks/bench_scan.py [--endpoints 1000] [--notebooks 300] [--jobs 200]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any

from sagetrim.catalog import load_catalog
from sagetrim.pipeline.scan import run_scan
from sagetrim.sim.account import start_account
from sagetrim.sim.fleet import Scenario

REGIONS = ["us-east-1", "eu-west-1"]


def scenario(endpoints: int, notebooks: int, jobs: int) -> Scenario:
    per = len(REGIONS)
    return Scenario.model_validate({"regions": {r: {
        "endpoints": [{"name": f"ep-{r}", "count": endpoints // per, "instance_type": "ml.m5.xlarge",
                       "traffic": "idle"}],
        "notebooks": [{"name": f"nb-{r}", "count": notebooks // per}],
        "training_jobs": [{"name": f"tj-{r}", "count": jobs // per, "hours": 2}],
    } for r in REGIONS}})


def naive_scan(server: Any) -> int:
    """List at the default page size and describe every resource, as a simple script would."""
    for region in REGIONS:
        sm = server.client("sagemaker", region)
        for page in sm.get_paginator("list_endpoints").paginate():
            for ep in page["Endpoints"]:
                desc = sm.describe_endpoint(EndpointName=ep["EndpointName"])
                sm.describe_endpoint_config(EndpointConfigName=desc["EndpointConfigName"])
        for page in sm.get_paginator("list_notebook_instances").paginate():
            for nb in page["NotebookInstances"]:
                sm.describe_notebook_instance(NotebookInstanceName=nb["NotebookInstanceName"])
        for page in sm.get_paginator("list_training_jobs").paginate(StatusEquals="InProgress"):
            for job in page["TrainingJobSummaries"]:
                sm.describe_training_job(TrainingJobName=job["TrainingJobName"])
    return 0


def measure(server: Any, label: str, fn: Any) -> tuple[int, float]:
    server.requests.reset()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    return server.requests.total(), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--notebooks", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--inventory-only", action="store_true", help="scan without the rules (--rules none)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="added to every request, as a real AWS round trip would be (e.g. 30)")
    args = parser.parse_args()
    os.environ["SAGETRIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="sagetrim-bench-")
    resources = args.endpoints + args.notebooks + args.jobs
    t0 = time.perf_counter()
    server, summary = start_account(scenario(args.endpoints, args.notebooks, args.jobs))
    print(f"fleet: {summary.counts} in {time.perf_counter() - t0:.1f} s")
    catalog = load_catalog(use_cache=False)
    session = server.session(REGIONS[0])
    server.faults.set_latency(args.latency_ms / 1000)
    rules = [] if args.inventory_only else None  # None: every rule, as `sagetrim scan` runs them
    try:
        rows = []
        for label, fn in (
            ("naive: default pages, describe everything", lambda: naive_scan(server)),
            ("sagetrim scan, first run", lambda: run_scan(session, REGIONS, [], catalog, rules=rules)),
            ("sagetrim scan, nothing changed", lambda: run_scan(session, REGIONS, [], catalog, rules=rules)),
        ):
            calls, seconds = measure(server, label, fn)
            rows.append((label, calls, seconds))
    finally:
        server.stop()
    print(f"\n{resources} resources in {len(REGIONS)} regions "
          f"(sim on loopback, {args.latency_ms:g} ms added per request; "
          f"{'inventory only' if args.inventory_only else 'inventory and every rule'})")
    print(f"{'approach':45} {'requests':>9} {'per 1k res':>11} {'wall s':>8} {'s per 1k':>9}")
    for label, calls, seconds in rows:
        per_k = 1000 / resources
        print(f"{label:45} {calls:9d} {calls * per_k:11.1f} {seconds:8.2f} {seconds * per_k:9.2f}")


if __name__ == "__main__":
    main()
