"""A compiled top-k for a disjunction of terms on one field: every posting scored once, no Python per posting.

The numpy formulations in :mod:`retrievo.lucene.pruning` pay for temporaries -- concatenated postings,
a dense float64 sum, ``flatnonzero`` and a partition over the whole doc-id space -- on every query. With
numba (the compiler bm25s uses for its fastest backend) one pass does it all, term at a time as Lucene's
``BooleanScorer`` does for pure disjunctions:

1. each posting's BM25 score is computed from its freq and its document's norm byte with the scorer's
   own float32 operations (``w - w / (1 + freq * cache[norm])``), so it is bit-identical to
   :func:`retrievo.index.bm25.score`;
2. it is added to its document's float64 sum in clause order (the evaluator's disjunction sum), and a
   document seen for the first time in its doc-id span (:data:`SPAN`) is appended to the span's list;
3. after each span, its listed documents -- their sums still in the CPU's cache -- have their sums
   rounded once to float32 and offered to a k-sized heap ordered by score descending then doc id
   ascending (the top docs' tie order); the sums are zeroed again, so the scratch arrays serve the next
   query without clearing anything.

The sums write every posting's document into the list and advance its end only for a new document (no
branch to mispredict), so the list has one slot more than a span has documents. The union's size
(``hits.total``) is the lists' total length, counted for free.

On large indices, when ``hits.total`` needs no exact count, :func:`top_k_max_score` reads less: with a
lower bound of the k-th best score known (the rarest clause's own k-th best), the clauses whose best
scores add up below it are not summed, and only the touched documents that can still reach it are scored
in full (MaxScore, as Lucene's ``MaxScoreBulkScorer`` skips non-essential clauses); each term's best score
comes from its largest ``freq * cache[norm]``, found once per term and field snapshot, a frequent
term's bound per 128-document block likewise (:class:`_BlockRows`), which drops most touched documents
before their non-essential clauses' postings are searched, and a frequent term's ``k`` largest products
too (:class:`_TopProducts`), which give the rarest clause's k-th best score without reading its postings.

numba is an optional dependency: without it (or with ``ENABLED`` switched off) the numpy path runs, with
the same results.
"""

from __future__ import annotations

import functools
import os
import threading
import weakref
from types import ModuleType
from typing import NamedTuple

import numpy as np

from retrievo.index.bm25 import LEGACY_BOOST
from retrievo.index.inverted import InvertedField

#: Read at call time, so the numpy path can be chosen (tests run both); ``RETRIEVO_NUMBA=0`` disables the
#: kernel for a process.
ENABLED = os.environ.get("RETRIEVO_NUMBA", "1") != "0"

#: Indices below this many documents keep the numpy path: it answers them in tens of microseconds, and
#: the first compiled search of a process pays about half a second to import numba and load the kernels
#: (five seconds the very first time, when they compile).
MIN_DOCS = 50_000

#: Documents summed at a time: every clause's postings in one doc-id span are added before the next span,
#: into one span's worth of sums (8 bytes a document), which stay in the CPU's cache while each clause adds
#: to them, while they are read back, and from span to span. At most 65,536: MaxScore sorts a span's
#: documents by two byte-wide radix passes.
SPAN = 1 << 14

#: log2 of the doc-id blocks of MaxScore's block-max bounds: 128 documents, Lucene's postings block size.
#: On the 1M set, MaxScore calls took 257 µs with 128-document blocks, 249 with 64, 264 with 256 and 320
#: without block bounds; 128 keeps a term's row at 4 bytes per 128 documents.
BLOCK_SHIFT = 7


@functools.cache
def _jit() -> ModuleType | None:
    """The compiled loops, or ``None`` without numba (an optional dependency: the ``speed`` extra) or
    where numba finds no writable place for its on-disk cache (it raises ``RuntimeError`` then)."""
    try:
        from retrievo.lucene import disjunction_jit
    except (ImportError, RuntimeError):  # pragma: no cover - exercised where numba is absent
        return None
    return disjunction_jit


def available() -> bool:
    """Whether the compiled path runs (numba importable, its kernels loadable, not switched off)."""
    return ENABLED and _jit() is not None


