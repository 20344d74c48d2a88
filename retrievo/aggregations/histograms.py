"""``histogram`` and ``date_histogram``: values rounded down to their interval (shifted by ``offset``),
one bucket per rounded key in key order; with ``min_doc_count: 0`` (the default) the empty keys between
the first and last bucket — widened by ``extended_bounds`` — are filled in.

Dates round in the request's ``time_zone``: an instant is moved to local time with its zone offset,
rounded there (calendar units on the proleptic Gregorian calendar, weeks starting on Monday), and the
local key is moved back to an instant. Offsets are looked up once per distinct hour and key, not per value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult, Bucket
from retrievo.aggregations.decimal_format import compile_decimal_format
from retrievo.aggregations.grouping import Groups
from retrievo.aggregations.ordering import Order, check_order_paths, parse_order, sort_buckets, with_tiebreak
from retrievo.aggregations.run import finish_buckets, run_level
from retrievo.aggregations.values import (
    docs_with_value,
    field_kind,
    integer_values,
    numeric_values_or_missing,
)
from retrievo.errors import illegal_argument
from retrievo.index.dates import DEFAULT_DATE_FORMAT
from retrievo.index.dates.civil_time import parse_time_zone
from retrievo.index.dates.formatter import format_date_millis, parse_date

_HOUR = 3_600_000
_DAY = 86_400_000
_CALENDAR = {
    "1m": "minute", "minute": "minute",
    "1h": "hour", "hour": "hour",
    "1d": "day", "day": "day",
    "1w": "week", "week": "week",
    "1M": "month", "month": "month",
    "1q": "quarter", "quarter": "quarter",
    "1y": "year", "year": "year",
}  # fmt: skip
#: The shortest length of each calendar unit: bounds the number of empty buckets before they are built.
_UNIT_MS = {
    "minute": 60_000,
    "hour": _HOUR,
    "day": _DAY,
    "week": 7 * _DAY,
    "month": 28 * _DAY,
    "quarter": 89 * _DAY,
    "year": 365 * _DAY,
}
_FIXED_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": _HOUR, "d": _DAY}
_TIME_VALUE = re.compile(r"([+-]?)(\d+)(ms|s|m|h|d)")


def _buckets_from(groups: Groups, all_keys: np.ndarray, with_members: bool) -> list[tuple[Any, int, np.ndarray]]:
    """(key, doc count, docs) per key of ``all_keys``; the docs only where sub-aggregations read them."""
    counts = groups.count_of(all_keys).tolist()
    empty = np.zeros(0, dtype=np.int32)
    return [(k, count, groups.members(k) if with_members else empty) for k, count in zip(all_keys.tolist(), counts)]


@dataclass(frozen=True, kw_only=True)
class Histogram(Aggregation):
    field: str | None = None
    interval: float = 0.0
    offset: float = 0.0
    min_doc_count: int = 0
    extended_bounds: tuple[float | None, float | None] | None = None
    hard_bounds: tuple[float | None, float | None] | None = None
    keyed: bool = False
    missing: float | None = None
    order: tuple[Order, ...] = (Order("_key", True),)
    format: str | None = None

    type_name: ClassVar[str] = "histogram"
    type_key: ClassVar[str] = "histogram"
    accepts_subs: ClassVar[bool] = True

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        vdocs, vals = numeric_values_or_missing(ctx, self.type_name, self.field, docs, self.missing)
        steps_of = np.floor((vals - self.offset) / self.interval)
        if self.hard_bounds is not None:  # NumericHistogramAggregator: bounds hold ``k * interval`` (offset left out)
            keep = self._within_hard_bounds(steps_of * self.interval)
            vdocs, steps_of = vdocs[keep], steps_of[keep]
        keys = steps_of * self.interval + self.offset
        groups = Groups(vdocs.astype(np.int32), keys)
        present = groups.keys
        extended = [self._round(b) for b in self.extended_bounds or () if b is not None]
        if self.min_doc_count == 0 and not ctx.reducible:  # several indices: filled after the reduce
            present = self.filled_keys(present, extended, None, ctx.count_buckets)
        raw = []
        for key, count, members in _buckets_from(groups, present, bool(self.subs)):
            if count < self.min_doc_count and not ctx.reducible:
                continue
            raw.append((float(key), self.bucket_body(float(key), count), members))
        return self._result(ctx, raw, (extended, None))

    def bucket_body(self, key: Any, count: int, fmt: str | None = None) -> dict[str, Any]:
        """A bucket's printed key (``key_as_string`` with a ``format``; a date format ``fmt`` for dates)
        and doc count."""
        body: dict[str, Any] = {"key": float(key)}
        if self.format is not None:
            body["key_as_string"] = compile_decimal_format(self.format).format(float(key))
        body["doc_count"] = count
        return body

    def filled_keys(self, present: np.ndarray, extended: list[Any], hard: Any, count_buckets: Any) -> np.ndarray:
        """``min_doc_count: 0``: ``present`` plus every key between the first and last — widened to the
        ``extended_bounds`` keys ``extended``, clipped to the hard bounds (``hard``: unused here, the
        bounds are numbers in the request). ``count_buckets`` is told of the empty buckets first."""
        ends = [present.min(), present.max()] if present.size else []
        ends += extended
        if not ends:
            return present
        lo_k, hi_k = min(ends), max(ends)
        if self.hard_bounds is not None:  # clip the filled range to the bounds' first/last keys
            if self.hard_bounds[0] is not None:
                lo_k = max(lo_k, np.ceil(self.hard_bounds[0] / self.interval) * self.interval + self.offset)
            if self.hard_bounds[1] is not None:
                hi_k = min(hi_k, np.floor(self.hard_bounds[1] / self.interval) * self.interval + self.offset)
        steps = max(round((hi_k - lo_k) / self.interval), -1)
        count_buckets(steps + 1 - present.size)  # the empty buckets, before any is built
        filled = lo_k + np.arange(steps + 1) * self.interval
        return np.union1d(present, filled)

    def _within_hard_bounds(self, starts: np.ndarray) -> np.ndarray:
        """``DoubleBounds.contain``: ``min <= k * interval <= max``, both ends inclusive."""
        assert self.hard_bounds is not None
        lo, hi = self.hard_bounds
        keep = np.ones(starts.size, dtype=bool)
        if lo is not None:
            keep &= starts >= lo
        if hi is not None:
            keep &= starts <= hi
        return keep

    def _round(self, value: float) -> float:
        return float(np.floor((value - self.offset) / self.interval) * self.interval + self.offset)

    def _result(
        self, ctx: AggContext, raw: list[tuple[Any, dict[str, Any], np.ndarray]], fill: tuple[list[Any], Any]
    ) -> AggResult:
        """``fill``: the ``extended_bounds`` keys and the hard bounds, which a multi-index reduce
        fills between (with the sub-aggregations of an empty bucket, computed here)."""
        check_order_paths(ctx.index_name, self.order, self.subs)
        buckets: list[Bucket] = finish_buckets(ctx, self, raw)
        if ctx.reducible:  # in key order; the order, ``min_doc_count`` and empty buckets come after the reduce
            empty = run_level(ctx, self.subs, np.zeros(0, dtype=np.int32)) if self.subs else {}
            return AggResult({}, buckets=buckets, partial={"extended": fill[0], "hard": fill[1], "empty": empty})
        return self.render_buckets(buckets, ctx.index_name)

    def render_buckets(self, buckets: list[Bucket], index: str | None) -> AggResult:
        """The finished buckets in the request's order, printed (also after a multi-index reduce)."""
        if self.order != (Order("_key", True),):
            buckets = sort_buckets(buckets, with_tiebreak(self.order), index)
        if self.keyed:
            return AggResult({"buckets": {self._keyed_name(b): b.body for b in buckets}}, buckets=buckets)
        return AggResult({"buckets": [b.body for b in buckets]}, buckets=buckets)

    def _keyed_name(self, bucket: Bucket) -> str:
        from retrievo.java_text import java_double_str

        return java_double_str(float(bucket.key))


