"""The ``standard`` retriever: a query, filters, sort and score cut-off over one index."""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.collapse import Collapse
from retrievo.retrievers.knn import KnnSearch
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.sort import SortField


class StandardRetriever(Retriever):
    kind: ClassVar[str] = "standard"
    query: Query | None = None
    sort: tuple[SortField, ...] = ()
    terminate_after: int | None = None
    search_after: tuple[Any, ...] | None = None
    #: The top-level ``knn`` section. Elasticsearch runs each kNN search first and adds its hits to the
    #: query as a SHOULD clause (scores summed), so it belongs to this retriever's scoring.
    knn: tuple[KnnSearch, ...] = ()
    #: ``collapse``: one hit per value of a field (a top-level one lands here for a top-level query).
    collapse: Collapse | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.query is not None:
            body["query"] = self.query.to_json()
        if self.sort:
            body["sort"] = [s.to_json() for s in self.sort]
        if self.terminate_after is not None:
            body["terminate_after"] = self.terminate_after
        if self.search_after is not None:
            body["search_after"] = list(self.search_after)
        if self.knn:
            body["knn"] = [k.to_json() for k in self.knn] if len(self.knn) > 1 else self.knn[0].to_json()
        if self.collapse is not None:
            body["collapse"] = self.collapse.to_json()
        return {"standard": {**body, **self._base_json()}}

    def dfs_knn_searches(self, legacy_rank: bool = False) -> int:
        return len(self.knn)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.query is not None:
            out["query"] = self.query.to_json()
        if self.knn:
            out["knn"] = [k.to_json() for k in self.knn]
        if self.sort:
            out["sort"] = [s.to_json() for s in self.sort]
        if self.terminate_after:
            out["terminate_after"] = self.terminate_after
        return {**out, **super().describe()}
