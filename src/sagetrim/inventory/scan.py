"""The scan: accounts x regions x kinds, collected concurrently; a failure stays where it happened."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.aws.calls import CallCounter
from sagetrim.aws.session import caller_account, client
from sagetrim.catalog import Catalog
from sagetrim.errors import CollectionError, UsageError
from sagetrim.inventory.collectors import COLLECTORS, RegionScope, ResourceFailure
from sagetrim.inventory.costing import Pricer
from sagetrim.inventory.describe_cache import DescribeCache
from sagetrim.inventory.model import Kind, Resource, ScanError

if TYPE_CHECKING:
    from sagetrim.rules.model import Finding, Unknown

REGION_WORKERS = 8


@dataclass(frozen=True)
class Account:
    """An account to scan and the session that reaches it."""

    account_id: str
    session: boto3.Session
    label: str = ""


@dataclass
class ScanResult:
    """Everything one scan found, what failed, and what it cost in calls."""

    started: datetime
    finished: datetime
    accounts: list[str]
    regions: list[str]
    resources: list[Resource] = field(default_factory=list)
    # Finished jobs and warm pools the rules read (inventory/history.py); the Available warm pools, which
    # bill, are in `resources` too.
    history: list[Resource] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unknowns: list[Unknown] = field(default_factory=list)  # resources a rule could not judge, and why
    excluded: list[str] = field(default_factory=list)
    # Per kind: resources deleted between their list call and their describe; skipped, not counted above.
    vanished: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, boto3.Session] = field(default_factory=dict, repr=False)  # account -> session

    def totals(self) -> dict[str, Any]:
        by_stage: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        by_region: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        priced = [r for r in self.resources if not r.price_unknown]
        for r in priced:
            for bucket in (by_stage[r.stage], by_region[r.region]):
                bucket["resources"] += 1
                bucket["usd_per_hour"] += r.usd_per_hour
                bucket["month_to_date_usd"] += r.month_to_date_usd
                bucket["projected_month_usd"] += r.projected_month_usd

        def rounded(d: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
            return {k: {m: round(v, 4) if m != "resources" else int(v) for m, v in inner.items()}
                    for k, inner in sorted(d.items())}

        return {
            "resources": len(priced),
            "price_unknown": len(self.resources) - len(priced),  # listed, but in none of these sums
            "usd_per_hour": round(sum(r.usd_per_hour for r in priced), 4),
            "month_to_date_usd": round(sum(r.month_to_date_usd for r in priced), 2),
            "projected_month_usd": round(sum(r.projected_month_usd for r in priced), 2),
            "by_stage": rounded(by_stage), "by_region": rounded(by_region),
        }

    def savings(self) -> dict[str, Any]:
        """Estimated monthly savings: a resource with several findings counts once, by the largest."""
        best: dict[str, float] = {}
        for f in self.findings:
            best[f.arn] = max(best.get(f.arn, 0.0), f.monthly_savings_usd)
        by_rule: dict[str, float] = defaultdict(float)
        for f in self.findings:
            by_rule[f.rule] += f.monthly_savings_usd
        return {"monthly_usd": round(sum(best.values()), 2), "findings": len(self.findings),
                "resources": len(best), "by_rule": {k: round(v, 2) for k, v in sorted(by_rule.items())}}

    def unknown_by_rule(self) -> dict[str, list[dict[str, Any]]]:
        """Per rule, the resources it could not judge and why."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for u in self.unknowns:
            out[u.rule].append(u.to_json())
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "scanned_at": self.finished.isoformat(),
            "duration_s": round((self.finished - self.started).total_seconds(), 3),
            "accounts": self.accounts, "regions": self.regions, "currency": "USD",
            "totals": self.totals(),
            "resources": [r.to_json() for r in self.resources],
            "findings": [f.to_json() for f in self.findings],
            "savings": self.savings(),
            "unknown": self.unknown_by_rule(),
            "excluded": {"tag": "sagetrim:exclude=true", "count": len(self.excluded), "arns": self.excluded},
            "vanished": dict(sorted(self.vanished.items())),
            "errors": [e.to_json() for e in self.errors],
            "api_calls": {"total": sum(self.api_calls.values()), **self.api_calls},
        }


