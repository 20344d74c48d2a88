"""The ``completion`` field type (Elasticsearch's ``CompletionFieldMapper``): inputs with weights that
the ``completion`` suggester completes prefixes against.

A value is a string (one input of weight 1), an object ``{"input": str | [str], "weight": int}``, or
an array of either. An input longer than ``max_input_length`` (UTF-16 units) is cut to it, and the cut
form is both what is matched and what a suggestion returns. Within one object an input given twice
keeps its largest weight.

``contexts`` (``ContextMappings``): a list of ``category`` context mappings, each ``{name, type, path?}``
(``geo`` ones are refused: retrievo has no ``geo_point``). Such a field needs every input to carry at
least one context: given inline (``{"input": ..., "contexts": {"place_type": ["cafe"]}}``) or read from the
indexed values of another field of the document (``path``); :func:`check_completion_contexts` runs that
check once the document is parsed, as Lucene's ``ContextSuggestField`` does when it is indexed.

Parameters: ``analyzer`` (``simple``), ``search_analyzer`` (the analyzer), ``preserve_separators`` and
``preserve_position_increments`` (true), ``max_input_length`` (50), ``meta``. The typed value a
document holds is a tuple of :class:`CompletionInput`; the suggester reads them back from ``_source``
through this parser (:mod:`retrievo.suggest.completion`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from retrievo.errors import error_cause, illegal_argument, not_supported
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
from retrievo.xcontent import token as xcontent_token

__all__ = [
    "COMPLETION",
    "CONTEXT_SEPARATOR",
    "CategoryContextMapping",
    "CompletionInput",
    "check_completion_contexts",
    "context_mappings",
    "java_blank",
    "path_contexts",
    "typed_contexts",
]

DEFAULT_MAX_INPUT_LENGTH = 50
#: ``ContextSuggestField.CONTEXT_SEPARATOR``: ends a context before the input in the FST.
CONTEXT_SEPARATOR = "\x1d"
_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class CategoryContextMapping:
    """One ``category`` context of a completion field (``CategoryContextMapping``): its name and the
    field its values may also come from."""

    name: str
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        """As ``GET _mapping`` prints it: the type as Java's enum name."""
        body: dict[str, Any] = {"name": self.name, "type": "CATEGORY"}
        if self.path is not None:
            body["path"] = self.path
        return body


@dataclass(frozen=True)
class CompletionInput:
    """One suggestion a document offers: the input as given (cut to ``max_input_length``), its weight and
    the contexts its object gave inline (mapping name → values, in the order given)."""

    input: str
    weight: int
    contexts: tuple[tuple[str, tuple[str, ...]], ...] = ()


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


#: ``CompletionFieldMapper.COMPLETION_CONTEXTS_LIMIT``.
CONTEXTS_LIMIT = 10


def _parse_contexts(name: str, raw: Any, context: MappingContext) -> tuple[CategoryContextMapping, ...]:
    """``ContextMappings.load``: one mapping object or a non-empty list of them; then the builder's limit."""
    if isinstance(raw, list):
        if not raw:
            raise MappingDefinitionError("expected at least one context mapping", "parse_exception")
        loaded = tuple(_context_mapping(item) for item in raw)
    elif isinstance(raw, dict):
        loaded = (_context_mapping(raw),)
    else:
        raise MappingDefinitionError("expected a list or an entry of context mapping", "parse_exception")
    if len(loaded) > 255:  # the ContextMappings constructor's own check (its message says 10)
        raise MappingDefinitionError(
            f"Maximum of 10 context types are supported was: {len(loaded)}", "unsupported_operation_exception"
        )
    if len(loaded) > CONTEXTS_LIMIT:
        raise MappingDefinitionError(
            f"Limit of completion field contexts [{CONTEXTS_LIMIT}] has been exceeded", "illegal_argument_exception"
        )
    return loaded


