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
from retrievo.index.impacts import BlockImpacts, build_impacts
from retrievo.index.norms import byte4_to_int, encode_lengths

_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_I64 = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class InvertedField:
    """An immutable, searchable snapshot of one field's inverted index."""

    name: str
    max_doc: int
    terms: dict[str, int]
    offsets: np.ndarray  # int64[T + 1]: postings of term t are docs[offsets[t]:offsets[t+1]]
    docs: np.ndarray  # int32[P]
    freqs: np.ndarray  # int32[P]
    norms: np.ndarray | None  # uint8[max_doc]; None for fields without norms (keyword)
    has_value: np.ndarray  # bool[max_doc]: the document has at least one indexed token
    fwd_offsets: np.ndarray  # int64[max_doc + 1] into fwd_tids / fwd_pos (empty without positions)
    fwd_tids: np.ndarray  # int32[L]
    fwd_pos: np.ndarray  # int32[L]
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
        weights = np.repeat(bm25.term_weights(self.idfs), np.diff(self.offsets))
        return bm25.score(weights, self.freqs, self.doc_norm_inverse)

    @cached_property
    def impacts(self) -> BlockImpacts:
        """Per doc-id block score bounds of every term, for top-k pruning (built on first use)."""
        return build_impacts(self.offsets, self.docs, self.freqs, self.doc_norm_inverse, self.max_doc)

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
    def empty(name: str, max_doc: int, with_norms: bool, with_positions: bool) -> InvertedField:
        return InvertedField(
            name=name,
            max_doc=max_doc,
            terms={},
            offsets=np.zeros(1, dtype=np.int64),
            docs=_EMPTY_I32,
            freqs=_EMPTY_I32,
            norms=np.zeros(max_doc, dtype=np.uint8) if with_norms else None,
            has_value=np.zeros(max_doc, dtype=bool),
            fwd_offsets=np.zeros(max_doc + 1, dtype=np.int64) if with_positions else _EMPTY_I64,
            fwd_tids=_EMPTY_I32,
            fwd_pos=_EMPTY_I32,
            doc_count=0,
            sum_total_term_freq=0,
            sum_doc_freq=0,
        )


@dataclass
class _Pending:
    """The documents added since the last refresh, as arrays (docs ascending)."""

    docs: np.ndarray  # int32[D]
    unique: np.ndarray  # int64[D]: distinct terms of each doc
    lengths: np.ndarray  # int64[D]: tokens of each doc
    tids: np.ndarray  # int32[sum(unique)]
    tfs: np.ndarray  # int32[sum(unique)]
    fwd_tids: np.ndarray  # int32[sum(lengths)] (empty without positions)
    fwd_pos: np.ndarray


class _Vocab(dict[str, int]):
    """term → id; a term not seen before gets the next id when first looked up."""

    def __missing__(self, term: str) -> int:
        tid = self[term] = len(self)
        return tid


@dataclass
class InvertedFieldWriter:
    """Collects analysed values of one field between refreshes.

    ``with_norms`` is False for keyword-like fields (Lucene's DOCS-only fields: every freq is 1 and
    BM25 reads norm value 1). ``with_positions`` keeps the forward index needed by phrase queries.
    ``with_freqs`` counts frequencies without norms (a text field's ``_index_prefix``, Lucene's
    omitted norms with freqs); ``None`` follows ``with_norms``.
    """

    name: str
    with_norms: bool = True
    with_positions: bool = True
    with_freqs: bool | None = None
    terms: dict[str, int] = field(default_factory=dict)
    snapshot: InvertedField | None = None
    # Pending documents since the last refresh, as flat lists (appending is cheap; one array each at refresh).
    pending_docs: list[int] = field(default_factory=list)
    pending_unique: list[int] = field(default_factory=list)  # distinct terms per pending doc
    pending_lengths: list[int] = field(default_factory=list)  # tokens per pending doc (the field length)
    pending_tids: list[int] = field(default_factory=list)
    pending_tfs: list[int] = field(default_factory=list)
    pending_fwd_tids: list[int] = field(default_factory=list)
    pending_fwd_pos: list[int] = field(default_factory=list)

    def add(self, doc: int, terms: list[str], positions: list[int]) -> None:
        """Add one document's tokens (all values of the field, positions already offset).

        Tokens become term ids in one C-level ``map`` over the vocabulary (new terms numbered by
        :class:`_Vocab`), and ids are counted rather than strings: the per-token work stays in C."""
        vocab = self.terms
        if type(vocab) is not _Vocab:
            vocab = self.terms = _Vocab(vocab)
        tids = list(map(vocab.__getitem__, terms))
        if self.with_norms or self.with_freqs:
            counts = Counter(tids)
            unique = list(counts)
            self.pending_tfs.extend(counts.values())
        else:
            unique = list(dict.fromkeys(tids))
            self.pending_tfs.extend([1] * len(unique))
        self.pending_tids.extend(unique)
        self.pending_docs.append(doc)
        self.pending_unique.append(len(unique))
        self.pending_lengths.append(len(terms))
        if self.with_positions:
            self.pending_fwd_tids.extend(tids)
            self.pending_fwd_pos.extend(positions)

    def refresh(self, max_doc: int, live: np.ndarray, dirty_deletes: bool) -> InvertedField:
        """Build the next immutable snapshot from the previous one plus the pending documents."""
        prev = self.snapshot or InvertedField.empty(self.name, 0, self.with_norms, self.with_positions)
        if not self.pending_docs and not dirty_deletes and prev.max_doc == max_doc:
            return prev
        pending = _Pending(
            docs=np.array(self.pending_docs, dtype=np.int32),
            unique=np.array(self.pending_unique, dtype=np.int64),
            lengths=np.array(self.pending_lengths, dtype=np.int64),
            tids=np.array(self.pending_tids, dtype=np.int32),
            tfs=np.array(self.pending_tfs, dtype=np.int32),
            fwd_tids=np.array(self.pending_fwd_tids, dtype=np.int32),
            fwd_pos=np.array(self.pending_fwd_pos, dtype=np.int32),
        )
        for name in (
            "pending_docs",
            "pending_unique",
            "pending_lengths",
            "pending_tids",
            "pending_tfs",
            "pending_fwd_tids",
            "pending_fwd_pos",
        ):
            setattr(self, name, [])
        self.snapshot = _merge(
            prev, pending, self.terms, max_doc, live, self.with_norms, self.with_positions, bool(self.with_freqs)
        )
        return self.snapshot