def _error(account: str, region: str, kind: str, exc: Exception, resource: str | None = None) -> ScanError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return ScanError(account, region, kind, err.get("Code", "ClientError"), err.get("Message", str(exc)),
                         resource)
    return ScanError(account, region, kind, type(exc).__name__, str(exc), resource)


def _failed(account: str, region: str, failures: list[ResourceFailure]) -> list[ScanError]:
    return [_error(account, region, f.kind, f.error, f.name) for f in failures]


def resolve_accounts(session: boto3.Session, role_arns: Iterable[str], counter: CallCounter,
                     errors: list[ScanError]) -> list[Account]:
    """The accounts to scan: the caller's own, or the accounts of the given roles."""
    roles = list(role_arns)
    if not roles:
        counter.count("sts", "GetCallerIdentity")
        return [Account(caller_account(session, session.region_name or "us-east-1"), session)]
    sts = counter.attach(client(session, "sts", session.region_name or "us-east-1"))
    accounts = []
    for arn in roles:
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise UsageError(f"{arn!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME).")
        try:
            creds = sts.assume_role(RoleArn=arn, RoleSessionName="sagetrim-scan")["Credentials"]
        except (ClientError, BotoCoreError) as exc:
            errors.append(_error(parts[4], "*", "*", exc))
            continue
        member = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                               aws_session_token=creds["SessionToken"], region_name=session.region_name)
        accounts.append(Account(parts[4], member, arn))
    return accounts


def scan(accounts: list[Account], regions: list[str], catalog: Catalog, *, kinds: Iterable[Kind] = tuple(COLLECTORS),
         now: datetime | None = None, counter: CallCounter | None = None, use_cache: bool = True,
         on_progress: Callable[[str, str, str, int], None] | None = None, history_days: int = 0,
         endpoint_facts: bool = False) -> ScanResult:
    """Collect and price every resource of the chosen kinds in every account and region (a collector may find
    more than one kind: Studio's lists Canvas apps too).

    A failing account, region or kind is recorded in `errors`; the rest of the scan goes on. For the rules,
    `history_days` also reads the jobs that ended in that many days and the warm pools into `history`, and
    `endpoint_facts` adds the endpoints' images and autoscaling to their details (inventory/history.py).
    """
    started = datetime.now(UTC)
    now = now or started
    counter = counter or CallCounter()
    result = ScanResult(started=started, finished=started, accounts=[a.account_id for a in accounts],
                        regions=list(regions))
    kinds = list(kinds)
    tasks: list[tuple[Account, str, DescribeCache, Any]] = []
    for account in accounts:
        for region in regions:
            sagemaker = counter.attach(client(account.session, "sagemaker", region))
            cache = DescribeCache.for_target(sagemaker.meta.endpoint_url, account.account_id, region, use_cache)
            tasks.append((account, region, cache, sagemaker))

    def run(account: Account, region: str, cache: DescribeCache, sagemaker: Any,
            kind: Kind) -> tuple[list[Resource], RegionScope]:
        scope = RegionScope(account.account_id, region, sagemaker, Pricer(catalog, region, now), cache)
        return COLLECTORS[kind](scope), scope

    vanished: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=REGION_WORKERS) as pool:
        futures = {pool.submit(run, a, r, c, s, k): (a, r, k) for a, r, c, s in tasks for k in kinds}
        for fut in as_completed(futures):
            account, region, kind = futures[fut]
            try:
                found, scope = fut.result()
                result.resources.extend(found)
                vanished.update(scope.vanished)
                result.errors.extend(_failed(account.account_id, region, scope.failures))
                if on_progress:
                    on_progress(account.account_id, region, kind.value, len(found))
            except (ClientError, BotoCoreError, CollectionError) as exc:
                result.errors.append(_error(account.account_id, region, kind.value, exc))
                if on_progress:
                    on_progress(account.account_id, region, kind.value, -1)
    history_errors = _add_extras(result, tasks, catalog, now, counter, history_days, endpoint_facts, vanished)
    result.vanished = {k: n for k, n in sorted(vanished.items()) if n}
    for _, _, cache, _ in tasks:
        cache.save()
    result.errors = _collapse(result.errors, len(kinds)) + history_errors
    # Most expensive first; a resource of unknown price before them all (it may cost the most, and is not $0).
    result.resources.sort(key=lambda r: (r.price_unknown is None, -r.usd_per_hour, r.account, r.region,
                                         r.kind.value, r.name))
    result.finished = datetime.now(UTC)
    result.api_calls = counter.counts()
    return result


