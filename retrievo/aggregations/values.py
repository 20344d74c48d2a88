"""Doc values as aggregations read them: per-value arrays restricted to a bucket's documents.

Numeric, date and boolean fields come from their :class:`~retrievo.index.doc_values.NumericColumn`;
keyword fields from the inverted field's postings, turned into (document, ordinal) pairs with the
ordinal indexing the field's sorted terms — Elasticsearch's ordinals over ``SortedSetDocValues``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext
from retrievo.aggregations.decimal_format import compile_decimal_format
from retrievo.errors import error_cause, illegal_argument, shard_failure
from retrievo.index.dates import DEFAULT_DATE_FORMAT
from retrievo.index.dates.formatter import format_date_millis
from retrievo.index.ip_values import IpParseError, encode_ip, format_hex, ip_labels
from retrievo.index.searcher import Searcher

NUMERIC_TYPES = frozenset(
    {"long", "integer", "short", "byte", "unsigned_long", "double", "float", "half_float", "scaled_float"}
)
INTEGER_TYPES = frozenset({"long", "integer", "short", "byte", "unsigned_long"})

FieldKind = Literal["long", "double", "date", "boolean", "keyword", "other"]


def field_kind(ctx: AggContext, field: str) -> FieldKind | None:
    """What kind of values ``field`` aggregates as; ``None`` when it is unmapped."""
    fi = ctx.searcher.field_info(field)
    if fi is None:
        return None
    if fi.type in INTEGER_TYPES:
        return "long"
    if fi.type in NUMERIC_TYPES:
        return "double"
    if fi.type in ("date", "date_nanos"):
        return "date"
    if fi.type == "boolean":
        return "boolean"
    if fi.type in ("keyword", "constant_keyword", "wildcard", "ip"):  # ip: hex terms, labels printed
        return "keyword"
    return "other"


#: ``ValueType``'s values source and printed name (its ``description``) for each ``value_type`` retrievo reads.
_VALUE_TYPE_SOURCES = {
    "keyword": ("bytes", "string"),
    "long": ("numeric", "byte|short|integer|long"),
    "double": ("numeric", "float|double"),
    "date": ("date", "date"),
    "boolean": ("boolean", "boolean"),
    "ip": ("ip", "ip"),
}


def _values_source(field_type: str) -> str:
    """The values source type Elasticsearch reads a mapped field as (``CoreValuesSourceType``)."""
    if field_type in NUMERIC_TYPES:
        return "numeric"
    if field_type in ("date", "date_nanos"):
        return "date"
    if field_type in ("boolean", "ip"):
        return field_type
    if field_type in ("keyword", "constant_keyword", "wildcard"):
        return "bytes"
    return field_type


def check_value_type(ctx: AggContext, field: str | None, value_type: str | None) -> None:
    """``ValuesSourceConfig.resolve``: a ``value_type`` that the field mapped on this shard contradicts
    (an address mapped ``keyword`` in an older index) fails the shard, so that the indices mapping it as
    asked answer. A ``text`` field's fielddata refusal comes first (the caller raises it)."""
    fi = ctx.searcher.field_info(field) if field is not None and value_type is not None else None
    if fi is None or fi.type == "text" or value_type not in _VALUE_TYPE_SOURCES:
        return
    wanted, shown = _VALUE_TYPE_SOURCES[value_type]
    if _values_source(fi.type) != wanted:
        reason = f"Field type [{fi.type}] is incompatible with specified value_type [{shown}]"
        raise shard_failure(ctx.index_name, error_cause("illegal_argument_exception", reason))


