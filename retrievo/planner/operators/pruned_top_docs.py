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

from retrievo.lucene.pruning import TermClause, top_k_disjunction
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

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "pruning": "block-max"}

    def run(self, ctx: ExecContext) -> Ranked:
        deadline = ctx.evaluator.deadline_ns
        if deadline is not None and time.perf_counter_ns() > deadline:
            raise TimeExceeded
        # several shards: their own statistics (lucene/shard_scoring.py) and tie order, the exhaustive path
        several = ctx.searcher.shard_of is not None
        found = None if several else top_k_disjunction(ctx.searcher, self.clauses, self.k, self.track)
        if found is None:
            return super().run(ctx)
        docs, scores, total = found
        return Ranked(docs=docs, scores=scores, total=total)
