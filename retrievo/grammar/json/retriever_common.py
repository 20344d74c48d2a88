"""What every retriever parser shares: its signature and the base fields every retriever accepts.

``RetrieverBuilder.declareBaseParserFields`` gives every retriever ``filter``, ``_name`` and
``min_score``; a retriever body declares its own fields with :class:`~retrievo.grammar.json.objects.Field`
and adds :data:`BASE_FIELDS`, so that unknown or ill-typed fields fail the way Elasticsearch's
``ObjectParser`` fails. Compound retrievers (``rrf``, ``linear``, ``text_similarity_reranker``) are
built by factories that take the parser for their children, which keeps the retriever dispatch
(:mod:`retrievo.grammar.json.retrievers`) the only module that knows every retriever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.grammar.json.objects import OBJECT_ARRAY, Field, float_field, parse_array, string_field
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.retrievers.retriever import Retriever

#: A retriever's body (the object under its name) → its AST node, raising Elasticsearch-shaped errors.
RetrieverParser = Callable[[dict[str, Any]], Retriever]


def parse_filters(value: Any) -> tuple[Any, ...]:
    """A ``filter``: one query object or an array of them."""
    return tuple(parse_array(value, parse_top_level_query))


#: ``RetrieverBuilder.declareBaseParserFields``: accepted by every retriever.
BASE_FIELDS: dict[str, Field] = {
    "filter": Field(OBJECT_ARRAY, parse_filters),
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
