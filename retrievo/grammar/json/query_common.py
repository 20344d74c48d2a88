"""What every query parser shares: the nesting context and typed parameter readers.

Elasticsearch's hand-written query parsers (``match``, ``term``, ``range`` …) read each parameter
with ``parser.text()``/``floatValue()``/``booleanValue()``; a value that cannot be coerced is
reported here as ``x_content_parse_exception`` ``[<query>] failed to parse field [<param>]`` with
the Java cause (which names the value) in ``caused_by``. Elasticsearch itself lets the bare Java
exception escape for these parsers; naming the query and the field is the one liberty we take.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from retrievo.errors import illegal_argument, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field, is_negative, negative_boost, unknown_token
from retrievo.retrievers.queries import Query

T = TypeVar("T")

#: ``indices.query.bool.max_nested_depth``: how deep queries may nest (Elasticsearch default).
MAX_NESTED_DEPTH = 30


@dataclass(frozen=True)
class QueryContext:
    """Nesting depth plus the dispatcher, so compound parsers can parse inner queries without
    importing the dispatch module (which imports them)."""

    dispatch: Callable[[Any, QueryContext], Query]
    depth: int = 0

    def inner(self, obj: Any) -> Query:
        """Parse a nested query object one level deeper."""
        return self.dispatch(obj, self)


def coerce(query: str, param: str, fn: Callable[[Any], T], value: Any) -> T:
    """Apply a Java-style coercion; failure is ``[query] failed to parse field [param]``."""
    try:
        return fn(value)
    except jv.BadValue as bad:
        raise failed_field(query, param, bad.cause) from None


def text_param(query: str, param: str, value: Any) -> str:
    """``parser.text()`` on a scalar; objects, arrays and ``null`` are an unknown token."""
    if not jv.is_value(value):
        raise unknown_token(query, jv.token_of(value), param)
    return jv.java_text(value)


def float_param(query: str, param: str, value: Any) -> float:
    return coerce(query, param, jv.java_float, value)


def int_param(query: str, param: str, value: Any) -> int:
    return coerce(query, param, jv.java_int, value)


def bool_param(query: str, param: str, value: Any) -> bool:
    return coerce(query, param, jv.java_bool, value)


def checked_boost(query: str, body: Any, boost: float, *, field_level: bool = False) -> float:
    """The ``boost(float)`` setter: negative boosts are rejected."""
    if is_negative(boost):
        raise negative_boost(query, body, field_level=field_level)
    return boost


def zero_terms(value: Any) -> Literal["none", "all"]:
    """``zero_terms_query``: ``none`` or ``all``, case-insensitively."""
    text = jv.java_text(value)
    if text.lower() == "none":
        return "none"
    if text.lower() == "all":
        return "all"
    raise parsing_error(f"Unsupported zero_terms_query value [{text}]")


def operator(value: Any) -> Literal["or", "and"]:
    """``Operator.fromString``: ``valueOf(op.toUpperCase())``."""
    text = jv.java_text(value).upper()
    if text == "OR":
        return "or"
    if text == "AND":
        return "and"
    raise illegal_argument(f"No enum constant org.elasticsearch.index.query.Operator.{text}")


def minimum_should_match(value: Any) -> int | str | None:
    """``textOrNull()``, keeping an integer as the integer the user wrote."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return jv.java_text(value)
