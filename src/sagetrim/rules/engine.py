"""Turn a scan into findings: per account and region, read what the rules need in a few batched
calls (opted-out resources, metrics, lifecycle scripts: enrich), then run the rules, which never call AWS
(evaluate)."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.aws.errors import is_not_found
from sagetrim.aws.metrics import MetricQuery, dimension_sets, fetch_metrics
from sagetrim.aws.tagging import resource_tags
from sagetrim.catalog import Catalog
from sagetrim.inventory.details import EndpointDetails, NotebookDetails
from sagetrim.inventory.model import Kind, Resource, ScanError
from sagetrim.optout import is_excluded
from sagetrim.rules.context import CannotJudgeError, RuleContext
from sagetrim.rules.model import Finding, Unknown
from sagetrim.rules.rule import Rule

ClientFor = Callable[[str, str, str], Any]  # (account, region, service) -> client




def lifecycle_scripts(sagemaker: Any, names: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The OnStart scripts of the named notebook lifecycle configurations (one describe per configuration),
    and why the others could not be read.

    Only OnStart counts: OnCreate runs once, and a notebook's root volume (crontabs, /etc/cron.d, systemd
    units) is rebuilt at every start, so an autostop installed only from OnCreate is gone after the first stop.
    """
    scripts, unreadable = {}, {}
    for name in sorted(names):
        try:
            doc = sagemaker.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name)
        except (ClientError, BotoCoreError) as exc:
            if isinstance(exc, ClientError):
                err = exc.response.get("Error", {})
                unreadable[name] = ("it no longer exists" if is_not_found(exc)
                                    else f"{err.get('Code', 'ClientError')}: {err.get('Message', '')}")
            else:
                unreadable[name] = f"{type(exc).__name__}: {exc}"
            continue
        scripts[name] = "\n".join(base64.b64decode(p.get("Content", "")).decode("utf-8", "replace")
                                  for p in doc.get("OnStart", []))
    return scripts, unreadable


def with_variant_history(resources: list[Resource], cloudwatch: Any) -> list[Resource]:
    """The resources, each endpoint with every variant name CloudWatch holds its invocations under (so the
    history of a variant renamed by an `UpdateEndpoint` is read too), from one `ListMetrics` listing."""
    held: dict[str, set[str]] = {}
    for dims in dimension_sets(cloudwatch, "AWS/SageMaker", "Invocations", ("EndpointName", "VariantName")):
        held.setdefault(dims["EndpointName"], set()).add(dims["VariantName"])
    out = []
    for r in resources:
        d = r.details_as(EndpointDetails)
        if d is not None:
            r = replace(r, details=replace(d, metric_variants=tuple(sorted(held.get(r.name, ())))))
        out.append(r)
    return out


def enrich_region(account: str, region: str, resources: list[Resource], rules: list[Rule[Any]],
                  params: dict[str, Any], catalog: Catalog, now: datetime,
                  client_for: ClientFor) -> tuple[RuleContext, list[str], dict[str, dict[str, str]]]:
    """What the rules read in one account and region, besides the resources: tags (for the opt-outs),
    metrics and lifecycle scripts, in a few batched calls. Returns the rules' context, without the
    opted-out resources; the ARNs of those; and every tagged resource's tags, by ARN."""
    tags = resource_tags(client_for(account, region, "resourcegroupstaggingapi"))
    excluded = {arn for arn, tagged in tags.items() if is_excluded(tagged)}
    kept = [r for r in resources if r.arn not in excluded]
    if any(rule.needs_variant_history for rule in rules) and any(r.kind is Kind.ENDPOINT for r in kept):
        kept = with_variant_history(kept, client_for(account, region, "cloudwatch"))
    queries: list[MetricQuery] = []
    for rule in rules:
        queries.extend(rule.query(kept, params[rule.id], now, catalog))
    ctx = RuleContext(account=account, region=region, now=now, catalog=catalog, resources=kept)
    if queries:
        ctx.metrics = fetch_metrics(client_for(account, region, "cloudwatch"), queries)
    if any(rule.needs_lifecycle_scripts for rule in rules):
        names = {d.lifecycle_config for r in kept
                 if r.status == "InService" and (d := r.details_as(NotebookDetails)) and d.lifecycle_config}
        if names:
            ctx.lifecycle_scripts, ctx.unreadable_scripts = lifecycle_scripts(client_for(account, region, "sagemaker"),
                                                                              names)
    return ctx, sorted(r.arn for r in resources if r.arn in excluded), tags