class _Scratch(threading.local):
    """Per-thread span sums and span lists, kept zeroed between queries (the kernels clear the entries
    they used), so a query costs its postings, not the index's size."""

    def __init__(self) -> None:
        self.acc = np.zeros(0, dtype=np.float64)
        self.touched = np.zeros(0, dtype=np.int32)
        self.buf = np.zeros(0, dtype=np.int32)
        self.room = np.zeros(0, dtype=np.float64)

    def sized(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(a span's sums, its list with one spare slot -- the sums write ahead --, a buffer for sorting
        it, one float64 per listed document for MaxScore's bounds)."""
        if self.acc.size < SPAN:
            self.acc = np.zeros(SPAN, dtype=np.float64)
            self.touched = np.zeros(SPAN + 1, dtype=np.int32)
            self.buf = np.zeros(SPAN, dtype=np.int32)
            self.room = np.zeros(SPAN + 1, dtype=np.float64)
        return self.acc, self.touched, self.buf, self.room


_SCRATCH = _Scratch()


class FieldArrays(NamedTuple):
    """What the kernels read of one field: postings, freqs, norm bytes, BM25's norm cache, and every
    posting's boost-1 score when the field keeps them and every clause is at boost 1 (else ``None``)."""

    docs: np.ndarray
    freqs: np.ndarray
    norms: np.ndarray
    cache: np.ndarray
    cached: np.ndarray | None


class ClauseRanges(NamedTuple):
    """The clauses, in clause order: postings ``starts[t]:ends[t]`` scored at ``weights[t]`` (positive)."""

    starts: np.ndarray
    ends: np.ndarray
    weights: np.ndarray


class _Heap(NamedTuple):
    """The best ``k`` hits found so far, as a heap whose root is the worst kept one (until the kernel
    sorts it)."""

    docs: np.ndarray
    scores: np.ndarray

    @classmethod
    def of(cls, k: int) -> _Heap:
        return cls(np.empty(k, dtype=np.int32), np.empty(k, dtype=np.float32))

    def ordered(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``m`` kept hits, once the kernel has put them in rank order (score descending, then doc id
        ascending)."""
        return self.docs[:m], self.scores[:m]


def clause_ranges(
    inv: InvertedField, tids: list[int], boosts: list[float], least: np.float32
) -> tuple[ClauseRanges, bool, bool]:
    """The clauses on terms ``tids`` of ``inv`` at ``boosts``: their postings and BM25 weights, whether
    every posting scores above 0 (``least``: the field's smallest ``normInverse``) and whether every
    boost is 1 -- one compiled call, where numpy took a dozen."""
    jit = _jit()
    assert jit is not None
    n = len(tids)
    ranges = ClauseRanges(np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.float32))
    positive, unit = jit.clause_ranges(
        inv.offsets, inv.idfs, LEGACY_BOOST, np.array(tids, dtype=np.int64), np.array(boosts, dtype=np.float32),
        least, ranges.starts, ranges.ends, ranges.weights,
    )  # fmt: skip
    return ranges, bool(positive), bool(unit)


def top_k(
    field: FieldArrays, clauses: ClauseRanges, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """(docs, scores, union size): the best ``k`` documents of the clauses' postings, score descending then
    doc id ascending; ``allowed`` (a boolean per document: a search's filters) keeps the others out of
    both."""
    jit = _jit()
    assert jit is not None
    acc, touched, _, _ = _SCRATCH.sized()
    heap = _Heap.of(k)
    m, union = jit.top_k(
        (field.docs, field.freqs, field.norms, field.cache, *_posting_scores(field)),
        (clauses.starts, clauses.ends, clauses.weights),
        SPAN, acc, touched, k, heap.docs, heap.scores, allowed,
    )  # fmt: skip
    return (*heap.ordered(m), int(union))


def top_k_max_score(
    field: FieldArrays, clauses: ClauseRanges, inv: InvertedField, tids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(docs, scores): what :func:`top_k` ranks first, found with MaxScore, for searches whose
    ``hits.total`` needs no count of the matches; ``tids``: the clauses' terms in ``inv``.

    The clauses, weakest bound first, whose bounds (their best scores) add up below the k-th best score
    known (at first the rarest clause's own k-th best score, when it has ``k`` postings) are
    non-essential: a document matching only those cannot enter the top k. The essential clauses' postings
    are summed as :func:`top_k` sums them; a touched document is then scored in full only if its partial
    sum plus the non-essential clauses' bounds (tightened one clause at a time) can still reach the k-th
    best score known. ``disjunction_jit.max_score`` does it all in one call (Python between the steps
    ran with caches the postings had just emptied), span by span while the sums are in the CPU's cache,
    re-dividing the clauses as the k-th best score rises. A frequent term's block-max bounds
    (:class:`_BlockRows`) let the probing drop most documents before looking them up in its postings."""
    jit = _jit()
    assert jit is not None and SPAN <= 1 << 16  # a span's documents are radix-sorted a byte at a time
    acc, touched, buf, room = _SCRATCH.sized()
    heap = _Heap.of(k)
    blocks = _block_rows(inv)
    m = jit.max_score(
        (field.docs, field.freqs, field.norms, field.cache, *_posting_scores(field)),
        (clauses.starts, clauses.ends, clauses.weights),
        (inv.offsets, _largest_products(inv), tids),
        (blocks.rows_of(inv, tids), blocks.table, BLOCK_SHIFT),
        _seed(inv, clauses, tids, k),
        SPAN, acc, touched, buf, room, k, heap.docs, heap.scores,
    )  # fmt: skip
    return heap.ordered(m)


def _seed(inv: InvertedField, clauses: ClauseRanges, tids: np.ndarray, k: int) -> tuple[int, np.ndarray, np.float32]:
    """MaxScore's seed: the rarest clause with at least ``k`` postings (the first such, -1 if none), the
    documents of its ``k`` largest products and the ``k``-th largest (``disjunction_jit.top_products``)."""
    rare = -1
    lengths = (clauses.ends - clauses.starts).tolist()  # a handful: a Python loop beats numpy's calls
    for i, length in enumerate(lengths):
        if length >= k and (rare < 0 or length < lengths[rare]):  # the first of the shortest
            rare = i
    if rare < 0:
        return -1, _NO_DOCS, np.float32(0.0)
    docs, product = _top_products(inv).of(inv, int(tids[rare]), k)
    return rare, docs, product


def term_bounds(inv: InvertedField, tids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The best score of each term ``tids[i]`` at ``weights[i]``, as :func:`top_k_max_score` bounds its
    clauses."""
    jit = _jit()
    assert jit is not None and inv.norms is not None
    table = _largest_products(inv)
    return jit.term_bounds(inv.offsets, inv.docs, inv.freqs, inv.norms, inv.norm_cache, table, tids, weights)


def _posting_scores(field: FieldArrays) -> tuple[np.ndarray, bool]:
    """What the compiled ``_score`` reads: the cached posting scores, or a placeholder and ``False``."""
    return (field.cached, True) if field.cached is not None else (_NO_SCORES, False)


_NO_SCORES = np.zeros(0, dtype=np.float32)


#: Per field snapshot, each term's largest ``freq * cache[norm]`` (NaN until a search needs it).
_LARGEST: weakref.WeakKeyDictionary[InvertedField, np.ndarray] = weakref.WeakKeyDictionary()


def _largest_products(inv: InvertedField) -> np.ndarray:
    """The field's table of each term's largest ``freq * cache[norm]``, filled as searches need them."""
    table = _LARGEST.get(inv)
    if table is None:
        table = _LARGEST.setdefault(inv, np.full(inv.offsets.size - 1, np.nan, dtype=np.float32))
    return table


class _BlockRows:
    """Per field snapshot, the block-max bounds of its frequent terms: one row per term with at least as
    many postings as the field has doc-id blocks (of :data:`BLOCK_SHIFT`), for each block a bound ``y`` of
    its postings' scores at any weight ``w`` (at most ``w * y``: ``disjunction_jit.fill_block_row``),
    filled the first time a search needs the term.

    These are the terms MaxScore leaves non-essential, whose postings its probing searches for every
    candidate document: a candidate whose bound, with each such term's block bound in place of its
    global one, falls below the k-th best score is dropped without that search (Lucene's block-max
    impacts serve the same purpose). A rare term has no row: its global bound is used, as before. The
    table is allocated zeroed for every frequent term at once, and the operating system commits a row's
    memory only when it is filled (31 KB a term at a million documents: measured on the 1M set, about 370
    rows after its 1,000 queries, ~12 MB)."""

    def __init__(self, inv: InvertedField) -> None:
        postings = np.diff(inv.offsets)
        n_blocks = ((max(inv.max_doc, 1) - 1) >> BLOCK_SHIFT) + 1
        frequent = postings >= n_blocks
        #: Each term's row: -1 until filled, -2 for a rare term (never).
        self._rows = np.where(frequent, -1, -2).astype(np.int64)
        self.table = np.zeros((max(int(np.count_nonzero(frequent)), 1), n_blocks), dtype=np.float32)
        self._used = 0
        self._lock = threading.Lock()

    def rows_of(self, inv: InvertedField, tids: np.ndarray) -> np.ndarray:
        """The rows of the terms ``tids`` (negative: none), filling those not yet filled. A row is
        published only once filled, so a search on another thread reads it whole or not at all."""
        rows = self._rows[tids]
        if not (rows == -1).any():
            return rows
        jit = _jit()
        assert jit is not None and inv.norms is not None
        with self._lock:
            for t in tids[rows == -1]:
                if self._rows[t] != -1:  # filled by another thread meanwhile
                    continue
                row = self._used
                jit.fill_block_row(
                    inv.docs, inv.freqs, inv.norms, inv.norm_cache,
                    inv.offsets[t], inv.offsets[t + 1], BLOCK_SHIFT, self.table[row],
                )  # fmt: skip
                self._used += 1
                self._rows[t] = row
        return self._rows[tids]


class _TopProducts:
    """Per field snapshot, terms' ``k`` largest products (``disjunction_jit.top_products``), kept for the
    terms with many postings: MaxScore starts every search from its rarest clause's ``k``-th best score,
    and finding it read every posting of that clause each time (a quarter of a MaxScore call on the 1M
    set). A term's products do not depend on the query's weights, so one search's answer serves the
    next. Kept for at most :data:`TOP_PRODUCTS_KEPT` (term, ``k``) pairs; then the table starts again."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], tuple[np.ndarray, np.float32]] = {}

    def of(self, inv: InvertedField, tid: int, k: int) -> tuple[np.ndarray, np.float32]:
        """(documents, ``k``-th largest product) of term ``tid``, which has at least ``k`` postings."""
        found = self._found.get((tid, k))
        if found is not None:
            return found
        jit = _jit()
        assert jit is not None and inv.norms is not None
        docs, products = np.empty(k, dtype=np.int32), np.empty(k, dtype=np.float32)
        start, end = inv.offsets[tid], inv.offsets[tid + 1]
        product = jit.top_products(inv.docs, inv.freqs, inv.norms, inv.norm_cache, start, end, k, docs, products)
        found = (docs, np.float32(product))
        if end - start >= TOP_PRODUCTS_MIN_POSTINGS:
            if len(self._found) >= TOP_PRODUCTS_KEPT:
                self._found = {}  # a dict swapped whole: a search reading the old one meanwhile is unaffected
            self._found[(tid, k)] = found
        return found


#: Terms with fewer postings find their largest products each time (a few microseconds at most).
TOP_PRODUCTS_MIN_POSTINGS = 256
#: (term, ``k``) pairs a field snapshot keeps (~100 bytes each, plus ``k`` documents).
TOP_PRODUCTS_KEPT = 1 << 16

_NO_DOCS = np.zeros(0, dtype=np.int32)
_TOP_PRODUCTS: weakref.WeakKeyDictionary[InvertedField, _TopProducts] = weakref.WeakKeyDictionary()


def _top_products(inv: InvertedField) -> _TopProducts:
    found = _TOP_PRODUCTS.get(inv)
    if found is None:
        found = _TOP_PRODUCTS.setdefault(inv, _TopProducts())
    return found


_BLOCK_ROWS: weakref.WeakKeyDictionary[InvertedField, _BlockRows] = weakref.WeakKeyDictionary()
_BLOCK_ROWS_LOCK = threading.Lock()


def _block_rows(inv: InvertedField) -> _BlockRows:
    found = _BLOCK_ROWS.get(inv)
    if found is None:
        with _BLOCK_ROWS_LOCK:  # one table per field snapshot, whichever thread asks first
            found = _BLOCK_ROWS.get(inv)
            if found is None:
                found = _BLOCK_ROWS[inv] = _BlockRows(inv)
    return found
