"""The numba-compiled loops of :mod:`retrievo.lucene.disjunction_kernel` (imported only when numba is
installed and a search first needs them: importing numba costs most of a second).

Every operation is the scorer's own: float32 products and quotients in Lucene's order, float64 sums in
clause order, one rounding to float32 per document.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: float64 sums of the same clause scores in another order differ by far less than this factor.
MARGIN = 1.0 + 1e-12


@njit(cache=True, nogil=True)
def _score(docs, freqs, norms, cache, scores, use_scores, weight, p):  # type: ignore[no-untyped-def]
    """Posting ``p``'s score: the cached one, or ``w - w / (1 + freq * cache[norm])`` in float32."""
    if use_scores:
        return scores[p]
    return weight - weight / (np.float32(1.0) + np.float32(freqs[p]) * cache[norms[docs[p]]])


@njit(cache=True, nogil=True)
def sum_computed(docs, freqs, norms, cache, starts, ends, weights, span, acc, touched):  # type: ignore[no-untyped-def]
    """Every posting's score, computed from its freq and norm byte, added to its document's float64 sum,
    clause after clause within each doc-id span; the touched documents listed once each. Returns how
    many were touched."""
    one = np.float32(1.0)
    at = starts.copy()
    nt = 0
    lo = 0
    while True:
        hi = lo + span
        more = False
        for t in range(starts.size):
            w = weights[t]
            p = at[t]
            end = ends[t]
            while p < end:
                d = docs[p]
                if d >= hi:
                    more = True
                    break
                s = w - w / (one + np.float32(freqs[p]) * cache[norms[d]])
                a = acc[d]
                touched[nt] = d  # kept only when the document is new: branch-free
                nt += a == 0.0
                acc[d] = a + np.float64(s)
                p += 1
            at[t] = p
        if not more:
            return nt
        lo = hi


@njit(cache=True, nogil=True)
def sum_cached(docs, scores, starts, ends, span, acc, touched):  # type: ignore[no-untyped-def]
    """:func:`sum_computed` reading each posting's precomputed score."""
    at = starts.copy()
    nt = 0
    lo = 0
    while True:
        hi = lo + span
        more = False
        for t in range(starts.size):
            p = at[t]
            end = ends[t]
            while p < end:
                d = docs[p]
                if d >= hi:
                    more = True
                    break
                a = acc[d]
                touched[nt] = d
                nt += a == 0.0
                acc[d] = a + np.float64(scores[p])
                p += 1
            at[t] = p
        if not more:
            return nt
        lo = hi


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
def select(k, nt, acc, touched, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """The best ``k`` touched documents into ``out_*`` (a heap, unordered); their sums are zeroed.
    Returns how many were kept."""
    m = 0
    for i in range(nt):
        d = touched[i]
        s = np.float32(acc[d])
        acc[d] = 0.0
        m = _push(k, m, d, s, out_docs, out_scores)
    return m


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
def select_probing(  # type: ignore[no-untyped-def]
    k,
    nt,
    acc,
    touched,
    rest_bound,
    floor,
    docs,
    freqs,
    norms,
    cache,
    scores,
    use_scores,
    starts,
    ends,
    weights,
    out_docs,
    out_scores,
):
    """MaxScore's second half. ``acc`` holds the touched documents' sums over the essential clauses only;
    the other clauses' bounds add up to ``rest_bound``; ``floor`` is a lower bound of the k-th best score.

    1. The partial sums are lower bounds of the scores too, so their k-th best raises ``floor``.
    2. A document whose partial sum plus ``rest_bound`` stays below that cannot enter and is dropped.
    3. The others, in doc-id order, are scored in full -- each clause's posting found by a forward
       cursor, the scores added in clause order as the evaluator adds them -- and offered to the heap,
       whose k-th best score (when higher) drops more of the rest.
    Returns how many hits were kept."""
    theta = np.float32(floor)
    m = 0
    for i in range(nt):  # 1.
        d = touched[i]
        m = _push(k, m, d, np.float32(acc[d]), out_docs, out_scores)
    if m == k and out_scores[0] > theta:
        theta = out_scores[0]
    alive = np.empty(nt, dtype=np.int32)
    n_alive = 0
    for i in range(nt):  # 2.
        d = touched[i]
        partial = acc[d]
        acc[d] = 0.0
        if not np.float32((partial + rest_bound) * MARGIN) < theta:
            alive[n_alive] = d
            n_alive += 1
    alive = np.sort(alive[:n_alive])
    at = starts.copy()
    m = 0
    for i in range(n_alive):  # 3.
        d = alive[i]
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
    return m
