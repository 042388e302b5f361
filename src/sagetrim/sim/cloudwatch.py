"""CloudWatch metrics for the simulated account, with the real service's semantics and limits.

:func:`install` replaces the metric operations of moto's CloudWatch (PutMetricData, GetMetricData,
GetMetricStatistics, ListMetrics) with a :class:`~sagetrim.sim.metrics_store.MetricStore` per
account and region. moto still parses the requests and serializes the answers, so every protocol
boto3 speaks keeps working; alarms and dashboards stay moto's.

What the real service does and moto does not:

- A metric is namespace + name + the exact dimension set: ``{EndpointName: a}`` does not match
  data stored under ``{EndpointName: a, VariantName: v}``. ListMetrics dimension filters, by
  contrast, match metrics that have at least the given dimensions.
- Periods start at ``StartTime`` rounded down (to the minute when less than 15 days ago, 5 minutes
  up to 63 days, else the hour; to the period for 1-30 s periods). ``StartTime`` is inclusive,
  ``EndTime`` exclusive, and an empty period has no datapoint.
- Limits: 500 queries and 100,800 datapoints per GetMetricData call (then ``NextToken``), 1,440
  datapoints per GetMetricStatistics call, 500 metrics per ListMetrics page, 1,000 metrics per
  PutMetricData call, no ``AWS/`` namespaces for PutMetricData.
- Percentiles only where the distribution is known (see :mod:`sagetrim.sim.metrics_store`).
- Metric math (see :mod:`sagetrim.sim.metric_math`) rather than nothing; what the sim does not
  evaluate (SEARCH, Metrics Insights) is a ValidationError.
- ListMetrics lists only metrics with a datapoint in the last two weeks (older ones are still read by
  GetMetricData); ``RecentlyActive=PT3H`` keeps those with one in the last three hours (datapoint
  timestamps, not publication times: bulk loads stand for history, so publication time would mark
  everything active).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from moto.cloudwatch.exceptions import (
    CloudWatchException,
    InvalidParameterCombination,
    InvalidParameterValue,
    ValidationError,
)
from moto.core.responses import ActionResult, EmptyResult
from moto.core.serialize import BaseJSONSerializer

from sagetrim.sim import clock as sim_clock
from sagetrim.sim import metric_math
from sagetrim.sim.metric_math import ExpressionError, Series
from sagetrim.sim.metrics_store import (
    STANDARD_STATISTICS,
    MetricKey,
    MetricStore,
    bucket_statistics,
    epoch_seconds,
    metric_key,
    parse_percentile,
)
from sagetrim.sim.moto_patch import existing, replace

if TYPE_CHECKING:
    from botocore.model import ListShape, Shape
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.core.responses import ActionContext


__all__ = [
    "MAX_DATAPOINTS",
    "MAX_METRIC_DATA_QUERIES",
    "InvalidNextToken",
    "MetricStore",
    "MissingParameter",
    "get_metric_data",
    "get_metric_statistics",
    "install",
    "list_metrics",
    "metric_store",
    "put_metric_data",
]

MAX_METRIC_DATA_QUERIES: Final = 500
MAX_DATAPOINTS: Final = 100_800
MAX_STATISTICS_DATAPOINTS: Final = 1_440
LIST_METRICS_PAGE: Final = 500
MAX_PUT_METRICS: Final = 1_000
MAX_PUT_VALUES: Final = 150
MAX_DIMENSIONS: Final = 30
HIGH_RESOLUTION_PERIODS: Final = (1, 5, 10, 20, 30)
_MINUTE: Final = 60
_HOUR: Final = 3_600
_DAY: Final = 86_400
_STORE_ATTR: Final = "_sagetrim_metric_store"
_INSTALLED_ATTR: Final = "_sagetrim_metric_store_installed"
_ID_RE: Final = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
_install_lock = threading.Lock()


class InvalidNextToken(CloudWatchException):
    """The NextToken does not belong to this request."""

    code = "InvalidNextToken"


class MissingParameter(CloudWatchException):
    """A parameter the operation needs is absent."""

    code = "MissingParameter"


# --------------------------------------------------------------------------- wiring into moto


def install() -> None:
    """Make moto's CloudWatch use a :class:`MetricStore` in every account and region.

    Idempotent. Patches ``CloudWatchBackend`` (where moto's own services publish metrics) and the
    four metric operations of ``CloudWatchResponse``.
    """
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    with _install_lock:
        if getattr(CloudWatchBackend, _INSTALLED_ATTR, False):
            return
        # _WireResult and _fast_json_serializer build on these.
        existing(ActionResult, "execute_result")
        existing(BaseJSONSerializer, "_serialize_type_list")
        existing(BaseJSONSerializer, "_default_serialize")
        for name, func in {
            "put_metric_data": _backend_put_metric_data,
            "get_metric_data": _backend_get_metric_data,
            "get_metric_statistics": _backend_get_metric_statistics,
            "list_metrics": _backend_list_metrics,
        }.items():
            replace(CloudWatchBackend, name, func)
        for name, func in {
            "put_metric_data": _response_put_metric_data,
            "get_metric_data": _response_get_metric_data,
            "get_metric_statistics": _response_get_metric_statistics,
            "list_metrics": _response_list_metrics,
        }.items():
            replace(CloudWatchResponse, name, func)
        setattr(CloudWatchBackend, _INSTALLED_ATTR, True)


def metric_store(account_id: str, region: str) -> MetricStore:
    """Return the store behind one account and region, creating it on first use.

    A moto reset replaces the backend and with it the store: look the store up again afterwards.
    """
    from moto.cloudwatch.models import cloudwatch_backends

    return _store_of(cloudwatch_backends[account_id][region])


def _store_of(backend: CloudWatchBackend) -> MetricStore:
    store = backend.__dict__.get(_STORE_ATTR)
    if store is None:
        with _install_lock:
            store = backend.__dict__.setdefault(_STORE_ATTR, MetricStore(clock=_sim_time))
    assert isinstance(store, MetricStore)
    return store


def _sim_time() -> float:
    """Epoch seconds on the sim clock (real time unless a sim clock is set)."""
    return sim_clock.now().timestamp()


def _backend_put_metric_data(
    self: CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]
) -> None:
    put_metric_data(_store_of(self), namespace, metric_data)


def _backend_get_metric_data(self: CloudWatchBackend, params: Mapping[str, Any]) -> dict[str, Any]:
    return get_metric_data(_store_of(self), params)


def _backend_get_metric_statistics(self: CloudWatchBackend, params: Mapping[str, Any]) -> dict[str, Any]:
    return get_metric_statistics(_store_of(self), params)


def _backend_list_metrics(self: CloudWatchBackend, params: Mapping[str, Any]) -> dict[str, Any]:
    return list_metrics(_store_of(self), params)


def _response_put_metric_data(self: Any) -> ActionResult:
    params = self._get_params()
    namespace = params.get("Namespace")
    if not namespace:
        raise MissingParameter("The parameter Namespace is required.")
    if namespace.startswith("AWS/"):
        raise InvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid.")
    data = list(params.get("MetricData") or [])
    for entity in params.get("EntityMetricData") or []:
        data.extend(entity.get("MetricData") or [])
    self.cloudwatch_backend.put_metric_data(namespace, data)
    return EmptyResult()


def _response_get_metric_data(self: Any) -> ActionResult:
    return _WireResult(self.cloudwatch_backend.get_metric_data(self._get_params()))


def _response_get_metric_statistics(self: Any) -> ActionResult:
    return _WireResult(self.cloudwatch_backend.get_metric_statistics(self._get_params()))


def _response_list_metrics(self: Any) -> ActionResult:
    return _WireResult(self.cloudwatch_backend.list_metrics(self._get_params()))


class _WireResult(ActionResult):
    """An answer moto serializes, except lists that are already in JSON wire form.

    moto's serializer visits every member of every list item, which dominates the time of a
    100,800-datapoint GetMetricData answer or a 500-metric ListMetrics page. Over the JSON protocol
    the answers built here (plain dicts, str, float, epoch-second ints for timestamps) are already
    what goes on the wire, so such lists are copied as they are. Other protocols take moto's path,
    which converts the epoch seconds itself.
    """

    def execute_result(self, context: ActionContext) -> Any:
        fast = _fast_json_serializer(context.serializer_class)
        return super().execute_result(dataclasses.replace(context, serializer_class=fast))


def _wire_ready(shape: Shape, value: Any) -> bool:
    """Whether ``value`` already has the JSON protocol's form for ``shape`` (lists: first item)."""
    kind = shape.type_name
    if kind == "string":
        return type(value) is str
    if kind in ("double", "float"):
        return type(value) is float
    if kind in ("integer", "long"):
        return type(value) is int
    if kind == "timestamp":
        return type(value) is int and shape.serialization.get("timestampFormat", "unixtimestamp") == "unixtimestamp"
    if kind == "list":
        return type(value) is list and (not value or _wire_ready(shape.member, value[0]))  # type: ignore[attr-defined]
    if kind == "map":
        return type(value) is dict and all(
            type(k) is str and _wire_ready(shape.value, v) for k, v in value.items()  # type: ignore[attr-defined]
        )
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        return type(value) is dict and all(
            k in members and members[k].serialization.get("name", k) == k and _wire_ready(members[k], v)
            for k, v in value.items()
        )
    return False


_FAST_SERIALIZERS: dict[type[Any], type[Any]] = {}


def _fast_json_serializer(base: type[Any]) -> type[Any]:
    if not issubclass(base, BaseJSONSerializer):
        return base
    fast = _FAST_SERIALIZERS.get(base)
    if fast is None:

        class _FastLists(base):  # type: ignore[misc, valid-type]
            def _serialize_type_list(self, serialized: Any, value: Any, shape: ListShape, key: str) -> None:
                if _wire_ready(shape, value):
                    self._default_serialize(serialized, value, shape, key)
                else:
                    super()._serialize_type_list(serialized, value, shape, key)

        fast = _FAST_SERIALIZERS[base] = _FastLists
    return fast


# --------------------------------------------------------------------------- shared helpers


def _epoch(value: Any, name: str) -> float:
    if isinstance(value, datetime):
        return epoch_seconds(value)
    if isinstance(value, int | float):
        return float(value)
    raise MissingParameter(f"The parameter {name} is required.")


def _check_period(period: Any, name: str) -> int:
    if not isinstance(period, int | float) or period != int(period):
        raise MissingParameter(f"The parameter {name} is required.")
    p = int(period)
    if p < 1 or (p < _MINUTE and p not in HIGH_RESOLUTION_PERIODS) or (p >= _MINUTE and p % _MINUTE):
        raise InvalidParameterValue(
            f"The parameter {name} must be 1, 5, 10, 20, 30 or a multiple of 60; got {p}."
        )
    return p


def _round_start(start: float, period: int, now: float) -> int:
    """Round StartTime down as CloudWatch does."""
    age = now - start
    if period < _MINUTE:
        step = period
    elif age < 15 * _DAY:
        step = _MINUTE
    elif age < 63 * _DAY:
        step = 5 * _MINUTE
    else:
        step = _HOUR
    return math.floor(start / step) * step


def _period_retained(period: int, start: float, now: float) -> bool:
    """False when CloudWatch no longer keeps data this old at this resolution."""
    age = now - start
    if age > 3 * _HOUR and period < _MINUTE:
        return False
    if age > 15 * _DAY and period % 300:
        return False
    return not (age > 63 * _DAY and period % _HOUR)


def _dimensions(raw: Any, field: str) -> dict[str, str]:
    dims: dict[str, str] = {}
    for i, item in enumerate(raw or [], start=1):
        name, value = item.get("Name"), item.get("Value")
        if not name or value is None:
            raise InvalidParameterValue(f"The parameter {field}.member.{i} needs a Name and a Value.")
        if name in dims:
            raise InvalidParameterValue(f"The dimension name {name} appears twice in {field}.")
        dims[name] = value
    if len(dims) > MAX_DIMENSIONS:
        raise InvalidParameterValue(f"The collection {field} must not have more than {MAX_DIMENSIONS} members.")
    return dims


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode_token(offset: int, digest: str) -> str:
    raw = json.dumps({"o": offset, "d": digest}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str | None, digest: str) -> int | None:
    """Return the offset in a token made for this request, or None when it is not one."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["o"]
        if data["d"] == digest and isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError):
        pass
    return None


# --------------------------------------------------------------------------- PutMetricData


def _finite(value: Any, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise InvalidParameterValue(f"The value {value} for parameter {field} is invalid.")
    return number


def put_metric_data(store: MetricStore, namespace: str, metric_data: Sequence[Mapping[str, Any]]) -> None:
    """Validate and store the ``MetricData`` of a PutMetricData request, all or nothing.

    Raises:
        InvalidParameterValue: For out-of-range sizes or values.
        InvalidParameterCombination: When a datum has more or less than one of Value, Values and
            StatisticValues.
    """
    if len(metric_data) > MAX_PUT_METRICS:
        raise InvalidParameterValue(
            f"The collection MetricData must not have a size greater than {MAX_PUT_METRICS}."
        )
    now = store.clock()
    batches: dict[tuple[MetricKey, str | None], list[tuple[int, float, float, float, float]]] = {}
    for i, datum in enumerate(metric_data, start=1):
        field = f"MetricData.member.{i}"
        name = datum.get("MetricName")
        if not name:
            raise MissingParameter(f"The parameter {field}.MetricName is required.")
        key = metric_key(namespace, name, _dimensions(datum.get("Dimensions"), f"{field}.Dimensions"))
        ts = datum.get("Timestamp")
        t = math.floor(_epoch(ts, f"{field}.Timestamp") if ts is not None else now)
        value, values, stats = datum.get("Value"), datum.get("Values") or [], datum.get("StatisticValues")
        given = [f for f, v in (("Value", value), ("Values", values), ("StatisticValues", stats)) if v or v == 0]
        if len(given) > 1:
            raise InvalidParameterCombination(
                f"The parameters {field}.{given[0]} and {field}.{given[1]} are mutually exclusive "
                "and you have specified both."
            )
        if not given:
            raise MissingParameter(f"The parameter {field}.Value, Values or StatisticValues is required.")
        points = batches.setdefault((key, datum.get("Unit")), [])
        if value is not None:
            v = _finite(value, f"{field}.Value")
            points.append((t, v, 1.0, v, v))
        elif values:
            counts = datum.get("Counts") or [1.0] * len(values)
            if len(values) > MAX_PUT_VALUES:
                raise InvalidParameterValue(
                    f"The collection {field}.Values must not have a size greater than {MAX_PUT_VALUES}."
                )
            if len(counts) != len(values):
                raise InvalidParameterValue(
                    f"The parameters {field}.Values and {field}.Counts must be of the same size."
                )
            for j, (raw_v, raw_c) in enumerate(zip(values, counts, strict=True), start=1):
                v = _finite(raw_v, f"{field}.Values.member.{j}")
                c = _finite(raw_c, f"{field}.Counts.member.{j}")
                if c < 0:
                    raise InvalidParameterValue(f"The value {raw_c} for parameter {field}.Counts is invalid.")
                if c > 0:
                    points.append((t, v * c, c, v, v))
        else:
            assert stats is not None
            sv = {k: _finite(stats.get(k), f"{field}.StatisticValues.{k}") for k in
                  ("Sum", "SampleCount", "Minimum", "Maximum")}
            if sv["SampleCount"] <= 0 or sv["Minimum"] > sv["Maximum"]:
                raise InvalidParameterValue(f"The parameter {field}.StatisticValues is inconsistent.")
            points.append((t, sv["Sum"], sv["SampleCount"], sv["Minimum"], sv["Maximum"]))
    for (key, unit), points in batches.items():
        if points:
            cols = list(zip(*points, strict=True))
            store.put_points(key, cols[0], cols[1], cols[2], cols[3], cols[4], unit=unit)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- GetMetricStatistics


def get_metric_statistics(store: MetricStore, params: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a GetMetricStatistics request.

    Raises:
        InvalidParameterValue: For a bad period, statistic or time range.
        InvalidParameterCombination: For both or neither of Statistics and ExtendedStatistics, or
            more than 1,440 requested datapoints.
    """
    now = store.clock()
    namespace, name = params.get("Namespace"), params.get("MetricName")
    if not namespace or not name:
        raise MissingParameter("The parameters Namespace and MetricName are required.")
    dims = _dimensions(params.get("Dimensions"), "Dimensions")
    stats = list(params.get("Statistics") or [])
    extended = list(params.get("ExtendedStatistics") or [])
    if not stats and not extended:
        raise InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics.")
    if stats and extended:
        raise InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics, but not both.")
    for stat in stats:
        if stat not in STANDARD_STATISTICS:
            raise InvalidParameterValue(f"The value {stat} for parameter Statistics is not supported.")
    for stat in extended:
        if parse_percentile(stat) is None:
            raise InvalidParameterValue(
                f"The value {stat} for parameter ExtendedStatistics is not supported: "
                "use a percentile p0.0 to p100."
            )
    if len(extended) > 10:
        raise InvalidParameterValue("The collection ExtendedStatistics must not have more than 10 members.")
    start = _epoch(params.get("StartTime"), "StartTime")
    end = _epoch(params.get("EndTime"), "EndTime")
    if start >= end:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    period = _check_period(params.get("Period"), "Period")
    origin = _round_start(start, period, now)
    stop = math.ceil(end)
    requested = math.ceil((stop - origin) / period)
    if requested > MAX_STATISTICS_DATAPOINTS:
        raise InvalidParameterCombination(
            f"You have requested up to {requested:,} datapoints, which exceeds the limit of "
            f"{MAX_STATISTICS_DATAPOINTS:,}. You may reduce the datapoints requested by increasing "
            "Period, or decreasing the time range."
        )
    datapoints: list[dict[str, Any]] = []
    data = store.read(metric_key(namespace, name, dims), origin, stop, params.get("Unit"))
    if data is None or not _period_retained(period, start, now):
        return {"Label": name, "Datapoints": datapoints}
    buckets = bucket_statistics(data, origin, period, stats or extended)
    times = buckets.starts.tolist()
    columns = {s: buckets.values[s].tolist() for s in stats or extended}
    for i, when in enumerate(times):
        point: dict[str, Any] = {"Timestamp": when, "Unit": data.unit}
        if stats:
            point.update((s, columns[s][i]) for s in stats)
        else:
            known = {s: columns[s][i] for s in extended if not math.isnan(columns[s][i])}
            if not known:
                continue
            point["ExtendedStatistics"] = known
        datapoints.append(point)
    return {"Label": name, "Datapoints": datapoints}


# --------------------------------------------------------------------------- ListMetrics


LIST_METRICS_ACTIVE_DAYS = 14  # ListMetrics leaves out metrics with no datapoint in two weeks


def list_metrics(store: MetricStore, params: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a ListMetrics request: 500 metrics per page, each metric once.

    Raises:
        InvalidParameterValue: For a bad NextToken, RecentlyActive or dimension filter.
    """
    namespace, name = params.get("Namespace"), params.get("MetricName")
    filters: list[tuple[str, str | None]] = []
    for i, item in enumerate(params.get("Dimensions") or [], start=1):
        if not item.get("Name"):
            raise InvalidParameterValue(f"The parameter Dimensions.member.{i}.Name is required.")
        filters.append((item["Name"], item.get("Value")))
    if len(filters) > 10:
        raise InvalidParameterValue("The collection Dimensions must not have more than 10 members.")
    recently = params.get("RecentlyActive")
    if recently not in (None, "PT3H"):
        raise InvalidParameterValue(f"The value {recently} for parameter RecentlyActive is invalid.")
    active_since = int(store.clock()) - (3 * _HOUR if recently else LIST_METRICS_ACTIVE_DAYS * 24 * _HOUR)
    digest = _digest(namespace, name, filters, recently)
    offset = _decode_token(params.get("NextToken"), digest)
    if offset is None:
        raise InvalidParameterValue("The value of NextToken is invalid.")
    keys = store.list_metrics(namespace, name, filters, active_since)
    page = keys[offset : offset + LIST_METRICS_PAGE]
    result: dict[str, Any] = {
        "Metrics": [
            {"Namespace": ns, "MetricName": mn, "Dimensions": [{"Name": k, "Value": v} for k, v in dims]}
            for ns, mn, dims in page
        ]
    }
    if offset + LIST_METRICS_PAGE < len(keys):
        result["NextToken"] = _encode_token(offset + LIST_METRICS_PAGE, digest)
    return result


# --------------------------------------------------------------------------- GetMetricData


@dataclass(frozen=True, slots=True)
class _Query:
    id: str
    label: str | None
    return_data: bool
    stat: tuple[MetricKey, int, str, str | None] | None
    expression: str | None


def _parse_queries(raw: Sequence[Mapping[str, Any]]) -> list[_Query]:
    if len(raw) > MAX_METRIC_DATA_QUERIES:
        raise ValidationError(
            f"The collection MetricDataQueries must not have a size greater than {MAX_METRIC_DATA_QUERIES}."
        )
    queries: list[_Query] = []
    seen: set[str] = set()
    for i, q in enumerate(raw, start=1):
        field = f"MetricDataQueries.member.{i}"
        qid = q.get("Id") or ""
        if not _ID_RE.match(qid):
            raise ValidationError(
                f"The value {qid!r} for parameter {field}.Id is invalid: it must start with a lowercase "
                "letter and contain only letters, numbers and underscores."
            )
        if qid in seen:
            raise ValidationError(f"The value {qid} for parameter {field}.Id is duplicated.")
        seen.add(qid)
        ms, expression = q.get("MetricStat"), q.get("Expression")
        if (ms is None) == (expression is None):
            raise ValidationError(f"Exactly one of {field}.MetricStat and {field}.Expression must be given.")
        stat_spec = None
        if ms is not None:
            metric = ms.get("Metric") or {}
            namespace, name = metric.get("Namespace"), metric.get("MetricName")
            if not namespace or not name:
                raise ValidationError(f"The parameter {field}.MetricStat.Metric needs a Namespace and a MetricName.")
            dims = _dimensions(metric.get("Dimensions"), f"{field}.MetricStat.Metric.Dimensions")
            period = _check_period(ms.get("Period"), f"{field}.MetricStat.Period")
            stat = ms.get("Stat") or ""
            if stat not in STANDARD_STATISTICS and parse_percentile(stat) is None:
                raise ValidationError(
                    f"The value {stat!r} for parameter {field}.MetricStat.Stat is not supported: use "
                    "SampleCount, Average, Sum, Minimum, Maximum or a percentile such as p90 or p99.9."
                )
            stat_spec = (metric_key(namespace, name, dims), period, stat, ms.get("Unit"))
        return_data = q.get("ReturnData")
        queries.append(
            _Query(qid, q.get("Label"), return_data is None or bool(return_data), stat_spec, expression)
        )
    return queries


class _Evaluation:
    """Computes the time series of every query of one GetMetricData request."""

    def __init__(self, store: MetricStore, queries: list[_Query], start: float, stop: int, now: float) -> None:
        self._store = store
        self._queries = {q.id: q for q in queries}
        self._ordered = queries
        self._start = start
        self._stop = stop
        self._now = now
        self._done: dict[str, Series] = {}
        self._active: set[str] = set()

    def series(self, qid: str) -> Series:
        done = self._done.get(qid)
        if done is not None:
            return done
        query = self._queries.get(qid)
        if query is None:
            raise ExpressionError(f"there is no query with id {qid}")
        if qid in self._active:
            raise ExpressionError(f"query {qid} refers to itself")
        self._active.add(qid)
        try:
            result = self._metric(query) if query.stat is not None else self._expression(query)
        finally:
            self._active.discard(qid)
        self._done[qid] = result
        return result

    def _metric(self, query: _Query) -> Series:
        assert query.stat is not None
        key, period, stat, unit = query.stat
        origin = _round_start(self._start, period, self._now)
        label = query.label or key[1]
        empty = Series(np.zeros(0, dtype=np.int64), np.zeros(0), label, origin, period, self._stop)
        if not _period_retained(period, self._start, self._now):
            return empty
        data = self._store.read(key, origin, self._stop, unit)
        if data is None:
            return empty
        buckets = bucket_statistics(data, origin, period, (stat,))
        values = buckets.values[stat]
        keep = ~np.isnan(values)
        return Series(buckets.starts[keep], values[keep], label, origin, period, self._stop)

    def _metrics(self, label_filter: str | None) -> list[Series]:
        found = [self.series(q.id) for q in self._ordered if q.stat is not None]
        return [s for s in found if label_filter is None or label_filter in s.label]

    def _expression(self, query: _Query) -> Series:
        assert query.expression is not None
        try:
            return metric_math.evaluate(query.expression, query.label or query.id, self.series, self._metrics)
        except ExpressionError as exc:
            raise ValidationError(f"Error in expression {query.id} ({query.expression!r}): {exc}.") from None


def get_metric_data(store: MetricStore, params: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a GetMetricData request, one page of at most ``MaxDatapoints`` datapoints.

    Raises:
        ValidationError: For more than 500 queries, a bad query or expression, or a bad time range.
        InvalidNextToken: For a NextToken from another request.
    """
    now = store.clock()
    raw_queries = list(params.get("MetricDataQueries") or [])
    queries = _parse_queries(raw_queries)
    start = _epoch(params.get("StartTime"), "StartTime")
    end = _epoch(params.get("EndTime"), "EndTime")
    if start > end:
        raise ValidationError("The parameter EndTime must be greater than StartTime.")
    if start == end:
        raise ValidationError("The parameter StartTime must not equal parameter EndTime.")
    scan_by = params.get("ScanBy") or "TimestampDescending"
    if scan_by not in ("TimestampDescending", "TimestampAscending"):
        raise ValidationError(f"The value {scan_by} for parameter ScanBy is invalid.")
    max_points = params.get("MaxDatapoints")
    if max_points is not None and int(max_points) < 1:
        raise InvalidParameterValue("The parameter MaxDatapoints must be greater than 0.")
    limit = MAX_DATAPOINTS if max_points is None else min(int(max_points), MAX_DATAPOINTS)
    digest = _digest(raw_queries, start, end, scan_by)
    offset = _decode_token(params.get("NextToken"), digest)
    if offset is None:
        raise InvalidNextToken("The service returned an invalid NextToken.")

    evaluation = _Evaluation(store, queries, start, math.ceil(end), now)
    returned = [(q, evaluation.series(q.id)) for q in queries if q.return_data]
    for q in queries:
        evaluation.series(q.id)  # errors in queries that are not returned still fail the call

    results: list[dict[str, Any]] = []
    position = 0
    window_end = offset + limit
    for query, series in returned:
        failure = store.failure(query.stat[0]) if query.stat is not None else None
        if failure is not None:  # this query failed (on the first page); the others are answered
            if offset == 0:
                results.append({"Id": query.id, "Label": series.label, "Timestamps": [], "Values": [],
                                "StatusCode": failure[0], "Messages": [{"Code": failure[0], "Value": failure[1]}]})
            continue
        n = series.ts.size
        lo, hi = max(offset - position, 0), min(window_end - position, n)
        position += n
        if hi <= lo and not (n == 0 and offset == 0):
            continue
        ts, values = series.ts, series.values
        if scan_by == "TimestampDescending":
            ts, values = ts[::-1], values[::-1]
        results.append(
            {
                "Id": query.id,
                "Label": series.label,
                "Timestamps": ts[lo:hi].tolist(),
                "Values": values[lo:hi].tolist(),
                "StatusCode": "PartialData" if hi < n else "Complete",
            }
        )
    answer: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
    if position > window_end:
        answer["NextToken"] = _encode_token(window_end, digest)
    return answer
