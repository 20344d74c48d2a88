"""The ``random_reranker`` operator, ``RandomRerank(child)``, and its planning: reproducible random
scores for a child's window.

Facts carried over from Elasticsearch (``RandomRankBuilder``, ``RandomRankFeaturePhaseRankCoordinatorContext``,
``RerankingRankFeaturePhaseRankShardContext``):

* The documents of the child's top ``rank_window_size`` that have a ``field`` value are scored; the
  coordinator drops the others before scoring (``RankFeaturePhase``: no feature data, no rank), exactly as
  for ``text_similarity_reranker``. The value itself plays no part in the score.
* A document's score is ``new java.util.Random(s).nextFloat()``, ``s`` being its shard-level doc id, or
  ``seed + doc id`` in Java ``int`` arithmetic when a seed is given (:mod:`retrievo.java_random`).
* The window is sorted by that score, highest first (a stable sort of documents in doc-id order, so ties
  keep the lower doc id first); ``hits.total`` is the child's.
* ``explain``: ``rank after reranking: [r] using seed [s] with score: [x]`` over the child's explanation.

retrievo keeps each index in one shard, so its internal doc id is the shard-level doc id Elasticsearch
seeds with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError
from retrievo.java_random import first_float, to_int32
from retrievo.lucene.java_format import java_float
from retrievo.planner.children import run_child
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.explain import explain_child
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.fusion import child_failure
from retrievo.planner.operators.rerank import field_text
from retrievo.planner.planning import PlanningContext, plan_retriever, with_inherited_filters
from retrievo.planner.ranked import Ranked
from retrievo.response import es_float
from retrievo.retrievers.random_rerank import RandomReranker

F32 = np.float32
NAME = "random_reranker"


def random_score(doc: int, seed: int | None) -> float:
    """The score Elasticsearch gives shard doc ``doc``: ``new Random(seed + doc).nextFloat()`` (an ``int``
    sum), or ``new Random(doc).nextFloat()`` without a seed."""
    return first_float(doc if seed is None else to_int32(seed + doc))


def random_order(docs: list[int], seed: int | None) -> tuple[list[int], list[float]]:
    """``docs`` sorted by their random scores, highest first; equal scores keep the lower doc id first."""
    scored = sorted((-random_score(d, seed), d) for d in docs)
    return [d for _, d in scored], [-s for s, _ in scored]


@dataclass(frozen=True)
class RandomRerankTrace:
    """What one run noted for ``explain``: each handed-out document's score and rank after reranking."""

    scores: dict[int, float]
    ranks: dict[int, int]


@dataclass
class RandomRerank(Operator):
    child: Operator
    field: str
    seed: int | None
    window: int
    child_kind: str = "standard"
    name: str = "RandomRerank"
    #: Set by ``prune_windows``: hand out only this many of the reranked window.
    limit: int | None = None

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "rank_window_size": self.window}
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        docs = min(self.window, inputs[0].docs_out)
        out = docs if self.limit is None else min(docs, self.limit)
        return Estimate(docs, out, work=docs)

    def run(self, ctx: ExecContext) -> Ranked:
        try:
            child: Ranked = run_child(self.child, ctx, self.window)
        except ApiError as err:
            raise child_failure(NAME, [self.child_kind], [err]) from None
        window = [
            d for d in child.docs[: self.window].tolist() if field_text(ctx.searcher.source(d), self.field) is not None
        ]
        docs, scores = random_order(window, self.seed)
        ranks = {d: i + 1 for i, d in enumerate(docs)}
        if self.limit is not None:
            docs, scores = docs[: self.limit], scores[: self.limit]
        out_docs = np.array(docs, dtype=np.int32)
        out_scores = np.array(scores, dtype=F32)
        ctx.trace[self] = RandomRerankTrace(dict(zip(docs, out_scores.tolist())), ranks)
        return Ranked(docs=out_docs, scores=out_scores, total=child.total, matched=child.matched, fused=True)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """``RandomRankBuilder.explainHit``: the rank and score after reranking over the child's own."""
        trace = ctx.trace.of(self, RandomRerankTrace)
        if trace is None or doc not in trace.scores:
            return None
        inner = explain_child(self.child, ctx, doc)
        seed = "null" if self.seed is None else str(self.seed)
        return {
            "value": es_float(score),
            "description": (
                f"rank after reranking: [{trace.ranks[doc]}] using seed [{seed}] with score: [{java_float(F32(score))}]"
            ),
            "details": [inner] if inner else [],
        }

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        trace = ctx.trace.of(self, RandomRerankTrace)
        return float(trace.scores.get(doc, 0.0)) if trace is not None else 0.0


def plan_random_reranker(r: RandomReranker, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    child = plan_retriever(
        with_inherited_filters(r.retriever, r.filter), ctx, r.rank_window_size, written_as=r.retriever
    )
    return RandomRerank(child, r.field, r.seed, r.rank_window_size, child_kind=r.retriever.name or r.retriever.kind)