@dataclass(frozen=True, kw_only=True)
class DateHistogram(Histogram):
    calendar: str | None = None  # minute … year
    fixed_ms: int = 0
    offset_ms: int = 0
    time_zone: str | None = None
    extended_text: tuple[Any, Any] | None = None
    hard_text: tuple[Any, Any] | None = None
    missing_text: Any = None

    type_name: ClassVar[str] = "date_histogram"
    type_key: ClassVar[str] = "date_histogram"

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        kind = field_kind(ctx, self.field) if self.field else None
        if kind not in (None, "date", "long"):
            fi = ctx.searcher.field_info(self.field or "")
            raise p.type_error(self.field or "", fi.type if fi else "", self.type_name, ctx.index_name)
        zone = parse_time_zone(self.time_zone) if self.time_zone else UTC
        read = integer_values(ctx, self.field, docs) if self.field and kind is not None else None
        vdocs, vals = read if read is not None else (np.zeros(0, np.int32), np.zeros(0, np.int64))
        if self.missing_text is not None:
            lacking = docs[~docs_with_value(ctx, self.field or "", docs)] if read is not None else docs
            filler = np.full(lacking.size, self._millis(ctx, self.missing_text), dtype=np.int64)
            vdocs, vals = np.concatenate([vdocs, lacking]), np.concatenate([vals, filler])
        keys = self._round_all(vals, zone)
        hard = (
            None
            if self.hard_text is None
            else tuple(None if b is None else self._millis(ctx, b) for b in self.hard_text)
        )
        if hard is not None:  # DateHistogramAggregator: the rounded key must lie within, both ends inclusive
            keep = np.ones(keys.size, dtype=bool)
            if hard[0] is not None:
                keep &= keys >= hard[0]
            if hard[1] is not None:
                keep &= keys <= hard[1]
            vdocs, keys = vdocs[keep], keys[keep]
        groups = Groups(vdocs.astype(np.int32), keys, self._key_step())
        present = groups.keys
        extended: list[Any] = []
        for bound in self.extended_text or ():
            if bound is not None:
                # rounded as if there were no offset, then shifted by it (ES 7.11+)
                at = np.array([self._millis(ctx, bound)], np.int64)
                extended.append(int(self._round_all(at, zone, shift_first=False)[0]))
        if self.min_doc_count == 0 and not ctx.reducible:  # several indices: filled after the reduce
            present = self.filled_keys(present, extended, hard, ctx.count_buckets)
        fi = ctx.searcher.field_info(self.field or "")
        fmt = self.format or (fi.date_format if fi else None) or DEFAULT_DATE_FORMAT
        raw = []
        for key, count, members in _buckets_from(groups, present, bool(self.subs)):
            if count < self.min_doc_count and not ctx.reducible:
                continue
            raw.append((int(key), self.bucket_body(int(key), count, fmt), members))
        return self._result(ctx, raw, (extended, (hard, fmt)))

    def bucket_body(self, key: Any, count: int, fmt: str | None = None) -> dict[str, Any]:
        text = format_date_millis(int(key), fmt or DEFAULT_DATE_FORMAT, self.time_zone)
        return {"key_as_string": text, "key": int(key), "doc_count": count}

    def filled_keys(self, present: np.ndarray, extended: list[Any], hard: Any, count_buckets: Any) -> np.ndarray:
        """``min_doc_count: 0``: every key from the first to the last (or the ``extended_bounds`` keys
        ``extended``), only within the hard bounds ``hard`` (millis, or ``None``)."""
        ends = [int(present.min()), int(present.max())] if present.size else []
        ends += extended
        if ends and hard is not None:  # empty buckets only within the hard bounds
            inside = [e for e in ends if (hard[0] is None or e >= hard[0]) and (hard[1] is None or e <= hard[1])]
            ends = inside if inside else []
        if not ends:
            return present
        zone = parse_time_zone(self.time_zone) if self.time_zone else UTC
        unit_ms = self.fixed_ms if self.calendar is None else _UNIT_MS[self.calendar]
        count_buckets((max(ends) - min(ends)) // unit_ms + 1 - present.size)
        return np.union1d(present, self._walk(min(ends), max(ends), zone))

    def _keyed_name(self, bucket: Bucket) -> str:
        return str(bucket.body["key_as_string"])

    def _key_step(self) -> int:
        """A step the keys are likely spaced by (a hint for counting: :class:`Groups` checks it)."""
        if self.calendar is None:
            return self.fixed_ms
        return {"minute": 60_000, "hour": _HOUR}.get(self.calendar, _DAY)

    def _millis(self, ctx: AggContext, value: Any) -> int:
        """A date from the request (bounds, ``missing``) read as the field reads it, date math included."""
        fi = ctx.searcher.field_info(self.field or "")
        if fi is None:
            return parse_date(value, self.format or DEFAULT_DATE_FORMAT, time_zone=self.time_zone)
        return ctx.searcher.parse_date(fi, value, _now(), False, self.format, self.time_zone)

    # -- rounding ------------------------------------------------------------------------------

    def _round_all(self, instants: np.ndarray, zone: tzinfo, shift_first: bool = True) -> np.ndarray:
        """Each instant's bucket key (an instant): round in local time, map the local key back. A value
        is moved back by ``offset`` before rounding; an ``extended_bounds`` end is not (``shift_first``)."""
        if not instants.size:
            return instants.astype(np.int64)
        local = instants + _offsets(instants, zone)
        shifted = local - self.offset_ms if shift_first else local
        if self.calendar is None:
            key_local = np.floor_divide(shifted, self.fixed_ms) * self.fixed_ms
        else:
            key_local = _calendar_floor(shifted, self.calendar)
        key_local = key_local + self.offset_ms
        return _to_instants(key_local, zone)

    def _walk(self, first: int, last: int, zone: tzinfo) -> np.ndarray:
        """Every key from ``first`` to ``last`` (instants), stepping one interval in local time."""
        lo_local = first + int(_offsets(np.array([first], np.int64), zone)[0]) - self.offset_ms
        hi_local = last + int(_offsets(np.array([last], np.int64), zone)[0]) - self.offset_ms
        if self.calendar is None:
            keys = np.arange(lo_local, hi_local + 1, self.fixed_ms, dtype=np.int64)
        else:
            keys = _calendar_range(lo_local, hi_local, self.calendar)
        return _to_instants(keys + self.offset_ms, zone)


def _now() -> int:
    import time

    return int(time.time() * 1000)


def _offsets(instants: np.ndarray, zone: tzinfo) -> np.ndarray:
    """The zone's UTC offset (ms) at each instant, looked up once per distinct hour."""
    if zone is UTC:
        return np.zeros(instants.size, dtype=np.int64)
    hours, inverse = np.unique(np.floor_divide(instants, _HOUR), return_inverse=True)
    table = np.array(
        [_offset_at(datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=int(h) * _HOUR), zone) for h in hours],
        dtype=np.int64,
    )
    return table[inverse.reshape(-1)]


