"""The simple numeric metrics: ``avg``, ``sum``, ``min``, ``max``, ``stats``, ``extended_stats`` and
``value_count`` — each a reduction over the bucket's values, with Elasticsearch's printing rules
(``null`` for an empty ``avg``/``min``/``max``, ``value_as_string`` on date fields, long counts)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult
from retrievo.aggregations.values import (
    Printer,
    docs_with_value,
    field_kind,
    keyword_values,
    numeric_values,
    value_printer,
)
from retrievo.java_text import java_double_str

_SOURCE_KEYS = ("field", "missing", "format")


@dataclass(frozen=True, kw_only=True)
class NumericMetric(Aggregation):
    """A metric over one field's numeric values (``missing`` fills documents without one)."""

    field: str | None = None
    missing: Any = None  # a number, or a date (text or number) in the field's format
    format: str | None = None

    def values(self, ctx: AggContext, docs: np.ndarray) -> tuple[np.ndarray, Printer | None]:
        """The bucket's values (float64) and how ``*_as_string`` prints them (``None``: not printed)."""
        if self.field is None:
            return np.zeros(0), None  # pragma: no cover - the parser requires a field
        kind = field_kind(ctx, self.field)
        if kind in ("keyword", "other"):
            fi = ctx.searcher.field_info(self.field)
            raise p.type_error(self.field, fi.type if fi else "", self.type_name, ctx.index_name)
        read = numeric_values(ctx, self.field, docs)
        vals = read[1] if read is not None else np.zeros(0)
        if self.missing is not None:
            lacking = int((~docs_with_value(ctx, self.field, docs)).sum()) if read is not None else docs.size
            vals = np.concatenate([vals, np.full(lacking, self._missing_value(ctx, kind))])
        return vals, value_printer(ctx, self.field, kind, self.format)

    def _missing_value(self, ctx: AggContext, kind: str | None) -> float:
        """``missing`` read as the field reads its values (a date field parses dates)."""
        fi = ctx.searcher.field_info(self.field or "")
        if kind == "date" and fi is not None and not isinstance(self.missing, (int, float)):
            return float(ctx.searcher.parse_date(fi, self.missing, 0, False, None, None))
        return p.double(self.type_name, "missing", self.missing)


def _as_string(value: float, printer: Printer | None) -> str:
    assert printer is not None
    return printer(value)


def kahan_sum(values: np.ndarray) -> float:
    """Elasticsearch sums with Kahan compensation; ``math.fsum`` (exact, then rounded) agrees with it
    wherever the compensation is exact, which covers every realistic bucket."""
    return math.fsum(values.tolist()) if values.size else 0.0


@dataclass(frozen=True)
class MetricState:
    """What every simple metric is computed from — and what Elasticsearch's shards send the coordinator
    (``InternalStats``/``InternalExtendedStats``): the count, the sum, the extremes and the sum of squares."""

    count: int
    total: float
    lo: float | None
    hi: float | None
    squares: float = 0.0

    @staticmethod
    def of(vals: np.ndarray, squares: bool = False) -> MetricState:
        if not vals.size:
            return MetricState(0, 0.0, None, None, 0.0)
        sq = kahan_sum(vals * vals) if squares else 0.0
        return MetricState(int(vals.size), kahan_sum(vals), float(vals.min()), float(vals.max()), sq)

    @staticmethod
    def merged(states: list[MetricState]) -> MetricState:
        """The reduce: counts added, sums (and squares) summed with compensation, extremes of extremes."""
        los = [st.lo for st in states if st.lo is not None]
        his = [st.hi for st in states if st.hi is not None]
        return MetricState(
            sum(st.count for st in states),
            math.fsum(st.total for st in states),
            min(los) if los else None,
            max(his) if his else None,
            math.fsum(st.squares for st in states),
        )


