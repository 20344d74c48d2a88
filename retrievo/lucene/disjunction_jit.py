"""The numba-compiled loops of :mod:`retrievo.lucene.disjunction_kernel` (imported only when numba is
installed and a search first needs them: importing numba costs most of a second).

Every operation is the scorer's own: float32 products and quotients in Lucene's order, float64 sums in
clause order, one rounding to float32 per document.

The documents a query touches are marked in a bitmap (one bit a document) rather than listed: reading
the marks back word by word yields them in doc-id order, so their sums are read in memory order, and the
probing cursors of MaxScore only move forward.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: float64 sums of the same clause scores in another order differ by far less than this factor.
MARGIN = 1.0 + 1e-12

#: A 64-bit word's lowest set bit, found by one multiplication (a de Bruijn sequence) and a table lookup.
_DE_BRUIJN_MUL = np.uint64(0x03F79D71B4CB0A89)
_DE_BRUIJN = np.zeros(64, dtype=np.int64)
for _i in range(64):
    _DE_BRUIJN[(((1 << _i) * int(_DE_BRUIJN_MUL)) & 0xFFFF_FFFF_FFFF_FFFF) >> 58] = _i


@njit(cache=True, nogil=True)
def _score(docs, freqs, norms, cache, scores, use_scores, weight, p):  # type: ignore[no-untyped-def]
    """Posting ``p``'s score: the cached one, or ``w - w / (1 + freq * cache[norm])`` in float32."""
    if use_scores:
        return scores[p]
    return weight - weight / (np.float32(1.0) + np.float32(freqs[p]) * cache[norms[docs[p]]])


