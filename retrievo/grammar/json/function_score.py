"""``function_score``, its score functions, ``boosting`` and ``terms_set``: Elasticsearch JSON → AST.

Follows ``FunctionScoreQueryBuilder.fromXContent`` (one function written inline, or a ``functions``
array, never both), the score function parsers (``field_value_factor``, ``random_score``, the decay
functions' ``DecayFunctionParser``, ``weight``), ``BoostingQueryBuilder.fromXContent`` and
``TermsSetQueryBuilder.fromXContent`` with their messages. Scripts are refused: retrievo runs none.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from retrievo.errors import BadRequestError, bad_request, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import does_not_support
from retrievo.grammar.json.query_common import (
    QueryContext,
    checked_boost,
    float_param,
    minimum_should_match,
    text_param,
)
from retrievo.java_order import java_string_hash
from retrievo.retrievers.function_score import (
    BoostingQuery,
    BoostMode,
    DecayFunction,
    FieldValueFactorFunction,
    FilterFunction,
    FunctionScoreQuery,
    Modifier,
    MultiValueMode,
    RandomScoreFunction,
    ScoreFunction,
    ScoreMode,
    TermsSetQuery,
    WeightFunction,
)
from retrievo.retrievers.queries import MatchAllQuery, Query

NAME = "function_score"
_MISPLACED = "you can either define [functions] array or a single function, not both. "
_SCORE_MODES = ("multiply", "sum", "avg", "first", "max", "min")
_BOOST_MODES = ("multiply", "replace", "sum", "avg", "max", "min")
_MODIFIERS = ("none", "log", "log1p", "log2p", "ln", "ln1p", "ln2p", "square", "sqrt", "reciprocal")


def _f32(value: float) -> float:
    """``parser.floatValue()``: the value as a Java float."""
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def _float(query: str, param: str, value: Any) -> float:
    return _f32(float_param(query, param, value))


def _enum(value: Any, allowed: tuple[str, ...], java_class: str) -> str:
    """``Enum.valueOf(text.toUpperCase(Locale.ROOT))``."""
    text = jv.java_text(value)
    if text.lower() not in allowed:
        raise illegal_argument(f"No enum constant {java_class}.{text.upper()}")
    return text.lower()


def _weight(key: str, value: Any) -> float:
    """``ScoreFunctionBuilder.setWeight``: a negative weight could make negative scores."""
    weight = _float(NAME, key, value)
    if weight < 0:
        raise illegal_argument("[weight] cannot be negative for a filtering function")
    return weight


def _misplaced(detail: str) -> BadRequestError:
    return parsing_error(f"failed to parse [{NAME}] query. [{_MISPLACED}{detail}]")


def _already_found(single: str, current: str) -> BadRequestError:
    return parsing_error(
        f"failed to parse [{NAME}] query. already found function [{single}], now encountering [{current}]. "
        "use [functions] array if you want to define several functions."
    )


def parse_function_score(body: dict[str, Any], ctx: QueryContext) -> FunctionScoreQuery:
    """``FunctionScoreQueryBuilder.fromXContent``."""
    query: Query | None = None
    functions: list[FilterFunction] = []
    single: str | None = None
    array_found = False
    params: dict[str, Any] = {}
    for key, val in body.items():
        if isinstance(val, dict):
            if key == "query":
                if query is not None:
                    raise parsing_error(f"failed to parse [{NAME}] query. [query] is already defined.")
                query = ctx.inner(val)
                continue
            if single is not None:
                raise _already_found(single, key)
            if array_found:
                raise _misplaced(f"already found [functions] array, now encountering [{key}].")
            single = key
            functions.append(FilterFunction(function=parse_score_function(key, val)))
        elif isinstance(val, list):
            if key != "functions":
                raise parsing_error(f"failed to parse [{NAME}] query. array [{key}] is not supported")
            if single is not None:
                raise _misplaced(f"already found [{single}], now encountering [functions].")
            array_found = True
            functions.extend(_parse_functions(val, ctx))
        elif key == "score_mode":
            params["score_mode"] = _enum(
                val, _SCORE_MODES, "org.elasticsearch.common.lucene.search.function.FunctionScoreQuery.ScoreMode"
            )
        elif key == "boost_mode":
            params["boost_mode"] = _enum(
                val, _BOOST_MODES, "org.elasticsearch.common.lucene.search.function.CombineFunction"
            )
        elif key == "max_boost":
            params["max_boost"] = _float(NAME, key, val)
        elif key == "boost":
            params["boost"] = _float(NAME, key, val)
        elif key == "_name":
            params["name"] = text_param(NAME, key, val)
        elif key == "min_score":
            params["min_score"] = _float(NAME, key, val)
        else:
            if single is not None:
                raise _already_found(single, key)
            if array_found:
                raise _misplaced(f"already found [functions] array, now encountering [{key}].")
            if key != "weight":
                raise parsing_error(f"failed to parse [{NAME}] query. field [{key}] is not supported")
            functions.append(FilterFunction(function=WeightFunction(weight=_weight(key, val))))
            single = key
    checked_boost(NAME, body, params.get("boost", 1.0))
    return FunctionScoreQuery(
        query=query if query is not None else MatchAllQuery(),
        functions=tuple(functions),
        score_mode=cast(ScoreMode, params.pop("score_mode", "multiply")),
        boost_mode=cast("BoostMode | None", params.pop("boost_mode", None)),
        **params,
    )


def _parse_functions(items: list[Any], ctx: QueryContext) -> list[FilterFunction]:
    """``parseFiltersAndFunctions``: each entry a filter (optional), a function and/or a ``weight``."""
    out: list[FilterFunction] = []
    for item in items:
        if not isinstance(item, dict):
            raise parsing_error(
                f"failed to parse [START_OBJECT]. malformed query, expected a [{jv.token_of(item)}] while parsing "
                f"functions but got a [{NAME}] instead"
            )
        filt: Query | None = None
        function: ScoreFunction | None = None
        weight: float | None = None
        for key, val in item.items():
            if isinstance(val, dict):
                if key == "filter":
                    filt = ctx.inner(val)
                    continue
                if function is not None:
                    raise parsing_error(
                        f"failed to parse function_score functions. already found [{function.kind}], "
                        f"now encountering [{key}]."
                    )
                function = parse_score_function(key, val)
            elif key == "weight":
                weight = _weight(key, val)
            else:
                raise parsing_error(f"failed to parse [{NAME}] query. field [{key}] is not supported")
        if weight is not None:
            function = (
                WeightFunction(weight=weight) if function is None else function.model_copy(update={"weight": weight})
            )
        if function is None:
            raise parsing_error(f"failed to parse [{NAME}] query. an entry in functions list is missing a function.")
        if isinstance(filt, MatchAllQuery):
            filt = None  # doToQuery: a filter named match_all is no filter (its boost and _name unused)
        out.append(FilterFunction(function=function, filter=filt))
    return out


def parse_score_function(name: str, body: dict[str, Any]) -> ScoreFunction:
    """The score function registered under ``name`` (``ScoreFunctionParser``)."""
    if name == "field_value_factor":
        return _field_value_factor(body)
    if name == "random_score":
        return _random_score(body)
    if name in ("gauss", "exp", "linear"):
        return _decay(name, body)
    if name == "script_score":
        raise not_supported("[script_score] function", "retrievo runs no scripts")
    if name == "weight":
        raise parsing_error(f"failed to parse [{NAME}] query. field [{name}] is not supported")
    raise bad_request("parsing_exception", f"unknown field [{name}]")


def _field_value_factor(body: dict[str, Any]) -> FieldValueFactorFunction:
    """``FieldValueFactorFunctionBuilder.fromXContent``."""
    what = "field_value_factor"
    params: dict[str, Any] = {}
    for key, val in body.items():
        if not jv.is_value(val) or val is None:
            if key == "factor" and isinstance(val, (dict, list)):
                raise parsing_error(f"[{what}] field 'factor' does not support lists or objects")
            continue  # the builder's token loop passes over anything but values
        if key == "field":
            params["field"] = jv.java_text(val)
        elif key == "factor":
            params["factor"] = _float(what, key, val)
        elif key == "modifier":
            params["modifier"] = cast(
                Modifier,
                _enum(
                    val, _MODIFIERS, "org.elasticsearch.common.lucene.search.function.FieldValueFactorFunction.Modifier"
                ),
            )
        elif key == "missing":
            params["missing"] = float_param(what, key, val)
        else:
            raise parsing_error(f"{what} query does not support [{key}]")
    if "field" not in params:
        raise parsing_error("[field_value_factor] required field 'field' missing")
    return FieldValueFactorFunction(**params)


def _java_long_hash(value: int) -> int:
    """``Long.hashCode``: the two halves xor-ed, as a Java int."""
    bits = value & 0xFFFFFFFFFFFFFFFF
    h = (bits ^ (bits >> 32)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def _java_string_hash(text: str) -> int:
    h = java_string_hash(text)
    return h - (1 << 32) if h >= 1 << 31 else h


def _random_score(body: dict[str, Any]) -> RandomScoreFunction:
    """``RandomScoreFunctionBuilder.fromXContent``: an int seed, a long (its ``hashCode``) or a string
    (its ``hashCode``)."""
    params: dict[str, Any] = {}
    for key, val in body.items():
        if not jv.is_value(val):
            continue  # ES skips anything but values here
        if key == "seed":
            if isinstance(val, bool) or not isinstance(val, (int, str)):
                kind = "VALUE_NUMBER" if isinstance(val, float) else jv.token_of(val)
                raise parsing_error(f"random_score seed must be an int, long or string, not '{kind}'")
            if isinstance(val, str):
                params["seed"] = _java_string_hash(val)
            elif -(1 << 31) <= val < 1 << 31:
                params["seed"] = val
            else:
                params["seed"] = _java_long_hash(val)
        elif key == "field":
            params["field"] = jv.java_text(val)
        else:
            raise parsing_error(f"random_score query does not support [{key}]")
    return RandomScoreFunction(**params)


def _decay(kind: str, body: dict[str, Any]) -> DecayFunction:
    """``DecayFunctionParser.fromXContent``: the field's object and ``multi_value_mode``."""
    field: str | None = None
    params: dict[str, Any] | None = None
    mode: str = "min"
    for key, val in body.items():
        if isinstance(val, dict):
            field, params = key, val
        elif key == "multi_value_mode":
            mode = jv.java_text(val).lower()
            if mode == "median":
                raise not_supported("[multi_value_mode] [median] in a decay function")
            if mode not in ("min", "max", "avg", "sum"):
                raise illegal_argument(f"Illegal sort_mode {jv.java_text(val)}")
        else:
            raise bad_request("parse_exception", "malformed score function score parameters.")
    if field is None or params is None:
        raise bad_request("parse_exception", "malformed score function score parameters.")
    return DecayFunction(
        decay_type=cast(Any, kind),
        field=field,
        params=tuple(params.items()),
        multi_value_mode=cast(MultiValueMode, mode),
    )


