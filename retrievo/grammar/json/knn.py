"""``knn``: the retriever and the top-level search section (``KnnSearchBuilder`` /
``KnnRetrieverBuilder``), with Elasticsearch's validation messages.

The retriever requires ``k`` and ``num_candidates``; the top-level section defaults ``k`` to the
request size and ``num_candidates`` to ``round(min(1.5 k, 10000))``.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause, illegal_argument, not_supported
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import x_content
from retrievo.grammar.json.objects import (
    OBJECT,
    OBJECT_ARRAY,
    Field,
    float_field,
    int_field,
    parse_object,
    string_field,
)
from retrievo.grammar.json.retriever_common import BASE_FIELDS, base_kwargs, parse_filters
from retrievo.grammar.json.vector_values import VECTOR_TOKENS, query_vector, query_vector_builder, rescore_vector
from retrievo.retrievers.knn import NUM_CANDIDATES_LIMIT, KnnRetriever, KnnSearch

__all__ = ["default_num_candidates", "parse_knn_retriever", "parse_knn_section", "query_vector_builder"]


def _unsupported(name: str) -> Field:
    def reject(_: Any) -> None:
        raise not_supported(f"[knn] parameter [{name}]")

    return Field(
        frozenset({jv.START_OBJECT, jv.START_ARRAY, jv.VALUE_STRING, jv.VALUE_NUMBER, jv.VALUE_BOOLEAN}), reject
    )


_COMMON: dict[str, Field] = {
    "field": string_field(),
    "query_vector": Field(VECTOR_TOKENS, query_vector),
    "query_vector_builder": Field(OBJECT, query_vector_builder),
    "k": int_field(),
    "num_candidates": int_field(),
    "similarity": float_field(),
    "rescore_vector": Field(OBJECT, rescore_vector),
    "visit_percentage": _unsupported("visit_percentage"),
}
_RETRIEVER_FIELDS: dict[str, Field] = {**_COMMON, **BASE_FIELDS}
_SECTION_FIELDS: dict[str, Field] = {
    **_COMMON,
    "filter": Field(OBJECT_ARRAY, parse_filters),
    "boost": float_field(),
    "_name": string_field(),
    "inner_hits": _unsupported("inner_hits"),
}


def _validate(parsed: dict[str, Any], k: int, num_candidates: int) -> None:
    if "field" not in parsed:
        raise x_content(
            "[knn] failed to parse object", cause=error_cause("illegal_argument_exception", "Required [field]")
        )
    has_vector, has_builder = "query_vector" in parsed, "query_vector_builder" in parsed
    if has_vector and has_builder:
        raise illegal_argument("only one of [query_vector] and [query_vector_builder] must be provided")
    if not has_vector and not has_builder:
        raise illegal_argument("either [query_vector] or [query_vector_builder] must be provided")
    if k < 1:
        raise illegal_argument("[k] must be greater than 0")
    if num_candidates > NUM_CANDIDATES_LIMIT:
        raise illegal_argument(f"[num_candidates] cannot exceed [{NUM_CANDIDATES_LIMIT}]")
    if num_candidates < k:
        raise illegal_argument("[num_candidates] cannot be less than [k]")
    if "boost" in parsed and parsed["boost"] < 0:
        raise illegal_argument(f"[knn] boost must be non-negative, found [{parsed['boost']}]")


def _search(parsed: dict[str, Any], k: int, num_candidates: int) -> KnnSearch:
    return KnnSearch(
        field=parsed["field"],
        k=k,
        num_candidates=num_candidates,
        query_vector=parsed.get("query_vector"),
        query_vector_builder=parsed.get("query_vector_builder"),
        similarity=parsed.get("similarity"),
        filter=parsed.get("filter", ()),
        boost=parsed.get("boost", 1.0),
        name=parsed.get("_name"),
        rescore_oversample=parsed.get("rescore_vector"),
    )


def parse_knn_retriever(body: dict[str, Any]) -> KnnRetriever:
    parsed = parse_object("knn", body, _RETRIEVER_FIELDS)
    missing = [f for f in ("field", "k", "num_candidates") if f not in parsed]
    if missing:
        raise x_content(
            "[knn] failed to parse object",
            cause=error_cause("illegal_argument_exception", f"Required [{', '.join(missing)}]"),
        )
    _validate(parsed, parsed["k"], parsed["num_candidates"])
    search = _search(
        {k: v for k, v in parsed.items() if k not in ("filter", "_name")}, parsed["k"], parsed["num_candidates"]
    )
    return KnnRetriever(search=search, **base_kwargs(parsed))


def default_num_candidates(k: int) -> int:
    """``round(min(1.5 × k, 10000))`` (Java's Math.round: half up)."""
    return int(min(1.5 * k, NUM_CANDIDATES_LIMIT) + 0.5)


def parse_knn_section(value: Any, size: int) -> tuple[KnnSearch, ...]:
    """The top-level ``knn``: one object or an array of them."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise x_content(f"[knn] failed to parse, expected an object but found [{jv.token_of(item)}]")
        parsed = parse_object("knn", item, _SECTION_FIELDS)
        k = parsed.get("k", size)
        num_candidates = parsed.get("num_candidates", default_num_candidates(k))
        _validate(parsed, k, num_candidates)
        out.append(_search(parsed, k, num_candidates))
    return tuple(out)
