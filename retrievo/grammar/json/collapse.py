"""``collapse`` → :class:`Collapse`, as ``CollapseBuilder`` and ``InnerHitBuilder`` read it.

Both are Elasticsearch ``ObjectParser`` objects, so a key nobody knows is ``[collapse] unknown field``
/ ``[inner_hits] unknown field`` and a bad value is ``[...] failed to parse field [...]`` around its
cause. ``inner_hits`` options retrievo does not implement (``explain``, ``version``, ``highlight``,
``script_fields``, ``docvalue_fields``, a second-level collapse with inner hits of its own) are
refused by name rather than ignored.

This module reads ``_source`` and ``fields`` itself instead of borrowing the search body's readers:
the search body's parser imports this one, so borrowing back would close an import cycle.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.objects import (
    BOOLEAN,
    NUMBER,
    OBJECT,
    OBJECT_ARRAY,
    STRING,
    Field,
    parse_object,
)
from retrievo.grammar.json.sort import parse_sort
from retrievo.grammar.json.stored_fields import parse_stored_fields
from retrievo.retrievers.collapse import Collapse, InnerHits
from retrievo.retrievers.rescorer import RescorerRetriever
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.search import FieldAndFormat, SourceFilter
from retrievo.retrievers.standard import StandardRetriever

#: Any token at all: the field's own reader decides.
_ANY = frozenset({jv.VALUE_STRING, jv.VALUE_NUMBER, jv.VALUE_BOOLEAN, jv.START_OBJECT, jv.START_ARRAY})
_MISSING_NAME = "inner_hits must have a [name]; set the [name] field in the inner_hits definition"


def _positive(value: Any) -> int:
    number = jv.java_int(value)
    if number < 1:
        raise illegal_argument("maxConcurrentGroupRequests` must be positive")
    return number


def _field_name(value: Any) -> str:
    if not value:
        raise illegal_argument("field name is null or empty")
    return str(value)


def _patterns(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            raise parsing_error(f"Unknown key for a {jv.token_of(item)} in [_source].")
        out[item] = None
    return tuple(out)


def _source(value: Any) -> SourceFilter:
    """``FetchSourceContext.fromXContent``: a boolean, pattern(s), or ``includes``/``excludes``."""
    if isinstance(value, bool) or value in ("true", "false"):
        return SourceFilter(enabled=jv.java_bool(value))
    if isinstance(value, (str, list)):
        return SourceFilter(includes=_patterns(value))
    if not isinstance(value, dict):
        raise parsing_error(
            f"Expected one of [VALUE_BOOLEAN, VALUE_STRING, START_ARRAY, START_OBJECT] but found [{jv.token_of(value)}]"
        )
    found: dict[str, tuple[str, ...]] = {}
    for key, patterns in value.items():
        target = {"includes": "includes", "include": "includes", "excludes": "excludes", "exclude": "excludes"}.get(key)
        if target is None:
            raise parsing_error(f"Unknown key for a {jv.token_of(patterns)} in [{key}].")
        found[target] = _patterns(patterns)
    return SourceFilter(includes=found.get("includes", ()), excludes=found.get("excludes", ()))


def _field_and_format(element: Any) -> FieldAndFormat:
    if jv.is_value(element):
        return FieldAndFormat(field=jv.java_text(element))
    if not isinstance(element, dict) or not isinstance(element.get("field"), str):
        raise illegal_argument("Required [field]")
    unknown = set(element) - {"field", "format", "include_unmapped"}
    if unknown:
        raise parsing_error(f"[fetch_field_and_format] unknown field [{sorted(unknown)[0]}]")
    include = element.get("include_unmapped")
    return FieldAndFormat(
        field=element["field"],
        format=element.get("format"),
        include_unmapped=None if include is None else jv.java_bool(include),
    )


def _fields(value: Any) -> tuple[FieldAndFormat, ...]:
    return tuple(_field_and_format(e) for e in (value if isinstance(value, list) else [value]))


def _at_least_zero(name: str, value: Any) -> int:
    """``InnerHitBuilder.setFrom``/``setSize``."""
    number = jv.java_int(value)
    if number < 0:
        raise illegal_argument(f"illegal {name} value, at least 0 or higher")
    return number


def _refuse(option: str, default: Any = None) -> Field:
    """An ``inner_hits`` option retrievo does not implement: its default passes, anything else is refused."""

    def parse(value: Any) -> Any:
        if value != default and not (default is False and value == "false"):
            raise not_supported(f"[inner_hits] parameter [{option}]")
        return value

    return Field(_ANY, parse)


def _inner_collapse(value: Any) -> Collapse:
    """An inner hit's second-level collapse: exactly ``{"field": "<name>"}`` (no inner hits, no other
    options), or ``Invalid token in the inner collapse``."""
    if list(value) != ["field"] or not isinstance(value["field"], str):
        raise parsing_error("Invalid token in the inner collapse")
    return Collapse(field=value["field"])


_INNER_HITS_FIELDS: dict[str, Field] = {
    "name": Field(STRING, lambda v: v),
    "ignore_unmapped": Field(BOOLEAN, jv.java_bool),
    "from": Field(NUMBER, lambda v: _at_least_zero("from", v)),
    "size": Field(NUMBER, lambda v: _at_least_zero("size", v)),
    "explain": _refuse("explain", False),
    "version": Field(BOOLEAN, jv.java_bool),
    "seq_no_primary_term": Field(BOOLEAN, jv.java_bool),
    "track_scores": Field(BOOLEAN, jv.java_bool),
    "stored_fields": Field(_ANY, lambda v: parse_stored_fields("stored_fields", v)),
    "docvalue_fields": _refuse("docvalue_fields"),
    "fields": Field(OBJECT_ARRAY, _fields),
    "script_fields": _refuse("script_fields"),
    "sort": Field(OBJECT_ARRAY, parse_sort),
    "highlight": _refuse("highlight"),
    "_source": Field(_ANY, _source),
    "collapse": Field(OBJECT, _inner_collapse),
}


def parse_inner_hits(body: Any) -> InnerHits:
    """``InnerHitBuilder.fromXContent``."""
    parsed = parse_object("inner_hits", body, _INNER_HITS_FIELDS)
    if parsed.get("name") is None:
        raise illegal_argument(_MISSING_NAME)
    return InnerHits(
        name=parsed["name"],
        from_=parsed.get("from", 0),
        size=parsed.get("size", 3),
        sort=parsed.get("sort", ()),
        source=parsed.get("_source"),
        fields=parsed.get("fields"),
        track_scores=parsed.get("track_scores", False),
        ignore_unmapped=parsed.get("ignore_unmapped"),
        collapse=parsed.get("collapse"),
        stored_fields=parsed.get("stored_fields"),
        seq_no_primary_term=parsed.get("seq_no_primary_term", False),
        version=parsed.get("version", False),
    )


def _inner_hits(value: Any) -> tuple[tuple[InnerHits, ...], bool]:
    if isinstance(value, dict):
        return (parse_inner_hits(value),), False
    out: list[InnerHits] = []
    for element in value:
        if not isinstance(element, dict):
            raise parsing_error("Invalid token in inner_hits array")
        out.append(parse_inner_hits(element))
    return tuple(out), True


_COLLAPSE_FIELDS: dict[str, Field] = {
    "field": Field(STRING, _field_name),
    "max_concurrent_group_searches": Field(NUMBER, _positive),
    "inner_hits": Field(OBJECT_ARRAY, _inner_hits),
}


def parse_collapse(body: Any) -> Collapse:
    """``CollapseBuilder.fromXContent``."""
    if not isinstance(body, dict):
        raise parsing_error(f"[collapse] Expected START_OBJECT but was: {jv.token_of(body)}")
    parsed = parse_object("collapse", body, _COLLAPSE_FIELDS)
    inner, as_list = parsed.get("inner_hits", ((), False))
    return Collapse(
        field=parsed.get("field"),
        inner_hits=inner,
        inner_hits_list=as_list,
        max_concurrent_group_searches=parsed.get("max_concurrent_group_searches", 0),
    )


def attach_collapse(retriever: Retriever, collapse: Collapse | None) -> tuple[Retriever, Collapse | None]:
    """Where a top-level ``collapse`` lives: in the ``standard`` retriever a top-level query became
    (or a top-level ``standard`` retriever without one of its own: Elasticsearch copies the
    retriever's collapse into the search source over the body's), otherwise on the request, where it
    collapses the ranking the retriever tree produced."""
    if collapse is None:
        return retriever, None
    if isinstance(retriever, StandardRetriever):
        if retriever.collapse is None:
            retriever = retriever.model_copy(update={"collapse": collapse})
        return retriever, None
    if isinstance(retriever, RescorerRetriever) and retriever.top_level:  # refused when planned, as on the shard
        inner = retriever.retriever
        if isinstance(inner, StandardRetriever):
            return retriever.model_copy(update={"retriever": inner.model_copy(update={"collapse": collapse})}), None
    return retriever, collapse
