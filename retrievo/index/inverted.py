"""The inverted index of one text or keyword field: postings, norms and positions.

A field has two halves. :class:`InvertedFieldWriter` collects analysed documents since the last
refresh in plain Python lists (cheap to append). ``refresh`` turns them into an immutable
:class:`InvertedField` — CSR postings (term → doc ids ascending, freqs), one norm byte per document
and a forward index of (term id, position) per document for phrase matching — merged with the previous
snapshot. Internal doc ids only grow, so the previous snapshot's postings for a term always come
before the new ones and a stable sort by term id keeps every posting list in doc-id order.

Statistics (``doc_count``, ``sum_total_term_freq``) count live documents only, as a force-merged
Lucene index would; this is a deliberate simplification of Lucene's behaviour with deletions, where
deleted documents keep counting until their segment merges.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from retrievo.index import bm25
from retrievo.index.norms import byte4_to_int, encode_lengths

_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_I64 = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class InvertedField:
    """An immutable, searchable snapshot of one field's inverted index."""

    name: str
    max_doc: int
    terms: dict[str, int]
    offsets: np.ndarray          # int64[T + 1]: postings of term t are docs[offsets[t]:offsets[t+1]]
    docs: np.ndarray             # int32[P]
    freqs: np.ndarray            # int32[P]
    norms: np.ndarray | None     # uint8[max_doc]; None for fields without norms (keyword)
    has_value: np.ndarray        # bool[max_doc]: the document has at least one indexed token
    fwd_offsets: np.ndarray      # int64[max_doc + 1] into fwd_tids / fwd_pos (empty without positions)
    fwd_tids: np.ndarray         # int32[L]
    fwd_pos: np.ndarray          # int32[L]
    doc_count: int
    sum_total_term_freq: int
    sum_doc_freq: int

    @property
    def has_positions(self) -> bool:
        return self.fwd_offsets.size > 0

    @cached_property
    def avgdl(self) -> np.float32:
        return bm25.avgdl(self.sum_total_term_freq, self.doc_count)

    @cached_property
    def norm_cache(self) -> np.ndarray:
        return bm25.norm_cache(self.avgdl)

    @cached_property
    def doc_norm_inverse(self) -> np.ndarray:
        """``cache[norm byte]`` per posting entry's document, or ``cache[1]`` without norms."""
        if self.norms is None:
            return np.full(self.docs.size, self.norm_cache[1], dtype=np.float32)
        return self.norm_cache[self.norms[self.docs]]

    @cached_property
    def idfs(self) -> np.ndarray:
        return bm25.idf_array(np.diff(self.offsets), self.doc_count)

    @cached_property
    def unit_scores(self) -> np.ndarray:
        """Every posting's BM25 score at boost 1, computed once per snapshot (bit-exact to Lucene)."""
        if self.docs.size == 0:
            return np.zeros(0, dtype=np.float32)
        weights = np.repeat(self.idfs, np.diff(self.offsets))
        return bm25.score(weights, self.freqs, self.doc_norm_inverse)

    @cached_property
    def sorted_terms(self) -> np.ndarray:
        """The vocabulary in code-point (= UTF-8 byte, Lucene's) order, for prefix and range scans."""
        return np.array(sorted(self.terms), dtype=object)

    def term_id(self, term: str) -> int | None:
        return self.terms.get(term)

    def doc_freq(self, tid: int) -> int:
        return int(self.offsets[tid + 1] - self.offsets[tid])

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[tid], self.offsets[tid + 1]
        return self.docs[lo:hi], self.freqs[lo:hi]

    def posting_slice(self, tid: int) -> slice:
        return slice(int(self.offsets[tid]), int(self.offsets[tid + 1]))

    def positions(self, doc: int) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, positions) of one document, in token order."""
        lo, hi = self.fwd_offsets[doc], self.fwd_offsets[doc + 1]
        return self.fwd_tids[lo:hi], self.fwd_pos[lo:hi]

    def field_length(self, doc: int) -> int:
        """The decoded (lossy) length BM25 uses for this document."""
        return 1 if self.norms is None else byte4_to_int(int(self.norms[doc]))

    @staticmethod
    def empty(name: str, max_doc: int, with_norms: bool, with_positions: bool) -> "InvertedField":
        return InvertedField(
            name=name, max_doc=max_doc, terms={}, offsets=np.zeros(1, dtype=np.int64),
            docs=_EMPTY_I32, freqs=_EMPTY_I32,
            norms=np.zeros(max_doc, dtype=np.uint8) if with_norms else None,
            has_value=np.zeros(max_doc, dtype=bool),
            fwd_offsets=np.zeros(max_doc + 1, dtype=np.int64) if with_positions else _EMPTY_I64,
            fwd_tids=_EMPTY_I32, fwd_pos=_EMPTY_I32, doc_count=0, sum_total_term_freq=0, sum_doc_freq=0)


@dataclass
class _PendingDoc:
    doc: int
    unique_tids: list[int]
    tfs: list[int]
    length: int
    tids: list[int]
    positions: list[int]


@dataclass
class InvertedFieldWriter:
    """Collects analysed values of one field between refreshes.

    ``with_norms`` is False for keyword-like fields (Lucene's DOCS-only fields: every freq is 1 and
    BM25 reads norm value 1). ``with_positions`` keeps the forward index needed by phrase queries.
    """

    name: str
    with_norms: bool = True
    with_positions: bool = True
    terms: dict[str, int] = field(default_factory=dict)
    pending: list[_PendingDoc] = field(default_factory=list)
    snapshot: InvertedField | None = None

    def add(self, doc: int, terms: list[str], positions: list[int]) -> None:
        """Add one document's tokens (all values of the field, positions already offset)."""
        vocab = self.terms
        tids = [vocab.setdefault(t, len(vocab)) for t in terms]
        if self.with_norms:
            counts = Counter(tids)
            unique, tfs = list(counts.keys()), list(counts.values())
        else:
            unique = list(dict.fromkeys(tids))
            tfs = [1] * len(unique)
        keep_pos = self.with_positions
        self.pending.append(_PendingDoc(doc, unique, tfs, len(tids),
                                        tids if keep_pos else [], positions if keep_pos else []))

    def refresh(self, max_doc: int, live: np.ndarray, dirty_deletes: bool) -> InvertedField:
        """Build the next immutable snapshot from the previous one plus the pending documents."""
        prev = self.snapshot or InvertedField.empty(self.name, 0, self.with_norms, self.with_positions)
        if not self.pending and not dirty_deletes and prev.max_doc == max_doc:
            return prev
        pending, self.pending = self.pending, []
        self.snapshot = _merge(prev, pending, self.terms, max_doc, live, self.with_norms,
                               self.with_positions)
        return self.snapshot


