"""Columnar CloudWatch metric storage for the simulated account.

A metric is identified as in CloudWatch: namespace, metric name and the exact set of dimensions.
Each metric holds one series per unit. A series stores every datapoint as a statistic set, in
numpy columns sorted by time: ``ts`` (int64 epoch seconds), ``sums``, ``counts``, ``mins`` and
``maxs`` (float64). A raw value ``v`` is the set ``(v, 1, v, v)``; ``Values``/``Counts`` give
``(v * n, n, v, v)``.

Memory stays small at fleet size because columns are shared where the data allows: a column
whose values are all equal is a zero-stride broadcast of one float, raw values use one array for
sum, minimum and maximum, values with counts store no sums (they are value * count), and identical
timestamp arrays loaded through :meth:`MetricStore.put_series` are stored once.

Percentiles follow CloudWatch: they are computed (nearest rank over the weighted values) only for
periods whose datapoints all have ``SampleCount == 1`` or ``min == max``, and no negative value;
other periods have no percentile.

Suggested bulk load for a 14-day endpoint fleet: one datapoint per hour per endpoint variant,
as a statistic set where ``Sum``/``Minimum``/``Maximum`` matter (``Invocations``: the hour's total,
``SampleCount`` = 60 one-minute datapoints; ``ModelLatency``), and as ``values`` with ``counts=60``
(hourly means) for utilization metrics. Queries then need a ``Period`` of 3600 s or a multiple of it;
a finer period sees one datapoint per hour.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "STANDARD_STATISTICS",
    "BucketStats",
    "MetricKey",
    "MetricStore",
    "Slice",
    "bucket_statistics",
    "epoch_seconds",
    "metric_key",
    "parse_percentile",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayInput = Sequence[float] | npt.NDArray[Any]
ColumnInput = ArrayInput | float | int

MetricKey = tuple[str, str, tuple[tuple[str, str], ...]]
"""Namespace, metric name and dimensions sorted by name."""

_Columns = tuple[IntArray, FloatArray | None, FloatArray, FloatArray, FloatArray]
"""ts, sums (None: mins * counts), counts, mins, maxs."""

STANDARD_STATISTICS: Final = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
NO_UNIT: Final = "None"
_EMPTY_I: Final[IntArray] = np.zeros(0, dtype=np.int64)
_EMPTY_F: Final[FloatArray] = np.zeros(0, dtype=np.float64)


def metric_key(
    namespace: str, metric_name: str, dimensions: Mapping[str, str] | Iterable[tuple[str, str]]
) -> MetricKey:
    """Return the identity of a metric: namespace, name and the exact dimension set."""
    pairs = dimensions.items() if isinstance(dimensions, Mapping) else dimensions
    return (namespace, metric_name, tuple(sorted(pairs)))


def parse_percentile(stat: str) -> float | None:
    """Return the percentile of a ``pNN`` / ``pNN.NN`` statistic name, or None if it is not one."""
    if len(stat) < 2 or stat[0] != "p":
        return None
    body = stat[1:]
    whole, _, frac = body.partition(".")
    if not whole.isdigit() or len(whole) > 3 or (frac and (not frac.isdigit() or len(frac) > 10)):
        return None
    value = float(body)
    return value if 0.0 <= value <= 100.0 else None


def _readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    arr.flags.writeable = False
    return arr


_CONSTANTS: dict[tuple[float, int], FloatArray] = {}


def _constant(value: float, n: int) -> FloatArray:
    """A read-only column of ``n`` equal values that occupies one float (shared between series)."""
    column = _CONSTANTS.get((value, n))
    if column is None:
        column = np.broadcast_to(np.float64(value), (n,))
        if len(_CONSTANTS) < 4096:
            _CONSTANTS[(value, n)] = column
    return column


def _column(value: ColumnInput, n: int, name: str) -> FloatArray:
    if isinstance(value, int | float):
        if not np.isfinite(value):
            raise ValueError(f"{name} is NaN or infinite")
        return _constant(float(value), n)
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}, expected ({n},) like the timestamps")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _is_constant(arr: FloatArray) -> bool:
    return arr.strides == (0,) or bool(arr.size == 0 or (arr == arr[0]).all())


def _compact(
    sums: FloatArray | None, counts: FloatArray, mins: FloatArray, maxs: FloatArray
) -> tuple[FloatArray | None, FloatArray, FloatArray, FloatArray]:
    """Share columns where the data allows it (see the module docstring).

    A None ``sums`` stands for ``mins * counts``: every sample of each datapoint had one value.
    """
    n = mins.size
    if n and counts.strides != (0,) and _is_constant(counts):
        counts = _constant(float(counts[0]), n)
    if maxs is not mins and np.array_equal(maxs, mins):
        maxs = mins
    if sums is not None and maxs is mins:
        if counts.strides == (0,) and n and float(counts[0]) == 1.0:
            if np.array_equal(sums, mins):
                sums = mins
        elif np.array_equal(sums, mins * counts):
            sums = None
    return sums, counts, mins, maxs


def _sums(sums: FloatArray | None, counts: FloatArray, mins: FloatArray) -> FloatArray:
    return mins * counts if sums is None else sums


def _to_epoch_seconds(timestamps: ArrayInput | Sequence[datetime]) -> IntArray:
    if isinstance(timestamps, np.ndarray):
        if timestamps.dtype.kind == "M":
            return timestamps.astype("datetime64[s]").astype(np.int64)
        if timestamps.dtype.kind in "iu":
            return timestamps.astype(np.int64, copy=False)
        return np.floor(timestamps).astype(np.int64)
    items = list(timestamps)
    if items and isinstance(items[0], datetime):
        return np.array([int(_epoch(t)) for t in items if isinstance(t, datetime)], dtype=np.int64)
    return np.floor(np.asarray(items, dtype=np.float64)).astype(np.int64)


def _epoch(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


class _Series:
    """The datapoints of one metric in one unit."""

    __slots__ = ("_pending", "counts", "maxs", "mins", "sums", "ts")

    def __init__(self) -> None:
        self.ts: IntArray = _EMPTY_I
        self.sums: FloatArray | None = _EMPTY_F
        self.counts: FloatArray = _EMPTY_F
        self.mins: FloatArray = _EMPTY_F
        self.maxs: FloatArray = _EMPTY_F
        self._pending: list[_Columns] = []

    def append(
        self, ts: IntArray, sums: FloatArray | None, counts: FloatArray, mins: FloatArray, maxs: FloatArray
    ) -> None:
        if self.ts.size == 0 and not self._pending and (ts.size < 2 or bool((ts[1:] >= ts[:-1]).all())):
            self.ts, self.sums, self.counts, self.mins, self.maxs = ts, sums, counts, mins, maxs
        else:
            self._pending.append((ts, sums, counts, mins, maxs))

    def columns(self) -> _Columns:
        """Return the columns, merging datapoints appended since the last read."""
        if self._pending:
            parts = [(self.ts, self.sums, self.counts, self.mins, self.maxs), *self._pending]
            self._pending = []
            ts = np.concatenate([p[0] for p in parts])
            sums = np.concatenate([_sums(p[1], p[2], p[3]) for p in parts])
            counts, mins, maxs = (np.concatenate([p[i] for p in parts]) for i in range(2, 5))
            if ts.size > 1 and not bool((ts[1:] >= ts[:-1]).all()):
                order = np.argsort(ts, kind="stable")
                ts, sums, counts, mins, maxs = ts[order], sums[order], counts[order], mins[order], maxs[order]
            self.ts = _readonly(ts)
            self.sums, self.counts, self.mins, self.maxs = _compact(sums, counts, mins, maxs)
        return self.ts, self.sums, self.counts, self.mins, self.maxs

    def arrays(self) -> Iterator[npt.NDArray[Any]]:
        for part in ((self.ts, self.sums, self.counts, self.mins, self.maxs), *self._pending):
            yield from (a for a in part if a is not None)


class _Metric:
    __slots__ = ("by_unit", "last_ts")

    def __init__(self) -> None:
        self.by_unit: dict[str, _Series] = {}
        self.last_ts: int = -(2**62)


@dataclass(frozen=True, slots=True)
class Slice:
    """The datapoints of one metric within a time range, sorted by time."""

    ts: IntArray
    sums: FloatArray
    counts: FloatArray
    mins: FloatArray
    maxs: FloatArray
    unit: str


@dataclass(frozen=True, slots=True)
class BucketStats:
    """Statistics per period: ``starts`` are the period start times (epoch seconds, ascending)."""

    starts: IntArray
    values: dict[str, FloatArray]
    """Statistic name -> one value per period; NaN where the statistic is not available."""


class MetricStore:
    """The CloudWatch metrics of one account and region.

    Thread-safe: every public method holds the store's lock.

    Args:
        clock: Returns "now" in epoch seconds, for start-time rounding, ``RecentlyActive`` and
            datapoints sent without a timestamp.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._metrics: dict[MetricKey, _Metric] = {}
        self._by_name: dict[tuple[str, str], list[MetricKey]] = {}
        self._ts_pool: dict[bytes, IntArray] = {}
        self._list_cache: dict[tuple[Any, ...], list[MetricKey]] = {}
        self._failing: dict[MetricKey, tuple[str, str]] = {}

    def __len__(self) -> int:
        return len(self._metrics)

    def clear(self) -> None:
        """Remove every metric and datapoint."""
        with self._lock:
            self._metrics.clear()
            self._by_name.clear()
            self._ts_pool.clear()
            self._list_cache.clear()
            self._failing.clear()

    def fail_reads(self, namespace: str, metric_name: str, dimensions: Mapping[str, str], *,
                   status: str = "InternalError", message: str = "An internal error occurred.") -> None:
        """Make `GetMetricData` fail every query of one metric (exact dimension set) while answering the
        others, as CloudWatch does: the query's result has ``StatusCode`` ``status`` (``InternalError`` or
        ``Forbidden``), a message, and no datapoints."""
        if status not in ("InternalError", "Forbidden"):
            raise ValueError(f"a failed query's StatusCode is InternalError or Forbidden, not {status!r}")
        with self._lock:
            self._failing[metric_key(namespace, metric_name, dimensions)] = (status, message)

    def failure(self, key: MetricKey) -> tuple[str, str] | None:
        """The ``(StatusCode, message)`` reads of this metric fail with, or None."""
        with self._lock:
            return self._failing.get(key)

    def put_series(
        self,
        namespace: str,
        metric_name: str,
        dimensions: Mapping[str, str],
        timestamps: ArrayInput | Sequence[datetime],
        *,
        values: ColumnInput | None = None,
        sums: ColumnInput | None = None,
        counts: ColumnInput | None = None,
        minimums: ColumnInput | None = None,
        maximums: ColumnInput | None = None,
        unit: str | None = None,
    ) -> None:
        """Bulk-load datapoints of one metric, without going through the API.

        Args:
            namespace: The metric namespace, e.g. ``/aws/sagemaker/Endpoints``.
            metric_name: The metric name.
            dimensions: The exact dimension set of the metric.
            timestamps: Epoch seconds (numbers or ``datetime64``) or datetimes, one per datapoint.
            values: Raw values; with ``counts`` each value counts that many times (``Values``/``Counts``).
            sums: Statistic sets: the sum per datapoint; needs ``counts``, ``minimums`` and ``maximums``.
            counts: Sample counts per datapoint, or one number for all.
            minimums: Minimum per datapoint, or one number for all.
            maximums: Maximum per datapoint, or one number for all.
            unit: The CloudWatch unit; None stores the data as unit ``None``.

        Raises:
            ValueError: If the columns do not match the timestamps or mix raw values and statistic sets.
        """
        ts = _to_epoch_seconds(timestamps)
        n = ts.size
        if values is not None:
            if sums is not None or minimums is not None or maximums is not None:
                raise ValueError("pass either values (with optional counts) or sums/counts/minimums/maximums")
            vals = _column(values, n, "values")
            cnt = _constant(1.0, n) if counts is None else _column(counts, n, "counts")
            sum_col: FloatArray | None = vals if counts is None else None
            min_col = max_col = vals
        else:
            if sums is None or counts is None or minimums is None or maximums is None:
                raise ValueError("statistic sets need sums, counts, minimums and maximums")
            sum_col = _column(sums, n, "sums")
            cnt = _column(counts, n, "counts")
            min_col = _column(minimums, n, "minimums")
            max_col = _column(maximums, n, "maximums")
        if n and bool((cnt <= 0).any()):
            raise ValueError("counts must be positive")
        if n == 0:
            return
        pooled = self._ts_pool.get(ts.tobytes())
        order = None
        if pooled is None and n > 1 and not bool((ts[1:] >= ts[:-1]).all()):
            order = np.argsort(ts, kind="stable")
            ts = ts[order]
        owned: dict[int, FloatArray] = {}

        def own(col: FloatArray) -> FloatArray:
            # One private, read-only copy per distinct input array (raw values share one).
            if col.strides == (0,):
                return col
            if id(col) not in owned:
                owned[id(col)] = _readonly(col[order] if order is not None else col.copy())
            return owned[id(col)]

        cols = _compact(None if sum_col is None else own(sum_col), own(cnt), own(min_col), own(max_col))
        with self._lock:
            self._append(metric_key(namespace, metric_name, dimensions), unit or NO_UNIT, self._intern(ts), *cols)

    def put_points(
        self,
        key: MetricKey,
        timestamps: Sequence[int],
        sums: Sequence[float],
        counts: Sequence[float],
        minimums: Sequence[float],
        maximums: Sequence[float],
        unit: str | None = None,
    ) -> None:
        """Add a few datapoints (statistic sets) to a metric, as PutMetricData does."""
        ts = np.asarray(timestamps, dtype=np.int64)
        cols = tuple(np.asarray(c, dtype=np.float64) for c in (sums, counts, minimums, maximums))
        with self._lock:
            self._append(key, unit or NO_UNIT, ts, *cols)

    def _intern(self, ts: IntArray) -> IntArray:
        """Return the stored copy of a sorted timestamp array, one per distinct array."""
        raw = ts.tobytes()
        pooled = self._ts_pool.get(raw)
        if pooled is None:
            pooled = self._ts_pool[raw] = _readonly(np.array(ts, dtype=np.int64, copy=True))
        return pooled

    def _append(
        self,
        key: MetricKey,
        unit: str,
        ts: IntArray,
        sums: FloatArray | None,
        counts: FloatArray,
        mins: FloatArray,
        maxs: FloatArray,
    ) -> None:
        metric = self._metrics.get(key)
        if metric is None:
            metric = self._metrics[key] = _Metric()
            self._by_name.setdefault((key[0], key[1]), []).append(key)
            self._list_cache.clear()
        series = metric.by_unit.get(unit)
        if series is None:
            series = metric.by_unit[unit] = _Series()
        series.append(ts, sums, counts, mins, maxs)
        if ts.size:
            metric.last_ts = max(metric.last_ts, int(ts[-1]))

    def read(self, key: MetricKey, start: int, end: int, unit: str | None = None) -> Slice | None:
        """Return the datapoints of a metric with ``start <= ts < end``; None if it has none.

        Args:
            key: The metric identity (exact dimension set).
            start: Inclusive start, epoch seconds.
            end: Exclusive end, epoch seconds.
            unit: Only datapoints stored with this unit; None for all units.
        """
        with self._lock:
            metric = self._metrics.get(key)
            if metric is None:
                return None
            if unit is not None:
                series = metric.by_unit.get(unit)
                parts = [(unit, series.columns())] if series is not None else []
            else:
                parts = [(u, s.columns()) for u, s in metric.by_unit.items()]
        sliced = []
        for part_unit, (ts, sums, counts, mins, maxs) in parts:
            i0, i1 = np.searchsorted(ts, [start, end], side="left")
            if i1 > i0:
                c, mn = counts[i0:i1], mins[i0:i1]
                s = mn * c if sums is None else sums[i0:i1]
                sliced.append((part_unit, ts[i0:i1], s, c, mn, maxs[i0:i1]))
        if not sliced:
            return None
        if len(sliced) == 1:
            u, ts, sums, counts, mins, maxs = sliced[0]
            return Slice(ts, sums, counts, mins, maxs, u)
        ts = np.concatenate([p[1] for p in sliced])
        order = np.argsort(ts, kind="stable")
        s, c, mn, mx = (np.concatenate([p[i] for p in sliced])[order] for i in range(2, 6))
        return Slice(ts[order], s, c, mn, mx, sliced[0][0])

    def list_metrics(
        self,
        namespace: str | None = None,
        metric_name: str | None = None,
        dimension_filters: Sequence[tuple[str, str | None]] = (),
        active_since: int | None = None,
    ) -> list[MetricKey]:
        """Return the metrics that match every given filter, each once, in the order they appeared.

        Args:
            namespace: Only this namespace.
            metric_name: Only this metric name.
            dimension_filters: ``(name, value)`` pairs the metric must have; a None value matches
                any value of that dimension. The metric may have further dimensions.
            active_since: Only metrics with a datapoint at or after this epoch second.
        """
        filters = tuple(dimension_filters)
        with self._lock:
            cache_key = (namespace, metric_name, filters)
            keys = self._list_cache.get(cache_key)
            if keys is None:
                keys = self._filter(namespace, metric_name, filters)
                if len(self._list_cache) > 64:
                    self._list_cache.clear()
                self._list_cache[cache_key] = keys
            if active_since is not None:
                keys = [k for k in keys if self._metrics[k].last_ts >= active_since]
            return keys

    def _filter(
        self, namespace: str | None, metric_name: str | None, filters: tuple[tuple[str, str | None], ...]
    ) -> list[MetricKey]:
        candidates: Iterable[MetricKey]
        if namespace is not None and metric_name is not None:
            candidates = self._by_name.get((namespace, metric_name), [])
        else:
            candidates = self._metrics
        out = []
        for key in candidates:
            ns, name, dims = key
            if (namespace is not None and ns != namespace) or (metric_name is not None and name != metric_name):
                continue
            if filters:
                have = dict(dims)
                if not all(
                    n in have and (v is None or have[n] == v) for n, v in filters
                ):
                    continue
            out.append(key)
        return out

    def nbytes(self) -> int:
        """Approximate memory held by the datapoint columns, counting shared buffers once."""
        seen: set[int] = set()
        total = 0
        with self._lock:
            for metric in self._metrics.values():
                for series in metric.by_unit.values():
                    for arr in series.arrays():
                        base = arr
                        while isinstance(base.base, np.ndarray):
                            base = base.base
                        if id(base) in seen:
                            continue
                        seen.add(id(base))
                        total += base.itemsize if arr.strides == (0,) else base.nbytes
        return total

    def point_count(self) -> int:
        """Return the number of stored datapoints."""
        with self._lock:
            return sum(
                sum(part.size for part in (s.ts, *(p[0] for p in s._pending)))
                for m in self._metrics.values()
                for s in m.by_unit.values()
            )


