"""idle-endpoint's decision at its edges, one endpoint beside another: the window it reads, the hour that decides
between a delete and cheaper hosting, what it leaves alone, what it says, and the re-check before a delete.

CloudWatch is a stand-in that keeps each invocation at its minute and sums (or takes the peak of) them over the
periods a query asks for, from the query's start, as CloudWatch does."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagetrim.aws.metrics import fetch_metrics
from sagetrim.catalog import load_catalog
from sagetrim.costs import HOURS_PER_MONTH
from sagetrim.inventory.details import EndpointDetails
from sagetrim.inventory.model import Kind, Resource, Variant
from sagetrim.rules.context import RuleContext
from sagetrim.rules.engine import Judged, evaluate_region
from sagetrim.rules.idle_endpoint import RULE, Params, queries, recheck
from sagetrim.rules.model import Action, Finding

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
PRICE = 0.115  # ml.m5.large hosting, us-east-1
ACCOUNT, REGION = "123456789012", "us-east-1"
CATALOG = load_catalog(use_cache=False)

Dimensions = tuple[tuple[str, str], ...]


@dataclass
class StandInCloudWatch:
    """Invocations kept at their minute; GetMetricData sums them (or takes the peak) per period from StartTime."""

    points: dict[tuple[str, Dimensions], list[tuple[datetime, float]]] = field(
        default_factory=lambda: defaultdict(list))
    failing: set[tuple[str, Dimensions]] = field(default_factory=set)
    asked: list[dict[str, Any]] = field(default_factory=list)
    naive: bool = False  # answer with timestamps that carry no time zone

    def invoked(self, endpoint: str, at: datetime, count: float = 1, variant: str | None = "AllTraffic",
                metric: str = "Invocations") -> None:
        dims: Dimensions = (("EndpointName", endpoint),) + ((("VariantName", variant),) if variant else ())
        self.points[(metric, dims)].append((at, count))

    def get_metric_data(self, MetricDataQueries: list[dict[str, Any]], StartTime: datetime,
                        EndTime: datetime, **_: Any) -> dict[str, Any]:
        results = []
        for q in MetricDataQueries:
            stat = q["MetricStat"]
            metric = stat["Metric"]["MetricName"]
            dims = tuple((d["Name"], d["Value"]) for d in stat["Metric"]["Dimensions"])
            self.asked.append({"metric": metric, "dimensions": dims, "period": stat["Period"], "stat": stat["Stat"],
                               "start": StartTime, "end": EndTime})
            if (metric, dims) in self.failing:
                results.append({"Id": q["Id"], "StatusCode": "Forbidden", "Timestamps": [], "Values": []})
                continue
            buckets: dict[datetime, float] = {}
            period = stat["Period"]
            for t, v in self.points[(metric, dims)]:
                if StartTime <= t < EndTime:
                    b = StartTime + timedelta(seconds=(t - StartTime).total_seconds() // period * period)
                    buckets[b] = buckets.get(b, 0.0) + v if stat["Stat"] == "Sum" else max(buckets.get(b, v), v)
            stamps = sorted(buckets)
            results.append({"Id": q["Id"], "StatusCode": "Complete",
                            "Timestamps": [t.replace(tzinfo=None) if self.naive else t for t in stamps],
                            "Values": [buckets[t] for t in stamps]})
        return {"MetricDataResults": results}


def endpoint(name: str, *, age: timedelta = timedelta(days=30), status: str = "InService", usd: float = PRICE,
             variants: tuple[str, ...] = ("AllTraffic",), instances: int = 1, asynchronous: bool = False,
             serverless: bool = False, metric_variants: tuple[str, ...] | None = None,
             details: bool = True) -> Resource:
    return Resource(
        kind=Kind.ENDPOINT, account=ACCOUNT, region=REGION, name=name,
        arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name}", status=status, created=NOW - age,
        instance_type="ml.m5.large", instance_count=instances,
        variants=tuple(Variant(v, "ml.m5.large", instances) for v in variants), usd_per_hour=usd,
        details=EndpointDetails(f"{name}-config", (f"{name}-model",), asynchronous, serverless,
                                metric_variants=metric_variants) if details else None)


def judge(cloudwatch: StandInCloudWatch, *resources: Resource, params: Params | None = None,
          now: datetime = NOW) -> Judged:
    """What a scan concludes: the rule's queries read from CloudWatch, then the rule run over the resources."""
    params = params or Params()
    metrics = fetch_metrics(cloudwatch, queries(list(resources), params, now, CATALOG))
    ctx = RuleContext(account=ACCOUNT, region=REGION, now=now, catalog=CATALOG, resources=list(resources),
                      metrics=metrics)
    return evaluate_region(ctx, [RULE], {RULE.meta.id: params})


