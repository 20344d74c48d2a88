"""JSON values seen the way Elasticsearch's XContent parser sees them.

Elasticsearch never looks at a Python type: it sees *tokens* (``VALUE_STRING``, ``START_ARRAY`` …)
and coerces them with Java rules (``"2"`` is a fine ``int``, ``"2.5"`` is truncated to ``2``,
``"yes"`` is not a boolean). Error messages quote those token names and Java's own wording, so this
module reproduces both. Coercion failures raise :class:`BadValue`, which carries the Java-style
cause; the caller decides how Elasticsearch would wrap it (it differs per parser).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from retrievo.errors import error_cause

VALUE_STRING = "VALUE_STRING"
VALUE_NUMBER = "VALUE_NUMBER"
VALUE_BOOLEAN = "VALUE_BOOLEAN"
VALUE_NULL = "VALUE_NULL"
START_OBJECT = "START_OBJECT"
START_ARRAY = "START_ARRAY"
VALUE_EMBEDDED_OBJECT = "VALUE_EMBEDDED_OBJECT"

INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# Java's Float/Double.parseFloat grammar (decimal forms; hex floats are not worth emulating).
_JAVA_FLOAT = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)")


class BadValue(Exception):
    """A value Elasticsearch could not coerce; ``cause`` is the Java exception as an error body."""

    def __init__(self, cause: dict[str, Any]) -> None:
        super().__init__(cause["reason"])
        self.cause = cause


def token_of(value: Any) -> str:
    """The XContent token a JSON value starts with (bool before int: ``True`` is an ``int``)."""
    if value is None:
        return VALUE_NULL
    if isinstance(value, bool):
        return VALUE_BOOLEAN
    if isinstance(value, (int, float)):
        return VALUE_NUMBER
    if isinstance(value, str):
        return VALUE_STRING
    if isinstance(value, list):
        return START_ARRAY
    if isinstance(value, Mapping):
        return START_OBJECT
    return VALUE_EMBEDDED_OBJECT


def is_value(value: Any) -> bool:
    """``Token.isValue()``: strings, numbers and booleans; ``null`` is *not* a value in XContent."""
    return token_of(value) in (VALUE_STRING, VALUE_NUMBER, VALUE_BOOLEAN)


def java_text(value: Any) -> str:
    """``parser.text()``: the text of a scalar token (booleans print as Java does)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number_format(text: str) -> BadValue:
    reason = "empty String" if not text.strip() else f'For input string: "{text}"'
    return BadValue(error_cause("number_format_exception", reason))


def _not_numeric(value: Any) -> BadValue:
    token = "VALUE_TRUE" if value is True else "VALUE_FALSE" if value is False else token_of(value)
    return BadValue(
        error_cause(
            "x_content_parse_exception", f"Current token ({token}) not numeric, can not use numeric value accessors"
        )
    )


def parse_java_double(text: str) -> float:
    """``Double.parseDouble``: stricter than ``float()`` (no ``inf``, ``nan`` or ``1_0``)."""
    stripped = text.strip()
    if not _JAVA_FLOAT.fullmatch(stripped):
        raise _number_format(text)
    return float(stripped.rstrip("fFdD").replace("Infinity", "inf"))


def java_float(value: Any) -> float:
    """``parser.floatValue()`` with coercion: numbers, and strings holding a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _not_numeric(value)
    if isinstance(value, str):
        return parse_java_double(value)
    return float(value)


def java_int(value: Any) -> int:
    """``parser.intValue()`` with coercion: fractions are truncated, out-of-range is an error."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _not_numeric(value)
    number = parse_java_double(value) if isinstance(value, str) else value
    if number != number or not INT_MIN <= number <= INT_MAX:  # NaN or out of range
        raise BadValue(
            error_cause("illegal_argument_exception", f"Value [{java_text(value)}] is out of range for an integer")
        )
    return int(number)


def java_bool(value: Any) -> bool:
    """``parser.booleanValue()``: a boolean, or exactly the string ``"true"`` or ``"false"``."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return str(value) == "true"
    raise BadValue(
        error_cause(
            "illegal_argument_exception",
            f"Failed to parse value [{java_text(value)}] as only [true] or [false] are allowed.",
        )
    )
