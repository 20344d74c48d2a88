"""The ``pinned`` operator, ``Pin(child)``, and its planning: pinned documents first, the child's after.

Facts carried over from Elasticsearch (``PinnedRetrieverBuilder``, ``PinnedQueryBuilder``,
``CappedScoreQuery``):

* The child runs as one search whose query is wrapped in a ``pinned`` query: a ``dis_max`` of the
  pinned ``_id`` lookups (each a constant score) and the organic query capped at
  ``MAX_ORGANIC_SCORE = 2^127`` (``Float.intBitsToFloat(0xfe << 23) - 1``, the ``- 1`` vanishing in float).
* With ``n`` pinned documents the one at position ``i`` (from 0) scores the float whose bits are
  ``bits(2^127) + 1 + n - i``: one listed but absent (or in another index) still uses its slot, so two
  pins score ``1.7014124E38`` and ``1.7014122E38``.
* Pinned documents match whether or not the organic query (with the child's filters, which
  Elasticsearch puts inside it) matches them; ``hits.total`` counts the union.
* ``CappedScoreQuery.rewrite`` drops a boost at the top of the rewritten organic query, so a boosted
  query alone under ``pinned`` scores unboosted (with filters it sits inside a ``bool`` and keeps it).
* Only a score sort is allowed on the child; the child must produce a query (a ``knn`` retriever does
  not, a compound child's ranked list does).

Since every pinned score is above every organic one, the top ``rank_window_size`` of the pinned query is
the present pinned documents in order, then the child's own top documents without them: that is how the
operator computes it, from the child's window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, illegal_argument, not_supported
from retrievo.lucene.java_format import java_float
from retrievo.lucene.query import BoostQ
from retrievo.planner.children import run_child
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.explain import explain_child
from retrievo.planner.operator_tree import transform
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.fusion import FLOAT_MIN_VALUE, child_failure
from retrievo.planner.planning import PlanningContext, plan_retriever, with_inherited_filters
from retrievo.planner.ranked import Ranked
from retrievo.response import es_float
from retrievo.retrievers.knn import KnnRetriever
from retrievo.retrievers.pinned import MAX_ORGANIC_SCORE, PinnedDoc, PinnedRetriever, pin_list_problem, pin_score
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.standard import StandardRetriever

F32 = np.float32
NAME = "pinned"


def live_doc(searcher: Any, doc_id: str) -> int | None:
    """The searcher's internal id of the live document ``doc_id`` (``None``: absent or deleted)."""
    internal = searcher.by_id.get(doc_id)
    if internal is None or internal >= searcher.max_doc or not searcher.live[internal]:
        return None
    return int(internal)


@dataclass(frozen=True)
class Pinning:
    """What ranking pinned documents above a child's gives: the window handed up and each doc's rank."""

    ranked: Ranked
    ranks: dict[int, int]


def pin_above(
    child: Ranked,
    pinned: list[tuple[int, float]],
    excluded: set[int],
    *,
    max_doc: int,
    window: int,
    min_score: float | None,
    child_min_score: float | None,
    limit: int | None,
) -> Pinning:
    """The top ``window`` of a pinned query over ``child``'s results: the ``pinned`` documents (internal
    id, score) in order, then the child's documents that are neither pinned nor ``excluded``, their
    scores capped below every pin. ``hits.total`` counts the child's matches with the pins and without
    the excluded; a ``min_score`` (the retriever's, or the child's) counts what the window keeps."""
    ids = {d for d, _ in pinned}
    keep = np.array([d not in ids and d not in excluded for d in child.docs.tolist()], dtype=bool)
    organic_docs = child.docs[keep] if keep.size else child.docs
    organic = np.minimum(child.scores[keep] if keep.size else child.scores, F32(MAX_ORGANIC_SCORE))
    docs = np.concatenate([np.array([d for d, _ in pinned], dtype=np.int32), organic_docs.astype(np.int32)])
    scores = np.concatenate([np.array([s for _, s in pinned], dtype=F32), organic.astype(F32)])
    docs, scores = docs[:window], scores[:window]
    # The final ``RankDocsQuery`` reports a score of 0 as ``Float.MIN_VALUE`` (spec §1.6).
    scores = np.where(scores == 0, F32(FLOAT_MIN_VALUE), scores).astype(F32)
    matched = np.zeros(max_doc, dtype=bool)
    if child.matched is not None:
        matched |= child.matched
    matched[child.docs] = True
    matched[list(ids)] = True
    matched[list(excluded)] = False
    total = int(matched.sum())
    if min_score is not None:
        kept = scores >= F32(min_score)
        docs, scores = docs[kept], scores[kept]
        total = int(docs.size)
    elif child_min_score is not None:
        total = int(docs.size)
    ranks = {int(d): i + 1 for i, d in enumerate(docs.tolist())}
    if limit is not None:
        docs, scores = docs[:limit], scores[:limit]
    return Pinning(Ranked(docs=docs, scores=scores, total=total, matched=matched, fused=True), ranks)


@dataclass(frozen=True)
class PinTrace:
    """What one run noted for ``explain``: each handed-out document's score and rank, and which were pinned."""

    scores: dict[int, float]
    ranks: dict[int, int]
    pinned: frozenset[int]