@njit(cache=True, nogil=True)
def _push(k, m, d, s, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """Offer (``d``, ``s``) to the heap of the best ``m`` <= ``k`` hits, whose root is the worst kept one
    (lower score, or equal score and higher doc id). Returns the heap's new size."""
    if m < k:
        j = m
        while j > 0:
            up = (j - 1) >> 1
            if s < out_scores[up] or (s == out_scores[up] and d > out_docs[up]):
                out_scores[j] = out_scores[up]
                out_docs[j] = out_docs[up]
                j = up
            else:
                break
        out_scores[j] = s
        out_docs[j] = d
        return m + 1
    if not (s > out_scores[0] or (s == out_scores[0] and d < out_docs[0])):
        return m
    j = 0
    while True:
        c = 2 * j + 1
        if c >= m:
            break
        if c + 1 < m and (
            out_scores[c + 1] < out_scores[c] or (out_scores[c + 1] == out_scores[c] and out_docs[c + 1] > out_docs[c])
        ):
            c += 1
        if out_scores[c] < s or (out_scores[c] == s and out_docs[c] > d):
            out_scores[j] = out_scores[c]
            out_docs[j] = out_docs[c]
            j = c
        else:
            break
    out_scores[j] = s
    out_docs[j] = d
    return m


@njit(cache=True, nogil=True)
def _sort_heap(m, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """The heap's ``m`` hits put in rank order (score descending, then doc id ascending), in place: the
    worst kept hit, at the root, is swapped to the end, the root sifted down, and so on."""
    for end in range(m - 1, 0, -1):
        d, s = out_docs[end], out_scores[end]
        out_docs[end], out_scores[end] = out_docs[0], out_scores[0]
        j = 0
        while True:
            c = 2 * j + 1
            if c >= end:
                break
            if c + 1 < end and (
                out_scores[c + 1] < out_scores[c]
                or (out_scores[c + 1] == out_scores[c] and out_docs[c + 1] > out_docs[c])
            ):
                c += 1
            if out_scores[c] < s or (out_scores[c] == s and out_docs[c] > d):
                out_scores[j] = out_scores[c]
                out_docs[j] = out_docs[c]
                j = c
            else:
                break
        out_scores[j] = s
        out_docs[j] = d


@njit(cache=True, nogil=True)
def _lowest(bits):  # type: ignore[no-untyped-def]
    """The index of the lowest set bit of a non-zero word."""
    return _DE_BRUIJN[((bits & (~bits + np.uint64(1))) * _DE_BRUIJN_MUL) >> np.uint64(58)]


@njit(cache=True, nogil=True)
def _offer_marked(k, m, first, last, acc, marks, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """The marked documents from ``first`` to ``last``, in doc-id order, offered to the heap of the best
    ``k`` (``m`` kept so far) by their sums rounded to float32; their marks and sums are zeroed.
    Returns (hits kept, documents read)."""
    count = 0
    root_s = out_scores[0] if m == k else np.float32(0.0)
    root_d = out_docs[0] if m == k else 0
    for w in range(first >> 6, (last >> 6) + 1):
        bits = marks[w]
        marks[w] = 0
        while bits != 0:
            d = (w << 6) | _lowest(bits)
            bits &= bits - np.uint64(1)
            count += 1
            s = np.float32(acc[d])
            acc[d] = 0.0
            if m == k and (s < root_s or (s == root_s and d > root_d)):
                continue  # cannot enter: the common case, decided without touching the heap
            m = _push(k, m, d, s, out_docs, out_scores)
            if m == k:
                root_s = out_scores[0]
                root_d = out_docs[0]
    return m, count


@njit(cache=True, nogil=True)
def sum_computed(  # type: ignore[no-untyped-def]
    docs, freqs, norms, cache, starts, ends, weights, span, acc, marks, k, out_docs, out_scores
):
    """Every posting's score, computed from its freq and norm byte, added to its document's float64 sum
    and its document marked, clause after clause within each doc-id span; after each span, its marked
    documents offered to the heap (:func:`_offer_marked`) while their sums are still in the CPU's cache.
    Returns (hits kept, left in rank order; documents touched)."""
    one = np.float32(1.0)
    at = starts.copy()
    m = 0
    touched = 0
    lo = 0
    while True:
        hi = lo + span
        more = False
        first = hi
        last = -1
        for t in range(starts.size):
            w = weights[t]
            p = at[t]
            end = ends[t]
            if p < end and docs[p] < first:
                first = docs[p]
            while p < end:
                d = docs[p]
                if d >= hi:
                    more = True
                    break
                s = w - w / (one + np.float32(freqs[p]) * cache[norms[d]])
                acc[d] += np.float64(s)
                marks[d >> 6] |= np.uint64(1) << np.uint64(d & 63)
                p += 1
            if p > at[t] and docs[p - 1] > last:
                last = docs[p - 1]
            at[t] = p
        if last >= 0:
            m, c = _offer_marked(k, m, first, last, acc, marks, out_docs, out_scores)
            touched += c
        if not more:
            _sort_heap(m, out_docs, out_scores)
            return m, touched
        lo = hi


@njit(cache=True, nogil=True)
def sum_cached(docs, scores, starts, ends, span, acc, marks, k, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """:func:`sum_computed` reading each posting's precomputed score."""
    at = starts.copy()
    m = 0
    touched = 0
    lo = 0
    while True:
        hi = lo + span
        more = False
        first = hi
        last = -1
        for t in range(starts.size):
            p = at[t]
            end = ends[t]
            if p < end and docs[p] < first:
                first = docs[p]
            while p < end:
                d = docs[p]
                if d >= hi:
                    more = True
                    break
                acc[d] += np.float64(scores[p])
                marks[d >> 6] |= np.uint64(1) << np.uint64(d & 63)
                p += 1
            if p > at[t] and docs[p - 1] > last:
                last = docs[p - 1]
            at[t] = p
        if last >= 0:
            m, c = _offer_marked(k, m, first, last, acc, marks, out_docs, out_scores)
            touched += c
        if not more:
            _sort_heap(m, out_docs, out_scores)
            return m, touched
        lo = hi


@njit(cache=True, nogil=True)
def largest_products(offsets, docs, freqs, norms, cache, tids, out):  # type: ignore[no-untyped-def]
    """``out[t]`` for each term ``t`` of ``tids`` whose entry is still NaN: its largest ``freq *
    cache[norm]`` over its postings."""
    for t in tids:
        if not np.isnan(out[t]):
            continue
        best = np.float32(0.0)
        for p in range(offsets[t], offsets[t + 1]):
            x = np.float32(freqs[p]) * cache[norms[docs[p]]]
            if x > best:
                best = x
        out[t] = best


@njit(cache=True, nogil=True)
def kth_best(docs, freqs, norms, cache, scores, use_scores, start, end, weight, k):  # type: ignore[no-untyped-def]
    """The ``k``-th best score of the postings ``start:end`` at ``weight`` (0 when there are fewer): a
    heap of the best ``k`` scores alone, whose root is the answer."""
    if end - start < k:
        return np.float32(0.0)
    heap = np.empty(k, dtype=np.float32)
    m = 0
    for p in range(start, end):
        s = _score(docs, freqs, norms, cache, scores, use_scores, weight, p)
        if m < k:
            j = m
            m += 1
            while j > 0 and heap[(j - 1) >> 1] > s:
                heap[j] = heap[(j - 1) >> 1]
                j = (j - 1) >> 1
            heap[j] = s
        elif s > heap[0]:
            j = 0
            while True:
                c = 2 * j + 1
                if c >= k:
                    break
                if c + 1 < k and heap[c + 1] < heap[c]:
                    c += 1
                if heap[c] >= s:
                    break
                heap[j] = heap[c]
                j = c
            heap[j] = s
    return heap[0]


@njit(cache=True, nogil=True)
def _advance(docs, p, end, target):  # type: ignore[no-untyped-def]
    """The first position from ``p`` (before ``end``) whose doc is at least ``target``: galloping, then a
    binary search, as a skip list would."""
    if p >= end or docs[p] >= target:
        return p
    lo = p  # docs[lo] < target
    step = 1
    hi = p + 1
    while hi < end and docs[hi] < target:
        lo = hi
        step *= 2
        hi = lo + step
    if hi > end:
        hi = end
    while lo + 1 < hi:  # docs[lo] < target; docs[hi] >= target or hi == end
        mid = (lo + hi) >> 1
        if docs[mid] < target:
            lo = mid
        else:
            hi = mid
    return hi


@njit(cache=True, nogil=True)
def _probe_marked(  # type: ignore[no-untyped-def]
    first, last, acc, marks, rest, rest_bounds, rest_bound, field, clauses, at, theta, k, m, out_docs, out_scores
):
    """MaxScore's probing of the marked documents from ``first`` to ``last`` (their partial sums over the
    essential clauses in ``acc``), in doc-id order: each document's bound -- its partial sum plus every
    non-essential bound (``rest_bound``) -- is tightened clause by clause over ``rest`` (a bound replaced by
    the posting's score, or by nothing), and the document dropped as soon as it falls below ``theta``, the
    k-th best score known. The rest are scored in full -- each clause's posting found by its forward cursor
    in ``at``, added in clause order as the evaluator adds them -- and offered to the heap, whose k-th best
    score then raises ``theta``. Marks and sums are zeroed. Returns (hits kept, ``theta``)."""
    docs, freqs, norms, cache, scores, use_scores = field
    starts, ends, weights = clauses
    for w in range(first >> 6, (last >> 6) + 1):
        bits = marks[w]
        marks[w] = 0
        while bits != 0:
            d = (w << 6) | _lowest(bits)
            bits &= bits - np.uint64(1)
            bound = acc[d] + rest_bound
            acc[d] = 0.0
            if np.float32(bound * MARGIN) < theta:
                continue
            for j in range(rest.size):
                t = rest[j]
                p = _advance(docs, at[t], ends[t], d)
                at[t] = p
                bound -= rest_bounds[j]
                if p < ends[t] and docs[p] == d:
                    bound += np.float64(_score(docs, freqs, norms, cache, scores, use_scores, weights[t], p))
                if np.float32(bound * MARGIN) < theta:
                    break
            if np.float32(bound * MARGIN) < theta:
                continue
            total = 0.0
            for t in range(starts.size):
                p = _advance(docs, at[t], ends[t], d)
                at[t] = p
                if p < ends[t] and docs[p] == d:
                    total += np.float64(_score(docs, freqs, norms, cache, scores, use_scores, weights[t], p))
            s = np.float32(total)
            if s < theta:
                continue
            m = _push(k, m, d, s, out_docs, out_scores)
            if m == k and out_scores[0] > theta:
                theta = out_scores[0]
    return m, theta


@njit(cache=True, nogil=True)
def max_score(field, clauses, essential, rest, rest_bounds, floor, span, acc, marks, k, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """MaxScore over a disjunction. ``field``: (docs, freqs, norms, cache, scores, use_scores);
    ``clauses``: (starts, ends, weights) in clause order; ``essential``: the clauses whose postings are
    summed, in clause order; ``rest``: the others, best bound first, with their bounds ``rest_bounds``;
    ``floor``: a lower bound of the k-th best score.

    Span by span (doc ids ``span`` at a time), the essential clauses' postings are added to their
    documents' float64 sums and their documents marked, then the span's marked documents are probed
    (:func:`_probe_marked`) while their sums are still in the CPU's cache; the probing cursors and the
    threshold carry over from span to span, since spans come in doc-id order. (Ranking the partial sums
    first, for a higher starting threshold, cost more than it saved.)
    Returns how many hits were kept, left in rank order; ``acc`` and ``marks`` are left zeroed."""
    docs, freqs, norms, cache, scores, use_scores = field
    starts, ends, weights = clauses
    theta = np.float32(floor)
    rest_bound = 0.0
    for j in range(rest.size):
        rest_bound += rest_bounds[j]
    summed = starts.copy()  # the essential clauses' summing cursors
    at = starts.copy()  # every clause's probing cursor
    m = 0
    lo = 0
    while True:
        hi = lo + span
        more = False
        first = hi
        last = -1
        for t in essential:
            w = weights[t]
            p = summed[t]
            end = ends[t]
            if p < end and docs[p] < first:
                first = docs[p]
            while p < end:
                d = docs[p]
                if d >= hi:
                    more = True
                    break
                acc[d] += np.float64(_score(docs, freqs, norms, cache, scores, use_scores, w, p))
                marks[d >> 6] |= np.uint64(1) << np.uint64(d & 63)
                p += 1
            if p > summed[t] and docs[p - 1] > last:
                last = docs[p - 1]
            summed[t] = p
        if last >= 0:
            m, theta = _probe_marked(
                first, last, acc, marks, rest, rest_bounds, rest_bound, field, clauses, at, theta, k, m,
                out_docs, out_scores,
            )  # fmt: skip
        if not more:
            break
        lo = hi
    _sort_heap(m, out_docs, out_scores)
    return m
