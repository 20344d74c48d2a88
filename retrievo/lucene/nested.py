"""Joining nested rows' scores to their parents: Lucene's ``ToParentBlockJoinQuery`` scorer, vectorised.

A parent matches when at least one of its rows matches the inner query. Its score comes from the
matching rows' float32 scores, accumulated in double as ``BlockJoinScorer`` does and cast to float
once: ``sum`` (Lucene's ``Total``), ``avg`` (the sum over the count), ``max``, ``min``; ``none``
scores every parent 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "SCORE_MODE_NAMES",
    "NestedSortScope",
    "join_to_parents",
    "nested_keyword_ordinals",
    "nested_numeric_values",
]

#: ES's ``score_mode`` → the name Lucene's explanation prints (``ScoreMode.toString``).
SCORE_MODE_NAMES = {"avg": "Avg", "max": "Max", "min": "Min", "sum": "Total", "none": "None"}


def join_to_parents(
    child_docs: np.ndarray, child_scores: np.ndarray, parents: np.ndarray, mode: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parent ids ascending, float32 scores, matching-row counts) for the rows ``child_docs``
    (ascending) scoring ``child_scores``; ``parents[row]`` is a row's parent."""
    if child_docs.size == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, np.zeros(0, dtype=np.float32), empty
    owner = parents[child_docs].astype(np.int64)
    order = np.argsort(owner, kind="stable")
    owner = owner[order]
    scores = child_scores[order].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    docs = owner[starts].astype(np.int32)
    counts = np.diff(np.r_[starts, owner.size]).astype(np.int32)
    if mode == "none":
        out = np.zeros(docs.size, dtype=np.float64)
    elif mode == "max":
        out = np.maximum.reduceat(scores, starts)
    elif mode == "min":
        out = np.minimum.reduceat(scores, starts)
    else:
        # double sums of float32 scores (exact in double for any realistic number of rows)
        out = np.add.reduceat(scores, starts)
        if mode == "avg":
            out = out / counts
    return docs, out.astype(np.float32), counts


@dataclass(frozen=True, eq=False)
class NestedSortScope:
    """Where a nested sort reads its values: the nested levels from the searcher's own down to the
    sort's path (``index.nested.NestedLevel``), each level's allowed rows (its ``filter``, or ``None``)
    and ``max_children`` (objects considered per parent, at the sort's path)."""

    chain: tuple[Any, ...]
    masks: tuple[np.ndarray | None, ...]
    max_children: int | None = None

    def rows(self, max_doc: int) -> tuple[Any, np.ndarray, np.ndarray]:
        """(the target level, whether each of its rows counts, each row's document at the top level)."""
        target = self.chain[-1]
        valid = target.searcher.live.copy()
        owner = np.arange(target.rows, dtype=np.int64)
        for level, mask in zip(reversed(self.chain), reversed(self.masks)):
            if mask is not None:
                valid &= mask[owner]
            owner = level.parents[owner].astype(np.int64)
        if self.max_children is not None:
            # the first max_children counting objects of each parent (in the objects' order)
            counted = np.flatnonzero(valid)
            starts = np.r_[True, owner[counted][1:] != owner[counted][:-1]] if counted.size else np.zeros(0, bool)
            group_start = (
                np.maximum.accumulate(np.where(starts, np.arange(counted.size), 0)) if counted.size else counted
            )
            rank = np.arange(counted.size) - group_start
            valid[counted[rank >= self.max_children]] = False
        return target, valid, owner


def nested_numeric_values(
    scope: NestedSortScope, field: str, docs: np.ndarray, max_doc: int, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate document: its counting objects' values of ``field`` reduced by ``mode``, and
    whether it has any (``MultiValueMode`` over every value of every child)."""
    from retrievo.index.doc_values import NumericColumn

    if not scope.chain:
        return np.zeros(docs.size), np.zeros(docs.size, dtype=bool)
    target, valid, owner = scope.rows(max_doc)
    col = target.searcher.numeric(field)
    if col is None:
        return np.zeros(docs.size), np.zeros(docs.size, dtype=bool)
    keep = valid[col.docs]
    parents = owner[col.docs[keep]]
    order = np.argsort(parents, kind="stable")
    joined = NumericColumn(field, max_doc, parents[order].astype(np.int32), col.values[keep][order])
    per_doc, has = joined.per_doc(mode if mode in ("min", "max", "sum", "avg", "median") else "min")
    return per_doc[docs], has[docs]


def nested_keyword_ordinals(
    scope: NestedSortScope, field: str, docs: np.ndarray, max_doc: int, mode: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate document: the smallest (``min``) or largest (``max``) term ordinal of its counting
    objects' values, whether it has one, and the sorted terms the ordinals index."""
    empty = (np.zeros(docs.size), np.zeros(docs.size, dtype=bool), np.zeros(0, dtype=object))
    if not scope.chain:
        return empty
    target, valid, owner = scope.rows(max_doc)
    inv = target.searcher.inverted(field)
    if inv is None or not inv.terms:
        return empty
    terms = inv.sorted_terms
    ord_of_tid = np.empty(len(inv.terms), dtype=np.int64)
    ord_of_tid[[inv.terms[t] for t in terms]] = np.arange(terms.size)
    entry_tid = np.repeat(np.arange(len(inv.terms)), np.diff(inv.offsets))
    keep = valid[inv.docs]
    ords = ord_of_tid[entry_tid][keep]
    parents = owner[inv.docs[keep]]
    per_doc = np.full(max_doc, -1 if mode == "max" else np.iinfo(np.int64).max, dtype=np.int64)
    (np.maximum if mode == "max" else np.minimum).at(per_doc, parents, ords)
    present = np.zeros(max_doc, dtype=bool)
    present[parents] = True
    has = present[docs]
    return np.where(has, per_doc[docs], 0).astype(np.float64), has, terms


def nested_sort_values(
    spec: Any, field_type: str, docs: np.ndarray, max_doc: int, mode: str
) -> tuple[np.ndarray, np.ndarray, str, np.ndarray | None]:
    """A nested field sort's (values, present, kind, keyword terms) for the candidate documents. The
    planner resolves the sort's ``nested`` context into a :class:`NestedSortScope` (``nested_scope``);
    a sort reaching here without one (inner hits, ``top_hits``) is refused."""
    from retrievo.errors import not_supported

    scope = getattr(spec, "nested_scope", None)
    if not isinstance(scope, NestedSortScope):
        raise not_supported("a [nested] sort here", "nested sorts apply to a search's (or standard retriever's) sort")
    if field_type in ("keyword", "ip"):  # ip terms: hex encodings in address order (index/ip_values.py)
        vals, present, terms = nested_keyword_ordinals(scope, spec.field, docs, max_doc, mode)
        return vals, present, "keyword", terms
    vals, present = nested_numeric_values(scope, spec.field, docs, max_doc, mode)
    return vals, present, "float" if field_type in ("double", "float", "half_float") else "long", None
