"""idle-variant's decision at its edges, one endpoint beside another so that a skipped endpoint never hides the
next: which endpoints it judges, the window's boundary, renamed variants, variants that bill nothing, the
evidence, and the recheck's window and refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagetrim.aws.metrics import MetricSeries
from sagetrim.catalog import load_catalog
from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.model import Kind, Resource, Variant
from sagetrim.rules.context import RuleContext
from sagetrim.rules.idle_variant import RULE, Params, recheck

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CATALOG = load_catalog(use_cache=False)


def endpoint(name: str, *variants: Variant, status: str = "InService", days: float = 30,
             asynchronous: bool = False, serverless: bool = False, metric_variants: tuple[str, ...] | None = None,
             kind: Kind = Kind.ENDPOINT) -> Resource:
    return Resource(
        kind=kind, account="123456789012", region="us-east-1", name=name,
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}", status=status,
        created=NOW - timedelta(days=days), instance_type="ml.m5.large",
        instance_count=sum(v.instance_count for v in variants), usd_per_hour=sum(v.usd_per_hour for v in variants),
        variants=variants,
        details=EndpointDetails(endpoint_config=name, models=(name,), asynchronous=asynchronous,
                                serverless=serverless, metric_variants=metric_variants))


def variant(name: str, usd: float = 0.115, shadow: bool = False) -> Variant:
    return Variant(name, "ml.m5.large", 1, usd_per_hour=usd, shadow=shadow)


AB = (variant("blue"), variant("green"))  # blue serves, green does not


def judge(*resources: Resource, served: dict[tuple[str, str], float] | None = None,
          params: Params | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(endpoint, variant) of each finding, and (endpoint, reason) of each unknown."""
    params = params or Params()
    queries = RULE.queries(list(resources), params, NOW, CATALOG) if RULE.queries else []
    traffic = served if served is not None else {(r.name, "blue"): 500.0 for r in resources}
    metrics = {q.key: MetricSeries([NOW], [traffic[key]]) if (key := (dict(q.dimensions)["EndpointName"],
                                                                       dict(q.dimensions)["VariantName"])) in traffic
               else MetricSeries() for q in queries}
    ctx = RuleContext(account="123456789012", region="us-east-1", now=NOW, catalog=CATALOG,
                      resources=list(resources), metrics=metrics)
    found = [(f.name, str(f.evidence["variant"])) for f in RULE.evaluate(ctx, params)]
    return found, [(u.name, u.reason) for u in ctx.unknowns]


@pytest.mark.parametrize("skipped", [
    endpoint("skipped", *AB, status="Updating"),
    endpoint("skipped", *AB, asynchronous=True),
    endpoint("skipped", *AB, serverless=True),
    endpoint("skipped", variant("blue")),  # one variant: an idle one is idle-endpoint's
    endpoint("skipped", variant("blue", shadow=True), variant("green", shadow=True)),
    endpoint("skipped", *AB, kind=Kind.NOTEBOOK),
])
def test_an_endpoint_it_does_not_judge_does_not_hide_the_next(skipped: Resource) -> None:
    assert judge(skipped, endpoint("next", *AB)) == ([("next", "green")], [])


def test_an_endpoint_with_no_production_traffic_is_left_to_idle_endpoint_and_does_not_hide_the_next() -> None:
    quiet = endpoint("quiet", *AB)
    shadow_only = endpoint("shadow-only", variant("prod"), variant("blue", shadow=True))  # only its shadow "serves"
    assert judge(quiet, shadow_only, endpoint("next", *AB),
                 served={("next", "blue"): 5.0, ("shadow-only", "blue"): 5.0}) == ([("next", "green")], [])


def test_an_endpoint_exactly_as_old_as_the_window_is_judged_and_a_minute_younger_is_unknown() -> None:
    found, unknown = judge(endpoint("at", *AB, days=7), endpoint("under", *AB, days=7 - 1 / 1440))
    assert found == [("at", "green")]
    assert unknown == [("under", "younger than the 7-day window")]


def test_an_endpoint_whose_variants_were_renamed_is_unknown_and_does_not_hide_the_next() -> None:
    renamed = endpoint("renamed", *AB, metric_variants=("blue", "green", "old-green"))
    found, unknown = judge(renamed, endpoint("next", *AB, metric_variants=("blue", "green")))
    assert found == [("next", "green")]
    assert unknown == [("renamed", "variants renamed within the window (old-green in CloudWatch): their traffic "
                                   "cannot be told apart by variant")]


