"""Base class of retriever nodes: the fields every Elasticsearch retriever accepts, and the contract
every retriever kind fulfils.

A kind declares its children (:meth:`Retriever.children`, :meth:`Retriever.with_children`), the window
it ranks its children into (:attr:`Retriever.own_window`, ``None`` for a leaf), Elasticsearch's
validation of that window (:meth:`Retriever.check_window`; :meth:`Retriever.validate_tree` walks the
tree) and what the logical plan shows of it (:meth:`Retriever.describe`). Plan rules and the planner
work through this contract, so none of them needs to know which kinds exist.
"""

from __future__ import annotations

from typing import Any, Self

from retrievo.errors import validation_error
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
            out["filter"] = [f.to_json() for f in self.filter] if len(self.filter) > 1 else self.filter[0].to_json()
        if self.min_score is not None:
            out["min_score"] = self.min_score
        if self.name is not None:
            out["_name"] = self.name
        return out

    # ------------------------------------------------------------------ tree
    def children(self) -> tuple[Retriever, ...]:
        """The retrievers this one runs and combines, in order; a leaf has none."""
        return ()

    def with_children(self, children: tuple[Retriever, ...]) -> Retriever:
        """This retriever with its children replaced (same count, same order); ``self`` when they are
        the very same objects. A leaf accepts only no children."""
        if children:
            raise TypeError(f"[{self.kind}] retriever has no children to replace")
        return self

    # ------------------------------------------------------------------ window
    @property
    def own_window(self) -> int | None:
        """The window it ranks its children into (``rank_window_size``), whatever its parent asks for;
        ``None`` for a leaf, which produces as many results as its parent (or the request) asks."""
        return None

    def check_window(self, size: int | None = None) -> None:
        """Elasticsearch's checks of this node's own window, before anything is planned; ``size`` is the
        request's ``size`` when this is the top-level retriever. A leaf has nothing to check."""

    def validate_tree(self, size: int | None = None) -> None:
        """Validate the whole tree as Elasticsearch validates a search request (so plan rules that
        reshape the tree can never hide an invalid window): this node first, then its children."""
        self.check_window(size)
        for child in self.children():
            child.validate_tree()

    def dfs_knn_searches(self, legacy_rank: bool = False) -> int:
        """How many kNN searches Elasticsearch runs for this top-level retriever in its ``dfs`` phase
        (``profile.shards[].dfs``): a ``knn`` retriever's, a ``standard`` one's top-level ``knn`` sections,
        a legacy ``rank`` request's ``knn`` children. Compound retrievers run their children as searches
        of their own, so by default none."""
        return 0

    # ------------------------------------------------------------------ plan view
    def describe(self) -> dict[str, Any]:
        """The parameters the logical plan shows for this node; JSON values (dicts, lists) are
        shortened by the view. Kinds put their own parameters first, then these common ones."""
        out: dict[str, Any] = {}
        if self.filter:
            out["filter"] = [f.to_json() for f in self.filter]
        if self.min_score is not None:
            out["min_score"] = self.min_score
        if self.name is not None:
            out["_name"] = self.name
        return out

    def child_params(self) -> tuple[dict[str, Any], ...]:
        """What the logical plan shows on each child's line besides the child's own parameters (a
        compound's per-child weight and normalizer)."""
        return tuple({} for _ in self.children())


#: Elasticsearch's ``rank_window_size`` default for every compound retriever.
DEFAULT_RANK_WINDOW_SIZE = 10


class WrappingRetriever(Retriever):
    """A kind that runs one child ``retriever`` and ranks the child's first ``rank_window_size`` hits
    itself (``text_similarity_reranker``, ``pinned``, ``diversify``): the tree and window contract, once."""

    retriever: Retriever
    rank_window_size: int = DEFAULT_RANK_WINDOW_SIZE

    def children(self) -> tuple[Retriever, ...]:
        return (self.retriever,)

    def with_children(self, children: tuple[Retriever, ...]) -> Self:
        (child,) = children
        return self if child is self.retriever else self.model_copy(update={"retriever": child})

    @property
    def own_window(self) -> int:
        return self.rank_window_size

    def check_window(self, size: int | None = None) -> None:
        """At the top level Elasticsearch checks ``size`` against the window before its sign."""
        check_size(self, self.rank_window_size, size)
        check_not_negative(self.rank_window_size)


def check_size(r: Retriever, window: int, size: int | None) -> None:
    """A top-level retriever with its own window must be able to fill the page."""
    if size is not None and size > window:
        raise validation_error(
            f"[{r.kind}] requires [rank_window_size: {window}] be greater than or equal to [size: {size}]"
        )


def check_not_negative(window: int) -> None:
    if window < 0:
        raise validation_error(f"[rank_window_size] parameter cannot be negative, found [{window}]")
