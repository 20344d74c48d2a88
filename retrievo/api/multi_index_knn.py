"""A top-level ``knn`` section over several indices: Elasticsearch's DFS phase, then the query phase.

Elasticsearch runs each ``knn`` section of a search in the DFS phase first: every shard finds its own
``k`` nearest neighbours (with the section's ``filter``, ``num_candidates`` and ``similarity``), and the
coordinator keeps the best ``k`` of them over all the shards of all the indices
(``SearchPhaseController.mergeKnnResults``: Lucene's ``TopDocs.merge``, score descending, then shard
order — shard number, then index name — then doc id). The query phase then hands each shard the
survivors that are its own as a ``KnnScoreDocQuery`` SHOULD clause next to the query
(``DfsQueryPhase.rewriteShardSearchRequest``), so a shard whose neighbours all lost matches nothing
through that section.

Here each index is planned once, its section searches run ahead of the plan (they fill the run's
``knn_hits`` and are handed to the plan as already computed, so nothing searches twice), the survivors
are chosen over all the indices, and each index's run then scores only its own survivors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrievo.errors import not_supported
from retrievo.planner.execute import PreparedSearch
from retrievo.planner.operators.base import Operator
from retrievo.planner.operators.vector import VectorSearch

#: One kNN search's hits on one index: (internal doc ids, scores), best first.
Hits = tuple[np.ndarray, np.ndarray]


def section_searches(prepared: PreparedSearch) -> list[list[VectorSearch]]:
    """The plan's operators for the request's top-level ``knn`` sections, one list per section in the
    section's order (a plan rule may leave several operator objects for one search: all are listed).
    A query's own ``knn``/``semantic`` searches are per-shard searches of the query phase, not these."""
    by_slot: dict[int, list[VectorSearch]] = {}
    seen: set[int] = set()

    def walk(op: Operator) -> None:
        if id(op) in seen:
            return
        seen.add(id(op))
        if isinstance(op, VectorSearch) and not op.per_shard:
            by_slot.setdefault(op.slot, []).append(op)
        for child in op.children():
            walk(child)

    walk(prepared.plan.root)
    request = prepared.request
    sections = request.retriever.dfs_knn_searches(request.legacy_rank)  # a top-level rescore wraps them
    if len(by_slot) != sections:  # another retriever holding kNN searches: refused before this
        raise not_supported("this [knn] search in a search over several indices")
    return [by_slot[slot] for slot in sorted(by_slot)]


def dfs_hits(prepared: PreparedSearch, searches: Sequence[list[VectorSearch]]) -> list[Hits]:
    """Each section's own top ``k`` on one index (its DFS phase), best first."""
    found: list[Hits] = []
    for ops in searches:
        docs, scores = ops[0].execute(prepared.ctx)
        found.append((np.asarray(docs, dtype=np.int32), np.asarray(scores, dtype=np.float32)))
    return found


def _shard_number(prepared: PreparedSearch, doc: int) -> int:
    shard_of = prepared.plan.searcher.shard_of
    return 0 if shard_of is None else int(shard_of[doc])


def global_survivors(
    prepared: Sequence[PreparedSearch | None], found: Sequence[list[Hits] | None], ks: Sequence[int]
) -> list[list[Hits] | None]:
    """Per index (``None`` where it failed), per section, the hits that are among the section's best
    ``k`` over every index, in the index's own order. ``found`` and ``prepared`` are in index order."""
    survivors: list[list[Hits] | None] = [[] if f is not None else None for f in found]
    for section, k in enumerate(ks):
        rows: list[tuple[float, int, int, int]] = []
        for position, (p, hits) in enumerate(zip(prepared, found)):
            if p is None or hits is None:
                continue
            docs, scores = hits[section]
            for rank, (doc, score) in enumerate(zip(docs.tolist(), scores.tolist())):
                rows.append((-score, _shard_number(p, doc), position, rank))
        rows.sort()
        kept: dict[int, list[int]] = {}  # index position -> the ranks of its hits that survive
        for _, _, position, rank in rows[:k]:
            kept.setdefault(position, []).append(rank)
        for position, hits in enumerate(found):
            out = survivors[position]
            if out is None or hits is None:
                continue
            docs, scores = hits[section]
            ranks = np.asarray(sorted(kept.get(position, [])), dtype=np.int64)
            out.append((docs[ranks], scores[ranks]))
    return survivors


def seed(prepared: PreparedSearch, searches: Sequence[list[VectorSearch]], survivors: Sequence[Hits]) -> None:
    """Hand the index's run its survivors as the sections' results: the query's kNN clauses score them
    (``knn_hits``), and the searches are not run again (``ready``)."""
    ctx = prepared.ctx
    if ctx.ready is None:
        ctx.ready = {}
    for ops, hits in zip(searches, survivors):
        for op in ops:
            ctx.knn_hits[op.slot] = hits
            ctx.ready[id(op)] = hits


__all__ = ["Hits", "dfs_hits", "global_survivors", "section_searches", "seed"]