@dataclass
class Pin(Operator):
    child: Operator
    #: The pinned documents present in this index, in pin order, with their pin scores.
    pins: tuple[tuple[PinnedDoc, float], ...] = ()
    window: int = 10
    by: str = "ids"
    min_score: float | None = None
    #: The child's own ``min_score``: it applies to the pinned query's scores, and makes ``hits.total``
    #: the count of the window (Elasticsearch's compound quirk, as for ``rrf``).
    child_min_score: float | None = None
    child_kind: str = "standard"
    name: str = "Pin"
    #: Set by ``prune_windows``: hand out only this many of the window.
    limit: int | None = None

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        pins = [d.id if self.by == "ids" else d.to_json() for d, _ in self.pins]
        out: dict[str, Any] = {self.by: json.dumps(pins, separators=(",", ":"))}
        out["rank_window_size"] = self.window
        if self.min_score is not None:
            out["min_score"] = self.min_score
        return out

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        inflow = min(self.window, inputs[0].docs_out) + len(self.pins)
        out = min(self.window, inflow, costs.n)
        if self.limit is not None:
            out = min(out, self.limit)
        return Estimate(inflow, out, work=inflow)

    def _present(self, ctx: ExecContext) -> list[tuple[int, float]]:
        """The pinned documents of this searcher (live, and above the child's ``min_score``), in order."""
        out = []
        for doc, score in self.pins:
            internal = live_doc(ctx.searcher, doc.id)
            if internal is None:
                continue
            if self.child_min_score is not None and score < self.child_min_score:
                continue
            out.append((internal, score))
        return out

    def run(self, ctx: ExecContext) -> Ranked:
        try:
            child: Ranked = run_child(self.child, ctx, self.window)
        except ApiError as err:
            raise child_failure(NAME, [self.child_kind], [err]) from None
        present = self._present(ctx)
        out = pin_above(
            child,
            present,
            set(),
            max_doc=ctx.searcher.max_doc,
            window=self.window,
            min_score=self.min_score,
            child_min_score=self.child_min_score,
            limit=self.limit,
        )
        ranked = out.ranked
        pinned = frozenset(d for d, _ in present)
        ctx.trace[self] = PinTrace(dict(zip(ranked.docs.tolist(), ranked.scores.tolist())), out.ranks, pinned)
        return ranked

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """Elasticsearch's: the final ``RankDoc`` (``PinnedRankDoc`` for a pinned one) over the child's
        ``RankDoc`` (the same score and rank), over the child's own explanation."""
        trace = ctx.trace.of(self, PinTrace)
        if trace is None or doc not in trace.ranks:
            return None
        rank_text = (
            f"doc [{doc}] with an original score of [{java_float(F32(score))}] is at rank [{trace.ranks[doc]}] "
            "from the following source queries."
        )
        inner = explain_child(self.child, ctx, doc)
        source = {"value": es_float(score), "description": rank_text, "details": [inner] if inner else []}
        top = "Pinned document, original explanation:" if doc in trace.pinned else rank_text
        return {"value": es_float(score), "description": top, "details": [source]}

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        trace = ctx.trace.of(self, PinTrace)
        return float(trace.scores.get(doc, 0.0)) if trace is not None else 0.0


def _check_child(child: Retriever) -> None:
    """What the child's search is built with (``extractToSearchSourceBuilder``), then
    ``finalizeSourceBuilder``: only score sorts, then a query must be there."""
    if isinstance(child, StandardRetriever):
        if child.search_after is not None:
            raise illegal_argument("[search_after] cannot be used in children of compound retrievers")
        if child.terminate_after:
            raise illegal_argument("[terminate_after] cannot be used in children of compound retrievers")
        for s in child.sort:
            if s.field == "_shard_doc":
                continue
            if s.field != "_score":
                shown = json.dumps(s.to_json(), separators=(",", ":"))
                raise illegal_argument(
                    f"[{NAME}] retriever only supports sorting by score, invalid sort criterion: {shown}"
                )
            if s.order == "asc":
                raise not_supported(f"[{NAME}] retriever over an ascending [_score] sort")
        if child.query is None and not child.filter and child.min_score is None and not child.knn:
            raise illegal_argument("pinned retriever requires retriever with associated query")
    elif isinstance(child, KnnRetriever):
        # A knn child hands Elasticsearch's search a kNN section, not a query.
        raise illegal_argument("pinned retriever requires retriever with associated query")


def _unboost_top(op: Operator) -> Operator:
    """``CappedScoreQuery.rewrite``: a boost at the top of the rewritten organic query is dropped."""
    query = op.scoring_query()
    return op.with_scoring_query(query.query) if isinstance(query, BoostQ) else op


def plan_pinned(r: PinnedRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    child_r = with_inherited_filters(r.retriever, r.filter)
    _check_child(child_r)
    problem = pin_list_problem(r.ids, r.docs)
    if problem is not None:
        raise illegal_argument(problem)
    child = plan_retriever(child_r, ctx, r.rank_window_size, written_as=r.retriever)
    if isinstance(child_r, StandardRetriever) and not child_r.filter and not child_r.knn:
        child = transform(child, _unboost_top)
    # ``indexMatches``: a doc's ``_index`` must name this index (an alias of it is not resolved here).
    index = ctx.searcher.index_name
    pins = r.pinned()
    present = tuple((d, pin_score(i, len(pins))) for i, d in enumerate(pins) if d.index is None or d.index == index)
    return Pin(
        child,
        pins=present,
        window=r.rank_window_size,
        by="ids" if r.ids is not None else "docs",
        min_score=r.min_score if r.min_score is not None else min_score,
        child_min_score=child_r.min_score,
        child_kind=r.retriever.name or r.retriever.kind,
    )
