"""A search body → :class:`SearchRequest`, as ``SearchSourceBuilder.parseXContent`` reads it.

Elasticsearch dispatches every body key on its token first (a value, an object or an array); a key
in the wrong shape, or a key nobody knows, is ``Unknown key for a <TOKEN> in [<key>].``. Keys
Elasticsearch knows but retrievo does not implement are rejected with ``not_supported`` *after* the
whole body has been read, because Elasticsearch would have parsed them and gone on to later checks
(such as ``cannot specify [retriever] and [...]``) that the user deserves to see first.

A top-level ``query`` (with ``sort``, ``min_score``, ``terminate_after``, ``search_after``) becomes
a ``standard`` retriever — exactly what Elasticsearch rewrites a top-level ``standard`` retriever
into — with ``top_level_query=True`` so that it prints back in the form it came in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.aggregations.registry import parse_aggregations
from retrievo.errors import (
    BadRequestError,
    error_cause,
    illegal_argument,
    not_supported,
    parsing_error,
    shard_failure,
    validation_error,
)
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.collapse import attach_collapse, parse_collapse
from retrievo.grammar.json.errors import failed_field, unknown_field, unsupported_token, x_content
from retrievo.grammar.json.highlight import parse_highlight
from retrievo.grammar.json.knn import parse_knn_section
from retrievo.grammar.json.legacy_rank import (
    check_supported,
    parse_rank,
    parse_sub_searches,
    sub_searches,
    to_rrf_retriever,
    validation_failures,
)
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.grammar.json.rescore import parse_rescore_section
from retrievo.grammar.json.retrievers import parse_retriever
from retrievo.grammar.json.sort import parse_search_after, parse_sort
from retrievo.grammar.json.stored_fields import parse_stored_fields
from retrievo.retrievers.fusion import CompoundRetriever
from retrievo.retrievers.rescorer import RescorerRetriever
from retrievo.retrievers.search import FieldAndFormat, SearchRequest, SourceFilter
from retrievo.retrievers.standard import StandardRetriever
from retrievo.suggest.parse import parse_suggest

#: ``index.max_result_window`` default.
DEFAULT_MAX_RESULT_WINDOW = 10_000

#: Top-level keys that cannot be combined with ``retriever``, in the order Elasticsearch lists them
#: in ``cannot specify [retriever] and [...]``. ``min_score`` is allowed with a compound retriever
#: (it then cuts the fused scores, spec §1.3), so it only conflicts with ``standard``/``knn``.
#: compound retrievers; keep the list in this one place.
RETRIEVER_EXCLUSIVE_KEYS: tuple[str, ...] = (
    "query",
    "knn",
    "search_after",
    "terminate_after",
    "sort",
    "rank",
    "rescore",
    "min_score",
)

_VALUE = "value"
#: Which keys ``SearchSourceBuilder`` accepts for each kind of token.
_ACCEPTS: dict[str, frozenset[str]] = {
    _VALUE: frozenset(
        {
            "from",
            "size",
            "timeout",
            "terminate_after",
            "min_score",
            "version",
            "seq_no_primary_term",
            "explain",
            "track_scores",
            "track_total_hits",
            "_source",
            "stored_fields",
            "sort",
            "profile",
        }
    ),
    jv.START_OBJECT: frozenset(
        {
            "retriever",
            "query",
            "post_filter",
            "knn",
            "rank",
            "_source",
            "script_fields",
            "aggregations",
            "aggs",
            "highlight",
            "suggest",
            "sort",
            "rescore",
            "ext",
            "slice",
            "collapse",
            "pit",
            "runtime_mappings",
        }
    ),
    jv.START_ARRAY: frozenset(
        {
            "stored_fields",
            "docvalue_fields",
            "fields",
            "indices_boost",
            "sort",
            "rescore",
            "stats",
            "_source",
            "search_after",
            "knn",
            "sub_searches",
        }
    ),
}
#: Boolean flags whose default (``false``) is what retrievo does anyway (none left: ``version`` runs).
_DEFAULT_FALSE_FLAGS: frozenset[str] = frozenset()


def _int(key: str, value: Any) -> int:
    try:
        return jv.java_int(value)
    except jv.BadValue as bad:
        raise failed_field(None, key, bad.cause) from None


def _non_negative(key: str, value: Any) -> int:
    """``SearchSourceBuilder.from``/``size``."""
    number = _int(key, value)
    if number < 0:
        raise illegal_argument(f"[{key}] parameter cannot be negative, found [{number}]")
    return number


def _terminate_after(key: str, value: Any) -> int | None:
    number = _int(key, value)
    if number < 0:
        raise illegal_argument("terminateAfter must be > 0")
    return number or None


def _float(key: str, value: Any) -> float:
    try:
        return jv.java_float(value)
    except jv.BadValue as bad:
        raise failed_field(None, key, bad.cause) from None


def _bool(key: str, value: Any) -> bool:
    try:
        return jv.java_bool(value)
    except jv.BadValue as bad:
        raise failed_field(None, key, bad.cause) from None


def _track_total_hits(key: str, value: Any) -> bool | int:
    """``true``/``false``, or a count; ``-1`` means ``false`` and ``Integer.MAX_VALUE`` ``true``."""
    if isinstance(value, bool) or value in ("true", "false"):
        return _bool(key, value)
    number = _int(key, value)
    if number < -1:
        raise illegal_argument(f"[track_total_hits] parameter must be positive or equals to -1, got {number}")
    return False if number == -1 else True if number == jv.INT_MAX else number


def _strings(values: list[Any], name: str) -> tuple[str, ...]:
    """A ``_source`` pattern array: strings only, duplicates dropped, order kept."""
    out: dict[str, None] = {}
    for element in values:
        if not isinstance(element, str):
            raise parsing_error(f"Unknown key for a {jv.token_of(element)} in [{name}].")
        out[element] = None
    return tuple(out)


def parse_source(key: str, value: Any) -> SourceFilter:
    """``FetchSourceContext.fromXContent``."""
    if isinstance(value, bool):
        return SourceFilter(enabled=value)
    if isinstance(value, str):
        return SourceFilter(includes=(value,))
    if isinstance(value, list):
        return SourceFilter(includes=_strings(value, key))
    if not isinstance(value, dict):
        raise parsing_error(
            f"Expected one of [VALUE_BOOLEAN, VALUE_STRING, START_ARRAY, START_OBJECT] but found [{jv.token_of(value)}]"
        )
    patterns: dict[str, tuple[str, ...]] = {}
    for name, patterns_value in value.items():
        if name == "exclude_vectors" and isinstance(patterns_value, (bool, str)):
            # ``false`` is what retrievo does (vectors stay in _source); the official client's
            # ``Document.search()`` sends it on every request.
            if _bool(name, patterns_value):
                raise not_supported("[_source] parameter [exclude_vectors: true]")
            continue
        target = {"includes": "includes", "include": "includes", "excludes": "excludes", "exclude": "excludes"}.get(
            name
        )
        if target is None or not isinstance(patterns_value, (str, list)):
            raise parsing_error(f"Unknown key for a {jv.token_of(patterns_value)} in [{name}].")
        patterns[target] = (patterns_value,) if isinstance(patterns_value, str) else _strings(patterns_value, name)
    return SourceFilter(includes=patterns.get("includes", ()), excludes=patterns.get("excludes", ()))


_FIELD_AND_FORMAT = "fetch_field_and_format"
_FIELD_AND_FORMAT_KEYS = ("field", "format", "include_unmapped")


def _field_and_format(element: Any) -> FieldAndFormat:
    """``FieldAndFormat.fromXContent``: a scalar is a field name; an object is read by the
    ``fetch_field_and_format`` object parser (``field`` required, ``format`` string or null,
    ``include_unmapped`` boolean)."""
    if jv.is_value(element):
        return FieldAndFormat(field=jv.java_text(element))
    if not isinstance(element, dict):
        raise x_content(f"[{_FIELD_AND_FORMAT}] Expected START_OBJECT but was: {jv.token_of(element)}")
    field: str | None = None
    fmt: str | None = None
    include_unmapped: bool | None = None
    for name, value in element.items():
        if name not in _FIELD_AND_FORMAT_KEYS:
            raise unknown_field(_FIELD_AND_FORMAT, name, _FIELD_AND_FORMAT_KEYS)
        token = jv.token_of(value)
        if name == "field":
            if token != jv.VALUE_STRING:
                raise unsupported_token(_FIELD_AND_FORMAT, name, token)
            field = value
        elif name == "format":
            if token not in (jv.VALUE_STRING, jv.VALUE_NULL):
                raise unsupported_token(_FIELD_AND_FORMAT, name, token)
            fmt = value
        else:
            if token not in (jv.VALUE_BOOLEAN, jv.VALUE_STRING):
                raise unsupported_token(_FIELD_AND_FORMAT, name, token)
            try:
                include_unmapped = jv.java_bool(value)
            except jv.BadValue as bad:
                raise failed_field(_FIELD_AND_FORMAT, name, bad.cause) from None
    if field is None:
        raise illegal_argument("Required [field]")
    return FieldAndFormat(field=field, format=fmt, include_unmapped=include_unmapped)


def _fields_list(key: str, value: Any) -> tuple[FieldAndFormat, ...]:
    """``fields`` / ``docvalue_fields``: an array of names or ``{"field": ...}`` objects."""
    return tuple(_field_and_format(element) for element in value)


def _sort(key: str, value: Any) -> Any:
    """A scalar sort is ``sort(parser.text())``; anything else goes to ``SortBuilder``."""
    return parse_sort(jv.java_text(value) if jv.is_value(value) else value)


_HANDLERS: dict[str, Callable[[str, Any], Any]] = {
    "from": _non_negative,
    "size": _non_negative,
    "terminate_after": _terminate_after,
    "min_score": _float,
    "explain": _bool,
    "track_scores": _bool,
    "profile": _bool,
    "track_total_hits": _track_total_hits,
    "_source": parse_source,
    "sort": _sort,
    "search_after": lambda key, value: parse_search_after(value),
    "query": lambda key, value: parse_top_level_query(value),
    "retriever": lambda key, value: parse_retriever(value),
    "knn": lambda key, value: value,  # parsed once ``size`` is known (it is k's default)
    "rank": lambda key, value: parse_rank(value),
    "sub_searches": lambda key, value: parse_sub_searches(value),
    "rescore": lambda key, value: parse_rescore_section(value),
    "fields": _fields_list,
    "docvalue_fields": _fields_list,
    "stored_fields": parse_stored_fields,
    "aggs": lambda key, value: parse_aggregations(value),
    "aggregations": lambda key, value: parse_aggregations(value),
    "collapse": lambda key, value: parse_collapse(value),
    "highlight": lambda key, value: parse_highlight(value),
    "suggest": lambda key, value: parse_suggest(value),
    **{flag: _bool for flag in _DEFAULT_FALSE_FLAGS},
    "seq_no_primary_term": _bool,
    "version": _bool,
}


def _read_body(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Every key, in order: shape check, then parse; returns the parsed values and the first
    key retrievo cannot honour (reported later)."""
    parsed: dict[str, Any] = {}
    unsupported: str | None = None
    for key, value in body.items():
        token = jv.token_of(value)
        if key not in _ACCEPTS.get(_VALUE if jv.is_value(value) else token, frozenset()):
            raise parsing_error(f"Unknown key for a {token} in [{key}].")
        handler = _HANDLERS.get(key)
        if handler is None:
            unsupported = unsupported or key
            continue
        parsed[key] = handler(key, value)
        if key in _DEFAULT_FALSE_FLAGS and parsed[key]:
            unsupported = unsupported or key
    return parsed, unsupported


