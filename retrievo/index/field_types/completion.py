"""The ``completion`` field type (Elasticsearch's ``CompletionFieldMapper``): inputs with weights that
the ``completion`` suggester completes prefixes against.

A value is a string (one input of weight 1), an object ``{"input": str | [str], "weight": int}``, or
an array of either. An input longer than ``max_input_length`` (UTF-16 units) is cut to it, and the cut
form is both what is matched and what a suggestion returns. Within one object an input given twice
keeps its largest weight. ``contexts`` (context suggesters) are refused.

Parameters: ``analyzer`` (``simple``), ``search_analyzer`` (the analyzer), ``preserve_separators`` and
``preserve_position_increments`` (true), ``max_input_length`` (50), ``meta``. The typed value a
document holds is a tuple of :class:`CompletionInput`; the suggester reads them back from ``_source``
through this parser (:mod:`retrievo.suggest.completion`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from retrievo.errors import error_cause, not_supported
from retrievo.index.field_types.base import (
    FieldMapping,
    FieldTypeSpec,
    MappingContext,
    MappingDefinitionError,
    ParamSpec,
    ValueParseError,
    json_token_name,
)
from retrievo.index.field_types.params import always_mergeable, constant, meta_param, parse_bool, parse_int
from retrievo.java_text import java_str

__all__ = ["COMPLETION", "CompletionInput"]

DEFAULT_MAX_INPUT_LENGTH = 50
_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class CompletionInput:
    """One suggestion a document offers: the input as given (cut to ``max_input_length``) and its weight."""

    input: str
    weight: int


def _parse_analyzer(name: str, raw: Any, context: MappingContext) -> str:
    analyzer = java_str(raw)
    if context.registry is not None and analyzer not in context.registry:
        raise MappingDefinitionError(
            f"analyzer [{analyzer}] has not been configured in mappings", "illegal_argument_exception"
        )
    return analyzer


def _parse_max_input_length(name: str, raw: Any, context: MappingContext) -> int:
    value = parse_int(name, raw, context)
    if value <= 0:
        raise MappingDefinitionError(f"[max_input_length] must be > 0 but was [{value}]")
    return value


def _refuse_contexts(name: str, raw: Any, context: MappingContext) -> Any:
    raise not_supported("[completion] field parameter [contexts]", "context suggesters are not implemented")


def _utf16_cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 units without splitting a surrogate pair (``correctSubStringLen``)."""
    units = 0
    for i, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > limit:  # a pair whose high surrogate fits is kept whole
            return text[: i + 1] if width == 2 and units < limit else text[:i]
        units += width
    return text


def _parse_failure(reason: str) -> ValueParseError:
    return ValueParseError(error_cause("illegal_argument_exception", reason), malformed=False)


def _weight(raw: Any) -> int:
    """``weight``: an integer number, or a string ``Long.parseLong`` reads; then within ``[0, Integer.MAX]``."""
    if isinstance(raw, str):
        if not re.fullmatch(r"[+-]?[0-9]+", raw):
            raise _parse_failure(f"weight must be an integer, but was [{raw}]")
        number = int(raw)
    elif isinstance(raw, float):
        raise _parse_failure(f"weight must be an integer, but was [{java_str(raw)}]")
    elif isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    else:
        raise _parse_failure(f"weight must be a number or string, but was [{json_token_name(raw)}]")
    if not 0 <= number <= _INT_MAX:
        raise _parse_failure(f"weight must be in the interval [0..2147483647], but was [{number}]")
    return number


def _inputs_of(raw: Any) -> list[str]:
    values = raw if isinstance(raw, list) else [raw]
    out = []
    for value in values:
        if not isinstance(value, str):
            raise _parse_failure(f"input must be a string, but was [{json_token_name(value)}]")
        out.append(value)
    return out


def parse_completion_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> Any:
    """One JSON value of a completion field → its inputs (``None`` for ``null``)."""
    limit = int(mapping.params.get("max_input_length", DEFAULT_MAX_INPUT_LENGTH))
    if value is None:
        return None
    if isinstance(value, str):
        return (CompletionInput(_utf16_cut(value, limit), 1),)
    if not isinstance(value, Mapping):
        raise _parse_failure(
            f"failed to parse [{mapping.path}]: expected text or object, but got {json_token_name(value)}"
        )
    inputs: list[str] = []
    weight = 1
    for key, raw in value.items():
        if key == "input":
            inputs = _inputs_of(raw)
        elif key == "weight":
            weight = _weight(raw)
        elif key == "contexts":
            raise not_supported("[completion] field [contexts]", "context suggesters are not implemented")
        else:
            raise _parse_failure(f"unknown field name [{key}], must be one of [input, weight, contexts]")
    best: dict[str, int] = {}
    for text in inputs:
        cut = _utf16_cut(text, limit)
        if cut not in best or best[cut] < weight:
            best[cut] = weight
    return tuple(CompletionInput(text, w) for text, w in best.items()) or None


COMPLETION = FieldTypeSpec(
    name="completion",
    params=(
        ParamSpec("analyzer", _parse_analyzer, constant("simple"), display=lambda value, params: True, always=True),
        ParamSpec(
            "search_analyzer",
            _parse_analyzer,
            lambda params, explicit, context: str(params["analyzer"]),
            can_merge=always_mergeable,
            display=lambda value, params: value != params["analyzer"],
        ),
        ParamSpec("preserve_separators", parse_bool, constant(True), display=lambda v, p: True, always=True),
        ParamSpec("preserve_position_increments", parse_bool, constant(True), display=lambda v, p: True, always=True),
        ParamSpec(
            "max_input_length",
            _parse_max_input_length,
            constant(DEFAULT_MAX_INPUT_LENGTH),
            can_merge=always_mergeable,
            display=lambda value, params: True,
            always=True,
        ),
        ParamSpec("contexts", _refuse_contexts, constant(None), display=lambda value, params: False),
        meta_param(),
    ),
    parse_value=parse_completion_value,
    multi_fields=True,
)
