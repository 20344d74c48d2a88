"""The inverted index of one text or keyword field: postings, norms and positions.

A field has two halves. :class:`InvertedFieldWriter` collects analysed documents since the last
refresh in flat ``array`` buffers of C ints (cheap to append, 4 bytes an entry). ``refresh`` turns them
into an immutable :class:`InvertedField` — CSR postings (term → doc ids ascending, freqs), one norm byte
per document and a forward index of term ids (and positions, only where they are not 0 .. n-1) per
document for phrase matching — merged with the previous snapshot. Internal doc ids only grow, so the
previous snapshot's postings for a term always come before the new ones (``postings_merge``).

Statistics (``doc_count``, ``sum_total_term_freq``) count live documents only, as a force-merged
Lucene index would; this is a deliberate simplification of Lucene's behaviour with deletions, where
deleted documents keep counting until their segment merges.
"""

from __future__ import annotations

import struct
from array import array
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from retrievo.index import bm25
from retrievo.index.impacts import BlockImpacts, build_impacts
from retrievo.index.norms import byte4_to_int, encode_lengths
from retrievo.index.posting_views import (
    UNIT_SCORES_CACHE_LIMIT,
    NormInverseView,
    UnitScoresView,
    implicit_positions,
    positions_are_implicit,
)
from retrievo.index.postings_merge import merge_postings, queued_postings, token_postings

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
    freqs: np.ndarray  # uint8/uint16/int32[P]: the narrowest that holds them (postings_merge.freq_dtype)
    norms: np.ndarray | None  # uint8[max_doc]; None for fields without norms (keyword)
    has_value: np.ndarray  # bool[max_doc]: the document has at least one indexed token
    fwd_offsets: np.ndarray  # int64[max_doc + 1] into fwd_tids / fwd_pos (empty without positions)
    fwd_tids: np.ndarray  # int32[L]
    fwd_pos: np.ndarray  # int32[L], or empty when every document's positions are 0 .. n-1 (implicit)
    doc_count: int
    sum_total_term_freq: int
    sum_doc_freq: int
    #: A search's aggregated statistics (``dfs_query_then_fetch`` over several indices,
    #: ``index/dfs_statistics.py``): each term's document frequency over all of them, by this field's term
    #: id; ``doc_count`` and the sums above are then theirs too. ``None``: this field's own.
    dfs_doc_freqs: np.ndarray | None = None

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
    def doc_norm_inverse(self) -> NormInverseView:
        """``cache[norm byte]`` per posting entry's document, or ``cache[1]`` without norms: read through
        the norm bytes when indexed (4 bytes per posting are not worth keeping for one table lookup)."""
        return NormInverseView(self.docs, self.norms, self.norm_cache)

    @cached_property
    def idfs(self) -> np.ndarray:
        doc_freqs = np.diff(self.offsets) if self.dfs_doc_freqs is None else self.dfs_doc_freqs
        return bm25.idf_array(doc_freqs, self.doc_count)

    @cached_property
    def unit_scores(self) -> np.ndarray | UnitScoresView:
        """Every posting's BM25 score at boost 1 (bit-exact to Lucene): one array for small fields,
        computed per slice read for large ones (see :mod:`retrievo.index.posting_views`)."""
        if self.docs.size == 0:
            return np.zeros(0, dtype=np.float32)
        view = UnitScoresView(self.offsets, self.freqs, self.doc_norm_inverse, bm25.term_weights(self.idfs))
        return view.materialize() if self.docs.size <= UNIT_SCORES_CACHE_LIMIT else view

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
        """The term's document frequency as scores read it (a search's aggregated one under ``dfs_doc_freqs``)."""
        if self.dfs_doc_freqs is not None:
            return int(self.dfs_doc_freqs[tid])
        return int(self.offsets[tid + 1] - self.offsets[tid])

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[tid], self.offsets[tid + 1]
        return self.docs[lo:hi], self.freqs[lo:hi]

    def posting_slice(self, tid: int) -> slice:
        return slice(int(self.offsets[tid]), int(self.offsets[tid + 1]))

    def positions(self, doc: int) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, positions) of one document, in token order."""
        lo, hi = self.fwd_offsets[doc], self.fwd_offsets[doc + 1]
        if self.fwd_pos.size != self.fwd_tids.size:  # implicit positions
            return self.fwd_tids[lo:hi], np.arange(hi - lo, dtype=np.int32)
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
    unique: np.ndarray  # int64[D]: distinct terms of each doc (empty when ``from_tokens``)
    lengths: np.ndarray  # int64[D]: tokens of each doc
    tids: np.ndarray  # int32[sum(unique)]
    tfs: np.ndarray  # uint8 or int32[sum(unique)] (the writer's buffer)
    fwd_tids: np.ndarray  # int32[sum(lengths)] (empty without positions)
    fwd_pos: np.ndarray
    from_tokens: bool = False  # postings to count from fwd_tids (tids/tfs empty): _counts_at_refresh


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
    # Pending documents since the last refresh, as flat machine-int buffers (appending is cheap, 4 or 8
    # bytes an entry where a list of ints costs 8 + 28; one array each at refresh). A loaded writer may
    # hold lists: both append and extend alike. ``pending_fwd_pos`` stays empty while every pending
    # document's positions are 0 .. n-1 (implicit), and is filled in at the first one that is not.
    pending_docs: array | list[int] = field(default_factory=lambda: array("i"))
    # distinct terms per doc, for queued postings only: a batch counted at refresh (``_counts_at_refresh``)
    # leaves it empty, its has-a-value flags coming from ``pending_lengths`` (distinct terms > 0 iff tokens > 0)
    pending_unique: array | list[int] = field(default_factory=lambda: array("q"))
    pending_lengths: array | list[int] = field(default_factory=lambda: array("q"))  # tokens per doc
    pending_tids: array | list[int] = field(default_factory=lambda: array("i"))
    # one byte a count for counted fields until a count passes 255 (see ``_queue_counts``); 4 otherwise
    pending_tfs: array | list[int] = field(default_factory=lambda: array("i"))
    pending_fwd_tids: array | list[int] = field(default_factory=lambda: array("i"))
    pending_fwd_pos: array | list[int] = field(default_factory=lambda: array("i"))

    def __post_init__(self) -> None:
        if isinstance(self.pending_tfs, array) and not self.pending_tfs:
            self.pending_tfs = self._empty_tfs()

    def _empty_tfs(self) -> array:
        """Counted fields (text) queue token counts as bytes: a count above 255 is rare and widens the
        buffer (``_queue_counts``). Others keep C ints: their values are 1, except a sparse vector
        writer's encoded weights, which ``sparse_vectors.add_features`` appends directly."""
        return array("B" if self.with_norms or self.with_freqs else "i")

    def _counts_at_refresh(self) -> bool:
        """Whether this batch's postings are counted from the forward index's token ids at refresh
        (``postings_merge.token_postings``) rather than queued per document: a positional field with
        freqs keeps every token anyway. Not when the batch already queued postings (a writer loaded
        from a save made before this, whose pending postings came as lists)."""
        return self.with_positions and bool(self.with_norms or self.with_freqs) and not self.pending_tids

    def _queue_counts(self, counts: Collection[int]) -> None:
        tfs = self.pending_tfs
        before = len(tfs)
        try:
            tfs.extend(counts)
        except OverflowError:  # a count above 255 in a byte buffer: keep C ints from now on
            del tfs[before:]
            wide = array("i", np.asarray(tfs, dtype=np.int32).tobytes())
            wide.extend(counts)
            self.pending_tfs = wide

    def add(self, doc: int, terms: list[str], positions: list[int]) -> None:
        """Add one document's tokens (all values of the field, positions already offset).

        Tokens become term ids in one C-level ``map`` over the vocabulary (new terms numbered by
        :class:`_Vocab`), and ids are counted rather than strings: the per-token work stays in C."""
        vocab = self.terms
        if type(vocab) is not _Vocab:
            vocab = self.terms = _Vocab(vocab)
        tids = list(map(vocab.__getitem__, terms))
        if not self._counts_at_refresh():  # counted at refresh: no per-document count (``pending_unique``)
            if self.with_norms or self.with_freqs:
                counts = Counter(tids)
                unique = list(counts)
                self._queue_counts(counts.values())
            else:
                unique = list(dict.fromkeys(tids))
                self.pending_tfs.extend([1] * len(unique))
            _extend_ints(self.pending_tids, unique)
            self.pending_unique.append(len(unique))
        self.pending_docs.append(doc)
        self.pending_lengths.append(len(terms))
        if self.with_positions:
            explicit = len(self.pending_fwd_pos) > 0
            if not explicit and not _implicit(positions if type(positions) is list else list(positions)):
                # the first stream with a gap or a stacked token: write out the implicit ones before it
                self.pending_fwd_pos = array("i", _pending_implicit(self.pending_lengths[:-1]).tobytes())
                explicit = True
            _extend_ints(self.pending_fwd_tids, tids)
            if explicit:
                self.pending_fwd_pos.extend(positions)

    def refresh(self, max_doc: int, live: np.ndarray, dirty_deletes: bool) -> InvertedField:
        """Build the next immutable snapshot from the previous one plus the pending documents."""
        prev = self.snapshot or InvertedField.empty(self.name, 0, self.with_norms, self.with_positions)
        if not self.pending_docs and not dirty_deletes and prev.max_doc == max_doc:
            return prev
        pending = _Pending(
            docs=_as_array(self.pending_docs, np.int32),
            unique=_as_array(self.pending_unique, np.int64),
            lengths=_as_array(self.pending_lengths, np.int64),
            tids=_as_array(self.pending_tids, np.int32),
            tfs=_as_array(self.pending_tfs, np.uint8 if _is_bytes(self.pending_tfs) else np.int32),
            fwd_tids=_as_array(self.pending_fwd_tids, np.int32),
            fwd_pos=_as_array(self.pending_fwd_pos, np.int32),
            from_tokens=self._counts_at_refresh(),
        )
        for name, code in _PENDING_BUFFERS:
            setattr(self, name, array(code))
        self.pending_tfs = self._empty_tfs()
        self.snapshot = _merge(
            prev, pending, self.terms, max_doc, live, self.with_norms, self.with_positions, bool(self.with_freqs)
        )
        return self.snapshot


