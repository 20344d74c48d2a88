"""The ``nested`` query: an inner query run over the objects of a ``nested`` field, each parent
document scored from its matching objects (Lucene's ``ToParentBlockJoinQuery``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.base import Node
from retrievo.retrievers.collapse import InnerHits
from retrievo.retrievers.highlight import Highlight
from retrievo.retrievers.queries import Query
from retrievo.retrievers.search import FieldAndFormat

ScoreMode = Literal["avg", "max", "min", "sum", "none"]

__all__ = ["NestedInnerHits", "NestedQuery", "ScoreMode"]


class NestedInnerHits(Node):
    """A ``nested`` query's ``inner_hits``: ``InnerHitBuilder``'s options shared with ``collapse``
    (``hits``), plus those only nested inner hits take here: ``explain``, ``docvalue_fields`` and
    ``highlight``."""

    kind: ClassVar[str] = "nested_inner_hits"
    hits: InnerHits
    explain: bool = False
    docvalue_fields: tuple[FieldAndFormat, ...] | None = None
    highlight: Highlight | None = None

    @property
    def name(self) -> str:
        return self.hits.name

    def to_json(self) -> dict[str, Any]:
        body = self.hits.to_json()
        if self.explain:
            body["explain"] = True
        if self.docvalue_fields is not None:
            body["docvalue_fields"] = [f.to_json() for f in self.docvalue_fields]
        if self.highlight is not None:
            body["highlight"] = self.highlight.to_json()
        return body


class NestedQuery(Query):
    kind: ClassVar[str] = "nested"
    path: str
    query: Query
    score_mode: ScoreMode = "avg"
    ignore_unmapped: bool = False
    inner_hits: NestedInnerHits | None = None

    def children(self) -> tuple[Query, ...]:
        return (self.query,)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"path": self.path, "query": self.query.to_json()}
        if self.score_mode != "avg":
            body["score_mode"] = self.score_mode
        if self.ignore_unmapped:
            body["ignore_unmapped"] = True
        if self.inner_hits is not None:
            body["inner_hits"] = self.inner_hits.to_json()
        return {"nested": {**body, **self._common()}}