def found(judged: Judged) -> dict[str, Finding]:
    return {f.name: f for f in judged.findings}


@pytest.fixture
def cloudwatch() -> StandInCloudWatch:
    return StandInCloudWatch()


# -- settings ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [
    {"lookback_days": 1, "hours": 24, "delete_after_days": 1},
    {"lookback_days": 63, "hours": 63 * 24, "delete_after_days": 63},
    {"lookback_days": 14, "hours": 1, "delete_after_days": 14},
])
def test_given_settings_at_their_limits_then_they_are_taken(values: dict[str, int]) -> None:
    assert Params(**values) == Params(**values)


@pytest.mark.parametrize(("values", "message"), [
    ({"lookback_days": 0, "hours": 1, "delete_after_days": 1}, "lookback_days must be between 1 and 63"),
    ({"lookback_days": 64, "hours": 1, "delete_after_days": 1}, "lookback_days must be between 1 and 63"),
    ({"lookback_days": 2, "hours": 0, "delete_after_days": 1}, "hours must be between 1 and lookback_days x 24"),
    ({"lookback_days": 2, "hours": 49, "delete_after_days": 1}, "hours must be between 1 and lookback_days x 24"),
    ({"lookback_days": 2, "hours": 1, "delete_after_days": 0}, "delete_after_days must be between 1 and lookback"),
    ({"lookback_days": 2, "hours": 1, "delete_after_days": 3}, "delete_after_days must be between 1 and lookback"),
])
def test_given_settings_beyond_their_limits_then_they_are_refused(values: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Params(**values)


def test_by_default_a_day_idle_is_idle_a_week_proposes_the_delete_and_two_weeks_are_read() -> None:
    assert (Params().hours, Params().delete_after_days, Params().lookback_days) == (24, 7, 14)


# -- what is read ------------------------------------------------------------------------------------------


def test_given_endpoints_of_each_kind_then_each_variant_name_is_read_hour_by_hour_over_the_lookback() -> None:
    resources = [
        endpoint("two-variants", variants=("blue", "green"), metric_variants=("green", "old", "blue")),
        endpoint("queue", asynchronous=True),
        endpoint("serverless", serverless=True),
        endpoint("updating", status="Updating"),
        endpoint("undescribed", details=False),
        endpoint("last"),
    ]
    asked = [(q.metric, q.dimensions, q.stat, q.period) for q in queries(resources, Params(), NOW, CATALOG)]
    assert asked == [
        ("Invocations", (("EndpointName", "two-variants"), ("VariantName", "blue")), "Sum", 3600),
        ("Invocations", (("EndpointName", "two-variants"), ("VariantName", "green")), "Sum", 3600),
        ("Invocations", (("EndpointName", "two-variants"), ("VariantName", "old")), "Sum", 3600),
        ("InvocationsProcessed", (("EndpointName", "queue"),), "Sum", 3600),
        ("ApproximateBacklogSize", (("EndpointName", "queue"),), "Maximum", 3600),
        ("Invocations", (("EndpointName", "last"), ("VariantName", "AllTraffic")), "Sum", 3600),
    ]


def test_given_a_time_within_an_hour_then_the_window_runs_from_whole_hours_through_the_hour_in_progress() -> None:
    [q] = queries([endpoint("e")], Params(lookback_days=14), NOW + timedelta(minutes=20, seconds=5), CATALOG)
    assert (q.start, q.end) == (NOW + timedelta(hours=1) - timedelta(days=14, hours=1), NOW + timedelta(hours=1))


# -- the decision ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("skipped", [
    endpoint("skipped", status="Creating"),
    endpoint("skipped", serverless=True),
    endpoint("skipped", details=False),
    endpoint("skipped", usd=0.0),  # scaled to zero instances: idle costs nothing
])
def test_given_an_endpoint_left_alone_then_it_does_not_hide_the_next(
    cloudwatch: StandInCloudWatch, skipped: Resource
) -> None:
    judged = judge(cloudwatch, skipped, endpoint("next"))
    assert set(found(judged)) == {"next"}
    assert judged.unknowns == [] and judged.errors == []