def _add_extras(result: ScanResult, tasks: list[tuple[Account, str, DescribeCache, Any]], catalog: Catalog,
                now: datetime, counter: CallCounter, days: int, facts: bool, vanished: Counter[str]) -> list[ScanError]:
    """The rules' extra reads (inventory/history.py), in the regions whose collection went through:
    history into `result.history`, endpoint facts into the endpoints' details, finished jobs deleted
    before they were described into `vanished`."""
    from sagetrim.inventory.history import collect_extras

    read_by_extras = {Kind.TRAINING.value, Kind.PROCESSING.value, Kind.ENDPOINT.value}
    failed = {(e.account, e.region) for e in result.errors if e.kind in read_by_extras and e.resource is None}

    todo = [t for t in tasks if (t[0].account_id, t[1]) not in failed]
    scaling = {(a.account_id, r): counter.attach(client(a.session, "application-autoscaling", r))
               for a, r, _, _ in todo} if facts else {}  # made here: sessions are not thread-safe

    def extras(account: Account, region: str, cache: DescribeCache, sagemaker: Any) -> tuple[Any, ...]:
        scope = RegionScope(account.account_id, region, sagemaker, Pricer(catalog, region, now), cache)
        endpoints = [r for r in result.resources if r.kind is Kind.ENDPOINT
                     and (r.account, r.region) == (account.account_id, region)] if facts else []
        return (*collect_extras(scope, days, endpoints, scaling.get((account.account_id, region))), scope)

    errors: list[ScanError] = []
    updated: dict[str, Resource] = {}
    with ThreadPoolExecutor(max_workers=REGION_WORKERS) as pool:
        futures = {pool.submit(extras, *t): t for t in todo}
        for fut in as_completed(futures):
            account, region, _, _ = futures[fut]
            history, endpoints, failures, scope = fut.result()
            vanished.update(scope.vanished)
            errors += [_error(account.account_id, region, part, exc) for part, exc in failures]
            errors += _failed(account.account_id, region, scope.failures)
            result.history.extend(history)
            updated.update({r.arn: r for r in endpoints})
    result.resources = [updated.get(r.arn, r) for r in result.resources]
    # A warm pool bills while it is Available: it is part of the billed inventory too.
    listed = {r.arn for r in result.resources}
    result.resources += [r for r in result.history if r.usd_per_hour > 0 and r.arn not in listed]
    return errors


def _collapse(errors: list[ScanError], n_kinds: int) -> list[ScanError]:
    """One error for a region where every kind failed the same way (AccessDenied, say); errors about one
    resource stay as they are."""
    grouped: dict[tuple[str, str], list[ScanError]] = defaultdict(list)
    for e in errors:
        if e.resource is None:
            grouped[(e.account, e.region)].append(e)
    out = []
    for (account, region), errs in sorted(grouped.items()):
        if len(errs) == n_kinds > 1 and len({e.code for e in errs}) == 1:
            out.append(ScanError(account, region, "*", errs[0].code, errs[0].message))
        else:
            out.extend(sorted(errs, key=lambda e: e.kind))
    return out + sorted((e for e in errors if e.resource is not None),
                        key=lambda e: (e.account, e.region, e.kind, e.resource or ""))


def resolve_regions(session: boto3.Session, requested: list[str]) -> list[str]:
    """Regions to scan: `all` is every region where SageMaker runs; none means the session's region."""
    available = session.get_available_regions("sagemaker")
    if not requested:
        return [session.region_name or "us-east-1"]
    if requested == ["all"]:
        return sorted(available)
    unknown = [r for r in requested if available and r not in available]
    if unknown:
        raise UsageError(f"unknown region(s): {', '.join(unknown)}; SageMaker runs in {', '.join(sorted(available))}.")
    return requested