def _offset_at(instant: datetime, zone: tzinfo) -> int:
    delta = instant.astimezone(zone).utcoffset()
    return int(delta.total_seconds() * 1000) if delta is not None else 0


def _to_instants(local_keys: np.ndarray, zone: tzinfo) -> np.ndarray:
    """Local keys back to instants (the earlier instant where a local time repeats)."""
    if zone is UTC:
        return local_keys.astype(np.int64)
    uniq, inverse = np.unique(local_keys, return_inverse=True)
    out = []
    for key in uniq.tolist():
        naive = datetime(1970, 1, 1) + timedelta(milliseconds=int(key))
        delta = naive.replace(tzinfo=zone).utcoffset()
        out.append(int(key) - (int(delta.total_seconds() * 1000) if delta is not None else 0))
    return np.asarray(out, dtype=np.int64)[inverse.reshape(-1)]


def _calendar_floor(local: np.ndarray, unit: str) -> np.ndarray:
    if unit == "minute":
        return np.floor_divide(local, 60_000) * 60_000
    if unit == "hour":
        return np.floor_divide(local, _HOUR) * _HOUR
    days = np.floor_divide(local, _DAY)
    if unit == "day":
        return days * _DAY
    if unit == "week":  # 1970-01-05 (day 4) was a Monday
        return (np.floor_divide(days - 4, 7) * 7 + 4) * _DAY
    first = int(days.min()) if days.size else 0
    span = int(days.max()) - first + 1 if days.size else 0
    if 0 < span * 4 < days.size:  # few distinct days: round each day once, then look every value up
        table = _calendar_floor(np.arange(first, first + span, dtype=np.int64) * _DAY, unit)
        return table[days - first]
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if unit == "quarter":
        months = np.floor_divide(months, 3) * 3
    elif unit == "year":
        months = np.floor_divide(months, 12) * 12
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) * _DAY


