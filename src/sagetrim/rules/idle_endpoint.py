"""idle-endpoint: a real-time or asynchronous endpoint that serves nothing, judged on its history.

An endpoint bills for its instances every hour whether anyone calls it or not. Its invocations are read
hour by hour over the whole lookback (14 days by default) in the scan's batched calls, per variant with
the exact dimension set CloudWatch publishes (`EndpointName` and `VariantName`), for every variant name
CloudWatch holds for the endpoint, so traffic served under a variant since renamed still counts. No
datapoints means no invocations; a query CloudWatch failed means "unknown", never zero. CloudWatch tells the
hour of an invocation, not its minute: an hour that reaches into a window counts whole, and an endpoint has
been idle since the end of the last hour with an invocation.

- No invocation in the last `delete_after_days` (7 by default): `delete-endpoint`, saving what it bills.
- Idle in the last `hours` but used within `delete_after_days` (weekly jobs, sporadic callers): `notify`,
  with the saving of hosting that follows its pattern (asynchronous inference scaled to zero, serverless,
  or a start/stop schedule), never the saving of a delete.
- Younger than `hours`: unknown. A serverless endpoint, or one scaled to zero instances, bills nothing
  while idle and is left alone. Asynchronous endpoints publish `InvocationsProcessed` and
  `ApproximateBacklogSize` per endpoint instead; a backlog means work is waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sagetrim.aws.metrics import MetricQuery, MetricSeries
from sagetrim.catalog import Catalog
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.model import Kind, Resource
from sagetrim.json_types import JsonObject, JsonValue
from sagetrim.rules.context import RuleContext, age_hours, severity_for
from sagetrim.rules.model import Action, Finding, RuleMeta, Severity
from sagetrim.rules.rule import Rule

META = RuleMeta(id="idle-endpoint", title="Endpoint with no invocations", severity=Severity.HIGH,
                kind=Kind.ENDPOINT.value, action=Action.DELETE_ENDPOINT)
NAMESPACE = "AWS/SageMaker"
HOUR = 3600
DAYS_PER_MONTH = HOURS_PER_MONTH / 24


@dataclass(frozen=True)
class Params:
    """hours: the window with no invocations that makes an endpoint idle now.
    delete_after_days: the days without any invocation before deleting it is proposed.
    lookback_days: the history read (hourly), to tell a forgotten endpoint from one used now and then."""

    hours: int = 24
    delete_after_days: int = 7
    lookback_days: int = 14

    def __post_init__(self) -> None:
        if not 1 <= self.lookback_days <= 63:
            raise ValueError("lookback_days must be between 1 and 63 (CloudWatch keeps hourly data 63 days)")
        if not 1 <= self.hours <= self.lookback_days * 24:
            raise ValueError("hours must be between 1 and lookback_days x 24")
        if not 1 <= self.delete_after_days <= self.lookback_days:
            raise ValueError("delete_after_days must be between 1 and lookback_days")


def _candidates(resources: list[Resource]) -> Iterator[tuple[Resource, EndpointDetails]]:
    for r in resources:
        if r.kind is not Kind.ENDPOINT or r.status != "InService":
            continue
        d = r.details_as(EndpointDetails)
        if d is None or d.serverless:
            continue
        yield r, d


def variant_names(r: Resource, d: EndpointDetails) -> list[str]:
    """The endpoint's variants now, then every other variant name CloudWatch holds metrics for (renamed)."""
    now = [v.name for v in r.variants]
    return now + sorted(set(d.metric_variants or ()) - set(now))


def _key(endpoint: str, variant: str | None, metric: str) -> str:
    return f"{META.id}/{endpoint}/{variant or '*'}/{metric}"


def _window(now: datetime, params: Params) -> tuple[datetime, datetime]:
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - timedelta(days=params.lookback_days) - timedelta(hours=1), end


def queries(resources: list[Resource], params: Params, now: datetime, catalog: Catalog) -> list[MetricQuery]:
    """Hourly sums over the lookback: one query per variant name (two per asynchronous endpoint)."""
    start, end = _window(now, params)
    out = []
    for r, d in _candidates(resources):
        if d.asynchronous:
            dims = (("EndpointName", r.name),)
            out.append(MetricQuery(_key(r.name, None, "InvocationsProcessed"), NAMESPACE, "InvocationsProcessed",
                                   dims, "Sum", HOUR, start, end))
            out.append(MetricQuery(_key(r.name, None, "ApproximateBacklogSize"), NAMESPACE,
                                   "ApproximateBacklogSize", dims, "Maximum", HOUR, start, end))
            continue
        for variant in variant_names(r, d):
            out.append(MetricQuery(_key(r.name, variant, "Invocations"), NAMESPACE, "Invocations",
                                   (("EndpointName", r.name), ("VariantName", variant)), "Sum", HOUR, start, end))
    return out


