"""``query_string`` and ``simple_query_string`` bodies → their AST nodes.

Each function follows the token loop of Elasticsearch's ``fromXContent`` (``QueryStringQueryBuilder``,
``SimpleQueryStringBuilder``) so the same body fails with the same message. The query text itself is
not parsed here: its meaning depends on the index (``QueryStringQueryBuilder.doToQuery`` parses it on the
shard), so a syntax error is the planner's ``query_shard_exception``, as in Elasticsearch.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import bad_request, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field
from retrievo.grammar.json.query_common import (
    QueryContext,
    bool_param,
    checked_boost,
    float_param,
    int_param,
    minimum_should_match,
    operator,
)
from retrievo.retrievers.query_string import SIMPLE_FLAGS, QueryStringQuery, SimpleQueryStringQuery

_QS = "query_string"
_SQS = "simple_query_string"
#: ``MultiMatchQueryBuilder.Type`` names ``query_string`` accepts, and what retrievo runs.
_TYPES = {
    "best_fields": "best_fields",
    "boolean": "best_fields",
    "most_fields": "most_fields",
    "phrase": "phrase",
    "cross_fields": None,
    "phrase_prefix": None,
    "bool_prefix": None,
}


def _unknown_token(query: str, value: Any, key: str) -> Exception:
    return parsing_error(f"[{query}] unknown token [{jv.token_of(value)}] after [{key}]")


def _fields(query: str, key: str, value: Any, body: dict[str, Any]) -> tuple[str, ...]:
    """``QueryParserHelper.parseFieldsAndWeights``: each entry ``name`` or ``name^boost``."""
    out = []
    for element in value:
        if not jv.is_value(element) or element is None:
            raise _unknown_token(query, element, key)
        text = jv.java_text(element)
        name, caret, boost = text.partition("^")
        if caret:
            try:
                weight = jv.parse_java_double(boost)
            except jv.BadValue as bad:
                raise failed_field(query, key, bad.cause) from None
            checked_boost(query, body, weight)
        out.append(text if caret else name)
    return tuple(out)


def _type(value: Any) -> str:
    text = jv.java_text(value)
    kind = _TYPES.get(text, "")
    if kind == "":
        raise bad_request("parse_exception", f"failed to parse [multi_match] query type [{text}]. unknown type.")
    if kind is None:
        raise illegal_argument(
            f"[{_QS}] query type [{text}] is not supported in retrievo: "
            "only best_fields, most_fields and phrase are implemented"
        )
    return kind


def _fuzziness(value: Any) -> str:
    """``Fuzziness.parse``: ``AUTO``, ``AUTO:low,high`` or an edit count (0, 1, 2)."""
    text = jv.java_text(value)
    upper = text.upper()
    if upper == "AUTO" or upper.startswith("AUTO:"):
        return text
    try:
        number = float(text)
    except ValueError:
        raise bad_request("parse_exception", f"failed to parse [{text}] as a fuzziness value") from None
    if number not in (0, 1, 2):
        raise illegal_argument(f"Valid edit distances are [0, 1, 2] but was [{text}]")
    return str(int(number))


def parse_query_string(body: dict[str, Any], ctx: QueryContext) -> QueryStringQuery:
    """``QueryStringQueryBuilder.fromXContent``."""
    params: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, list):
            if key != "fields":
                raise parsing_error(f"[{_QS}] query does not support [{key}]")
            params["fields"] = _fields(_QS, key, value, body)
            continue
        if not jv.is_value(value):
            raise _unknown_token(_QS, value, key)
        if value is None and key not in ("fuzzy_rewrite", "rewrite", "minimum_should_match", "quote_field_suffix"):
            raise _unknown_token(_QS, value, key)
        if key == "query":
            params["query"] = jv.java_text(value)
        elif key in ("default_field", "analyzer", "quote_analyzer", "time_zone"):
            params[key] = jv.java_text(value)
        elif key in ("fuzzy_rewrite", "rewrite", "quote_field_suffix"):
            params[key] = None if value is None else jv.java_text(value)
        elif key == "default_operator":
            params[key] = operator(value)
        elif key in (
            "allow_leading_wildcard",
            "enable_position_increments",
            "escape",
            "fuzzy_transpositions",
            "analyze_wildcard",
            "lenient",
            "auto_generate_synonyms_phrase_query",
        ):
            params[key] = bool_param(_QS, key, value)
        elif key in ("max_determinized_states", "fuzzy_prefix_length", "fuzzy_max_expansions", "phrase_slop"):
            params[key] = int_param(_QS, key, value)
        elif key == "fuzziness":
            params[key] = _fuzziness(value)
        elif key == "boost":
            params[key] = float_param(_QS, key, value)
        elif key == "type":
            params[key] = _type(value)
        elif key == "tie_breaker":
            params[key] = float_param(_QS, key, value)
        elif key == "minimum_should_match":
            params[key] = minimum_should_match(value)
        elif key == "_name":
            params["name"] = jv.java_text(value)
        else:
            raise parsing_error(f"[{_QS}] query does not support [{key}]")
    if params.get("query") is None:
        raise parsing_error(f"[{_QS}] must be provided with a [query]")
    _refuse_unsupported(_QS, params)
    if params.get("fuzzy_prefix_length", 0) < 0:
        raise illegal_argument("No negative prefix length allowed.")
    if params.get("phrase_slop", 0) < 0:
        raise illegal_argument("No negative slop allowed.")
    if params.get("fuzzy_max_expansions", 50) <= 0:
        raise illegal_argument("Max expansions must be strictly great than zero.")
    checked_boost(_QS, body, params.get("boost", 1.0))
    return QueryStringQuery(**params)


def _refuse_unsupported(query: str, params: dict[str, Any]) -> None:
    """Options whose effect retrievo cannot reproduce: refused rather than ignored. Without
    ``auto_generate_synonyms_phrase_query`` a multi-word synonym becomes a boolean instead of a phrase
    (retrievo's ``match`` refuses it too); without position increments a phrase closes its gaps."""
    if params.get("auto_generate_synonyms_phrase_query") is False:
        raise not_supported(f"[{query}] query parameter [auto_generate_synonyms_phrase_query: false]")
    if params.get("enable_position_increments") is False:
        raise not_supported(f"[{query}] query parameter [enable_position_increments: false]")


def resolve_flags(text: str) -> int:
    """``SimpleQueryStringFlag.resolveFlags``: ``AND|OR|PREFIX``, case-insensitively."""
    flags = 0
    for name in text.split("|"):
        bit = SIMPLE_FLAGS.get(name.upper())
        if bit is None:
            raise illegal_argument(f"Unknown {_SQS} flag [{name}]")
        if bit == -1:
            return -1
        flags |= bit
    return flags


def parse_simple_query_string(body: dict[str, Any], ctx: QueryContext) -> SimpleQueryStringQuery:
    """``SimpleQueryStringBuilder.fromXContent``."""
    params: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, list):
            if key != "fields":
                raise parsing_error(f"[{_SQS}] query does not support [{key}]")
            params["fields"] = _fields(_SQS, key, value, body)
            continue
        if not jv.is_value(value) or (value is None and key not in ("minimum_should_match", "quote_field_suffix")):
            raise _unknown_token(_SQS, value, key)
        if key == "query":
            params["query"] = jv.java_text(value)
        elif key == "boost":
            params[key] = float_param(_SQS, key, value)
        elif key == "analyzer":
            params[key] = jv.java_text(value)
        elif key == "default_operator":
            params[key] = operator(value)
        elif key == "flags":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                flags = int_param(_SQS, key, value)
                params[key] = -1 if flags < 0 else flags
            else:
                params[key] = resolve_flags(jv.java_text(value))
        elif key in ("lenient", "analyze_wildcard", "auto_generate_synonyms_phrase_query", "fuzzy_transpositions"):
            params[key] = bool_param(_SQS, key, value)
        elif key == "_name":
            params["name"] = jv.java_text(value)
        elif key == "minimum_should_match":
            params[key] = minimum_should_match(value)
        elif key == "quote_field_suffix":
            params[key] = None if value is None else jv.java_text(value)
        elif key in ("fuzzy_prefix_length", "fuzzy_max_expansions"):
            params[key] = int_param(_SQS, key, value)
        else:
            raise parsing_error(f"[{_SQS}] unsupported field [{key}]")
    if params.get("query") is None:
        raise parsing_error(f"[{_SQS}] query text missing")
    _refuse_unsupported(_SQS, params)
    checked_boost(_SQS, body, params.get("boost", 1.0))
    return SimpleQueryStringQuery(**params)
