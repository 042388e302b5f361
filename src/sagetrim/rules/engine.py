"""Turn a scan into findings: per account and region, read what the rules need in a few batched
calls (opted-out resources, metrics, lifecycle scripts: enrich), then run the rules, which never call AWS
(evaluate)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sagetrim.aws.metrics import MetricQuery, fetch_metrics
from sagetrim.catalog import Catalog
from sagetrim.inventory.details import NotebookDetails
from sagetrim.inventory.model import Resource
from sagetrim.optout import opted_out_arns
from sagetrim.rules.context import RuleContext
from sagetrim.rules.model import Finding
from sagetrim.rules.rule import Rule

ClientFor = Callable[[str, str, str], Any]  # (account, region, service) -> client




def lifecycle_scripts(sagemaker: Any, names: set[str]) -> dict[str, str]:
    """The OnStart scripts of the named notebook lifecycle configurations (one describe per configuration)."""
    out = {}
    for name in sorted(names):
        doc = sagemaker.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name)
        parts = [*doc.get("OnStart", []), *doc.get("OnCreate", [])]
        out[name] = "\n".join(base64.b64decode(p.get("Content", "")).decode("utf-8", "replace") for p in parts)
    return out


def enrich_region(account: str, region: str, resources: list[Resource], rules: list[Rule[Any]],
                  params: dict[str, Any], catalog: Catalog, now: datetime,
                  client_for: ClientFor) -> tuple[RuleContext, list[str]]:
    """What the rules read in one account and region, besides the resources: opt-outs, metrics and
    lifecycle scripts, in a few batched calls. Returns the rules' context, without the opted-out
    resources, and the ARNs of those."""
    excluded = opted_out_arns(client_for(account, region, "resourcegroupstaggingapi"))
    kept = [r for r in resources if r.arn not in excluded]
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
            ctx.lifecycle_scripts = lifecycle_scripts(client_for(account, region, "sagemaker"), names)
    return ctx, sorted(r.arn for r in resources if r.arn in excluded)


def evaluate_region(ctx: RuleContext, rules: list[Rule[Any]], params: dict[str, Any]) -> list[Finding]:
    """Run the rules over one account and region; they read the context and never call AWS."""
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(rule.evaluate(ctx, params[rule.id]))
    return findings