def _check_retriever_conflicts(body: dict[str, Any], parsed: dict[str, Any]) -> None:
    """``cannot specify [retriever] and [...]``: keys that only make sense without a retriever."""

    def present(key: str) -> bool:
        if key == "terminate_after":
            return parsed.get(key) is not None
        if key == "knn":
            return key in body and body[key] != []
        if key == "min_score":
            return key in body and not isinstance(parsed.get("retriever"), (CompoundRetriever, RescorerRetriever))
        if key == "query":  # Elasticsearch keeps ``query`` and ``sub_searches`` in one list of sub searches
            return key in body or bool(body.get("sub_searches"))
        return key in body

    if "retriever" in body:
        conflicting = [key for key in RETRIEVER_EXCLUSIVE_KEYS if present(key)]
        if conflicting:
            raise illegal_argument(f"cannot specify [retriever] and [{', '.join(conflicting)}]")


def result_window_error(index: str, window: int, limit: int) -> BadRequestError:
    """What Elasticsearch's query phase answers when ``from + size`` exceeds the window."""
    cause = error_cause(
        "illegal_argument_exception",
        f"Result window is too large, from + size must be less than or equal to: [{limit}] but "
        f"was [{window}]. See the scroll api for a more efficient way to request large data "
        "sets. This limit can be set by changing the [index.max_result_window] index level "
        "setting.",
    )
    return shard_failure(index, cause)


