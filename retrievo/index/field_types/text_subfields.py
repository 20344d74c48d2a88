"""``text``'s ``index_prefixes`` and ``index_phrases`` mapping parameters (the subfields they add
are built in ``retrievo.index.subfields``)."""

from __future__ import annotations

from typing import Any

from retrievo.index.field_types.base import MappingContext, MappingDefinitionError, ParamSpec
from retrievo.index.field_types.params import constant, parse_bool, parse_int
from retrievo.java_text import java_str

__all__ = ["INDEX_PHRASES", "INDEX_PREFIXES"]


def _parse_prefixes(name: str, raw: Any, context: MappingContext) -> dict[str, int] | None:
    """``TextFieldMapper.parsePrefixConfig`` and ``PrefixConfig``'s checks."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise MappingDefinitionError(f"Cannot parse [index_prefixes] on mapper [{name}]: expected an object")
    given = dict(raw)
    low = parse_int(name, given.pop("min_chars"), context) if given.get("min_chars") is not None else 2
    high = parse_int(name, given.pop("max_chars"), context) if given.get("max_chars") is not None else 5
    given.pop("min_chars", None)
    given.pop("max_chars", None)
    if given:
        rest = ", ".join(f"{k} : {java_str(v)}" for k, v in given.items())
        raise MappingDefinitionError(f"Mapping definition for [index_prefixes] has unsupported parameters:  [{rest}]")
    if low > high:
        raise MappingDefinitionError(
            f"min_chars [{low}] must be less than max_chars [{high}]", "illegal_argument_exception"
        )
    if low < 1:
        raise MappingDefinitionError(f"min_chars [{low}] must be greater than zero", "illegal_argument_exception")
    if high >= 20:
        raise MappingDefinitionError(f"max_chars [{high}] must be less than 20", "illegal_argument_exception")
    return {"min_chars": low, "max_chars": high}


INDEX_PREFIXES = ParamSpec("index_prefixes", _parse_prefixes, constant(None), accepts_null=True)
INDEX_PHRASES = ParamSpec("index_phrases", parse_bool, constant(False))
