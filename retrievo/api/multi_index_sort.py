"""Merging field-sorted hits from several indices, as Elasticsearch's coordinator merges shard top docs.

Each index is one shard. Every shard answers its own first ``from + size`` hits (its own
``search_after`` cut included), and the coordinator merges them by their sort values
(``SearchPhaseController.sortDocs`` → Lucene's ``TopDocs.merge``): key by key in each key's order, a
keyword's missing value (``null``) first or last whatever the order (``BytesRefFieldComparatorSource``
flips ``missing`` for a reversed sort), then by shard index (index name order), then by doc id — which
within one shard is its own answer's order.

Before merging, ``SortFieldValidation.validateAndMaybeRewrite`` compares each key's Lucene sort type
across the shards that brought hits: ``INT`` with ``LONG`` merges as ``LONG``; any mix with ``FLOAT``
or ``DOUBLE`` merges as ``DOUBLE`` (the values shown become doubles); any other disagreement (a keyword
against a number) fails the whole search with "the field has incompatible sort types".
``numeric_type`` sets the type an index sorts a field as, which is how a ``date`` index and a
``date_nanos`` index merge on one time scale.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

from retrievo.errors import ApiError, BadRequestError, bad_request, error_cause, error_type
from retrievo.index.dates.formatter import DateFormatError, DateFormatter, compile_date_format
from retrievo.index.ip_values import encode_ip
from retrievo.index.searcher import Searcher
from retrievo.lucene.merged_sort import compare_rows

#: Lucene's ``SortField.Type`` of each sortable field type (ES 9: integer, short and byte sort as INT).
_SORT_TYPE = {
    "keyword": "STRING",
    "text": "STRING",
    "ip": "IP",
    "long": "LONG",
    "date": "LONG",
    "date_nanos": "LONG",
    "boolean": "LONG",
    "_seq_no": "LONG",
    "integer": "INT",
    "short": "INT",
    "byte": "INT",
    "float": "FLOAT",
    "half_float": "FLOAT",
    "double": "DOUBLE",
}
_NUMERIC_TYPE = {"long": "LONG", "date": "LONG", "date_nanos": "LONG", "double": "DOUBLE"}
_NUMERIC = frozenset({"INT", "LONG", "FLOAT", "DOUBLE"})
_FLOATING = frozenset({"FLOAT", "DOUBLE"})
LONG_MAX, LONG_MIN = 9223372036854775807, -9223372036854775808
NANOS_PER_MILLI = 1_000_000
#: An ip sort is Lucene's STRING over the encoded addresses; merged on those, it shows the addresses.
_LUCENE_NAME = {"IP": "STRING"}
#: The name Elasticsearch gives the field type it builds for an ``unmapped_type``.
_ANONYMOUS = "__anonymous_"


#: Prints one merged sort value (``None``: shown as the shard gave it).
Printer = Callable[[Any], Any] | None


def raw_sort(request: Any, searcher: Searcher) -> tuple[Any, list[Printer]]:
    """The shard's request with each date sort's ``format`` taken out, so the shard answers the raw
    longs the coordinator merges on (as Elasticsearch's shards do), and how to print them after.
    A ``search_after`` string for such a key is read here with that format, in the resolution the
    shard sorts in (``DocValueFormat.DateTime.parseLong``)."""
    specs = tuple(getattr(request.retriever, "sort", ()))
    if not any(getattr(spec, "format", None) is not None for spec in specs):
        return request, [None] * len(specs)
    printers: list[Printer] = []
    plain: list[Any] = []
    after = list(request.retriever.search_after) if request.retriever.search_after is not None else None
    for i, spec in enumerate(specs):
        fmt = getattr(spec, "format", None)
        info = searcher.field_info(spec.field) if fmt is not None else None
        if fmt is None or info is None or info.type not in ("date", "date_nanos"):
            printers.append(None)  # the shard prints it (or refuses the format itself)
            plain.append(spec)
            continue
        nanos = (spec.numeric_type or info.type) == "date_nanos"
        formatter = _compile(fmt)
        printers.append(functools.partial(_print, formatter.format_nanos if nanos else formatter.format_millis))
        plain.append(spec.model_copy(update={"format": None}))
        if after is not None and i < len(after) and isinstance(after[i], str):
            value = searcher.parse_date_bound(info, after[i], int(time.time() * 1000), False, fmt, None)
            shard_nanos = info.type == "date_nanos"
            if nanos != shard_nanos:
                value = value * NANOS_PER_MILLI if nanos else value // NANOS_PER_MILLI
            after[i] = value
    update: dict[str, Any] = {"sort": tuple(plain)}
    if after is not None:
        update["search_after"] = tuple(after)
    return request.model_copy(update={"retriever": request.retriever.model_copy(update=update)}), printers


def _compile(fmt: str) -> DateFormatter:
    try:
        return compile_date_format(fmt)
    except DateFormatError as bad:
        raise bad_request("illegal_argument_exception", str(bad)) from None


def _print(printer: Callable[[int], str], value: Any) -> Any:
    """A formatted date sort shows ``null`` for a missing value (its Long.MAX/MIN_VALUE stand-in)."""
    if value is None or value in (LONG_MAX, LONG_MIN) or isinstance(value, bool):
        return None
    return printer(int(value))


def sort_type(searcher: Searcher, spec: Any) -> tuple[str, str]:
    """The Lucene sort type one index sorts ``spec`` as, and the field name it reports."""
    if spec.field == "_score":
        return "SCORE", spec.field
    if spec.field == "_doc":
        return "DOC", spec.field
    numeric_type = getattr(spec, "numeric_type", None)
    info = searcher.field_info(spec.field) if spec.field != "_seq_no" else None
    name = spec.field if info is not None or spec.field == "_seq_no" else _ANONYMOUS
    if numeric_type is not None:
        return _NUMERIC_TYPE[numeric_type], name
    field_type = "_seq_no" if spec.field == "_seq_no" else info.type if info is not None else spec.unmapped_type
    return _SORT_TYPE.get(str(field_type), "CUSTOM"), name


def merged_types(types: Sequence[Sequence[tuple[str, str]]]) -> list[str]:
    """Each key's merge type over the shards that brought hits (``SortFieldValidation``); raises
    the error Elasticsearch raises for a key the shards sort as incompatible types."""
    if not types:
        return []
    first = [_LUCENE_NAME.get(t, t) for t, _ in types[0]]
    merged = [t for t, _ in types[0]]
    for shard_types in types[1:]:
        for i, (shown, name) in enumerate(shard_types):
            current = _LUCENE_NAME.get(shown, shown)
            if current == first[i] or "CUSTOM" in (current, first[i]):
                if shown != merged[i] and "IP" in (shown, merged[i]):  # ip beside keyword: bytes as text
                    merged[i] = "STRING"
                continue
            if first[i] in _NUMERIC and current in _NUMERIC:
                floating = merged[i] in _FLOATING or current in _FLOATING or first[i] in _FLOATING
                merged[i] = "DOUBLE" if floating else "LONG"
                continue
            raise _incompatible(name, first[i], current)
    return merged


def _incompatible(field: str, first: str, current: str) -> BadRequestError:
    cause = error_cause(
        "illegal_argument_exception",
        f"Can't sort on field [{field}]; the field has incompatible sort types: [{first}] and [{current}] "
        "across shards!",
    )
    return bad_request(
        "search_phase_execution_exception",
        "",
        caused_by=cause,
        root_cause=[],
        phase="fetch",
        grouped=True,
        failed_shards=[],
    )


def collapsed(ordered: Sequence[dict[str, Any]], collapse: Any) -> list[dict[str, Any]]:
    """The merged hits with each group's first only (``CollapseTopFieldDocs.merge``: every shard
    answers its own top groups; the coordinator keeps the first hit of each collapse value, a
    missing value being one group of its own)."""
    if not isinstance(collapse, dict):
        return list(ordered)
    field = collapse.get("field")
    seen: set[Any] = set()
    out: list[dict[str, Any]] = []
    for hit in ordered:
        values = hit.get("fields", {}).get(field, [None])
        value = values[0] if values else None
        key = (type(value).__name__, value)  # Java's equals: a Long never equals a Double
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


def shard_failed(err: ApiError) -> bool:
    """A failure of one shard (``query_shard_exception``: a sort on a field the index does not map, ...;
    or any failure raised as the shard's own, naming it in ``failed_shards``: an aggregation over a field
    of a type it cannot read, ...): Elasticsearch reports it in ``_shards.failures`` and answers from the
    others. A failure naming no shard (the request's validation, the coordinator's reduce) fails the search."""
    return error_type(err) == "query_shard_exception" or bool(_failed_shards(err))


def _failed_shards(err: ApiError) -> list[dict[str, Any]]:
    error = err.body.get("error") if isinstance(err.body, dict) else None
    if not isinstance(error, dict) or error.get("type") != "search_phase_execution_exception":
        return []
    return [entry for entry in error.get("failed_shards") or [] if isinstance(entry, dict) and "reason" in entry]


def failure_entry(index: str, err: ApiError) -> dict[str, Any]:
    """One ``_shards.failures`` entry (``ShardSearchFailure``)."""
    failed = _failed_shards(err)
    if failed:  # the entry the index reports alone (``ExceptionsHelper.groupBy``: one per index and cause)
        return {**failed[0], "index": index}
    error = err.body["error"] if isinstance(err.body, dict) else {}
    cause = {k: v for k, v in error.items() if k != "root_cause"}
    return {"shard": 0, "index": index, "reason": {**cause, "index": index}}


def failures_error(failures: Sequence[dict[str, Any]]) -> BadRequestError:
    """Some shards failed where ``allow_partial_search_results`` is false."""
    causes = [entry["reason"] for entry in failures]
    return bad_request(
        "search_phase_execution_exception",
        "Partial shards failure",
        caused_by=causes[0],
        root_cause=causes,
        phase="query",
        grouped=True,
        failed_shards=list(failures),
    )


def merge_sorted(
    shard_hits: Sequence[Sequence[dict[str, Any]]],
    specs: Sequence[Any],
    types: Sequence[str],
    printers: Sequence[Sequence[Printer]] = (),
) -> list[dict[str, Any]]:
    """All shards' hits in the coordinator's order; a key merged as ``DOUBLE`` shows double values,
    one with a shard's printer (see :func:`raw_sort`) its formatted value."""
    rows: list[tuple[int, int, list[Any], dict[str, Any]]] = []
    doubles = [i for i, t in enumerate(types) if t == "DOUBLE"]
    addresses = [i for i, t in enumerate(types) if t == "IP"]
    for position, hits in enumerate(shard_hits):
        for rank, hit in enumerate(hits):
            values = list(hit.get("sort", []))
            for i in doubles:
                if isinstance(values[i], (int, float)) and not isinstance(values[i], bool):
                    values[i] = float(values[i])
            if doubles:
                hit = {**hit, "sort": values}
            keys = list(values)
            for i in addresses:  # addresses order by their encoded bytes, not as text
                keys[i] = None if keys[i] is None else encode_ip(keys[i])
            rows.append((position, rank, keys, hit))
    orders = [(spec.order == "desc", getattr(spec, "missing", "_last")) for spec in specs]

    rows.sort(key=functools.cmp_to_key(functools.partial(compare_rows, orders)))
    out: list[dict[str, Any]] = []
    for position, _, _, hit in rows:
        shard_printers = printers[position] if position < len(printers) else ()
        if any(p is not None for p in shard_printers):
            shown = [v if p is None else p(v) for p, v in zip(shard_printers, hit["sort"])]
            hit = {**hit, "sort": shown}
        out.append(hit)
    return out


__all__ = [
    "collapsed",
    "failure_entry",
    "failures_error",
    "merge_sorted",
    "merged_types",
    "raw_sort",
    "shard_failed",
    "sort_type",
]
