"""`sagetrim demo`: the whole product on a simulated account, in well under a minute, leaving nothing running."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from sagetrim.act import run_act
from sagetrim.actions.state import LocalStore
from sagetrim.catalog import load_catalog
from sagetrim.config import Settings
from sagetrim.inventory.scan import run_scan
from sagetrim.report.act import plan_summary_view
from sagetrim.report.output import money, to_json
from sagetrim.report.scan import scan_view
from sagetrim.sim.account import start_account
from sagetrim.sim.fleet import demo_scenario

NEXT_STEPS = """[bold]Point sagetrim at a real account[/] (read-only; it changes nothing):
  sagetrim scan --profile PROFILE --regions all
  sagetrim act --profile PROFILE --regions all        # the plan; add --apply to carry it out
  sagetrim scan --role-arn arn:aws:iam::111122223333:role/sagetrim-read --regions us-east-1,eu-west-1
  sagetrim prices ml.g5 --usage hosting          sagetrim estimate --plan examples/plan.yaml --compare
Keep the simulated account running to try the commands against it:  sagetrim sim serve --preset demo"""


def run_demo(console: Console, err_console: Console, *, as_json: bool = False) -> None:
    """Start the demo account, scan it, show where the money goes, and stop the account."""
    started = time.perf_counter()
    scenario = demo_scenario()
    with err_console.status("Starting a simulated AWS account with a team's SageMaker fleet…"):
        server, _ = start_account(scenario)
    try:
        session = server.session(next(iter(scenario.regions)))
        catalog = load_catalog(use_cache=False)
        result = run_scan(session, list(scenario.regions), [], catalog, use_cache=False,
                          console=None if as_json else err_console)
        with tempfile.TemporaryDirectory(prefix="sagetrim-demo-") as state:
            plan = run_act(session, [], [], catalog, Settings(), None, apply=False, scan=result,
                           store=LocalStore(Path(state)))
    finally:
        server.stop()
    if as_json:
        console.print(to_json({**result.to_json(), "plan": plan.report.to_json()}), markup=False, highlight=False,
                      soft_wrap=True)
        return
    totals = result.totals()
    savings = result.savings()
    console.print(Panel.fit(
        f"Simulated account {result.accounts[0]}: {totals['resources']} SageMaker resources that bill, in "
        f"{len(result.regions)} regions, burning [bold]{money(totals['usd_per_hour'])}/hour[/] — "
        f"[bold]{money(totals['projected_month_usd'])}[/] projected this month.\n"
        f"{savings['findings']} findings on {savings['resources']} resources: about "
        f"[bold green]{money(savings['monthly_usd'])} a month[/] of it is waste.",
        title="sagetrim demo"))
    console.print(scan_view(result, limit=15, width=console.width))
    console.print(plan_summary_view(plan))
    console.print(Panel(NEXT_STEPS, title="Next", expand=False))
    console.print(f"[dim]demo finished in {time.perf_counter() - started:.1f} s; the simulated account is stopped.[/]")
