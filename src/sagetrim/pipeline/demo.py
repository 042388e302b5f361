"""`sagetrim demo`: the whole flow on a simulated account, leaving nothing running."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sagetrim.actions.state import LocalStore
from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.act import ActRun, act
from sagetrim.pipeline.progress import OnProgress, Progress, ignore
from sagetrim.pipeline.scan import run_scan
from sagetrim.sim.account import start_account
from sagetrim.sim.fleet import demo_scenario


@dataclass(frozen=True)
class DemoRun:
    """The demo's scan, the plan made from it, and when it started (`time.perf_counter()`)."""

    scan: ScanResult
    plan: ActRun
    started: float


def run_demo(on_progress: OnProgress = ignore) -> DemoRun:
    """Start the demo account, scan it, plan the actions (a dry run), and stop the account."""
    started = time.perf_counter()
    scenario = demo_scenario()
    starting = "Starting a simulated AWS account with a team's SageMaker fleet…"
    on_progress(Progress("start", 0, 1, starting))
    server, _ = start_account(scenario)
    on_progress(Progress("start", 1, 1, starting))
    try:
        session = server.session(next(iter(scenario.regions)))
        catalog = load_catalog(use_cache=False)
        result = run_scan(session, list(scenario.regions), [], catalog, use_cache=False, on_progress=on_progress)
        with tempfile.TemporaryDirectory(prefix="sagetrim-demo-") as state:
            plan = act(session, result, Settings(), apply=False, store=LocalStore(Path(state)))
    finally:
        server.stop()
    return DemoRun(scan=result, plan=plan, started=started)


__all__ = ["DemoRun", "run_demo"]
