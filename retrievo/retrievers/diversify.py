"""``diversify``: keep the most relevant yet mutually dissimilar documents of a child's window (MMR).

Elasticsearch's ``DiversifyRetrieverBuilder`` (preview in 9.3): the child runs with
``rank_window_size`` as its size, Maximal Marginal Relevance picks ``size`` of its documents by their
``field`` vectors (and the optional query vector), and the picked ones come back in the child's own
order with the child's own scores — only membership changes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.errors import validation_error
from retrievo.java_text import java_float_str
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.knn import TextEmbeddingBuilder
from retrievo.retrievers.retriever import WrappingRetriever

#: ``DiversifyRetrieverBuilder.DEFAULT_SIZE_VALUE``: ``size`` defaults to ``min(10, rank_window_size)``.
DEFAULT_DIVERSIFY_SIZE = 10


class DiversifyRetriever(WrappingRetriever):
    kind: ClassVar[str] = "diversify"
    #: The diversification type as written (``mmr``, matched case-insensitively, printed lower case).
    type: str = "mmr"
    field: str
    #: ``None``: not written (the effective size is ``min(10, rank_window_size)``).
    size: int | None = None
    #: Numbers, or the string-encoded vector as written (which validation rejects).
    query_vector: tuple[float, ...] | str | None = None
    query_vector_builder: TextEmbeddingBuilder | None = None
    #: ``lambda``; ``None`` when missing, which validation rejects as Elasticsearch does.
    lambda_: float | None = None

    @property
    def effective_size(self) -> int:
        return self.size if self.size is not None else min(DEFAULT_DIVERSIFY_SIZE, self.rank_window_size)

    def check_window(self, size: int | None = None) -> None:
        """``DiversifyRetrieverBuilder.validate`` replaces the compound checks (no size-vs-window check
        against the request's ``size``): every failed check is one numbered message."""
        problems: list[str] = []
        if self.query_vector is not None and self.query_vector_builder is not None:
            problems.append(
                "[diversify] MMR result diversification can have one of [query_vector] or "
                "[query_vector_builder], but not both"
            )
        n = self.effective_size
        if n <= 0:
            problems.append(f"[diversify] MMR result diversification [size] of {n} must be greater than zero")
        if n > self.rank_window_size:
            problems.append(
                f"[diversify] MMR result diversification [size] of {n} cannot be greater than the "
                f"[rank_window_size] of {self.rank_window_size}"
            )
        lam = self.lambda_
        if lam is None or lam < 0.0 or lam > 1.0:
            shown = "null" if lam is None else java_float_str(lam)
            problems.append(
                "[diversify] MMR result diversification must have a [lambda] between 0.0 and 1.0. "
                f"The value provided was {shown}"
            )
        if isinstance(self.query_vector, str):
            problems.append("[diversify] retriever cannot have a [query_vector] that is string encoded")
        if problems:
            raise validation_error(*problems)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type.lower(),
            "field": self.field,
            "lambda": self.lambda_,
            "size": self.effective_size,
            "rank_window_size": self.rank_window_size,
        }
        if self.query_vector is not None:
            qv = self.query_vector
            out["query_vector"] = qv if isinstance(qv, str) else f"[{len(qv)} dims]"
        if self.query_vector_builder is not None:
            out["query_vector_builder"] = self.query_vector_builder.to_json()
        return {**out, **super().describe()}

    def printed_query_vector(self) -> list[float] | str | None:
        qv = self.query_vector
        return qv if qv is None or isinstance(qv, str) else list(qv)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"retriever": self.retriever.to_json(), "type": self.type.lower(), "field": self.field}
        if self.rank_window_size != DEFAULT_RANK_WINDOW_SIZE:
            body["rank_window_size"] = self.rank_window_size
        if self.query_vector is not None:
            body["query_vector"] = self.printed_query_vector()
        if self.query_vector_builder is not None:
            body["query_vector_builder"] = self.query_vector_builder.to_json()
        if self.lambda_ is not None:
            body["lambda"] = self.lambda_
        if self.size is not None:
            body["size"] = self.size
        return {"diversify": {**body, **self._base_json()}}
