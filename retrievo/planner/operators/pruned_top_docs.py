"""``TopDocs`` over a disjunction of terms with block-max pruning (what ``prune_top_k`` plans).

It answers exactly what ``TopDocs(Bm25Score)`` answers -- the same documents, scores, tie order and
``hits.total`` as far as ``track_total_hits`` reports it -- without scoring every match
(:mod:`retrievo.lucene.pruning`). It does not hand on every match (``Ranked.matched``), so the rule
plans it only where nothing reads them: a plain search's ranking, not aggregations or a parent
retriever. Where the snapshot does not allow pruning (deleted documents) it runs the exhaustive path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.lucene.pruning import TermClause, kernel_takes_filters, top_k_disjunction
from retrievo.lucene.query import LQuery
from retrievo.lucene.scoring import TimeExceeded
from retrievo.planner.operators.base import ExecContext
from retrievo.planner.operators.top_docs import TopDocs
from retrievo.planner.ranked import Ranked


@dataclass
class PrunedTopDocs(TopDocs):
    """The best ``k`` of the child's disjunction ``clauses``; ``track`` is the request's
    ``track_total_hits`` (how exactly ``hits.total`` must be counted)."""

    clauses: tuple[TermClause, ...] = ()
    track: bool | int = 10000
    #: The scoring ``bool``'s FILTER and MUST_NOT clauses around the disjunction (its one MUST clause):
    #: they choose the documents it may return and score nothing.
    filters: tuple[LQuery, ...] = ()
    excluded: tuple[LQuery, ...] = ()

    def describe(self) -> dict[str, Any]:
        out = {**super().describe(), "pruning": "block-max"}
        if self.filters or self.excluded:
            out["filters"] = len(self.filters) + len(self.excluded)
        return out

    def run(self, ctx: ExecContext) -> Ranked:
        deadline = ctx.evaluator.deadline_ns
        if deadline is not None and time.perf_counter_ns() > deadline:
            raise TimeExceeded
        # several shards: their own statistics (lucene/shard_scoring.py) and tie order, the exhaustive path
        several = ctx.searcher.shard_of is not None
        filtered = bool(self.filters or self.excluded)
        if several or (filtered and not kernel_takes_filters(ctx.searcher)):
            return super().run(ctx)
        allowed = self._allowed(ctx) if filtered else None
        found = top_k_disjunction(ctx.searcher, self.clauses, self.k, self.track, allowed)
        if found is None:
            return super().run(ctx)
        docs, scores, total = found
        return Ranked(docs=docs, scores=scores, total=total)

    def _allowed(self, ctx: ExecContext) -> np.ndarray:
        """The documents every filter matches and no excluded query does (the evaluator's matches, memoised
        for the exhaustive path should the pruned one not take the query). Sparse matches are written
        document by document rather than through a whole-index mask each."""
        n = ctx.searcher.max_doc
        allowed = np.ones(n, dtype=np.bool_)
        for i, f in enumerate(self.filters):
            found = ctx.evaluator.evaluate(f)
            if i == 0 and found.docs is not None:
                allowed = np.zeros(n, dtype=np.bool_)
                allowed[found.docs] = True
            else:
                allowed &= found.match_mask(n)
        for f in self.excluded:
            found = ctx.evaluator.evaluate(f)
            if found.docs is not None:
                allowed[found.docs] = False
            else:
                allowed &= ~found.match_mask(n)
        return allowed
