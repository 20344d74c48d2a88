"""``diversify`` (``DiversifyRetrieverBuilder``, a ``ConstructingObjectParser``), spec §7.

Missing required fields are ``illegal_argument_exception`` ``Required [...]`` in declaration order
(``retriever``, ``type``, ``field``); an unknown ``type`` is ``unknown result diversification type
[...]``. Both surface unwrapped at the top level, as the YAML REST test
``10_mmr_result_diversification_retriever.yml`` asserts, and wrapped by a parent's parser otherwise.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause, illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.knn import query_vector_builder
from retrievo.grammar.json.objects import OBJECT, Field, float_field, int_field, parse_object, string_field
from retrievo.grammar.json.retriever_common import BASE_FIELDS, RetrieverParser, base_kwargs
from retrievo.retrievers.diversify import DiversifyRetriever
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE

NAME = "diversify"
#: ``ResultDiversificationType``: the only type Elasticsearch knows.
TYPES = frozenset({"mmr"})
_REQUIRED = ("retriever", "type", "field")


def _query_vector(value: Any) -> tuple[float, ...] | str:
    """``VectorData.parseXContent``: an array of numbers, one number, or a string-encoded vector (which
    validation rejects, as Elasticsearch's newest builder does)."""
    if isinstance(value, str):
        return value
    items = value if isinstance(value, list) else [value]
    out: list[float] = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise jv.BadValue(
                error_cause("illegal_argument_exception", f"[query_vector] must contain numbers, found [{v}]")
            )
        out.append(jv.java_float(v))
    return tuple(out)


_VECTOR_TOKENS = frozenset({jv.START_ARRAY, jv.VALUE_STRING, jv.VALUE_NUMBER, jv.START_OBJECT})

_FIELDS: dict[str, Field] = {
    "type": string_field(),
    "field": string_field(),
    "rank_window_size": int_field(),
    "query_vector": Field(_VECTOR_TOKENS, _query_vector),
    "query_vector_builder": Field(OBJECT, query_vector_builder),
    "lambda": float_field(),
    "size": int_field(),
    **BASE_FIELDS,
}


def diversify_parser(parse_child: RetrieverParser) -> RetrieverParser:
    """The ``diversify`` parser, parsing the retriever it diversifies with ``parse_child``."""
    fields = {"retriever": Field(OBJECT, parse_child), **_FIELDS}

    def parse_diversify(body: dict[str, Any]) -> DiversifyRetriever:
        parsed = parse_object(NAME, body, fields)
        missing = [f for f in _REQUIRED if f not in parsed]
        if missing:
            raise illegal_argument(f"Required [{', '.join(missing)}]")
        kind = parsed["type"]
        if kind.lower() not in TYPES:
            raise illegal_argument(f"unknown result diversification type [{kind}]")
        return DiversifyRetriever(
            retriever=parsed["retriever"],
            type=kind.lower(),
            field=parsed["field"],
            rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
            size=parsed.get("size"),
            query_vector=parsed.get("query_vector"),
            query_vector_builder=parsed.get("query_vector_builder"),
            lambda_=parsed.get("lambda"),
            **base_kwargs(parsed),
        )

    return parse_diversify
