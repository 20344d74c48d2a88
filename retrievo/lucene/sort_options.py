"""A field sort's ``numeric_type`` and ``format`` (Elasticsearch's ``FieldSortBuilder.build``).

``numeric_type`` reads a numeric field's doc values as another numeric type before sorting — ES's
way to sort indices whose mappings disagree; on one index it converts the values a hit shows:
``double`` (an integer becomes a double), ``long`` (a double is cast, truncating toward zero),
``date`` (``date_nanos`` values become millis) and ``date_nanos`` (``date`` millis become nanos,
refused outside 1970..2262 as ``DateUtils.toNanoSeconds`` refuses them). ``format`` makes a date
sort print each value with that date format (``DocValueFormat.enableFormatSortValues``); a missing
date then shows ``null``. Other types refuse a format as their ``docValueFormat`` does.

Integer targets rank exact int64 values (float64 keys cannot tell nanoseconds apart), as
:func:`retrievo.index.dates.nanos.nanos_sort` does; ``search_after`` values are ranked the same way
and, when they are strings, parsed with the sort's format.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from retrievo.errors import bad_request, not_supported
from retrievo.index.dates.formatter import DateFormatError, DateFormatter, compile_date_format
from retrievo.index.searcher import Searcher

NUMERIC_TYPES = ("long", "double", "date", "date_nanos")
FLOAT_SOURCES = frozenset({"double", "float", "half_float"})
INTEGER_SOURCES = frozenset({"long", "integer", "short", "byte", "date", "date_nanos", "boolean", "_seq_no"})
LONG_MAX = 9223372036854775807
LONG_MIN = -9223372036854775808
NANOS_PER_MILLI = 1_000_000
MAX_NANOSECOND_IN_MILLIS = LONG_MAX // NANOS_PER_MILLI

#: (keys, printed values, the distinct int64 values the keys rank or ``None``, a ``search_after`` string parser)
OptionedKey = tuple[np.ndarray, list[Any], np.ndarray | None, Callable[[str], int] | None]


def parse_numeric_type(value: str) -> str:
    """``FieldSortBuilder.setNumericType``."""
    lower = value.lower()
    if lower not in NUMERIC_TYPES:
        raise bad_request(
            "illegal_argument_exception",
            f"invalid value for [numeric_type], must be [long, double, date, date_nanos], got {lower}",
        )
    return lower


def sort_with_options(s: Searcher, spec: Any, docs: np.ndarray) -> OptionedKey | None:
    """The sort key of a field sort with ``numeric_type`` or ``format``; ``None`` where the plain sort
    path builds it (or raises the error ES raises before looking at either option)."""
    numeric_type: str | None = getattr(spec, "numeric_type", None)
    fmt: str | None = getattr(spec, "format", None)
    fi = s.field_info(spec.field)
    if spec.field == "_seq_no":
        field_type = "_seq_no"
    elif fi is not None:
        field_type = fi.type
    elif spec.unmapped_type is not None:
        field_type = spec.unmapped_type
    else:
        return None  # "No mapping found": the plain path raises it
    if field_type not in INTEGER_SOURCES | FLOAT_SOURCES | {"keyword"}:
        return None  # text, vectors...: their fielddata error comes first
    if numeric_type is not None and field_type not in INTEGER_SOURCES | FLOAT_SOURCES:
        raise bad_request(
            "query_shard_exception", f"[numeric_type] option cannot be set on a non-numeric field, got {field_type}"
        )
    formatter = _formatter(spec.field, field_type, fmt, fi.date_format if fi is not None else None)
    if numeric_type is None and formatter is None:
        return None
    if getattr(spec, "nested", None) is not None:
        raise not_supported("[numeric_type] or [format] on a nested sort")
    desc = spec.order == "desc"
    mode = spec.mode or ("max" if desc else "min")
    raw, present = _per_doc(s, spec.field, field_type, fi is None and field_type != "_seq_no", docs, mode)
    target = numeric_type or _natural(field_type)
    nanos_out = target == "date_nanos" if numeric_type is not None else field_type == "date_nanos"
    parse = None
    if field_type in ("date", "date_nanos") and fi is not None:
        parse = _search_after_parser(s, fi, fmt, to_nanos=nanos_out and field_type == "date")
    missing = spec.missing
    if missing not in ("_last", "_first"):
        raw = np.where(present, raw, _missing_value(missing, spec.field, raw.dtype))
        present = np.ones(docs.size, dtype=bool)
    if target == "double":
        values = raw.astype(np.float64)
        keys = -values if desc else values.copy()
        shown: list[Any] = values.tolist()
        distinct = None
        placeholder: Any = float("inf") if (missing == "_last") != desc else float("-inf")
    else:
        ints = _to_long(raw, field_type, target, present)
        distinct = np.unique(ints[present])
        ranks = np.searchsorted(distinct, ints).astype(np.float64)
        keys = -ranks if desc else ranks
        if formatter is not None:  # a date format prints the values (resolution: see the module doc)
            resolution_nanos = field_type == "date_nanos" or nanos_out
            printer = formatter.format_nanos if resolution_nanos else formatter.format_millis
            shown = [printer(v) for v in ints.tolist()]
            placeholder = None
        else:
            shown = ints.tolist()
            placeholder = LONG_MAX if (missing == "_last") != desc else LONG_MIN
    if missing in ("_last", "_first"):
        keys[~present] = np.inf if missing == "_last" else -np.inf
        shown = [v if p else placeholder for v, p in zip(shown, present.tolist())]
    return keys, shown, distinct, parse


def _natural(field_type: str) -> str:
    if field_type in FLOAT_SOURCES:
        return "double"
    return field_type if field_type in ("date", "date_nanos") else "long"


def _formatter(field: str, field_type: str, fmt: str | None, own: str | None) -> DateFormatter | None:
    """``MappedFieldType.docValueFormat(format, null)``: dates take any date format, the rest none."""
    if fmt is None:
        return None
    if field_type in ("date", "date_nanos"):
        try:
            return compile_date_format(fmt)
        except DateFormatError as bad:
            raise bad_request("illegal_argument_exception", str(bad)) from None
    if field_type in FLOAT_SOURCES or field_type in ("long", "integer", "short", "byte"):
        raise not_supported(
            f"[sort] [format] [{fmt}] on numeric field [{field}]",
            "java.text.DecimalFormat patterns are not implemented",
        )
    raise bad_request(
        "illegal_argument_exception", f"Field [{field}] of type [{field_type}] does not support custom formats"
    )


def _per_doc(
    s: Searcher, field: str, field_type: str, unmapped: bool, docs: np.ndarray, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's value under the sort mode: int64 for integer types, float64 for the rest."""
    integer = field_type in INTEGER_SOURCES
    dtype = np.int64 if integer else np.float64
    if unmapped:
        return np.zeros(docs.size, dtype), np.zeros(docs.size, dtype=bool)
    if field == "_seq_no":
        seq = s.seq_nos
        has = docs < seq.size
        return np.where(has, seq[np.minimum(docs, max(seq.size - 1, 0))] if seq.size else 0, 0), has
    col = s.numeric(field)
    if col is None or col.docs.size == 0:
        return np.zeros(docs.size, dtype), np.zeros(docs.size, dtype=bool)
    inside = docs < col.max_doc
    safe = np.minimum(docs, col.max_doc - 1)
    if mode in ("min", "max"):
        big = np.iinfo(np.int64) if integer else None
        fill = (big.max if mode == "min" else big.min) if big is not None else (np.inf if mode == "min" else -np.inf)
        per_doc = np.full(col.max_doc, fill, dtype=dtype)
        (np.minimum if mode == "min" else np.maximum).at(per_doc, col.docs, col.values.astype(dtype))
        has = col.has_value
        return np.where(inside, per_doc[safe], 0).astype(dtype), inside & has[safe]
    floats, has = col.per_doc(mode)
    values = floats[safe]
    return (values.astype(np.int64) if integer else values), inside & has[safe]


