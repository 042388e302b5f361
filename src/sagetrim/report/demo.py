"""How `sagetrim demo` is shown: the waste in a panel, where the money goes, the plan, and what next."""

from __future__ import annotations

import time

from rich.console import Console
from rich.panel import Panel

from sagetrim.pipeline.demo import DemoRun
from sagetrim.report.act import plan_summary_view
from sagetrim.report.output import money, to_json
from sagetrim.report.scan import scan_view
from sagetrim.report.terminal import markup, safe, styled

NEXT_STEPS = """[bold]Point sagetrim at a real account[/] (read-only; it changes nothing):
  sagetrim scan --profile PROFILE --regions all
  sagetrim act --profile PROFILE --regions all        # the plan; add --apply to carry it out
  sagetrim scan --role-arn arn:aws:iam::111122223333:role/sagetrim-read --regions us-east-1,eu-west-1
  sagetrim prices ml.g5 --usage hosting          sagetrim estimate --plan examples/plan.yaml --compare
Keep the simulated account running to try the commands against it:  sagetrim sim serve --preset demo"""


def unknown_price(count: int) -> str:
    """What the dollars leave out, for a headline."""
    return f" ({count} of unknown price not counted)" if count else ""


def print_demo(run: DemoRun, console: Console, *, as_json: bool = False) -> None:
    """The demo's scan and plan: a JSON document, or the panels and tables a new user reads."""
    result, plan = run.scan, run.plan
    if as_json:
        console.print(to_json({**result.to_json(), "plan": plan.report.to_json()}), markup=False, highlight=False,
                      soft_wrap=True)
        return
    totals = result.totals()
    savings = result.savings()
    console.print(Panel.fit(markup(
        f"Simulated account {safe(result.accounts[0])}: {len(result.resources)} SageMaker resources that bill, in "
        f"{len(result.regions)} regions, burning [bold]{money(totals['usd_per_hour'])}/hour[/]"
        f"{unknown_price(totals['price_unknown'])} — "
        f"[bold]{money(totals['projected_month_usd'])}[/] projected this month.\n"
        f"{savings['findings']} findings on {savings['resources']} resources: about "
        f"[bold green]{money(savings['monthly_usd'])} a month[/] of it is waste."),
        title="sagetrim demo"))
    console.print(scan_view(result, limit=15, width=console.width))
    console.print(plan_summary_view(plan))
    console.print(Panel(markup(NEXT_STEPS), title="Next", expand=False))
    console.print(styled((f"demo finished in {time.perf_counter() - run.started:.1f} s; the simulated account is "
                          "stopped.", "dim")))
