"""OpenSearch's ``hybrid`` query: ``{"queries": [...], "filter": {...}, "pagination_depth": n}``.

Read as neural-search's ``HybridQueryBuilder.fromXContent`` reads it: a token loop over the keys, in
order. ``queries`` is an array (or one query object); a sixth sub-query is refused before it is
parsed; ``filter`` must be one query object; ``boost`` other than 1 is refused (scores are shaped by
the normalization processor instead); ``_name`` and ``pagination_depth`` are values; any other key is
``Field is not supported by [hybrid] query``. ``pagination_depth`` is range-checked where OpenSearch
checks it, when the query runs (:mod:`retrievo.opensearch.normalization`).
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import parsing_error
from retrievo.grammar.json.query_common import QueryContext, float_param, int_param, text_param
from retrievo.retrievers.hybrid import MAX_SUB_QUERIES, HybridQuery
from retrievo.retrievers.queries import Query

NAME = "hybrid"


def _sub_queries(value: list[Any], queries: list[Query], ctx: QueryContext) -> None:
    """The array loop: the count is checked before each element, and an empty array fails as a missing
    start object (``parseInnerQueryBuilder`` meets the array's end)."""
    if not value:
        raise parsing_error("[_na] query malformed, must start with start_object")
    for element in value:
        if len(queries) == MAX_SUB_QUERIES:
            raise parsing_error(f"Number of sub-queries exceeds maximum supported by [{NAME}] query")
        queries.append(ctx.inner(element))


def parse_hybrid(body: dict[str, Any], ctx: QueryContext) -> HybridQuery:
    queries: list[Query] = []
    filter_query: Query | None = None
    name: str | None = None
    pagination_depth: int | None = None
    for key, value in body.items():
        if isinstance(value, dict):
            if key == "queries":
                queries.append(ctx.inner(value))
            elif key == "filter":
                filter_query = ctx.inner(value)
            else:
                raise parsing_error(f"Field is not supported by [{NAME}] query")
        elif isinstance(value, list):
            if key == "queries":
                _sub_queries(value, queries, ctx)
            elif key == "filter":
                raise parsing_error(f"[{NAME}] query's [filter] field must be a query object")
            else:
                raise parsing_error(f"Field is not supported by [{NAME}] query")
        elif key == "boost":
            if float_param(NAME, key, value) != 1.0:
                raise parsing_error(f"[{NAME}] query does not support [boost]")
        elif key == "_name":
            name = text_param(NAME, key, value)
        elif key == "pagination_depth":
            pagination_depth = int_param(NAME, key, value)
        elif key == "filter":
            raise parsing_error(f"[{NAME}] query's [filter] field must be a query object")
        else:
            raise parsing_error(f"Field is not supported by [{NAME}] query")
    if not queries:
        raise parsing_error(f"[{NAME}] requires 'queries' field with at least one clause")
    return HybridQuery(queries=tuple(queries), filter=filter_query, pagination_depth=pagination_depth, name=name)
