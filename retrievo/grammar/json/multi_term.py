"""Multi-term query parsers: ``fuzzy``, ``wildcard``, ``regexp``, and ``fuzziness`` itself.

Each follows its Elasticsearch builder's ``fromXContent`` loop (parameters read in the order given, the
first bad one wins) and constructor checks. ``fuzziness`` is read as ``Fuzziness.parse`` reads it — a
string through ``fromString``, a number through ``fromEdits(intValue())`` — and kept in its
``asString`` form; ``match``/``multi_match`` use the same reader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import BadRequestError, bad_request, illegal_argument
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import does_not_support, multiple_fields, unknown_token
from retrievo.grammar.json.query_common import (
    QueryContext,
    bool_param,
    checked_boost,
    float_param,
    int_param,
    text_param,
)
from retrievo.lucene.multi_term import regexp_syntax_flags
from retrievo.retrievers.fuzzy_options import FuzzyOptions
from retrievo.retrievers.multi_term_queries import FuzzyQuery, RegexpQuery, WildcardQuery

_TOKENS = {bool: "VALUE_BOOLEAN", dict: "START_OBJECT", list: "START_ARRAY", type(None): "VALUE_NULL"}


def _parse_exception(reason: str) -> BadRequestError:
    """``ElasticsearchParseException``."""
    return bad_request("parse_exception", reason)


def _from_edits(edits: int) -> str:
    if edits not in (0, 1, 2):
        raise illegal_argument(f"Valid edit distances are [0, 1, 2] but was [{edits}]")
    return str(edits)


def _java_split_comma(text: str) -> list[str]:
    """``String.split(",")``: trailing empty strings removed."""
    parts = text.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _java_parse_int(text: str) -> int:
    """``Integer.parseInt``: an optional sign and ASCII digits, within int range."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(text)
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise ValueError(text)
    return value


def _custom_auto(upper: str) -> str:
    limits = _java_split_comma(upper[len("AUTO:") :])
    if len(limits) != 2:
        raise _parse_exception("failed to find low and high distance values")
    try:
        low, high = _java_parse_int(limits[0]), _java_parse_int(limits[1])
    except ValueError:
        raise _parse_exception(f'failed to parse [{upper}] as a "auto:int,int"') from None
    if low < 0 or high < 0 or low > high:
        raise _parse_exception(f"fuzziness wrongly configured [{upper}]. Must be 0 < lower value <= higher value.")
    return "AUTO" if (low, high) == (3, 6) else f"AUTO:{low},{high}"


def fuzziness_from_string(text: str) -> str:
    """``Fuzziness.fromString``: ``AUTO``, ``AUTO:low,high`` or a whole number of edits (0, 1, 2)."""
    if not text:
        raise illegal_argument("fuzziness cannot be null or empty.")
    upper = text.upper()
    if upper == "AUTO":
        return "AUTO"
    if upper.startswith("AUTO:"):
        return _custom_auto(upper)
    try:
        number = jv.parse_java_double(upper)
    except jv.BadValue:
        raise illegal_argument(f"fuzziness cannot be [{text}].") from None
    number = float(jv.java_float(number))  # Float.parseFloat: float precision
    if number == number and abs(number) != float("inf") and number % 1 > 0:
        from retrievo.java_text import java_float_str

        raise illegal_argument(f"fuzziness needs to be one of 0.0, 1.0 or 2.0 but was {java_float_str(number)}")
    if number != number:
        return _from_edits(0)  # (int) NaN
    return _from_edits(int(max(min(number, 2**31 - 1), -(2**31))))


