"""A field sort's ``nested`` context (``NestedSortBuilder``): which nested objects a parent's sort
value is read from."""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import Query

__all__ = ["NestedSort"]


class NestedSort(Node):
    """``path`` (a nested object), an optional ``filter`` on its objects, ``max_children`` objects
    considered per parent, and a deeper ``nested`` context for nesting inside nesting."""

    kind: ClassVar[str] = "nested_sort"
    path: str
    filter: Query | None = None
    max_children: int | None = None
    nested: NestedSort | None = None

    def levels(self) -> list[NestedSort]:
        """This context and the deeper ones, outermost first."""
        return [self, *(self.nested.levels() if self.nested is not None else [])]

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"path": self.path}
        if self.filter is not None:
            body["filter"] = self.filter.to_json()
        if self.max_children is not None:
            body["max_children"] = self.max_children
        if self.nested is not None:
            body["nested"] = self.nested.to_json()
        return body
