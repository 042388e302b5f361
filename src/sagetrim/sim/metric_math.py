"""CloudWatch metric math for the simulated account's GetMetricData, so that ``sagetrim sim serve`` answers
expressions the way CloudWatch does (moto answers them with nothing).

sagetrim itself reads metrics with MetricStat queries only; this is for tools pointed at the sim. It
evaluates ``+ - * / ^``, unary minus, parentheses, query ids, arrays ``[m1, m2]``, ``METRICS()`` and
``METRICS("label")``, ``SUM``, ``AVG``, ``MIN``, ``MAX``, ``ABS``, ``FILL(x, number)`` and ``PERIOD``, with
CloudWatch's semantics:

- arithmetic on two time series keeps the timestamps both have; a number applies to every datapoint;
- ``SUM``/``AVG``/``MIN``/``MAX`` of an array give one series, per timestamp over the series that have a
  datapoint there; of one series, a number (drawn at every timestamp of the series the expression uses);
- ``METRICS()`` is every MetricStat query of the request (not the expressions); with a string, those whose
  label contains it;
- a result that is not a number (division by zero) is no datapoint.

Everything else is refused with an :class:`ExpressionError`: other CloudWatch functions (``RATE``, ``IF``,
``SEARCH``...), comparison and logical operators, ``FILL``'s ``REPEAT`` and ``LINEAR`` and Metrics Insights
(``SELECT``) as not evaluated by the sim, rather than answered with
nothing; names that are not functions, unknown ids, self-references and syntax errors as CloudWatch refuses
them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from sagetrim.sim.metrics_store import FloatArray, IntArray

__all__ = ["CLOUDWATCH_FUNCTIONS", "FUNCTIONS", "ExpressionError", "Resolve", "Series", "evaluate"]


@dataclass(frozen=True, slots=True)
class Series:
    """A time series inside GetMetricData: ascending unique timestamps (epoch seconds) and their values.

    ``origin``, ``period`` and ``end`` are the query's grid (its rounded start, period and end), which
    FILL fills and PERIOD reads.
    """

    ts: IntArray
    values: FloatArray
    label: str
    origin: int
    period: int
    end: int


_Value = float | Series | list[Series]


class _Text(str):
    """A string literal in an expression (only METRICS takes one)."""


class ExpressionError(Exception):
    """An expression CloudWatch rejects, or one the simulated account does not evaluate; the message says which."""


_TOKEN_RE: Final = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<str>\"[^\"]*\"|'[^']*')|(?P<op>[-+*/^(),\[\]])|(?P<other_op>==|!=|<=|>=|&&|\|\||[<>!]))"
)
# CloudWatch's comparison and logical operators and FILL's keywords, which the sim does not evaluate.
_KEYWORDS_NOT_EVALUATED: Final = frozenset({"AND", "OR", "NOT", "REPEAT", "LINEAR"})
FUNCTIONS: Final = ("ABS", "AVG", "FILL", "MAX", "METRICS", "MIN", "PERIOD", "SUM")
# Every function of CloudWatch metric math (Amazon CloudWatch User Guide, "Metric math syntax and functions"):
# one of these that the sim does not evaluate is refused as such, not as an unknown name.
CLOUDWATCH_FUNCTIONS: Final = frozenset({
    "ABS", "ANOMALY_DETECTION_BAND", "AVG", "CEIL", "DATAPOINT_COUNT", "DATE", "DAY", "DB_PERF_INSIGHTS", "DIFF",
    "DIFF_TIME", "EPOCH", "FILL", "FIRST", "FLOOR", "HOUR", "IF", "INSIGHT_RULE_METRIC", "LAMBDA", "LAST", "LOG",
    "LOG10", "MAX", "METRICS", "METRIC_COUNT", "MIN", "MINUTE", "MONTH", "PERIOD", "RATE", "REMOVE_EMPTY",
    "RUNNING_SUM", "SEARCH", "SERVICE_QUOTA", "SLICE", "SORT", "STDDEV", "SUM", "TIME_SERIES", "YEAR",
})
_SEARCH_RE: Final = re.compile(r"\bSEARCH\s*\(")
_NOT_EVALUATED: Final = "is a CloudWatch function the simulated account does not evaluate"


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos, text = 0, text.rstrip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.lastgroup is None:
            raise ExpressionError(f"unexpected character {text[pos:].lstrip()[:1]!r} at position {pos}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return tokens


def _arith(op: str, a: Any, b: Any) -> Any:
    with np.errstate(all="ignore"):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if isinstance(a, float) and isinstance(b, float):
                return a / b if b else math.nan
            return np.true_divide(a, b)
        if isinstance(a, float) and isinstance(b, float):
            try:
                return math.pow(a, b)
            except (OverflowError, ValueError, ZeroDivisionError):
                return math.nan
        return np.power(a, b)


def _binary(op: str, a: _Value | _Text, b: _Value | _Text) -> _Value:
    if isinstance(a, _Text) or isinstance(b, _Text):
        raise ExpressionError("a quoted string can only be the argument of METRICS()")
    if isinstance(a, list) and isinstance(b, list):
        raise ExpressionError(f"cannot apply {op} to two arrays of time series")
    if isinstance(a, list):
        return [_binary(op, s, b) for s in a]  # type: ignore[misc]
    if isinstance(b, list):
        return [_binary(op, a, s) for s in b]  # type: ignore[misc]
    if isinstance(a, float) and isinstance(b, float):
        return float(_arith(op, a, b))
    if isinstance(a, Series) and isinstance(b, Series):
        common, ia, ib = np.intersect1d(a.ts, b.ts, assume_unique=True, return_indices=True)
        return Series(common, _arith(op, a.values[ia], b.values[ib]), a.label, a.origin, a.period, a.end)
    if isinstance(a, Series):
        return Series(a.ts, _arith(op, a.values, b), a.label, a.origin, a.period, a.end)
    assert isinstance(b, Series)
    return Series(b.ts, _arith(op, a, b.values), b.label, b.origin, b.period, b.end)


def _combine(func: str, series: list[Series]) -> Series:
    """Aggregate several time series per timestamp over the series that have a value there."""
    if not series:
        raise ExpressionError(f"{func} needs at least one time series")
    ts = np.concatenate([s.ts for s in series])
    vals = np.concatenate([s.values for s in series])
    order = np.argsort(ts, kind="stable")
    ts, vals = ts[order], vals[order]
    if ts.size == 0:
        first = np.zeros(0, dtype=np.int64)
        out = vals
    else:
        first = np.concatenate(([0], np.flatnonzero(ts[1:] != ts[:-1]) + 1))
        if func == "SUM":
            out = np.add.reduceat(vals, first)
        elif func == "AVG":
            out = np.add.reduceat(vals, first) / np.diff(np.append(first, ts.size))
        elif func == "MIN":
            out = np.minimum.reduceat(vals, first)
        else:
            out = np.maximum.reduceat(vals, first)
    head = series[0]
    return Series(ts[first], out, func, head.origin, head.period, head.end)


def _reduce(func: str, values: FloatArray) -> float:
    if values.size == 0:
        return math.nan
    if func == "SUM":
        return float(values.sum())
    if func == "AVG":
        return float(values.mean())
    return float(values.min() if func == "MIN" else values.max())


def _fill(series: Series, value: float) -> Series:
    grid = np.arange(series.origin, series.end, series.period, dtype=np.int64)
    filled = np.full(grid.size, value, dtype=np.float64)
    pos = (series.ts - series.origin) // series.period
    inside = (pos >= 0) & (pos < grid.size)
    filled[pos[inside]] = series.values[inside]
    return Series(grid, filled, series.label, series.origin, series.period, series.end)


class _Parser:
    """Parses and evaluates one metric math expression (a small recursive-descent parser)."""

    def __init__(
        self,
        text: str,
        resolve: Callable[[str], Series],
        metrics: Callable[[str | None], list[Series]],
    ) -> None:
        if text.lstrip().upper().startswith("SELECT"):
            raise ExpressionError("Metrics Insights queries (SELECT) are not supported by the simulated account")
        if _SEARCH_RE.search(text):
            raise ExpressionError(f"SEARCH {_NOT_EVALUATED}; query each metric with a MetricStat")
        self._tokens = _tokenize(text)
        for kind, token in self._tokens:
            if kind == "other_op" or (kind == "name" and token in _KEYWORDS_NOT_EVALUATED):
                raise ExpressionError(f"{token} is CloudWatch metric math the simulated account does not evaluate")
        self._pos = 0
        self._resolve = resolve
        self._metrics = metrics
        self.touched: list[Series] = []

    def evaluate(self) -> _Value:
        if not self._tokens:
            raise ExpressionError("the expression is empty")
        value = self._sum()
        if self._pos != len(self._tokens):
            raise ExpressionError(f"unexpected {self._tokens[self._pos][1]!r}")
        if isinstance(value, _Text):
            raise ExpressionError("a quoted string is not a time series")
        result: _Value = value
        return result

    def _peek(self) -> str | None:
        return self._tokens[self._pos][1] if self._pos < len(self._tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self._pos >= len(self._tokens):
            raise ExpressionError(f"expected {expected!r} but the expression ended" if expected else
                                   "the expression ended too early")
        token = self._tokens[self._pos]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r} but found {token[1]!r}")
        self._pos += 1
        return token

    def _sum(self) -> Any:
        left = self._product()
        while self._peek() in ("+", "-"):
            op = self._take()[1]
            left = _binary(op, left, self._product())
        return left

    def _product(self) -> Any:
        left = self._unary()
        while self._peek() in ("*", "/"):
            op = self._take()[1]
            left = _binary(op, left, self._unary())
        return left

    def _unary(self) -> Any:
        if self._peek() == "-":
            self._take()
            return _binary("*", -1.0, self._unary())
        if self._peek() == "+":
            self._take()
            return self._unary()
        return self._power()

    def _power(self) -> Any:
        base = self._atom()
        if self._peek() == "^":
            self._take()
            return _binary("^", base, self._unary())
        return base

    def _atom(self) -> Any:
        kind, text = self._take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return _Text(text[1:-1])
        if text == "(":
            value = self._sum()
            self._take(")")
            return value
        if text == "[":
            items: list[Series] = []
            while True:
                item = self._sum()
                if isinstance(item, list):
                    items.extend(item)
                elif isinstance(item, Series):
                    items.append(item)
                else:
                    raise ExpressionError("an array [..] can only hold time series")
                separator = self._take()[1]
                if separator == "]":
                    return items
                if separator != ",":
                    raise ExpressionError(f"expected ',' or ']' but found {separator!r}")
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if self._peek() == "(":
            return self._call(text)
        series = self._resolve(text)
        self.touched.append(series)
        return series

    def _call(self, func: str) -> _Value:
        if func not in FUNCTIONS:
            problem = _NOT_EVALUATED if func in CLOUDWATCH_FUNCTIONS else "is not a function of metric math"
            raise ExpressionError(f"{func} {problem}; the sim evaluates {', '.join(FUNCTIONS)}")
        self._take("(")
        args: list[Any] = []
        if self._peek() != ")":
            args.append(self._sum())
            while self._peek() == ",":
                self._take()
                args.append(self._sum())
        self._take(")")
        return self._apply(func, args)

    def _apply(self, func: str, args: list[Any]) -> _Value:
        if func == "METRICS":
            if len(args) > 1 or (args and not isinstance(args[0], _Text)):
                raise ExpressionError("METRICS takes no argument or one quoted label filter")
            found = self._metrics(str(args[0]) if args else None)
            self.touched.extend(found)
            return found
        if func == "FILL":
            if len(args) != 2 or not isinstance(args[1], float):
                raise ExpressionError("FILL takes a time series (or array) and a number")
            target = args[0]
            if isinstance(target, list):
                return [_fill(s, args[1]) for s in target]
            if isinstance(target, Series):
                return _fill(target, args[1])
            raise ExpressionError("FILL needs a time series")
        if len(args) != 1 or isinstance(args[0], _Text):
            raise ExpressionError(f"{func} takes exactly one argument")
        arg = args[0]
        if func == "ABS":
            return _abs(arg)
        if func == "PERIOD":
            if not isinstance(arg, Series):
                raise ExpressionError("PERIOD needs a time series")
            return float(arg.period)
        if isinstance(arg, list):
            return _combine(func, arg)
        if isinstance(arg, Series):
            return _reduce(func, arg.values)
        return float(arg)


def _abs(value: _Value) -> _Value:
    if isinstance(value, list):
        return [Series(s.ts, np.abs(s.values), s.label, s.origin, s.period, s.end) for s in value]
    if isinstance(value, Series):
        return Series(value.ts, np.abs(value.values), value.label, value.origin, value.period, value.end)
    return abs(value)


Resolve = Callable[[str], Series]
"""The time series of a query id (raises :class:`ExpressionError` for an unknown one)."""


def evaluate(text: str, label: str, resolve: Resolve, metrics: Callable[[str | None], list[Series]]) -> Series:
    """The one time series a GetMetricData expression query returns.

    Args:
        text: the expression.
        label: the label of the result.
        resolve: the series of another query of the request, by id.
        metrics: the series of the request's MetricStat queries, those whose label contains a string if given.

    Raises:
        ExpressionError: the expression is malformed, uses what the sim does not evaluate, returns an array
            of time series, or refers to no time series at all.
    """
    parser = _Parser(text, resolve, metrics)
    value = parser.evaluate()
    if isinstance(value, list):
        raise ExpressionError(f"it returns {len(value)} time series; combine them into one, e.g. with SUM(...)")
    if isinstance(value, float):
        if not parser.touched:
            raise ExpressionError("it refers to no time series")
        ts = np.unique(np.concatenate([s.ts for s in parser.touched]))
        head = parser.touched[0]
        value = Series(ts, np.full(ts.size, value), label, head.origin, head.period, head.end)
    keep = np.isfinite(value.values)
    return Series(value.ts[keep], value.values[keep].astype(np.float64), label, value.origin, value.period,
                  value.end)
