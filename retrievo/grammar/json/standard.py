"""``standard``: the retriever that runs a query (``StandardRetrieverBuilder``)."""

from __future__ import annotations

from typing import Any

from retrievo.errors import illegal_argument
from retrievo.grammar.json.collapse import parse_collapse
from retrievo.grammar.json.objects import OBJECT, OBJECT_ARRAY, Field, int_field, parse_object
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.grammar.json.retriever_common import BASE_FIELDS, base_kwargs
from retrievo.grammar.json.sort import parse_search_after, parse_sort
from retrievo.retrievers.standard import StandardRetriever

_FIELDS: dict[str, Field] = {
    "query": Field(OBJECT, parse_top_level_query),
    "search_after": Field(OBJECT_ARRAY, parse_search_after),
    "terminate_after": int_field(),
    "sort": Field(OBJECT_ARRAY, parse_sort),
    "collapse": Field(OBJECT, parse_collapse),
    **BASE_FIELDS,
}


def parse_standard(body: dict[str, Any]) -> StandardRetriever:
    """``StandardRetrieverBuilder.PARSER``; ``terminate_after`` is checked after parsing, when
    Elasticsearch copies it into the search source."""
    parsed = parse_object("standard", body, _FIELDS)
    terminate_after = parsed.get("terminate_after")
    if terminate_after is not None and terminate_after < 0:
        raise illegal_argument("terminateAfter must be > 0")
    return StandardRetriever(
        query=parsed.get("query"),
        sort=parsed.get("sort", ()),
        terminate_after=terminate_after or None,
        search_after=parsed.get("search_after"),
        collapse=parsed.get("collapse"),
        **base_kwargs(parsed),
    )
