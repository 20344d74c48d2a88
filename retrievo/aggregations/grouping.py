"""Grouping (doc, key) pairs into buckets: the distinct keys, how many documents each holds, and —
only when a sub-aggregation asks — each bucket's documents.

A bucket counts a document once however many of its values fall in it, which in general takes a sort
of the pairs by (key, doc). Most fields hold one value per document, and then the pairs arrive with
strictly increasing docs and are already distinct: counting is a ``bincount`` when the keys span a
small range of steps (keyword ordinals, small longs, dates rounded to a calendar unit) and a sort of
the keys alone otherwise; the per-bucket document lists are sorted out only if something reads them.
The answers are the same in every path: keys ascending, members ascending by doc.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: A ``bincount`` over a key range is used while the range stays within this many slots per pair
#: (plus a fixed allowance for small inputs): beyond it a sort is cheaper than the counting array.
_RANGE_PER_PAIR = 4
_RANGE_ALLOWANCE = 1 << 16


def _small_range_counts(keys: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``np.unique(keys, return_counts=True)`` for integer keys that are ``lo + i * step`` over a small
    range of ``i``; ``None`` when they are not."""
    if keys.dtype.kind not in "iu" or not keys.size:
        return None
    lo, hi = int(keys.min()), int(keys.max())
    span = (hi - lo) // step + 1
    if span > _RANGE_PER_PAIR * keys.size + _RANGE_ALLOWANCE:
        return None
    offsets = keys - lo
    if step != 1:
        if np.any(offsets % step):
            return None
        offsets = offsets // step
    full = np.bincount(offsets, minlength=span)
    slots = np.flatnonzero(full)
    return (slots * step + lo).astype(keys.dtype), full[slots]


def distinct_values(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``: integers over a small range by a presence mask (no sort, no hashing)."""
    grouped = _small_range_counts(values, 1)
    return grouped[0] if grouped is not None else np.unique(values)


class Groups:
    """The buckets of a set of (doc, key) pairs: ``keys`` ascending, ``counts`` distinct docs per key."""

    def __init__(self, docs: np.ndarray, keys: np.ndarray, step: int = 1) -> None:
        distinct = docs.size < 2 or bool(np.all(docs[1:] > docs[:-1]))
        if not distinct:
            order = np.lexsort((docs, keys))
            d, k = docs[order], keys[order]
            first = np.r_[True, (d[1:] != d[:-1]) | (k[1:] != k[:-1])]
            docs, keys = d[first], k[first]
        self._docs, self._keys = docs, keys
        self._sorted = not distinct or docs.size < 2
        grouped = _small_range_counts(keys, step)
        if grouped is None:
            grouped = np.unique(keys, return_counts=True)
        self.keys: np.ndarray = grouped[0]
        self.counts: np.ndarray = grouped[1]

    def _by_key(self) -> tuple[np.ndarray, np.ndarray]:
        """The pairs sorted by key then doc (a stable sort keeps the docs ascending within a key)."""
        if not self._sorted:
            order = np.argsort(self._keys, kind="stable")
            self._docs, self._keys = self._docs[order], self._keys[order]
            self._sorted = True
        return self._docs, self._keys

    def members(self, key: Any) -> np.ndarray:
        """The documents of the bucket ``key``, ascending."""
        docs, keys = self._by_key()
        lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        return docs[lo:hi]

    def count_of(self, wanted: np.ndarray) -> np.ndarray:
        """The document count of each of ``wanted`` (0 for a key no pair holds)."""
        if not self.keys.size:
            return np.zeros(wanted.size, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, wanted), self.keys.size - 1)
        return np.where(self.keys[at] == wanted, self.counts[at], 0).astype(np.int64)
