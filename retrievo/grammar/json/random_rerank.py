"""``random_reranker`` (``RandomRankRetrieverBuilder``, a ``ConstructingObjectParser``).

Fields: ``retriever`` (required), ``field``, ``rank_window_size``, ``seed`` (an ``int``) and the base
fields. A missing ``retriever`` is ``Required [retriever]``; a missing or empty ``field`` is the rank
builder's ``field is required``. Elasticsearch parses the base ``filter`` and ``min_score`` but never
applies them to this retriever (its search is the child's, with a rank builder on top), so retrievo
rejects them rather than accept a parameter that does nothing.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import illegal_argument, not_supported
from retrievo.grammar.json.objects import OBJECT, Field, int_field, parse_object, string_field
from retrievo.grammar.json.retriever_common import BASE_FIELDS, RetrieverParser, base_kwargs
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.random_rerank import RandomReranker

NAME = "random_reranker"

_FIELDS: dict[str, Field] = {
    "field": string_field(),
    "rank_window_size": int_field(),
    "seed": int_field(),
    **BASE_FIELDS,
}


def random_reranker_parser(parse_child: RetrieverParser) -> RetrieverParser:
    """The ``random_reranker`` parser, parsing the retriever it reranks with ``parse_child``."""
    fields = {"retriever": Field(OBJECT, parse_child), **_FIELDS}

    def parse_random_reranker(body: dict[str, Any]) -> RandomReranker:
        parsed = parse_object(NAME, body, fields)
        if "retriever" not in parsed:
            raise illegal_argument("Required [retriever]")
        for ignored in ("filter", "min_score"):
            if ignored in parsed:
                raise not_supported(f"[{ignored}] on the [{NAME}] retriever", "Elasticsearch ignores it there")
        field = parsed.get("field")
        if not field:
            raise illegal_argument("field is required")
        return RandomReranker(
            retriever=parsed["retriever"],
            field=field,
            rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
            seed=parsed.get("seed"),
            **base_kwargs(parsed),
        )

    return parse_random_reranker
