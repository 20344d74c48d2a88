"""``pinned`` retriever (``PinnedRetrieverBuilder``); its ``docs`` items are parsed as the ``pinned``
query's (:mod:`retrievo.grammar.json.pinned_query`).

``PinnedRetrieverBuilder.fromXContent`` rethrows whatever its ``ConstructingObjectParser`` throws as a
``parsing_exception`` with the same message; its constructor's checks (``ids`` xor ``docs``) fail inside
the parser's build step, so they read ``Failed to build [pinned] after last required field arrived``
around the ``illegal_argument_exception``.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, illegal_argument
from retrievo.grammar.json.objects import OBJECT, OBJECT_ARRAY, STRING_ARRAY, Field, int_field, parse_object
from retrievo.grammar.json.pinned_query import as_parsing_exception, build_failure, parse_docs, parse_ids
from retrievo.grammar.json.retriever_common import BASE_FIELDS, RetrieverParser, base_kwargs
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.pinned import PinnedRetriever

NAME = "pinned"


def pinned_parser(parse_child: RetrieverParser) -> RetrieverParser:
    """The ``pinned`` retriever parser, parsing the retriever it wraps with ``parse_child``."""
    fields: dict[str, Field] = {
        "ids": Field(STRING_ARRAY, parse_ids),
        "docs": Field(OBJECT_ARRAY, parse_docs),
        "retriever": Field(OBJECT, parse_child),
        "rank_window_size": int_field(),
        **BASE_FIELDS,
    }

    def parse_pinned(body: dict[str, Any]) -> PinnedRetriever:
        try:
            parsed = parse_object(NAME, body, fields)
            if "retriever" not in parsed:
                raise illegal_argument("Required [retriever]")
            ids, docs = parsed.get("ids"), parsed.get("docs")
            # validateIdsAndDocs: presence is checked before emptiness, so `ids` with `docs: []` fails too.
            if ids is not None and docs is not None:
                raise build_failure(NAME, "Both 'ids' and 'docs' cannot be specified at the same time")
            if not ids and not docs:
                raise build_failure(NAME, "Either 'ids' or 'docs' must be provided and non-empty for pinned retriever")
            return PinnedRetriever(
                retriever=parsed["retriever"],
                ids=ids,
                docs=docs,
                rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
                **base_kwargs(parsed),
            )
        except ApiError as err:
            raise as_parsing_exception(err) from None

    return parse_pinned
