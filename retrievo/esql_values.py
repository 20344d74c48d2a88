"""Field values as ES|QL shows them in a result row.

ES|QL reads most fields from doc values, so values come back the way the index stores them: numbers
and dates from their columns (a ``float`` field's value is the float32 widened to double, dates are
ISO-8601 text in UTC with milliseconds, booleans are booleans), keywords sorted and deduplicated;
``text`` comes from ``_source`` in source order. One value is a scalar, several a list, none ``null``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from retrievo.index.dates.nanos import format_date_nanos
from retrievo.index.ip_values import ip_doc_values
from retrievo.index.searcher import Searcher

INTEGER_TYPES = frozenset({"long", "integer", "short", "byte", "unsigned_long"})
FLOAT_TYPES = frozenset({"double", "float", "half_float", "scaled_float"})


def iso_millis(millis: int) -> str:
    """Epoch milliseconds as ES|QL prints a date: ``2021-01-01T00:00:00.000Z``."""
    when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(millis))
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _from_source(source: Any, path: str) -> list[Any]:
    """Every value at ``path`` (dotted), through objects and arrays of objects."""
    if isinstance(source, list):
        out: list[Any] = []
        for item in source:
            out.extend(_from_source(item, path))
        return out
    if not isinstance(source, dict):
        return []
    if path in source:
        value = source[path]
        return _flat(value)
    head, _, rest = path.partition(".")
    while rest:
        if head in source:
            return _from_source(source[head], rest)
        nxt, _, rest = rest.partition(".")
        head = f"{head}.{nxt}"
    return []


def _flat(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        out: list[Any] = []
        for v in value:
            out.extend(_flat(v))
        return out
    return [value]


def _shape(values: list[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


class FieldReader:
    """Reads one column's values for documents of one index snapshot."""

    def __init__(self, searcher: Searcher, path: str, es_type: str, source_path: str) -> None:
        self.searcher = searcher
        self.path = path
        self.es_type = es_type
        self.source_path = source_path
        columns = INTEGER_TYPES | FLOAT_TYPES | {"date", "date_nanos", "boolean"}
        self.column = searcher.numeric(path) if es_type in columns else None

    def _column_values(self, doc: int) -> list[Any]:
        col = self.column
        assert col is not None
        lo, hi = np.searchsorted(col.docs, doc, "left"), np.searchsorted(col.docs, doc, "right")
        raw = sorted(col.values[lo:hi].tolist())
        if self.es_type == "date":
            return [iso_millis(v) for v in raw]
        if self.es_type == "date_nanos":  # epoch nanoseconds, printed with every fraction digit
            return [format_date_nanos(v) for v in raw]
        if self.es_type == "boolean":
            return [bool(v) for v in raw]
        if self.es_type in INTEGER_TYPES:
            return [int(v) for v in raw]
        if self.es_type == "float":
            return [float(np.float32(v)) for v in raw]
        if self.es_type == "half_float":
            return [float(np.float16(v)) for v in raw]
        return [float(v) for v in raw]

    def value(self, doc: int) -> Any:
        if self.column is not None:
            return _shape(self._column_values(doc))
        values = _from_source(self.searcher.source(doc), self.source_path)
        if self.es_type in ("keyword", "constant_keyword", "wildcard"):
            return _shape(sorted({_keyword(v) for v in values}))
        if self.es_type in ("text", "semantic_text", "match_only_text"):
            return _shape([_keyword(v) for v in values if not isinstance(v, dict)])
        if self.es_type == "ip":  # doc values: distinct addresses in byte order, printed canonically
            return _shape(ip_doc_values(values))
        if self.es_type == "dense_vector":
            vector = self.searcher.source(doc)
            raw = _vector(vector, self.source_path)
            return None if raw is None else [float(v) for v in raw]
        if self.es_type in INTEGER_TYPES | FLOAT_TYPES | {"date", "date_nanos", "boolean"}:
            return None  # no column: the field was never indexed with a value
        return None  # ES|QL's "unsupported" type shows null


def _keyword(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _vector(source: dict[str, Any], path: str) -> list[Any] | None:
    node: Any = source
    if path in node:
        value = node[path]
    else:
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        value = node
    if isinstance(value, list) and all(isinstance(v, (int, float)) for v in value):
        return value
    return None
