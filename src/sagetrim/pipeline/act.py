"""The act step: carry out the findings' recommended actions — planned only, unless applied."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import boto3

from sagetrim.actions.budget import TimeBudget
from sagetrim.actions.executor import ActReport, Outcome, carry_out
from sagetrim.actions.journal import Journal
from sagetrim.actions.notify import NotifySettings
from sagetrim.actions.reconcile import Settled, reconcile
from sagetrim.actions.state import StateStore, open_store
from sagetrim.aws.session import client
from sagetrim.catalog import Catalog
from sagetrim.config import Settings
from sagetrim.inventory.scan import ScanResult
from sagetrim.pipeline.progress import OnProgress, ignore
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import RULES
from sagetrim.rules.model import Action, Finding
from sagetrim.rules.rule import Rule


@dataclass
class ActRun:
    """A scan, the findings acted on, and what happened to each."""

    scan: ScanResult
    report: ActReport
    store: str

    def to_json(self) -> dict[str, Any]:
        return {**self.report.to_json(), "state_store": self.store, "findings": len(self.scan.findings),
                "errors": [e.to_json() for e in self.scan.errors], "api_calls": self.scan.api_calls}


def _rechecker(scan: ScanResult, settings: Settings) -> Any:
    """Right before a destructive action, ask the rule again with fresh data."""
    clients: dict[tuple[str, str], Any] = {}

    def recheck(finding: Finding) -> str | None:
        rule = RULES.get(finding.rule)
        if rule is None or rule.recheck is None:
            return None
        key = (finding.account, finding.region)
        if key not in clients:
            clients[key] = client(scan.sessions[finding.account], "cloudwatch", finding.region)
        params = settings.rule_params(finding.rule, rule.params)
        return rule.recheck(finding, clients[key], params, datetime.now(UTC))

    return recheck


def run_act(session: boto3.Session, regions: list[str], role_arns: list[str], catalog: Catalog, settings: Settings,
            rules: list[Rule[Any]] | None, *, apply: bool, on_progress: OnProgress = ignore,
            store: StateStore | None = None, budget: TimeBudget | None = None) -> ActRun:
    """Scan, find waste and act on it: every action planned (and journaled) unless `apply`."""
    scan = run_scan(session, regions or settings.regions, role_arns or settings.role_arns, catalog,
                    rules=rules, settings=settings, on_progress=on_progress)
    return act(session, scan, settings, apply=apply, store=store, budget=budget)


def acted_on(findings: list[Finding], enabled: Iterable[str]) -> list[Finding]:
    """The findings `act` takes up: those whose action is enabled; a finding whose action is turned off is
    sent as a notice instead when notify is on (turning a change off does not silence the finding)."""
    on = set(enabled)
    out = []
    for f in findings:
        if f.action.value in on:
            out.append(f)
        elif Action.NOTIFY.value in on:
            out.append(replace(f, action=Action.NOTIFY))
    return out


def act(session: boto3.Session, scan: ScanResult, settings: Settings, *, apply: bool,
        store: StateStore | None = None, budget: TimeBudget | None = None) -> ActRun:
    """Act on a scan's findings: every action planned (and journaled) unless `apply`.

    Args:
        session: the caller's session; notices go out as the caller.
        scan: a scan with its findings and the sessions of its accounts.
        store: where backups and the journal go; by default the settings' state.
        budget: bounds the time of the actions (see :class:`TimeBudget`); what does not fit is deferred.
    """
    findings = acted_on(scan.findings, settings.actions.enabled)
    store = store or open_store(settings.state, session)
    topic = settings.notify.sns_topic_arn
    topic_account = topic.split(":")[4] if topic else None

    def session_for(account: str, region: str) -> boto3.Session:
        # Notices go out as the caller (whose stack owns the topic); actions run in each resource's account.
        if account == topic_account or account not in scan.sessions:
            return session
        return scan.sessions[account]

    journal = Journal(store)
    settled: list[Settled] = []
    if apply:
        def own_session(account: str, region: str) -> boto3.Session:
            # Only a session of the intent's own account can tell whether its resource is gone.
            if account not in scan.sessions:
                raise RuntimeError(f"account {account} is not among the accounts of this run")
            return scan.sessions[account]

        settled = reconcile(journal, own_session, datetime.now(UTC))
    outcomes = carry_out(
        findings,
        session_for=session_for,
        store=store, journal=journal, apply=apply, recheck=_rechecker(scan, settings),
        notify=NotifySettings(settings.notify.sns_topic_arn, settings.notify.webhook_url),
        max_actions=settings.actions.max_per_run, budget=budget,
    )
    return ActRun(scan=scan, report=ActReport(dry_run=not apply, outcomes=outcomes,
                                              settled=[_settled_outcome(s) for s in settled]),
                  store=store.location())


def _settled_outcome(settled: Settled) -> Outcome:
    i = settled.intent
    return Outcome(finding_id=i.finding_id, rule=i.rule, action=i.action, account=i.account, region=i.region,
                   kind=i.kind, name=i.name, arn=i.arn, status=settled.outcome, reason=settled.reason,
                   monthly_savings_usd=i.monthly_savings_usd, backup=i.backup)