def test_given_an_endpoint_scaled_to_zero_whose_history_cannot_be_read_then_it_is_not_unknown_either(
    cloudwatch: StandInCloudWatch,
) -> None:
    # an endpoint that bills nothing is left alone before its history is read
    cloudwatch.failing.add(("Invocations", (("EndpointName", "zero"), ("VariantName", "AllTraffic"))))
    judged = judge(cloudwatch, endpoint("zero", usd=0.0), endpoint("next"))
    assert set(found(judged)) == {"next"}
    assert judged.unknowns == [] and judged.errors == []


def test_given_an_endpoint_in_use_then_it_does_not_hide_the_next(cloudwatch: StandInCloudWatch) -> None:
    cloudwatch.invoked("busy", NOW - timedelta(hours=3))
    assert set(found(judge(cloudwatch, endpoint("busy"), endpoint("next")))) == {"next"}


@pytest.mark.parametrize(("age", "judged"), [(timedelta(hours=24), True), (timedelta(hours=24, seconds=-1), False)])
def test_given_an_endpoint_as_old_as_the_window_then_it_is_judged_and_a_second_younger_it_is_unknown(
    cloudwatch: StandInCloudWatch, age: timedelta, judged: bool
) -> None:
    result = judge(cloudwatch, endpoint("young", age=age), endpoint("next"))
    assert ("young" in found(result)) is judged
    assert [u.name for u in result.unknowns] == ([] if judged else ["young"])
    assert "next" in found(result)


@pytest.mark.parametrize(("now", "action"), [
    (NOW, Action.DELETE_ENDPOINT),
    (NOW - timedelta(seconds=5), Action.NOTIFY),
])
def test_given_the_last_invocation_in_the_hour_that_ended_a_week_ago_then_the_delete_is_proposed_from_then_on(
    cloudwatch: StandInCloudWatch, now: datetime, action: Action
) -> None:
    # given a call in its last minute of an hour that ended a week before NOW (CloudWatch tells the hour, not
    # the minute), judged at NOW or five seconds before
    cloudwatch.invoked("weekly", NOW - timedelta(days=7, minutes=1))
    f = found(judge(cloudwatch, endpoint("weekly"), now=now))["weekly"]
    assert f.action is action
    assert f.evidence["last_invocation"] == (NOW - timedelta(days=7, hours=1)).isoformat()


def test_given_a_call_in_the_hour_the_window_opens_in_then_the_endpoint_is_in_use(
    cloudwatch: StandInCloudWatch,
) -> None:
    # given a scan at half past: the last 24 h open at half past, in an hour CloudWatch sums whole
    now = NOW + timedelta(minutes=30)
    cloudwatch.invoked("in-window", now - timedelta(hours=23, minutes=45))
    cloudwatch.invoked("same-hour", now - timedelta(hours=24, minutes=15))
    cloudwatch.invoked("hour-before", now - timedelta(hours=24, minutes=31))
    judged = judge(cloudwatch, endpoint("in-window"), endpoint("same-hour"), endpoint("hour-before"), now=now)
    # then a call 23 h 45 min ago is within the last 24 h, and so is any in the same hour: only the endpoint
    # last called in the hour before is idle
    assert set(found(judged)) == {"hour-before"}


def test_given_invocations_only_in_the_hour_that_opens_the_window_then_the_endpoint_is_in_use(
    cloudwatch: StandInCloudWatch,
) -> None:
    # the hour that starts exactly 24 h ago is inside "the last 24 h"
    cloudwatch.invoked("edge", NOW - timedelta(hours=24))
    cloudwatch.invoked("before", NOW - timedelta(hours=25))
    assert set(found(judge(cloudwatch, endpoint("edge"), endpoint("before")))) == {"before"}


def test_given_hours_with_zero_invocations_then_they_are_not_use(cloudwatch: StandInCloudWatch) -> None:
    # CloudWatch holds datapoints of 0 for an endpoint that was up but not called
    for day in range(1, 14):
        cloudwatch.invoked("zeros", NOW - timedelta(days=day), count=0)
    f = found(judge(cloudwatch, endpoint("zeros")))["zeros"]
    assert f.action is Action.DELETE_ENDPOINT
    assert (f.evidence["last_invocation"], f.evidence["busy_hours"]) == (None, 0)