@dataclass(frozen=True)
class History:
    """An endpoint's traffic over the lookback, hour by hour."""

    per_variant: dict[str, float]  # invocations in the lookback, by variant name
    busy_hours: list[datetime]  # the hours with at least one invocation (or a backlog)
    recent: float  # invocations (or the peak backlog) in the last `hours`

    @property
    def last(self) -> datetime | None:
        """The start of the last hour with an invocation."""
        return max(self.busy_hours) if self.busy_hours else None

    @property
    def quiet_since(self) -> datetime | None:
        """The end of the last hour with an invocation: when the endpoint is known to have been idle since."""
        return self.last + timedelta(seconds=HOUR) if self.last else None


def _busy(series: MetricSeries) -> list[datetime]:
    return [t if t.tzinfo else t.replace(tzinfo=UTC) for t, v in zip(series.timestamps, series.values, strict=True)
            if v > 0]


def _recent(series: MetricSeries, since: datetime) -> float:
    """The sum over the hours that reach past `since`: the hour it falls in counts whole."""
    return sum(v for t, v in zip(series.timestamps, series.values, strict=True)
               if (t if t.tzinfo else t.replace(tzinfo=UTC)) + timedelta(seconds=HOUR) > since)


def history(ctx: RuleContext, r: Resource, d: EndpointDetails, params: Params) -> History:
    """Read the endpoint's series (a failed query raises, so the endpoint is unknown, never idle)."""
    since = ctx.now - timedelta(hours=params.hours)
    if d.asynchronous:
        processed = ctx.series(_key(r.name, None, "InvocationsProcessed"))
        backlog = ctx.series(_key(r.name, None, "ApproximateBacklogSize"))
        busy = sorted(set(_busy(processed)) | set(_busy(backlog)))
        return History({"*": processed.total}, busy, _recent(processed, since) + _recent(backlog, since))
    per_variant: dict[str, float] = {}
    hours: set[datetime] = set()
    recent = 0.0
    for variant in variant_names(r, d):
        series = ctx.series(_key(r.name, variant, "Invocations"))
        per_variant[variant] = series.total
        hours.update(_busy(series))
        recent += _recent(series, since)
    return History(per_variant, sorted(hours), recent)


def evaluate(ctx: RuleContext, params: Params) -> Iterator[Finding]:
    for r, d in _candidates(ctx.resources):
        age = age_hours(r, ctx.now)
        if age < params.hours:
            ctx.cannot_judge(META, r, f"created {age:.0f} h ago: younger than the {params.hours} h window")
            continue
        if r.usd_per_hour <= 0:
            continue  # scaled to zero instances (or not priced): idle costs nothing
        seen = history(ctx, r, d, params)
        if seen.recent:
            continue
        observed_days = min(age / 24, params.lookback_days)
        idle_days = (ctx.now - seen.quiet_since).total_seconds() / 86400 if seen.quiet_since else observed_days
        if idle_days >= params.delete_after_days:
            yield _delete(ctx, r, d, params, seen, idle_days)
        else:
            yield _rehost(ctx, r, d, params, seen, idle_days, observed_days)


def _evidence(r: Resource, d: EndpointDetails, params: Params, seen: History, idle_days: float,
              pattern: str) -> JsonObject:
    variants: list[JsonValue] = [{"variant": name, "invocations": n, "current": name in {v.name for v in r.variants}}
                                 for name, n in seen.per_variant.items()]
    return {"window_hours": params.hours, "lookback_days": params.lookback_days,
            "invocations": sum(seen.per_variant.values()), "pattern": pattern,
            "last_invocation": seen.last.isoformat() if seen.last else None,
            "idle_days": round(idle_days, 1), "busy_hours": len(seen.busy_hours), "variants": variants,
            "asynchronous": d.asynchronous, "instances": _instances(r), "usd_per_hour": round(r.usd_per_hour, 4)}


def _instances(r: Resource) -> str:
    return ", ".join(f"{v.instance_count} x {v.instance_type}" for v in r.variants if v.instance_type)