def bucket_statistics(data: Slice, origin: int, period: int, stats: Iterable[str]) -> BucketStats:
    """Aggregate datapoints into periods ``[origin + k * period, origin + (k + 1) * period)``.

    Only periods that hold datapoints appear. Statistics: ``SampleCount``, ``Average``, ``Sum``,
    ``Minimum``, ``Maximum`` and percentiles ``pNN``.

    Raises:
        ValueError: For an unknown statistic name.
    """
    bucket = (data.ts - origin) // period
    if bucket.size == 0:
        return BucketStats(_EMPTY_I, {s: _EMPTY_F for s in stats})
    cut = np.flatnonzero(bucket[1:] != bucket[:-1]) + 1
    first = np.concatenate(([0], cut))
    starts = origin + bucket[first] * period
    out: dict[str, FloatArray] = {}
    sums: FloatArray | None = None
    counts: FloatArray | None = None
    for stat in stats:
        if stat in ("Sum", "Average") and sums is None:
            sums = np.add.reduceat(data.sums, first)
        if stat in ("SampleCount", "Average") and counts is None:
            counts = np.add.reduceat(data.counts, first)
        if stat == "Sum":
            out[stat] = sums  # type: ignore[assignment]
        elif stat == "SampleCount":
            out[stat] = counts  # type: ignore[assignment]
        elif stat == "Average":
            out[stat] = sums / counts  # type: ignore[operator]
        elif stat == "Minimum":
            out[stat] = np.minimum.reduceat(data.mins, first)
        elif stat == "Maximum":
            out[stat] = np.maximum.reduceat(data.maxs, first)
        else:
            q = parse_percentile(stat)
            if q is None:
                raise ValueError(f"unsupported statistic {stat!r}")
            out[stat] = _percentiles(data, bucket, first, q)
    return BucketStats(starts, out)


def _percentiles(data: Slice, bucket: IntArray, first: IntArray, q: float) -> FloatArray:
    """Nearest-rank weighted percentile per period; NaN where the distribution is unknown."""
    n = bucket.size
    single = data.counts == 1.0
    vals = np.where(single, data.sums, data.mins)
    weights = data.counts
    usable = (single | (data.mins == data.maxs)) & (data.mins >= 0) & (vals >= 0)
    ok = np.logical_and.reduceat(usable, first)
    order = np.lexsort((vals, bucket))
    v = vals[order]
    cw = np.cumsum(weights[order] if weights.strides != (0,) else np.full(n, float(weights[0])))
    ends = np.concatenate((first[1:], [n]))
    base = np.where(first > 0, cw[first - 1], 0.0)
    total = cw[ends - 1] - base
    target = base + total * (q / 100.0) - 1e-9 * total
    idx = np.clip(np.searchsorted(cw, target, side="left"), first, ends - 1)
    result: FloatArray = v[idx].astype(np.float64)
    result[~ok] = np.nan
    return result


def epoch_seconds(value: datetime) -> float:
    """Return the epoch seconds of a datetime; a naive datetime is taken as UTC."""
    return _epoch(value)