@dataclass(frozen=True, kw_only=True)
class StateMetric(NumericMetric):
    """A metric computed from a :class:`MetricState` (so that a multi-index search can reduce it)."""

    needs_squares: ClassVar[bool] = False

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        vals, fmt = self.values(ctx, docs)
        state = MetricState.of(vals, self.needs_squares)
        out = self.result(state, fmt)
        if ctx.reducible:
            out.partial = (state, fmt)
        return out

    def result(self, state: MetricState, fmt: Printer | None) -> AggResult:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Avg(StateMetric):
    type_name: ClassVar[str] = "avg"
    type_key: ClassVar[str] = "avg"

    def result(self, state: MetricState, fmt: Printer | None) -> AggResult:
        value = state.total / state.count if state.count else None
        return AggResult(_single(value, fmt, value is not None), {"value": math.nan if value is None else value})


@dataclass(frozen=True, kw_only=True)
class Sum(StateMetric):
    type_name: ClassVar[str] = "sum"
    type_key: ClassVar[str] = "sum"

    def result(self, state: MetricState, fmt: Printer | None) -> AggResult:
        return AggResult(_single(state.total, fmt, True), {"value": state.total})


@dataclass(frozen=True, kw_only=True)
class Min(StateMetric):
    type_name: ClassVar[str] = "min"
    type_key: ClassVar[str] = "min"

    def result(self, state: MetricState, fmt: Printer | None) -> AggResult:
        value = state.lo
        return AggResult(_single(value, fmt, value is not None), {"value": math.inf if value is None else value})


@dataclass(frozen=True, kw_only=True)
class Max(StateMetric):
    type_name: ClassVar[str] = "max"
    type_key: ClassVar[str] = "max"

    def result(self, state: MetricState, fmt: Printer | None) -> AggResult:
        value = state.hi
        return AggResult(_single(value, fmt, value is not None), {"value": -math.inf if value is None else value})


def _single(value: float | None, date_format: Printer | None, printable: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"value": value}
    if date_format is not None and printable and value is not None:
        body["value_as_string"] = _as_string(value, date_format)
    return body


@dataclass(frozen=True, kw_only=True)
class ValueCount(NumericMetric):
    """Counts values (not documents), of any field type with doc values."""

    type_name: ClassVar[str] = "value_count"
    type_key: ClassVar[str] = "value_count"

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        count = 0
        if self.field is not None:
            kind = field_kind(ctx, self.field)
            if kind == "keyword":
                read = keyword_values(ctx, self.field, docs)
                count = int(read[0].size) if read is not None else 0
            elif kind is not None and kind != "other":
                read_num = numeric_values(ctx, self.field, docs)
                count = int(read_num[0].size) if read_num is not None else 0
            elif kind == "other":
                fi = ctx.searcher.field_info(self.field)
                raise p.type_error(self.field, fi.type if fi else "", self.type_name, ctx.index_name)
            if self.missing is not None:
                count += int((~docs_with_value(ctx, self.field, docs)).sum()) if kind is not None else int(docs.size)
        return self.result(count)

    def result(self, count: int) -> AggResult:
        return AggResult({"value": count}, {"value": float(count)}, partial=count)


_STATS = ("count", "min", "max", "avg", "sum")


@dataclass(frozen=True, kw_only=True)
class Stats(StateMetric):
    type_name: ClassVar[str] = "stats"
    type_key: ClassVar[str] = "stats"

    def result(self, state: MetricState, fmt: Printer | None) -> AggResult:
        numbers = _basic(state)
        body: dict[str, Any] = {k: (int(numbers[k] or 0) if k == "count" else numbers[k]) for k in _STATS}
        if fmt is not None and state.count:
            for k in ("min", "max", "avg", "sum"):
                body[f"{k}_as_string"] = _as_string(float(numbers[k] or 0.0), fmt)
        return AggResult(body, dict(numbers))


def _basic(state: MetricState) -> dict[str, float | None]:
    if not state.count:
        return {"count": 0.0, "min": None, "max": None, "avg": None, "sum": 0.0}
    return {
        "count": float(state.count),
        "min": state.lo,
        "max": state.hi,
        "avg": state.total / state.count,
        "sum": state.total,
    }