def _delete(ctx: RuleContext, r: Resource, d: EndpointDetails, params: Params, seen: History,
            idle_days: float) -> Finding:
    monthly = r.usd_per_hour * HOURS_PER_MONTH
    since = (f"since {seen.quiet_since:%Y-%m-%d %H:00} UTC" if seen.quiet_since
             else f"in the {idle_days:.0f} days of history read")
    return Finding(
        rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
        severity=severity_for(monthly), monthly_savings_usd=monthly,
        evidence={**_evidence(r, d, params, seen, idle_days, "unused" if seen.last is None else "stopped"),
                  "age_hours": round(age_hours(r, ctx.now), 1)},
        message=(f"no invocations {since} on any variant ({_instances(r)}); deleting it (after a backup that "
                 f"`sagetrim restore` turns back into it) saves ${monthly:,.2f} a month"),
        action=META.action,
    )


def _rehost(ctx: RuleContext, r: Resource, d: EndpointDetails, params: Params, seen: History,
            idle_days: float, observed_days: float) -> Finding:
    """Idle now, used within the last `delete_after_days`: hosting that follows its pattern."""
    busy_per_month = len(seen.busy_hours) / max(observed_days, 1 / 24) * DAYS_PER_MONTH
    monthly = r.usd_per_hour * max(0.0, HOURS_PER_MONTH - busy_per_month)
    active_days = len({t.date() for t in seen.busy_hours})
    pattern = "never used" if seen.last is None else "periodic" if active_days > 1 else "sporadic"
    when = (f"last invoked {seen.last:%Y-%m-%d %H:00} UTC, busy {len(seen.busy_hours)} h on {active_days} day(s) "
            f"of the last {observed_days:.0f}") if seen.last else f"never invoked in its {observed_days:.1f} days"
    return Finding(
        rule=META.id, account=ctx.account, region=ctx.region, kind=r.kind.value, name=r.name, arn=r.arn,
        severity=severity_for(monthly), monthly_savings_usd=monthly,
        evidence={**_evidence(r, d, params, seen, idle_days, pattern),
                  "busy_hours_per_month": round(busy_per_month, 1),
                  "assumptions": ["it runs only the hours it serves requests (asynchronous inference scaled to "
                                  "zero, serverless, or a start/stop schedule), at today's instance price",
                                  f"its traffic keeps the pattern of the last {observed_days:.0f} days"]},
        message=(f"no invocations in the last {params.hours} h but not forgotten ({when}); hosting that runs "
                 f"only when called (asynchronous with scale-to-zero, serverless, or a schedule) saves about "
                 f"${monthly:,.2f} a month. Deleting is proposed after {params.delete_after_days} days "
                 "without invocations"),
        action=Action.NOTIFY,
    )


def recheck(finding: Finding, cloudwatch: object, params: Params, now: datetime) -> str | None:
    """Read the endpoint's invocations again right before deleting it; a reason not to, or None.

    Looks back `delete_after_days` to now, for every variant name in the finding (renamed ones included),
    so traffic that arrived after the scan counts; requests waiting in an asynchronous endpoint's queue
    count too. A query CloudWatch fails is a reason not to delete.
    """
    from sagetrim.aws.metrics import fetch_metrics

    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(days=params.delete_after_days)
    period = int((end - start).total_seconds()) // 60 * 60
    asynchronous = bool(finding.evidence.get("asynchronous"))
    queries = []
    if asynchronous:
        dims = (("EndpointName", finding.name),)
        queries.append(MetricQuery("processed", NAMESPACE, "InvocationsProcessed", dims, "Sum", period, start, end))
        queries.append(MetricQuery("backlog", NAMESPACE, "ApproximateBacklogSize", dims, "Maximum", period, start,
                                   end))
    else:
        for i, variant in enumerate(_variants(finding)):
            variant_dims = (("EndpointName", finding.name), ("VariantName", variant))
            queries.append(MetricQuery(f"v{i}", NAMESPACE, "Invocations", variant_dims, "Sum", period, start, end))
    if not queries:
        return "the finding names no variant to recheck"
    series = fetch_metrics(cloudwatch, queries)
    failed = [s.failure for s in series.values() if s.failure]
    if failed:
        return f"could not recheck its invocations ({failed[0]}); not acting on an unknown"
    window = f"the last {params.delete_after_days} days"
    backlog = series.pop("backlog").peak if asynchronous else None
    if backlog:
        return f"{backlog:g} requests queued in {window} (rechecked just now)"
    total = sum(s.total for s in series.values())
    if total:
        return f"received {total:g} invocations in {window} (rechecked just now)"
    return None


RULE = Rule(meta=META, params=Params, evaluate=evaluate, doc=__doc__, queries=queries, recheck=recheck,
            needs_variant_history=True)


def _variants(finding: Finding) -> list[str]:
    """The variant names in an idle-endpoint finding's evidence."""
    listed = finding.evidence.get("variants")
    if not isinstance(listed, list):
        return []
    return [str(v["variant"]) for v in listed if isinstance(v, dict) and "variant" in v]