def _source_requested(parsed: dict[str, Any]) -> bool:
    """An explicit ``_source: true`` where it matters: beside named ``stored_fields``."""
    stored = parsed.get("stored_fields")
    return stored is not None and stored.fetch and parsed.get("_source") == SourceFilter()


def _validate(body: dict[str, Any], parsed: dict[str, Any]) -> None:
    """``SearchRequest.validate``: every failed check, numbered, in Elasticsearch's order."""
    failures: list[str] = []
    if parsed.get("from", 0) > 0 and parsed.get("search_after"):
        failures.append("[from] parameter must be set to 0 when [search_after] is used")
    stored = parsed.get("stored_fields")
    if stored is not None and not stored.fetch:
        source = parsed.get("_source")
        if source is not None and source.enabled:
            failures.append("[stored_fields] cannot be disabled if [_source] is requested")
        if "fields" in parsed:
            failures.append("[stored_fields] cannot be disabled when using the [fields] option")
    failures += validation_failures(body, parsed)
    if failures:
        raise validation_error(*failures)


def parse_search(
    index: str, body: dict[str, Any] | None, *, max_result_window: int = DEFAULT_MAX_RESULT_WINDOW
) -> SearchRequest:
    """Parse a search body for ``index`` (``None`` is an empty body)."""
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise parsing_error(f"Expected [START_OBJECT] but found [{jv.token_of(body)}]")
    parsed, unsupported = _read_body(body)
    _check_retriever_conflicts(body, parsed)
    if unsupported is not None:
        raise not_supported(f"[{unsupported}] search parameter")
    queries = sub_searches(body, parsed)
    _validate(body, parsed)
    knn = parse_knn_section(parsed["knn"], parsed.get("size", 10)) if parsed.get("knn") else ()
    if "retriever" in parsed:
        retriever = parsed["retriever"]
    elif "rank" in parsed:
        check_supported(body)
        retriever = to_rrf_retriever(parsed["rank"], queries, knn)
    else:
        retriever = StandardRetriever(
            query=queries[0] if queries else None,
            sort=parsed.get("sort", ()),
            min_score=parsed.get("min_score"),
            terminate_after=parsed.get("terminate_after"),
            search_after=parsed.get("search_after"),
            knn=knn,
        )
        if parsed.get("rescore"):
            retriever = RescorerRetriever(retriever=retriever, rescore=parsed["rescore"], top_level=True)
    retriever, collapse = attach_collapse(retriever, parsed.get("collapse"))
    request = SearchRequest(
        index=index,
        retriever=retriever,
        collapse=collapse,
        size=parsed.get("size", 10),
        size_given=parsed.get("size") == 10,  # only an explicit default needs telling apart
        from_=parsed.get("from", 0),
        source=parsed.get("_source", SourceFilter()),
        explain=parsed.get("explain", False),
        track_total_hits=parsed.get("track_total_hits", 10_000),
        track_scores=parsed.get("track_scores", False),
        seq_no_primary_term=parsed.get("seq_no_primary_term", False),
        version=parsed.get("version", False),
        top_level_query="retriever" not in parsed and "rank" not in parsed,
        legacy_rank="retriever" not in parsed and "rank" in parsed,
        min_score=parsed.get("min_score") if "retriever" in parsed else None,
        profile=parsed.get("profile", False),
        fields=parsed.get("fields"),
        docvalue_fields=parsed.get("docvalue_fields"),
        stored_fields=parsed.get("stored_fields"),
        source_requested=_source_requested(parsed),
        aggs=parsed.get("aggregations", parsed.get("aggs", ())),
        highlight=parsed.get("highlight"),
        suggest=parsed.get("suggest"),
    )
    window = request.from_ + request.size
    if window > max_result_window:
        raise result_window_error(index, window, max_result_window)
    return request