@dataclass
class Judged:
    """What the rules made of one account and region: findings, resources they could not judge, and the
    rules that failed on a resource."""

    findings: list[Finding] = field(default_factory=list)
    unknowns: list[Unknown] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


def evaluate_region(ctx: RuleContext, rules: list[Rule[Any]], params: dict[str, Any]) -> Judged:
    """Run the rules over one account and region; they read the context and never call AWS.

    A rule that raises is run again on one resource at a time to find the resources it fails on: each of
    those is an error of that rule (or "unknown", when what failed was a CloudWatch query), and the rule
    runs once more without them, so one broken resource costs only its own findings. A resource the catalog
    cannot price is unknown to every rule of its kind (what it would save cannot be said) and is not shown
    to the rules, which would read its price as $0.
    """
    out = Judged()
    unpriced = [r for r in ctx.resources if r.price_unknown]
    if unpriced:
        ctx = replace(ctx, resources=[r for r in ctx.resources if not r.price_unknown])
    for rule in rules:
        out.unknowns.extend(ctx.unknown(rule.id, r, f"its price is unknown ({r.price_unknown})")
                            for r in unpriced if r.kind.value == rule.meta.kind)
        findings, unknowns, errors = _judge(rule, ctx, params[rule.id])
        out.findings.extend(findings)
        out.unknowns.extend(unknowns)
        out.errors.extend(errors)
    return out


def _attempt(rule: Rule[Any], ctx: RuleContext, params: Any,
             resources: list[Resource]) -> tuple[list[Finding], list[Unknown]]:
    trial = replace(ctx, resources=resources, unknowns=[])
    findings = []
    for f in rule.evaluate(trial, params):
        if not math.isfinite(f.monthly_savings_usd):
            raise ValueError(f"its saving on {f.name} is {f.monthly_savings_usd}, not a number of dollars")
        if round(f.monthly_savings_usd, 2) > 0:  # a finding that saves $0.00 recommends nothing
            findings.append(f)
    return findings, trial.unknowns


def _judge(rule: Rule[Any], ctx: RuleContext,
           params: Any) -> tuple[list[Finding], list[Unknown], list[ScanError]]:
    try:
        findings, unknowns = _attempt(rule, ctx, params, ctx.resources)
        return findings, unknowns, []
    except Exception:  # isolated below, resource by resource
        pass
    failed: dict[str, Exception] = {}
    for r in ctx.resources:
        try:
            _attempt(rule, ctx, params, [r])
        except Exception as exc:  # the rule's failure on this resource is reported
            failed[r.arn] = exc
    unknowns = [ctx.unknown(rule.id, r, str(failed[r.arn]))
                for r in ctx.resources if isinstance(failed.get(r.arn), CannotJudgeError)]
    errors = [_rule_error(rule, ctx, r, failed[r.arn]) for r in ctx.resources
              if r.arn in failed and not isinstance(failed[r.arn], CannotJudgeError)]
    try:
        findings, judged_unknowns = _attempt(rule, ctx, params, [r for r in ctx.resources if r.arn not in failed])
    except Exception as exc:  # failing on them together: the rule fails here
        return [], unknowns, [*errors, _rule_error(rule, ctx, None, exc)]
    return findings, [*judged_unknowns, *unknowns], errors


def _rule_error(rule: Rule[Any], ctx: RuleContext, resource: Resource | None, exc: Exception) -> ScanError:
    return ScanError(ctx.account, ctx.region, resource.kind.value if resource else rule.meta.kind,
                     type(exc).__name__, f"rule {rule.id} failed: {exc}", resource.name if resource else None,
                     rule=rule.id)
