"""The ``ip`` field type (Elasticsearch's ``IpFieldMapper``).

A document value is an IPv4 or IPv6 address as a string; the typed value is its 16-byte encoding as
32 hex digits (:mod:`retrievo.index.ip_values`), which the shard indexes as one untokenised term, so
term, range, sort and aggregation code reads ip fields through the keyword machinery and prints keys
back as addresses. ``script`` is refused as for every other type here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import error_cause
from retrievo.index.field_types.base import (
    FieldMapping,
    FieldTypeSpec,
    IgnoredValue,
    MappingContext,
    MappingDefinitionError,
    ValueParseError,
    json_token_name,
)
from retrievo.index.field_types.params import (
    doc_values_param,
    explicit_flag_param,
    index_param,
    meta_param,
    null_value_param,
)
from retrievo.index.ip_values import IpParseError, encode_ip

__all__ = ["IP"]


def _parse_ip_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> str | None:
    """``IpFieldMapper.parseCreateField``: the value's text through ``InetAddresses.forString``."""
    if value is None:
        null = mapping.null_value
        return None if null is None else encode_ip(null)
    if isinstance(value, (dict, list)):
        raise ValueParseError(
            error_cause("illegal_argument_exception", f"Cannot parse [{json_token_name(value)}] as an IP"),
            malformed=False,
        )
    text = value if isinstance(value, str) else ("true" if value is True else "false" if value is False else str(value))
    try:
        return encode_ip(text)
    except IpParseError as failure:
        if mapping.ignore_malformed:
            raise IgnoredValue(mapping.path) from None
        raise ValueParseError(error_cause("illegal_argument_exception", str(failure))) from None


def _parse_ip_null(name: str, raw: Any, context: MappingContext) -> str:
    """``null_value`` must be an address (ES 8+ rejects a bad one at mapping time)."""
    text = raw if isinstance(raw, str) else str(raw)
    try:
        encode_ip(text)
    except IpParseError as failure:
        raise MappingDefinitionError(
            f"Error parsing [null_value] on field [{name}]: {failure}", "mapper_parsing_exception"
        ) from None
    return text


IP = FieldTypeSpec(
    name="ip",
    params=(
        index_param(),
        doc_values_param(),
        null_value_param(_parse_ip_null),
        explicit_flag_param("ignore_malformed", False),
        meta_param(),
    ),
    parse_value=_parse_ip_value,
    unsupported=frozenset({"script", "on_script_error", "dimension", "time_series_dimension"}),
)
