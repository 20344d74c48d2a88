"""A field sort's ``nested`` object → :class:`~retrievo.retrievers.nested_sort.NestedSort`
(``NestedSortBuilder.fromXContent``: ``path``, ``filter``, ``max_children``, ``nested``).

The ``filter`` is a query, but the query parsers import the sort parser (inner hits sort), so the
query parser is handed in by :mod:`retrievo.grammar.json.queries` when it loads
(:func:`use_filter_parser`) rather than imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import illegal_argument, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.retrievers.nested_sort import NestedSort
from retrievo.retrievers.queries import Query

__all__ = ["FILTER_PARSERS", "parse_nested_sort", "use_filter_parser"]

#: The top-level query parser (one entry, set by ``grammar/json/queries.py``).
FILTER_PARSERS: list[Callable[[Any], Query]] = []


def use_filter_parser(parser: Callable[[Any], Query]) -> None:
    FILTER_PARSERS[:] = [parser]


def parse_nested_sort(value: Any) -> NestedSort:
    if not isinstance(value, dict):
        raise parsing_error(f"[nested] Expected START_OBJECT but was: {jv.token_of(value)}")
    path: str | None = None
    filter_query: Query | None = None
    max_children: int | None = None
    deeper: NestedSort | None = None
    for key, val in value.items():
        if key == "path":
            if not isinstance(val, str):
                raise parsing_error(f"[nested] path doesn't support values of type: {jv.token_of(val)}")
            path = val
        elif key == "filter":
            filter_query = FILTER_PARSERS[0](val)
        elif key == "max_children":
            try:
                max_children = jv.java_int(val)
            except jv.BadValue:
                raise parsing_error("[nested] failed to parse field [max_children]") from None
        elif key == "nested":
            deeper = parse_nested_sort(val)
        else:
            raise parsing_error(f"[nested] unknown field [{key}]")
    if path is None:
        raise illegal_argument("[nested] requires 'path' field")
    return NestedSort(path=path, filter=filter_query, max_children=max_children, nested=deeper)
