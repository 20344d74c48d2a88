"""A compiled top-k for a disjunction of terms on one field: every posting scored once, no Python per posting.

The numpy formulations in :mod:`retrievo.lucene.pruning` pay for temporaries -- concatenated postings,
a dense float64 sum, ``flatnonzero`` and a partition over the whole doc-id space -- on every query. With
numba (the compiler bm25s uses for its fastest backend) one pass does it all, term at a time as Lucene's
``BooleanScorer`` does for pure disjunctions:

1. each posting's BM25 score is computed from its freq and its document's norm byte with the scorer's
   own float32 operations (``w - w / (1 + freq * cache[norm])``), so it is bit-identical to
   :func:`retrievo.index.bm25.score`;
2. it is added to its document's float64 sum in clause order (the evaluator's disjunction sum), and a
   document seen for the first time is appended to a list of touched documents;
3. the touched documents' sums, rounded once to float32, go through a k-sized heap ordered by score
   descending then doc id ascending (the top docs' tie order), and the sums are zeroed again so the
   scratch arrays can serve the next query without clearing ``max_doc`` entries.

The sums write every posting's document into the touched list and advance its end only for a new
document (no branch to mispredict), so the list has one slot more than the index has documents.

The union's size (``hits.total``) is the number of touched documents, counted for free.

On large indices, when ``hits.total`` needs no exact count, :func:`top_k_max_score` reads less: with a
lower bound of the k-th best score known (the rarest clause's own k-th best), the clauses whose best
scores add up below it are not summed, and only the touched documents that can still reach it are scored
in full (MaxScore, as Lucene's ``MaxScoreBulkScorer`` skips non-essential clauses).

numba is an optional dependency: without it (or with ``ENABLED`` switched off) the numpy path runs, with
the same results.
"""

from __future__ import annotations

import functools
import os
import threading
from types import ModuleType
from typing import NamedTuple

import numpy as np

#: Read at call time, so the numpy path can be chosen (tests run both); ``RETRIEVO_NUMBA=0`` disables the
#: kernel for a process.
ENABLED = os.environ.get("RETRIEVO_NUMBA", "1") != "0"

#: Indices below this many documents keep the numpy path: it answers them in tens of microseconds, and
#: the first compiled search of a process pays about a second to import numba and load the kernels.
MIN_DOCS = 50_000

#: Documents summed at a time: every clause's postings in one doc-id span are added before the next span,
#: so the span's sums (8 bytes a document) stay in the CPU's cache while each clause adds to them.
SPAN = 1 << 15


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
    """Per-thread sums and touched-document buffers, kept zeroed between queries (the kernel clears the
    entries it used), so a query costs its postings, not the index's size."""

    def __init__(self) -> None:
        self.acc = np.zeros(0, dtype=np.float64)
        self.touched = np.zeros(0, dtype=np.int32)

    def sized(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self.acc.size < n:
            self.acc = np.zeros(n, dtype=np.float64)
            self.touched = np.zeros(n + 1, dtype=np.int32)  # one spare slot: the sums write ahead
        return self.acc, self.touched


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

    def subset(self, chosen: np.ndarray) -> ClauseRanges:
        return ClauseRanges(self.starts[chosen], self.ends[chosen], self.weights[chosen])


def top_k(field: FieldArrays, clauses: ClauseRanges, max_doc: int, k: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(docs, scores, union size): the best ``k`` documents of the clauses' postings, score descending then
    doc id ascending."""
    jit = _jit()
    assert jit is not None
    acc, touched = _SCRATCH.sized(max_doc)
    nt = _sum(jit, field, clauses, acc, touched)
    out_docs, out_scores = np.empty(k, dtype=np.int32), np.empty(k, dtype=np.float32)
    m = jit.select(k, nt, acc, touched, out_docs, out_scores)
    return (*_ordered(out_docs[:m], out_scores[:m]), nt)


def top_k_max_score(
    field: FieldArrays, clauses: ClauseRanges, bounds: np.ndarray, floor: np.float32, max_doc: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(docs, scores): what :func:`top_k` ranks first, found with MaxScore, for searches whose
    ``hits.total`` needs no count of the matches. ``bounds``: each clause's best score; ``floor``: a lower
    bound of the k-th best score (0 when none is known).

    The clauses, weakest bound first, whose bounds add up below ``floor`` are non-essential: a document
    matching only those cannot enter the top k. The essential clauses' postings are summed as :func:`top_k`
    sums them; a touched document is then scored in full only if its partial sum plus the non-essential
    bounds can still reach the k-th best score known so far (``disjunction_jit.select_probing``)."""
    jit = _jit()
    assert jit is not None
    order = np.argsort(bounds, kind="stable")
    prefix = np.cumsum(bounds[order])
    rest = int(np.count_nonzero((prefix * jit.MARGIN).astype(np.float32) < floor))
    if rest == 0:  # every clause is essential
        return top_k(field, clauses, max_doc, k)[:2]
    essential = np.sort(order[rest:])  # clause order: the partial sums add in the evaluator's order
    acc, touched = _SCRATCH.sized(max_doc)
    nt = _sum(jit, field, clauses.subset(essential), acc, touched)
    scores, use_scores = (field.cached, True) if field.cached is not None else (_NO_SCORES, False)
    out_docs, out_scores = np.empty(k, dtype=np.int32), np.empty(k, dtype=np.float32)
    m = jit.select_probing(
        k, nt, acc, touched, float(prefix[rest - 1]), floor, field.docs, field.freqs, field.norms, field.cache,
        scores, use_scores, clauses.starts, clauses.ends, clauses.weights, out_docs, out_scores,
    )  # fmt: skip
    return _ordered(out_docs[:m], out_scores[:m])


_NO_SCORES = np.zeros(0, dtype=np.float32)


def _sum(jit: ModuleType, field: FieldArrays, clauses: ClauseRanges, acc: np.ndarray, touched: np.ndarray) -> int:
    """The clauses' postings summed per document into ``acc`` (two loops: a flag inside one costs more)."""
    starts, ends, weights = clauses
    if field.cached is not None:
        return int(jit.sum_cached(field.docs, field.cached, starts, ends, SPAN, acc, touched))
    return int(
        jit.sum_computed(field.docs, field.freqs, field.norms, field.cache, starts, ends, weights, SPAN, acc, touched)
    )


def _ordered(docs: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score descending, then doc id ascending."""
    order = np.lexsort((docs, -scores.astype(np.float64)))
    return docs[order], scores[order]
