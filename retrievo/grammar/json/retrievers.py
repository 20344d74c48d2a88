"""Retrievers: ``{"<name>": {...}}`` → a :class:`Retriever`, through a registry.

``parse_retriever`` reproduces ``RetrieverBuilder.parseInnerRetrieverBuilder`` (shape errors are
``parsing_exception``); each retriever body is an ``ObjectParser`` (unknown or ill-typed fields are
``x_content_parse_exception``). Only ``standard`` is built in. Later retrievers plug in with
:func:`register_retriever` and should declare their fields with :class:`~json_objects.Field`,
adding :data:`BASE_FIELDS` (``filter``, ``_name``, ``min_score``), so that they fail the way
Elasticsearch does. Names Elasticsearch knows but nobody has registered yet are ``not_supported``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import BadRequestError, error_cause, illegal_argument, not_supported, \
    parsing_error
from retrievo.grammar.json.errors import suggest
from retrievo.grammar.json.objects import (
    OBJECT, OBJECT_ARRAY, Field, float_field, int_field, parse_array, parse_object,
    string_field,
)
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.grammar.json.sort import parse_search_after, parse_sort
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.standard import StandardRetriever

RetrieverParser = Callable[[dict[str, Any]], Retriever]

#: Retriever names Elasticsearch 9 registers; until one is registered here it is not_supported.
ES_RETRIEVERS: frozenset[str] = frozenset({
    "standard", "knn", "rrf", "linear", "text_similarity_reranker", "rescorer", "pinned", "rule",
    "diversify",
})

_REGISTRY: dict[str, RetrieverParser] = {}


def register_retriever(name: str, parser: RetrieverParser) -> None:
    """Make ``{"<name>": {...}}`` parse with ``parser(body)``; re-registering replaces it.

    ``parser`` receives the retriever's body (the inner object) and returns the AST node; it
    should raise Elasticsearch-shaped errors (see :mod:`retrievo.grammar.json.objects`).
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a retriever name must be a non-empty string")
    if not callable(parser):
        raise TypeError(f"the parser for retriever [{name}] must be callable")
    _REGISTRY[name] = parser


def registered_retrievers() -> frozenset[str]:
    return frozenset(_REGISTRY)


def parse_retriever(obj: Any) -> Retriever:
    """Parse one retriever object, dispatching on its single key through the registry."""
    if not isinstance(obj, dict):
        raise parsing_error("retriever malformed, must start with [START_OBJECT]")
    if not obj:
        raise parsing_error("retriever malformed, empty clause found")
    name, body = next(iter(obj.items()))
    if not isinstance(body, dict):
        raise parsing_error(f"[{name}] retriever malformed, no [START_OBJECT] after retriever name")
    parser = _REGISTRY.get(name)
    if parser is None:
        if name in ES_RETRIEVERS:
            raise not_supported(f"[{name}] retriever")
        candidates = ES_RETRIEVERS | _REGISTRY.keys()
        raise BadRequestError(
            "parsing_exception", f"unknown retriever [{name}]{suggest(name, candidates)}",
            caused_by=error_cause("named_object_not_found_exception", f"unknown field [{name}]"))
    retriever = parser(body)
    if len(obj) > 1:
        raise parsing_error(
            f"[{name}] malformed retriever, expected [END_OBJECT] but found [FIELD_NAME]")
    return retriever


def _filters(value: Any) -> tuple[Any, ...]:
    return tuple(parse_array(value, parse_top_level_query))


#: ``RetrieverBuilder.declareBaseParserFields``: accepted by every retriever.
BASE_FIELDS: dict[str, Field] = {
    "filter": Field(OBJECT_ARRAY, _filters),
    "_name": string_field(),
    "min_score": float_field(),
}


def base_kwargs(parsed: dict[str, Any]) -> dict[str, Any]:
    """The AST keyword arguments for the base fields found in ``parse_object``'s result."""
    out: dict[str, Any] = {}
    if "filter" in parsed:
        out["filter"] = parsed["filter"]
    if "_name" in parsed:
        out["name"] = parsed["_name"]
    if "min_score" in parsed:
        out["min_score"] = parsed["min_score"]
    return out


def _collapse(value: Any) -> None:
    raise not_supported("[standard] retriever parameter [collapse]")


_STANDARD_FIELDS: dict[str, Field] = {
    "query": Field(OBJECT, parse_top_level_query),
    "search_after": Field(OBJECT_ARRAY, parse_search_after),
    "terminate_after": int_field(),
    "sort": Field(OBJECT_ARRAY, parse_sort),
    "collapse": Field(OBJECT, _collapse),
    **BASE_FIELDS,
}


def parse_standard(body: dict[str, Any]) -> StandardRetriever:
    """``StandardRetrieverBuilder.PARSER``; ``terminate_after`` is checked after parsing, when
    Elasticsearch copies it into the search source."""
    parsed = parse_object("standard", body, _STANDARD_FIELDS)
    terminate_after = parsed.get("terminate_after")
    if terminate_after is not None and terminate_after < 0:
        raise illegal_argument("terminateAfter must be > 0")
    return StandardRetriever(
        query=parsed.get("query"), sort=parsed.get("sort", ()),
        terminate_after=terminate_after or None, search_after=parsed.get("search_after"),
        **base_kwargs(parsed))


register_retriever("standard", parse_standard)

__all__ = ["BASE_FIELDS", "ES_RETRIEVERS", "RetrieverParser", "base_kwargs",
           "parse_retriever", "parse_standard", "register_retriever", "registered_retrievers"]
