"""Compound retrievers that fuse ranked lists: ``rrf`` and ``linear``.

Each child runs with the parent's ``rank_window_size`` as its size; the parent fuses the children's
windows and keeps the best ``rank_window_size`` documents. Defaults are Elasticsearch's: window 10
(not derived from ``size``), ``rank_constant`` 60, weights 1.0, normalizer ``none``.

Either kind may instead be written in the multi-field ("simplified") format, ``query`` plus optional
``fields``: the node then keeps both as written (so it prints back as the user wrote it) and has no
children until the planner, which knows the target index's mappings, rewrites it
(:mod:`retrievo.planner.multi_field`). What each kind builds in that rewrite (the group of
``semantic_text`` children and the outer fusion) is declared here, beside the kind.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.errors import illegal_argument, validation_error
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
    retrievers: tuple[RetrieverEntry, ...] = ()
    rank_window_size: int = DEFAULT_RANK_WINDOW_SIZE
    #: The multi-field format: the query text, and the fields as written (``None``: not given, the
    #: index's ``index.query.default_field``). A node with a ``query`` has no ``retrievers``.
    query: str | None = None
    fields: tuple[str, ...] | None = None

    def multi_field_messages(self) -> list[str]:
        """``MultiFieldsInnerRetrieverUtils.validateParams`` (9.2): the request validation messages
        of the two formats, in Elasticsearch's order (a missing ``query`` is reported alone)."""
        name = self.kind
        if self.fields is not None or self.query is not None:
            if self.query is None:
                return [f"[{name}] [query] must be provided when [fields] is specified"]
            out = []
            if not self.query:
                out.append(f"[{name}] [query] cannot be empty")
            if self.fields is not None and not self.fields:
                out.append(f"[{name}] [fields] cannot be empty")
            if self.retrievers:
                out.append(f"[{name}] cannot combine [retrievers] and [query]")
            return out
        if not self.retrievers:
            return [f"[{name}] must provide [retrievers] or [query]"]
        return []

    def check_field_weight(self, weight: float) -> None:
        """A per-field weight (``field^w``) of the multi-field format must not be negative (9.2+)."""
        if weight < 0:
            raise illegal_argument(f"[{self.kind}] per-field weights must be non-negative")

    def fields_group(self, children: tuple[tuple[Retriever, float], ...]) -> CompoundRetriever:
        """The multi-field rewrite's group over the ``semantic_text`` fields: one child per field,
        each with its per-field weight, fused as this kind fuses (same window and settings)."""
        raise NotImplementedError  # pragma: no cover - every kind overrides

    def fields_fusion(self, children: tuple[Retriever, ...]) -> CompoundRetriever:
        """The multi-field rewrite of this node: the generated children, each with weight 1, fused
        with this node's settings and filters. Like Elasticsearch (a TODO in its rewrite), the
        rewrite drops ``_name`` and ``min_score``."""
        raise NotImplementedError  # pragma: no cover - every kind overrides

    def _multi_field_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.fields is not None:
            out["fields"] = list(self.fields)
        if self.query is not None:
            out["query"] = self.query
        return out

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

    def dfs_knn_searches(self, legacy_rank: bool = False) -> int:
        """A legacy ``rank`` request became an ``rrf`` whose ``knn`` children are its top-level ``knn``
        searches, which Elasticsearch still runs in the ``dfs`` phase."""
        return sum(e.retriever.dfs_knn_searches() for e in self.retrievers) if legacy_rank else 0

    def fields_group(self, children: tuple[tuple[Retriever, float], ...]) -> RrfRetriever:
        """An inner ``rrf`` with the per-field weights as its children's weights."""
        entries = tuple(RetrieverEntry(retriever=r, weight=w) for r, w in children)
        return RrfRetriever(
            retrievers=entries, rank_constant=self.rank_constant, rank_window_size=self.rank_window_size
        )

    def fields_fusion(self, children: tuple[Retriever, ...]) -> RrfRetriever:
        entries = tuple(RetrieverEntry(retriever=r) for r in children)
        return RrfRetriever(
            retrievers=entries,
            rank_constant=self.rank_constant,
            rank_window_size=self.rank_window_size,
            filter=self.filter,
        )

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"retrievers": [e.to_json() for e in self.retrievers]} if self.retrievers else {}
        body.update(self._multi_field_json())
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
        body: dict[str, Any] = {"retrievers": [e.to_json() for e in self.retrievers]} if self.retrievers else {}
        body.update(self._multi_field_json())
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

    def multi_field_messages(self) -> list[str]:
        """The format checks, then (``LinearRetrieverBuilder.validate``) the multi-field format needs
        the top-level ``normalizer``: it is what every generated child is normalised with."""
        out = super().multi_field_messages()
        if self.query is not None and self.normalizer is None:
            out.append(f"[{self.kind}] [normalizer] must be provided when [query] is specified")
        return out

    def fields_group(self, children: tuple[tuple[Retriever, float], ...]) -> LinearRetriever:
        """An inner ``linear``: each field's child weighted by its per-field weight and normalised
        with the top-level normalizer."""
        entries = tuple(RetrieverEntry(retriever=r, weight=w, normalizer=self.normalizer) for r, w in children)
        return LinearRetriever(retrievers=entries, rank_window_size=self.rank_window_size)

    def fields_fusion(self, children: tuple[Retriever, ...]) -> LinearRetriever:
        entries = tuple(RetrieverEntry(retriever=r, normalizer=self.normalizer) for r in children)
        return LinearRetriever(
            retrievers=entries,
            normalizer=self.normalizer,
            rank_window_size=self.rank_window_size,
            filter=self.filter,
        )