@dataclass(frozen=True, kw_only=True)
class ExtendedStats(StateMetric):
    """``InternalExtendedStats``: variance from the sum of squares, clamped at 0; ``sigma`` bounds."""

    sigma: float = 2.0

    type_name: ClassVar[str] = "extended_stats"
    type_key: ClassVar[str] = "extended_stats"
    needs_squares: ClassVar[bool] = True

    def result(self, state: MetricState, fmt: Printer | None) -> AggResult:
        numbers = _basic(state)
        body: dict[str, Any] = {k: (int(numbers[k] or 0) if k == "count" else numbers[k]) for k in _STATS}
        n = state.count
        names = ("sum_of_squares", "variance", "variance_population", "variance_sampling")
        devs = ("std_deviation", "std_deviation_population", "std_deviation_sampling")
        bound_names = ("upper", "lower", "upper_population", "lower_population", "upper_sampling", "lower_sampling")
        if n:
            total = state.total
            squares = state.squares
            mean = total / n
            variance = max((squares - total * total / n) / n, 0.0)
            sampling = max((squares - total * total / n) / (n - 1), 0.0) if n > 1 else math.inf
            extra: dict[str, float | None] = {
                "sum_of_squares": squares,
                "variance": variance,
                "variance_population": variance,
                "variance_sampling": sampling if n > 1 else None,
                "std_deviation": math.sqrt(variance),
                "std_deviation_population": math.sqrt(variance),
                "std_deviation_sampling": math.sqrt(sampling) if n > 1 else None,
            }
            sd, sds = math.sqrt(variance), (math.sqrt(sampling) if n > 1 else None)
            bounds: dict[str, float | None] = {
                "upper": mean + sd * self.sigma,
                "lower": mean - sd * self.sigma,
                "upper_population": mean + sd * self.sigma,
                "lower_population": mean - sd * self.sigma,
                "upper_sampling": mean + sds * self.sigma if sds is not None else None,
                "lower_sampling": mean - sds * self.sigma if sds is not None else None,
            }
        else:
            extra = dict.fromkeys(names + devs)
            bounds = dict.fromkeys(bound_names)
        body.update(extra)
        body["std_deviation_bounds"] = bounds
        if fmt is not None and n:
            for k in ("min", "max", "avg", "sum"):
                body[f"{k}_as_string"] = _as_string(float(numbers[k] or 0.0), fmt)
        values = dict(numbers) | extra | {f"std_deviation_bounds.{k}": v for k, v in bounds.items()}
        return AggResult(body, values)


def _source(agg_type: str, body: Any, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    body = p.check_object(agg_type, body)
    p.check_keys(agg_type, body, _SOURCE_KEYS + extra)
    p.require_field(body)
    out: dict[str, Any] = {}
    if "field" in body:
        out["field"] = p.string(agg_type, "field", body["field"])
    if "missing" in body and body["missing"] is not None:
        out["missing"] = body["missing"]
    if "format" in body and body["format"] is not None:
        out["format"] = p.string(agg_type, "format", body["format"])
    return out


def _parser(cls: type[NumericMetric]) -> Any:
    def parse(name: str, body: Any) -> NumericMetric:
        return cls(name=name, **_source(cls.type_name, body))

    parse.__doc__ = f"The ``{cls.type_name}`` aggregation's object."
    return parse


parse_avg = _parser(Avg)
parse_sum = _parser(Sum)
parse_min = _parser(Min)
parse_max = _parser(Max)
parse_stats = _parser(Stats)
parse_value_count = _parser(ValueCount)


def parse_extended_stats(name: str, body: Any) -> ExtendedStats:
    fields = _source("extended_stats", body, ("sigma",))
    if "sigma" in body:
        sigma = p.double("extended_stats", "sigma", body["sigma"])
        if sigma < 0:
            raise p.setter_error(
                "extended_stats",
                "sigma",
                f"[sigma] must be greater than or equal to 0. Found [{java_double_str(sigma)}] in [{name}]",
            )
        fields["sigma"] = sigma
    return ExtendedStats(name=name, **fields)
