"""``text_similarity_reranker`` (``TextSimilarityRankRetrieverBuilder``), spec §6.1.

The parser is built around the parser for the retriever it reranks (:func:`reranker_parser`).
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause, illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import x_content
from retrievo.grammar.json.objects import (
    OBJECT,
    Field,
    bool_field,
    int_field,
    parse_object,
    string_field,
)
from retrievo.grammar.json.retriever_common import BASE_FIELDS, RetrieverParser, base_kwargs
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.rerank import DEFAULT_RERANK_INFERENCE_ID, ChunkRescorer, TextSimilarityReranker

NAME = "text_similarity_reranker"


def _chunk_rescorer(value: Any) -> ChunkRescorer:
    parsed = parse_object(
        "chunk_rescorer",
        value,
        {
            "size": int_field(),
            "chunking_settings": Field(frozenset({jv.START_OBJECT, jv.VALUE_NULL}), lambda v: v),
        },
    )
    size = parsed.get("size", 1)
    if size < 1:
        raise illegal_argument(f"size must be greater than 0, was: {size}")
    settings = parsed.get("chunking_settings")
    return ChunkRescorer(size=size, chunking_settings=dict(settings) if settings else None)


_FIELDS: dict[str, Field] = {
    "field": string_field(),
    "inference_text": string_field(),
    "inference_id": string_field(),
    "rank_window_size": int_field(),
    "allow_rerank_failures": bool_field(),
    "chunk_rescorer": Field(OBJECT, _chunk_rescorer),
    **BASE_FIELDS,
}


def reranker_parser(parse_child: RetrieverParser) -> RetrieverParser:
    """The ``text_similarity_reranker`` parser, parsing the retriever it reranks with ``parse_child``."""
    fields = {"retriever": Field(OBJECT, parse_child), **_FIELDS}

    def parse_reranker(body: dict[str, Any]) -> TextSimilarityReranker:
        parsed = parse_object(NAME, body, fields)
        missing = [f for f in ("retriever", "field", "inference_text") if f not in parsed]
        if missing:
            raise x_content(
                f"[{NAME}] failed to parse object",
                cause=error_cause("illegal_argument_exception", f"Required [{', '.join(missing)}]"),
            )
        return TextSimilarityReranker(
            retriever=parsed["retriever"],
            field=parsed["field"],
            inference_text=parsed["inference_text"],
            inference_id=parsed.get("inference_id", DEFAULT_RERANK_INFERENCE_ID),
            rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
            allow_rerank_failures=parsed.get("allow_rerank_failures", False),
            chunk_rescorer=parsed.get("chunk_rescorer"),
            **base_kwargs(parsed),
        )

    return parse_reranker
