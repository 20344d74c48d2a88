"""Lucene-style explanation trees (``explain: true``) for the hits of a BM25 plan.

Values come from the evaluator's memo — the very numbers that produced ``_score`` — so the top value
always equals the hit's score. Descriptions follow Lucene's wording (``weight(field:term in doc)
[PerFieldSimilarity], result of:``, ``sum of:``, ``max plus 0.3 times others of:``), with Java's
float formatting where numbers appear inside text.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retrievo.index import bm25
from retrievo.lucene.java_format import java_float
from retrievo.lucene.query import (
    BoolQ, BoostQ, ConstQ, DisMaxQ, DocSetQ, LQuery, MatchAllQ, MatchNoneQ, NamedQ, PhraseQ, TermQ,
)
from retrievo.lucene.scoring import Evaluator
from retrievo.response import es_float

F32 = np.float32


def _node(value: float, description: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"value": es_float(value), "description": description, "details": details or []}


def _score_at(ev: Evaluator, q: LQuery, boost: float, doc: int) -> tuple[bool, float, float | None]:
    r = ev.evaluate(q, boost)
    if r.docs is not None:
        i = int(np.searchsorted(r.docs, doc))
        if i < r.docs.size and r.docs[i] == doc:
            freq = float(r.freqs[i]) if r.freqs is not None else None
            return True, float(r.scores[i]), freq
        return False, 0.0, None
    assert r.mask is not None
    return bool(r.mask[doc]), float(r.scores[doc]), None


def _bm25_detail(ev: Evaluator, field: str, idf_value: float, idf_details: list[dict[str, Any]],
                 boost: float, freq: float, doc: int, score: float, what: str) -> dict[str, Any]:
    inv = ev.s.inverted(field)
    assert inv is not None
    dl = float(inv.field_length(doc))
    avgdl = float(inv.avgdl)
    k1, b = float(bm25.K1), float(bm25.B)
    tf = F32(freq / (freq + k1 * (1 - b + b * dl / avgdl)))
    subs = []
    if F32(boost) != F32(1):
        subs.append(_node(boost, "boost"))
    subs.append(_node(idf_value, "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:", idf_details))
    subs.append(_node(tf, "tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:", [
        _node(freq, f"{what}, occurrences of term within document" if what == "freq"
              else "phraseFreq=" + java_float(freq)),
        _node(k1, "k1, term saturation parameter"),
        _node(b, "b, length normalization parameter"),
        _node(dl, "dl, length of field (approximate)" if dl > 40 else "dl, length of field"),
        _node(avgdl, "avgdl, average length of field"),
    ]))
    return _node(score, f"score(freq={java_float(freq)}), computed as boost * idf * tf from:", subs)


def explain(ev: Evaluator, q: LQuery, doc: int, boost: float = 1.0) -> dict[str, Any] | None:
    """The explanation of ``q`` for ``doc``, or None when ``doc`` does not match ``q``."""
    matched, score, freq = _score_at(ev, q, boost, doc)
    if not matched:
        return None
    if isinstance(q, TermQ):
        inv = ev.s.inverted(q.field)
        assert inv is not None and freq is not None
        tid = inv.terms[q.term]
        idf_details = [_node(inv.doc_freq(tid), "n, number of documents containing term"),
                       _node(inv.doc_count, "N, total number of documents with field")]
        inner = _bm25_detail(ev, q.field, float(inv.idfs[tid]), idf_details, boost, freq, doc, score, "freq")
        return _node(score, f"weight({q} in {doc}) [PerFieldSimilarity], result of:", [inner])
    if isinstance(q, PhraseQ):
        inv = ev.s.inverted(q.field)
        assert inv is not None and freq is not None
        tids = [inv.terms[t] for t in q.terms]
        idfs = [inv.idfs[t] for t in tids]
        idf_details = [_node(float(i), "idf(docFreq=%d, docCount=%d)" % (inv.doc_freq(t), inv.doc_count))
                       for i, t in zip(idfs, tids)]
        inner = _bm25_detail(ev, q.field, float(bm25.phrase_idf(idfs)), idf_details, boost, freq, doc,
                             score, "phraseFreq")
        return _node(score, f"weight({q} in {doc}) [PerFieldSimilarity], result of:", [inner])
    if isinstance(q, BoostQ):
        return explain(ev, q.query, doc, float(F32(F32(boost) * F32(q.boost))))
    if isinstance(q, NamedQ):
        return explain(ev, q.query, doc, boost)
    if isinstance(q, ConstQ):
        suffix = "" if F32(score) == F32(1) else "^" + java_float(score)
        return _node(score, f"{q.query}{suffix}")
    if isinstance(q, (MatchAllQ, DocSetQ)):
        return _node(score, str(q))
    if isinstance(q, MatchNoneQ):
        return None
    if isinstance(q, DisMaxQ):
        subs = [e for c in q.queries if (e := explain(ev, c, doc, boost)) is not None]
        desc = "max of:" if q.tie == 0 else f"max plus {java_float(q.tie)} times others of:"
        return _node(score, desc, subs)
    if isinstance(q, BoolQ):
        subs = [e for c in q.must + q.should if (e := explain(ev, c, doc, boost)) is not None]
        for f in q.filter:
            e = explain(ev, f, doc, boost)
            if e is not None:
                subs.append(_node(0.0, "match on required clause, product of:",
                                  [_node(0.0, "# clause"), e]))
        return _node(score, "sum of:", subs)
    raise TypeError(type(q))  # pragma: no cover


def _filters_wrapped(main: dict[str, Any] | None, ev: Evaluator, filters: tuple[LQuery, ...], doc: int,
                     score: float) -> dict[str, Any] | None:
    """A query with bool filters explains as Lucene's ``sum of:`` with the filter clauses at 0."""
    if not filters:
        return main
    subs = [main] if main is not None else []
    for f in filters:
        e = explain(ev, f, doc)
        if e is None:
            return None
        subs.append(_node(0.0, "match on required clause, product of:", [_node(0.0, "# clause"), e]))
    return _node(score, "sum of:", subs)


