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


def top_k_by_score(mask: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best matches, score descending then doc id ascending, without sorting everything."""
    cand = np.flatnonzero(mask).astype(np.int32)
    if k <= 0 or cand.size == 0:
        return cand[:0], np.zeros(0, dtype=np.float32)
    s = scores[cand]
    if cand.size > k:
        # Everything strictly above the k-th best value, plus the lowest doc ids among the ties.
        kth = np.partition(s, cand.size - k)[cand.size - k]
        above = s > kth
        ties = np.flatnonzero(s == kth)[: k - int(above.sum())]
        keep = np.flatnonzero(above)
        sel = np.concatenate([keep, ties])
        cand, s = cand[sel], s[sel]
    order = np.lexsort((cand, -s.astype(np.float64)))
    return cand[order], s[order].astype(np.float32)
