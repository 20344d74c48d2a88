"""The ``knn`` query (``KnnVectorQueryBuilder.PARSER``), with Elasticsearch's messages.

A ``ConstructingObjectParser`` whose only required argument is ``field``: a missing ``field`` escapes
as the bare ``illegal_argument_exception`` ``Required [field]`` (nothing between the query dispatch and
the parser wraps it), while the constructor's checks (``k``, ``num_candidates``, vector xor builder) fail
in the build step, ``Failed to build [knn] after last required field arrived`` around them. ``filter``
queries are parsed as top-level queries (``parseTopLevelQuery``: a fresh nesting count).
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, error_cause, illegal_argument, not_supported
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import is_negative, negative_boost, x_content
from retrievo.grammar.json.objects import (
    OBJECT,
    OBJECT_ARRAY,
    Field,
    float_field,
    int_field,
    parse_array,
    parse_object,
    string_field,
)
from retrievo.grammar.json.query_common import QueryContext
from retrievo.grammar.json.vector_values import (
    VECTOR_TOKENS,
    query_vector,
    required,
    rescore_vector,
    text_embedding_body,
)
from retrievo.retrievers.knn import NUM_CANDIDATES_LIMIT
from retrievo.retrievers.knn_query import KnnQuery

NAME = "knn"
_ANY = frozenset({jv.START_OBJECT, jv.START_ARRAY, jv.VALUE_STRING, jv.VALUE_NUMBER, jv.VALUE_BOOLEAN})


def _builder(value: Any) -> tuple[str | None, str]:
    """``text_embedding``'s ``model_id`` (optional here: a ``semantic_text`` field supplies its own) and
    ``model_text``."""
    name, parsed = text_embedding_body(value)
    required(name, parsed, ("model_text",))
    return parsed.get("model_id"), parsed["model_text"]


def _visit_percentage(_: Any) -> None:
    raise not_supported(f"[{NAME}] parameter [visit_percentage]")


def _build_failure(reason: str) -> ApiError:
    """A constructor check failing in ``ConstructingObjectParser``'s build step."""
    return x_content(
        f"Failed to build [{NAME}] after last required field arrived",
        cause=error_cause("illegal_argument_exception", reason),
    )


def _check(parsed: dict[str, Any]) -> None:
    """``KnnVectorQueryBuilder``'s constructor checks, in its order."""
    k, num_candidates = parsed.get("k"), parsed.get("num_candidates")
    if k is not None and k < 1:
        raise _build_failure("[k] must be greater than 0")
    if num_candidates is not None and num_candidates > NUM_CANDIDATES_LIMIT:
        raise _build_failure(f"[num_candidates] cannot exceed [{NUM_CANDIDATES_LIMIT}]")
    if k is not None and num_candidates is not None and num_candidates < k:
        raise _build_failure("[num_candidates] cannot be less than [k]")
    has_vector, has_builder = "query_vector" in parsed, "query_vector_builder" in parsed
    if not has_vector and not has_builder:
        raise _build_failure("either [query_vector] or [query_vector_builder] must be provided")
    if has_vector and has_builder:
        raise _build_failure("only one of [query_vector] and [query_vector_builder] must be provided")


def parse_knn_query(body: dict[str, Any], ctx: QueryContext) -> KnnQuery:
    """``{"knn": {...}}`` where a query goes → :class:`KnnQuery`."""
    top_level = QueryContext(dispatch=ctx.dispatch)
    fields: dict[str, Field] = {
        "field": string_field(),
        "query_vector": Field(VECTOR_TOKENS, query_vector),
        "k": int_field(),
        "num_candidates": int_field(),
        "visit_percentage": Field(_ANY, _visit_percentage),
        "similarity": float_field(),
        "query_vector_builder": Field(OBJECT, _builder),
        "rescore_vector": Field(OBJECT, rescore_vector),
        "filter": Field(OBJECT_ARRAY, lambda v: tuple(parse_array(v, top_level.inner))),
        "boost": float_field(),
        "_name": string_field(),
    }
    parsed = parse_object(NAME, body, fields)
    if "field" not in parsed:
        raise illegal_argument("Required [field]")
    _check(parsed)
    boost = parsed.get("boost", 1.0)
    if is_negative(boost):
        raise negative_boost(NAME, body)
    model_id, model_text = parsed.get("query_vector_builder", (None, None))
    return KnnQuery(
        field=parsed["field"],
        query_vector=parsed.get("query_vector"),
        model_id=model_id,
        model_text=model_text,
        k=parsed.get("k"),
        num_candidates=parsed.get("num_candidates"),
        similarity=parsed.get("similarity"),
        filter=parsed.get("filter", ()),
        rescore_oversample=parsed.get("rescore_vector"),
        boost=boost,
        name=parsed.get("_name"),
    )


def with_alias_prefilter(query: Any, alias_filter: Any) -> Any:
    """``query`` (JSON) with ``alias_filter`` added to the ``filter`` of every ``knn`` query in it.

    Elasticsearch hands a filtered alias's filter to each ``knn`` query as one more pre-filter
    (``context.getAliasFilter()`` in ``doToQuery``), so the k nearest are found among the alias's documents;
    a filter around the whole query alone would keep fewer than k of them. A ``knn`` query is an object
    under the key ``knn`` naming a ``field`` (a ``term`` query on a field called ``knn`` names none)."""
    if isinstance(query, list):
        return [with_alias_prefilter(q, alias_filter) for q in query]
    if not isinstance(query, dict):
        return query
    out = {}
    for key, value in query.items():
        value = with_alias_prefilter(value, alias_filter)
        if key == NAME and isinstance(value, dict) and "field" in value:
            own = value.get("filter", [])
            value = {**value, "filter": [*(own if isinstance(own, list) else [own]), alias_filter]}
        out[key] = value
    return out
