"""Turn a scan into findings: per account and region, read what the rules need in a few batched
calls (opted-out resources, metrics, lifecycle scripts), then run the rules, which never call AWS."""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.aws.metrics import MetricQuery, fetch_metrics
from sagetrim.catalog import Catalog
from sagetrim.config import Settings
from sagetrim.inventory.model import Kind, Resource, ScanError
from sagetrim.optout import EXCLUDE_TAG
from sagetrim.rules.context import RuleContext
from sagetrim.rules.model import Finding
from sagetrim.rules.rule import Rule

ClientFor = Callable[[str, str, str], Any]  # (account, region, service) -> client


@dataclass
class Evaluation:
    """The findings of one run of the rules, what was left out by opt-out, and what failed."""

    findings: list[Finding] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # ARNs opted out with the sagetrim:exclude tag
    errors: list[ScanError] = field(default_factory=list)


def opted_out(tagging: Any) -> set[str]:
    """ARNs of the SageMaker resources tagged sagetrim:exclude=true, in one paginated call per region."""
    key, value = EXCLUDE_TAG
    arns: set[str] = set()
    paginator = tagging.get_paginator("get_resources")
    # Tag values match exactly in the tagging API; accept the spellings people write.
    values = sorted({value, value.capitalize(), value.upper()})
    for page in paginator.paginate(TagFilters=[{"Key": key, "Values": values}], ResourceTypeFilters=["sagemaker"],
                                   ResourcesPerPage=100):
        arns.update(m["ResourceARN"] for m in page.get("ResourceTagMappingList", []))
    return arns


def lifecycle_scripts(sagemaker: Any, names: set[str]) -> dict[str, str]:
    """The OnStart scripts of the named notebook lifecycle configurations (one describe per configuration)."""
    out = {}
    for name in sorted(names):
        doc = sagemaker.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name)
        parts = [*doc.get("OnStart", []), *doc.get("OnCreate", [])]
        out[name] = "\n".join(base64.b64decode(p.get("Content", "")).decode("utf-8", "replace") for p in parts)
    return out


def evaluate_region(account: str, region: str, resources: list[Resource], rules: list[Rule[Any]],
                    settings: Settings, catalog: Catalog, now: datetime, client_for: ClientFor) -> Evaluation:
    """Run the rules over one account and region."""
    out = Evaluation()
    excluded = opted_out(client_for(account, region, "resourcegroupstaggingapi"))
    kept = [r for r in resources if r.arn not in excluded]
    out.excluded = sorted(r.arn for r in resources if r.arn in excluded)
    params = {rule.id: settings.rule_params(rule.id, rule.params) for rule in rules}
    queries: list[MetricQuery] = []
    for rule in rules:
        queries.extend(rule.query(kept, params[rule.id], now, catalog))
    ctx = RuleContext(account=account, region=region, now=now, catalog=catalog, resources=kept)
    if queries:
        ctx.metrics = fetch_metrics(client_for(account, region, "cloudwatch"), queries)
    if any(rule.needs_lifecycle_scripts for rule in rules):
        names = {str(r.details["lifecycle_config"]) for r in kept
                 if r.kind is Kind.NOTEBOOK and r.status == "InService" and r.details.get("lifecycle_config")}
        if names:
            ctx.lifecycle_scripts = lifecycle_scripts(client_for(account, region, "sagemaker"), names)
    for rule in rules:
        out.findings.extend(rule.evaluate(ctx, params[rule.id]))
    return out


def evaluate_all(resources: list[Resource], targets: list[tuple[str, str]], rules: list[Rule[Any]],
                 settings: Settings, catalog: Catalog, now: datetime, client_for: ClientFor) -> Evaluation:
    """Every (account, region) in turn; one that fails is reported and gives no findings (its opt-outs
    could not be read), and the others go on."""
    by_target: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for r in resources:
        by_target[(r.account, r.region)].append(r)
    total = Evaluation()
    for account, region in targets:
        if not by_target.get((account, region)):
            continue
        try:
            part = evaluate_region(account, region, by_target[(account, region)], rules, settings, catalog, now,
                                   client_for)
        except (ClientError, BotoCoreError) as exc:
            err = exc.response.get("Error", {}) if isinstance(exc, ClientError) else {}
            total.errors.append(ScanError(account, region, "findings", err.get("Code", type(exc).__name__),
                                          err.get("Message", str(exc))))
            continue
        total.findings.extend(part.findings)
        total.excluded.extend(part.excluded)
    total.findings.sort(key=lambda f: (-f.monthly_savings_usd, f.rule, f.name))
    return total