@dataclass(frozen=True, eq=False)
class ColumnIndex:
    """One field's doc values laid out by document (CSR): the values of doc ``d`` are
    ``values[starts[d]:starts[d + 1]]``. Built once per search and field, so a bucket's values are
    gathered in time proportional to the bucket, not to the index."""

    values: np.ndarray
    starts: np.ndarray  # int64[max_doc + 1]
    owners: np.ndarray  # int32: the doc of each value (ascending)

    @staticmethod
    def build(entry_docs: np.ndarray, values: np.ndarray, max_doc: int) -> ColumnIndex:
        order = np.argsort(entry_docs, kind="stable")
        by_doc = entry_docs[order]
        starts = np.searchsorted(by_doc, np.arange(max_doc + 1), side="left").astype(np.int64)
        laid_out, owners = values[order], by_doc.astype(np.int32)
        laid_out.flags.writeable = owners.flags.writeable = False  # shared by every search of the snapshot
        return ColumnIndex(laid_out, starts, owners)

    def gather(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(owner doc per value, value) for ``docs`` (sorted), owners ascending."""
        max_doc = self.starts.size - 1
        if docs.size == max_doc:  # every document (match_all, no deletes): the whole column as laid out
            return self.owners, self.values
        if docs.size * 8 > max_doc:  # a large share of the index: one mask test per value
            mask = np.zeros(max_doc, dtype=bool)
            mask[docs] = True
            keep = mask[self.owners]
            return self.owners[keep], self.values[keep]
        lo = self.starts[docs]
        counts = self.starts[docs + 1] - lo
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.int32), self.values[:0]
        owner = np.repeat(docs, counts).astype(np.int32)
        first = np.cumsum(counts) - counts
        idx = np.repeat(lo - first, counts) + np.arange(total)
        return owner, self.values[idx]


#: Doc-value layouts per published snapshot: a searcher never changes, so what was laid out for one
#: search serves every later search of the same snapshot (dropped with the snapshot).
_SNAPSHOT_LAYOUTS: weakref.WeakKeyDictionary[Searcher, dict[Any, Any]] = weakref.WeakKeyDictionary()


def forget_layouts() -> None:
    """Drop every snapshot's layouts, so the next search lays them out again (what the aggregations
    benchmark times as a snapshot's first search)."""
    _SNAPSHOT_LAYOUTS.clear()


def _layouts(ctx: AggContext) -> dict[Any, Any]:
    """The layout memo of the search's snapshot."""
    layouts = _SNAPSHOT_LAYOUTS.get(ctx.searcher)
    if layouts is None:
        layouts = _SNAPSHOT_LAYOUTS.setdefault(ctx.searcher, {})
    return layouts


def _numeric_index(ctx: AggContext, field: str) -> ColumnIndex | None:
    key = ("numeric", field)
    cache = _layouts(ctx)
    if key not in cache:
        column = ctx.searcher.numeric(field)
        fi = ctx.searcher.field_info(field)
        # date_nanos aggregates in milliseconds (DateUtils.toMilliSeconds), as Elasticsearch does
        nanos = fi is not None and fi.type == "date_nanos"
        cache[key] = (
            None
            if column is None
            else ColumnIndex.build(
                column.docs,
                column.values // 1_000_000 if nanos else column.values,
                max(ctx.searcher.max_doc, column.max_doc),
            )
        )
    index: ColumnIndex | None = cache[key]
    return index


def numeric_values(ctx: AggContext, field: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(owner doc per value, value as float64) for the values of ``field`` in ``docs``."""
    index = _numeric_index(ctx, field)
    if index is None:
        if ctx.searcher.field_info(field) is None:
            return None
        return np.zeros(0, np.int32), np.zeros(0, np.float64)
    owner, values = index.gather(docs)
    return owner, values.astype(np.float64)


def integer_values(ctx: AggContext, field: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """As :func:`numeric_values`, keeping int64 (exact longs and epoch milliseconds)."""
    index = _numeric_index(ctx, field)
    if index is None:
        if ctx.searcher.field_info(field) is None:
            return None
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    owner, values = index.gather(docs)
    return owner, values.astype(np.int64)


def keyword_values(ctx: AggContext, field: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(owner doc per value, ordinal per value, sorted terms) for a keyword field in ``docs``."""
    if ctx.searcher.field_info(field) is None:
        return None
    key = ("keyword", field)
    cache = _layouts(ctx)
    if key not in cache:
        inv = ctx.searcher.inverted(field)
        if inv is None or not inv.terms:
            cache[key] = None
        else:
            terms = inv.sorted_terms
            ord_of_tid = np.empty(len(inv.terms), dtype=np.int64)
            ord_of_tid[[inv.terms[t] for t in terms]] = np.arange(terms.size)
            entry_ords = ord_of_tid[np.repeat(np.arange(len(inv.terms)), np.diff(inv.offsets))]
            max_doc = max(ctx.searcher.max_doc, inv.max_doc)
            if ctx.searcher.field_info(field).type == "ip":  # type: ignore[union-attr]
                terms = ip_labels(terms)  # the addresses, in the hex terms' (the bytes') order
            cache[key] = (ColumnIndex.build(np.asarray(inv.docs), entry_ords, max_doc), terms)
    cached = cache[key]
    if cached is None:
        return np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, dtype=object)
    index, terms = cached
    owner, ords = index.gather(docs)
    return owner, ords, terms


def missing_label_slot(ctx: AggContext, field: str, labels: np.ndarray, missing: Any) -> tuple[str, int]:
    """A keyword-kind ``missing`` value as a label and the ordinal it sorts at among ``labels``: an ip
    field's labels are addresses in byte order, so its ``missing`` is placed by its encoding."""
    fi = ctx.searcher.field_info(field)
    inv = ctx.searcher.inverted(field) if fi is not None and fi.type == "ip" else None
    if inv is None or not inv.terms:
        text = str(missing)
        return text, int(np.searchsorted(labels, text)) if labels.size else 0
    try:
        encoded = encode_ip(missing)
    except IpParseError as failure:
        raise illegal_argument(str(failure)) from None
    return format_hex(encoded), int(np.searchsorted(np.asarray(inv.sorted_terms, dtype="U32"), encoded))


def docs_with_value(ctx: AggContext, field: str, docs: np.ndarray) -> np.ndarray:
    """Which of ``docs`` (sorted) have at least one value for ``field``."""
    present = ctx.searcher.present(field)
    if present.size < ctx.searcher.max_doc:
        present = np.concatenate([present, np.zeros(ctx.searcher.max_doc - present.size, dtype=bool)])
    return present[docs]


#: Prints one value as ``value_as_string``/``key_as_string``.
Printer = Callable[[float], str]


def value_printer(ctx: AggContext, field: str | None, kind: str | None, fmt: str | None) -> Printer | None:
    """``DocValueFormat`` of a values source: dates print with the request's or the field's date format,
    numbers only when the request gives a ``format`` (a ``DecimalFormat`` pattern); raw values print nothing."""
    if kind == "date":
        fi = ctx.searcher.field_info(field or "")
        pattern = fmt or (fi.date_format if fi else None) or DEFAULT_DATE_FORMAT
        return lambda value: format_date_millis(int(value), pattern)
    if fmt is not None and kind in ("long", "double"):
        return compile_decimal_format(fmt).format
    return None


def numeric_values_or_missing(
    ctx: AggContext, agg_type: str, field: str | None, docs: np.ndarray, missing: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """(owner doc, value) pairs of a numeric ``field`` over ``docs`` for a numeric bucket aggregation
    (``histogram``, ``range``): a keyword or other non-numeric field fails the shard as Elasticsearch's
    value-source check does, and ``missing`` stands in for every doc without a value."""
    kind = field_kind(ctx, field) if field else None
    if kind in ("keyword", "other"):
        fi = ctx.searcher.field_info(field or "")
        raise p.type_error(field or "", fi.type if fi else "", agg_type, ctx.index_name)
    read = numeric_values(ctx, field, docs) if field and kind is not None else None
    vdocs, vals = read if read is not None else (np.zeros(0, np.int32), np.zeros(0))
    if missing is not None:
        lacking = docs[~docs_with_value(ctx, field or "", docs)] if read is not None else docs
        vdocs = np.concatenate([vdocs, lacking])
        vals = np.concatenate([vals, np.full(lacking.size, missing)])
    return vdocs, vals
