"""Query rescoring: the ``rescorer`` retriever and a search body's top-level ``rescore`` section.

Both hold the same list of query rescorers (``QueryRescorerBuilder``), applied one after the other to
the first pass's top documents. They differ in what they hand out: the retriever ranks into a window
of its own (the smallest ``window_size``, checked against ``size`` as ``window_size``), while a
top-level ``rescore`` keeps every first-pass document the query phase collected
(``max(from + size, window_size…)``) and lets ``from``/``size`` page over the rescored list.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.errors import validation_error
from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.sort import SortField
from retrievo.retrievers.standard import StandardRetriever

#: ``RescorerBuilder.DEFAULT_WINDOW_SIZE``.
DEFAULT_WINDOW_SIZE = 10
#: ``index.max_rescore_window`` default (``IndexSettings.MAX_RESCORE_WINDOW_SETTING``).
DEFAULT_MAX_RESCORE_WINDOW = 10_000

ScoreMode = Literal["total", "multiply", "avg", "max", "min"]
#: How ``QueryRescoreMode.toString`` names each mode in an explanation (``total`` is ``sum``).
SCORE_MODE_LABEL: dict[str, str] = {"total": "sum", "multiply": "product", "avg": "avg", "max": "max", "min": "min"}


class QueryRescore(Node):
    """One ``{"window_size": n, "query": {...}}`` rescorer; ``window_size`` ``None`` when not given."""

    kind: ClassVar[str] = "query_rescorer"
    rescore_query: Query
    window_size: int | None = None
    query_weight: float = 1.0
    rescore_query_weight: float = 1.0
    score_mode: ScoreMode = "total"

    @property
    def window(self) -> int:
        return DEFAULT_WINDOW_SIZE if self.window_size is None else self.window_size

    def to_json(self) -> dict[str, Any]:
        query: dict[str, Any] = {"rescore_query": self.rescore_query.to_json()}
        if self.query_weight != 1.0:
            query["query_weight"] = self.query_weight
        if self.rescore_query_weight != 1.0:
            query["rescore_query_weight"] = self.rescore_query_weight
        if self.score_mode != "total":
            query["score_mode"] = self.score_mode
        body: dict[str, Any] = {}
        if self.window_size is not None:
            body["window_size"] = self.window_size
        body["query"] = query
        return body

    def describe(self) -> str:
        text = f"window_size={self.window}, query_weight={self.query_weight}, "
        return text + f"rescore_query_weight={self.rescore_query_weight}, score_mode={self.score_mode}"


class RescorerRetriever(Retriever):
    """``rescorer``: the child's top documents rescored by ``rescore``, in order.

    ``top_level`` marks the form a search body's own ``rescore`` section takes (its child is the body's
    query as a ``standard`` retriever): no window of its own, Elasticsearch's shard-level checks instead.
    """

    kind: ClassVar[str] = "rescorer"
    retriever: Retriever
    rescore: tuple[QueryRescore, ...]
    top_level: bool = False

    def children(self) -> tuple[Retriever, ...]:
        return (self.retriever,)

    def with_children(self, children: tuple[Retriever, ...]) -> RescorerRetriever:
        (child,) = children
        return self if child is self.retriever else self.model_copy(update={"retriever": child})

    def dfs_knn_searches(self, legacy_rank: bool = False) -> int:
        """A top-level ``rescore`` section rescores the body's own search, ``dfs`` phase included."""
        return self.retriever.dfs_knn_searches(legacy_rank) if self.top_level else 0

    @property
    def own_window(self) -> int | None:
        """``RescorerRetrieverBuilder.extractMinWindowSize``: the smallest window of its rescorers."""
        return None if self.top_level else min(r.window for r in self.rescore)

    @property
    def sort(self) -> tuple[SortField, ...]:
        """The body's ``sort`` under a top-level ``rescore`` (only ``_score`` passes the planner's check):
        its hits still carry a sort value, now the rescored score."""
        child = self.retriever
        return child.sort if self.top_level and isinstance(child, StandardRetriever) else ()

    @property
    def collect(self) -> int:
        """How many first-pass documents the child's query phase keeps: at least every rescorer's window."""
        return max(r.window for r in self.rescore)

    def check_window(self, size: int | None = None) -> None:
        """``CompoundRetrieverBuilder.validate`` with ``window_size`` as the window's name: every failed
        check, numbered, in its order (size, sign, a compound child's window)."""
        window = self.own_window
        if window is None:
            return
        failures: list[str] = []
        if size is not None and size > window:
            failures.append(f"[rescorer] requires [window_size: {window}] be greater than or equal to [size: {size}]")
        if window < 0:
            failures.append(f"[window_size] parameter cannot be negative, found [{window}]")
        child = self.retriever.own_window
        if child is not None and window > child:
            field = "window_size" if isinstance(self.retriever, RescorerRetriever) else "rank_window_size"
            failures.append(
                f"[rescorer] requires [window_size: {window}] to be smaller than or equal to its sub retriever's "
                f"{self.retriever.kind} [{field}: {child}]"
            )
        if failures:
            raise validation_error(*failures)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rescore": [r.to_json() for r in self.rescore]}
        if not self.top_level:
            out["window_size"] = self.own_window
        return {**out, **super().describe()}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "retriever": self.retriever.to_json(),
            "rescore": [r.to_json() for r in self.rescore],
        }
        return {"rescorer": {**body, **self._base_json()}}