def _context_mapping(raw: Any) -> CategoryContextMapping:
    """One ``{name, type, ...}`` entry: ``name`` and ``type`` required (``type`` case-insensitive), then the
    type's own keys; anything left over is refused as ``MappingParser.checkNoRemainingFields`` does."""
    if not isinstance(raw, dict):  # Java casts the entry to a Map
        java_class = {str: "String", int: "Integer", float: "Double", bool: "Boolean", list: "ArrayList"}
        held = java_class.get(type(raw), "Object")
        package = "java.util" if held == "ArrayList" else "java.lang"
        raise MappingDefinitionError(
            f"class {package}.{held} cannot be cast to class java.util.Map ({package}.{held} and java.util.Map are "
            "in module java.base of loader 'bootstrap')",
            "class_cast_exception",
        )
    config = dict(raw)
    values = []
    for key in ("name", "type"):
        value = config.pop(key, None)
        if value is None:
            raise MappingDefinitionError(f"missing [{key}] in context mapping", "parse_exception")
        values.append(java_str(value))
    name, kind = values
    if kind.lower() == "geo":
        raise not_supported("[geo] completion contexts", "retrievo has no [geo_point] field type")
    if kind.lower() != "category":
        raise MappingDefinitionError(f"No context type for [{kind}]", "illegal_argument_exception")
    path = config.pop("path", None)
    if config:
        listed = "".join(f" [{key} : {java_str(value)}]" for key, value in config.items())
        raise MappingDefinitionError(f"Mapping definition for [{name}] has unsupported parameters: {listed}")
    return CategoryContextMapping(name, None if path is None else java_str(path))


def _contexts_json(value: Any) -> Any:
    return [mapping.to_json() for mapping in value]


def _contexts_text(value: Any) -> str:
    """``ContextMappings.toString``: each mapping as its JSON, comma-joined in brackets."""
    if value is None:
        return "null"
    inner = ",".join(json.dumps(m.to_json(), separators=(",", ":")) for m in value)
    return f"[{inner}]"


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
    contexts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    for key, raw in value.items():
        if key == "input":
            inputs = _inputs_of(raw)
        elif key == "weight":
            weight = _weight(raw)
        elif key == "contexts":
            contexts = _inline_contexts(mapping, raw)
        else:
            raise _parse_failure(f"unknown field name [{key}], must be one of [input, weight, contexts]")
    best: dict[str, int] = {}
    for text in inputs:
        cut = _utf16_cut(text, limit)
        if cut not in best or best[cut] < weight:
            best[cut] = weight
    return tuple(CompletionInput(text, w, contexts) for text, w in best.items()) or None


def context_mappings(mapping: FieldMapping) -> tuple[CategoryContextMapping, ...]:
    """The field's context mappings (empty when it has none)."""
    return mapping.params.get("contexts") or ()