def parse_fuzziness(query: str, value: Any) -> str:
    """``Fuzziness.parse`` on the current token."""
    if isinstance(value, str):
        return fuzziness_from_string(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_edits(int_param(query, "fuzziness", value))
    token = _TOKENS.get(type(value), "VALUE_EMBEDDED_OBJECT")
    raise illegal_argument(f"Can't parse fuzziness on token: [{token}]")


def fuzzy_options(params: dict[str, Any], max_expansions: int) -> FuzzyOptions | None:
    """Take ``match``'s fuzzy parameters out of ``params``: options when ``fuzziness`` was given."""
    fuzziness = params.pop("fuzziness", None)
    prefix_length = params.pop("prefix_length", 0)
    rewrite = params.pop("fuzzy_rewrite", None)
    transpositions = params.pop("fuzzy_transpositions", True)
    if fuzziness is None:
        return None
    return FuzzyOptions(
        fuzziness=fuzziness,
        prefix_length=prefix_length,
        max_expansions=max_expansions,
        transpositions=transpositions,
        rewrite=rewrite,
    )


def _field_body(query: str, body: dict[str, Any]) -> tuple[str | None, Any, dict[str, Any] | None]:
    """The one field of a field-level query: (field, short-form value, long-form object)."""
    field: str | None = None
    short: Any = None
    obj: dict[str, Any] | None = None
    for key, val in body.items():
        if field is not None:
            raise multiple_fields(query, field, key)
        field = key
        if isinstance(val, dict):
            obj = val
        else:
            short = val
    return field, short, obj


def _scalar(query: str, key: str, value: Any) -> Any:
    if isinstance(value, (dict, list)):
        raise unknown_token(query, jv.token_of(value), key)
    return value


#: Reads one parameter: ``(query, key, value)`` → the builder's argument.
ParamRead = Callable[[str, str, Any], Any]
#: One query's parameters: JSON key → (the AST field it sets, how its value is read).
ParamTable = dict[str, tuple[str, ParamRead]]


def _text_or_null(query: str, key: str, value: Any) -> str | None:
    return None if value is None else jv.java_text(value)


def _raw(query: str, key: str, value: Any) -> Any:
    return value


#: What every multi-term query reads the same way.
_COMMON: ParamTable = {
    "boost": ("boost", float_param),
    "rewrite": ("rewrite", _text_or_null),
    "_name": ("name", text_param),
}
_FUZZY: ParamTable = {
    "term": ("value", _raw),
    "value": ("value", _raw),
    "fuzziness": ("fuzziness", lambda q, k, v: parse_fuzziness(q, v)),
    "prefix_length": ("prefix_length", int_param),
    "max_expansions": ("max_expansions", int_param),
    "transpositions": ("transpositions", bool_param),
}
_WILDCARD: ParamTable = {
    "wildcard": ("value", lambda q, k, v: None if v is None else text_param(q, k, v)),
    "value": ("value", lambda q, k, v: None if v is None else text_param(q, k, v)),
    "case_insensitive": ("case_insensitive", bool_param),
}
_REGEXP: ParamTable = {
    "value": ("value", _text_or_null),
    "flags": ("flags_value", lambda q, k, v: regexp_syntax_flags(_text_or_null(q, k, v) or "")),
    "max_determinized_states": ("max_determinized_states", int_param),
    "flags_value": ("flags_value", int_param),
    "case_insensitive": ("case_insensitive", bool_param),
}


def _read_params(query: str, obj: dict[str, Any] | None, table: ParamTable) -> dict[str, Any]:
    """The builder's inner loop: scalar parameters in the order given (the first bad one wins); a key
    read twice keeps its last value, as the builder's setter does."""
    params: dict[str, Any] = {}
    for key, val in (obj or {}).items():
        val = _scalar(query, key, val)
        entry = table.get(key) or _COMMON.get(key)
        if entry is None:
            raise does_not_support(query, key)
        params[entry[0]] = entry[1](query, key, val)
    return params


def parse_fuzzy(body: dict[str, Any], ctx: QueryContext) -> FuzzyQuery:
    """``FuzzyQueryBuilder.fromXContent`` and its constructor checks."""
    field, value, obj = _field_body("fuzzy", body)
    params = _read_params("fuzzy", obj, _FUZZY)
    value = params.pop("value", value)
    if not field:
        raise illegal_argument("field name cannot be null or empty")
    if value is None:
        raise illegal_argument("query value cannot be null")
    checked_boost("fuzzy", body, params.get("boost", 1.0), field_level=True)
    return FuzzyQuery(field=field, value=value, **params)


def parse_wildcard(body: dict[str, Any], ctx: QueryContext) -> WildcardQuery:
    """``WildcardQueryBuilder.fromXContent``: the pattern under ``wildcard`` or ``value``."""
    field, short, obj = _field_body("wildcard", body)
    params = _read_params("wildcard", obj, _WILDCARD)
    value = params.pop("value", None if short is None else text_param("wildcard", str(field), short))
    if not field:
        raise illegal_argument("field name is null or empty")
    if value is None:
        raise illegal_argument("value cannot be null")
    checked_boost("wildcard", body, params.get("boost", 1.0), field_level=True)
    return WildcardQuery(field=field, value=value, **params)


def parse_regexp(body: dict[str, Any], ctx: QueryContext) -> RegexpQuery:
    """``RegexpQueryBuilder.fromXContent``; ``flags`` names are resolved as ``RegexpFlag`` does."""
    field, short, obj = _field_body("regexp", body)
    params = _read_params("regexp", obj, _REGEXP)
    value = params.pop("value", None if short is None else jv.java_text(short))
    if not field:
        raise illegal_argument("field name is null or empty")
    if value is None:
        raise illegal_argument("value cannot be null")
    checked_boost("regexp", body, params.get("boost", 1.0), field_level=True)
    return RegexpQuery(field=field, value=value, **params)
