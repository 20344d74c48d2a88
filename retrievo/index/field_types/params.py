"""Mapping parameters shared by several field types: their parsers and :class:`ParamSpec` builders."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from retrievo.index.field_types.base import MappingContext, MappingDefinitionError, ParamParser, ParamSpec
from retrievo.java_text import java_str


def always_mergeable(old: Any, new: Any) -> bool:
    """A ``can_merge`` rule: a mapping update may always replace the value."""
    return True


def constant(value: Any) -> Callable[[Mapping[str, Any], frozenset[str], MappingContext], Any]:
    return lambda params, explicit, context: value


def bool_value(raw: Any) -> bool:
    """``XContentMapValues.nodeBooleanValue``: booleans, or exactly ``"true"``/``"false"``."""
    if isinstance(raw, bool):
        return raw
    text = java_str(raw)
    if text == "true":
        return True
    if text == "false":
        return False
    raise MappingDefinitionError(
        f"Failed to parse value [{text}] as only [true] or [false] are allowed.", "illegal_argument_exception"
    )


def parse_bool(name: str, raw: Any, context: MappingContext) -> bool:
    return bool_value(raw)


def parse_int(name: str, raw: Any, context: MappingContext) -> int:
    """``XContentMapValues.nodeIntegerValue``: numbers truncate, strings go through parseInt."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise MappingDefinitionError(f'For input string: "{java_str(raw)}"', "number_format_exception")
    if isinstance(raw, (int, float)):
        return int(raw)
    if not re.fullmatch(r"[+-]?\d+", raw) or not -(2**31) <= int(raw) < 2**31:
        raise MappingDefinitionError(f'For input string: "{raw}"', "number_format_exception")
    return int(raw)


def non_negative(param: str, parse: ParamParser) -> ParamParser:
    def parse_checked(name: str, raw: Any, context: MappingContext) -> int:
        value = parse(name, raw, context)
        if value < 0:
            raise MappingDefinitionError(f"[{param}] must be positive, got [{value}]")
        return value

    return parse_checked


def _parse_meta(name: str, raw: Any, context: MappingContext) -> Mapping[str, str]:
    """``TypeParsers.parseMeta``: at most 5 string entries, short keys and values."""
    if not isinstance(raw, dict):
        kind = {bool: "Boolean", int: "Integer", float: "Double", str: "String", list: "ArrayList"}.get(
            type(raw), type(raw).__name__
        )
        raise MappingDefinitionError(f"[meta] must be an object, got {kind}[{java_str(raw)}] for field [{name}]")
    if len(raw) > 5:
        raise MappingDefinitionError(f"[meta] can't have more than 5 entries, but got {len(raw)} on field [{name}]")
    for key, value in raw.items():
        if len(key) > 20:
            raise MappingDefinitionError(
                f"[meta] keys can't be longer than 20 chars, but got [{key}] for field [{name}]"
            )
        if value is None:
            raise MappingDefinitionError(f"[meta] values can't be null (field [{name}])")
        if not isinstance(value, str):
            kind = {bool: "Boolean", int: "Integer", float: "Double", list: "ArrayList", dict: "LinkedHashMap"}.get(
                type(value), type(value).__name__
            )
            raise MappingDefinitionError(
                f"[meta] values can only be strings, but got {kind}[{java_str(value)}] for field [{name}]"
            )
        if len(value) > 50:
            raise MappingDefinitionError(
                f"[meta] values can't be longer than 50 chars, but got [{value}] for field [{name}]"
            )
    return MappingProxyType(dict(sorted(raw.items())))


def index_param() -> ParamSpec:
    return ParamSpec("index", parse_bool, constant(True))


def doc_values_param() -> ParamSpec:
    return ParamSpec("doc_values", parse_bool, constant(True))


def meta_param() -> ParamSpec:
    return ParamSpec(
        "meta",
        _parse_meta,
        constant(None),
        can_merge=always_mergeable,
        display=lambda value, params: bool(value),
        render=dict,
    )


def explicit_flag_param(name: str, default: bool) -> ParamSpec:
    """ES's ``explicitBoolParam``: shown whenever given, updatable."""
    return ParamSpec(
        name, parse_bool, constant(default), can_merge=always_mergeable, display=lambda value, params: True
    )


def null_value_param(parse: ParamParser, render: Callable[[Any], Any] = lambda value: value) -> ParamSpec:
    def parse_or_none(name: str, raw: Any, context: MappingContext) -> Any:
        return None if raw is None else parse(name, raw, context)

    return ParamSpec(
        "null_value",
        parse_or_none,
        constant(None),
        accepts_null=True,
        display=lambda value, params: value is not None,
        render=render,
    )
