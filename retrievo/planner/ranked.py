"""The one representation of results between operators.

``Matches`` is a dense candidate set (a mask and float32 scores over every document) as scoring
produces it; ``Ranked`` is an ordered list — parallel int32 doc ids and float32 scores, score
descending then doc id ascending (Elasticsearch's single-shard tie order) unless a sort says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Matches:
    mask: np.ndarray  # bool[max_doc]
    scores: np.ndarray  # float32[max_doc], 0 where not matching
    total: int | None = None
    terminated_early: bool = False


@dataclass
class Ranked:
    docs: np.ndarray  # int32[k]
    scores: np.ndarray  # float32[k]
    total: int  # matches before paging (hits.total)
    sort_values: list[list[Any]] | None = None
    sorted_by_field: bool = False
    terminated_early: bool = False
    named: dict[int, list[str]] = field(default_factory=dict)
    #: Every document the producing retriever matched (not only the top k): what ``hits.total`` of a
    #: compound parent counts (the union over its children).
    matched: np.ndarray | None = None
    #: The query's score of every matched document (float32[max_doc]), where the producer scored them
    #: all (a query's top docs): what ``top_hits`` in an aggregation prints.
    matched_scores: np.ndarray | None = None
    #: True for fused results (rrf, linear): paging is over the fused list, scores are fused scores.
    fused: bool = False


def top_k_by_score(
    mask: np.ndarray, scores: np.ndarray, k: int, tie: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The k best matches, score descending then doc id ascending, without sorting everything.
    ``tie``: each doc's place in the tie order where it is not the doc id (``Searcher.tie_order``:
    shard, then doc, on an index with several shards)."""
    cand = np.flatnonzero(mask).astype(np.int32)
    if k <= 0 or cand.size == 0:
        return cand[:0], np.zeros(0, dtype=np.float32)
    s = scores[cand]
    if cand.size > k:
        # Everything strictly above the k-th best value, plus the first ties in tie order.
        kth = np.partition(s, cand.size - k)[cand.size - k]
        above = s > kth
        ties = np.flatnonzero(s == kth)
        if tie is not None:
            ties = ties[np.argsort(tie[cand[ties]], kind="stable")]
        ties = ties[: k - int(above.sum())]
        keep = np.flatnonzero(above)
        sel = np.concatenate([keep, ties])
        cand, s = cand[sel], s[sel]
    order = np.lexsort((cand if tie is None else tie[cand], -s.astype(np.float64)))
    return cand[order], s[order].astype(np.float32)


def score_order(docs: np.ndarray, scores: np.ndarray, tie: np.ndarray | None = None) -> np.ndarray:
    """The order of ``docs`` by score descending, ties in tie order (doc id, or ``Searcher.tie_order``)."""
    return np.lexsort((docs if tie is None else tie[docs], -scores.astype(np.float64)))
