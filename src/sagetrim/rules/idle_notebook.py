"""idle-notebook: a notebook instance that has run without a break far longer than a working day.

Notebook instances publish no utilization metrics, so the evidence is the one AWS records: how long
the instance has been InService since it last started (`LastModifiedTime`). One that has run for
days without a stop is left on overnight; stopping it keeps its volume and everything on it. One whose
lifecycle configuration installs a recognised autostop (see `rules.autostop_detect`) is left alone: it
would have stopped itself when idle, so its uptime was use.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sagetrim.inventory.details import NotebookDetails
from sagetrim.inventory.model import Kind
from sagetrim.rules.autostop_detect import find_autostop
from sagetrim.rules.context import RuleContext
from sagetrim.rules.left_running import LeftRunningParams, left_running_finding
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="idle-notebook", title="Notebook instance running for days", severity=Severity.MEDIUM,
                kind=Kind.NOTEBOOK.value, action=Action.STOP_NOTEBOOK)


@dataclass(frozen=True)
class Params(LeftRunningParams):
    """Left-running settings (see `rules.left_running.LeftRunningParams`)."""


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r in ctx.of_kind(Kind.NOTEBOOK):
        if r.status != "InService" or r.last_modified is None:
            continue
        running = (ctx.now - r.last_modified).total_seconds() / 3600
        if not params.left_on(running):
            continue
        d = r.details_as(NotebookDetails)
        config = d.lifecycle_config if d else None
        verdict = find_autostop(ctx.lifecycle_script(config)) if config else None
        if verdict is not None and verdict.stops_when_idle:
            continue
        compute_per_hour = r.usd_per_hour - (d.storage_usd_per_hour if d else 0.0)
        yield left_running_finding(
            META, ctx, r, running, r.last_modified, compute_per_hour, params,
            {"instance_type": r.instance_type, "usd_per_hour": round(compute_per_hour, 4), "lifecycle_config": config,
             "autostop": verdict.reason if verdict else "no lifecycle configuration"},
            "InService for {days:.1f} days without a stop; stopping it when unused saves ${monthly:,.2f} a month "
            "(its volume and files stay)")


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, needs_lifecycle_scripts=True)
