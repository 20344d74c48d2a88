"""The ``date`` field type: ``format``, ``null_value`` and values parsed to epoch millis."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from retrievo.index.dates import DEFAULT_DATE_FORMAT, DateFormatError, DateParseError, compile_date_format
from retrievo.index.field_types.base import (
    FieldMapping,
    FieldTypeSpec,
    IgnoredValue,
    MappingContext,
    MappingDefinitionError,
    ParamSpec,
    ValueParseError,
)
from retrievo.index.field_types.params import (
    constant,
    doc_values_param,
    explicit_flag_param,
    index_param,
    meta_param,
    null_value_param,
)
from retrievo.index.field_types.text import text_of
from retrievo.java_text import java_str

__all__ = ["DATE"]


def _parse_format(name: str, raw: Any, context: MappingContext) -> str:
    if not isinstance(raw, str):
        raise MappingDefinitionError(
            f"Invalid format: [{java_str(raw)}]: expected string value", "illegal_argument_exception"
        )
    try:
        compile_date_format(raw)
    except DateFormatError as unsupported:
        raise MappingDefinitionError(str(unsupported)) from None
    return raw


def _parse_date_null(name: str, raw: Any, context: MappingContext) -> str:
    return java_str(raw)


def _validate_date(name: str, params: Mapping[str, Any]) -> None:
    """ES 8 rejects a ``null_value`` that the field's own format cannot parse."""
    null_value = params.get("null_value")
    if null_value is None:
        return
    try:
        compile_date_format(params["format"]).parse_millis(null_value)
    except DateParseError as failure:
        raise MappingDefinitionError(
            f"Error parsing [null_value] on field [{name}]: {failure.reason}", caused_by=failure.to_cause()
        ) from None


def _parse_date_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> int | None:
    text = text_of(value, where)
    if text is None:
        text = mapping.null_value
        if text is None:
            return None
    try:
        return compile_date_format(mapping.format or DEFAULT_DATE_FORMAT).parse_millis(text)
    except DateParseError as failure:
        if mapping.ignore_malformed:
            raise IgnoredValue(mapping.path) from None
        raise ValueParseError(failure.to_cause()) from None


DATE = FieldTypeSpec(
    name="date",
    params=(
        index_param(),
        doc_values_param(),
        ParamSpec("format", _parse_format, constant(DEFAULT_DATE_FORMAT)),
        null_value_param(_parse_date_null),
        explicit_flag_param("ignore_malformed", False),
        meta_param(),
    ),
    parse_value=_parse_date_value,
    unsupported=frozenset({"store", "copy_to", "locale", "script", "on_script_error", "precision_step"}),
    validate=_validate_date,
)
