"""`sagetrim rightsize NAME`: one resource's utilization, the candidates weighed, and the winner."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3

from sagetrim.aws.metrics import fetch_metrics
from sagetrim.aws.session import client
from sagetrim.catalog import Catalog
from sagetrim.config import Settings
from sagetrim.errors import UsageError
from sagetrim.inventory.model import Kind, Resource
from sagetrim.pipeline.scan import run_scan
from sagetrim.rules import RULES
from sagetrim.rules.sizing import Explanation, explain, profile_queries

RULE_OF_KIND = {Kind.ENDPOINT: "oversized-endpoint", Kind.TRAINING: "training-oversized",
                Kind.PROCESSING: "processing-oversized"}
HISTORY_DAYS = 14


def find(resources: list[Resource], name: str) -> Resource:
    """The endpoint or job called `name`; several or none is a usage error that lists what there is."""
    matches = [r for r in resources if r.name == name and r.kind in RULE_OF_KIND]
    if len(matches) == 1:
        return matches[0]
    if matches:
        where = ", ".join(f"{r.kind.value} in {r.account}/{r.region}" for r in matches)
        raise UsageError(f"{name!r} names several resources ({where}); narrow it with --region.")
    import difflib

    names = sorted({r.name for r in resources if r.kind in RULE_OF_KIND})
    close = difflib.get_close_matches(name, names, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UsageError(f"no endpoint, training job or processing job called {name!r} in the regions scanned.{hint} "
                     "`sagetrim scan` lists them.")


def run_rightsize(session: boto3.Session, name: str, regions: list[str], catalog: Catalog, settings: Settings,
                  now: datetime | None = None) -> Explanation:
    """Find one resource, read its utilization profile, and explain its sizing."""
    now = now or datetime.now(UTC)
    scan = run_scan(session, regions or settings.regions, [], catalog, rules=[], history_days=HISTORY_DAYS, now=now)
    resource = find([*scan.resources, *scan.history], name)
    rule_id = RULE_OF_KIND[resource.kind]
    params = settings.rule_params(rule_id, RULES[rule_id].params)
    cloudwatch = client(scan.sessions[resource.account], "cloudwatch", resource.region)
    metrics = fetch_metrics(cloudwatch, profile_queries(resource, now, catalog, params))
    return explain(resource, metrics, catalog, params=params, now=now)
