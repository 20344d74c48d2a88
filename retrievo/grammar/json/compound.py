"""Compound and trivial queries: ``bool``, ``constant_score``, ``dis_max``, ``match_all``,
``match_none``.

``bool`` and ``match_all`` are ``ObjectParser``s in Elasticsearch, so their errors come from
:mod:`retrievo.grammar.json.objects` (and a bad clause inside ``bool`` is reported as
``[bool] failed to parse field [must]`` around the clause's own error); the others are hand-written
token loops whose messages are reproduced inline.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import ApiError, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import (
    as_parsing,
    does_not_support,
    is_negative,
    negative_boost,
    unknown_token,
)
from retrievo.grammar.json.objects import (
    BOOLEAN,
    NUMBER,
    OBJECT_ARRAY_OR_NULL,
    VALUE,
    Field,
    parse_array,
    parse_object,
    string_field,
)
from retrievo.grammar.json.query_common import (
    QueryContext,
    checked_boost,
    float_param,
    minimum_should_match,
    text_param,
)
from retrievo.retrievers.queries import (
    BoolQuery,
    ConstantScoreQuery,
    DisMaxQuery,
    MatchAllQuery,
    MatchNoneQuery,
    Query,
)


def _boost_field(query: str, body: dict[str, Any]) -> Field:
    """``declareFloat(boost)``: the setter's negative check fails inside the field parse."""

    def parse(value: Any) -> float:
        boost = jv.java_float(value)
        if is_negative(boost):
            raise negative_boost(query, body)
        return boost

    return Field(NUMBER, parse)


def _adjust_pure_negative(value: Any) -> bool:
    if not jv.java_bool(value):
        raise not_supported("[bool] query parameter [adjust_pure_negative: false]")
    return True


def parse_bool(body: dict[str, Any], ctx: QueryContext) -> BoolQuery:
    """``BoolQueryBuilder.fromXContent`` (an ObjectParser named ``bool``)."""

    def clauses(value: Any) -> tuple[Query, ...]:
        return () if value is None else tuple(parse_array(value, ctx.inner))

    occur = Field(OBJECT_ARRAY_OR_NULL, clauses)
    fields = {
        "must": occur,
        "should": occur,
        "must_not": occur,
        "filter": occur,
        "adjust_pure_negative": Field(BOOLEAN, _adjust_pure_negative),
        "minimum_should_match": Field(VALUE, minimum_should_match),
        "_name": string_field(),
        "boost": _boost_field("bool", body),
    }
    parsed = parse_object("bool", body, fields)
    parsed.pop("adjust_pure_negative", None)
    name = parsed.pop("_name", None)
    return BoolQuery(name=name, **parsed)


def parse_match_all(body: dict[str, Any], ctx: QueryContext) -> MatchAllQuery:
    """``MatchAllQueryBuilder.fromXContent``: ObjectParser errors rethrown as parsing errors."""
    fields = {"boost": _boost_field("match_all", body), "_name": string_field()}
    try:
        parsed = parse_object("match_all", body, fields)
    except ApiError as err:
        raise as_parsing(err) from None
    return MatchAllQuery(boost=parsed.get("boost", 1.0), name=parsed.get("_name"))


def parse_match_none(body: dict[str, Any], ctx: QueryContext) -> MatchNoneQuery:
    """``MatchNoneQueryBuilder.fromXContent``."""
    params: dict[str, Any] = {}
    for key, val in body.items():
        if not jv.is_value(val):
            raise unknown_token("match_none", jv.token_of(val), key)
        if key == "_name":
            params["name"] = jv.java_text(val)
        elif key == "boost":
            params["boost"] = float_param("match_none", key, val)
        else:
            raise does_not_support("match_none", key)
    checked_boost("match_none", body, params.get("boost", 1.0))
    return MatchNoneQuery(**params)


def parse_constant_score(body: dict[str, Any], ctx: QueryContext) -> ConstantScoreQuery:
    """``ConstantScoreQueryBuilder.fromXContent``: exactly one ``filter`` object."""
    inner: Query | None = None
    params: dict[str, Any] = {}
    for key, val in body.items():
        if isinstance(val, dict):
            if key != "filter":
                raise does_not_support("constant_score", key)
            inner = ctx.inner(val)
        elif not jv.is_value(val):
            raise parsing_error(f"unexpected token [{jv.token_of(val)}]")
        elif key == "_name":
            params["name"] = jv.java_text(val)
        elif key == "boost":
            params["boost"] = float_param("constant_score", key, val)
        else:
            raise does_not_support("constant_score", key)
    if inner is None:
        raise parsing_error("[constant_score] requires a 'filter' element")
    checked_boost("constant_score", body, params.get("boost", 1.0))
    return ConstantScoreQuery(filter=inner, **params)


def parse_dis_max(body: dict[str, Any], ctx: QueryContext) -> DisMaxQuery:
    """``DisMaxQueryBuilder.fromXContent``: ``queries`` is an object or a non-empty array."""
    queries: list[Query] = []
    found = False
    params: dict[str, Any] = {}
    for key, val in body.items():
        if isinstance(val, (dict, list)):
            if key != "queries":
                raise does_not_support("dis_max", key)
            found = True
            if isinstance(val, dict):
                queries.append(ctx.inner(val))
            elif not val:
                raise parsing_error("[_na] query malformed, must start with start_object")
            else:
                queries.extend(ctx.inner(element) for element in val)
        elif key in ("boost", "tie_breaker"):
            params[key] = float_param("dis_max", key, val)
        elif key == "_name":
            params["name"] = text_param("dis_max", key, val)
        else:
            raise does_not_support("dis_max", key)
    if not found:
        raise parsing_error("[dis_max] requires 'queries' field with at least one clause")
    checked_boost("dis_max", body, params.get("boost", 1.0))
    return DisMaxQuery(queries=tuple(queries), **params)
