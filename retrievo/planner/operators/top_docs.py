"""Ranking operators: the best ``k`` matches (by score or by ``sort``), then ``from``/``size``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.lucene.sorting import sort_candidates
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.ranked import Matches, Ranked, top_k_by_score
from retrievo.retrievers.sort import SortField


@dataclass
class TopDocs(Operator):
    """The best ``k`` matches by score (or by ``sort``), with the total count of matches."""

    child: Operator
    k: int
    sort: tuple[SortField, ...] = ()
    search_after: tuple[Any, ...] | None = None
    name: str = "TopDocs"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"k": self.k}
        if self.sort:
            out["sort"] = "[" + ", ".join(f"{s.field} {s.order}" for s in self.sort) + "]"
        if self.search_after is not None:
            out["search_after"] = list(self.search_after)
        return out

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        inflow = inputs[0].docs_out
        return Estimate(inflow, min(self.k, inflow), work=inflow, exact=inputs[0].exact)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        return self.child.explain(ctx, doc, score)

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        return self.child.child_score(ctx, doc)

    def run(self, ctx: ExecContext) -> Ranked:
        m: Matches = self.child.execute(ctx)
        total = int(m.mask.sum())
        if not self.sort and self.search_after is None:
            docs, scores = top_k_by_score(m.mask, m.scores, self.k, ctx.searcher.tie_order)
            return Ranked(
                docs=docs,
                scores=scores,
                total=total,
                terminated_early=m.terminated_early,
                matched=m.mask,
                matched_scores=m.scores,
            )
        specs = self.sort or (SortField(field="_score", order="desc"),)
        cand = np.flatnonzero(m.mask).astype(np.int32)
        order, values = sort_candidates(ctx.searcher, specs, cand, m.scores[cand], self.search_after)
        order, values = order[: self.k], values[: self.k]
        by_field = bool(self.sort) and any(s.field != "_score" for s in self.sort)
        return Ranked(
            docs=cand[order],
            scores=m.scores[cand[order]],
            total=total,
            sort_values=values,
            sorted_by_field=by_field,
            terminated_early=m.terminated_early,
            matched=m.mask,
            matched_scores=m.scores,
        )


@dataclass
class Page(Operator):
    """``from``/``size`` over the ranked list (hits beyond the list are simply absent)."""

    child: Operator
    from_: int
    size: int
    name: str = "Page"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        return {"from": self.from_, "size": self.size}

    def child_window(self) -> int:
        return self.from_ + self.size

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        inflow = inputs[0].docs_out
        return Estimate(inflow, max(0, min(self.size, inflow - self.from_)), exact=inputs[0].exact)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        return self.child.explain(ctx, doc, score)

    def run(self, ctx: ExecContext) -> Ranked:
        r: Ranked = self.child.execute(ctx)
        sl = slice(self.from_, self.from_ + self.size)
        return Ranked(
            docs=r.docs[sl],
            scores=r.scores[sl],
            total=r.total,
            sort_values=r.sort_values[sl] if r.sort_values is not None else None,
            sorted_by_field=r.sorted_by_field,
            terminated_early=r.terminated_early,
            matched=r.matched,
            matched_scores=r.matched_scores,
            fused=r.fused,
        )
