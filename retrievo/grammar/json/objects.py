"""A small emulation of Elasticsearch's ``ObjectParser``.

Several Elasticsearch parsers (``bool``, ``match_all``, ``ids``, every retriever, ``field_sort``)
are declarative ``ObjectParser``s rather than hand-written token loops. They share one set of error
messages — unknown field with a did-you-mean, "doesn't support values of type", and "failed to
parse field" wrapping — which this module reproduces so each parser only declares its fields.
Later retrievers (``knn``, ``rrf`` …) should declare their fields with :class:`Field` too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from retrievo.errors import ApiError, error_cause
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field, unknown_field, unsupported_token

# ObjectParser.ValueType token sets.
STRING = frozenset({jv.VALUE_STRING})
NUMBER = frozenset({jv.VALUE_NUMBER, jv.VALUE_STRING})  # INT, LONG, FLOAT, DOUBLE
BOOLEAN = frozenset({jv.VALUE_BOOLEAN, jv.VALUE_STRING})
VALUE = frozenset({jv.VALUE_STRING, jv.VALUE_NUMBER, jv.VALUE_BOOLEAN, jv.VALUE_NULL})
OBJECT = frozenset({jv.START_OBJECT})
OBJECT_ARRAY = frozenset({jv.START_OBJECT, jv.START_ARRAY})
OBJECT_ARRAY_OR_NULL = OBJECT_ARRAY | {jv.VALUE_NULL}
STRING_ARRAY = frozenset({jv.START_ARRAY, jv.VALUE_STRING})


@dataclass(frozen=True)
class Field:
    """One declared field: the tokens it accepts and how to turn the value into Python."""

    tokens: frozenset[str]
    parse: Callable[[Any], Any]


def parse_object(name: str, body: Mapping[str, Any], fields: Mapping[str, Field]) -> dict[str, Any]:
    """Parse ``body`` field by field, in order, with ObjectParser's errors; returns parsed values.

    Any error raised by a field's ``parse`` becomes ``[name] failed to parse field [f]`` around it.
    """
    out: dict[str, Any] = {}
    for key, value in body.items():
        spec = fields.get(key)
        if spec is None:
            raise unknown_field(name, key, fields.keys())
        token = jv.token_of(value)
        if token not in spec.tokens:
            raise unsupported_token(name, key, token)
        try:
            out[key] = spec.parse(value)
        except jv.BadValue as bad:
            raise failed_field(name, key, bad.cause) from None
        except ApiError as err:
            raise failed_field(name, key, err) from None
    return out


def parse_array(value: Any, item: Callable[[Any], Any]) -> list[Any]:
    """``ObjectParser.parseArray``: a single value or object counts as a one-element array."""
    if not isinstance(value, list):
        return [item(value)]
    out = []
    for element in value:
        if isinstance(element, list):
            raise jv.BadValue(error_cause("illegal_state_exception", "expected value but got [START_ARRAY]"))
        out.append(item(element))
    return out


# Field builders for the common declarations (declareString, declareFloat …).
def string_field() -> Field:
    return Field(STRING, lambda v: v)


def float_field() -> Field:
    return Field(NUMBER, jv.java_float)


def int_field() -> Field:
    return Field(NUMBER, jv.java_int)


def bool_field() -> Field:
    return Field(BOOLEAN, jv.java_bool)
