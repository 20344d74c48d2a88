"""Top-k of a disjunction of terms without ranking every match: MaxScore with block-max bounds, vectorised.

Lucene's MaxScore and block-max WAND skip documents whose best possible score cannot enter the top k.
The numpy formulation here keeps that guarantee with a few vectorised passes instead of a doc-at-a-time
loop:

1. A first threshold. A document's score is at least any one of its clause scores, so the k-th best
   score among one clause's own postings is a lower bound of the final k-th score.
2. On small indices (``DENSE_MAX_DOCS``) every posting is added into one dense array -- the evaluator's
   own sum -- and only the documents reaching the threshold are ranked.
3. Otherwise, bounds: each clause's per-block bounds (:mod:`retrievo.index.impacts`) at the clause's
   weight; their maximum is the clause's bound, and their sum per doc-id block (clause order, float64
   rounded once to float32, as the evaluator adds clause scores) bounds every score in the block.
4. MaxScore: with clauses sorted by bound, the longest prefix whose bounds add up below the threshold
   is "non-essential" -- a document matching only those cannot reach it. The essential clauses' scores
   are added (densely, over the blocks whose bound reaches the threshold); these partial sums are lower
   bounds too, so their k-th best raises the threshold, and only documents whose partial sum plus the
   non-essential bounds can still reach it are scored in full.

With numba installed, a disjunction on one field skips all of this: :mod:`retrievo.lucene.disjunction_kernel`
scores every posting once in compiled code, which costs less than any of the passes above.

Every document scoring at least the final k-th score (which is at least each threshold) matches an
essential clause, lies in a block whose bound reaches it and survives the partial-sum cut, so it is
scored: the top k, ties broken by doc id, is exactly the exhaustive one. Scores use the evaluator's
formula on the same float32 values and are summed in clause order, so they are bit-identical.

``hits.total`` follows ``track_total_hits``: exact up to the limit (counted over the union of the
postings), or any count above the limit when one term alone matches more documents than that (the
response then reports the limit with relation ``gte``, as Elasticsearch does).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from retrievo.index import bm25
from retrievo.index.inverted import InvertedField
from retrievo.index.searcher import Searcher
from retrievo.lucene import disjunction_kernel
from retrievo.lucene.query import BoolQ, BoostQ, LQuery, NamedQ, TermQ

F32 = np.float32
#: Up to this many documents one dense ``bincount`` over every posting (then only the documents reaching
#: the first threshold are ranked) costs less than computing bounds; above it the bounds pay off (on the
#: 100k / 1M synthetic benchmark corpora: dense is faster at 100k, pruning about 2x faster at 1M).
DENSE_MAX_DOCS = 250_000


@dataclass(frozen=True)
class TermClause:
    """One scoring term of the disjunction, with the boost the evaluator would score it at."""

    field: str
    term: str
    boost: float


def disjunction_clauses(q: LQuery, boost: float = 1.0) -> tuple[TermClause, ...] | None:
    """The term clauses of ``q`` when it is a term or a pure disjunction of (boosted) terms -- the shape
    pruning handles -- in clause order, each with the float32 boost product the evaluator forms on its
    way down; ``None`` for any other query."""
    if isinstance(q, BoostQ):
        return disjunction_clauses(q.query, float(F32(F32(boost) * F32(q.boost))))
    if isinstance(q, NamedQ):
        return disjunction_clauses(q.query, boost)
    if isinstance(q, BoolQ):
        if q.must or q.filter or q.must_not or q.msm > 1 or not q.should:
            return None
        out: list[TermClause] = []
        for c in q.should:
            leaf = _term_clause(c, boost)
            if leaf is None:
                return None
            out.append(leaf)
        return tuple(out)
    leaf = _term_clause(q, boost)
    return None if leaf is None else (leaf,)


def filtered_disjunction(q: LQuery) -> tuple[LQuery, tuple[LQuery, ...], tuple[LQuery, ...]]:
    """A ``bool`` whose one MUST clause scores and whose other clauses only filter (FILTER, MUST_NOT):
    (the MUST clause, the filters, the excluded); any other query: (itself, (), ()). The ``bool``'s score
    is its MUST clause's (the filters add nothing; the clause's float32 score summed alone and rounded
    again is itself), so the MUST clause's top k among the documents the filters let through is the
    ``bool``'s."""
    if type(q) is BoolQ and len(q.must) == 1 and not q.should and q.msm == 0 and (q.filter or q.must_not):
        return q.must[0], q.filter, q.must_not
    return q, (), ()