def _inline_contexts(mapping: FieldMapping, raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """An object's ``contexts``: ``{name: value | [values]}``, each name one of the field's mappings
    (``CompletionFieldMapper.parse`` and ``CategoryContextMapping.parseContext``)."""
    defined = context_mappings(mapping)
    if not defined:
        raise _parse_failure(f"contexts field is not supported for field: [{mapping.path}]")
    if not isinstance(raw, dict):  # the message offers arrays, but only an object is read
        raise _parse_failure(f"contexts must be an object or an array , but was [{xcontent_token(raw)}]")
    names = {m.name for m in defined}
    out: list[tuple[str, tuple[str, ...]]] = []
    for name, given in raw.items():
        if name not in names:
            raise _parse_failure(f"Unknown context name [{name}], must be one of [{', '.join(sorted(names))}]")
        out.append((name, _category_values(given)))
    return tuple(out)


def _category_values(raw: Any) -> tuple[str, ...]:
    """A category context at index time: a string, number or boolean, or an array of them."""
    if isinstance(raw, (str, int, float)):
        return (java_str(raw),)
    if not isinstance(raw, list):
        reason = (
            "contexts must be a string, number or boolean or a list of string, number or boolean, "
            f"but was [{xcontent_token(raw)}]"
        )
        raise ValueParseError(error_cause("parse_exception", reason), malformed=False)
    values: dict[str, None] = {}
    for item in raw:
        if not isinstance(item, (str, int, float)):
            reason = f"context array must have string, number or boolean values, but was [{xcontent_token(item)}]"
            raise ValueParseError(error_cause("parse_exception", reason), malformed=False)
        values[java_str(item)] = None
    return tuple(values)


_TEXT_LIKE = ("text", "keyword", "match_only_text", "search_as_you_type", "wildcard")


def path_contexts(path_field: FieldMapping | None, values: list[Any]) -> list[str]:
    """``CategoryContextMapping.parseContext(document)``: what ``path`` contributes, the values the other
    field indexed as Lucene fields (keyword terms and text strings as given, a boolean's ``T``/``F``; doc
    values only, as with ``index: false``, give nothing). Raises ``ValueError`` with Elasticsearch's
    message for any other field that indexed something."""
    if path_field is None or not values or not path_field.params.get("index", True):
        return []
    if path_field.type in _TEXT_LIKE:
        return [v for v in values if isinstance(v, str)]
    if path_field.type == "boolean":
        return ["T" if v else "F" for v in values]
    raise ValueError(f"Failed to parse context field [{path_field.path}], only keyword and text fields are accepted")


def typed_contexts(
    field: str,
    defined: tuple[CategoryContextMapping, ...],
    item: CompletionInput,
    from_path: Callable[[str], list[str]],
) -> list[str]:
    """``ContextMappings.TypedContextField.contexts``: per mapping, its position as one char before each
    value (path values and inline ones). Raises ``ValueError`` when there are none at all, or for a
    value holding Lucene's context separator."""
    inline = dict(item.contexts)
    out: dict[str, None] = {}
    for type_id, mapping in enumerate(defined):
        values = list(from_path(mapping.path)) if mapping.path is not None else []
        values += inline.get(mapping.name, ())
        for value in values:
            out[chr(type_id) + value] = None
    if not out:
        raise ValueError(f"Contexts are mandatory in context enabled completion field [{field}]")
    for typed in out:
        at = typed.find(CONTEXT_SEPARATOR)
        if at >= 0:  # ContextSuggestField.validate
            raise ValueError(
                f"Illegal value [{typed}] UTF-16 codepoint [0x1d] at position {at} is a reserved character"
            )
    return list(out)


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
        ParamSpec(
            "contexts",
            _parse_contexts,
            constant(None),
            display=lambda value, params: value is not None,
            render=_contexts_json,
            conflict_text=_contexts_text,
        ),
        meta_param(),
    ),
    parse_value=parse_completion_value,
    multi_fields=True,
)


def java_blank(text: str) -> bool:
    """``String.trim().isEmpty()``: only characters up to U+0020. Such an input is not indexed."""
    return not text.strip(_JAVA_TRIMMED)


_JAVA_TRIMMED = "".join(chr(c) for c in range(0x21))


def check_completion_contexts(values: Mapping[str, list[Any]], field_of: Callable[[str], FieldMapping | None]) -> None:
    """The check Lucene makes when it indexes a parsed document's context-enabled completion inputs
    (``ContextMappings.TypedContextField``): each needs a context, inline or from its mappings' ``path``
    fields. Raises Elasticsearch's ``illegal_argument_exception`` (not a document parsing error: the
    document parsed, the index writer refused it)."""
    for path, typed_values in values.items():
        first = typed_values[0] if typed_values else None
        if type(first) is not tuple or not first or type(first[0]) is not CompletionInput:
            continue
        fm = field_of(path)
        defined = context_mappings(fm) if fm is not None else ()
        if not defined:
            continue

        def from_path(other: str) -> list[str]:
            return path_contexts(field_of(other), values.get(other, []))

        for typed in typed_values:
            for item in typed:
                if java_blank(item.input):
                    continue
                try:
                    typed_contexts(path, defined, item, from_path)
                except ValueError as bad:
                    raise illegal_argument(str(bad)) from None
