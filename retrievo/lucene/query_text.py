"""Lucene's ``toString`` of the doc-set queries Elasticsearch builds, for plans, explanations and profiles.

A :class:`~retrievo.lucene.query.DocSetQ` stands for several Lucene query classes; each prints itself
its own way, and Elasticsearch's ``_explanation`` (``ConstantScoreWeight.explain``: the query's
``toString``) and ``profile`` descriptions quote that text. What each kind is in Elasticsearch 9:

* ``range`` (and a ``term`` on a number or a date, which is a range from the value to itself):
  ``NumberFieldMapper``/``DateFieldMapper`` build ``IntPoint``/``LongPoint``/``FloatPoint``/
  ``DoublePoint``/``HalfFloatPoint`` range queries (inside an ``IndexOrDocValuesQuery``, which prints
  as its index query). ``PointRangeQuery.toString`` is ``field:[lo TO hi]`` with *inclusive* bounds:
  an exclusive or fractional bound has already been moved to the next value the type can hold, and an
  open side is the type's extreme (``Integer.MIN_VALUE``, ``Long.MAX_VALUE``, ``Infinity``).
* ``points`` (``terms`` on a number): ``IntPoint.newSetQuery`` & co., ``PointInSetQuery.toString``:
  ``field:{1 5 7}``, values ascending.
* ``terms`` (``terms`` on keyword/text) and ``ids``: ``TermInSetQuery``, ``field:(a b c)`` in byte
  order; an ``_id`` is its ``Uid.encodeId`` bytes, printed as ``[hex ...]`` when they are not UTF-8.
* ``term_range`` (``range`` on keyword/text/boolean): ``TermRangeQuery``, ``field:[a TO c}`` with
  ``*`` for an open side.
* ``prefix``: ``PrefixQuery``, ``field:abc*``.
* ``exists``: ``FieldExistsQuery [field=f]`` (several fields: one per field, a ``BooleanQuery`` of
  ``SHOULD`` clauses).

All functions here are pure: the values in, the text out.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from retrievo.java_text import java_double_str, java_float_str

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
#: Field types whose points are ``IntPoint`` (``short`` and ``byte`` ranges go through INTEGER's).
INT_TYPES = frozenset({"integer", "short", "byte"})
#: Field types whose points are ``LongPoint`` (dates as epoch milliseconds or nanoseconds).
LONG_TYPES = frozenset({"long", "date", "date_nanos"})
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# ---------------------------------------------------------------- bytes of terms


def encoded_id(doc_id: str) -> bytes:
    """``Uid.encodeId``: the bytes Elasticsearch indexes an ``_id`` as (digits packed two to a byte after
    ``0xfe``; URL-safe base64 decoded, escaped with ``0xfd`` when its first byte could be a marker; anything
    else UTF-8 after ``0xff``)."""
    if doc_id.isdigit() and doc_id.isascii() and (doc_id[0] != "0" or len(doc_id) == 1):
        nibbles = [int(ch) for ch in doc_id] + ([0xF] if len(doc_id) % 2 else [])
        return bytes([0xFE] + [(nibbles[i] << 4) | nibbles[i + 1] for i in range(0, len(nibbles), 2)])
    if len(doc_id) % 4 != 1 and all(ch in _BASE64URL for ch in doc_id):
        try:
            raw = base64.urlsafe_b64decode(doc_id + "=" * (-len(doc_id) % 4))
        except ValueError:
            raw = b""
        if raw and base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") == doc_id:
            return bytes([0xFD]) + raw if raw[0] >= 0xFD else raw
    return bytes([0xFF]) + doc_id.encode("utf-8")


def term_text(raw: bytes) -> str:
    """Lucene's ``Term.toString`` of bytes: the text when they are UTF-8, else ``[hex hex ...]``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "[" + " ".join(f"{b:x}" for b in raw) + "]"


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- numeric bounds


def _has_decimal(value: float) -> bool:
    return math.isfinite(value) and value % 1 != 0


def _whole_bounds(
    lo: float | None, lo_inc: bool, hi: float | None, hi_inc: bool, lowest: int, highest: int
) -> tuple[int, int] | None:
    """``NumberType.INTEGER``/``LONG`` ``rangeQuery``: inclusive whole bounds; ``None`` where Elasticsearch
    answers ``MatchNoDocsQuery`` (a bound pushed past the type's extreme). A fractional lower bound
    rounds up when positive (``1.5`` → 2) and truncates when negative (``-1.5`` → -1); the upper bound
    the other way round; an exclusive whole bound moves by one."""
    low, high = lowest, highest
    if lo is not None:
        low = int(lo)  # Number.intValue/longValue truncate toward zero
        frac = _has_decimal(lo)
        if (not frac and not lo_inc) or (frac and lo > 0):
            if low == highest:
                return None
            low += 1
    if hi is not None:
        high = int(hi)
        frac = _has_decimal(hi)
        if (not frac and not hi_inc) or (frac and hi < 0):
            if high == lowest:
                return None
            high -= 1
    return low, high


def _float_bounds(lo: float | None, lo_inc: bool, hi: float | None, hi_inc: bool) -> tuple[str, str]:
    """``NumberType.FLOAT``: ``Float.parseFloat`` bounds, ``FloatPoint.nextUp``/``nextDown`` when exclusive."""
    low, high = np.float32(-np.inf), np.float32(np.inf)
    if lo is not None:
        low = np.float32(lo)
        if not lo_inc:
            low = np.nextafter(low, np.float32(np.inf), dtype=np.float32)
    if hi is not None:
        high = np.float32(hi)
        if not hi_inc:
            high = np.nextafter(high, np.float32(-np.inf), dtype=np.float32)
    return java_float_str(low), java_float_str(high)


