"""Score a rewritten Lucene-level query over a :class:`Searcher`, with Lucene's rounding.

Every node yields a :class:`Scored`: either sparse (ascending doc ids with float32 scores — term
postings) or dense (a match mask and float32 scores over all documents). Boolean sums add float32
clause scores in float64 and round once, which is exactly what Lucene's double accumulators do
(../shared/spec/lucene-bm25.md §4); sparse clauses are summed with one ``bincount`` so a long
disjunction of terms costs one pass. Boosts flow down to the leaves as float32 products, as
Lucene's ``createWeight(boost)`` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import bad_request
from retrievo.index import bm25
from retrievo.index.searcher import Searcher
from retrievo.lucene.combined_fields import CombinedFieldQ, combined_matches
from retrievo.lucene.function_score import (
    BoostingQ,
    FunctionScoreQ,
    RankFeatureQ,
    TermsSetQ,
    score_boosting,
    score_function_score,
    score_rank_feature,
    score_terms_set,
    unscored,
)
from retrievo.lucene.multi_term import blended_term_scores
from retrievo.lucene.phrases import exact_freq, sloppy_freq, term_positions
from retrievo.lucene.prefix_span import PrefixSpanQ, prefix_span_matches
from retrievo.lucene.query import (
    BlendedTermQ,
    BoolQ,
    BoostQ,
    ConstQ,
    DisMaxQ,
    DocSetQ,
    FeatureQ,
    KnnHitsQ,
    LQuery,
    MatchAllQ,
    MatchNoneQ,
    MultiPhraseQ,
    NamedQ,
    NestedFeaturesQ,
    NestedQ,
    PhraseQ,
    SpanGraphQ,
    SynonymQ,
    TermQ,
)
from retrievo.lucene.synonym_query import synonym_matches

F32 = np.float32


class TimeExceeded(Exception):
    """The search's ``timeout`` ran out while the query was evaluated (Lucene's ``TimeExceededException``)."""


@dataclass
class Scored:
    """Matches of one query node. Sparse when ``docs`` is set, dense when ``mask`` is set."""

    scores: np.ndarray
    docs: np.ndarray | None = None
    mask: np.ndarray | None = None
    #: Phrase/term frequencies per match, kept for ``explain``.
    freqs: np.ndarray | None = None

    def dense(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self.mask is not None:
            return self.mask, self.scores
        mask = np.zeros(n, dtype=bool)
        scores = np.zeros(n, dtype=np.float32)
        assert self.docs is not None
        mask[self.docs] = True
        scores[self.docs] = self.scores
        return mask, scores

    def match_mask(self, n: int) -> np.ndarray:
        if self.mask is not None:
            return self.mask
        mask = np.zeros(n, dtype=bool)
        assert self.docs is not None
        mask[self.docs] = True
        return mask


def _empty() -> Scored:
    return Scored(scores=np.zeros(0, dtype=np.float32), docs=np.zeros(0, dtype=np.int32))


class Evaluator:
    """Evaluates nodes of one query tree for one searcher, memoising per (node, boost).

    The memo makes ``explain`` cheap: explaining a hit reads each node's already computed score
    instead of re-running it.

    ``knn_hits`` are results computed outside the query tree — the kNN searches of the run, by slot, as
    (docs, scores) — which a ``KnnHitsQ`` clause scores. The caller owns the mapping and fills it before
    the tree is evaluated; the evaluator only reads it.
    """

    def __init__(self, searcher: Searcher, knn_hits: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        self.s = searcher
        self.n = searcher.max_doc
        self.memo: dict[tuple[int, float], Scored] = {}
        self._keep: list[LQuery] = []
        self.knn_hits: Mapping[int, tuple[np.ndarray, np.ndarray]] = knn_hits if knn_hits is not None else {}
        #: ``time.perf_counter_ns()`` past which evaluation stops (the search's ``timeout``); ``None``: never.
        #: Checked once per query node, before it is computed: each node is one vectorised pass over the
        #: index, the unit Elasticsearch's per-segment timeout checks correspond to here.
        self.deadline_ns: int | None = None
        #: Evaluators of the nested levels below this searcher, by path (``NestedQ``).
        self.nested_evaluators: dict[str, tuple[Evaluator, np.ndarray]] = {}

    def evaluate(self, q: LQuery, boost: float = 1.0) -> Scored:
        key = (id(q), float(boost))
        hit = self.memo.get(key)
        if hit is None:
            if self.deadline_ns is not None and time.perf_counter_ns() > self.deadline_ns:
                raise TimeExceeded
            hit = _DISPATCH[type(q)](self, q, F32(boost))
            self.memo[key] = hit
            self._keep.append(q)  # keep ids stable while memoised
        return hit

    def for_doc(self, doc: int) -> Evaluator:
        """The evaluator whose statistics scored ``doc`` (a shard's, on an index with several shards:
        ``lucene/shard_scoring.py``); explanations read their numbers from it."""
        return self

    def shard_query(self, q: LQuery, doc: int) -> LQuery:
        """The query ``doc``'s shard evaluated for ``q`` (its own compile of it, on an index with several
        shards: ``lucene/shard_scoring.py``)."""
        return q

    def mask(self, q: LQuery) -> np.ndarray:
        # a function_score whose scores are not needed is its sub-query (its createWeight without scores)
        return self.evaluate(unscored(q)).match_mask(self.n)

    # ------------------------------------------------------------------ leaves
    def _term(self, q: TermQ, boost: np.float32) -> Scored:
        inv = self.s.inverted(q.field)
        tid = inv.term_id(q.term) if inv is not None else None
        if inv is None or tid is None or inv.doc_freq(tid) == 0:
            return _empty()
        sl = inv.posting_slice(tid)
        if boost == F32(1.0):
            scores = inv.unit_scores[sl]
        else:
            weight = bm25.term_weight(boost, inv.idfs[tid])
            scores = bm25.score(weight, inv.freqs[sl], inv.doc_norm_inverse[sl])
        return Scored(scores=scores, docs=inv.docs[sl], freqs=inv.freqs[sl])

    def _phrase(self, q: PhraseQ, boost: np.float32) -> Scored:
        inv = self.s.inverted(q.field)
        if inv is None:
            return _empty()
        tids = [inv.term_id(t) for t in q.terms]
        if any(t is None for t in tids):
            return _empty()
        tids_i = [int(t) for t in tids if t is not None]
        if not inv.has_positions:
            raise bad_request(
                "query_shard_exception",
                f"field:[{q.field}] was indexed without position data; cannot run PhraseQuery (phrase={q})",
            )
        cand = inv.postings(tids_i[0])[0]
        for t in tids_i[1:]:
            cand = np.intersect1d(cand, inv.postings(t)[0], assume_unique=True)
        freqs = np.zeros(cand.size, dtype=np.float32)
        offsets = tuple(p - q.positions[0] for p in q.positions)
        for i, doc in enumerate(cand.tolist()):
            positions = term_positions(inv, doc, tids_i)
            freqs[i] = exact_freq(positions, offsets) if q.slop == 0 else sloppy_freq(positions, offsets, q.slop)
        keep = freqs > 0
        docs, freqs = cand[keep], freqs[keep]
        idf = bm25.phrase_idf([inv.idfs[t] for t in tids_i])
        weight = bm25.term_weight(boost, idf)
        cache = inv.norm_cache
        norms = cache[inv.norms[docs]] if inv.norms is not None else np.full(docs.size, cache[1], F32)
        return Scored(scores=bm25.score(weight, freqs, norms), docs=docs, freqs=freqs)

    def _synonym(self, q: SynonymQ, boost: np.float32) -> Scored:
        found = synonym_matches(self.s.inverted(q.field), q.terms, boost)
        if found is None:
            return _empty()
        return Scored(scores=found.scores, docs=found.docs, freqs=found.freqs)

    def _blended_term(self, q: BlendedTermQ, boost: np.float32) -> Scored:
        found = blended_term_scores(self.s.inverted(q.field), q, boost)
        if found is None:
            return _empty()
        return Scored(scores=found[1], docs=found[0], freqs=found[2])

    def _multi_phrase(self, q: MultiPhraseQ, boost: np.float32) -> Scored:
        from retrievo.lucene.multi_phrase import multi_phrase_matches

        inv = self.s.inverted(q.field)
        found = multi_phrase_matches(inv, q.groups, q.positions, q.slop, boost) if inv is not None else None
        if found is None:
            return _empty()
        docs, freqs, scores = found
        return Scored(scores=scores, docs=docs, freqs=freqs)

    def _span_graph(self, q: SpanGraphQ, boost: np.float32) -> Scored:
        from retrievo.lucene.span_graph import span_graph_matches

        inv = self.s.inverted(q.field)
        found = span_graph_matches(inv, q.tree, boost) if inv is not None else None
        if found is None:
            return _empty()
        docs, freqs, scores = found
        return Scored(scores=scores, docs=docs, freqs=freqs)

    def _constant(self, mask: np.ndarray, boost: np.float32) -> Scored:
        return Scored(scores=np.where(mask, boost, F32(0.0)).astype(F32), mask=mask)

    def _match_all(self, q: MatchAllQ, boost: np.float32) -> Scored:
        return self._constant(self.s.live.copy(), boost)

    def _match_none(self, q: MatchNoneQ, boost: np.float32) -> Scored:
        return _empty()

    def _feature(self, q: FeatureQ, boost: np.float32) -> Scored:
        """``FeatureQuery`` with ``LinearFunction``: boost × decoded feature value, in float32."""
        from retrievo.lucene.feature_field import feature_postings

        docs, values = feature_postings(self.s, q.field, q.feature)
        return Scored(scores=(boost * values).astype(F32), docs=docs, freqs=values)

    def _nested_features(self, q: NestedFeaturesQ, boost: np.float32) -> Scored:
        """The best chunk's feature sum per document (a nested query with ``score_mode: max``)."""
        from retrievo.lucene.feature_field import best_chunk_scores

        docs, scores = best_chunk_scores(self.s, q.field, q.tokens, boost)
        return Scored(scores=scores, docs=docs)

    def nested_evaluator(self, path: str) -> tuple[Evaluator, np.ndarray] | None:
        """The evaluator of the rows of nested ``path`` and each row's parent at this level."""
        found = self.nested_evaluators.get(path)
        if found is None:
            from retrievo.index.nested import resolve_level

            resolved = resolve_level(self.s.nested, path)
            if resolved is None:
                return None
            level, parents = resolved
            child = Evaluator(level.searcher, self.knn_hits)
            child.deadline_ns = self.deadline_ns
            found = self.nested_evaluators[path] = (child, parents)
        return found

    def _nested(self, q: NestedQ, boost: np.float32) -> Scored:
        """``ToParentBlockJoinQuery``: the inner query scored on the nested rows, joined to parents."""
        from retrievo.lucene.nested import join_to_parents

        found = self.nested_evaluator(q.path)
        if found is None:
            return _empty()
        child, parents = found
        inner = child.evaluate(q.query, float(boost))
        if inner.docs is not None:
            rows, scores = inner.docs, inner.scores
        else:
            assert inner.mask is not None
            rows = np.flatnonzero(inner.mask).astype(np.int32)
            scores = inner.scores[rows]
        keep = child.s.live[rows]
        docs, joined, _ = join_to_parents(rows[keep], scores[keep], parents, q.score_mode)
        return Scored(scores=joined, docs=docs)

    def _knn_hits(self, q: KnnHitsQ, boost: np.float32) -> Scored:
        docs, scores = self.knn_hits[q.slot]
        order = np.argsort(docs, kind="stable")
        return Scored(scores=(boost * scores[order]).astype(F32), docs=docs[order].astype(np.int32))

    def _doc_set(self, q: DocSetQ, boost: np.float32) -> Scored:
        from retrievo.lucene.doc_sets import doc_set_mask

        return self._constant(doc_set_mask(self.s, q) & self.s.live, boost)

    # ------------------------------------------------------------------ wrappers
    def _boost(self, q: BoostQ, boost: np.float32) -> Scored:
        return self.evaluate(q.query, float(F32(boost * F32(q.boost))))

    def _const(self, q: ConstQ, boost: np.float32) -> Scored:
        return self._constant(self.mask(q.query), boost)

    def _named(self, q: NamedQ, boost: np.float32) -> Scored:
        return self.evaluate(q.query, float(boost))

    # ------------------------------------------------------------------ compound
    def _sum(self, clauses: tuple[LQuery, ...], boost: np.float32) -> tuple[np.ndarray, np.ndarray]:
        """Exact float64 sum of clause scores and the number of matching clauses, per document."""
        acc = np.zeros(self.n, dtype=np.float64)
        cnt = np.zeros(self.n, dtype=np.int32)
        sparse_docs, sparse_scores = [], []
        for c in clauses:
            r = self.evaluate(c, float(boost))
            if r.docs is not None:
                sparse_docs.append(r.docs)
                sparse_scores.append(r.scores)
            else:
                assert r.mask is not None
                acc += r.scores
                cnt += r.mask
        if sparse_docs:
            docs = np.concatenate(sparse_docs)
            acc += np.bincount(docs, weights=np.concatenate(sparse_scores).astype(np.float64), minlength=self.n)
            cnt += np.bincount(docs, minlength=self.n).astype(np.int32)
        return acc, cnt

    def _pure_disjunction(self, q: BoolQ, boost: np.float32) -> Scored | None:
        """Fast path for the commonest query — OR of terms: one bincount, no per-clause arrays."""
        results = [self.evaluate(c, float(boost)) for c in q.should]
        if any(r.docs is None for r in results):
            return None
        docs = np.concatenate([r.docs for r in results])
        weights = np.concatenate([r.scores for r in results]).astype(np.float64)
        mask = np.zeros(self.n, dtype=bool)
        mask[docs] = True
        return Scored(scores=np.bincount(docs, weights=weights, minlength=self.n).astype(F32), mask=mask)

    def _bool(self, q: BoolQ, boost: np.float32) -> Scored:
        n = self.n
        if q.should and not (q.must or q.filter or q.must_not) and q.msm <= 1:
            fast = self._pure_disjunction(q, boost)
            if fast is not None:
                return fast
        required = np.ones(n, dtype=bool) if (q.must or q.filter) else None
        must_sum = None
        if q.must:
            must_sum, must_cnt = self._sum(q.must, boost)
            required &= must_cnt == len(q.must)
        for f in q.filter:
            required &= self.mask(f)
        if q.should:
            should_sum, should_cnt = self._sum(q.should, boost)
        if required is None:  # pure disjunction (or pure negation, which matches nothing)
            if not q.should:
                return _empty()
            mask = should_cnt >= max(1, q.msm)
            scores = should_sum.astype(F32)
        else:
            mask = required if q.msm == 0 or not q.should else required & (should_cnt >= q.msm)
            req = must_sum.astype(F32) if must_sum is not None else np.zeros(n, dtype=F32)
            # Required part and optional part are each rounded to float32, then added in float32.
            scores = (req + should_sum.astype(F32)).astype(F32) if q.should else req
        for mn in q.must_not:
            mask = mask & ~self.mask(mn)
        return Scored(scores=np.where(mask, scores, F32(0.0)).astype(F32), mask=mask)

    def _dis_max(self, q: DisMaxQ, boost: np.float32) -> Scored:
        n = self.n
        total = np.zeros(n, dtype=np.float64)
        best = np.zeros(n, dtype=F32)
        mask = np.zeros(n, dtype=bool)
        for c in q.queries:
            m, s = self.evaluate(c, float(boost)).dense(n)
            total += s
            best = np.maximum(best, s)
            mask |= m
        others = total - best.astype(np.float64)  # exact: the sum of float32s in double is exact
        tie = float(F32(q.tie))
        scores = (best.astype(np.float64) + others * tie).astype(F32)
        return Scored(scores=np.where(mask, scores, F32(0.0)).astype(F32), mask=mask)


