"""Sort specifications (``sort`` in a search body or a ``standard`` retriever)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.base import Node
from retrievo.retrievers.nested_sort import NestedSort

Missing = Literal["_last", "_first"] | str | int | float | bool


class SortField(Node):
    """One sort key. ``field`` may be ``_score`` or ``_doc`` as in Elasticsearch."""

    kind: ClassVar[str] = "sort"
    field: str
    order: Literal["asc", "desc"]
    missing: Missing = "_last"
    mode: Literal["min", "max", "sum", "avg", "median"] | None = None
    unmapped_type: str | None = None
    #: ``nested``: the sort value comes from the parent's nested objects (``retrievers/nested_sort.py``).
    nested: NestedSort | None = None
    #: ``numeric_type``: read a numeric field as ``long``/``double``/``date``/``date_nanos`` (lucene/sort_options.py).
    numeric_type: str | None = None
    #: ``format``: the date format a date sort prints its values with.
    format: str | None = None

    @staticmethod
    def default_order(field: str) -> Literal["asc", "desc"]:
        """Elasticsearch sorts ``_score`` descending and everything else ascending by default."""
        return "desc" if field == "_score" else "asc"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"order": self.order}
        if self.missing != "_last":
            body["missing"] = self.missing
        if self.mode is not None:
            body["mode"] = self.mode
        if self.unmapped_type is not None:
            body["unmapped_type"] = self.unmapped_type
        if self.nested is not None:
            body["nested"] = self.nested.to_json()
        if self.numeric_type is not None:
            body["numeric_type"] = self.numeric_type
        if self.format is not None:
            body["format"] = self.format
        return {self.field: body}
