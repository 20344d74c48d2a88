"""The ``boolean`` field type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import error_cause
from retrievo.index.field_types.base import (
    FieldMapping,
    FieldTypeSpec,
    MappingContext,
    ValueParseError,
    json_token_name,
)
from retrievo.index.field_types.numeric import illegal_value
from retrievo.index.field_types.params import bool_value, doc_values_param, index_param, meta_param, null_value_param

__all__ = ["BOOLEAN"]


def _parse_boolean_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> bool | None:
    """``parser.booleanValue()``: JSON booleans, ``"true"``, ``"false"`` and ``""`` (false)."""
    if value is None:
        return mapping.null_value
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in ("true", "false", ""):
            return value == "true"
        raise illegal_value(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    raise ValueParseError(
        error_cause("x_content_parse_exception", f"Current token ({json_token_name(value)}) not of boolean type"),
        malformed=not isinstance(value, dict),
    )


def _parse_boolean_null(name: str, raw: Any, context: MappingContext) -> bool:
    return bool_value(raw)


BOOLEAN = FieldTypeSpec(
    name="boolean",
    params=(index_param(), doc_values_param(), null_value_param(_parse_boolean_null), meta_param()),
    parse_value=_parse_boolean_value,
    unsupported=frozenset({"store", "copy_to", "script", "on_script_error", "ignore_malformed"}),
)