def test_a_variant_that_bills_nothing_saves_nothing_and_is_not_reported() -> None:
    free = endpoint("free", variant("blue"), variant("green", usd=0.0), variant("red", usd=0.0001))
    assert judge(free)[0] == [("free", "red")]


def test_the_evidence_says_what_was_read_and_the_saving_is_a_month_of_the_variant() -> None:
    ctx = RuleContext(account="123456789012", region="us-east-1", now=NOW, catalog=CATALOG,
                      resources=[endpoint("ab", variant("blue"), variant("green", usd=0.123456))])
    ctx.metrics = {q.key: MetricSeries([NOW], [42.0]) if dict(q.dimensions)["VariantName"] == "blue"
                   else MetricSeries() for q in RULE.queries(ctx.resources, Params(), NOW, CATALOG)}
    [f] = RULE.evaluate(ctx, Params())
    assert f.evidence == {"variant": "green", "shadow": False, "instance_type": "ml.m5.large", "instance_count": 1,
                          "window_days": 7, "invocations": 0, "invocations_by_variant": {"blue": 42.0, "green": 0},
                          "usd_per_hour": 0.1235}
    assert f.monthly_savings_usd == pytest.approx(0.123456 * 730)
    assert "blue (42) served" in f.message


class FakeCloudWatch:
    """Answers GetMetricData with fixed values and keeps each request."""

    def __init__(self, values: list[float], status: str = "Complete") -> None:
        self.requests: list[dict[str, Any]] = []
        self.values, self.status = values, status

    def get_metric_data(self, **params: Any) -> dict[str, Any]:
        self.requests.append(params)
        return {"MetricDataResults": [{"Id": q["Id"], "Timestamps": [NOW] * len(self.values), "Values": self.values,
                                       "StatusCode": self.status} for q in params["MetricDataQueries"]]}


def _finding(evidence: dict[str, Any]) -> Any:
    ctx = RuleContext(account="123456789012", region="us-east-1", now=NOW, catalog=CATALOG,
                      resources=[endpoint("ab", *AB)])
    ctx.metrics = {q.key: MetricSeries([NOW], [1.0]) if dict(q.dimensions)["VariantName"] == "blue"
                   else MetricSeries() for q in RULE.queries(ctx.resources, Params(), NOW, CATALOG)}
    [f] = RULE.evaluate(ctx, Params())
    return replace(f, evidence={**f.evidence, **evidence})


def test_the_recheck_reads_the_variant_from_the_window_start_to_the_minute_after_now() -> None:
    cloudwatch = FakeCloudWatch([])
    assert recheck(_finding({}), cloudwatch, Params(days=3), NOW + timedelta(seconds=30)) is None
    [request] = cloudwatch.requests
    assert (request["StartTime"], request["EndTime"]) == (NOW + timedelta(minutes=1) - timedelta(days=3),
                                                          NOW + timedelta(minutes=1))
    [query] = request["MetricDataQueries"]
    assert query["MetricStat"]["Period"] == 3 * 86400
    assert query["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "EndpointName", "Value": "ab"},
                                                           {"Name": "VariantName", "Value": "green"}]
    assert query["MetricStat"]["Stat"] == "Sum"


def test_the_recheck_period_is_the_window_rounded_down_to_whole_minutes() -> None:
    cloudwatch = FakeCloudWatch([])
    recheck(_finding({}), cloudwatch, Params(days=1), NOW)
    assert cloudwatch.requests[0]["MetricDataQueries"][0]["MetricStat"]["Period"] == 86400


@pytest.mark.parametrize("evidence", [{"variant": ""}, {"variant": 3}, {"variant": None}])
def test_the_recheck_refuses_a_finding_without_a_variant_name(evidence: dict[str, Any]) -> None:
    cloudwatch = FakeCloudWatch([])
    assert recheck(_finding(evidence), cloudwatch, Params(), NOW) == "the finding names no variant to recheck"
    assert cloudwatch.requests == []


def test_the_recheck_keeps_the_variant_on_traffic_or_a_failed_read() -> None:
    assert recheck(_finding({}), FakeCloudWatch([2.0]), Params(), NOW) == (
        "variant green received 2 invocations in the last 7 days (rechecked just now)")
    reason = recheck(_finding({}), FakeCloudWatch([], status="InternalError"), Params(), NOW)
    assert reason is not None and "not acting on an unknown" in reason