def parse_script_score(body: dict[str, Any], ctx: QueryContext) -> Query:
    """The ``script_score`` query: retrievo runs no scripts."""
    raise not_supported("[script_score] query", "retrievo runs no scripts")


def parse_boosting(body: dict[str, Any], ctx: QueryContext) -> BoostingQuery:
    """``BoostingQueryBuilder.fromXContent``."""
    positive: Query | None = None
    negative: Query | None = None
    negative_boost = -1.0
    params: dict[str, Any] = {}
    for key, val in body.items():
        if isinstance(val, dict):
            if key == "positive":
                positive = ctx.inner(val)
            elif key == "negative":
                negative = ctx.inner(val)
            else:
                raise does_not_support("boosting", key)
        elif key == "negative_boost":
            negative_boost = _float("boosting", key, val)
        elif key == "boost":
            params["boost"] = _float("boosting", key, val)
        elif key == "_name":
            params["name"] = text_param("boosting", key, val)
        else:
            raise does_not_support("boosting", key)
    if positive is None:
        raise parsing_error("[boosting] query requires 'positive' query")
    if negative is None:
        raise parsing_error("[boosting] query requires 'negative' query")
    if negative_boost < 0:
        raise parsing_error("[boosting] query requires 'negative_boost' to be set to be a positive value'")
    checked_boost("boosting", body, params.get("boost", 1.0))
    return BoostingQuery(positive=positive, negative=negative, negative_boost=negative_boost, **params)


