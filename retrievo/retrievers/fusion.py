"""Compound retrievers that fuse ranked lists: ``rrf`` and ``linear``.

Each child runs with the parent's ``rank_window_size`` as its size; the parent fuses the children's
windows and keeps the best ``rank_window_size`` documents. Defaults are Elasticsearch's: window 10
(not derived from ``size``), ``rank_constant`` 60, weights 1.0, normalizer ``none``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.errors import validation_error
from retrievo.retrievers.base import Node
from retrievo.retrievers.retriever import DEFAULT_RANK_WINDOW_SIZE, Retriever, check_not_negative, check_size

Normalizer = Literal["none", "minmax", "l2_norm"]
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

    def with_children(self, children: tuple[Retriever, ...]) -> CompoundRetriever:
        if len(children) != len(self.retrievers):
            raise TypeError(f"[{self.kind}] has {len(self.retrievers)} children, not {len(children)}")
        if all(c is e.retriever for c, e in zip(children, self.retrievers)):
            return self
        entries = tuple(
            e if c is e.retriever else e.model_copy(update={"retriever": c}) for c, e in zip(children, self.retrievers)
        )
        return self.model_copy(update={"retrievers": entries})

    @property
    def own_window(self) -> int:
        return self.rank_window_size

    def check_window(self, size: int | None = None) -> None:
        """Not negative, no larger than any child's own window (Elasticsearch's ``CompoundRetrieverBuilder``
        checks before it checks ``size``), and large enough for the page when it is the top level."""
        check_not_negative(self.rank_window_size)
        for child in self.children():
            window = child.own_window
            if window is not None and window < self.rank_window_size:
                raise validation_error(
                    f"[{self.kind}] requires [rank_window_size: {self.rank_window_size}] to be smaller than or equal "
                    f"to its sub retriever's {child.kind} [rank_window_size: {window}]"
                )
        check_size(self, self.rank_window_size, size)

    def child_params(self) -> tuple[dict[str, Any], ...]:
        out = []
        for e in self.retrievers:
            params: dict[str, Any] = {}
            if e.normalizer is not None:
                params["normalizer"] = e.normalizer
            if e.weight != 1.0:
                params["weight"] = e.weight
            out.append(params)
        return tuple(out)


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

    def describe(self) -> dict[str, Any]:
        return {"rank_constant": self.rank_constant, "rank_window_size": self.rank_window_size, **super().describe()}


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

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rank_window_size": self.rank_window_size}
        if self.normalizer is not None:
            out["normalizer"] = self.normalizer
        return {**out, **super().describe()}

    def normalizer_of(self, entry: RetrieverEntry) -> Normalizer:
        """Entry normalizer, else the retriever-level default (9.2+), else ``none``."""
        return entry.normalizer or self.normalizer or "none"