def _half_up(v: float) -> np.float16:
    """``HalfFloatPoint.nextUp``: the smallest half float strictly above ``v``."""
    h = np.float16(v)
    return np.nextafter(h, np.float16(np.inf), dtype=np.float16) if float(h) <= v else h


def _half_down(v: float) -> np.float16:
    """``HalfFloatPoint.nextDown``: the largest half float strictly below ``v``."""
    h = np.float16(v)
    return np.nextafter(h, np.float16(-np.inf), dtype=np.float16) if float(h) >= v else h


def _half_float_bounds(lo: float | None, lo_inc: bool, hi: float | None, hi_inc: bool) -> tuple[str, str]:
    """``NumberType.HALF_FLOAT``: the half floats just inside the (float-parsed) bounds -- an inclusive
    bound steps out and back in (``nextUp(nextDown(l))``), an exclusive one steps in -- printed as
    ``Float.toString`` of the decoded half float."""
    if lo is not None and lo == hi and lo_inc and hi_inc:
        # A term: HalfFloatPoint.newExactQuery of the value rounded to a half float.
        exact = java_float_str(np.float32(np.float16(np.float32(lo))))
        return exact, exact
    low, high = -np.inf, np.inf
    if lo is not None:
        start = float(np.float32(lo))
        low = float(_half_up(float(_half_down(start)) if lo_inc else start))
    if hi is not None:
        start = float(np.float32(hi))
        high = float(_half_down(float(_half_up(start)) if hi_inc else start))
    return java_float_str(np.float32(low)), java_float_str(np.float32(high))


def _double_bounds(lo: float | None, lo_inc: bool, hi: float | None, hi_inc: bool) -> tuple[str, str]:
    """``NumberType.DOUBLE``: ``Math.nextUp``/``nextDown`` when exclusive, infinities when open."""
    low = -math.inf if lo is None else (float(lo) if lo_inc else math.nextafter(float(lo), math.inf))
    high = math.inf if hi is None else (float(hi) if hi_inc else math.nextafter(float(hi), -math.inf))
    return java_double_str(low), java_double_str(high)


def point_range_text(
    field: str, value_type: str, lo: Any, lo_inc: bool, hi: Any, hi_inc: bool, no_docs: str = ""
) -> str:
    """``PointRangeQuery.toString`` for a range (or a term, ``lo == hi`` inclusive) on ``value_type``."""
    if value_type in INT_TYPES or value_type in LONG_TYPES:
        lowest, highest = (INT_MIN, INT_MAX) if value_type in INT_TYPES else (LONG_MIN, LONG_MAX)
        bounds = _whole_bounds(lo, lo_inc, hi, hi_inc, lowest, highest)
        if bounds is None:
            return f'MatchNoDocsQuery("{no_docs}")'
        return f"{field}:[{bounds[0]} TO {bounds[1]}]"
    if value_type == "float":
        low, high = _float_bounds(lo, lo_inc, hi, hi_inc)
    elif value_type == "half_float":
        low, high = _half_float_bounds(lo, lo_inc, hi, hi_inc)
    else:
        low, high = _double_bounds(lo, lo_inc, hi, hi_inc)
    return f"{field}:[{low} TO {high}]"


def _point_value_text(value_type: str, value: Any) -> str:
    if value_type in INT_TYPES or value_type in LONG_TYPES:
        return str(int(value))
    if value_type == "float":
        return java_float_str(np.float32(value))
    if value_type == "half_float":
        return java_float_str(np.float32(np.float16(value)))
    return java_double_str(float(value))


def point_set_text(field: str, value_type: str, values: Sequence[Any]) -> str:
    """``PointInSetQuery.toString``: ``field:{v1 v2 ...}``, each value once, ascending."""
    shown = sorted({_point_value_text(value_type, v): float(v) for v in values}.items(), key=lambda kv: kv[1])
    return f"{field}:{{{' '.join(text for text, _ in shown)}}}"


# ---------------------------------------------------------------- term queries


def term_set_text(field: str, terms: Sequence[str]) -> str:
    """``TermInSetQuery.toString``: ``field:(t1 t2 ...)``, the terms in byte order."""
    ordered = sorted({_utf8(t) for t in terms})
    return f"{field}:({' '.join(term_text(t) for t in ordered)})"


def ids_text(ids: Sequence[str]) -> str:
    """The ``ids`` query's ``TermInSetQuery`` over ``_id``: the encoded ids in byte order."""
    ordered = sorted({encoded_id(i) for i in ids})
    return f"_id:({' '.join(term_text(t) for t in ordered)})"


def _range_term(term: str | None) -> str:
    if term is None:
        return "*"
    return "\\*" if term == "*" else term


def term_range_text(field: str, lo: str | None, lo_inc: bool, hi: str | None, hi_inc: bool) -> str:
    """``TermRangeQuery.toString``: ``field:[lo TO hi]``, braces for exclusive bounds, ``*`` when open.

    An open side keeps ``RangeQueryBuilder``'s default ``include_lower``/``include_upper`` (true), so it
    prints a bracket."""
    left = "[" if lo_inc or lo is None else "{"
    right = "]" if hi_inc or hi is None else "}"
    return f"{field}:{left}{_range_term(lo)} TO {_range_term(hi)}{right}"


def prefix_text(field: str, prefix: str) -> str:
    """``PrefixQuery.toString``: ``field:prefix*``."""
    return f"{field}:{prefix}*"


def exists_text(paths: Sequence[str]) -> str:
    """``FieldExistsQuery [field=f]``; several fields are ``SHOULD`` clauses of one ``BooleanQuery``."""
    return " ".join(f"FieldExistsQuery [field={p}]" for p in paths)
