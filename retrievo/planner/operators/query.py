"""Operators over one compiled Lucene query: score it, filter, cut by score, stop early, name matches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrievo.lucene.query import LQuery
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.vector import VectorSearch
from retrievo.planner.ranked import Matches


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

    def run(self, ctx: ExecContext) -> Matches:
        live = ctx.searcher.live
        return Matches(mask=live.copy(), scores=np.where(live, np.float32(self.score), np.float32(0)))


@dataclass
class Filter(Operator):
    """Keeps documents matching every filter; filters never change scores."""
    child: Operator
    filters: tuple[LQuery, ...]
    name: str = "Filter"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"filters": "[" + ", ".join(str(f) for f in self.filters) + "]"}

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
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

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
        return Matches(mask=m.mask & (m.scores >= np.float32(self.min_score)), scores=m.scores)


@dataclass
class TerminateAfter(Operator):
    """Stops collecting after N matching documents in index order, as a single shard does."""
    child: Operator
    limit: int
    name: str = "TerminateAfter"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"terminate_after": self.limit}

    def run(self, ctx: ExecContext) -> Matches:
        m: Matches = self.child.execute(ctx)
        hits = np.flatnonzero(m.mask)
        if hits.size <= self.limit:
            return m
        mask = np.zeros_like(m.mask)
        mask[hits[: self.limit]] = True
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