def parse_terms_set(body: dict[str, Any], ctx: QueryContext) -> TermsSetQuery:
    """``TermsSetQueryBuilder.fromXContent``: ``{"<field>": {terms, minimum_should_match_field |
    minimum_should_match, boost, _name}}``."""
    what = "terms_set"
    if len(body) != 1:
        raise parsing_error(f"[{what}] unknown token [{'END_OBJECT' if not body else 'FIELD_NAME'}]")
    field, spec = next(iter(body.items()))
    if not isinstance(spec, dict):
        raise parsing_error(f"[{what}] unknown token [{jv.token_of(spec)}]")
    terms: list[Any] = []
    params: dict[str, Any] = {}
    for key, val in spec.items():
        if isinstance(val, list):
            if key != "terms":
                raise parsing_error(f"[{what}] query does not support [{key}]")
            for v in val:
                if v is None:
                    raise illegal_argument("No value specified for terms query")
                if not jv.is_value(v):
                    raise parsing_error(f"[{what}] unknown token [{jv.token_of(v)}] after [{key}]")
            terms = list(val)
        elif isinstance(val, dict):
            if key == "minimum_should_match_script":
                raise not_supported(
                    "[terms_set] query parameter [minimum_should_match_script]", "retrievo runs no scripts"
                )
            raise parsing_error(f"[{what}] query does not support [{key}]")
        elif key == "minimum_should_match_field":
            params["minimum_should_match_field"] = text_param(what, key, val)
        elif key == "minimum_should_match":
            params["minimum_should_match"] = minimum_should_match(val)
        elif key == "boost":
            params["boost"] = _float(what, key, val)
        elif key == "_name":
            params["name"] = text_param(what, key, val)
        else:
            raise parsing_error(f"[{what}] query does not support [{key}]")
    if "minimum_should_match_field" in params and "minimum_should_match" in params:
        raise illegal_argument(
            "A field has already been specified. Cannot specify both a field and minimum_should_match"
        )
    checked_boost(what, body, params.get("boost", 1.0))
    return TermsSetQuery(field=field, terms=tuple(terms), **params)
