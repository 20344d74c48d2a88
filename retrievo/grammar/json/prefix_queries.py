"""``match_phrase_prefix`` and ``match_bool_prefix``: Elasticsearch JSON → AST.

Each parser follows its builder's ``fromXContent``: one field, given as ``{"f": "text"}`` or
``{"f": {...}}``, scalar parameters read in order (the first bad one wins), then the builder's setter
checks. ``match_bool_prefix``'s ``fuzziness`` makes every term but the last (the prefix) a fuzzy query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import does_not_support, multiple_fields, unknown_token
from retrievo.grammar.json.multi_term import fuzzy_options, parse_fuzziness
from retrievo.grammar.json.query_common import (
    QueryContext,
    bool_param,
    checked_boost,
    float_param,
    int_param,
    minimum_should_match,
    operator,
    zero_terms,
)
from retrievo.retrievers.prefix_queries import MatchBoolPrefixQuery, MatchPhrasePrefixQuery

ParamReader = Callable[[str, Any, dict[str, Any]], bool]


def _phrase_prefix_param(key: str, value: Any, out: dict[str, Any]) -> bool:
    name = "match_phrase_prefix"
    if key == "query":
        out["query"] = value
    elif key == "analyzer":
        out["analyzer"] = jv.java_text(value)
    elif key == "boost":
        out["boost"] = float_param(name, key, value)
    elif key == "slop":
        out["slop"] = int_param(name, key, value)
    elif key == "max_expansions":
        out["max_expansions"] = int_param(name, key, value)
    elif key == "_name":
        out["name"] = jv.java_text(value)
    elif key == "zero_terms_query":
        out["zero_terms_query"] = zero_terms(value)
    else:
        return False
    return True


def _bool_prefix_param(key: str, value: Any, out: dict[str, Any]) -> bool:
    name = "match_bool_prefix"
    if key == "query":
        out["query"] = value
    elif key == "analyzer":
        out["analyzer"] = jv.java_text(value)
    elif key == "operator":
        out["operator"] = operator(value)
    elif key == "minimum_should_match":
        out["minimum_should_match"] = minimum_should_match(value)
    elif key == "boost":
        out["boost"] = float_param(name, key, value)
    elif key == "_name":
        out["name"] = jv.java_text(value)
    elif key == "fuzziness":
        out[key] = parse_fuzziness(name, value)
    elif key in ("prefix_length", "max_expansions"):
        out[key] = int_param(name, key, value)
    elif key == "fuzzy_transpositions":
        out[key] = bool_param(name, key, value)
    elif key == "fuzzy_rewrite":
        out[key] = jv.java_text(value)
    else:
        return False
    return True


def _single_field(name: str, body: dict[str, Any], read: ParamReader) -> tuple[str | None, dict[str, Any]]:
    """The outer loop: exactly one field, its value a scalar (the query text) or an object of parameters."""
    field: str | None = None
    params: dict[str, Any] = {}
    for key, value in body.items():
        if field is not None:
            raise multiple_fields(name, field, key)
        field = key
        if isinstance(value, dict):
            for param, v in value.items():
                if not jv.is_value(v):
                    raise unknown_token(name, jv.token_of(v), param)
                if not read(param, v, params):
                    raise does_not_support(name, param)
        elif value is None or jv.is_value(value):
            params = {"query": value}
        else:
            raise unknown_token(name, jv.token_of(value), key)
    return field, params


def parse_match_phrase_prefix(body: dict[str, Any], ctx: QueryContext) -> MatchPhrasePrefixQuery:
    """``MatchPhrasePrefixQueryBuilder.fromXContent``."""
    name = "match_phrase_prefix"
    field, params = _single_field(name, body, _phrase_prefix_param)
    if not field:
        raise illegal_argument(f"[{name}] requires fieldName")
    if params.get("query") is None:
        raise illegal_argument(f"[{name}] requires query value")
    if params.get("slop", 0) < 0:
        raise illegal_argument("No negative slop allowed.")
    if params.get("max_expansions", 0) < 0:
        raise illegal_argument("No negative maxExpansions allowed.")
    checked_boost(name, body, params.get("boost", 1.0), field_level=True)
    return MatchPhrasePrefixQuery(field=field, **params)


def parse_match_bool_prefix(body: dict[str, Any], ctx: QueryContext) -> MatchBoolPrefixQuery:
    """``MatchBoolPrefixQueryBuilder.fromXContent``."""
    name = "match_bool_prefix"
    field, params = _single_field(name, body, _bool_prefix_param)
    if not field:
        raise illegal_argument(f"[{name}] requires fieldName")
    if params.get("query") is None:
        raise illegal_argument(f"[{name}] requires query value")
    if params.get("prefix_length", 0) < 0:
        raise illegal_argument("[match_bool_prefix] requires prefix length to be non-negative.")
    if params.get("max_expansions", 50) <= 0:
        raise illegal_argument("[match_bool_prefix] requires maxExpansions to be positive.")
    checked_boost(name, body, params.get("boost", 1.0), field_level=True)
    fuzzy = fuzzy_options(params, params.pop("max_expansions", 50))
    return MatchBoolPrefixQuery(field=field, fuzzy=fuzzy, **params)
