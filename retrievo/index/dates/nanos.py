"""Nanosecond resolution (``date_nanos``): epoch nanoseconds as a signed 64-bit long.

Elasticsearch's ``DateFieldMapper.Resolution.NANOSECONDS`` stores ``DateUtils.toLong(instant)``: only
instants from the epoch to ``2262-04-11T23:47:16.854775807Z`` fit, anything else is an
``IllegalArgumentException`` naming the instant as ``Instant.toString`` prints it. Query bounds keep every
fraction digit; date math (``now``, ``||+1d``, ``/d``) runs at millisecond resolution as
``JavaDateMathParser`` rounds (``/d`` rounded up ends at ``.999`` milliseconds), then widens to nanos.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retrievo.errors import illegal_argument
from retrievo.index.dates.civil_time import MILLIS_PER_DAY, NANOS_PER_MILLI, civil_from_days, parse_time_zone
from retrievo.index.dates.date_math import parse_date_math
from retrievo.index.dates.errors import DateFormatError, DateParseError
from retrievo.index.dates.formatter import compile_date_format
from retrievo.index.doc_values import NumericColumn

__all__ = [
    "DEFAULT_DATE_NANOS_FORMAT",
    "MAX_NANOS",
    "check_nanos_range",
    "instant_text",
    "nanos_sort",
    "parse_nanos_bound",
    "rank_of",
]

DEFAULT_DATE_NANOS_FORMAT = "strict_date_optional_time_nanos||epoch_millis"
"""``DateFieldMapper.DEFAULT_DATE_TIME_NANOS_FORMATTER``."""

MAX_NANOS = 2**63 - 1
"""``Long.MAX_VALUE`` nanoseconds: 2262-04-11T23:47:16.854775807Z."""


def instant_text(nanos: int) -> str:
    """``Instant.toString``: ISO-8601 in UTC, the fraction in groups of three digits, none when zero."""
    millis, sub = divmod(nanos, NANOS_PER_MILLI)
    days, rest = divmod(millis, MILLIS_PER_DAY)
    year, month, day = civil_from_days(days)
    fraction = (rest % 1000) * NANOS_PER_MILLI + sub
    text = f"{year:04d}-{month:02d}-{day:02d}T{rest // 3_600_000:02d}:{rest // 60_000 % 60:02d}:{rest // 1000 % 60:02d}"
    if fraction:
        digits = f"{fraction:09d}"
        text += "." + (digits[:3] if digits.endswith("000000") else digits[:6] if digits.endswith("000") else digits)
    return text + "Z"


def check_nanos_range(nanos: int) -> int:
    """``DateUtils.toLong``: raises ``ValueError`` with Elasticsearch's message outside 1970..2262."""
    if nanos < 0:
        raise ValueError(
            f"date[{instant_text(nanos)}] is before the epoch in 1970 and cannot be stored in nanosecond resolution"
        )
    if nanos > MAX_NANOS:
        raise ValueError(
            f"date[{instant_text(nanos)}] is after 2262-04-11T23:47:16.854775807 and cannot be stored in "
            "nanosecond resolution"
        )
    return nanos


def parse_nanos_bound(expr: str, now_millis: int, round_up: bool, formats: str, time_zone: str | None) -> int:
    """A query value or range bound on a ``date_nanos`` field, in epoch nanoseconds (see the module)."""
    if expr.startswith("now") or "||" in expr:
        millis = parse_date_math(expr, now_millis, round_up, formats, time_zone)
        nanos = millis * NANOS_PER_MILLI
        date_text, _, math = expr.partition("||")
        if not expr.startswith("now") and "/" not in math:  # the date's own sub-millisecond digits
            zone = parse_time_zone(time_zone) if time_zone is not None else None
            nanos += compile_date_format(formats).parse_nanos(date_text, False, zone) % NANOS_PER_MILLI
        return max(0, min(MAX_NANOS, nanos))
    zone = parse_time_zone(time_zone) if time_zone is not None else None
    try:
        formatter = compile_date_format(formats)
    except DateFormatError as bad_format:
        raise illegal_argument(str(bad_format)) from None
    try:
        nanos = formatter.parse_nanos(expr, round_up=round_up, zone=zone)
    except DateParseError:
        # the millis parser words the error exactly as a date field's bound does
        return parse_date_math(expr, now_millis, round_up, formats, time_zone) * NANOS_PER_MILLI
    # DateFieldType.rangeQuery on nanos clamps bounds to the representable range
    return max(0, min(MAX_NANOS, nanos))


def nanos_sort(
    column: NumericColumn | None,
    docs: np.ndarray,
    mode: str,
    present: np.ndarray,
    desc: bool,
    keys: np.ndarray,
    display: list[Any],
) -> tuple[np.ndarray, list[Any], np.ndarray | None]:
    """A ``date_nanos`` sort made exact: (keys, printed values, the distinct values the keys rank).

    Sort keys are float64, which near today tell nanoseconds apart only to about 256 ns. For ``min``
    and ``max`` the per-document value is recomputed on the int64 doc values, printed as the long
    Elasticsearch prints, and each key becomes the value's rank among the distinct values (missing
    documents keep their infinite keys); ``search_after`` values are ranked the same way
    (:func:`rank_of`). Other modes keep the float keys and values."""
    if column is None or mode not in ("min", "max") or column.docs.size == 0:
        return keys, display, None
    fill = np.iinfo(np.int64).max if mode == "min" else np.iinfo(np.int64).min
    per_doc = np.full(column.max_doc, fill, dtype=np.int64)
    reduce = np.minimum if mode == "min" else np.maximum
    reduce.at(per_doc, column.docs, column.values.astype(np.int64))
    exact = np.where(docs < column.max_doc, per_doc[np.minimum(docs, column.max_doc - 1)], 0)
    distinct = np.unique(exact[present])
    ranks = np.searchsorted(distinct, exact).astype(np.float64)
    new_keys = np.where(present, -ranks if desc else ranks, keys)
    shown = [value if has else old for value, has, old in zip(exact.tolist(), present.tolist(), display)]
    return new_keys, shown, distinct


def rank_of(distinct: np.ndarray, value: int) -> float:
    """Where a ``search_after`` value falls among the ranked distinct values (between two: ``.5``)."""
    position = int(np.searchsorted(distinct, value, side="left"))
    found = position < distinct.size and int(distinct[position]) == value
    return float(position) if found else position - 0.5


def format_date_nanos(nanos: int) -> str:
    """Epoch nanoseconds as ``strict_date_optional_time_nanos`` prints them (ES|QL's ``date_nanos`` output)."""
    return compile_date_format("strict_date_optional_time_nanos").format_nanos(int(nanos))
