"""Column values of numeric, date and boolean fields: what range, exists and sort read.

Values are kept as parallel arrays (doc id, value) sorted by doc id, so a multi-valued field is just
several entries for one document. Dates are epoch milliseconds and booleans 0/1, both int64, as
Elasticsearch stores them in doc values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True, eq=False)
class NumericColumn:
    name: str
    max_doc: int
    docs: np.ndarray  # int32[V], ascending
    values: np.ndarray  # int64[V] or float64[V]

    @cached_property
    def has_value(self) -> np.ndarray:
        mask = np.zeros(self.max_doc, dtype=bool)
        mask[self.docs] = True
        return mask

    def matching(
        self, lo: float | int | None, lo_inclusive: bool, hi: float | int | None, hi_inclusive: bool
    ) -> np.ndarray:
        """Mask of documents with at least one value inside the interval."""
        ok = np.ones(self.values.size, dtype=bool)
        if lo is not None:
            ok &= (self.values >= lo) if lo_inclusive else (self.values > lo)
        if hi is not None:
            ok &= (self.values <= hi) if hi_inclusive else (self.values < hi)
        mask = np.zeros(self.max_doc, dtype=bool)
        mask[self.docs[ok]] = True
        return mask

    def per_doc(self, mode: str) -> tuple[np.ndarray, np.ndarray]:
        """One value per document for sorting: (values float64[max_doc], present bool[max_doc])."""
        return _reduce_per_doc(self.docs, self.values.astype(np.float64), self.max_doc, mode)


def _reduce_per_doc(docs: np.ndarray, values: np.ndarray, max_doc: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    present = np.zeros(max_doc, dtype=bool)
    present[docs] = True
    out = np.zeros(max_doc, dtype=np.float64)
    if docs.size == 0:
        return out, present
    if mode == "min":
        out[:] = np.inf
        np.minimum.at(out, docs, values)
    elif mode == "max":
        out[:] = -np.inf
        np.maximum.at(out, docs, values)
    elif mode in ("sum", "avg"):
        np.add.at(out, docs, values)
        if mode == "avg":
            counts = np.bincount(docs, minlength=max_doc)
            out[present] /= counts[present]
    elif mode == "median":
        starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
        for i, s in enumerate(starts):
            e = starts[i + 1] if i + 1 < starts.size else docs.size
            out[docs[s]] = float(np.median(values[s:e]))
    out[~present] = 0.0
    return out, present


@dataclass
class NumericColumnWriter:
    name: str
    integer: bool
    snapshot: NumericColumn | None = None
    pending_docs: list[int] = field(default_factory=list)
    pending_values: list[float | int] = field(default_factory=list)

    def add(self, doc: int, values: list[float | int]) -> None:
        self.pending_docs.extend([doc] * len(values))
        self.pending_values.extend(values)

    def refresh(self, max_doc: int, live: np.ndarray, dirty_deletes: bool) -> NumericColumn:
        dtype = np.int64 if self.integer else np.float64
        prev = self.snapshot or NumericColumn(self.name, 0, np.zeros(0, np.int32), np.zeros(0, dtype))
        if not self.pending_docs and not dirty_deletes and prev.max_doc == max_doc:
            return prev
        docs = np.concatenate([prev.docs, np.asarray(self.pending_docs, dtype=np.int32)])
        values = np.concatenate([prev.values, np.asarray(self.pending_values, dtype=dtype)])
        keep = live[docs] if docs.size else np.zeros(0, dtype=bool)
        self.pending_docs, self.pending_values = [], []
        self.snapshot = NumericColumn(self.name, max_doc, docs[keep], values[keep])
        return self.snapshot