def _dense(score: Callable[[Evaluator, Any, np.float32], tuple[np.ndarray, np.ndarray]]) -> Callable[..., Scored]:
    """A ``lucene/function_score.py`` scorer's (mask, scores) as a dense :class:`Scored`."""

    def run(ev: Evaluator, q: Any, boost: np.float32) -> Scored:
        mask, scores = score(ev, q, boost)
        return Scored(scores=scores, mask=mask)

    return run


def _combined_field(ev: Evaluator, q: CombinedFieldQ, boost: np.float32) -> Scored:
    found = combined_matches(ev.s, q, boost)
    return _empty() if found is None else Scored(scores=found.scores, docs=found.docs, freqs=found.freqs)


def _prefix_span(ev: Evaluator, q: PrefixSpanQ, boost: np.float32) -> Scored:
    found = prefix_span_matches(ev.s, q, boost)
    return _empty() if found is None else Scored(scores=found[2], docs=found[0], freqs=found[1])


def _rank_feature(ev: Evaluator, q: RankFeatureQ, boost: np.float32) -> Scored:
    docs, scores = score_rank_feature(ev, q, boost)
    return Scored(scores=scores, docs=docs)


#: Each node type's scorer; the key's type is the second argument's, which a dict cannot say.
_DISPATCH: dict[type, Callable[[Evaluator, Any, np.float32], Scored]] = {
    TermQ: Evaluator._term,
    BlendedTermQ: Evaluator._blended_term,
    PhraseQ: Evaluator._phrase,
    SynonymQ: Evaluator._synonym,
    MultiPhraseQ: Evaluator._multi_phrase,
    SpanGraphQ: Evaluator._span_graph,
    MatchAllQ: Evaluator._match_all,
    MatchNoneQ: Evaluator._match_none,
    DocSetQ: Evaluator._doc_set,
    KnnHitsQ: Evaluator._knn_hits,
    FeatureQ: Evaluator._feature,
    NestedFeaturesQ: Evaluator._nested_features,
    NestedQ: Evaluator._nested,
    BoostQ: Evaluator._boost,
    ConstQ: Evaluator._const,
    NamedQ: Evaluator._named,
    BoolQ: Evaluator._bool,
    DisMaxQ: Evaluator._dis_max,
    FunctionScoreQ: _dense(score_function_score),
    BoostingQ: _dense(score_boosting),
    TermsSetQ: _dense(score_terms_set),
    RankFeatureQ: _rank_feature,
    CombinedFieldQ: _combined_field,
    PrefixSpanQ: _prefix_span,
}
