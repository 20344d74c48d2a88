"""Per-posting values of a field computed from its compact arrays when a query reads them.

A 1M-document index has ~50M postings: one float32 per posting is 200 MB. BM25's ``normInverse`` of a
posting is a 256-entry table read at the document's norm byte, and a posting's score at boost 1 is a
few float32 operations on it, so neither needs storing: these views compute exactly the values the old
per-posting caches held (same float32 operations in the same order, bit for bit) for the slice or the
positions a scorer asks for. Small fields still materialise the scores once (``UNIT_SCORES_CACHE_LIMIT``),
where the memory is negligible and a slice view is cheaper than recomputing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retrievo.index import bm25

#: Fields with at most this many postings keep their boost-1 scores as one array (64 MiB at the limit): a
#: 100k-document index of 120-token texts (12M postings) stays cached, where recomputing cost it 30% of its
#: q/s; a 1M-document one (50M+) computes them per query.
UNIT_SCORES_CACHE_LIMIT = 1 << 24


class NormInverseView:
    """``norm_cache[norms[docs[i]]]`` for posting indices ``i`` (a slice or an index array)."""

    __slots__ = ("docs", "norms", "table")

    def __init__(self, docs: np.ndarray, norms: np.ndarray | None, table: np.ndarray) -> None:
        self.docs, self.norms, self.table = docs, norms, table

    def __len__(self) -> int:
        return int(self.docs.size)

    @property
    def size(self) -> int:
        return int(self.docs.size)

    def __getitem__(self, key: Any) -> np.ndarray:
        if self.norms is None:  # fields without norms read norm value 1 (cache[1]) for every document
            return np.full(_count(key, self.docs.size), self.table[1], dtype=np.float32)
        return self.table[self.norms[self.docs[key]]]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype)


class UnitScoresView:
    """Every posting's BM25 score at boost 1, computed for the postings asked for."""

    __slots__ = ("freqs", "norm_inverse", "offsets", "weights")

    def __init__(self, offsets: np.ndarray, freqs: np.ndarray, norm_inverse: NormInverseView, weights: np.ndarray):
        self.offsets, self.freqs, self.norm_inverse, self.weights = offsets, freqs, norm_inverse, weights

    def __len__(self) -> int:
        return int(self.freqs.size)

    @property
    def size(self) -> int:
        return int(self.freqs.size)

    def _weights_at(self, positions: np.ndarray) -> np.ndarray:
        tids = np.searchsorted(self.offsets, positions, side="right") - 1
        return self.weights[tids]

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice) and (key.step in (None, 1)):
            lo, hi, _ = key.indices(self.freqs.size)
            if hi <= lo:
                return np.zeros(0, dtype=np.float32)
            tid = int(np.searchsorted(self.offsets, lo, side="right")) - 1
            if hi <= int(self.offsets[tid + 1]):  # one term's postings (what scorers ask): one weight
                weight: np.float32 | np.ndarray = self.weights[tid]
            else:
                weight = self._weights_at(np.arange(lo, hi))
            return bm25.score(weight, self.freqs[lo:hi], self.norm_inverse[lo:hi])
        positions = _positions(key, self.freqs.size)
        return bm25.score(self._weights_at(positions), self.freqs[positions], self.norm_inverse[positions])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def materialize(self) -> np.ndarray:
        """Every score in one array, computed a chunk at a time: ``self[:]`` at once would hold ~25 bytes
        of temporaries per posting (positions, term ids, weights, norm values: ~250 MB for 10M postings,
        more than the result). Each score is the same float32 operations either way."""
        out = np.empty(self.freqs.size, dtype=np.float32)
        for lo in range(0, out.size, _MATERIALIZE_CHUNK):
            hi = min(lo + _MATERIALIZE_CHUNK, out.size)
            out[lo:hi] = self[lo:hi]
        return out


#: Postings scored at once by :meth:`UnitScoresView.materialize`.
_MATERIALIZE_CHUNK = 1 << 20


def _positions(key: Any, size: int) -> np.ndarray:
    if isinstance(key, slice):
        return np.arange(*key.indices(size))
    positions = np.asarray(key)
    return np.flatnonzero(positions) if positions.dtype == bool else positions


def _count(key: Any, size: int) -> int:
    if isinstance(key, slice):
        return len(range(*key.indices(size)))
    positions = np.asarray(key)
    return int(np.count_nonzero(positions)) if positions.dtype == bool else int(positions.size)


def implicit_positions(fwd_offsets: np.ndarray) -> np.ndarray:
    """Positions ``0 .. n-1`` of every document's token stream (the forward index's positions when no
    value left a gap and no token was stacked), int32, for when they must be written out."""
    total = int(fwd_offsets[-1]) if fwd_offsets.size else 0
    starts = np.repeat(fwd_offsets[:-1], np.diff(fwd_offsets))
    return (np.arange(total, dtype=np.int64) - starts).astype(np.int32)


def positions_are_implicit(lengths: np.ndarray, positions: np.ndarray) -> bool:
    """Whether ``positions`` (the streams of documents of ``lengths`` tokens, concatenated) are each
    document's ``0 .. n-1``."""
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return positions.size == int(offsets[-1]) and bool(np.array_equal(positions, implicit_positions(offsets)))
