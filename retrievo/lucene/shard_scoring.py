"""Scoring a query on an index with several shards: each shard with its own statistics.

Under ``query_then_fetch`` (the default) Elasticsearch scores every shard's documents with that shard's
``docFreq``, ``docCount`` and average length, so one document's score depends on which documents share
its shard. :class:`ShardedEvaluator` evaluates a query once per shard view
(``index/shard_views.py``) and lays the shards' results side by side: views share the index's doc ids
and no document is in two shards, so the combined scores are each document's own shard's. Match masks
(filters) do not depend on statistics and are computed once over the whole index.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from retrievo.index.searcher import Searcher
from retrievo.lucene.query import LQuery
from retrievo.lucene.scoring import Evaluator, Scored


class ShardedEvaluator(Evaluator):
    """An :class:`Evaluator` whose scores are per shard; ``for_doc`` gives the shard evaluator that
    explains a document (its statistics are the ones the score used)."""

    def __init__(
        self,
        searcher: Searcher,
        knn_hits: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None,
        variants: Mapping[int, tuple[LQuery, tuple[LQuery, ...]]] | None = None,
    ) -> None:
        hits = knn_hits if knn_hits is not None else {}
        # built before the base class sets ``deadline_ns``, which the setter hands on to them
        self.whole = Evaluator(searcher, hits)
        self.shards = [Evaluator(view, hits) for view in searcher.shard_views]
        super().__init__(searcher, hits)
        #: ``id(query) → (query, per-shard queries)``: what each shard evaluates for a query compiled per
        #: shard (``PlanningContext.shard_variants``); other queries run as they are on every shard.
        self.variants = variants if variants is not None else {}
        self.memo = self.whole.memo  # what a multi-search shares is filter masks: the whole index's
        assert searcher.shard_of is not None
        self._shard_of = searcher.shard_of
        self._combined: dict[tuple[int, float], Scored] = {}

    @property
    def deadline_ns(self) -> int | None:
        return self._deadline

    @deadline_ns.setter
    def deadline_ns(self, value: int | None) -> None:
        self._deadline = value
        for ev in (self.whole, *self.shards):
            ev.deadline_ns = value

    def evaluate(self, q: LQuery, boost: float = 1.0) -> Scored:
        key = (id(q), float(boost))
        hit = self._combined.get(key)
        if hit is None:
            mask = np.zeros(self.n, dtype=bool)
            scores = np.zeros(self.n, dtype=np.float32)
            twins = self._twins(q)
            for shard, ev in enumerate(self.shards):
                shard_q = q if twins is None else twins[shard]
                shard_mask, shard_scores = ev.evaluate(shard_q, boost).dense(self.n)
                mine = shard_mask & (self._shard_of == shard)
                mask |= mine
                scores[mine] = shard_scores[mine]
            hit = self._combined[key] = Scored(mask=mask, scores=scores)
            self._keep.append(q)
        return hit

    def mask(self, q: LQuery) -> np.ndarray:
        return self.whole.mask(q)

    def _twins(self, q: LQuery) -> tuple[LQuery, ...] | None:
        found = self.variants.get(id(q))
        return found[1] if found is not None and found[0] is q else None

    def for_doc(self, doc: int) -> Evaluator:
        return self.shards[int(self._shard_of[doc])]

    def shard_query(self, q: LQuery, doc: int) -> LQuery:
        twins = self._twins(q)
        return q if twins is None else twins[int(self._shard_of[doc])]
