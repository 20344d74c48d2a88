"""Vector search: the ``knn`` retriever and the top-level ``knn`` search section.

Both are one :class:`KnnSearch` underneath. The retriever requires ``k`` and ``num_candidates``;
the top-level section defaults ``k`` to the request's ``size`` and ``num_candidates`` to
``round(min(1.5 × k, 10000))``, which the parser fills in (Elasticsearch's ``KnnSearchBuilder``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import Retriever

NUM_CANDIDATES_LIMIT = 10_000


class TextEmbeddingBuilder(Node):
    """``query_vector_builder.text_embedding``: embed ``model_text`` with endpoint ``model_id``."""

    kind: ClassVar[str] = "text_embedding"
    model_id: str
    model_text: str

    def to_json(self) -> dict[str, Any]:
        return {"text_embedding": {"model_id": self.model_id, "model_text": self.model_text}}


class KnnSearch(Node):
    """One nearest-neighbour search over a ``dense_vector`` (or ``semantic_text``) field."""

    kind: ClassVar[str] = "knn_search"
    field: str
    k: int
    num_candidates: int
    query_vector: tuple[float, ...] | None = None
    query_vector_builder: TextEmbeddingBuilder | None = None
    similarity: float | None = None
    filter: tuple[Query, ...] = ()
    boost: float = 1.0
    name: str | None = None
    rescore_oversample: float | None = None

    def body_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"field": self.field}
        if self.query_vector is not None:
            body["query_vector"] = list(self.query_vector)
        if self.query_vector_builder is not None:
            body["query_vector_builder"] = self.query_vector_builder.to_json()
        body["k"] = self.k
        body["num_candidates"] = self.num_candidates
        if self.similarity is not None:
            body["similarity"] = self.similarity
        if self.rescore_oversample is not None:
            body["rescore_vector"] = {"oversample": self.rescore_oversample}
        if self.filter:
            body["filter"] = [f.to_json() for f in self.filter] if len(self.filter) > 1 else self.filter[0].to_json()
        if self.boost != 1.0:
            body["boost"] = self.boost
        if self.name is not None:
            body["_name"] = self.name
        return body

    def to_json(self) -> dict[str, Any]:
        return self.body_json()


class KnnRetriever(Retriever):
    """``{"knn": {...}}`` as a retriever: the top ``k`` documents by vector score."""

    kind: ClassVar[str] = "knn"
    search: KnnSearch

    def dfs_knn_searches(self, legacy_rank: bool = False) -> int:
        return 1

    def to_json(self) -> dict[str, Any]:
        body = {k: v for k, v in self.search.body_json().items() if k not in ("filter", "_name", "boost")}
        return {"knn": {**body, **self._base_json()}}

    def describe(self) -> dict[str, Any]:
        s = self.search
        out: dict[str, Any] = {"field": s.field, "k": s.k, "num_candidates": s.num_candidates}
        if s.query_vector_builder is not None:
            out["embed"] = f"{s.query_vector_builder.model_id}({s.query_vector_builder.model_text!r})"
        elif s.query_vector is not None:
            out["query_vector"] = f"[{len(s.query_vector)} dims]"
        if s.similarity is not None:
            out["similarity"] = s.similarity
        return {**out, **super().describe()}