def _term_clause(q: LQuery, boost: float) -> TermClause | None:
    """A term under boosts and names (no further boolean levels: their sums round differently)."""
    while True:
        if isinstance(q, TermQ):
            return TermClause(q.field, q.term, boost)
        if isinstance(q, BoostQ):
            boost = float(F32(F32(boost) * F32(q.boost)))
            q = q.query
        elif isinstance(q, NamedQ):
            q = q.query
        else:
            return None


def top_k_disjunction(
    searcher: Searcher,
    clauses: tuple[TermClause, ...],
    k: int,
    track: bool | int,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(docs, scores, total) of the best ``k`` documents, score descending then doc id ascending;
    ``None`` when the snapshot does not allow pruning (deleted documents, fields of other sizes).
    ``allowed``: a boolean per document, the documents a search's filters let through; only the
    compiled kernel takes it (summing every posting, counting the matches it lets through), so without
    it ``None`` is returned too."""
    n = searcher.max_doc
    if searcher.live_count != n:
        return None
    if k > 0 and (kernel := _kernel_clauses(searcher, clauses, n)) is not None:
        ranges = kernel[2]
        counted = _total_of(ranges.ends - ranges.starts, track) if allowed is None else 0 if track is False else None
        return _kernel_top_k(*kernel, n, k, counted, allowed)
    terms: list[_Clause] = []
    for c in clauses:
        inv = searcher.inverted(c.field)
        tid = inv.term_id(c.term) if inv is not None else None
        if inv is None or tid is None or inv.doc_freq(tid) == 0:
            continue
        if inv.max_doc != n:
            return None
        terms.append(_Clause(inv, tid, bm25.term_weight(c.boost, inv.idfs[tid]), F32(c.boost) == F32(1.0)))
    empty = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
    if not terms:
        return (*empty, 0)
    if allowed is not None:  # the filters' documents: the union within them is counted as it is summed
        if k <= 0 or not _compiled(terms):
            return None
        return _compiled_top_k(terms, n, k, 0 if track is False else None, allowed)
    counted = _total_of(np.array([t.docs.size for t in terms]), track)  # None: the union must be counted
    if k > 0 and _compiled(terms):
        return _compiled_top_k(terms, n, k, counted)
    if k <= 0 or (counted is None and n > DENSE_MAX_DOCS):
        counted = counted if counted is not None else int(_union(terms, n).size)
    if k <= 0:
        return (*empty, counted or 0)
    if len(terms) == 1:  # one posting list: its scores are final, no bound needed
        t = terms[0]
        return (*_top_k(t.docs, t.all_scores(), k), t.docs.size)

    # 1. a first threshold: each document's score is at least any one of its clause scores, so the
    # k-th best score of one clause's own postings is a lower bound of the final k-th score
    threshold = np.float32(0.0)
    for t in sorted(terms, key=lambda t: -t.weight)[:2]:
        if t.docs.size >= k:
            own = t.all_scores()
            threshold = max(threshold, np.partition(own, own.size - k)[own.size - k])
    if n <= DENSE_MAX_DOCS:  # 2. small index: one dense sum
        return _dense_top_k(terms, n, k, threshold, counted)

    # 3. bounds: per clause, and per doc-id block
    total = counted
    assert total is not None  # counted above on large indices
    shift = terms[0].inv.impacts.shift
    if any(t.inv.impacts.shift != shift for t in terms):  # fields of other sizes: not comparable
        return _dense_top_k(terms, n, k, threshold, total)
    n_blocks = ((n - 1) >> shift) + 1
    block_parts, bound_parts = [], []
    for t in terms:
        imp = t.inv.impacts
        lo, hi = int(imp.offsets[t.tid]), int(imp.offsets[t.tid + 1])
        b = bm25.score(t.weight, imp.max_x[lo:hi], _ONE)
        t.bound = float(b.max())
        block_parts.append(imp.blocks[lo:hi])
        bound_parts.append(b)
    block_bound = np.bincount(
        np.concatenate(block_parts), weights=np.concatenate(bound_parts).astype(np.float64), minlength=n_blocks
    ).astype(np.float32)

    # 4. MaxScore: clauses sorted by bound; the prefix whose bounds add up below the threshold cannot
    # make a top-k document alone, so candidates come from the other ("essential") clauses
    ascending = sorted(range(len(terms)), key=lambda i: terms[i].bound)
    prefix = 0.0
    rest = 0
    for pos, i in enumerate(ascending):
        prefix += terms[i].bound
        # The margin covers float64 rounding of the same values added in another (clause) order.
        if not np.float32(prefix * _MARGIN) < threshold:
            break
        rest = pos + 1
    non_essential = set(ascending[:rest])
    essential = [t for i, t in enumerate(terms) if i not in non_essential]
    cand, partial = _partial_scores(essential, block_bound, shift, threshold)
    if not non_essential:  # the essential clauses are all the clauses: the partial sums are the scores
        return (*_top_k(cand, partial.astype(np.float32), k), total)

    # 5. partial sums are scores too low by at most the other clauses' bounds: the k-th best partial
    # sum is a better threshold, and only candidates that can still reach it are scored in full
    p32 = partial.astype(np.float32)
    if p32.size > k:
        threshold = max(threshold, np.partition(p32, p32.size - k)[p32.size - k])
    rest_bound = sum(terms[i].bound for i in non_essential)
    alive = ((partial + rest_bound) * _MARGIN).astype(np.float32) >= threshold
    alive &= block_bound[cand >> shift] >= threshold
    return (*_top_k(*_score_candidates(terms, cand[alive], n), k), total)


def _compiled_top_k(
    terms: list[_Clause], n: int, k: int, counted: int | None, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`top_k_disjunction` in compiled code (:mod:`retrievo.lucene.disjunction_kernel`)."""
    ranges = disjunction_kernel.ClauseRanges(
        np.array([t.sl.start for t in terms], dtype=np.int64),
        np.array([t.sl.stop for t in terms], dtype=np.int64),
        np.array([t.weight for t in terms], dtype=np.float32),
    )
    tids = np.array([t.tid for t in terms], dtype=np.int64)
    return _kernel_top_k(terms[0].inv, tids, ranges, all(t.unit for t in terms), n, k, counted, allowed)


def _kernel_top_k(
    inv: InvertedField,
    tids: np.ndarray,
    ranges: disjunction_kernel.ClauseRanges,
    unit: bool,
    n: int,
    k: int,
    counted: int | None,
    allowed: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """The compiled top k of the terms ``tids`` of ``inv`` (their postings and weights in ``ranges``;
    ``unit``: all at boost 1); ``counted``: ``hits.total`` when known, ``None`` to count the union."""
    assert inv.norms is not None  # checked by the callers
    field = disjunction_kernel.FieldArrays(inv.docs, inv.freqs, inv.norms, inv.norm_cache, _unit_scores(inv, unit))
    # large indices, no count needed: MaxScore skips what cannot enter (on small ones every posting's
    # sum stays in the CPU's cache, and adding them all costs less than choosing which to skip)
    if counted is not None and allowed is None and tids.size > 1 and n > DENSE_MAX_DOCS:
        found = disjunction_kernel.top_k_max_score(field, ranges, inv, tids, k)
        return (*found, counted)
    docs, scores, union = disjunction_kernel.top_k(field, ranges, k, allowed)
    return docs, scores, union if counted is None else counted


def _kernel_clauses(
    searcher: Searcher, clauses: tuple[TermClause, ...], n: int
) -> tuple[InvertedField, np.ndarray, disjunction_kernel.ClauseRanges, bool] | None:
    """The common case the compiled kernel takes, read without a :class:`_Clause` each: clauses on one
    field of this snapshot, at least one matching, every posting scoring above 0 (:func:`_compiled`).
    (field, matching terms, their postings and weights in clause order, whether all are at boost 1), or
    ``None`` for the general way."""
    field = clauses[0].field
    inv = searcher.inverted(field)
    if inv is None or inv.max_doc != n or inv.max_doc < disjunction_kernel.MIN_DOCS or inv.norms is None:
        return None
    if not disjunction_kernel.available() or any(c.field != field for c in clauses):
        return None
    tids, boosts = [], []
    for c in clauses:
        tid = inv.terms.get(c.term)
        if tid is not None and inv.doc_freq(tid) > 0:
            tids.append(tid)
            boosts.append(c.boost)
    if not tids:
        return None
    ranges, positive, unit = disjunction_kernel.clause_ranges(inv, tids, boosts, _least_norm_inverse(inv))
    return (inv, np.array(tids, dtype=np.int64), ranges, unit) if positive else None


def kernel_takes_filters(searcher: Searcher) -> bool:
    """Whether a filtered disjunction on this snapshot may go to the compiled kernel (the only way that
    takes filters): numba installed and the index large enough; if not, the filters are not evaluated
    ahead for nothing."""
    return searcher.max_doc >= disjunction_kernel.MIN_DOCS and disjunction_kernel.available()


def _compiled(terms: list[_Clause]) -> bool:
    """Whether the compiled kernel takes the query: an index large enough to pay for it, one field with
    norms, every posting's score above 0 (the kernel lists a document the first time its sum leaves 0:
    a zero-boost clause, or a document so much longer than the average that ``1 + freq * normInverse``
    rounds to 1, would match unseen)."""
    inv = terms[0].inv
    if inv.max_doc < disjunction_kernel.MIN_DOCS or not disjunction_kernel.available() or inv.norms is None:
        return False
    least = _least_norm_inverse(inv)
    return all(t.inv is inv and t.weight - t.weight / (_F32_ONE + least) > 0 for t in terms)


_F32_ONE = np.float32(1.0)

#: Per field snapshot, the smallest ``normInverse`` any of its documents has (its longest document's).
_LEAST_NORM_INVERSE: weakref.WeakKeyDictionary[InvertedField, np.float32] = weakref.WeakKeyDictionary()


def _least_norm_inverse(inv: InvertedField) -> np.float32:
    """The ``normInverse`` of the field's longest document: norm bytes grow with the length, and the
    inverse shrinks with it, so the largest byte present gives the smallest."""
    least = _LEAST_NORM_INVERSE.get(inv)
    if least is None:
        assert inv.norms is not None
        longest = int(inv.norms.max()) if inv.norms.size else 0
        least = _LEAST_NORM_INVERSE.setdefault(inv, inv.norm_cache[longest])
    return least


def _unit_scores(inv: InvertedField, unit: bool) -> np.ndarray | None:
    """The field's boost-1 posting scores when every clause is at boost 1 and they are kept as one array."""
    if not unit:
        return None
    scores = inv.unit_scores
    return scores if isinstance(scores, np.ndarray) else None


def _partial_scores(
    essential: list[_Clause], block_bound: np.ndarray, shift: int, threshold: np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """The documents of the ``essential`` clauses in blocks whose bound reaches ``threshold``, ascending,
    with the float64 sum (clause order) of those clauses' scores. Sums are accumulated densely over the
    blocks that can reach the threshold only (one ``bincount``: sorting would cost more)."""
    chosen = np.flatnonzero(block_bound >= threshold)
    slot = np.full(block_bound.size, -1, dtype=np.int64)
    slot[chosen] = np.arange(chosen.size)
    low = (1 << shift) - 1
    local_parts, score_parts = [], []
    for t in essential:
        s = slot[t.docs >> shift]
        keep = np.flatnonzero(s >= 0)
        local_parts.append((s[keep] << shift) | (t.docs[keep] & low))
        score_parts.append(t.scores(keep))
    local = np.concatenate(local_parts)
    size = chosen.size << shift
    acc = np.bincount(local, weights=np.concatenate(score_parts).astype(np.float64), minlength=size)
    hit = np.zeros(size, dtype=bool)
    hit[local] = True
    found = np.flatnonzero(hit)
    docs = ((chosen[found >> shift] << shift) | (found & low)).astype(np.int32)
    return docs, acc[found]


_ONE = np.ones(1, dtype=np.float32)


def _dense_top_k(
    terms: list[_Clause], n: int, k: int, threshold: np.float32, total: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Every posting added into one dense array (the evaluator's own sum), then the top k of the
    documents reaching ``threshold``; ``total`` (``None``: count the matches) comes back counted."""
    docs = np.concatenate([t.docs for t in terms])
    scores = np.concatenate([t.all_scores() for t in terms])
    sums = np.bincount(docs, weights=scores.astype(np.float64), minlength=n)
    if total is None:  # a posting scoring 0 (a zero or tiny boost) still matches: then count the union
        positive = scores.size == 0 or scores.min() > 0
        total = int(np.count_nonzero(sums)) if positive else int(_union(terms, n).size)
    acc = sums.astype(np.float32)
    cand = np.flatnonzero(acc >= threshold) if threshold > 0 else _union(terms, n)
    return (*_top_k(cand, acc[cand], k), total)


_MARGIN = 1.0 + 1e-12


class _Clause:
    """One matching term clause: its postings and BM25 weight (and, once computed, its score bound)."""

    __slots__ = ("inv", "tid", "weight", "unit", "bound", "sl", "docs")

    def __init__(self, inv: InvertedField, tid: int, weight: np.float32, unit: bool) -> None:
        self.inv, self.tid, self.weight, self.unit = inv, tid, weight, unit
        self.bound = 0.0
        self.sl = inv.posting_slice(tid)
        self.docs: np.ndarray = inv.docs[self.sl]

    def all_scores(self) -> np.ndarray:
        """Exact scores of every posting (at boost 1 the field's precomputed ones, as the evaluator reads)."""
        if self.unit:
            return self.inv.unit_scores[self.sl]
        return self.scores(np.arange(self.docs.size))

    def scores(self, positions: np.ndarray) -> np.ndarray:
        """Exact scores of the postings at ``positions`` (within this term's list), as the evaluator's
        term scorer computes them."""
        p = positions + self.sl.start
        return bm25.score(self.weight, self.inv.freqs[p], self.inv.doc_norm_inverse[p])


def _union(terms: list[_Clause], n: int) -> np.ndarray:
    """The documents matching any of ``terms``, ascending."""
    if len(terms) == 1:
        return terms[0].docs
    size = sum(t.docs.size for t in terms)
    if size * 8 < n:
        return _sorted_unique(np.concatenate([t.docs for t in terms]))
    mask = np.zeros(n, dtype=bool)
    for t in terms:
        mask[t.docs] = True
    return np.flatnonzero(mask).astype(np.int32)


def _sorted_unique(docs: np.ndarray) -> np.ndarray:
    """The distinct values of ``docs``, ascending (a sort; numpy's hashing ``unique`` is slower here)."""
    docs = np.sort(docs)
    keep = np.empty(docs.size, dtype=bool)
    keep[:1] = True
    np.not_equal(docs[1:], docs[:-1], out=keep[1:])
    return docs[keep]


def _score_candidates(terms: list[_Clause], cand: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact scores of the documents ``cand`` (ascending): each clause's score added in clause order in
    float64 and rounded once, as the evaluator's disjunction does."""
    slots, parts = [], []
    for t in terms:
        pos = np.searchsorted(t.docs, cand)
        inside = pos < t.docs.size
        hit = np.flatnonzero(inside)
        hit = hit[t.docs[pos[hit]] == cand[hit]]
        slots.append(hit)
        parts.append(t.scores(pos[hit]))
    acc = np.bincount(np.concatenate(slots), weights=np.concatenate(parts).astype(np.float64), minlength=cand.size)
    return cand, acc.astype(np.float32)


def _total_of(postings: np.ndarray, track: bool | int) -> int | None:
    """``hits.total`` as far as ``track_total_hits`` needs it, from each matching clause's number of
    postings: exact up to its limit, else a count above it; ``None`` when that takes counting the
    documents matching any clause."""
    if track is False:
        return 0
    if postings.size == 1:
        return int(postings[0])
    most = int(postings.max())
    if track is not True and most > int(track):
        return most
    return None


def _top_k(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` of (docs ascending, scores), score descending then doc id ascending."""
    if docs.size > k:
        kth = np.partition(scores, docs.size - k)[docs.size - k]
        above = np.flatnonzero(scores > kth)
        ties = np.flatnonzero(scores == kth)[: k - above.size]
        sel = np.concatenate([above, ties])
        docs, scores = docs[sel], scores[sel]
    order = np.lexsort((docs, -scores.astype(np.float64)))
    return docs[order].astype(np.int32), scores[order].astype(np.float32)