_PENDING_BUFFERS = (
    ("pending_docs", "i"),
    ("pending_unique", "q"),
    ("pending_lengths", "q"),
    ("pending_tids", "i"),
    ("pending_tfs", "i"),
    ("pending_fwd_tids", "i"),
    ("pending_fwd_pos", "i"),
)


class _IntPackers(dict[int, struct.Struct]):
    """``n`` -> the ``struct`` packing ``n`` C ints (built once per length)."""

    def __missing__(self, n: int) -> struct.Struct:
        packer = self[n] = struct.Struct(f"{n}i")
        return packer


_INT_PACKERS = _IntPackers()
#: Longer lists are converted by numpy instead (one packer per length would pile up).
_PACKED_UP_TO = 4096


def _extend_ints(buffer: array | list[int], values: list[int]) -> None:
    """``buffer.extend(values)`` for a C-int ``array``, about 3x faster: ``array.extend`` converts a
    list item by item through the generic sequence protocol, ``struct`` packs it in one C loop and
    ``frombytes`` copies the bytes. A list buffer (a writer loaded from disk) just extends."""
    if type(buffer) is array and buffer.typecode == "i":
        n = len(values)
        if n <= _PACKED_UP_TO:
            buffer.frombytes(_INT_PACKERS[n].pack(*values))
        else:
            buffer.frombytes(np.asarray(values, dtype=np.int32).tobytes())
    else:
        buffer.extend(values)


