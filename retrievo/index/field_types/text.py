"""The ``text`` and ``keyword`` field types (and the text reading that ``date`` and
``semantic_text`` values share)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from retrievo.errors import error_cause
from retrievo.index.field_types.base import (
    FieldMapping,
    FieldTypeSpec,
    IgnoredValue,
    MappingContext,
    MappingDefinitionError,
    ParamSpec,
    ValueParseError,
    json_token_name,
    json_token_text,
)
from retrievo.index.field_types.params import (
    always_mergeable,
    constant,
    doc_values_param,
    index_param,
    meta_param,
    non_negative,
    null_value_param,
    parse_bool,
    parse_int,
)
from retrievo.index.field_types.text_subfields import INDEX_PHRASES, INDEX_PREFIXES
from retrievo.java_text import java_str

__all__ = ["KEYWORD", "TEXT", "parse_text_value", "text_of"]


def _search_analyzer_default(params: Mapping[str, Any], explicit: frozenset[str], context: MappingContext) -> str:
    """``TextParams.Analyzers``: the index's ``default_search`` unless the field names an analyzer."""
    if context.default_search_analyzer is not None and "analyzer" not in explicit:
        return context.default_search_analyzer
    return str(params["analyzer"])


def _parse_analyzer(name: str, raw: Any, context: MappingContext) -> str:
    analyzer = java_str(raw)
    if context.registry is not None and analyzer not in context.registry:
        raise MappingDefinitionError(
            f"analyzer [{analyzer}] has not been configured in mappings", "illegal_argument_exception"
        )
    return analyzer


def _object_text_error(value: Any, where: Callable[[], str]) -> ValueParseError:
    """Jackson's ``text()`` on an object: what text-reading fields (text, keyword, date) report."""
    return ValueParseError(
        error_cause("illegal_state_exception", f"Can't get text on a {json_token_name(value)} at {where()}"),
        malformed=False,
    )


def text_of(value: Any, where: Callable[[], str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        raise _object_text_error(value, where)
    return value if isinstance(value, str) else json_token_text(value)


def parse_text_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> str | None:
    return text_of(value, where)


def _utf16_length(text: str) -> int:
    """Java ``String.length()``: UTF-16 code units, which ``ignore_above`` compares against."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _parse_keyword_value(mapping: FieldMapping, value: Any, where: Callable[[], str]) -> str | None:
    text = text_of(value, where)
    if text is None:
        text = mapping.null_value
        if text is None:
            return None
    limit = mapping.ignore_above
    if limit is not None and _utf16_length(text) > limit:
        raise IgnoredValue(mapping.path)
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) > MAX_TERM_BYTES:
        raise ValueParseError(error_cause("illegal_argument_exception", _immense_term(mapping.path, encoded)), False)
    return text


#: Lucene's ``IndexWriter.MAX_TERM_LENGTH``: the longest term, in UTF-8 bytes, an index can hold.
MAX_TERM_BYTES = 32766


def _immense_term(field: str, encoded: bytes) -> str:
    """``KeywordFieldMapper``'s preflight message; the prefix is Java's ``Arrays.toString`` of the first
    30 (signed) bytes."""
    prefix = ", ".join(str(b - 256 if b > 127 else b) for b in encoded[:30])
    return (
        f'Document contains at least one immense term in field="{field}" (whose UTF8 encoding is longer than the '
        f"max length {MAX_TERM_BYTES}), all of which were skipped. Please correct the analyzer to not produce such "
        f"terms. The prefix of the first immense term is: '[{prefix}]...'"
    )


def _parse_keyword_null(name: str, raw: Any, context: MappingContext) -> str:
    return java_str(raw)


TEXT = FieldTypeSpec(
    name="text",
    params=(
        ParamSpec(
            "analyzer",
            _parse_analyzer,
            lambda params, explicit, context: context.default_analyzer,
            display=lambda value, params: True,
        ),
        ParamSpec(
            "search_analyzer",
            _parse_analyzer,
            _search_analyzer_default,
            can_merge=always_mergeable,
            display=lambda value, params: value != params["analyzer"],
        ),
        index_param(),
        ParamSpec("norms", parse_bool, constant(True), can_merge=lambda old, new: old == new or (old and not new)),
        ParamSpec(
            "position_increment_gap",
            non_negative("position_increment_gap", parse_int),
            constant(100),
            display=lambda value, params: True,
        ),
        INDEX_PREFIXES,
        INDEX_PHRASES,
        meta_param(),
    ),
    parse_value=parse_text_value,
    unsupported=frozenset(
        {
            "search_quote_analyzer",
            "store",
            "copy_to",
            "similarity",
            "index_options",
            "term_vector",
            "fielddata",
            "fielddata_frequency_filter",
            "eager_global_ordinals",
        }
    ),
)

KEYWORD = FieldTypeSpec(
    name="keyword",
    params=(
        index_param(),
        doc_values_param(),
        ParamSpec(
            "ignore_above",
            non_negative("ignore_above", parse_int),
            constant(None),
            can_merge=always_mergeable,
            display=lambda value, params: value is not None,
        ),
        null_value_param(_parse_keyword_null),
        meta_param(),
    ),
    parse_value=_parse_keyword_value,
    unsupported=frozenset(
        {
            "store",
            "copy_to",
            "normalizer",
            "norms",
            "similarity",
            "index_options",
            "eager_global_ordinals",
            "split_queries_on_whitespace",
            "script",
            "on_script_error",
            "time_series_dimension",
        }
    ),
)
