"""Operators over one compiled Lucene query: score it, filter, cut by score, stop early, name matches."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from retrievo.lucene.query import LQuery
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.explain import explain_query, filters_wrapped, node
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.ranked import Matches

if TYPE_CHECKING:
    from retrievo.planner.operators.vector import VectorSearch


@dataclass
class Bm25Score(Operator):
    """Scores every document against a rewritten Lucene query (BM25 leaves, boolean combinators).

    ``inputs`` are kNN searches whose hits the query adds as clauses (top-level ``knn``); they run first.
    """

    query: LQuery
    inputs: tuple[VectorSearch, ...] = ()
    name: str = "Bm25Score"
    scans_index = True

    def children(self) -> tuple[Operator, ...]:
        return self.inputs

    def describe(self) -> dict[str, Any]:
        return {"query": str(self.query)}

    def scoring_query(self) -> LQuery:
        return self.query

    def with_scoring_query(self, query: LQuery) -> Bm25Score:
        return replace(self, query=query)

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        q = costs.query(self.query)
        return Estimate(
            costs.n, min(costs.n, q.matches), work=q.postings, exact=q.exact, extra={"postings": q.postings}
        )

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        return explain_query(ctx.evaluator, self.query, doc)

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        ev = ctx.evaluator
        return float(ev.evaluate(self.query).dense(ev.n)[1][doc])

    def run(self, ctx: ExecContext) -> Matches:
        for op in self.inputs:
            op.execute(ctx)
        mask, scores = ctx.evaluator.evaluate(self.query).dense(ctx.searcher.max_doc)
        return Matches(mask=mask & ctx.searcher.live, scores=scores)


@dataclass
class ConstantScore(Operator):
    """No query: every live document matches with a constant score (1, or 0 next to filters)."""

    score: float
    name: str = "MatchAll"
    scans_index = True

    def describe(self) -> dict[str, Any]:
        return {"score": self.score}

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        return Estimate(costs.n, costs.n, work=costs.n, exact=True)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        return node(self.score, "*:*")

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        return self.score

    def run(self, ctx: ExecContext) -> Matches:
        live = ctx.searcher.live
        return Matches(mask=live.copy(), scores=np.where(live, np.float32(self.score), np.float32(0)))


@dataclass
class Filter(Operator):
    """Keeps documents matching every filter; filters never change scores.

    ``inputs`` are the kNN searches its filters' ``knn`` (or ``semantic``) queries find their hits in; they
    run before the filters are read."""

    child: Operator
    filters: tuple[LQuery, ...]
    name: str = "Filter"
    inputs: tuple[VectorSearch, ...] = ()

    def children(self) -> tuple[Operator, ...]:
        return (self.child, *self.inputs)

    def describe(self) -> dict[str, Any]:
        return {"filters": "[" + ", ".join(str(f) for f in self.filters) + "]"}

    def filter_queries(self) -> tuple[LQuery, ...]:
        return self.filters

    def with_filter_queries(self, filters: tuple[LQuery, ...]) -> Filter:
        return replace(self, filters=filters)

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        parts = [costs.query(f) for f in self.filters]
        out = min([inputs[0].docs_out] + [c.matches for c in parts])
        postings = sum(c.postings for c in parts)
        return Estimate(inputs[0].docs_out, out, work=postings, extra={"postings": postings})

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        """Lucene's ``sum of:`` the child's explanation and each filter as a required clause at 0."""
        return filters_wrapped(self.child.explain(ctx, doc, score), ctx.evaluator, self.filters, doc, score)

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        return self.child.child_score(ctx, doc)

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
        for op in self.inputs:
            op.execute(ctx)
        mask = m.mask.copy()
        for f in self.filters:
            mask &= ctx.evaluator.mask(f)
        return Matches(mask=mask, scores=m.scores)


@dataclass
class MinScore(Operator):
    child: Operator
    min_score: float
    name: str = "MinScore"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"min_score": self.min_score}

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        return Estimate(inputs[0].docs_out, inputs[0].docs_out)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        return self.child.explain(ctx, doc, score)

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        return self.child.child_score(ctx, doc)

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
        return Matches(mask=m.mask & (m.scores >= np.float32(self.min_score)), scores=m.scores)


@dataclass
class TerminateAfter(Operator):
    """Stops collecting after N matching documents in index order, on every shard (Elasticsearch
    applies ``terminate_after`` per shard)."""

    child: Operator
    limit: int
    name: str = "TerminateAfter"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"terminate_after": self.limit}

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        return Estimate(inputs[0].docs_out, min(self.limit, inputs[0].docs_out), exact=inputs[0].exact)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        return self.child.explain(ctx, doc, score)

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        return self.child.child_score(ctx, doc)

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
        hits = np.flatnonzero(m.mask)
        shard_of = ctx.searcher.shard_of
        if shard_of is None:
            if hits.size <= self.limit:
                return m
            kept = hits[: self.limit]
        else:  # the first ``limit`` of each shard's hits
            shards = shard_of[hits]
            order = np.argsort(shards, kind="stable")
            starts = np.searchsorted(shards[order], shards[order], side="left")
            rank = np.arange(hits.size) - starts
            kept = hits[order][rank < self.limit]
            if kept.size == hits.size:
                return m
        mask = np.zeros_like(m.mask)
        mask[kept] = True
        return Matches(mask=mask, scores=m.scores, terminated_early=True)


@dataclass
class NamedQueries:
    """Named sub-queries (``_name``) whose matches are reported per hit as ``matched_queries``."""

    names: tuple[tuple[str, LQuery], ...] = field(default=())

    def matched(self, ctx: ExecContext, docs: np.ndarray) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for name, q in self.names:
            mask = ctx.evaluator.mask(q)
            for d in docs.tolist():
                if mask[d]:
                    out.setdefault(d, []).append(name)
        return out
