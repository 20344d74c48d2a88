"""OpenSearch's ``hybrid`` query and the retriever a ``normalization-processor`` turns it into.

OpenSearch runs a ``hybrid`` query's sub-queries side by side in the query phase, keeps each one's
top hits apart, and leaves the scoring to a search pipeline's ``normalization-processor``, which
normalises each sub-query's scores and combines them per document (neural-search's
``HybridQueryBuilder``, ``NormalizationProcessorWorkflow``). So a :class:`HybridQuery` on its own
means nothing retrievo can score; :func:`retrievo.opensearch.normalization.apply_normalization`
turns a request whose top-level query is one into a :class:`HybridRetriever`, whose children are
the sub-queries as ``standard`` retrievers and which carries the processor's :class:`HybridScoring`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import Retriever

NormalizationTechnique = Literal["min_max", "l2", "z_score"]
CombinationTechnique = Literal["arithmetic_mean", "geometric_mean", "harmonic_mean"]
BoundMode = Literal["apply", "clip", "ignore"]

#: ``HybridQueryBuilder.MAX_NUMBER_OF_SUB_QUERIES``.
MAX_SUB_QUERIES = 5


class HybridQuery(Query):
    """``{"hybrid": {"queries": [...], "filter": {...}, "pagination_depth": n}}``.

    ``filter`` is kept as written; OpenSearch adds it to every sub-query as a ``bool`` filter clause
    (``QueryBuilder.filter``), which changes which documents match, never their scores."""

    kind: ClassVar[str] = "hybrid"
    queries: tuple[Query, ...]
    filter: Query | None = None
    pagination_depth: int | None = None

    def children(self) -> tuple[Query, ...]:
        return self.queries + ((self.filter,) if self.filter is not None else ())

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"queries": [q.to_json() for q in self.queries]}
        if self.filter is not None:
            body["filter"] = self.filter.to_json()
        if self.pagination_depth is not None:
            body["pagination_depth"] = self.pagination_depth
        return {"hybrid": {**body, **self._common()}}


class ScoreBound(Node):
    """One entry of min_max's ``lower_bounds``/``upper_bounds``: ``mode`` and its score (``min_score``
    for a lower bound, ``max_score`` for an upper one); ``enabled`` is False for an absent list."""

    kind: ClassVar[str] = "bound"
    mode: BoundMode = "apply"
    score: float
    enabled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "score": self.score}


class HybridScoring(Node):
    """What a ``normalization-processor`` does to a hybrid query's results: a normalization technique
    (min_max with optional per-sub-query bounds, l2, z_score) and a combination technique with
    optional per-sub-query weights. Defaults are the factory's: ``min_max`` and ``arithmetic_mean``."""

    kind: ClassVar[str] = "normalization-processor"
    normalization: NormalizationTechnique = "min_max"
    lower_bounds: tuple[ScoreBound, ...] | None = None
    upper_bounds: tuple[ScoreBound, ...] | None = None
    combination: CombinationTechnique = "arithmetic_mean"
    weights: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        normalization: dict[str, Any] = {"technique": self.normalization}
        params: dict[str, Any] = {}
        if self.lower_bounds is not None:
            params["lower_bounds"] = [{"mode": b.mode, "min_score": b.score} for b in self.lower_bounds]
        if self.upper_bounds is not None:
            params["upper_bounds"] = [{"mode": b.mode, "max_score": b.score} for b in self.upper_bounds]
        if params:
            normalization["parameters"] = params
        combination: dict[str, Any] = {"technique": self.combination}
        if self.weights:
            combination["parameters"] = {"weights": list(self.weights)}
        return {"normalization": normalization, "combination": combination}

    def describe(self) -> str:
        """A short label for plan views: ``min_max+arithmetic_mean``."""
        return f"{self.normalization}+{self.combination}"


class HybridRetriever(Retriever):
    """A hybrid query scored by a normalization processor: each child is one sub-query (a ``standard``
    retriever with the hybrid ``filter``), run for ``window`` hits (``pagination_depth``, else the
    request's ``size``: ``HybridCollectorManager``); their normalised scores are combined into one list
    of every document any child returned. ``from_`` is the request's ``from``, which OpenSearch checks
    against the length of that list; ``min_score`` (the request's) cuts combined scores, and ``name`` is
    the hybrid query's ``_name`` (every document any sub-query matched matches it)."""

    kind: ClassVar[str] = "hybrid"
    retrievers: tuple[Retriever, ...]
    scoring: HybridScoring = HybridScoring()
    window: int = 10
    from_: int = 0

    def children(self) -> tuple[Retriever, ...]:
        return self.retrievers

    def with_children(self, children: tuple[Retriever, ...]) -> HybridRetriever:
        if len(children) != len(self.retrievers):
            raise TypeError(f"[{self.kind}] has {len(self.retrievers)} children, not {len(children)}")
        if all(c is r for c, r in zip(children, self.retrievers)):
            return self
        return self.model_copy(update={"retrievers": children})

    @property
    def own_window(self) -> int:
        return self.window

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "retrievers": [r.to_json() for r in self.retrievers],
            **self.scoring.to_json(),
            "window": self.window,
        }
        if self.from_:
            body["from"] = self.from_
        return {"hybrid": {**body, **self._base_json()}}

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "normalization": self.scoring.normalization,
            "combination": self.scoring.combination,
            "window": self.window,
        }
        if self.scoring.weights:
            out["weights"] = list(self.scoring.weights)
        return {**out, **super().describe()}

    def child_params(self) -> tuple[dict[str, Any], ...]:
        weights = self.scoring.weights
        return tuple({"weight": weights[i]} if i < len(weights) else {} for i in range(len(self.retrievers)))