def _missing_value(missing: Any, field: str, dtype: Any) -> Any:
    try:
        number = float(missing)
    except (TypeError, ValueError):
        raise bad_request(
            "illegal_argument_exception", f"failed to parse [missing] value [{missing}] for field [{field}]"
        ) from None
    return int(number) if dtype == np.int64 else number


def _to_long(raw: np.ndarray, field_type: str, target: str, present: np.ndarray) -> np.ndarray:
    """The int64 values of an integer target (a double is cast as Java casts: toward zero)."""
    ints = _java_long_cast(raw) if raw.dtype != np.int64 else raw.astype(np.int64)
    if target == "date" and field_type == "date_nanos":
        return ints // NANOS_PER_MILLI  # date_nanos are never before 1970: floor is Java's division
    if target == "date_nanos" and field_type == "date":
        shown = ints[present]
        if shown.size and (int(shown.min()) < 0 or int(shown.max()) > MAX_NANOSECOND_IN_MILLIS):
            bad = int(shown.min()) if int(shown.min()) < 0 else int(shown.max())
            where = "are before the epoch in 1970" if bad < 0 else "are after 2262-04-11T23:47:16.854775807"
            raise bad_request(
                "illegal_argument_exception", f"milliSeconds [{bad}] {where} and cannot be converted to nanoseconds"
            )
        return np.where(present, ints * NANOS_PER_MILLI, ints)
    return ints


def _java_long_cast(values: np.ndarray) -> np.ndarray:
    """``(long) d``: toward zero, NaN → 0, saturating at the long range."""
    f = np.trunc(np.nan_to_num(values, nan=0.0, posinf=np.inf, neginf=-np.inf))
    big, small = f >= 2.0**63, f < -(2.0**63)
    safe = np.where(big | small, 0.0, f).astype(np.int64)
    return np.where(big, LONG_MAX, np.where(small, LONG_MIN, safe)).astype(np.int64)


def _search_after_parser(s: Searcher, fi: Any, fmt: str | None, to_nanos: bool) -> Callable[[str], int]:
    """``DocValueFormat.DateTime.parseLong`` with the sort's format (the field's own without one)."""

    def parse(text: str) -> int:
        value = s.parse_date_bound(fi, text, int(time.time() * 1000), round_up=False, fmt=fmt, tz=None)
        return value * NANOS_PER_MILLI if to_nanos else value

    return parse


__all__ = ["NUMERIC_TYPES", "parse_numeric_type", "sort_with_options"]
