"""The ``date_nanos`` field type: ``date``'s parameters, values parsed to epoch nanoseconds.

Values keep up to nine fraction digits and must lie between the epoch and 2262-04-11T23:47:16.854775807Z
(:mod:`retrievo.index.dates.nanos`); a value outside is a malformed value (``ignore_malformed`` covers it,
as ``DateFieldMapper.parseCreateField`` catches the ``IllegalArgumentException``). Doc values hold the
nanoseconds: sorts and ``search_after`` use them, aggregations read them as milliseconds
(``DateUtils.toMilliSeconds``), as Elasticsearch does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from retrievo.errors import error_cause
from retrievo.index.dates import DateParseError, compile_date_format
from retrievo.index.dates.nanos import DEFAULT_DATE_NANOS_FORMAT, check_nanos_range
from retrievo.index.field_types.base import (
    FieldMapping,
    IgnoredValue,
    MappingDefinitionError,
    ParamSpec,
    ValueParseError,
)
from retrievo.index.field_types.date import DATE
from retrievo.index.field_types.params import constant
from retrievo.index.field_types.text import text_of

__all__ = ["DATE_NANOS"]


def _validate(name: str, params: Mapping[str, Any]) -> None:
    null_value = params.get("null_value")
    if null_value is None:
        return
    try:
        check_nanos_range(compile_date_format(params["format"]).parse_nanos(null_value))
    except DateParseError as failure:
        raise MappingDefinitionError(
            f"Error parsing [null_value] on field [{name}]: {failure.reason}", caused_by=failure.to_cause()
        ) from None
    except ValueError as failure:
        raise MappingDefinitionError(f"Error parsing [null_value] on field [{name}]: {failure}") from None


def _parse_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> int | None:
    text = text_of(value, where)
    if text is None:
        text = mapping.null_value
        if text is None:
            return None
    try:
        return check_nanos_range(compile_date_format(mapping.format or DEFAULT_DATE_NANOS_FORMAT).parse_nanos(text))
    except DateParseError as failure:
        if mapping.ignore_malformed:
            raise IgnoredValue(mapping.path) from None
        raise ValueParseError(failure.to_cause()) from None
    except ValueError as failure:
        if mapping.ignore_malformed:
            raise IgnoredValue(mapping.path) from None
        raise ValueParseError(error_cause("illegal_argument_exception", str(failure))) from None


def _with_nanos_format(param: ParamSpec) -> ParamSpec:
    if param.name == "format":
        return replace(param, default=constant(DEFAULT_DATE_NANOS_FORMAT))
    return param


DATE_NANOS = replace(
    DATE,
    name="date_nanos",
    params=tuple(_with_nanos_format(param) for param in DATE.params),
    parse_value=_parse_value,
    validate=_validate,
)
