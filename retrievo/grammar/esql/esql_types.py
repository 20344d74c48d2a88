"""ES|QL's types: of a mapped field (the response's ``columns``), of a literal, and the field type
families that comparisons check."""

from __future__ import annotations

from typing import Any

__all__ = ["NUMERIC_TYPES", "TEXT_TYPES", "esql_type", "literal_type"]

#: Field types per ES|QL type family, for comparison checks.
NUMERIC_TYPES = frozenset(
    {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
)
TEXT_TYPES = frozenset({"text", "semantic_text", "match_only_text"})


def esql_type(es_type: str) -> str:
    """The ES|QL type of a mapped field (what the response's ``columns`` call it)."""
    if es_type in ("long", "unsigned_long"):
        return es_type
    if es_type in ("integer", "short", "byte"):
        return "integer"
    if es_type in ("double", "float", "half_float", "scaled_float"):
        return "double"
    if es_type in ("text", "semantic_text", "match_only_text"):
        return "text"
    if es_type in ("keyword", "constant_keyword", "wildcard"):
        return "keyword"
    if es_type in ("date", "boolean", "dense_vector", "ip", "version", "date_nanos"):
        return "datetime" if es_type == "date" else es_type
    return "unsupported"


def literal_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list):
        return "dense_vector"
    return "keyword"