#: ``list(range(n))`` for every ``n`` up to its length: a slice of it is the implicit positions of ``n``
#: tokens without building a new int object per position. Grown on demand (``_implicit``).
_POSITIONS: list[int] = list(range(1024))


def _implicit(positions: list[int]) -> bool:
    """Whether ``positions`` are ``0 .. n-1`` (one token a position, no gaps): compared in C with a
    slice of one shared list instead of a fresh ``list(range(n))`` per document."""
    global _POSITIONS
    n = len(positions)
    if n > len(_POSITIONS):  # replaced, never extended in place: another thread may be reading it
        _POSITIONS = list(range(max(n, 2 * len(_POSITIONS))))
    return positions == _POSITIONS[:n]


def _is_bytes(buffer: array | list[int]) -> bool:
    return isinstance(buffer, array) and buffer.typecode == "B"


def _as_array(buffer: array | list[int], dtype: type) -> np.ndarray:
    """A pending buffer as an array: a view of an ``array`` buffer (no copy: the writer drops the
    buffer right after), a copy of a list (a writer loaded from disk)."""
    if isinstance(buffer, array) and buffer.itemsize == np.dtype(dtype).itemsize and len(buffer):
        return np.frombuffer(buffer, dtype=dtype)
    return np.array(buffer, dtype=dtype)


def _pending_implicit(lengths: array | list[int]) -> np.ndarray:
    """The implicit positions of pending documents of ``lengths`` tokens, written out."""
    n = np.asarray(lengths, dtype=np.int64)
    offsets = np.zeros(n.size + 1, dtype=np.int64)
    np.cumsum(n, out=offsets[1:])
    return implicit_positions(offsets)


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
    if pending.from_tokens:
        new_postings = token_postings(pending.docs, pending.lengths, pending.fwd_tids, len(vocab), live)
    else:
        new_postings = queued_postings(pending.docs, pending.unique, pending.tids, pending.tfs, live)
    offsets, docs, freqs = merge_postings(prev.offsets, prev.docs, prev.freqs, new_postings, len(vocab), live)

    has_value = _grow(prev.has_value, max_doc, False)
    has_value[pending.docs] = (pending.lengths if pending.from_tokens else pending.unique) > 0
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
    tids = np.concatenate([prev.fwd_tids, pending.fwd_tids]) if prev.fwd_tids.size else pending.fwd_tids
    prev_implicit = prev.fwd_pos.size != prev.fwd_tids.size or prev.fwd_tids.size == 0
    new_pos = pending.fwd_pos
    if new_pos.size != pending.fwd_tids.size:  # the writer kept them implicit
        if prev_implicit:
            return offsets, tids, _EMPTY_I32
        new_pos = _pending_implicit(pending.lengths.tolist())
    elif prev_implicit and positions_are_implicit(pending.lengths, new_pos):
        return offsets, tids, _EMPTY_I32
    old_pos = prev.fwd_pos if not prev_implicit else implicit_positions(prev.fwd_offsets)
    return offsets, tids, np.concatenate([old_pos, new_pos])
