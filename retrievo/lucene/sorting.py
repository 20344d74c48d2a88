"""Field sorts (``sort``) and ``search_after`` over a candidate set.

Keys are built per candidate document and ordered with one ``np.lexsort``; the final tie-break is the
internal doc id, as Elasticsearch's ``_shard_doc``. Sort values in hits follow Elasticsearch's shapes:
integers for long/date/boolean fields, floats for floating fields, strings for keywords; a missing
value sorts as Long.MAX_VALUE/MIN_VALUE (or ±Infinity, or null for keywords) unless ``missing`` says otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from retrievo.errors import BadRequestError, bad_request
from retrievo.index.dates.nanos import nanos_sort, rank_of
from retrievo.index.ip_values import IpParseError, encode_ip, format_hex
from retrievo.index.searcher import Searcher
from retrievo.lucene.nested import nested_sort_values
from retrievo.lucene.sort_options import sort_with_options

LONG_MAX = 9223372036854775807
LONG_MIN = -9223372036854775808
INT_MAX, INT_MIN = 2147483647, -2147483648
#: Types Elasticsearch 9 sorts as Lucene's INT (a missing value shows Integer.MAX_VALUE/MIN_VALUE).
INT_TYPES = frozenset({"integer", "short", "byte"})
FLOAT_TYPES = frozenset({"double", "float", "half_float"})
#: Field types with doc values a sort can read; the rest (vectors, semantic_text) refuse as in ES.
SORTABLE_TYPES = frozenset(
    {"keyword", "long", "integer", "short", "byte", "double", "float", "half_float", "date", "date_nanos", "boolean"}
    | {"ip"}
)


class SortField(Protocol):
    """One sort key as the query engine reads it. The query engine knows nothing of the retriever AST;
    its ``SortField`` node (retrievo.retrievers.sort) has these attributes and is passed as it is."""

    @property
    def field(self) -> str: ...
    @property
    def order(self) -> str: ...
    #: ``_last``, ``_first`` or a value to sort a document without one as.
    @property
    def missing(self) -> Any: ...
    @property
    def mode(self) -> str | None: ...
    @property
    def unmapped_type(self) -> str | None: ...


def _text_sort_error(field: str) -> BadRequestError:
    return bad_request(
        "illegal_argument_exception",
        f"Text fields are not optimised for operations that require per-document field data like "
        f"aggregations and sorting, so these operations are disabled by default. Please use a keyword "
        f"field instead. Alternatively, set fielddata=true on [{field}] in order to load field data by "
        f"uninverting the inverted index. Note that this can use significant memory.",
    )


class SortKey:
    """One sort key over the candidate docs: float64 keys for lexsort plus display values."""

    def __init__(self, s: Searcher, spec: SortField, docs: np.ndarray, scores: np.ndarray) -> None:
        self.spec = spec
        self.field = spec.field
        #: For a date field: reads a ``search_after`` string in the field's own format.
        self.parse_date: Callable[[str], int] | None = None
        #: For a date_nanos sort: the distinct values its keys rank (``None``: plain float keys).
        self.nanos: np.ndarray | None = None
        self.ip = False  # an ip field: terms are hex encodings, shown and given as addresses
        desc = spec.order == "desc"
        if spec.field == "_score":
            vals = scores.astype(np.float64)
            self.display = [float(v) for v in scores]
            self.keys = -vals if desc else vals
            return
        if spec.field == "_doc":
            vals = docs.astype(np.float64)
            self.display = [int(d) for d in docs]
            self.keys = -vals if desc else vals
            return
        optioned = sort_with_options(s, spec, docs)  # numeric_type / format (lucene/sort_options.py)
        if optioned is not None:
            self.keys, self.display, self.nanos, self.parse_date = optioned
            return
        if spec.field == "_seq_no":  # a metadata field: one long doc value per document (index.store)
            seq = s.seq_nos
            has = docs < seq.size
            vals = np.where(has, seq[np.minimum(docs, seq.size - 1)] if seq.size else 0, 0).astype(np.float64)
            self.keys, self.display = _with_missing(vals, has, spec, "long", desc, None)
            return
        fi = s.field_info(spec.field)
        mode = spec.mode or ("max" if desc else "min")
        if fi is None:
            if spec.unmapped_type is None:
                raise bad_request("query_shard_exception", f"No mapping found for [{spec.field}] in order to sort on")
            vals = np.zeros(docs.size)
            present = np.zeros(docs.size, dtype=bool)
            kind = "keyword" if spec.unmapped_type in ("keyword", "text") else _numeric_kind(spec.unmapped_type)
        elif fi.type == "text":
            raise _text_sort_error(spec.field)
        elif fi.type in ("sparse_vector", "rank_feature", "rank_features"):  # their fielddataBuilder
            raise bad_request(
                "illegal_argument_exception", f"[{fi.type}] fields do not support sorting, scripting or aggregating"
            )
        elif fi.type not in SORTABLE_TYPES:
            raise bad_request(
                "illegal_argument_exception", f"Field [{spec.field}] of type [{fi.type}] doesn't support sort"
            )
        elif getattr(spec, "nested", None) is not None:  # values of the nested objects (lucene/nested.py)
            vals, present, kind, nested_terms = nested_sort_values(spec, fi.type, docs, s.max_doc, mode)
            if nested_terms is not None:
                self.terms = nested_terms
            self.ip = fi.type == "ip"
        elif fi.type in ("keyword", "ip"):  # ip terms are hex encodings in address order (index/ip_values.py)
            vals, present, self.terms = _keyword_ordinals(s, spec.field, docs, mode)
            kind = "keyword"
            self.ip = fi.type == "ip"
        else:
            col = s.numeric(spec.field)
            if col is None:
                vals, present = np.zeros(docs.size), np.zeros(docs.size, dtype=bool)
            else:
                per_doc, has = col.per_doc(mode if mode in ("min", "max", "sum", "avg", "median") else "min")
                vals, present = per_doc[docs], has[docs]
            kind = _numeric_kind(fi.type)
            if fi.type in ("date", "date_nanos"):
                date_field = fi
                self.parse_date = lambda text: s.parse_date_bound(
                    date_field, text, int(time.time() * 1000), round_up=False, fmt=None, tz=None
                )
        self.keys, self.display = _with_missing(vals, present, spec, kind, desc, getattr(self, "terms", None))
        if self.ip:
            shown: list[Any] = [None if d is None else format_hex(str(d)) for d in self.display]
            self.display = shown
        if fi is not None and fi.type == "date_nanos" and spec.missing in ("_last", "_first"):
            # exact long nanos: keys rank the int64 values (float64 cannot tell nanoseconds apart)
            self.keys, self.display, self.nanos = nanos_sort(
                s.numeric(spec.field), docs, mode, present, desc, self.keys, self.display
            )


def _numeric_kind(field_type: str | None) -> str:
    """How a numeric sort shows its values: ``int`` (Lucene's INT sort), ``long`` or ``float``."""
    if field_type in INT_TYPES:
        return "int"
    return "float" if field_type in FLOAT_TYPES else "long"


def _keyword_ordinals(
    s: Searcher, field: str, docs: np.ndarray, mode: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    inv = s.inverted(field)
    if inv is None or not inv.terms:
        return np.zeros(docs.size), np.zeros(docs.size, dtype=bool), np.zeros(0, dtype=object)
    terms = inv.sorted_terms
    ord_of_tid = np.empty(len(inv.terms), dtype=np.int64)
    ord_of_tid[[inv.terms[t] for t in terms]] = np.arange(terms.size)
    entry_tid = np.repeat(np.arange(len(inv.terms)), np.diff(inv.offsets))
    per_doc = np.full(inv.max_doc, -1 if mode == "max" else np.iinfo(np.int64).max, dtype=np.int64)
    ords = ord_of_tid[entry_tid]
    (np.maximum if mode == "max" else np.minimum).at(per_doc, inv.docs, ords)
    present = np.zeros(inv.max_doc, dtype=bool)
    present[inv.docs] = True
    safe = np.minimum(docs, inv.max_doc - 1)
    has = present[safe] & (docs < inv.max_doc)
    return np.where(has, per_doc[safe], 0).astype(np.float64), has, terms


def _with_missing(
    vals: np.ndarray, present: np.ndarray, spec: SortField, kind: str, desc: bool, terms: np.ndarray | None
) -> tuple[np.ndarray, list[Any]]:
    display: list[Any] = []
    for v, p in zip(vals.tolist(), present.tolist()):
        if p:
            display.append(
                str(terms[int(v)])
                if kind == "keyword" and terms is not None
                else (int(v) if kind in ("long", "int") else float(v))
            )
        else:
            display.append(None)
    keys = -vals if desc else vals.copy()
    missing = spec.missing
    if missing in ("_last", "_first"):
        fill = np.inf if missing == "_last" else -np.inf
        keys[~present] = fill
        placeholder: Any = None
        if kind in ("long", "int"):  # the key is the value itself, as ES's, so ``search_after`` can page past it
            big, small = (LONG_MAX, LONG_MIN) if kind == "long" else (INT_MAX, INT_MIN)
            placeholder = big if (missing == "_last") != desc else small
            keys[~present] = -float(placeholder) if desc else float(placeholder)
        elif kind == "float":
            placeholder = float("inf") if (missing == "_last") != desc else float("-inf")
        display = [d if p else placeholder for d, p in zip(display, present.tolist())]
    else:
        if kind == "keyword":
            raise bad_request(
                "illegal_argument_exception",
                f"custom [missing] values are not supported for keyword sorts in retrievo "
                f"(field [{spec.field}], missing [{missing}])",
            )
        try:
            mv = float(missing)
        except (TypeError, ValueError):
            raise bad_request(
                "illegal_argument_exception", f"failed to parse [missing] value [{missing}] for field [{spec.field}]"
            ) from None
        keys[~present] = -mv if desc else mv
        display = [d if p else (int(mv) if kind in ("long", "int") else mv) for d, p in zip(display, present.tolist())]
    return keys, display


def sort_candidates(
    s: Searcher,
    specs: tuple[SortField, ...],
    docs: np.ndarray,
    scores: np.ndarray,
    search_after: tuple[Any, ...] | None,
) -> tuple[np.ndarray, list[list[Any]]]:
    """Order candidate docs by ``specs`` (doc id breaks ties); returns the order and sort values."""
    keys = [SortKey(s, spec, docs, scores) for spec in specs]
    tie = docs if s.tie_order is None else s.tie_order[docs]  # shard, then doc, with several shards
    order = np.lexsort([tie] + [k.keys for k in reversed(keys)])
    if search_after is not None:
        if len(search_after) != len(specs):
            raise bad_request(
                "illegal_argument_exception",
                f"search_after has {len(search_after)} value(s) but sort has {len(specs)}.",
            )
        after = _after_mask(keys, search_after)
        order = order[after[order]]
    values = [[k.display[i] for k in keys] for i in order.tolist()]
    return order, values


def _after_mask(keys: list[SortKey], after: tuple[Any, ...]) -> np.ndarray:
    """Documents whose sort tuple comes strictly after ``after`` (lexicographic, per-key order)."""
    n = keys[0].keys.size
    greater = np.zeros(n, dtype=bool)
    equal = np.ones(n, dtype=bool)
    for key, value in zip(keys, after):
        target = _key_of(key, value)
        greater |= equal & (key.keys > target)
        equal &= key.keys == target
    return greater


def _ip_after(field: str, value: Any) -> str:
    """``DocValueFormat.IP.parseBytesRef`` of a ``search_after`` value: an address string."""
    try:
        return encode_ip(value)
    except IpParseError as failure:
        raise bad_request("illegal_argument_exception", str(failure)) from None


def _key_of(key: SortKey, value: Any) -> float:
    desc = key.spec.order == "desc"
    terms = getattr(key, "terms", None)
    if terms is not None:
        if key.ip:
            value = _ip_after(key.field, value)
        pos = float(np.searchsorted(terms, str(value), side="left"))
        exact = pos < terms.size and terms[int(pos)] == str(value)
        v = pos if exact else pos - 0.5
    elif key.nanos is not None:
        try:
            nanos = key.parse_date(value) if key.parse_date is not None and isinstance(value, str) else int(value)
        except (BadRequestError, TypeError, ValueError):
            raise bad_request(
                "illegal_argument_exception", f"Failed to parse search_after value [{value}] for field [{key.field}]"
            ) from None
        v = rank_of(key.nanos, nanos)
    elif key.parse_date is not None and isinstance(value, str):
        # DocValueFormat.DateTime.parseLong: a string is read with the field's format (epoch_millis
        # included in the default one), as the sort value would have been printed with it
        try:
            v = float(key.parse_date(value))
        except BadRequestError:
            raise bad_request(
                "illegal_argument_exception", f"Failed to parse search_after value [{value}] for field [{key.field}]"
            ) from None
    else:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise bad_request(
                "illegal_argument_exception", f"Failed to parse search_after value [{value}] for field [{key.field}]"
            ) from None
    return -v if desc else v
