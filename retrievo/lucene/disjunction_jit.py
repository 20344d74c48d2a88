"""The numba-compiled loops of :mod:`retrievo.lucene.disjunction_kernel` (imported only when numba is
installed and a search first needs them: importing numba costs most of a second).

Every operation is the scorer's own: float32 products and quotients in Lucene's order, float64 sums in
clause order, one rounding to float32 per document.

The documents a query touches are listed per doc-id span, each once: every posting writes its document
at the list's end and moves the end on only when the document's sum was still zero, so no branch
depends on the data. MaxScore's probing wants them in doc-id order, which a two-pass radix sort of the
span's list gives without branches either (an insertion sort, when the list is short).
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
def _worse(s, d, s2, d2):  # type: ignore[no-untyped-def]
    """Whether hit (``d``, ``s``) ranks below (``d2``, ``s2``): a lower score, or an equal one and a higher
    doc id (the top docs' tie order)."""
    return s < s2 or (s == s2 and d > d2)


@njit(cache=True, nogil=True)
def _push(k, m, d, s, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """Offer (``d``, ``s``) to the heap of the best ``m`` <= ``k`` hits, whose root is the worst kept one
    (lower score, or equal score and higher doc id). Returns the heap's new size."""
    if m < k:
        j = m
        while j > 0:
            up = (j - 1) >> 1
            if _worse(s, d, out_scores[up], out_docs[up]):
                out_scores[j] = out_scores[up]
                out_docs[j] = out_docs[up]
                j = up
            else:
                break
        out_scores[j] = s
        out_docs[j] = d
        return m + 1
    if _worse(out_scores[0], out_docs[0], s, d):
        _sift_down(m, d, s, out_docs, out_scores)
    return m


@njit(cache=True, nogil=True)
def _sift_down(size, d, s, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """(``d``, ``s``) put in the root's place of the heap's first ``size`` entries and moved down past
    every worse child."""
    j = 0
    while True:
        c = 2 * j + 1
        if c >= size:
            break
        if c + 1 < size and _worse(out_scores[c + 1], out_docs[c + 1], out_scores[c], out_docs[c]):
            c += 1
        if _worse(out_scores[c], out_docs[c], s, d):
            out_scores[j] = out_scores[c]
            out_docs[j] = out_docs[c]
            j = c
        else:
            break
    out_scores[j] = s
    out_docs[j] = d


@njit(cache=True, nogil=True)
def _sort_heap(m, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """The heap's ``m`` hits put in rank order (score descending, then doc id ascending), in place: the
    worst kept hit, at the root, is swapped to the end, the root sifted down, and so on."""
    for end in range(m - 1, 0, -1):
        d, s = out_docs[end], out_scores[end]
        out_docs[end], out_scores[end] = out_docs[0], out_scores[0]
        _sift_down(end, d, s, out_docs, out_scores)


@njit(cache=True, nogil=True)
def _offer(k, m, nt, touched, acc, lo, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """The ``nt`` listed documents of the span from doc ``lo`` offered to the heap of the best ``k`` (``m``
    kept so far) by their sums rounded to float32; their sums are zeroed. Returns the hits kept."""
    root_s = out_scores[0] if m == k else np.float32(0.0)
    root_d = out_docs[0] if m == k else 0
    for i in range(nt):
        x = touched[i]
        d = lo + x
        s = np.float32(acc[x])
        acc[x] = 0.0
        if m == k and _worse(s, d, root_s, root_d):
            continue  # cannot enter: the common case, decided without touching the heap
        m = _push(k, m, d, s, out_docs, out_scores)
        if m == k:
            root_s = out_scores[0]
            root_d = out_docs[0]
    return m


@njit(cache=True, nogil=True)
def _sum_span(field, clauses, summing, at, lo, hi, acc, touched, allowed):  # type: ignore[no-untyped-def]
    """The postings from doc ``lo`` up to ``hi`` of the clauses marked in ``summing``, from their cursors
    ``at`` on, added to their documents' float64 sums in clause order (``acc`` holds the span's sums, by
    doc id minus ``lo``: it stays in the CPU's cache from span to span and query to query); each document
    new to the span listed once in ``touched``, as its offset from ``lo`` (every posting writes its
    document at the list's end, and only a document whose sum was still 0 moves the end on: no branch on
    the data). ``allowed``: ``None``, or a boolean per document (a search's filters): a document it
    excludes adds nothing and is never listed. Returns (documents listed, whether any clause has postings
    past ``hi``)."""
    docs, freqs, norms, cache, scores, use_scores = field
    starts, ends, weights = clauses
    nt = 0
    more = False
    for t in range(starts.size):
        if not summing[t]:
            continue
        w = weights[t]
        p = at[t]
        end = ends[t]
        while p < end:
            d = docs[p]
            if d >= hi:
                more = True
                break
            x = d - lo
            a = acc[x]
            touched[nt] = x
            score = np.float64(_score(docs, freqs, norms, cache, scores, use_scores, w, p))
            if allowed is None:  # compiled apart for each kind of argument: no test at run time
                nt += a == 0.0
                acc[x] = a + score
            else:
                ok = allowed[d]
                nt += (a == 0.0) & ok
                acc[x] = a + score * ok
            p += 1
        at[t] = p
    return nt, more


@njit(cache=True, nogil=True)
def top_k(field, clauses, span, acc, touched, k, out_docs, out_scores, allowed):  # type: ignore[no-untyped-def]
    """Every posting summed per document (:func:`_sum_span`; ``allowed``: ``None`` or the documents a
    search's filters let through), doc-id span by span; after each span, its documents offered to the
    heap (:func:`_offer`) while their sums are still in the CPU's cache.
    Returns (hits kept, left in rank order; documents touched)."""
    starts = clauses[0]
    summing = np.ones(starts.size, dtype=np.bool_)
    at = starts.copy()
    m = 0
    union = 0
    lo = 0
    while True:
        nt, more = _sum_span(field, clauses, summing, at, lo, lo + span, acc, touched, allowed)
        m = _offer(k, m, nt, touched, acc, lo, out_docs, out_scores)
        union += nt
        if not more:
            _sort_heap(m, out_docs, out_scores)
            return m, union
        lo += span


@njit(cache=True, nogil=True)
def clause_ranges(offsets, idfs, legacy, tids, boosts, least, starts, ends, weights):  # type: ignore[no-untyped-def]
    """Each clause's postings (``starts``, ``ends``) and BM25 weight (``weights``): ``boost * (1 + k1)``
    then times the idf, both rounded to float32 (``bm25.term_weight``). Returns (whether every posting
    scores above 0 -- ``w - w / (1 + least)`` is, ``least`` the field's smallest ``normInverse`` --,
    whether every boost is 1)."""
    one = np.float32(1.0)
    positive = True
    unit = True
    for i in range(tids.size):
        t = tids[i]
        starts[i] = offsets[t]
        ends[i] = offsets[t + 1]
        w = np.float32(np.float32(boosts[i] * legacy) * idfs[t])
        weights[i] = w
        positive = positive and w - w / (one + least) > 0
        unit = unit and boosts[i] == one
    return positive, unit


#: Lists at most this long are sorted by insertion (a few comparisons a document) rather than by the
#: radix sort, whose two passes over 256 counters cost more than a short list's whole sort.
INSERTION_MAX = 48


@njit(cache=True, nogil=True)
def _sort_listed(nt, touched, buf, counts):  # type: ignore[no-untyped-def]
    """``touched[:nt]`` (offsets below 65,536) sorted ascending in place: by insertion when short, else a
    stable counting pass on the low byte into ``buf``, then one on the high byte back."""
    if nt <= INSERTION_MAX:
        for i in range(1, nt):
            x = touched[i]
            j = i
            while j > 0 and touched[j - 1] > x:
                touched[j] = touched[j - 1]
                j -= 1
            touched[j] = x
        return
    for shift in (0, 8):
        src, dst = (touched, buf) if shift == 0 else (buf, touched)
        counts[:] = 0
        for i in range(nt):
            counts[(src[i] >> shift) & 255] += 1
        total = 0
        for b in range(256):
            c = counts[b]
            counts[b] = total
            total += c
        for i in range(nt):
            key = (src[i] >> shift) & 255
            dst[counts[key]] = src[i]
            counts[key] += 1


@njit(cache=True, nogil=True)
def term_bounds(offsets, docs, freqs, norms, cache, largest, tids, weights):  # type: ignore[no-untyped-def]
    """Each term ``tids[i]``'s best score at ``weights[i]`` (float64 of the float32 score): BM25's score
    grows with ``freq * cache[norm]``, rounding included, so it is the score of the term's largest such
    product. ``largest`` keeps each term's product once found (NaN until then)."""
    bounds = np.empty(tids.size, dtype=np.float64)
    one = np.float32(1.0)
    for i in range(tids.size):
        t = tids[i]
        if np.isnan(largest[t]):
            best = np.float32(0.0)
            for p in range(offsets[t], offsets[t + 1]):
                x = np.float32(freqs[p]) * cache[norms[docs[p]]]
                if x > best:
                    best = x
            largest[t] = best
        w = weights[i]
        bounds[i] = np.float64(w - w / (one + largest[t]))
    return bounds


#: What a block-max entry adds to ``x / (1 + x)``: more than the float32 scorer's rounding can add to a
#: score beyond ``w * x / (1 + x)`` (three roundings of at most 2**-24 of ``w`` each), and more than rounding
#: the entry itself to float32 takes away, so that ``w * entry`` bounds every score of the block from above.
BLOCK_SLACK = 2.0**-21


@njit(cache=True, nogil=True)
def fill_block_row(docs, freqs, norms, cache, start, end, shift, row):  # type: ignore[no-untyped-def]
    """``row[b]``: an upper bound of ``x / (1 + x)`` (see :data:`BLOCK_SLACK`) for the largest ``x = freq *
    cache[norm]`` of the postings ``start:end`` in doc-id block ``b`` (documents ``b << shift`` on), 0 where
    the block has none -- the term's block-max bounds, as :func:`term_bounds` takes its best score from its
    largest product. A score ``w - w / (1 + x)`` grows with ``x``, and is at most ``w * row[b]``: a bound
    costs one multiplication where the score costs a division."""
    row[:] = 0.0
    for p in range(start, end):
        b = docs[p] >> shift
        x = np.float32(freqs[p]) * cache[norms[docs[p]]]
        if x > row[b]:
            row[b] = x
    for b in range(row.size):
        x = np.float64(row[b])
        if x > 0.0:
            row[b] = np.float32(x / (1.0 + x) + BLOCK_SLACK)


@njit(cache=True, nogil=True)
def top_products(docs, freqs, norms, cache, start, end, k, out_docs, out_products):  # type: ignore[no-untyped-def]
    """The ``k`` postings of ``start:end`` (at least ``k``) with the largest ``freq * cache[norm]``: their
    documents into ``out_docs`` (in heap order) and the ``k``-th largest product returned. A term's score
    grows with its product whatever the weight, so at any weight these documents hold its best ``k``
    scores and the ``k``-th largest product gives its ``k``-th best score (:func:`max_score`'s first
    threshold)."""
    m = 0
    for p in range(start, end):
        m = _push(k, m, docs[p], np.float32(freqs[p]) * cache[norms[docs[p]]], out_docs, out_products)
    return out_products[0]


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
def _probe(  # type: ignore[no-untyped-def]
    nt, touched, acc, lo, order, rest, bounds, blocks, field, clauses, at, theta, k, m, out_docs, out_scores
):
    """MaxScore's probing of the ``nt`` listed documents of the span from doc ``lo``, in doc-id order
    (their partial sums over the essential clauses in ``acc``). The non-essential clauses are
    ``order[:rest]`` (weakest bound first). Each document's bound -- its partial sum plus every
    non-essential bound -- is tightened clause by clause, best bound first (a bound replaced by the
    posting's score, or by nothing), and the document dropped as soon as it falls below ``theta``, the
    k-th best score known. The rest are scored in full -- each clause's posting found by its forward cursor
    in ``at``, added in clause order as the evaluator adds them -- and offered to the heap, whose k-th best
    score then raises ``theta``. Sums are zeroed.
    ``blocks`` = (rows, table, shift, local, _): a clause ``t`` with ``rows[t] >= 0`` has block-max bounds
    (``table[rows[t]]``, per ``1 << shift`` doc ids, :func:`fill_block_row`); each such bound stands in
    for the clause's global one (``local`` holds the bound in force per non-essential clause) before and
    while the document's bound is tightened (:func:`_reachable` already dropped the documents it rules out).
    Returns (hits kept, ``theta``)."""
    docs, freqs, norms, cache, scores, use_scores = field
    starts, ends, weights = clauses
    rows, table, shift, local, _ = blocks
    rest_bound = 0.0
    for j in range(rest):
        rest_bound += bounds[order[j]]
    for i in range(nt):
        x = touched[i]
        d = lo + x
        bound = acc[x] + rest_bound
        acc[x] = 0.0
        if np.float32(bound * MARGIN) < theta:
            continue
        block = d >> shift
        for j in range(rest):
            t = order[j]
            local[j] = bounds[t]
            if rows[t] >= 0:
                local[j] = min(bounds[t], np.float64(weights[t]) * table[rows[t], block])
                bound += local[j] - bounds[t]
        if np.float32(bound * MARGIN) < theta:
            continue
        for j in range(rest - 1, -1, -1):
            t = order[j]
            p = _advance(docs, at[t], ends[t], d)
            at[t] = p
            bound -= local[j]
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
def _reachable(nt, touched, acc, lo, order, rest, bounds, blocks, weights, theta, room):  # type: ignore[no-untyped-def]
    """The listed documents whose partial sum plus every non-essential bound -- a clause's block-max
    bound where it has one (see :func:`_probe`) -- can still reach ``theta``, kept in place (the others'
    sums zeroed). The bounds are added clause by clause over the whole list (``room``: one float64 a
    listed document), each clause's row read in one sweep, rather than document by document. Returns how
    many are kept."""
    rows, table, shift, _, which = blocks
    global_bound = 0.0
    blocked = 0
    for j in range(rest):
        t = order[j]
        if rows[t] >= 0:
            which[blocked] = t
            blocked += 1
        else:
            global_bound += bounds[t]
    for i in range(nt):
        room[i] = acc[touched[i]] + global_bound
    for b in range(blocked):
        t = which[b]
        row = table[rows[t]]
        w = np.float64(weights[t])
        best = bounds[t]
        for i in range(nt):
            room[i] += min(best, w * row[(lo + touched[i]) >> shift])
    kept = 0
    for i in range(nt):  # no branch on the data
        x = touched[i]
        keep = not np.float32(room[i] * MARGIN) < theta
        touched[kept] = x
        kept += keep
        acc[x] = acc[x] if keep else 0.0
    return kept


@njit(cache=True, nogil=True)
def _non_essential(order, bounds, theta):  # type: ignore[no-untyped-def]
    """How many of the weakest clauses (``order``: weakest bound first) have bounds adding up below
    ``theta``: a document matching only those cannot reach it."""
    total = 0.0
    r = 0
    while r < order.size:
        total += bounds[order[r]]
        if not np.float32(total * MARGIN) < theta:
            break
        r += 1
    return r


@njit(cache=True, nogil=True)
def _full_floor(field, clauses, k, found, theta):  # type: ignore[no-untyped-def]
    """A higher first lower bound of the k-th best score: the ``k`` documents in ``found`` (the rarest
    clause's best) scored in full -- every clause's posting found by binary search, added in clause order
    as the evaluator adds them -- and the lowest of those scores (``k`` real documents score at least it,
    so the k-th best does too); ``theta`` if that is not higher."""
    docs, freqs, norms, cache, scores, use_scores = field
    starts, ends, weights = clauses
    floor = np.float32(np.inf)
    for i in range(k):
        d = found[i]
        total = 0.0
        for t in range(starts.size):
            p = starts[t] + np.searchsorted(docs[starts[t] : ends[t]], d)
            if p < ends[t] and docs[p] == d:
                total += np.float64(_score(docs, freqs, norms, cache, scores, use_scores, weights[t], p))
        floor = min(floor, np.float32(total))
    return max(floor, theta)


@njit(cache=True, nogil=True)
def max_score(field, clauses, terms, blocks, seed, span, acc, touched, buf, room, k, out_docs, out_scores):  # type: ignore[no-untyped-def]
    """MaxScore over a disjunction. ``field``: (docs, freqs, norms, cache, scores, use_scores);
    ``clauses``: (starts, ends, weights) in clause order; ``terms``: (offsets, largest, tids) for
    :func:`term_bounds`, each clause's best score; ``blocks``: (rows, table, shift), the clauses' rows of
    block-max bounds in ``table`` (negative: none), which :func:`_reachable` and :func:`_probe` read;
    ``seed``: (clause, documents, product), the rarest clause with ``k`` postings (-1: none), the ``k``
    documents of its largest products and the ``k``-th largest (:func:`top_products`).

    The seed gives the first lower bound of the k-th best score: the seed clause's ``k``-th best score,
    raised to the lowest full score of its best ``k`` documents (:func:`_full_floor`). Then span by span (doc ids
    ``span`` at a time): the clauses whose bounds add up below the k-th best score known are
    non-essential (:func:`_non_essential`); the others'
    postings in the span are added to their documents' float64 sums, in clause order, and their documents
    listed (:func:`_sum_span`); those that can still reach the threshold (:func:`_reachable`) are put in
    doc-id order (:func:`_sort_listed`) and probed (:func:`_probe`) while the sums are still in the CPU's
    cache. The threshold only rises, so a clause once non-essential stays so
    and the essential ones' summing cursors never skip; the probing cursors and the threshold carry over,
    since spans come in doc-id order.
    Returns how many hits were kept, left in rank order; ``acc`` is left zeroed."""
    docs, freqs, norms, cache = field[:4]
    starts, _, weights = clauses
    offsets, largest, tids = terms
    bounds = term_bounds(offsets, docs, freqs, norms, cache, largest, tids, weights)
    rows, table, shift = blocks
    probing = (rows, table, shift, np.empty(starts.size, dtype=np.float64), np.empty(starts.size, dtype=np.int64))
    order = np.argsort(bounds, kind="mergesort")  # weakest bound first (stable)
    theta = np.float32(0.0)
    rare, found, product = seed
    if rare >= 0:  # the score of the k-th largest product, as _score computes a posting's
        w = weights[rare]
        theta = w - w / (np.float32(1.0) + product)
        if theta > 0:
            theta = _full_floor(field, clauses, k, found, theta)
    essential = np.ones(starts.size, dtype=np.bool_)
    counts = np.empty(256, dtype=np.int64)
    summed = starts.copy()  # the essential clauses' summing cursors
    at = starts.copy()  # every clause's probing cursor
    m = 0
    lo = 0
    while True:
        rest = _non_essential(order, bounds, theta)
        for j in range(rest):
            essential[order[j]] = False
        nt, more = _sum_span(field, clauses, essential, summed, lo, lo + span, acc, touched, None)
        nt = _reachable(nt, touched, acc, lo, order, rest, bounds, probing, weights, theta, room)
        _sort_listed(nt, touched, buf, counts)
        m, theta = _probe(
            nt, touched, acc, lo, order, rest, bounds, probing, field, clauses, at, theta, k, m, out_docs, out_scores
        )
        if not more:
            break
        lo += span
    _sort_heap(m, out_docs, out_scores)
    return m
