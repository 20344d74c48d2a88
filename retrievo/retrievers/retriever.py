"""Base class of retriever nodes: the fields every Elasticsearch retriever accepts."""

from __future__ import annotations

from typing import Any

from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import Query


class Retriever(Node):
    """``filter`` (pre-filters, never scored), ``min_score`` and ``_name`` (stored as ``name``)."""

    filter: tuple[Query, ...] = ()
    min_score: float | None = None
    name: str | None = None

    def _base_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.filter:
            out["filter"] = [f.to_json() for f in self.filter] if len(self.filter) > 1 \
                else self.filter[0].to_json()
        if self.min_score is not None:
            out["min_score"] = self.min_score
        if self.name is not None:
            out["_name"] = self.name
        return out

    def children(self) -> tuple["Retriever", ...]:
        return ()
