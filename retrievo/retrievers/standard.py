"""The ``standard`` retriever: a query, filters, sort and score cut-off over one index."""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.sort import SortField


class StandardRetriever(Retriever):
    kind: ClassVar[str] = "standard"
    query: Query | None = None
    sort: tuple[SortField, ...] = ()
    terminate_after: int | None = None
    search_after: tuple[Any, ...] | None = None

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
        return {"standard": {**body, **self._base_json()}}
