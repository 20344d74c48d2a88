"""``rrf`` and ``linear``: Elasticsearch's compound retrievers (``RRFRetrieverBuilder``,
``LinearRetrieverBuilder`` and their components), with their validation messages (spec §4.1, §5.1).

An ``rrf`` child is a bare retriever or ``{"retriever": ..., "weight": w}``; a ``linear`` child is
always the wrapped form, with an optional ``normalizer``. The multi-field format (``query`` and
``fields``) is kept as written: its rewrite into children needs the target index's mappings, so the
planner does it (:mod:`retrievo.planner.multi_field`). The request validation of the two formats
(``MultiFieldsInnerRetrieverUtils.validateParams``) runs here, right after parsing, with
Elasticsearch's ``Validation Failed`` messages. Both parsers are built around the parser for their
children (:func:`rrf_parser`, :func:`linear_parser`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from retrievo.errors import error_cause, illegal_argument, validation_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import x_content
from retrievo.grammar.json.objects import (
    OBJECT_ARRAY,
    STRING,
    STRING_ARRAY,
    Field,
    int_field,
    parse_array,
    parse_object,
)
from retrievo.grammar.json.retriever_common import BASE_FIELDS, RetrieverParser, base_kwargs
from retrievo.retrievers.fusion import (
    DEFAULT_RANK_CONSTANT,
    DEFAULT_RANK_WINDOW_SIZE,
    CompoundRetriever,
    LinearRetriever,
    RetrieverEntry,
    RrfRetriever,
)

NORMALIZERS = ("none", "minmax", "l2_norm")


def _component_error(reason: str) -> jv.BadValue:
    return jv.BadValue(error_cause("illegal_argument_exception", reason))


def _weight(value: Any, with_found: bool) -> float:
    weight = jv.java_float(value)
    if weight != weight:  # NaN is treated as 1.0 by Elasticsearch
        return 1.0
    if weight < 0:
        raise _component_error(
            f"[weight] must be non-negative, found [{jv.java_text(value)}]"
            if with_found
            else "[weight] must be non-negative"
        )
    return weight


def _normalizer(value: Any) -> str:
    name = jv.java_text(value).lower()
    if name not in NORMALIZERS:
        raise _component_error(f"Unknown normalizer [{jv.java_text(value)}]")
    return name


def _rrf_entry(item: Any, parse_child: RetrieverParser) -> RetrieverEntry:
    if not isinstance(item, dict) or not item:
        raise _component_error("retriever component must contain a retriever")
    if "retriever" not in item and "weight" not in item:
        name = next(iter(item))
        if len(item) > 1:
            extra = list(item)[1]
            raise _component_error(f"unknown field [{extra}] after retriever")
        return RetrieverEntry(retriever=parse_child({name: item[name]}), wrapped=False)
    for key in item:
        if key not in ("retriever", "weight"):
            raise _component_error(f"unknown field [{key}], expected [retriever] or [weight]")
    if "retriever" not in item:
        raise _component_error("retriever component must contain a retriever")
    if not isinstance(item["retriever"], dict):
        raise _component_error("retriever must be an object")
    if len(item["retriever"]) > 1:
        raise _component_error("only one retriever can be specified")
    weight = _weight(item["weight"], with_found=True) if "weight" in item else 1.0
    return RetrieverEntry(retriever=parse_child(item["retriever"]), weight=weight)


def _linear_entry(item: Any, parse_child: RetrieverParser) -> RetrieverEntry:
    body = parse_object(
        "retriever-component",
        item if isinstance(item, dict) else {},
        {
            "retriever": Field(frozenset({jv.START_OBJECT}), parse_child),
            "weight": Field(frozenset({jv.VALUE_NUMBER, jv.VALUE_STRING}), lambda v: _weight(v, with_found=False)),
            "normalizer": Field(STRING, _normalizer),
        },
    )
    if "retriever" not in body:
        raise x_content(
            "[retriever-component] failed to parse object",
            cause=error_cause("illegal_argument_exception", "Required [retriever]"),
        )
    return RetrieverEntry(
        retriever=body["retriever"], weight=body.get("weight", 1.0), normalizer=body.get("normalizer")
    )


_EntryParser = Callable[[Any, RetrieverParser], RetrieverEntry]


def _entries(parse_entry: _EntryParser, parse_child: RetrieverParser) -> Field:
    def parse(value: Any) -> tuple[RetrieverEntry, ...]:
        items = value if isinstance(value, list) else [value]
        return tuple(parse_entry(item, parse_child) for item in items)

    return Field(OBJECT_ARRAY, parse)


def _field_name(value: Any) -> str:
    """One entry of ``fields`` (``declareStringArray``): any scalar's text, never null."""
    if value is None or isinstance(value, (dict, list)):
        raise jv.BadValue(error_cause("illegal_state_exception", f"expected value but got [{jv.token_of(value)}]"))
    return jv.java_text(value)


def _common(parse_entry: _EntryParser, parse_child: RetrieverParser) -> dict[str, Field]:
    return {
        "retrievers": _entries(parse_entry, parse_child),
        "rank_window_size": int_field(),
        "query": Field(STRING, lambda v: v),
        "fields": Field(STRING_ARRAY, lambda v: tuple(parse_array(v, _field_name))),
        **BASE_FIELDS,
    }


def _multi_field_kwargs(parsed: dict[str, Any]) -> dict[str, Any]:
    return {"query": parsed.get("query"), "fields": parsed.get("fields")}


_Compound = TypeVar("_Compound", bound=CompoundRetriever)


def _validated(r: _Compound) -> _Compound:
    """The request validation Elasticsearch runs on the parsed retriever (``validate``), numbered."""
    messages = r.multi_field_messages()
    if messages:
        raise validation_error(*messages)
    return r


def rrf_parser(parse_child: RetrieverParser) -> RetrieverParser:
    """The ``rrf`` parser, parsing its child retrievers with ``parse_child``."""
    fields = {**_common(_rrf_entry, parse_child), "rank_constant": int_field()}

    def parse_rrf(body: dict[str, Any]) -> RrfRetriever:
        parsed = parse_object("rrf", body, fields)
        rank_constant = parsed.get("rank_constant", DEFAULT_RANK_CONSTANT)
        if rank_constant < 1:
            raise illegal_argument("[rank_constant] must be greater or equal to [1] for [rrf]")
        return _validated(
            RrfRetriever(
                retrievers=parsed.get("retrievers", ()),
                rank_constant=rank_constant,
                rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
                **_multi_field_kwargs(parsed),
                **base_kwargs(parsed),
            )
        )

    return parse_rrf


def linear_parser(parse_child: RetrieverParser) -> RetrieverParser:
    """The ``linear`` parser, parsing its child retrievers with ``parse_child``."""
    fields = {**_common(_linear_entry, parse_child), "normalizer": Field(STRING, _normalizer)}

    def parse_linear(body: dict[str, Any]) -> LinearRetriever:
        parsed = parse_object("linear", body, fields)
        return _validated(
            LinearRetriever(
                retrievers=parsed.get("retrievers", ()),
                normalizer=parsed.get("normalizer"),
                rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
                **_multi_field_kwargs(parsed),
                **base_kwargs(parsed),
            )
        )

    return parse_linear
