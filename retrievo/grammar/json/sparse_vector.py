"""The ``sparse_vector`` query (``SparseVectorQueryBuilder.fromXContent``).

A ``ConstructingObjectParser`` rethrown as ``parsing_exception``: field errors read ``[sparse_vector]
failed to parse field [x]``, a missing ``field`` is ``Required [field]``, and the constructor's checks
(one of ``query_vector`` or ``query``; not ``query_vector`` with ``inference_id``) and the weights'
(``weight must be a number``) fail in the build step, ``Failed to build [sparse_vector] after last
required field arrived``. ``pruning_config`` is ``TokenPruningConfig.fromXContent``: a hand-written
token loop whose ratio threshold is read with ``intValue()`` (``5.9`` is 5).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retrievo.errors import ApiError, bad_request, illegal_argument, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import is_negative, negative_boost
from retrievo.grammar.json.objects import OBJECT, Field, bool_field, float_field, parse_object, string_field
from retrievo.grammar.json.pinned_query import as_parsing_exception, build_failure
from retrievo.grammar.json.query_common import QueryContext
from retrievo.java_text import java_float_str, java_str
from retrievo.retrievers.sparse_queries import (
    SparsePruning,
    SparseVectorQuery,
    TextExpansionQuery,
    WeightedTokensQuery,
)

__all__ = ["parse_sparse_vector", "parse_text_expansion", "parse_weighted_tokens", "pruning_problem"]

NAME = "sparse_vector"
_PRUNING = "pruning_config"
_PRUNING_FIELDS = ("tokens_freq_ratio_threshold", "tokens_weight_threshold", "only_score_pruned_tokens")
#: ``SparseVectorQueryBuilder``'s message for both constructor checks (the 9.x wording its YAML tests match).
ONE_OF = f"[{NAME}] requires one of [query_vector] or [query] for sparse_vector fields"


def pruning_problem(ratio: float, weight: float) -> str | None:
    """``TokenPruningConfig``'s constructor checks."""
    if ratio < 1 or ratio > 100:
        return f"[tokens_freq_ratio_threshold] must be between [1] and [100], got {java_float_str(ratio)}"
    if weight < 0 or weight > 1:
        return "[tokens_weight_threshold] must be between 0 and 1"
    return None


def _pruning_value(field: str, value: Any) -> Any:
    try:
        if field == "tokens_freq_ratio_threshold":
            return float(jv.java_int(value))
        if field == "tokens_weight_threshold":
            return float(np.float32(jv.java_float(value)))
        return jv.java_bool(value)
    except jv.BadValue as bad:  # the accessor's own exception, wrapped by the parser as a failed field
        raise bad_request(bad.cause["type"], bad.cause["reason"]) from None


def _parse_pruning(value: dict[str, Any]) -> SparsePruning:
    """``TokenPruningConfig.fromXContent`` (the query's form)."""
    got: dict[str, Any] = {}
    for key, item in value.items():
        if key not in _PRUNING_FIELDS:
            raise parsing_error(f"[{_PRUNING}] unknown token [{key}]")
        if isinstance(item, dict):
            continue  # the loop skips a START_OBJECT token (and then reads its fields as its own)
        if not jv.is_value(item):
            raise parsing_error(f"[{_PRUNING}] unknown token [{jv.token_of(item)}] after [{key}]")
        got[key] = _pruning_value(key, item)
    defaults = SparsePruning()
    ratio = got.get("tokens_freq_ratio_threshold", defaults.tokens_freq_ratio_threshold)
    weight = got.get("tokens_weight_threshold", defaults.tokens_weight_threshold)
    problem = pruning_problem(ratio, weight)
    if problem is not None:
        raise illegal_argument(problem)
    return SparsePruning(
        tokens_freq_ratio_threshold=ratio,
        tokens_weight_threshold=weight,
        only_score_pruned_tokens=got.get("only_score_pruned_tokens", False),
    )