def _grow(arr: np.ndarray, size: int, fill: int | bool = 0) -> np.ndarray:
    out = np.full(size, fill, dtype=arr.dtype)
    out[: min(arr.size, size)] = arr[:size]
    return out


def _merge(
    prev: InvertedField,
    pending: _Pending,
    vocab: dict[str, int],
    max_doc: int,
    live: np.ndarray,
    with_norms: bool,
    with_positions: bool,
    with_freqs: bool = False,
) -> InvertedField:
    n_terms = len(vocab)
    # Old postings as (tid, doc, freq) triples, dropping deleted documents.
    old_tids = np.repeat(np.arange(prev.offsets.size - 1, dtype=np.int32), np.diff(prev.offsets))
    old_docs, old_freqs = prev.docs, prev.freqs
    if old_docs.size and not live[old_docs].all():
        keep = live[old_docs]
        old_tids, old_docs, old_freqs = old_tids[keep], old_docs[keep], old_freqs[keep]

    new_docs = np.repeat(pending.docs, pending.unique)
    new_tids, new_freqs = pending.tids, pending.tfs
    if new_docs.size and not live[new_docs].all():
        keep = live[new_docs]
        new_tids, new_docs, new_freqs = new_tids[keep], new_docs[keep], new_freqs[keep]

    all_tids = np.concatenate([old_tids, new_tids])
    order = np.argsort(all_tids, kind="stable")
    docs = np.concatenate([old_docs, new_docs])[order]
    freqs = np.concatenate([old_freqs, new_freqs])[order]
    offsets = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(all_tids, minlength=n_terms), out=offsets[1:])

    has_value = _grow(prev.has_value, max_doc, False)
    has_value[pending.docs] = pending.unique > 0
    has_value &= live[:max_doc]
    norms = None
    if with_norms:
        norms = _grow(prev.norms, max_doc) if prev.norms is not None else np.zeros(max_doc, dtype=np.uint8)
        norms[pending.docs] = encode_lengths(pending.lengths)

    fwd_offsets, fwd_tids, fwd_pos = _merge_forward(prev, pending, max_doc, with_positions)

    # Statistics over live documents only.
    doc_count = int(has_value.sum())
    sum_doc_freq = int(docs.size)
    sum_total = int(freqs.sum(dtype=np.int64)) if with_norms or with_freqs else sum_doc_freq
    return InvertedField(
        name=prev.name,
        max_doc=max_doc,
        terms=vocab.copy(),
        offsets=offsets,
        docs=docs,
        freqs=freqs,
        norms=norms,
        has_value=has_value,
        fwd_offsets=fwd_offsets,
        fwd_tids=fwd_tids,
        fwd_pos=fwd_pos,
        doc_count=doc_count,
        sum_total_term_freq=sum_total,
        sum_doc_freq=sum_doc_freq,
    )


def _merge_forward(
    prev: InvertedField, pending: _Pending, max_doc: int, with_positions: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Append pending documents' token streams to the forward index (deleted docs stay: harmless).

    Pending docs are all newer than the previous snapshot and arrive in doc order, so their streams
    simply follow the old ones.
    """
    if not with_positions:
        return _EMPTY_I64, _EMPTY_I32, _EMPTY_I32
    counts = np.zeros(max_doc, dtype=np.int64)
    if prev.max_doc:
        counts[: prev.max_doc] = np.diff(prev.fwd_offsets)
    counts[pending.docs] = pending.lengths
    offsets = np.zeros(max_doc + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if pending.docs.size == 0:
        return offsets, prev.fwd_tids, prev.fwd_pos
    return (offsets, np.concatenate([prev.fwd_tids, pending.fwd_tids]), np.concatenate([prev.fwd_pos, pending.fwd_pos]))
