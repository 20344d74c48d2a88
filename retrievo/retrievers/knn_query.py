"""The ``knn`` query: a nearest-neighbour search written where any query goes (``KnnVectorQueryBuilder``).

Unlike the top-level ``knn`` section and the ``knn`` retriever, ``k`` and ``num_candidates`` may both be
left out: the planner fills them in from the search it compiles for (``k`` = that search's ``size``,
capped by ``num_candidates`` when only that is given; ``num_candidates`` = ``round(min(1.5 k, 10000))``).
Its ``query_vector_builder.text_embedding`` may leave ``model_id`` out on a ``semantic_text`` field,
which then embeds with the field's own endpoint; that is why the builder's two values are kept here
rather than as a :class:`~retrievo.retrievers.knn.TextEmbeddingBuilder`, whose ``model_id`` is required.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.queries import Query


class KnnQuery(Query):
    """``{"knn": {...}}`` inside ``query``: the top ``k`` documents by vector similarity, pre-filtered by
    ``filter``; a document outside them does not match."""

    kind: ClassVar[str] = "knn"
    field: str
    query_vector: tuple[float, ...] | None = None
    #: ``query_vector_builder.text_embedding``'s ``model_text``; ``None`` without a builder.
    model_text: str | None = None
    #: ``query_vector_builder.text_embedding``'s ``model_id``; ``None`` when left out.
    model_id: str | None = None
    k: int | None = None
    num_candidates: int | None = None
    similarity: float | None = None
    filter: tuple[Query, ...] = ()
    rescore_oversample: float | None = None

    def children(self) -> tuple[Query, ...]:
        return self.filter

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"field": self.field}
        if self.query_vector is not None:
            body["query_vector"] = list(self.query_vector)
        if self.k is not None:
            body["k"] = self.k
        if self.num_candidates is not None:
            body["num_candidates"] = self.num_candidates
        if self.similarity is not None:
            body["similarity"] = self.similarity
        if self.model_text is not None:
            builder = {"model_text": self.model_text}
            if self.model_id is not None:
                builder = {"model_id": self.model_id, **builder}
            body["query_vector_builder"] = {"text_embedding": builder}
        if self.filter:
            body["filter"] = [f.to_json() for f in self.filter]
        if self.rescore_oversample is not None:
            body["rescore_vector"] = {"oversample": self.rescore_oversample}
        return {"knn": {**body, **self._common()}}
