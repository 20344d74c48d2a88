"""The ``hybrid`` retriever's operator, ``HybridFuse``, and its planning.

What OpenSearch does for a hybrid query searched through a ``normalization-processor``, on one shard:
each sub-query collects its own top ``window`` hits (``HybridTopScoreDocCollector``: score descending,
doc id ascending among ties, and never a score ``<= 0``); the processor normalises each sub-query's hits
by themselves, combines the normalised scores of every document any sub-query returned, keeps those at
or above the request's ``min_score``, and orders them by combined score (``ScoreCombiner``; among
equal scores retrievo puts the lower doc id first -- OpenSearch's order there is its ``HashMap``'s,
which is ascending doc id for the small ids of one segment). ``from``/``size`` then page that list; a
``from`` beyond its end fails.

``hits.total`` is the number of documents matching any sub-query (the collector counts each once),
or, with ``min_score``, the number of combined documents that passed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, error_cause, shard_failure
from retrievo.planner.children import run_children
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.hybrid_scores import COMBINATIONS, normalize
from retrievo.planner.planning import PlanningContext, plan_retriever
from retrievo.planner.ranked import Ranked, score_order
from retrievo.retrievers.hybrid import HybridRetriever, HybridScoring

F32 = np.float32


def phase_failure(reason: str) -> ApiError:
    """An ``IllegalArgumentException`` thrown while the processor runs between the query and fetch
    phases: ``search_phase_execution_exception`` around it, status 400. The source does not pin down
    the wrapper's own reason for this path; retrievo leaves it empty, as ``onPhaseFailure(phase, "", e)``
    passes it."""
    return shard_failure(None, error_cause("illegal_argument_exception", reason), reason="")


@dataclass(frozen=True)
class HybridTrace:
    """What one run noted: each combined document's normalised score per sub-query, and its combined score."""

    normalized: dict[int, list[float]]
    scores: dict[int, float]


@dataclass
class HybridFuse(Operator):
    children_ops: tuple[Operator, ...] = ()
    scoring: HybridScoring = HybridScoring()  # noqa: RUF009 - an immutable pydantic node
    #: How many hits each sub-query collects (``pagination_depth``, else ``size``).
    window: int = 10
    #: The request's ``from``: OpenSearch fails when it lies beyond the combined list.
    from_: int = 0
    min_score: float | None = None
    name: str = "HybridFuse"
    fanout: Any = None
    limit: int | None = None

    def children(self) -> tuple[Operator, ...]:
        return self.children_ops

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "normalization": self.scoring.normalization,
            "combination": self.scoring.combination,
            "window": self.window,
        }
        if self.scoring.weights:
            out["weights"] = list(self.scoring.weights)
        if self.min_score is not None:
            out["min_score"] = self.min_score
        return out

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        inflow = sum(min(self.window, e.docs_out) for e in inputs)
        out = min(inflow, costs.n)
        if self.limit is not None:
            out = min(out, self.limit)
        return Estimate(inflow, out, work=inflow)

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        noted = ctx.trace.of(self, HybridTrace)
        return float(noted.scores.get(doc, 0.0)) if noted is not None else 0.0

    def _results(self, ctx: ExecContext) -> list[Ranked]:
        outcomes = run_children(self.children_ops, ctx, self.window, self.fanout)
        for out in outcomes:
            if isinstance(out, ApiError):
                raise out
        return outcomes

    def run(self, ctx: ExecContext) -> Ranked:
        results = [_scored(r) for r in self._results(ctx)]
        docs = np.unique(np.concatenate([r.docs for r in results])).astype(np.int32)
        if docs.size:
            self._check_counts(len(results))
        position = {int(d): i for i, d in enumerate(docs.tolist())}
        per_query = np.zeros((len(results), docs.size), dtype=F32)  # a missing document scores 0.0
        for i, r in enumerate(results):
            idx = np.fromiter((position[int(d)] for d in r.docs.tolist()), dtype=np.int64, count=r.docs.size)
            per_query[i, idx] = normalize(self.scoring, i, r.scores)
        combine = COMBINATIONS[self.scoring.combination]
        weights = self.scoring.weights
        combined = np.array(
            [combine([F32(x) for x in per_query[:, j]], weights) for j in range(docs.size)], dtype=F32
        ).reshape(docs.size)
        matched = np.zeros(ctx.searcher.max_doc, dtype=bool)
        for r in results:
            if r.matched is not None:
                matched |= r.matched
            matched[r.docs] = True
        total = int(matched.sum())
        if self.min_score is not None:
            keep = combined >= F32(self.min_score)
            docs, combined, per_query = docs[keep], combined[keep], per_query[:, keep]
            total = int(docs.size)
        order = score_order(docs, combined, ctx.searcher.tie_order)
        docs, combined, per_query = docs[order], combined[order], per_query[:, order]
        if self.from_ > docs.size:
            raise phase_failure("Reached end of search result, increase pagination_depth value to see more results")
        if self.limit is not None:
            docs, combined, per_query = docs[: self.limit], combined[: self.limit], per_query[:, : self.limit]
        doc_list = docs.tolist()
        ctx.trace[self] = HybridTrace(
            {d: per_query[:, j].tolist() for j, d in enumerate(doc_list)}, dict(zip(doc_list, combined.tolist()))
        )
        return Ranked(docs=docs, scores=combined, total=total, matched=matched, fused=True)

    def _check_counts(self, sub_queries: int) -> None:
        """The per-sub-query lists must fit the sub-queries; OpenSearch checks once there are hits."""
        s = self.scoring
        for bounds in (s.lower_bounds, s.upper_bounds):
            if bounds is not None and len(bounds) != sub_queries:
                raise phase_failure(
                    f"expected bounds array to contain {sub_queries} elements matching the number of "
                    "sub-queries, but found a mismatch"
                )
        if s.weights and len(s.weights) != sub_queries:
            raise phase_failure(
                f"number of weights [{len(s.weights)}] must match number of sub-queries [{sub_queries}] in hybrid query"
            )


def _scored(r: Ranked) -> Ranked:
    """A sub-query's hits as the hybrid collector keeps them: it cannot tell a score of 0 from "this
    sub-query did not match" (``HybridTopScoreDocCollector.isNonCompetitiveScore`` skips every score
    ``<= 0``), so such hits are in no sub-query's list -- though they still count in ``hits.total``."""
    keep = r.scores > 0
    if keep.all():
        return r
    return Ranked(docs=r.docs[keep], scores=r.scores[keep], total=r.total, matched=r.matched)


def plan_hybrid(r: HybridRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    """Each sub-query planned as its own ``standard`` retriever for the hybrid window."""
    children = tuple(plan_retriever(c, ctx, r.window, written_as=c, retriever_kind=c.kind) for c in r.retrievers)
    return HybridFuse(
        children_ops=children,
        scoring=r.scoring,
        window=r.window,
        from_=r.from_,
        min_score=r.min_score if r.min_score is not None else min_score,
    )