def test_given_timestamps_without_a_time_zone_then_they_are_read_as_utc(cloudwatch: StandInCloudWatch) -> None:
    cloudwatch.naive = True
    cloudwatch.invoked("recent", NOW - timedelta(hours=2))
    cloudwatch.invoked("weekly", NOW - timedelta(days=3))
    judged = judge(cloudwatch, endpoint("recent"), endpoint("weekly"), now=NOW)
    assert set(found(judged)) == {"weekly"}
    assert found(judged)["weekly"].evidence["last_invocation"] == (NOW - timedelta(days=3)).isoformat()


def test_given_a_renamed_variant_then_its_calls_under_the_old_name_count(cloudwatch: StandInCloudWatch) -> None:
    cloudwatch.invoked("renamed", NOW - timedelta(hours=2), variant="blue")
    cloudwatch.invoked("forgotten", NOW - timedelta(hours=2), variant="other-endpoints-variant")
    judged = judge(cloudwatch, endpoint("renamed", metric_variants=("blue",)), endpoint("forgotten"))
    assert set(found(judged)) == {"forgotten"}


def test_given_one_variant_in_use_and_one_idle_then_the_endpoint_is_in_use(cloudwatch: StandInCloudWatch) -> None:
    cloudwatch.invoked("ab", NOW - timedelta(hours=2), variant="a")
    assert found(judge(cloudwatch, endpoint("ab", variants=("a", "b")))) == {}
    cloudwatch.invoked("ba", NOW - timedelta(hours=2), variant="b")
    assert found(judge(cloudwatch, endpoint("ba", variants=("a", "b")))) == {}


@pytest.mark.parametrize(("processed", "queued"), [(3, 0), (0, 3), (3, 3)])
def test_given_an_asynchronous_endpoint_then_processed_and_queued_requests_are_both_use(
    cloudwatch: StandInCloudWatch, processed: float, queued: float
) -> None:
    if processed:
        cloudwatch.invoked("queue", NOW - timedelta(hours=2), processed, variant=None, metric="InvocationsProcessed")
    if queued:
        cloudwatch.invoked("queue", NOW - timedelta(hours=2), queued, variant=None, metric="ApproximateBacklogSize")
    assert found(judge(cloudwatch, endpoint("queue", asynchronous=True))) == {}


def test_given_an_asynchronous_endpoint_with_an_old_backlog_then_its_last_use_is_the_backlog(
    cloudwatch: StandInCloudWatch,
) -> None:
    cloudwatch.invoked("queue", NOW - timedelta(days=3), 5, variant=None, metric="ApproximateBacklogSize")
    f = found(judge(cloudwatch, endpoint("queue", asynchronous=True)))["queue"]
    assert f.action is Action.NOTIFY
    assert f.evidence["last_invocation"] == (NOW - timedelta(days=3)).isoformat()
    assert f.evidence["variants"] == [{"variant": "*", "invocations": 0, "current": False}]
    assert f.evidence["asynchronous"] is True


# -- what it says ------------------------------------------------------------------------------------------


def test_given_an_endpoint_never_called_then_the_delete_saves_all_it_bills_and_says_so(
    cloudwatch: StandInCloudWatch,
) -> None:
    f = found(judge(cloudwatch, endpoint("forgotten", age=timedelta(days=30, hours=6, minutes=5), instances=2, usd=0.23,
                                         variants=("AllTraffic", "shadow"))))["forgotten"]
    assert f.action is Action.DELETE_ENDPOINT
    assert f.monthly_savings_usd == pytest.approx(0.23 * HOURS_PER_MONTH)
    assert f.evidence == {
        "window_hours": 24, "lookback_days": 14, "invocations": 0, "pattern": "unused", "last_invocation": None,
        "idle_days": 14.0, "busy_hours": 0,
        "variants": [{"variant": "AllTraffic", "invocations": 0, "current": True},
                     {"variant": "shadow", "invocations": 0, "current": True}],
        "asynchronous": False, "instances": "2 x ml.m5.large, 2 x ml.m5.large", "usd_per_hour": 0.23,
        "age_hours": 726.1,
    }
    assert f.message == ("no invocations in the 14 days of history read on any variant (2 x ml.m5.large, "
                         "2 x ml.m5.large); deleting it (after a backup that `sagetrim restore` turns back into it) "
                         "saves $167.90 a month")