def _grow(arr: np.ndarray, size: int, fill: int | bool = 0) -> np.ndarray:
    out = np.full(size, fill, dtype=arr.dtype)
    out[: min(arr.size, size)] = arr[:size]
    return out


def _merge(prev: InvertedField, pending: list[_PendingDoc], vocab: dict[str, int], max_doc: int,
           live: np.ndarray, with_norms: bool, with_positions: bool) -> InvertedField:
    n_terms = len(vocab)
    # Old postings as (tid, doc, freq) triples, dropping deleted documents.
    old_tids = np.repeat(np.arange(prev.offsets.size - 1, dtype=np.int32), np.diff(prev.offsets))
    old_docs, old_freqs = prev.docs, prev.freqs
    keep = live[old_docs] if old_docs.size else np.zeros(0, dtype=bool)
    old_tids, old_docs, old_freqs = old_tids[keep], old_docs[keep], old_freqs[keep]

    new_tids = np.fromiter((t for p in pending for t in p.unique_tids), dtype=np.int32)
    new_freqs = np.fromiter((f for p in pending for f in p.tfs), dtype=np.int32)
    new_docs = np.repeat(np.fromiter((p.doc for p in pending), dtype=np.int32, count=len(pending)),
                         np.fromiter((len(p.unique_tids) for p in pending), dtype=np.int64,
                                     count=len(pending)))
    if pending:
        new_live = live[new_docs]
        new_tids, new_docs, new_freqs = new_tids[new_live], new_docs[new_live], new_freqs[new_live]

    all_tids = np.concatenate([old_tids, new_tids])
    order = np.argsort(all_tids, kind="stable")
    docs = np.concatenate([old_docs, new_docs])[order]
    freqs = np.concatenate([old_freqs, new_freqs])[order]
    offsets = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(all_tids, minlength=n_terms), out=offsets[1:])

    lengths = np.zeros(max_doc, dtype=np.int64)
    has_value = _grow(prev.has_value, max_doc, False)
    norms = _grow(prev.norms, max_doc) if with_norms and prev.norms is not None else (
        np.zeros(max_doc, dtype=np.uint8) if with_norms else None)
    for p in pending:
        lengths[p.doc] = p.length
        has_value[p.doc] = bool(p.unique_tids)
    if norms is not None and pending:
        pdocs = np.fromiter((p.doc for p in pending), dtype=np.int64, count=len(pending))
        norms[pdocs] = encode_lengths(lengths[pdocs])
    has_value &= live[:max_doc]

    fwd_offsets, fwd_tids, fwd_pos = _merge_forward(prev, pending, max_doc, with_positions)

    # Statistics over live documents only.
    doc_count = int(has_value.sum())
    sum_doc_freq = int(docs.size)
    sum_total = int(freqs.sum(dtype=np.int64)) if with_norms else sum_doc_freq
    return InvertedField(name=prev.name, max_doc=max_doc, terms=vocab.copy(), offsets=offsets, docs=docs,
                         freqs=freqs, norms=norms, has_value=has_value, fwd_offsets=fwd_offsets,
                         fwd_tids=fwd_tids, fwd_pos=fwd_pos, doc_count=doc_count,
                         sum_total_term_freq=sum_total, sum_doc_freq=sum_doc_freq)


def _merge_forward(prev: InvertedField, pending: list[_PendingDoc], max_doc: int,
                   with_positions: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Append pending documents' token streams to the forward index (deleted docs stay: harmless)."""
    if not with_positions:
        return _EMPTY_I64, _EMPTY_I32, _EMPTY_I32
    counts = np.zeros(max_doc, dtype=np.int64)
    counts[: prev.max_doc] = np.diff(prev.fwd_offsets) if prev.max_doc else 0
    for p in pending:
        counts[p.doc] = len(p.tids)
    offsets = np.zeros(max_doc + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if not pending:
        return offsets, prev.fwd_tids, prev.fwd_pos
    # Pending docs are all newer than the previous snapshot's max_doc and arrive in doc order.
    new_tids = np.fromiter((t for p in pending for t in p.tids), dtype=np.int32)
    new_pos = np.fromiter((q for p in pending for q in p.positions), dtype=np.int32)
    return (offsets, np.concatenate([prev.fwd_tids, new_tids]), np.concatenate([prev.fwd_pos, new_pos]))
