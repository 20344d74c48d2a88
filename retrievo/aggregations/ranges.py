"""``range`` and ``date_range``: one bucket per interval ``[from, to)``, in ``from``/``to`` order as
Elasticsearch sorts them; keys print as ``from-to`` with ``*`` for an open end (Java's double text
for numbers, the field's date format for dates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult, Bucket
from retrievo.aggregations.decimal_format import compile_decimal_format
from retrievo.aggregations.run import finish_buckets
from retrievo.aggregations.values import numeric_values_or_missing
from retrievo.errors import illegal_argument, parsing_error
from retrievo.index.dates import DEFAULT_DATE_FORMAT
from retrievo.index.dates.formatter import format_date_millis, parse_date
from retrievo.java_text import java_double_str


@dataclass(frozen=True)
class Interval:
    key: str | None
    lo: Any  # number, date text/number (date_range), or None
    hi: Any


@dataclass(frozen=True, kw_only=True)
class Range(Aggregation):
    field: str | None = None
    ranges: tuple[Interval, ...] = ()
    keyed: bool = False
    missing: Any = None  # a number (range) or a date in the field's format (date_range)
    format: str | None = None
    time_zone: str | None = None

    type_name: ClassVar[str] = "range"
    type_key: ClassVar[str] = "range"
    accepts_subs: ClassVar[bool] = True

    def bounds(self, ctx: AggContext, iv: Interval) -> tuple[float, float]:
        lo = -np.inf if iv.lo is None else p.double(self.type_name, "from", iv.lo)
        hi = np.inf if iv.hi is None else p.double(self.type_name, "to", iv.hi)
        return lo, hi

    def label(self, ctx: AggContext, value: float) -> str:
        if self.format is not None:
            return compile_decimal_format(self.format).format(value)
        return java_double_str(value)

    def missing_value(self, ctx: AggContext) -> float:
        return p.double(self.type_name, "missing", self.missing)

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        missing = self.missing_value(ctx) if self.missing is not None else None
        vdocs, vals = numeric_values_or_missing(ctx, self.type_name, self.field, docs, missing)
        resolved = sorted(((self.bounds(ctx, iv), iv) for iv in self.ranges), key=lambda t: (t[0][0], t[0][1]))
        raw: list[tuple[Any, dict[str, Any], np.ndarray]] = []
        for (lo, hi), iv in resolved:
            inside = (vals >= lo) & (vals < hi)
            members = np.unique(vdocs[inside])
            key = iv.key or (
                ("*" if lo == -np.inf else self.label(ctx, lo)) + "-" + ("*" if hi == np.inf else self.label(ctx, hi))
            )
            body: dict[str, Any] = {"key": key}
            if lo != -np.inf:
                body["from"] = float(lo)
                if self.shows_strings:
                    body["from_as_string"] = self.label(ctx, lo)
            if hi != np.inf:
                body["to"] = float(hi)
                if self.shows_strings:
                    body["to_as_string"] = self.label(ctx, hi)
            body["doc_count"] = int(members.size)
            raw.append((key, body, members.astype(np.int32)))
        return self.render_buckets(finish_buckets(ctx, self, raw))

    def render_buckets(self, buckets: list[Bucket]) -> AggResult:
        """The finished buckets printed, keyed or as a list (also after a multi-index reduce)."""
        if self.keyed:
            out: dict[str, Any] = {
                "buckets": {str(b.key): {k: v for k, v in b.body.items() if k != "key"} for b in buckets}
            }
        else:
            out = {"buckets": [b.body for b in buckets]}
        return AggResult(out, buckets=buckets)

    @property
    def shows_strings(self) -> bool:
        """``from_as_string``/``to_as_string`` are printed for a non-raw format."""
        return self.format is not None


@dataclass(frozen=True, kw_only=True)
class DateRange(Range):
    type_name: ClassVar[str] = "date_range"
    type_key: ClassVar[str] = "date_range"

    def _date_format(self, ctx: AggContext) -> str:
        fi = ctx.searcher.field_info(self.field or "")
        return self.format or (fi.date_format if fi else None) or DEFAULT_DATE_FORMAT

    def _millis(self, ctx: AggContext, value: Any) -> float:
        """A bound or ``missing`` read as the field reads dates (numbers too: ``1000`` is a thousand
        seconds under ``epoch_second``), with date math relative to now."""
        fi = ctx.searcher.field_info(self.field or "")
        if fi is None:
            return float(parse_date(value, self.format or DEFAULT_DATE_FORMAT, time_zone=self.time_zone))
        return float(ctx.searcher.parse_date(fi, value, _now_millis(), False, self.format, self.time_zone))

    def bounds(self, ctx: AggContext, iv: Interval) -> tuple[float, float]:
        lo = -np.inf if iv.lo is None else self._millis(ctx, iv.lo)
        hi = np.inf if iv.hi is None else self._millis(ctx, iv.hi)
        return lo, hi

    def missing_value(self, ctx: AggContext) -> float:
        return self._millis(ctx, self.missing)

    def label(self, ctx: AggContext, value: float) -> str:
        return format_date_millis(int(value), self._date_format(ctx), self.time_zone)

    @property
    def shows_strings(self) -> bool:
        return True


def _now_millis() -> int:
    import time

    return int(time.time() * 1000)


def _parse_ranges(agg_type: str, name: str, value: Any, dates: bool) -> tuple[Interval, ...]:
    if not isinstance(value, list):
        raise parsing_error(f"[{agg_type}] ranges doesn't support values of type: {type(value).__name__}")
    out: list[Interval] = []
    for item in value:
        if not isinstance(item, dict):
            raise parsing_error(f"[range] Expected START_OBJECT but was: {item!r}")
        for key in item:
            if key not in ("key", "from", "to"):
                raise parsing_error(f"Unknown key [{key}] in [range]")  # RangeAggregator.Range.PARSER
        lo, hi = item.get("from"), item.get("to")
        if not dates:
            lo = None if lo is None else p.double(agg_type, "from", lo)
            hi = None if hi is None else p.double(agg_type, "to", hi)
        out.append(Interval(item.get("key"), lo, hi))
    if not out:
        raise illegal_argument(f"No [ranges] specified for the [{name}] aggregation")
    return tuple(out)


def _parse(cls: type[Range], name: str, body: Any) -> Range:
    agg_type = cls.type_name
    body = p.check_object(agg_type, body)
    keys = ("field", "ranges", "keyed", "missing", "format") + (("time_zone",) if cls is DateRange else ())
    p.check_keys(agg_type, body, keys)
    p.require_field(body)
    if "ranges" not in body:
        raise illegal_argument(f"No [ranges] specified for the [{name}] aggregation")
    fields: dict[str, Any] = {"ranges": _parse_ranges(agg_type, name, body["ranges"], cls is DateRange)}
    if "field" in body:
        fields["field"] = p.string(agg_type, "field", body["field"])
    if "keyed" in body:
        fields["keyed"] = p.boolean(agg_type, "keyed", body["keyed"])
    if "missing" in body:
        fields["missing"] = body["missing"] if cls is DateRange else p.double(agg_type, "missing", body["missing"])
    if "format" in body:
        fields["format"] = p.string(agg_type, "format", body["format"])
    if "time_zone" in body:
        fields["time_zone"] = p.string(agg_type, "time_zone", body["time_zone"])
    return cls(name=name, **fields)


def parse_range(name: str, body: Any) -> Range:
    return _parse(Range, name, body)


def parse_date_range(name: str, body: Any) -> Range:
    return _parse(DateRange, name, body)
