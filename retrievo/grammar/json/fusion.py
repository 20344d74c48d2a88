"""``rrf`` and ``linear``: Elasticsearch's compound retrievers (``RRFRetrieverBuilder``,
``LinearRetrieverBuilder`` and their components), with their validation messages (spec §4.1, §5.1).

An ``rrf`` child is a bare retriever or ``{"retriever": ..., "weight": w}``; a ``linear`` child is
always the wrapped form, with an optional ``normalizer``. The multi-field ``query``/``fields``
shorthand is refused: its expansion depends on index-time field types in ways retrievo does not
reproduce yet.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause, illegal_argument, not_supported
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import x_content
from retrievo.grammar.json.objects import (
    OBJECT_ARRAY, STRING, STRING_ARRAY, Field, int_field, parse_object,
)
from retrievo.grammar.json.retrievers import BASE_FIELDS, base_kwargs, parse_retriever, register_retriever
from retrievo.retrievers.fusion import (
    DEFAULT_RANK_CONSTANT, DEFAULT_RANK_WINDOW_SIZE, LinearRetriever, RetrieverEntry, RrfRetriever,
)

NORMALIZERS = ("none", "minmax", "l2_norm")


def _component_error(reason: str) -> jv.BadValue:
    return jv.BadValue(error_cause("illegal_argument_exception", reason))


def _weight(value: Any, with_found: bool) -> float:
    weight = jv.java_float(value)
    if weight != weight:  # NaN is treated as 1.0 by Elasticsearch
        return 1.0
    if weight < 0:
        raise _component_error(f"[weight] must be non-negative, found [{jv.java_text(value)}]" if with_found
                               else "[weight] must be non-negative")
    return weight


def _normalizer(value: Any) -> str:
    name = jv.java_text(value).lower()
    if name not in NORMALIZERS:
        raise _component_error(f"Unknown normalizer [{jv.java_text(value)}]")
    return name


def _rrf_entry(item: Any) -> RetrieverEntry:
    if not isinstance(item, dict) or not item:
        raise _component_error("retriever component must contain a retriever")
    if "retriever" not in item and "weight" not in item:
        name = next(iter(item))
        if len(item) > 1:
            extra = list(item)[1]
            raise _component_error(f"unknown field [{extra}] after retriever")
        return RetrieverEntry(retriever=parse_retriever({name: item[name]}), wrapped=False)
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
    return RetrieverEntry(retriever=parse_retriever(item["retriever"]), weight=weight)


def _linear_entry(item: Any) -> RetrieverEntry:
    body = parse_object("retriever-component", item if isinstance(item, dict) else {}, {
        "retriever": Field(frozenset({jv.START_OBJECT}), parse_retriever),
        "weight": Field(frozenset({jv.VALUE_NUMBER, jv.VALUE_STRING}), lambda v: _weight(v, with_found=False)),
        "normalizer": Field(STRING, _normalizer),
    })
    if "retriever" not in body:
        raise x_content("[retriever-component] failed to parse object",
                        cause=error_cause("illegal_argument_exception", "Required [retriever]"))
    return RetrieverEntry(retriever=body["retriever"], weight=body.get("weight", 1.0),
                          normalizer=body.get("normalizer"))


def _entries(parse_entry: Any) -> Field:
    def parse(value: Any) -> tuple[RetrieverEntry, ...]:
        items = value if isinstance(value, list) else [value]
        return tuple(parse_entry(item) for item in items)
    return Field(OBJECT_ARRAY, parse)


def _multi_field(name: str) -> Field:
    def reject(_: Any) -> None:
        raise not_supported(f"[{name}] multi-field format ([query] and [fields])",
                            "list the child retrievers in [retrievers]")
    return Field(STRING_ARRAY | STRING, reject)


def _common(name: str, parse_entry: Any) -> dict[str, Field]:
    return {"retrievers": _entries(parse_entry), "rank_window_size": int_field(),
            "query": _multi_field(name), "fields": _multi_field(name), **BASE_FIELDS}


def _require_children(name: str, parsed: dict[str, Any]) -> None:
    if not parsed.get("retrievers"):
        raise illegal_argument(f"[{name}] must provide [retrievers] or [query]")


def parse_rrf(body: dict[str, Any]) -> RrfRetriever:
    parsed = parse_object("rrf", body, {**_common("rrf", _rrf_entry), "rank_constant": int_field()})
    _require_children("rrf", parsed)
    rank_constant = parsed.get("rank_constant", DEFAULT_RANK_CONSTANT)
    if rank_constant < 1:
        raise illegal_argument("[rank_constant] must be greater or equal to [1] for [rrf]")
    return RrfRetriever(retrievers=parsed["retrievers"], rank_constant=rank_constant,
                        rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
                        **base_kwargs(parsed))


def parse_linear(body: dict[str, Any]) -> LinearRetriever:
    parsed = parse_object("linear", body, {**_common("linear", _linear_entry),
                                           "normalizer": Field(STRING, _normalizer)})
    _require_children("linear", parsed)
    return LinearRetriever(retrievers=parsed["retrievers"], normalizer=parsed.get("normalizer"),
                           rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
                           **base_kwargs(parsed))


register_retriever("rrf", parse_rrf)
register_retriever("linear", parse_linear)