def _calendar_range(lo_local: int, hi_local: int, unit: str) -> np.ndarray:
    start = int(_calendar_floor(np.array([lo_local], np.int64), unit)[0])
    if unit in ("minute", "hour", "day", "week"):
        step = {"minute": 60_000, "hour": _HOUR, "day": _DAY, "week": 7 * _DAY}[unit]
        return np.arange(start, hi_local + 1, step, dtype=np.int64)
    months_step = {"month": 1, "quarter": 3, "year": 12}[unit]
    first = np.int64(start // _DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    last = np.int64(hi_local // _DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    months = np.arange(first, last + 1, months_step, dtype=np.int64)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) * _DAY


# -- parsing ------------------------------------------------------------------------------------


def _bounds(agg_type: str, key: str, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, dict):
        raise illegal_argument(f"[{agg_type}] {key} must be an object")
    for k in value:
        if k not in ("min", "max"):
            raise illegal_argument(f"[{key}] unknown field [{k}]")
    return value.get("min"), value.get("max")


_COMMON = ("field", "min_doc_count", "extended_bounds", "hard_bounds", "keyed", "missing", "order", "offset")


def _common(agg_type: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "field" in body:
        out["field"] = p.string(agg_type, "field", body["field"])
    if "min_doc_count" in body:
        count = p.integer(agg_type, "min_doc_count", body["min_doc_count"])
        if count < 0:
            raise illegal_argument(f"[min_doc_count] must be greater than or equal to 0. Found [{count}] in [{name}]")
        out["min_doc_count"] = count
    if "keyed" in body:
        out["keyed"] = p.boolean(agg_type, "keyed", body["keyed"])
    if "order" in body:
        out["order"] = parse_order(agg_type, body["order"])
    return out


def parse_histogram(name: str, body: Any) -> Histogram:
    body = p.check_object("histogram", body)
    p.check_keys("histogram", body, ("interval", "format", *_COMMON))
    p.require_field(body)
    fields = _common("histogram", name, body)
    if "format" in body:  # a java.text.DecimalFormat pattern for key_as_string
        fields["format"] = p.string("histogram", "format", body["format"])
        compile_decimal_format(fields["format"])
    interval = p.double("histogram", "interval", body["interval"]) if "interval" in body else 0.0
    if interval <= 0:
        raise illegal_argument(f"[interval] must be >0 for histogram aggregation [{name}]")
    fields["interval"] = interval
    if "offset" in body:
        fields["offset"] = p.double("histogram", "offset", body["offset"])
    if "missing" in body:
        fields["missing"] = p.double("histogram", "missing", body["missing"])
    for key in ("extended_bounds", "hard_bounds"):
        if key in body:
            lo, hi = _bounds("histogram", key, body[key])
            lo_f = None if lo is None else p.double("histogram", "min", lo)
            hi_f = None if hi is None else p.double("histogram", "max", hi)
            if lo_f is not None and hi_f is not None and lo_f > hi_f:
                raise illegal_argument(
                    f"[{key}.min][{lo_f}] cannot be greater than [{key}.max][{hi_f}] for histogram aggregation [{name}]"
                )
            fields[key] = (lo_f, hi_f)
    if "extended_bounds" in fields and "hard_bounds" in fields:
        (elo, ehi), (hlo, hhi) = fields["extended_bounds"], fields["hard_bounds"]
        if (hlo is not None and elo is not None and elo < hlo) or (hhi is not None and ehi is not None and ehi > hhi):
            raise illegal_argument(
                f"Extended bounds have to be inside hard bounds, hard bounds: [{_b(hlo)}--{_b(hhi)}], "
                f"extended bounds: [{_b(elo)}--{_b(ehi)}]"
            )
    return Histogram(name=name, **fields)


def _b(v: float | None) -> str:
    from retrievo.java_text import java_double_str

    return "" if v is None else java_double_str(v)


def _time_value(name: str, key: str, text: Any) -> int:
    if isinstance(text, int) and not isinstance(text, bool):
        return int(text)
    match = _TIME_VALUE.fullmatch(str(text))
    if match is None:
        raise illegal_argument(
            f"failed to parse setting [date_histogram.{key}] with value [{text}] as a time value: "
            "unit is missing or unrecognized"
        )
    sign = -1 if match.group(1) == "-" else 1
    return sign * int(match.group(2)) * _FIXED_UNITS[match.group(3)]


def parse_date_histogram(name: str, body: Any) -> DateHistogram:
    body = p.check_object("date_histogram", body)
    p.check_keys("date_histogram", body, ("calendar_interval", "fixed_interval", "time_zone", "format", *_COMMON))
    p.require_field(body)
    fields = _common("date_histogram", name, body)
    cal, fixed = body.get("calendar_interval"), body.get("fixed_interval")
    if cal is not None and fixed is not None:
        raise illegal_argument("Cannot use [fixed_interval] with [calendar_interval] configuration option.")
    if cal is None and fixed is None:
        raise illegal_argument("Invalid interval specified, must be non-null and non-empty")
    if cal is not None:
        unit = _CALENDAR.get(str(cal))
        if unit is None:
            raise illegal_argument(f"The supplied interval [{cal}] could not be parsed as a calendar interval.")
        fields["calendar"] = unit
    else:
        text = str(fixed)
        if str(fixed) in _CALENDAR and not _TIME_VALUE.fullmatch(text):
            raise illegal_argument(
                f"failed to parse setting [date_histogram.fixedInterval] with value [{fixed}] as a time value: "
                "unit is missing or unrecognized"
            )
        fields["fixed_ms"] = _time_value(name, "fixedInterval", fixed)
        if fields["fixed_ms"] <= 0:
            raise illegal_argument("Zero or negative time interval not supported")
    if "offset" in body:
        fields["offset_ms"] = _time_value(name, "offset", body["offset"])
    if "time_zone" in body:
        fields["time_zone"] = p.string("date_histogram", "time_zone", body["time_zone"])
        parse_time_zone(fields["time_zone"])
    if "format" in body:
        fields["format"] = p.string("date_histogram", "format", body["format"])
    if "extended_bounds" in body:
        fields["extended_text"] = _bounds("date_histogram", "extended_bounds", body["extended_bounds"])
    if "hard_bounds" in body:
        fields["hard_text"] = _bounds("date_histogram", "hard_bounds", body["hard_bounds"])
    if "missing" in body:
        fields["missing_text"] = body["missing"]
    return DateHistogram(name=name, interval=1.0, **fields)