def explain_operator(op: Any, ev: Evaluator, doc: int, score: float) -> dict[str, Any] | None:
    """The explanation of ``doc`` by the retriever that ``op`` (a plan subtree) executes.

    Fusion operators explain in Elasticsearch's rrf/linear formats around their children's own
    explanations; a scoring chain explains as Lucene does; a kNN hit as a top-k document.
    """
    from retrievo.planner.operators.base import Operator
    from retrievo.planner.operators.query import Bm25Score, ConstantScore, Filter, MinScore, TerminateAfter
    from retrievo.planner.operators.top_docs import Page, TopDocs
    from retrievo.planner.operators.vector import KnnScore, VectorSearch
    from retrievo.planner.operators.fusion import FusionOperator
    from retrievo.planner.operators.rerank import Rerank
    if isinstance(op, FusionOperator):
        if doc not in op.details:
            return None
        kids = [explain_operator(c, ev, doc, _child_score(ev, c, doc)) for c in op.children_ops]
        return op.explain(doc, es_float(score), kids)
    if isinstance(op, Rerank):
        if doc not in op.scores_by_doc:
            return None
        return op.explain(doc, es_float(score), explain_operator(op.child, ev, doc, _child_score(ev, op.child, doc)))
    if isinstance(op, Filter):
        return _filters_wrapped(explain_operator(op.child, ev, doc, score), ev, op.filters, doc, score)
    if isinstance(op, (TopDocs, MinScore, TerminateAfter, Page)):
        return explain_operator(op.child, ev, doc, score)
    if isinstance(op, Bm25Score):
        return explain(ev, op.query, doc)
    if isinstance(op, ConstantScore):
        return _node(op.score, "*:*")
    if isinstance(op, KnnScore):
        hits = ev.precomputed.get(op.child.slot)
        if hits is None or doc not in set(hits[0].tolist()):
            return None
        value = float(hits[1][hits[0].tolist().index(doc)])
        return _node(value, f"within top {op.child.search.k} documents",
                     [_node(value, f"found vector with calculated similarity: {java_float(value)}")])
    return None


def _child_score(ev: Evaluator, op: Any, doc: int) -> float:
    """The score a child retriever gave ``doc`` (what its explanation's top value must equal)."""
    from retrievo.planner.operators.base import Operator
    from retrievo.planner.operators.query import Bm25Score, ConstantScore, Filter, MinScore, TerminateAfter
    from retrievo.planner.operators.top_docs import Page, TopDocs
    from retrievo.planner.operators.vector import KnnScore, VectorSearch
    from retrievo.planner.operators.fusion import FusionOperator
    from retrievo.planner.operators.rerank import Rerank
    if isinstance(op, FusionOperator):
        return float(op.fused_scores.get(doc, 0.0))
    if isinstance(op, Rerank):
        return float(op.scores_by_doc.get(doc, 0.0))
    if isinstance(op, (TopDocs, MinScore, TerminateAfter, Filter)):
        return _child_score(ev, op.child, doc)
    if isinstance(op, Bm25Score):
        return float(ev.evaluate(op.query).dense(ev.n)[1][doc])
    if isinstance(op, ConstantScore):
        return op.score
    return 0.0
