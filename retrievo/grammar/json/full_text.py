"""Full-text queries: ``match``, ``match_phrase``, ``multi_match``.

Each function mirrors the token loop of the Elasticsearch builder's ``fromXContent`` so that the
same request fails with the same message: parameters are read in the order given, the first bad one
wins, and builder-setter checks (negative slop, negative boost …) run after the loop.

``fuzziness`` (with ``prefix_length``, ``max_expansions``, ``fuzzy_rewrite``, ``fuzzy_transpositions``)
turns each analysed term into a fuzzy query (``grammar/json/multi_term.py`` reads it); without
``fuzziness`` those parameters are validated and change nothing, as in Elasticsearch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from retrievo.errors import bad_request, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import (
    does_not_support,
    failed_field,
    multiple_fields,
    unknown_token,
)
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
from retrievo.retrievers.queries import MatchPhraseQuery, MatchQuery, MultiMatchQuery

#: Reads one parameter of a field's object into the builder's arguments; False if it is not one.
ParamReader = Callable[[str, Any, dict[str, Any]], bool]


def common_match_param(query: str, key: str, value: Any, out: dict[str, Any]) -> bool:
    """Parameters ``match``, ``multi_match`` (and, a subset, ``match_bool_prefix``) read identically;
    False if ``key`` is not one."""
    if key == "query":
        out["query"] = value
    elif key == "analyzer":
        out["analyzer"] = jv.java_text(value)
    elif key == "boost":
        out["boost"] = float_param(query, key, value)
    elif key == "_name":
        out["name"] = jv.java_text(value)
    elif key == "operator":
        out["operator"] = operator(value)
    elif key == "minimum_should_match":
        out["minimum_should_match"] = minimum_should_match(value)
    elif key == "lenient":
        out["lenient"] = bool_param(query, key, value)
    elif key == "zero_terms_query":
        out["zero_terms_query"] = zero_terms(value)
    elif key == "fuzziness":
        out["fuzziness"] = parse_fuzziness(query, value)
    elif key in ("prefix_length", "max_expansions"):
        out[key] = int_param(query, key, value)
    elif key == "fuzzy_rewrite":
        out["fuzzy_rewrite"] = jv.java_text(value)
    elif key == "fuzzy_transpositions":
        out["fuzzy_transpositions"] = bool_param(query, key, value)
    elif key == "auto_generate_synonyms_phrase_query":
        enabled = bool_param(query, key, value)
        if query == "match":  # a multi-word synonym's path: a phrase (true) or a bool of terms (false)
            out[key] = enabled
        elif not enabled:
            raise not_supported(f"[{query}] query parameter [{key}: false]")
    else:
        return False
    return True


def phrase_param(query: str, key: str, value: Any, out: dict[str, Any]) -> bool:
    """Parameters ``match_phrase`` and ``match_phrase_prefix`` read identically; False if ``key`` is not one."""
    if key == "query":
        out["query"] = value
    elif key == "analyzer":
        out["analyzer"] = jv.java_text(value)
    elif key == "boost":
        out["boost"] = float_param(query, key, value)
    elif key == "slop":
        out["slop"] = int_param(query, key, value)
    elif key == "_name":
        out["name"] = jv.java_text(value)
    elif key == "zero_terms_query":
        out["zero_terms_query"] = zero_terms(value)
    else:
        return False
    return True


def single_field(query: str, body: dict[str, Any], read: ParamReader) -> tuple[str | None, dict[str, Any]]:
    """The outer loop of field-level full-text queries: exactly one field, given either as
    ``{"f": "text"}`` or ``{"f": {...}}``, whose parameters (all scalars) ``read`` takes in order."""
    field: str | None = None
    params: dict[str, Any] = {}
    for key, value in body.items():
        if field is not None:
            raise multiple_fields(query, field, key)
        field = key
        if isinstance(value, dict):
            for param, v in value.items():
                if not jv.is_value(v):
                    raise unknown_token(query, jv.token_of(v), param)
                if not read(param, v, params):
                    raise does_not_support(query, param)
        elif value is None or jv.is_value(value):
            params = {"query": value}
        else:
            raise unknown_token(query, jv.token_of(value), key)
    return field, params


def parse_match(body: dict[str, Any], ctx: QueryContext) -> MatchQuery:
    """``MatchQueryBuilder.fromXContent``."""
    field, params = single_field("match", body, lambda k, v, out: common_match_param("match", k, v, out))
    if params.get("query") is None:
        raise parsing_error("No text specified for text query")
    if params.get("prefix_length", 0) < 0:
        raise illegal_argument("[match] requires prefix length to be non-negative.")
    if params.get("max_expansions", 50) <= 0:
        raise illegal_argument("[match] requires maxExpansions to be positive.")
    checked_boost("match", body, params.get("boost", 1.0), field_level=True)
    fuzzy = fuzzy_options(params, params.pop("max_expansions", 50))
    return MatchQuery(field=field or "", fuzzy=fuzzy, **params)


def parse_match_phrase(body: dict[str, Any], ctx: QueryContext) -> MatchPhraseQuery:
    """``MatchPhraseQueryBuilder.fromXContent``."""
    field, params = single_field("match_phrase", body, lambda k, v, out: phrase_param("match_phrase", k, v, out))
    if not field:
        raise illegal_argument("[match_phrase] requires fieldName")
    if params.get("query") is None:
        raise illegal_argument("[match_phrase] requires query value")
    if params.get("slop", 0) < 0:
        raise illegal_argument("No negative slop allowed.")
    checked_boost("match_phrase", body, params.get("boost", 1.0), field_level=True)
    return MatchPhraseQuery(field=field, **params)


MultiMatchType = Literal["best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix", "bool_prefix"]
_MM_TYPES: dict[str, str] = {
    "best_fields": "best_fields",
    "boolean": "best_fields",
    "most_fields": "most_fields",
    "cross_fields": "cross_fields",
    "phrase": "phrase",
    "phrase_prefix": "phrase_prefix",
    "bool_prefix": "bool_prefix",
}
_MM_SUPPORTED = ("best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix", "bool_prefix")


def _mm_type(value: Any) -> MultiMatchType:
    """``MultiMatchQueryBuilder.Type.parse``: exact names; an unknown one is a parse_exception."""
    text = jv.java_text(value)
    kind = _MM_TYPES.get(text)
    if kind is None:
        raise bad_request("parse_exception", f"failed to parse [multi_match] query type [{text}]. unknown type.")
    if kind not in _MM_SUPPORTED:
        raise not_supported(f"[multi_match] query type [{kind}]")
    return kind  # type: ignore[return-value]


def _mm_field(element: Any, body: dict[str, Any]) -> str:
    """One entry of ``fields``: kept as written (``title^2``) once its boost is known to parse."""
    if not jv.is_value(element):
        raise unknown_token("multi_match", jv.token_of(element), "fields")
    text = jv.java_text(element)
    if "^" in text:
        try:
            boost = jv.parse_java_double(text.split("^", 1)[1])
        except jv.BadValue as bad:
            raise failed_field("multi_match", "fields", bad.cause) from None
        checked_boost("multi_match", body, boost)
    return text


def parse_multi_match(body: dict[str, Any], ctx: QueryContext) -> MultiMatchQuery:
    """``MultiMatchQueryBuilder.fromXContent``."""
    fields: list[str] = []
    params: dict[str, Any] = {}
    for key, value in body.items():
        if key == "fields":
            if isinstance(value, list):
                fields.extend(_mm_field(e, body) for e in value)
            elif jv.is_value(value):
                fields.append(_mm_field(value, body))
            else:
                raise does_not_support("multi_match", key)
        elif not jv.is_value(value):
            raise unknown_token("multi_match", jv.token_of(value), key)
        elif key == "type":
            params["type"] = _mm_type(value)
        elif key == "slop":
            params["slop"] = int_param("multi_match", key, value)
        elif key == "tie_breaker":
            params["tie_breaker"] = float_param("multi_match", key, value)
        elif not common_match_param("multi_match", key, value, params):
            raise does_not_support("multi_match", key)
    if params.get("query") is None:
        raise parsing_error("No text specified for multi_match query")
    if params.get("max_expansions", 50) <= 0:
        raise illegal_argument("Max expansions must be strictly great than zero.")
    if params.get("prefix_length", 0) < 0:
        raise illegal_argument("No negative prefix length allowed.")
    if params.get("slop", 0) < 0:
        raise illegal_argument("No negative slop allowed.")
    if params.get("slop", 0) != 0 and params.get("type") == "bool_prefix":
        raise parsing_error("[slop] not allowed for type [bool_prefix]")
    if "fuzziness" in params and params.get("type") in ("cross_fields", "phrase", "phrase_prefix"):
        raise parsing_error(f"Fuzziness not allowed for type [{params['type']}]")
    checked_boost("multi_match", body, params.get("boost", 1.0))
    fuzzy = fuzzy_options(params, params.get("max_expansions", 50))
    return MultiMatchQuery(fields=tuple(fields), fuzzy=fuzzy, **params)
