"""``rescore`` sections (``RescorerBuilder.parseFromXContent`` + ``QueryRescorerBuilder``) and the
``rescorer`` retriever (``RescorerRetrieverBuilder``).

A rescore object is a hand-written token loop: scalar keys other than ``window_size`` are ``rescore
doesn't support [x]``, an object key names the rescorer type (``query``; the last one wins), and no
type at all is ``missing rescore type``. The ``query`` body is an ``ObjectParser`` named ``query``.
The retriever wraps every parse failure of its body in a ``parsing_exception`` carrying the inner
message, as ``RescorerRetrieverBuilder.fromXContent`` does. Its ``rescore`` is declared ``OBJECT_ARRAY``,
so a scalar fails on its token (``[rescorer] rescore doesn't support values of type: …``) before the
field's own ``Unknown format for [rescorer.rescore]`` check could ever run.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, bad_request, error_cause, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import as_parsing, failed_field, x_content
from retrievo.grammar.json.objects import OBJECT, OBJECT_ARRAY, Field, float_field, parse_object, string_field
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.grammar.json.retriever_common import BASE_FIELDS, RetrieverParser, base_kwargs
from retrievo.retrievers.rescorer import QueryRescore, RescorerRetriever, ScoreMode

NAME = "rescorer"
#: Rescorer types Elasticsearch 9 registers besides ``query`` (``learning_to_rank`` from x-pack ml).
_OTHER_RESCORERS = frozenset({"learning_to_rank", "script"})
_SCORE_MODES: tuple[ScoreMode, ...] = ("avg", "max", "min", "total", "multiply")


def _score_mode(value: str) -> ScoreMode:
    """``QueryRescoreMode.fromString``: case-insensitive."""
    lowered = value.lower()
    for mode in _SCORE_MODES:
        if lowered == mode:
            return mode
    raise illegal_argument(f"illegal score_mode [{value}]")


_QUERY_FIELDS: dict[str, Field] = {
    "rescore_query": Field(OBJECT, parse_top_level_query),
    "query_weight": float_field(),
    "rescore_query_weight": float_field(),
    "score_mode": Field(string_field().tokens, _score_mode),
}


def _query_rescorer(body: dict[str, Any], window_size: int | None) -> QueryRescore:
    parsed = parse_object("query", body, _QUERY_FIELDS)
    if "rescore_query" not in parsed:
        raise illegal_argument("rescore_query cannot be null")
    return QueryRescore(
        rescore_query=parsed["rescore_query"],
        window_size=window_size,
        query_weight=parsed.get("query_weight", 1.0),
        rescore_query_weight=parsed.get("rescore_query_weight", 1.0),
        score_mode=parsed.get("score_mode", "total"),
    )


def _window_size(value: Any) -> int:
    try:
        return jv.java_int(value)
    except jv.BadValue as bad:
        raise bad_request(bad.cause["type"], bad.cause["reason"]) from None


def parse_rescorer(obj: Any) -> QueryRescore:
    """One rescore object: ``window_size`` and one rescorer type."""
    if not isinstance(obj, dict):
        # The token loop reads past a non-object element straight into what follows it.
        raise parsing_error("unexpected token [END_ARRAY] after [null]")
    window_size: int | None = None
    body: dict[str, Any] | None = None
    for key, value in obj.items():
        token = jv.token_of(value)
        if jv.is_value(value):
            if key != "window_size":
                raise parsing_error(f"rescore doesn't support [{key}]")
            window_size = _window_size(value)
        elif token == jv.START_OBJECT:
            if key in _OTHER_RESCORERS:
                raise not_supported(f"[{key}] rescorer")
            if key != "query":
                raise bad_request("named_object_not_found_exception", f"unknown field [{key}]")
            body = value
        else:
            raise parsing_error(f"unexpected token [{token}] after [{key}]")
    if body is None:
        raise parsing_error("missing rescore type")
    return _query_rescorer(body, window_size)


def parse_rescore_section(value: Any) -> tuple[QueryRescore, ...]:
    """A search body's ``rescore``: one object or an array of them (an empty array is no rescorer)."""
    if isinstance(value, list):
        return tuple(parse_rescorer(element) for element in value)
    return (parse_rescorer(value),)


def rescorer_parser(parse_child: RetrieverParser) -> RetrieverParser:
    """The ``rescorer`` parser, parsing the retriever it rescores with ``parse_child``."""
    fields = {
        "retriever": Field(OBJECT, parse_child),
        "rescore": Field(OBJECT_ARRAY, parse_rescore_section),
        **BASE_FIELDS,
    }

    def parse_rescorer_retriever(body: dict[str, Any]) -> RescorerRetriever:
        try:
            return _build(body, fields)
        except ApiError as err:
            raise as_parsing(err) from None

    return parse_rescorer_retriever


def _build(body: dict[str, Any], fields: dict[str, Field]) -> RescorerRetriever:
    parsed = parse_object(NAME, body, fields)
    missing = [f for f in ("retriever", "rescore") if f not in parsed]
    if missing:
        raise x_content(
            f"[{NAME}] failed to parse object",
            cause=error_cause("illegal_argument_exception", f"Required [{', '.join(missing)}]"),
        )
    if not parsed["rescore"]:
        # The constructor refuses it once its last argument arrives, inside that field's parse.
        last = [key for key in body if key in ("retriever", "rescore")][-1]
        built = x_content(
            f"Failed to build [{NAME}] after last required field arrived",
            cause=error_cause("illegal_argument_exception", "Missing rescore definition"),
        )
        raise failed_field(NAME, last, built)
    return RescorerRetriever(retriever=parsed["retriever"], rescore=parsed["rescore"], **base_kwargs(parsed))
