"""``combined_fields``: ``CombinedFieldsQueryBuilder``'s ``ConstructingObjectParser``.

An ``ObjectParser`` reports an unknown key as ``[combined_fields] unknown field [x]`` and wraps what
a setter throws as ``[combined_fields] failed to parse field [x]``; the builder's constructor then
requires ``query`` (``Required [query]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from elasticsearch import ApiError

from retrievo.errors import illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field, unknown_field, unsupported_token
from retrievo.grammar.json.query_common import QueryContext, checked_boost, minimum_should_match, operator
from retrievo.retrievers.combined_fields import CombinedFieldsQuery

NAME = "combined_fields"
_FIELDS = (
    "query",
    "fields",
    "operator",
    "minimum_should_match",
    "zero_terms_query",
    "auto_generate_synonyms_phrase_query",
    "boost",
    "_name",
)


def field_weight(spec: str) -> tuple[str, float]:
    """``QueryParserHelper.parseFieldsAndWeights`` for one entry: ``name^weight`` (``Float.parseFloat``)."""
    name, caret, weight = spec.partition("^")
    return name, float(np.float32(jv.parse_java_double(weight))) if caret else 1.0


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise unsupported_token(NAME, key, jv.token_of(value))
    return value


def _fields(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not isinstance(value, (list, str)):
        raise unsupported_token(NAME, "fields", jv.token_of(value))
    out: list[str] = []
    for item in items:
        if not jv.is_value(item):
            raise unsupported_token(NAME, "fields", jv.token_of(item))
        text = jv.java_text(item)
        try:
            _, weight = field_weight(text)
        except jv.BadValue as bad:
            raise failed_field(NAME, "fields", bad.cause) from None
        if weight < 1.0:  # CombinedFieldsQueryBuilder.validateFieldBoost
            cause = illegal_argument(f"[{NAME}] requires field boosts to be >= 1.0")
            raise failed_field(NAME, "fields", cause)
        out.append(text)
    return tuple(out)


def _zero_terms(value: Any) -> str:
    text = _string("zero_terms_query", value)
    if text.lower() in ("none", "all"):
        return text.lower()
    raise failed_field(NAME, "zero_terms_query", illegal_argument(f"Unsupported [zero_terms_query] value [{text}]"))


def _checked(key: str, fn: Any, value: Any) -> Any:
    try:
        return fn(value)
    except jv.BadValue as bad:
        raise failed_field(NAME, key, bad.cause) from None


def parse_combined_fields(body: dict[str, Any], ctx: QueryContext) -> CombinedFieldsQuery:
    """``CombinedFieldsQueryBuilder.fromXContent``."""
    params: dict[str, Any] = {}
    for key, value in body.items():
        if key not in _FIELDS:
            raise unknown_field(NAME, key, _FIELDS)
        if key == "query":
            params["query"] = _string(key, value)
        elif key == "fields":
            params["fields"] = _fields(value)
        elif key == "operator":
            text = _string(key, value)
            try:
                params["operator"] = operator(text)
            except ApiError as err:  # Operator.fromString's IllegalArgumentException
                raise failed_field(NAME, key, err) from None
        elif key == "minimum_should_match":
            if not (value is None or jv.is_value(value)) or isinstance(value, bool):
                raise unsupported_token(NAME, key, jv.token_of(value))
            params["minimum_should_match"] = minimum_should_match(value)
        elif key == "zero_terms_query":
            params["zero_terms_query"] = _zero_terms(value)
        elif key == "auto_generate_synonyms_phrase_query":
            if not jv.is_value(value):
                raise unsupported_token(NAME, key, jv.token_of(value))
            params["auto_generate_synonyms_phrase_query"] = _checked(key, jv.java_bool, value)
        elif key == "boost":
            if not jv.is_value(value) or isinstance(value, bool):
                raise unsupported_token(NAME, key, jv.token_of(value))
            params["boost"] = _checked(key, jv.java_float, value)
        else:
            params["name"] = _string(key, value)
    if "query" not in params:
        raise illegal_argument("Required [query]")
    checked_boost(NAME, body, params.get("boost", 1.0))
    return CombinedFieldsQuery(**params)