def _weights(raw: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """``parseWeightedTokens``: every weight a JSON number, kept as ``Number.floatValue()``."""
    tokens = []
    for token, weight in raw.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise build_failure(NAME, f"weight must be a number, was [{java_str(weight)}]")
        with np.errstate(over="ignore"):
            tokens.append((token, float(np.float32(float(weight)))))
    return tuple(tokens)


_FIELDS: dict[str, Field] = {
    "field": string_field(),
    "query_vector": Field(OBJECT, dict),
    "inference_id": string_field(),
    "query": string_field(),
    "prune": bool_field(),
    _PRUNING: Field(OBJECT, _parse_pruning),
    "boost": float_field(),
    "_name": string_field(),
}


def parse_sparse_vector(body: dict[str, Any], ctx: QueryContext) -> SparseVectorQuery:
    try:
        parsed = parse_object(NAME, body, _FIELDS)
        if "field" not in parsed:
            raise illegal_argument("Required [field]")
        raw_vector = parsed.get("query_vector")
        query_vector = _weights(raw_vector) if raw_vector is not None else None
        if query_vector is not None and parsed.get("inference_id") is not None:
            raise build_failure(NAME, ONE_OF)
        if (query_vector is None) == (parsed.get("query") is None):
            raise build_failure(NAME, ONE_OF)
        boost = parsed.get("boost", 1.0)
        if is_negative(boost):
            raise negative_boost(NAME, body)
        return SparseVectorQuery(
            field=parsed["field"],
            query_vector=query_vector,
            inference_id=parsed.get("inference_id"),
            query=parsed.get("query"),
            prune=parsed.get("prune"),
            pruning_config=parsed.get(_PRUNING),
            boost=boost,
            name=parsed.get("_name"),
        )
    except ApiError as err:
        raise as_parsing_exception(err) from None


_WEIGHTED = "weighted_tokens"


def _java_simple_name(value: Any) -> str:
    """``getClass().getSimpleName()`` of a value ``parser.map()`` produced."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, list):
        return "ArrayList"
    if isinstance(value, dict):
        return "HashMap"
    return "Object"


def _weighted_token(token: str, weight: Any) -> tuple[str, float]:
    """``WeightedTokensQueryBuilder.parseWeight``: a number, or a string ``Float.parseFloat`` reads."""
    if isinstance(weight, (int, float)) and not isinstance(weight, bool):
        with np.errstate(over="ignore"):
            return token, float(np.float32(float(weight)))
    if isinstance(weight, str):
        try:
            number = jv.parse_java_double(weight)
        except jv.BadValue as bad:
            raise bad_request(bad.cause["type"], bad.cause["reason"]) from None
        with np.errstate(over="ignore"):
            return token, float(np.float32(number))
    raise bad_request(
        "parse_exception",
        f"Illegal weight for token: [{token}], expected floating point got {_java_simple_name(weight)}",
    )


def parse_weighted_tokens(body: dict[str, Any], ctx: QueryContext) -> WeightedTokensQuery:
    """``WeightedTokensQueryBuilder.fromXContent``: ``{"<field>": {"tokens": {...}, "pruning_config": {...},
    "boost", "_name"}}``, a hand-written token loop."""
    field: str | None = None
    tokens: list[tuple[str, float]] = []
    pruning: SparsePruning | None = None
    boost, name = 1.0, None
    for key, value in body.items():
        if not isinstance(value, dict):
            raise illegal_argument("invalid query")
        if field is not None:
            raise parsing_error(f"[{_WEIGHTED}] query doesn't support multiple fields, found [{field}] and [{key}]")
        field = key
        for option, item in value.items():
            if option == _PRUNING:
                if not isinstance(item, dict):
                    raise parsing_error(f"[{_PRUNING}] should be an object")
                pruning = _parse_pruning(item)
            elif option == "tokens":
                if not isinstance(item, dict):
                    raise parsing_error(f"[{_WEIGHTED}] tokens must be an object")
                tokens.extend(_weighted_token(t, w) for t, w in item.items())
            elif option == "boost":
                try:
                    boost = jv.java_float(item)
                except jv.BadValue as bad:
                    raise bad_request(bad.cause["type"], bad.cause["reason"]) from None
            elif option == "_name":
                name = jv.java_text(item)
            else:
                raise parsing_error(f"unknown field [{option}]")
    if field is None:
        raise parsing_error("No fieldname specified for query")
    if not tokens:
        raise illegal_argument(f"[{_WEIGHTED}] requires at least one token")
    if is_negative(boost):
        raise negative_boost(_WEIGHTED, body, field_level=True)
    return WeightedTokensQuery(field=field, tokens=tuple(tokens), pruning_config=pruning, boost=boost, name=name)


_EXPANSION = "text_expansion"


def parse_text_expansion(body: dict[str, Any], ctx: QueryContext) -> TextExpansionQuery:
    """``TextExpansionQueryBuilder.fromXContent``: ``{"<field>": {"model_id", "model_text", "pruning_config",
    "boost", "_name"}}`` (or ``{"<field>": "<text>"}``, which still needs a ``model_id`` and so fails)."""
    field: str | None = None
    text: str | None = None
    model_id: str | None = None
    pruning: SparsePruning | None = None
    boost, name = 1.0, None
    for key, value in body.items():
        if field is not None:
            raise parsing_error(f"[{_EXPANSION}] query doesn't support multiple fields, found [{field}] and [{key}]")
        field = key
        if not isinstance(value, dict):
            text = jv.java_text(value) if jv.is_value(value) else None
            continue
        for option, item in value.items():
            if isinstance(item, dict):
                if option != _PRUNING:
                    raise parsing_error(f"[{_EXPANSION}] unknown token [START_OBJECT] after [{option}]")
                pruning = _parse_pruning(item)
            elif jv.is_value(item):
                if option == "model_text":
                    text = jv.java_text(item)
                elif option == "model_id":
                    model_id = jv.java_text(item)
                elif option == "boost":
                    try:
                        boost = jv.java_float(item)
                    except jv.BadValue as bad:
                        raise bad_request(bad.cause["type"], bad.cause["reason"]) from None
                elif option == "_name":
                    name = jv.java_text(item)
                else:
                    raise parsing_error(f"[{_EXPANSION}] query does not support [{option}]")
            else:
                raise parsing_error(f"[{_EXPANSION}] unknown token [{jv.token_of(item)}] after [{option}]")
    if text is None:
        raise parsing_error("No text specified for text query")
    if field is None:
        raise parsing_error("No fieldname specified for query")
    if model_id is None:
        raise illegal_argument(f"[{_EXPANSION}] requires a model_id value")
    if is_negative(boost):
        raise negative_boost(_EXPANSION, body, field_level=True)
    return TextExpansionQuery(
        field=field, model_id=model_id, model_text=text, pruning_config=pruning, boost=boost, name=name
    )
