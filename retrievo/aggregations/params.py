"""Reading an aggregation's own object: Elasticsearch's ``ObjectParser`` errors for unknown and
ill-typed fields, and retrievo's refusals for what it does not run (scripts, runtime value types)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from retrievo.errors import ApiError, error_cause, illegal_argument, not_supported, parsing_error, shard_failure
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field, unknown_field

#: Fields every values-source aggregation accepts that retrievo refuses loudly.
UNSUPPORTED_SOURCE_KEYS = ("script", "value_type")


def check_object(agg_type: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise parsing_error(f"Expected [START_OBJECT] under [{agg_type}], but got a [{jv.token_of(body)}]")
    return body


def check_keys(agg_type: str, body: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for key in body:
        if key in allowed:
            continue
        if key in UNSUPPORTED_SOURCE_KEYS:
            raise not_supported(f"[{key}] in a [{agg_type}] aggregation")
        raise unknown_field(agg_type, key, allowed + UNSUPPORTED_SOURCE_KEYS)


def require_field(body: dict[str, Any]) -> None:
    """``ValuesSourceAggregationBuilder``'s parser: a values-source aggregation names a field (or a script)."""
    if "field" not in body and "script" not in body:
        raise illegal_argument("Required one of fields [field, script], but none were specified. ")


#: ``value_type`` names → the kind of values an unmapped field is read as.
VALUE_TYPES = {
    "string": "keyword",
    "keyword": "keyword",
    "long": "long",
    "integer": "long",
    "short": "long",
    "byte": "long",
    "double": "double",
    "float": "double",
    "date": "date",
    "boolean": "boolean",
    "ip": "ip",
}


def value_type(agg_type: str, value: Any) -> str:
    text = string(agg_type, "value_type", value)
    if text not in VALUE_TYPES:
        raise not_supported(f"[value_type: {text}] in a [{agg_type}] aggregation")
    return VALUE_TYPES[text]


def string(agg_type: str, key: str, value: Any) -> str:
    if not jv.is_value(value) or value is None:
        raise failed_field(agg_type, key, parsing_error(f"{key} doesn't support values of type: {jv.token_of(value)}"))
    return jv.java_text(value)


def integer(agg_type: str, key: str, value: Any) -> int:
    try:
        return jv.java_int(value)
    except jv.BadValue as bad:
        raise failed_field(agg_type, key, bad.cause) from None


def double(agg_type: str, key: str, value: Any) -> float:
    try:
        return jv.java_float(value)
    except jv.BadValue as bad:
        raise failed_field(agg_type, key, bad.cause) from None


def boolean(agg_type: str, key: str, value: Any) -> bool:
    try:
        return jv.java_bool(value)
    except jv.BadValue as bad:
        raise failed_field(agg_type, key, bad.cause) from None


def type_error(field: str, field_type: str, agg_type: str, index: str | None = None) -> ApiError:
    """A field the aggregation cannot read, found when the shard builds its aggregator: the shard fails
    (``search_phase_execution_exception``, 400) with ``ValuesSourceConfig``'s message, or for a ``text``
    field ``TextFieldMapper``'s fielddata message."""
    if field_type == "text":
        reason = (
            f"Fielddata is disabled on [{field}] in [{index}]. Text fields are not optimised for operations that "
            "require per-document field data like aggregations and sorting, so these operations are disabled by "
            "default. Please use a keyword field instead. Alternatively, set fielddata=true on "
            f"[{field}] in order to load field data by uninverting the inverted index. Note that this can use "
            "significant memory."
        )
    else:
        reason = f"Field [{field}] of type [{field_type}] is not supported for aggregation [{agg_type}]"
    return shard_failure(index, error_cause("illegal_argument_exception", reason))


def setter_error(agg_type: str, key: str, reason: str) -> ApiError:
    """A builder setter's ``IllegalArgumentException`` inside ``ObjectParser``: reported as
    ``[type] failed to parse field [key]`` caused by the setter's message."""
    return failed_field(agg_type, key, illegal_argument(reason))
