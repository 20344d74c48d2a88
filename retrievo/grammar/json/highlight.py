"""The ``highlight`` section → :class:`Highlight`, as ``HighlightBuilder.fromXContent`` reads it.

Two object parsers share the common options (``encoder`` and ``tags_schema`` among them):
``highlight`` (the top level, which adds ``fields``) and ``highlight_field`` (each field, which adds
``fragment_offset`` and ``matched_fields``). Errors are Elasticsearch's: an unknown key is
``[highlight] unknown field [...]``, a bad value ``[highlight] failed to parse field [...]`` around the
setter's ``illegal_argument_exception``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from retrievo.errors import ApiError, error_cause, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field, unknown_field, unsupported_token, x_content
from retrievo.grammar.json.nested import use_highlight_parser
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.retrievers.highlight import COMMON_OPTIONS, Highlight, HighlightField, HighlightOptions

#: ``HighlightBuilder.MAX_NUMBER_OF_FRAGMENTS``: larger values are refused (they would size arrays).
MAX_NUMBER_OF_FRAGMENTS = 100_000

#: ``tags_schema: styled``: ten classed ``<em>`` tags (the unified and plain highlighters use the first).
STYLED_PRE_TAGS: tuple[str, ...] = tuple(f'<em class="hlt{i}">' for i in range(1, 11))
STYLED_POST_TAGS: tuple[str, ...] = ("</em>",)

_TOP = "highlight"
_FIELD = "highlight_field"
_TOP_KEYS = (*COMMON_OPTIONS, "tags_schema", "fields")
_FIELD_KEYS = (*COMMON_OPTIONS, "tags_schema", "fragment_offset", "matched_fields")


def _setter_failure(reason: str) -> dict[str, Any]:
    return error_cause("illegal_argument_exception", reason)


def _int(parser: str, key: str, value: Any) -> int:
    if not jv.is_value(value):
        raise unsupported_token(parser, key, jv.token_of(value))
    try:
        return jv.java_int(value)
    except jv.BadValue as bad:
        raise failed_field(parser, key, bad.cause) from None


def _bool(parser: str, key: str, value: Any) -> bool:
    if not jv.is_value(value):
        raise unsupported_token(parser, key, jv.token_of(value))
    try:
        return jv.java_bool(value)
    except jv.BadValue as bad:
        raise failed_field(parser, key, bad.cause) from None


def _text(parser: str, key: str, value: Any) -> str:
    if not jv.is_value(value):
        raise unsupported_token(parser, key, jv.token_of(value))
    return jv.java_text(value)


def _strings(parser: str, key: str, value: Any) -> tuple[str, ...]:
    """``declareStringArray``: one string or an array of strings."""
    if jv.is_value(value):
        return (jv.java_text(value),)
    if not isinstance(value, list):
        raise unsupported_token(parser, key, jv.token_of(value))
    out: list[str] = []
    for element in value:
        if not jv.is_value(element):
            raise x_content(f"[{parser}] failed to parse field [{key}]")
        out.append(jv.java_text(element))
    return tuple(out)


def _number_of_fragments(parser: str, key: str, value: Any) -> int:
    number = _int(parser, key, value)
    if not 0 <= number <= MAX_NUMBER_OF_FRAGMENTS:
        reason = f"[number_of_fragments] must be between [0] and [{MAX_NUMBER_OF_FRAGMENTS}]"
        raise failed_field(parser, key, _setter_failure(reason))
    return number


def _max_analyzed_offset(parser: str, key: str, value: Any) -> int:
    """A positive limit, or ``-1``: truncate at the index's ``index.highlight.max_analyzed_offset``."""
    number = _int(parser, key, value)
    if number == -1:
        return number
    if number <= 0:
        raise failed_field(parser, key, _setter_failure("[max_analyzed_offset] must be a positive integer, or -1"))
    return number


def _boundary_scanner(parser: str, key: str, value: Any) -> str:
    """``BoundaryScannerType.fromString``: ``chars``, ``word`` or ``sentence``, any case."""
    text = _text(parser, key, value)
    name = text.upper()
    if name not in ("CHARS", "WORD", "SENTENCE"):
        enum = "org.elasticsearch.search.fetch.subphase.highlight.HighlightBuilder.BoundaryScannerType"
        raise failed_field(parser, key, _setter_failure(f"No enum constant {enum}.{name}"))
    return name.lower()


def _order(parser: str, key: str, value: Any) -> str:
    """``Order.fromString``: ``score`` (any case) orders by score; anything else is ``none``."""
    return "score" if _text(parser, key, value).upper() == "SCORE" else "none"