def test_given_an_endpoint_called_last_nine_days_ago_then_the_delete_says_since_when(
    cloudwatch: StandInCloudWatch,
) -> None:
    cloudwatch.invoked("stopped", NOW - timedelta(days=9, hours=2, minutes=30), 4, variant="old")
    f = found(judge(cloudwatch, endpoint("stopped", usd=0.123456, metric_variants=("old",))))["stopped"]
    assert f.action is Action.DELETE_ENDPOINT
    assert (f.evidence["pattern"], f.evidence["idle_days"], f.evidence["busy_hours"]) == ("stopped", 9.1, 1)
    assert f.evidence["invocations"] == 4 and f.evidence["usd_per_hour"] == 0.1235
    assert f.evidence["variants"] == [{"variant": "AllTraffic", "invocations": 0, "current": True},
                                      {"variant": "old", "invocations": 4, "current": False}]
    assert f.message.startswith("no invocations since 2026-11-16 13:00 UTC on any variant (1 x ml.m5.large)")


def test_given_a_young_endpoint_never_called_then_hosting_on_demand_is_proposed_with_all_it_bills(
    cloudwatch: StandInCloudWatch,
) -> None:
    f = found(judge(cloudwatch, endpoint("new", age=timedelta(days=3, hours=12))))["new"]
    assert f.action is Action.NOTIFY
    assert f.monthly_savings_usd == pytest.approx(PRICE * HOURS_PER_MONTH)
    assert (f.evidence["pattern"], f.evidence["idle_days"], f.evidence["busy_hours_per_month"]) == (
        "never used", 3.5, 0.0)
    assert "never invoked in its 3.5 days" in f.message
    assert f.message.endswith("Deleting is proposed after 7 days without invocations")


@pytest.mark.parametrize(("calls", "pattern", "days"), [
    ([timedelta(days=3, hours=2), timedelta(days=3, hours=3)], "sporadic", 1),
    ([timedelta(days=3, hours=2), timedelta(days=5, hours=2)], "periodic", 2),
])
def test_given_an_endpoint_used_now_and_then_the_saving_is_the_hours_it_does_not_serve(
    cloudwatch: StandInCloudWatch, calls: list[timedelta], pattern: str, days: int
) -> None:
    for ago in calls:
        cloudwatch.invoked("sometimes", NOW - ago)
    f = found(judge(cloudwatch, endpoint("sometimes", age=timedelta(days=10))))["sometimes"]
    busy_per_month = 2 / 10 * HOURS_PER_MONTH / 24
    assert f.action is Action.NOTIFY
    assert f.monthly_savings_usd == pytest.approx(PRICE * (HOURS_PER_MONTH - busy_per_month))
    assert (f.evidence["pattern"], f.evidence["busy_hours"]) == (pattern, 2)
    assert f.evidence["busy_hours_per_month"] == round(busy_per_month, 1)
    assert f"busy 2 h on {days} day(s) of the last 10" in f.message


def test_given_an_endpoint_made_a_day_ago_under_the_name_of_a_busier_one_then_rehosting_it_saves_nothing(
    cloudwatch: StandInCloudWatch,
) -> None:
    # given an endpoint recreated a day ago under a name that served 30 hours in the two days before: CloudWatch
    # keeps the metrics by name, so it looks busy more hours a month than there are
    for hour in range(30):
        cloudwatch.invoked("recreated", NOW - timedelta(days=2, hours=hour))
    judged = judge(cloudwatch, endpoint("recreated", age=timedelta(days=1)), endpoint("next", age=timedelta(days=1)))
    # then the saving is never below zero: nothing to propose
    assert set(found(judged)) == {"next"}


def test_given_an_endpoint_an_hour_old_that_served_in_its_first_minute_then_that_hour_is_its_busy_share(
    cloudwatch: StandInCloudWatch,
) -> None:
    # given a one-hour window, and an endpoint made 61 minutes ago that was called in its first minute
    cloudwatch.invoked("new", NOW - timedelta(minutes=60, seconds=30))
    f = found(judge(cloudwatch, endpoint("new", age=timedelta(minutes=61)), params=Params(hours=1)))["new"]
    # then it was busy one hour of the 61 minutes it has been seen, and hosting on demand saves the rest
    busy_per_month = 1 / (61 / 60 / 24) * HOURS_PER_MONTH / 24
    assert f.action is Action.NOTIFY
    assert f.monthly_savings_usd == pytest.approx(PRICE * (HOURS_PER_MONTH - busy_per_month))


