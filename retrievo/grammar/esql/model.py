"""What an ES|QL search parses into: the retriever AST plus what only ES|QL has (its columns).

The search itself is a :class:`SearchRequest` — the same AST the JSON front end builds — so a plan,
the cache key and the results do not depend on the language the search came in. ES|QL adds a table
shape on top: which metadata columns ``FROM ... METADATA`` asked for, which columns ``KEEP`` keeps,
and where ``RERANK <column> = ...`` writes its score. Those live here, next to the request.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.search import SearchRequest

#: The metadata columns retrievo fills (``FROM ... METADATA``), as Elasticsearch names them.
METADATA_FIELDS = ("_id", "_index", "_score")
#: Metadata Elasticsearch's ES|QL also knows; asking for one is "not supported in retrievo".
OTHER_METADATA_FIELDS = ("_version", "_ignored", "_index_mode", "_source", "_tier", "_size", "_tsid", "_timeseries")
DEFAULT_METADATA = ("_id", "_index", "_score")
SCORE = "_score"


class EsqlQuery(Node):
    """An ES|QL search: ``request`` is the retriever AST; the rest shapes the result table."""

    kind: ClassVar[str] = "esql"
    request: SearchRequest
    #: ``FROM ... METADATA`` columns, in the order written.
    metadata: tuple[str, ...] = DEFAULT_METADATA
    #: Each ``KEEP`` command's patterns, in order (applied one after the other).
    keep: tuple[tuple[str, ...], ...] = ()
    #: ``RERANK <column> = ...`` on the last stage: the column that receives the rerank score (the
    #: ``_score`` column then keeps the score the reranked rows came in with).
    rerank_column: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.request.index,
            "request": self.request.to_json(),
            "metadata": list(self.metadata),
        }
        if self.keep:
            body["keep"] = [list(k) for k in self.keep]
        if self.rerank_column is not None:
            body["rerank_column"] = self.rerank_column
        return body