def _tags_schema(parser: str, key: str, value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``tagsSchema``: ``styled`` or ``default`` set both tag lists (a later ``pre_tags`` still wins)."""
    schema = _text(parser, key, value)
    if schema == "styled":
        return STYLED_PRE_TAGS, STYLED_POST_TAGS
    if schema == "default":
        return ("<em>",), ("</em>",)
    raise failed_field(parser, key, _setter_failure(f"Unknown tag schema [{schema}]"))


def _options(parser: str, key: str, value: Any) -> str:
    if not isinstance(value, dict):
        raise unsupported_token(parser, key, jv.token_of(value))
    return json.dumps(value)


def _highlight_query(parser: str, key: str, value: Any) -> Any:
    if not isinstance(value, dict):
        raise unsupported_token(parser, key, jv.token_of(value))
    try:
        return parse_top_level_query(value)
    except ApiError as err:
        raise failed_field(parser, key, err) from None


_OPTION_PARSERS: dict[str, Callable[[str, str, Any], Any]] = {
    "pre_tags": _strings,
    "post_tags": _strings,
    "fragment_size": _int,
    "number_of_fragments": _number_of_fragments,
    "type": _text,
    "fragmenter": _text,
    "highlight_query": _highlight_query,
    "order": _order,
    "highlight_filter": _bool,
    "boundary_scanner": _boundary_scanner,
    "boundary_max_scan": _int,
    "boundary_chars": _text,
    "boundary_scanner_locale": _text,
    "options": _options,
    "require_field_match": _bool,
    "no_match_size": _int,
    "phrase_limit": _int,
    "max_analyzed_offset": _max_analyzed_offset,
    "encoder": _text,
    "fragment_offset": _int,
    "matched_fields": _strings,
}


def _check_tags(options: dict[str, Any]) -> None:
    """What ``AbstractHighlighterBuilder``'s parser checks once an object has been read."""
    pre, post = options.get("pre_tags"), options.get("post_tags")
    if pre is not None and post is None:
        raise parsing_error("pre_tags are set but post_tags are not set")
    if pre is not None and post is not None and (not pre or not post):
        raise parsing_error("pre_tags or post_tags must not be empty")


def _field(name: str, body: Any) -> HighlightField:
    if not isinstance(body, dict):
        raise x_content(f"[{_FIELD}] Expected START_OBJECT but was: {jv.token_of(body)}")
    values: dict[str, Any] = {}
    for key, value in body.items():
        if key not in _FIELD_KEYS:
            raise unknown_field(_FIELD, key, _FIELD_KEYS)
        if key == "tags_schema":
            values["pre_tags"], values["post_tags"] = _tags_schema(_FIELD, key, value)
        else:
            values[key] = _OPTION_PARSERS[key](_FIELD, key, value)
    _check_tags(values)
    return HighlightField(name=name, options=HighlightOptions(**values))


def _fields(value: Any) -> tuple[tuple[HighlightField, ...], bool]:
    """``fields``: an object of field → options, or an array of one-key objects (explicit order)."""
    if isinstance(value, dict):
        return tuple(_field(name, body) for name, body in value.items()), False
    if not isinstance(value, list):
        raise unsupported_token(_TOP, "fields", jv.token_of(value))
    out: list[HighlightField] = []
    for element in value:
        if not isinstance(element, dict) or len(element) != 1:
            raise x_content(  # ObjectParser.declareNamedObjects' ordered form
                "[fields] can be a single object with any number of fields or an array where each entry is an "
                "object with a single field"
            )
        ((name, body),) = element.items()
        out.append(_field(name, body))
    return tuple(out), True


def parse_highlight(body: Any) -> Highlight:
    """The body's ``highlight`` object."""
    if not isinstance(body, dict):
        raise parsing_error(f"Unknown key for a {jv.token_of(body)} in [highlight].")
    values: dict[str, Any] = {}
    fields: tuple[HighlightField, ...] = ()
    explicit_order = False
    for key, value in body.items():
        if key not in _TOP_KEYS:
            raise unknown_field(_TOP, key, _TOP_KEYS)
        if key == "tags_schema":
            values["pre_tags"], values["post_tags"] = _tags_schema(_TOP, key, value)
        elif key == "fields":
            try:
                fields, explicit_order = _fields(value)
            except ApiError as err:  # the top-level parser wraps what the field parser threw
                raise failed_field(_TOP, key, err) from None
        else:
            values[key] = _OPTION_PARSERS[key](_TOP, key, value)
    _check_tags(values)
    return Highlight(fields=fields, options=HighlightOptions(**values), use_explicit_field_order=explicit_order)


use_highlight_parser(parse_highlight)  # a nested query's inner_hits highlight (grammar/json/nested.py)