# -- the re-check right before a delete ----------------------------------------------------------------------


def finding_for(cloudwatch: StandInCloudWatch, r: Resource) -> Finding:
    return found(judge(cloudwatch, r))[r.name]


def test_given_no_call_since_the_scan_then_the_recheck_lets_the_delete_go_ahead_and_reads_every_variant(
    cloudwatch: StandInCloudWatch,
) -> None:
    f = finding_for(cloudwatch, endpoint("gone", variants=("a",), metric_variants=("old",)))
    cloudwatch.asked.clear()
    assert recheck(f, cloudwatch, Params(), NOW + timedelta(minutes=5, seconds=30)) is None
    end = NOW + timedelta(minutes=6)
    assert cloudwatch.asked == [
        {"metric": "Invocations", "dimensions": (("EndpointName", "gone"), ("VariantName", variant)), "period": 604800,
         "stat": "Sum", "start": end - timedelta(days=7), "end": end} for variant in ("a", "old")]


@pytest.mark.parametrize("variant", ["a", "old"])
def test_given_a_call_since_the_scan_on_any_variant_then_the_recheck_keeps_the_endpoint(
    cloudwatch: StandInCloudWatch, variant: str
) -> None:
    f = finding_for(cloudwatch, endpoint("called", variants=("a",), metric_variants=("old",)))
    cloudwatch.invoked("called", NOW + timedelta(minutes=5, seconds=10), 2, variant=variant)
    assert recheck(f, cloudwatch, Params(), NOW + timedelta(minutes=5, seconds=30)) == (
        "received 2 invocations in the last 7 days (rechecked just now)")


def test_given_a_call_that_arrived_a_week_ago_then_the_recheck_reads_back_exactly_the_week(
    cloudwatch: StandInCloudWatch,
) -> None:
    f = finding_for(cloudwatch, endpoint("edge", age=timedelta(days=30)))
    now = NOW + timedelta(minutes=5, seconds=30)
    cloudwatch.invoked("edge", now.replace(second=0) + timedelta(minutes=1) - timedelta(days=7))
    assert recheck(f, cloudwatch, Params(), now) is not None
    assert recheck(f, cloudwatch, Params(delete_after_days=6), now) is None


def test_given_an_asynchronous_endpoint_then_the_recheck_reads_its_queue_and_what_it_processed(
    cloudwatch: StandInCloudWatch,
) -> None:
    f = finding_for(cloudwatch, endpoint("queue", asynchronous=True))
    now = NOW + timedelta(minutes=5)
    assert recheck(f, cloudwatch, Params(), now) is None
    cloudwatch.invoked("queue", now - timedelta(minutes=2), 1, variant=None, metric="InvocationsProcessed")
    assert recheck(f, cloudwatch, Params(), now) == "received 1 invocations in the last 7 days (rechecked just now)"
    cloudwatch.invoked("queue", now - timedelta(minutes=2), 7, variant=None, metric="ApproximateBacklogSize")
    assert recheck(f, cloudwatch, Params(), now) == "7 requests queued in the last 7 days (rechecked just now)"


def test_given_a_query_cloudwatch_fails_then_the_recheck_does_not_act_on_an_unknown(
    cloudwatch: StandInCloudWatch,
) -> None:
    f = finding_for(cloudwatch, endpoint("denied", variants=("a", "b")))
    cloudwatch.failing.add(("Invocations", (("EndpointName", "denied"), ("VariantName", "b"))))
    assert recheck(f, cloudwatch, Params(), NOW) == (
        "could not recheck its invocations (CloudWatch answered Forbidden); not acting on an unknown")


@pytest.mark.parametrize("variants", [None, [], [{"invocations": 0}], "AllTraffic"])
def test_given_a_finding_that_names_no_variant_then_the_recheck_refuses(
    cloudwatch: StandInCloudWatch, variants: object
) -> None:
    f = finding_for(cloudwatch, endpoint("nameless"))
    f.evidence["variants"] = variants  # type: ignore[assignment]
    asked = len(cloudwatch.asked)
    assert recheck(f, cloudwatch, Params(), NOW) == "the finding names no variant to recheck"
    assert len(cloudwatch.asked) == asked, "CloudWatch was not asked"
