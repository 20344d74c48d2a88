"""Compound retrievers that fuse ranked lists: ``rrf`` and ``linear``.

Each child runs with the parent's ``rank_window_size`` as its size; the parent fuses the children's
windows and keeps the best ``rank_window_size`` documents. Defaults are Elasticsearch's: window 10
(not derived from ``size``), ``rank_constant`` 60, weights 1.0, normalizer ``none``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.base import Node
from retrievo.retrievers.retriever import Retriever

Normalizer = Literal["none", "minmax", "l2_norm"]
DEFAULT_RANK_WINDOW_SIZE = 10
DEFAULT_RANK_CONSTANT = 60


class RetrieverEntry(Node):
    """One child of a compound retriever with its weight (and, for ``linear``, its normalizer)."""

    kind: ClassVar[str] = "entry"
    retriever: Retriever
    weight: float = 1.0
    normalizer: Normalizer | None = None
    wrapped: bool = True  # printed as {"retriever": ..., "weight": ...} rather than bare

    def to_json(self) -> dict[str, Any]:
        if not self.wrapped:
            return self.retriever.to_json()
        body: dict[str, Any] = {"retriever": self.retriever.to_json()}
        if self.weight != 1.0:
            body["weight"] = self.weight
        if self.normalizer is not None:
            body["normalizer"] = self.normalizer
        return body


class CompoundRetriever(Retriever):
    retrievers: tuple[RetrieverEntry, ...]
    rank_window_size: int = DEFAULT_RANK_WINDOW_SIZE

    def children(self) -> tuple[Retriever, ...]:
        return tuple(e.retriever for e in self.retrievers)


class RrfRetriever(CompoundRetriever):
    kind: ClassVar[str] = "rrf"
    rank_constant: int = DEFAULT_RANK_CONSTANT

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"retrievers": [e.to_json() for e in self.retrievers]}
        if self.rank_constant != DEFAULT_RANK_CONSTANT:
            body["rank_constant"] = self.rank_constant
        if self.rank_window_size != DEFAULT_RANK_WINDOW_SIZE:
            body["rank_window_size"] = self.rank_window_size
        return {"rrf": {**body, **self._base_json()}}


class LinearRetriever(CompoundRetriever):
    kind: ClassVar[str] = "linear"
    normalizer: Normalizer | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"retrievers": [e.to_json() for e in self.retrievers]}
        if self.normalizer is not None:
            body["normalizer"] = self.normalizer
        if self.rank_window_size != DEFAULT_RANK_WINDOW_SIZE:
            body["rank_window_size"] = self.rank_window_size
        return {"linear": {**body, **self._base_json()}}

    def normalizer_of(self, entry: RetrieverEntry) -> Normalizer:
        """Entry normalizer, else the retriever-level default (9.2+), else ``none``."""
        return entry.normalizer or self.normalizer or "none"
