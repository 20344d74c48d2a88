"""The document parser's step into a ``nested`` object (Elasticsearch's ``DocumentParser`` with a
nested context): the object's fields are collected apart from the parent's, as a :class:`NestedDoc`.

``include_in_parent`` / ``include_in_root`` also copy the object's values into the enclosing
document / the top-level document, as Elasticsearch adds the nested document's fields to them; a
``copy_to`` target outside the object goes to the enclosing document its path belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from retrievo.index.mappings import ObjectMapping
from retrievo.index.nested import NestedDoc

__all__ = ["parse_nested_object"]


class _ParseState(Protocol):
    values: dict[str, list[Any]]
    root_values: dict[str, list[Any]]
    nested: list[Any]

    def parse_object(self, obj: ObjectMapping, value: Mapping[str, Any], dynamic: str, location: Any) -> None: ...


def parse_nested_object(
    state: _ParseState, obj: ObjectMapping, value: Mapping[str, Any], dynamic: str, location: Any
) -> None:
    """Parses one object of the nested field ``obj`` into a document of its own."""
    outer_values, outer_nested = state.values, state.nested
    state.values, state.nested = {}, []
    try:
        state.parse_object(obj, value, dynamic, location)
        inner_values, inner_nested = state.values, state.nested
    finally:
        state.values, state.nested = outer_values, outer_nested
    # copy_to targets outside this object belong to an enclosing document (``parseCopyFields`` looks up
    # the document whose path prefixes the target); every field of the object itself is under its path
    prefix = obj.path + "."
    for path in [p for p in inner_values if not p.startswith(prefix)]:
        outer_values.setdefault(path, []).extend(inner_values.pop(path))
    offset = sum(1 for doc in outer_nested if doc.path == obj.path)
    outer_nested.append(NestedDoc(obj.path, offset, inner_values, tuple(inner_nested)))
    assert obj.nested is not None
    if obj.nested.include_in_parent:
        _copy_into(outer_values, inner_values)
    if obj.nested.include_in_root and not (obj.nested.include_in_parent and outer_values is state.root_values):
        _copy_into(state.root_values, inner_values)


def _copy_into(target: dict[str, list[Any]], values: dict[str, list[Any]]) -> None:
    for path, vals in values.items():
        target.setdefault(path, []).extend(vals)
