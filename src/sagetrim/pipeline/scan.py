"""A scan as steps: resolve accounts x regions, collect (with prices), enrich (opt-outs, metrics), evaluate
(the rules). `run_scan` runs them in that order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.aws.calls import CallCounter
from sagetrim.aws.session import client
from sagetrim.catalog import Catalog
from sagetrim.config import Settings
from sagetrim.inventory.collectors import COLLECTORS
from sagetrim.inventory.model import Resource, ScanError
from sagetrim.inventory.scan import Account, ScanResult, resolve_accounts, resolve_regions, scan
from sagetrim.pipeline.progress import OnProgress, Progress, ignore
from sagetrim.rules import select
from sagetrim.rules.context import RuleContext
from sagetrim.rules.engine import Judged, enrich_region, evaluate_region
from sagetrim.rules.rule import Rule

ClientFor = Callable[[str, str, str], Any]  # (account, region, service) -> client


@dataclass
class Targets:
    """The accounts and regions of a run, the calls spent finding them, and the accounts that could not be
    reached."""

    accounts: list[Account]
    regions: list[str]
    counter: CallCounter = field(default_factory=CallCounter)
    errors: list[ScanError] = field(default_factory=list)

    def pairs(self) -> list[tuple[str, str]]:
        return [(a.account_id, r) for a in self.accounts for r in self.regions]

    def client_for(self) -> ClientFor:
        """One counted client per (account, region, service), made on first use."""
        sessions = {a.account_id: a.session for a in self.accounts}
        clients: dict[tuple[str, str, str], Any] = {}

        def client_for(account: str, region: str, service: str) -> Any:
            key = (account, region, service)
            if key not in clients:
                clients[key] = self.counter.attach(client(sessions[account], service, region))
            return clients[key]

        return client_for


def resolve_targets(session: boto3.Session, regions: list[str], role_arns: list[str]) -> Targets:
    """The accounts (the caller's, or those of the roles) and the regions (`all`, or the session's) to scan."""
    targets = Targets(accounts=[], regions=[])
    targets.accounts = resolve_accounts(session, role_arns, targets.counter, targets.errors)
    targets.regions = resolve_regions(session, regions)
    return targets


def rule_needs(rules: list[Rule[Any]], settings: Settings) -> tuple[int, bool]:
    """What the rules need collected besides the resources: days of finished jobs, and endpoint facts."""
    history_days = max((rule.days_of_history(settings.rule_params(rule.id, rule.params)) for rule in rules),
                       default=0)
    facts = any(rule.needs_endpoint_facts for rule in rules)
    return history_days, facts


def collect(targets: Targets, catalog: Catalog, *, now: datetime | None = None, use_cache: bool = True,
            history_days: int = 0, endpoint_facts: bool = False, on_progress: OnProgress = ignore) -> ScanResult:
    """Collect and price every resource in every account and region (inventory/scan.py)."""
    total = len(targets.accounts) * len(targets.regions) * len(COLLECTORS)
    done = 0
    on_progress(Progress("collect", 0, total, "Scanning SageMaker"))

    def tick(account: str, region: str, kind: str, found: int) -> None:
        nonlocal done
        done += 1
        on_progress(Progress("collect", done, total, f"Scanning {region} {kind}"))

    result = scan(targets.accounts, targets.regions, catalog, now=now, counter=targets.counter,
                  use_cache=use_cache, on_progress=tick, history_days=history_days, endpoint_facts=endpoint_facts)
    if done < total:  # every unit reported, so that the step ends even when a kind was not collected
        on_progress(Progress("collect", total, total, "Scanned SageMaker"))
    return result


@dataclass
class Enriched:
    """What the rules read, one context per account and region; the opted-out resources left out of them;
    and the regions whose reads failed."""

    contexts: list[RuleContext] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # ARNs opted out with the sagetrim:exclude tag
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # every tagged resource's tags, by ARN
    errors: list[ScanError] = field(default_factory=list)


def enrich(resources: list[Resource], targets: Targets, rules: list[Rule[Any]], settings: Settings,
           catalog: Catalog, now: datetime) -> Enriched:
    """Per account and region, read what the rules need (opt-outs, metrics, lifecycle scripts). One that
    fails is reported and gives no inventory (its opt-outs could not be read); the others go on."""
    by_target: dict[tuple[str, str], list[Resource]] = {}
    for r in resources:
        by_target.setdefault((r.account, r.region), []).append(r)
    params = {rule.id: settings.rule_params(rule.id, rule.params) for rule in rules}
    client_for = targets.client_for()
    out = Enriched()
    for account, region in targets.pairs():
        if not by_target.get((account, region)):
            continue
        try:
            ctx, excluded, tags = enrich_region(account, region, by_target[(account, region)], rules, params,
                                                catalog, now, client_for)
        except (ClientError, BotoCoreError) as exc:
            err = exc.response.get("Error", {}) if isinstance(exc, ClientError) else {}
            out.errors.append(ScanError(account, region, "findings", err.get("Code", type(exc).__name__),
                                        err.get("Message", str(exc))))
            continue
        out.contexts.append(ctx)
        out.excluded.extend(excluded)
        out.tags.update(tags)
    return out


def evaluate(contexts: list[RuleContext], rules: list[Rule[Any]], settings: Settings) -> Judged:
    """The rules' findings in every account and region (the largest savings first), what they could not
    judge, and the resources a rule failed on."""
    params = {rule.id: settings.rule_params(rule.id, rule.params) for rule in rules}
    out = Judged()
    for ctx in contexts:
        judged = evaluate_region(ctx, rules, params)
        out.findings.extend(judged.findings)
        out.unknowns.extend(judged.unknowns)
        out.errors.extend(judged.errors)
    out.findings.sort(key=lambda f: (-f.monthly_savings_usd, f.rule, f.name))
    out.unknowns.sort(key=lambda u: (u.rule, u.account, u.region, u.name))
    return out


def run_scan(session: boto3.Session, regions: list[str], role_arns: list[str], catalog: Catalog, *,
             use_cache: bool = True, now: datetime | None = None, on_progress: OnProgress = ignore,
             rules: list[Rule[Any]] | None = None, settings: Settings | None = None,
             history_days: int | None = None) -> ScanResult:
    """Resolve accounts and regions, collect, and (unless `rules` is empty) enrich and evaluate.

    Args:
        rules: the rules to run; all by default, none for the inventory only.
        history_days: how far back to read finished jobs; by default what the rules ask for.
        on_progress: told where the scan stands.
    """
    chosen = select(None) if rules is None else list(rules)
    settings = settings or Settings()
    days, facts = rule_needs(chosen, settings)
    targets = resolve_targets(session, regions, role_arns)
    result = collect(targets, catalog, now=now, use_cache=use_cache, on_progress=on_progress,
                     history_days=days if history_days is None else history_days, endpoint_facts=facts)
    if chosen:
        message = f"Reading metrics and running {len(chosen)} rules…"
        on_progress(Progress("evaluate", 0, 1, message))
        listed = {r.arn for r in result.resources}
        enriched = enrich(result.resources + [h for h in result.history if h.arn not in listed], targets, chosen,
                          settings, catalog, now or result.finished)
        # The tags the opt-out read returned fill in the inventory's (the collectors read none).
        result.resources = [replace(r, tags=enriched.tags[r.arn]) if r.arn in enriched.tags else r
                            for r in result.resources]
        judged = evaluate(enriched.contexts, chosen, settings)
        result.findings, result.unknowns = judged.findings, judged.unknowns
        result.excluded = enriched.excluded
        result.errors.extend([*enriched.errors, *judged.errors])
        result.api_calls = targets.counter.counts()
        on_progress(Progress("evaluate", 1, 1, message))
    result.errors = targets.errors + result.errors
    result.accounts = sorted({*result.accounts, *(e.account for e in targets.errors)})
    result.sessions = {a.account_id: a.session for a in targets.accounts}
    return result


__all__ = ["Enriched", "Targets", "collect", "enrich", "evaluate", "resolve_targets", "rule_needs", "run_scan"]
