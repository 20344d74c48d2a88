"""The numeric field types (``long``, ``integer``, ``short``, ``byte``, ``double``, ``float``,
``half_float``), with Java's number parsing and ES's coercion rules."""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from retrievo.errors import error_cause
from retrievo.index.field_types.base import (
    FieldMapping,
    FieldTypeSpec,
    IgnoredValue,
    MappingContext,
    MappingDefinitionError,
    ParamParser,
    ValueParseError,
    json_token_name,
    json_token_text,
)
from retrievo.index.field_types.params import (
    doc_values_param,
    explicit_flag_param,
    index_param,
    meta_param,
    null_value_param,
)
from retrievo.java_text import java_double_str, java_str

__all__ = ["NUMBERS", "illegal_value", "java_parse_double", "to_float32"]


def _shortest_float32(value: float) -> float:
    """A float32 as Jackson writes a Java ``Float`` (``0.1``, not ``0.10000000149011612``)."""
    return float(str(np.float32(value)))


_INTEGER_RANGES = {
    "long": (-(2**63), 2**63 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
}
_JAVA_CLASS = {
    "long": "Long",
    "integer": "Integer",
    "short": "Short",
    "byte": "Integer",
    "double": "Double",
    "float": "Float",
    "half_float": "Float",
}
_RANGE_NAME = {"long": "a long", "integer": "an integer", "short": "a short", "byte": "an integer"}
_JAVA_DOUBLE_RE = re.compile(r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)")
_BIG_DECIMAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FLOAT32_MAX = 3.4028234663852886e38


def illegal_value(reason: str) -> ValueParseError:
    return ValueParseError(error_cause("illegal_argument_exception", reason))


def java_parse_double(text: str) -> float:
    """``Double.parseDouble``: trims ASCII whitespace, accepts ``NaN``, ``Infinity`` and a
    ``f``/``d`` suffix. Raises :class:`ValueParseError` (``number_format_exception``)."""
    trimmed = text.strip("".join(chr(c) for c in range(33)))
    if trimmed == "":
        raise ValueParseError(error_cause("number_format_exception", "empty String"))
    if not _JAVA_DOUBLE_RE.fullmatch(trimmed):
        raise ValueParseError(error_cause("number_format_exception", f'For input string: "{text}"'))
    core = trimmed.rstrip("fFdD") if not trimmed.endswith("Infinity") else trimmed
    return float(core.replace("Infinity", "inf"))


def to_float32(value: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _to_float16(value: float) -> float:
    try:
        return struct.unpack("e", struct.pack("e", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _string_to_long(text: str) -> int:
    """``AbstractXContentParser.toLong`` with coercion: BigDecimal semantics, truncating."""
    if re.fullmatch(r"[+-]?\d+", text) and -(2**63) <= int(text) < 2**63:
        return int(text)
    if not _BIG_DECIMAL_RE.fullmatch(text):
        raise illegal_value(f'For input string: "{text}"')
    number = Decimal(text)
    scale = -int(number.as_tuple().exponent)
    if scale < -19:
        raise illegal_value(f"Value [{text}] is out of range for a long")
    result = 0 if scale > 19 else int(number)  # int() truncates toward zero like toBigInteger
    low, high = _INTEGER_RANGES["long"]
    if not low <= result <= high:
        raise illegal_value(f"Value [{text}] is out of range for a long")
    return result


def _string_to_small_int(type_name: str, text: str) -> int:
    """``intValue``/``shortValue`` of a string: parseDouble, range check, truncation (NaN is 0)."""
    number = java_parse_double(text)
    low, high = _INTEGER_RANGES["integer" if type_name == "byte" else type_name]
    if number < low or number > high:
        raise illegal_value(f"Value [{text}] is out of range for {_RANGE_NAME[type_name]}")
    return 0 if math.isnan(number) else int(number)


def _json_number_to_int(type_name: str, value: int | float, coerce: bool) -> int:
    """Jackson's ``getLongValue``/``getIntValue``/``getShortValue`` on a number token, plus ES's
    check that no fraction is lost when ``coerce`` is false."""
    access = "integer" if type_name == "byte" else type_name
    low, high = _INTEGER_RANGES[access]
    if not low <= value <= high:
        text = json_token_text(value)
        if access == "short":
            message = f"Numeric value ({text}) out of range of Java short"
        else:
            label = "long" if access == "long" else "int"
            message = f"Numeric value ({text}) out of range of {label} ({low} - {high})"
        raise ValueParseError(error_cause("input_coercion_exception", message))
    result = int(value)
    if not coerce and isinstance(value, float) and result != value:
        raise illegal_value(
            f"{java_double_str(value)} cannot be converted to {_JAVA_CLASS[type_name]} without data loss"
        )
    return result


def _finite(type_name: str, value: float, shown: float | None = None) -> float:
    if math.isfinite(value):
        return value
    raise illegal_value(
        f"[{type_name}] supports only finite values, but got [{java_double_str(value if shown is None else shown)}]"
    )


def _number_from_value(type_name: str, value: Any, coerce: bool) -> int | float:
    """One non-null JSON value into a number of ``type_name``, as ``NumberFieldMapper.value``."""
    if isinstance(value, dict):
        raise ValueParseError(
            error_cause("illegal_argument_exception", "Cannot parse object as number"), malformed=False
        )
    if isinstance(value, bool):
        raise ValueParseError(
            error_cause(
                "x_content_parse_exception",
                f"Current token ({json_token_name(value)}) not numeric, can not use numeric value accessors",
            )
        )
    if isinstance(value, str):
        if not coerce:
            raise illegal_value(f"{_JAVA_CLASS[type_name]} value passed as String")
        if type_name == "long":
            return _string_to_long(value)
        if type_name in ("integer", "short", "byte"):
            result = _string_to_small_int(type_name, value)
        else:
            number = java_parse_double(value)
            return _round_floating(type_name, number)
    elif type_name in _INTEGER_RANGES:
        result = _json_number_to_int(type_name, value, coerce)
    else:
        try:
            number = float(value)
        except OverflowError:
            number = math.copysign(math.inf, value)
        return _round_floating(type_name, number)
    if type_name == "byte" and not -128 <= result <= 127:
        raise illegal_value(f"Value [{result}] is out of range for a byte")
    return result


def _round_floating(type_name: str, number: float) -> float:
    if type_name == "double":
        return _finite("double", number)
    if type_name == "float":
        return _finite("float", to_float32(number))
    return _finite("half_float", _to_float16(number), to_float32(number))


def _parse_number_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> int | float | None:
    if value is None or (value == "" and mapping.coerce):
        return mapping.null_value
    try:
        return _number_from_value(mapping.type, value, mapping.coerce)
    except ValueParseError as failure:
        if failure.malformed and mapping.ignore_malformed:
            raise IgnoredValue(mapping.path) from None
        raise


def _number_null_parser(type_name: str) -> ParamParser:
    """``NumberType.parse(Object, coerce=false)``: numbers and numeric strings, integral for
    integer types."""

    def parse(name: str, raw: Any, context: MappingContext) -> int | float:
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise illegal_value(f'For input string: "{java_str(raw)}"')
            if type_name in _INTEGER_RANGES:
                number = java_parse_double(raw) if isinstance(raw, str) else raw
                low, high = _INTEGER_RANGES[type_name]
                if not low <= number <= high:
                    raise illegal_value(
                        f"Value [{java_str(raw)}] is out of range for "
                        f"{'a byte' if type_name == 'byte' else _RANGE_NAME[type_name]}"
                    )
                if number != int(number):
                    raise illegal_value(f"Value [{java_str(raw)}] has a decimal part")
                return int(number)
            number = java_parse_double(raw) if isinstance(raw, str) else float(raw)
            return _round_floating(type_name, number)
        except ValueParseError as failure:
            raise MappingDefinitionError(failure.cause["reason"], failure.cause["type"]) from None

    return parse


def _number_spec(type_name: str) -> FieldTypeSpec:
    return FieldTypeSpec(
        name=type_name,
        params=(
            index_param(),
            doc_values_param(),
            null_value_param(
                _number_null_parser(type_name), _shortest_float32 if type_name == "float" else (lambda value: value)
            ),
            explicit_flag_param("coerce", True),
            explicit_flag_param("ignore_malformed", False),
            meta_param(),
        ),
        parse_value=_parse_number_value,
        unsupported=frozenset(
            {"store", "copy_to", "script", "on_script_error", "time_series_dimension", "time_series_metric"}
        ),
    )


NUMBERS: tuple[FieldTypeSpec, ...] = tuple(
    _number_spec(name) for name in ("long", "integer", "short", "byte", "double", "float", "half_float")
)
"""The numeric field types, in registration order."""
