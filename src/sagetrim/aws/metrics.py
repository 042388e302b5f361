"""Batched CloudWatch reads: many metrics in few `GetMetricData` calls (500 queries a call, paginated).

`GetMetricData` can fail one query while answering the others: that result carries a `StatusCode` of
`InternalError` or `Forbidden` (with `Messages`) and no datapoints. Such a series is marked failed, never
read as "no datapoints" (which for invocations means zero, the reading that leads to a delete).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_QUERIES_PER_CALL = 500


@dataclass(frozen=True, slots=True)
class MetricQuery:
    """One statistic of one metric, with its exact dimension set, over a window."""

    key: str  # the caller's name for the result
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int
    start: datetime
    end: datetime


# The StatusCode of a result whose datapoints can be read: all of them, or a page of them.
READABLE_STATUSES = frozenset({"Complete", "PartialData"})


@dataclass(slots=True)
class MetricSeries:
    """The datapoints of one query, oldest first. No datapoints is a real answer, not an error; a query
    CloudWatch failed has ``failure`` set (what it answered) and must not be read as no datapoints."""

    timestamps: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    failure: str | None = None

    @property
    def total(self) -> float:
        return sum(self.values)

    @property
    def peak(self) -> float | None:
        return max(self.values) if self.values else None


def fetch_metrics(cloudwatch: Any, queries: Sequence[MetricQuery]) -> dict[str, MetricSeries]:
    """Every query's datapoints, in as few calls as the API allows.

    Queries sharing a window go together, 500 to a call; each call is followed through its NextToken.
    """
    out: dict[str, MetricSeries] = {q.key: MetricSeries() for q in queries}
    # Rules often ask for the same metric; each distinct one is read once and shared by every key.
    keys_of: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    distinct: list[MetricQuery] = []
    for q in queries:
        identity = (q.namespace, q.metric, q.dimensions, q.stat, q.period, q.start, q.end)
        if identity not in keys_of:
            distinct.append(q)
        keys_of[identity].append(q.key)
    windows: dict[tuple[datetime, datetime], list[MetricQuery]] = defaultdict(list)
    for q in distinct:
        windows[(q.start, q.end)].append(q)
    for (start, end), group in windows.items():
        for chunk in _chunks(group, MAX_QUERIES_PER_CALL):
            ids = {f"q{i}": q.key for i, q in enumerate(chunk)}
            request = [{
                "Id": qid,
                "MetricStat": {
                    "Metric": {"Namespace": q.namespace, "MetricName": q.metric,
                               "Dimensions": [{"Name": k, "Value": v} for k, v in q.dimensions]},
                    "Period": q.period, "Stat": q.stat,
                },
                "ReturnData": True,
            } for qid, q in zip(ids, chunk, strict=True)]
            token: str | None = None
            while True:
                params: dict[str, Any] = {"MetricDataQueries": request, "StartTime": start, "EndTime": end,
                                          "ScanBy": "TimestampAscending"}
                if token:
                    params["NextToken"] = token
                page = cloudwatch.get_metric_data(**params)
                for result in page.get("MetricDataResults", []):
                    series = out[ids[result["Id"]]]
                    series.timestamps.extend(result.get("Timestamps", []))
                    series.values.extend(result.get("Values", []))
                    failure = _failure(result)
                    if failure is not None:
                        series.failure = failure
                token = page.get("NextToken")
                if not token:
                    break
    for q in distinct:
        identity = (q.namespace, q.metric, q.dimensions, q.stat, q.period, q.start, q.end)
        for other in keys_of[identity][1:]:
            out[other] = out[q.key]
    return out


def dimension_sets(cloudwatch: Any, namespace: str, metric: str, names: Sequence[str]) -> list[dict[str, str]]:
    """The dimension sets CloudWatch holds ``metric`` under, among those made of exactly ``names``: one
    paginated `ListMetrics` (500 a page) for the whole region. CloudWatch lists a metric for two weeks
    after its last datapoint, so a variant renamed within that time is still found."""
    found: list[dict[str, str]] = []
    token: str | None = None
    wanted = set(names)
    while True:
        params: dict[str, Any] = {"Namespace": namespace, "MetricName": metric,
                                  "Dimensions": [{"Name": n} for n in names]}
        if token:
            params["NextToken"] = token
        page = cloudwatch.list_metrics(**params)
        for m in page.get("Metrics", []):
            dims = {d["Name"]: d["Value"] for d in m.get("Dimensions", [])}
            if set(dims) == wanted:
                found.append(dims)
        token = page.get("NextToken")
        if not token:
            return found


def _failure(result: dict[str, Any]) -> str | None:
    """What CloudWatch said about a result it could not answer, or None for a readable one."""
    status = result.get("StatusCode", "Complete")
    if status in READABLE_STATUSES:
        return None
    said = "; ".join(f"{m.get('Code', '')}: {m.get('Value', '')}".strip(": ") for m in result.get("Messages") or [])
    return f"CloudWatch answered {status}" + (f" ({said})" if said else "")


def _chunks(items: list[MetricQuery], size: int) -> Iterable[list[MetricQuery]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
