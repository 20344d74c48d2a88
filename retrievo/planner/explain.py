"""Explanation trees (``explain: true``): Lucene's for compiled queries, and the entry points that let
each operator explain its own part of a hit (``Operator.explain``, ``Operator.child_score``).

Values come from the evaluator's memo — the very numbers that produced ``_score`` — so the top value
always equals the hit's score. Descriptions follow Lucene's wording (``weight(field:term in doc)
[PerFieldSimilarity], result of:``, ``sum of:``, ``max plus 0.3 times others of:``), with Java's
float formatting where numbers appear inside text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from retrievo.index import bm25
from retrievo.lucene.combined_fields import CombinedFieldQ, combined_matches, explain_combined
from retrievo.lucene.function_score import SCORING_NODES, explain_scoring_match, explain_scoring_miss
from retrievo.lucene.java_format import java_float
from retrievo.lucene.prefix_span import PrefixSpanQ
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
from retrievo.lucene.scoring import Evaluator
from retrievo.planner.nested_query import explain_nested
from retrievo.response import es_float

if TYPE_CHECKING:
    from retrievo.planner.operators.base import ExecContext, Operator

F32 = np.float32


def node(value: float | np.floating, description: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
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


#: ``BM25Similarity.idfExplain``'s description of one term's idf.
IDF_FORMULA = "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:"


def _idf_inputs(df: Any, doc_count: Any) -> list[dict[str, Any]]:
    """The two statistics under every BM25 idf explanation (``n`` and ``N``)."""
    return [
        node(df, "n, number of documents containing term"),
        node(doc_count, "N, total number of documents with field"),
    ]


def _idf_node(idf: Any, df: Any, doc_count: Any) -> dict[str, Any]:
    """One term's idf explanation; a phrase-like query sums several of them (``idf, sum of:``)."""
    return node(float(idf), IDF_FORMULA, _idf_inputs(df, doc_count))


def _bm25_detail(
    ev: Evaluator,
    field: str,
    idf_value: float,
    idf_details: list[dict[str, Any]],
    boost: float,
    freq: float,
    doc: int,
    score: float,
    what: str,
) -> dict[str, Any]:
    inv = ev.s.inverted(field)
    assert inv is not None
    dl = float(inv.field_length(doc))
    avgdl = float(inv.avgdl)
    k1, b = float(bm25.K1), float(bm25.B)
    # BM25Scorer.explainTF, all in float: normInverse = 1 / (k1 * ((1 - b) + b * dl / avgdl)),
    # tf = 1 - 1 / (1 + freq * normInverse)
    one = F32(1)
    norm_inverse = one / F32(bm25.K1 * F32(F32(one - bm25.B) + F32(F32(bm25.B * F32(dl)) / F32(avgdl))))
    tf = F32(one - one / F32(one + F32(F32(freq) * norm_inverse)))
    # LegacyBM25Similarity hands BM25Similarity boost * (1 + k1), which is never 1, so it is always shown
    subs = [node(float(bm25.similarity_boost(boost)), "boost")]
    subs.append(node(idf_value, IDF_FORMULA, idf_details))
    subs.append(
        node(
            tf,
            "tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:",
            [
                node(
                    freq,
                    f"{what}, occurrences of term within document" if what == "freq" else f"{what}=" + java_float(freq),
                ),
                node(k1, "k1, term saturation parameter"),
                node(b, "b, length normalization parameter"),
                node(dl, "dl, length of field (approximate)" if dl > 40 else "dl, length of field"),
                node(avgdl, "avgdl, average length of field"),
            ],
        )
    )
    return node(score, f"score(freq={java_float(freq)}), computed as boost * idf * tf from:", subs)


def lucene_doc(ev: Evaluator, doc: int) -> int:
    """The doc id an explanation prints: the document's number on its shard, as Lucene numbers it."""
    local = ev.s.local_doc_ids
    return doc if local is None else int(local[doc])


def explain_query(ev: Evaluator, q: LQuery, doc: int, boost: float = 1.0) -> dict[str, Any] | None:
    """The explanation of ``q`` for ``doc``, or None when ``doc`` does not match ``q``."""
    q, ev = ev.shard_query(q, doc), ev.for_doc(doc)
    matched, score, freq = _score_at(ev, q, boost, doc)
    if not matched:
        return None
    if isinstance(q, (TermQ, BlendedTermQ)):  # a blended term: its own (blended) document frequency
        inv = ev.s.inverted(q.field)
        assert inv is not None and freq is not None
        tid = inv.terms[q.term]
        df = q.doc_freq if isinstance(q, BlendedTermQ) else inv.doc_freq(tid)
        idf_details = _idf_inputs(df, inv.doc_count)
        idf = bm25.idf(df, inv.doc_count) if isinstance(q, BlendedTermQ) else inv.idfs[tid]
        inner = _bm25_detail(ev, q.field, float(idf), idf_details, boost, freq, doc, score, "freq")
        return node(score, f"weight({q} in {lucene_doc(ev, doc)}) [PerFieldSimilarity], result of:", [inner])
    if isinstance(q, PhraseQ):
        inv = ev.s.inverted(q.field)
        assert inv is not None and freq is not None
        tids = [inv.terms[t] for t in q.terms]
        idfs = [inv.idfs[t] for t in tids]
        # BM25Similarity.idfExplain over several terms: "idf, sum of:" each term's own idf explanation
        idf_details = [_idf_node(i, inv.doc_freq(t), inv.doc_count) for i, t in zip(idfs, tids)]
        inner = _bm25_detail(
            ev, q.field, float(bm25.phrase_idf(idfs)), idf_details, boost, freq, doc, score, "phraseFreq"
        )
        inner["details"][1]["description"] = "idf, sum of:"
        return node(score, f"weight({q} in {lucene_doc(ev, doc)}) [PerFieldSimilarity], result of:", [inner])
    if isinstance(q, SynonymQ):
        return explain_synonym(ev, q, doc, boost, score, freq)
    if isinstance(q, SpanGraphQ):
        return explain_span_graph(ev, q, doc, boost, score, freq)
    if isinstance(q, PrefixSpanQ):
        return explain_prefix_span(ev, q, doc, boost, score, freq)
    if isinstance(q, MultiPhraseQ):
        return explain_multi_phrase(ev, q, doc, boost, score, freq)
    if isinstance(q, FeatureQ):
        return _explain_feature(ev, q, doc, boost, score)
    if isinstance(q, CombinedFieldQ):
        found = combined_matches(ev.s, q, F32(boost))
        assert found is not None
        return explain_combined(found, q, doc, boost, node, lucene_doc(ev, doc))
    if isinstance(q, SCORING_NODES):
        return explain_scoring_match(ev, q, doc, boost, score, *_bound(ev), node)
    if isinstance(q, NestedFeaturesQ):
        return node(score, f"Score based on child docs of {q.field}, using score mode Max")
    if isinstance(q, NestedQ):
        return explain_nested(ev, q, doc, boost, score, explain_query, node)
    if isinstance(q, BoostQ):
        return explain_query(ev, q.query, doc, float(F32(F32(boost) * F32(q.boost))))
    if isinstance(q, NamedQ):
        return explain_query(ev, q.query, doc, boost)
    if isinstance(q, ConstQ):
        suffix = "" if F32(score) == F32(1) else "^" + java_float(score)
        # ``exists`` is the one doc set Elasticsearch wraps in a ConstantScoreQuery itself
        # (ExistsQueryBuilder.newFilter); the others are point, term-set or range queries that score
        # constantly on their own, and explain as their own toString.
        own = isinstance(q.query, DocSetQ) and q.query.kind == "exists"
        return node(score, f"{q if own else q.query}{suffix}")
    if isinstance(q, (MatchAllQ, DocSetQ)):
        return node(score, str(q))
    if isinstance(q, MatchNoneQ):
        return None
    if isinstance(q, KnnHitsQ):
        if q.from_query:
            return node(score, "within top k documents")  # the knn query's KnnScoreDocQuery: no more said
        # a top-level knn section's hits, explained as the knn retriever explains them (with the similarity)
        similarity = java_float(float(F32(score) / F32(boost))) if boost else java_float(score)
        return node(
            score, "within top k documents", [node(score, f"found vector with calculated similarity: {similarity}")]
        )
    if isinstance(q, DisMaxQ):
        subs = [e for c in q.queries if (e := explain_query(ev, c, doc, boost)) is not None]
        desc = "max of:" if q.tie == 0 else f"max plus {java_float(q.tie)} times others of:"
        return node(score, desc, subs)
    if isinstance(q, BoolQ):
        subs = [e for c in q.must + q.should if (e := explain_query(ev, c, doc, boost)) is not None]
        for f in q.filter:
            e = explain_query(ev, f, doc, boost)
            if e is not None:
                subs.append(node(0.0, "match on required clause, product of:", [node(0.0, "# clause"), e]))
        return node(score, "sum of:", subs)
    raise TypeError(type(q))  # pragma: no cover


def explain_multi_phrase(
    ev: Evaluator, q: MultiPhraseQ, doc: int, boost: float, score: float, freq: float | None
) -> dict[str, Any]:
    """``MultiPhraseWeight``'s explanation: a phrase's, its idf summed over every term of every position."""
    from retrievo.lucene.multi_phrase import group_ids

    inv = ev.s.inverted(q.field)
    ids = group_ids(inv, q.groups) if inv is not None else None
    assert inv is not None and ids is not None and freq is not None
    tids = [t for group in ids for t in group]
    # BM25Similarity.idfExplain over many terms: "idf, sum of:" each term's own idf explanation
    idf_details = [_idf_node(inv.idfs[t], inv.doc_freq(t), inv.doc_count) for t in tids]
    idf = float(bm25.phrase_idf([inv.idfs[t] for t in tids]))
    inner = _bm25_detail(ev, q.field, idf, idf_details, boost, freq, doc, score, "phraseFreq")
    inner["details"][1]["description"] = "idf, sum of:"
    return node(score, f"weight({q} in {lucene_doc(ev, doc)}) [PerFieldSimilarity], result of:", [inner])


def explain_span_graph(
    ev: Evaluator, q: SpanGraphQ, doc: int, boost: float, score: float, freq: float | None
) -> dict[str, Any]:
    """``SpanWeight.explain``: BM25 with ``phraseFreq=`` the span frequency; the idf of one term, or
    ``idf, sum of:`` the idfs of several."""
    from retrievo.lucene.span_graph import span_idf_terms

    inv = ev.s.inverted(q.field)
    assert inv is not None and freq is not None
    tids = span_idf_terms(inv, q.tree)
    per_term = [_idf_node(inv.idfs[t], inv.doc_freq(t), inv.doc_count) for t in tids]
    if len(tids) == 1:
        idf, idf_details = float(inv.idfs[tids[0]]), per_term[0]["details"]
    else:
        idf, idf_details = float(bm25.phrase_idf([inv.idfs[t] for t in tids])), per_term
    inner = _bm25_detail(ev, q.field, idf, idf_details, boost, freq, doc, score, "phraseFreq")
    if len(tids) > 1:
        inner["details"][1]["description"] = "idf, sum of:"
    return node(score, f"weight({q} in {lucene_doc(ev, doc)}) [PerFieldSimilarity], result of:", [inner])


def explain_prefix_span(
    ev: Evaluator, q: PrefixSpanQ, doc: int, boost: float, score: float, freq: float | None
) -> dict[str, Any]:
    """``SpanWeight.explain`` of a phrase prefix's span near (``lucene/prefix_span.py``): every term's
    idf over the near's field's document count."""
    from retrievo.lucene.prefix_span import weight_terms

    inv = ev.s.inverted(q.field)
    assert inv is not None and freq is not None
    stats = weight_terms(ev.s, q)
    idfs = [bm25.idf(df, inv.doc_count) for _, _, df in stats]
    per_term = [_idf_node(idf, df, inv.doc_count) for idf, (_, _, df) in zip(idfs, stats, strict=True)]
    if len(stats) == 1:
        idf, idf_details = float(idfs[0]), per_term[0]["details"]
    else:
        idf, idf_details = float(bm25.phrase_idf(idfs)), per_term
    inner = _bm25_detail(ev, q.field, idf, idf_details, boost, freq, doc, score, "phraseFreq")
    if len(stats) > 1:
        inner["details"][1]["description"] = "idf, sum of:"
    return node(score, f"weight({q} in {lucene_doc(ev, doc)}) [PerFieldSimilarity], result of:", [inner])


def explain_synonym(
    ev: Evaluator, q: SynonymQ, doc: int, boost: float, score: float, freq: float | None
) -> dict[str, Any]:
    """``SynonymWeight.explain``: BM25 over the pseudo term (the largest docFreq) with ``termFreq=``
    the summed frequency."""
    from retrievo.lucene.synonym_query import synonym_matches

    found = synonym_matches(ev.s.inverted(q.field), q.terms, F32(boost))
    assert found is not None and freq is not None
    inv = ev.s.inverted(q.field)
    assert inv is not None
    idf_details = _idf_inputs(found.doc_freq, inv.doc_count)
    inner = _bm25_detail(ev, q.field, float(found.idf), idf_details, boost, freq, doc, score, "termFreq")
    return node(score, f"weight({q} in {lucene_doc(ev, doc)}) [PerFieldSimilarity], result of:", [inner])


def _explain_feature(ev: Evaluator, q: FeatureQ, doc: int, boost: float, score: float) -> dict[str, Any]:
    """``FeatureQuery``'s explanation with ``LinearFunction``: ``w * S`` from the weight and the value."""
    from retrievo.lucene.feature_field import feature_value

    value = feature_value(ev.s, q.field, q.feature, doc)
    assert value is not None
    return node(
        score,
        f"Linear function on the {q.field} field for the {q.feature} feature, computed as w * S from:",
        [node(boost, "w, weight of this function"), node(value, "S, feature value")],
    )


def filters_wrapped(
    main: dict[str, Any] | None, ev: Evaluator, filters: tuple[LQuery, ...], doc: int, score: float
) -> dict[str, Any] | None:
    """A query with bool filters explains as Lucene's ``sum of:`` with the filter clauses at 0."""
    if not filters:
        return main
    subs = [main] if main is not None else []
    for f in filters:
        e = explain_query(ev, f, doc)
        if e is None:
            return None
        subs.append(node(0.0, "match on required clause, product of:", [node(0.0, "# clause"), e]))
    return node(score, "sum of:", subs)


def explain_operator(op: Operator, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
    """The explanation of ``doc`` by the retriever that ``op`` (a plan subtree) executes, from the
    numbers the run ``ctx`` recorded (its evaluator's memo, its trace, its kNN hits); ``score`` is the
    hit's score, the explanation's top value. Each operator explains its own part (``Operator.explain``):
    fusions in Elasticsearch's rrf/linear formats around their children's explanations, a scoring chain
    as Lucene does, a kNN hit as a top-k document."""
    return op.explain(ctx, doc, score)


def explain_child(op: Operator, ctx: ExecContext, doc: int) -> dict[str, Any] | None:
    """A child retriever's explanation of ``doc``, topped by the score the child gave it."""
    return op.explain(ctx, doc, op.child_score(ctx, doc))


def _bound(ev: Evaluator) -> tuple[Any, Any]:
    """:func:`explain_query` and :func:`explain_lucene` on ``ev``, for ``lucene/function_score.py``."""
    return (lambda q, doc, boost: explain_query(ev, q, doc, boost)), (
        lambda q, doc, boost: explain_lucene(ev, q, doc, boost)
    )


def explain_lucene(ev: Evaluator, q: LQuery, doc: int, boost: float = 1.0) -> dict[str, Any]:
    """``Weight.explain`` for ``q`` and ``doc`` whether it matches or not (the explain API): a match as
    :func:`explain_query` gives it, a miss as Lucene's ``Explanation.noMatch`` for that query type
    (value 0): ``no matching term`` (term, phrase), ``No matching clause`` (dis_max), the boolean
    query's clause-by-clause account, ``<query> doesn't match id <doc>`` (constant-score queries)."""
    found = explain_query(ev, q, doc, boost)
    if found is not None:
        return found
    if isinstance(
        q, (TermQ, BlendedTermQ, PhraseQ, SynonymQ, MultiPhraseQ, SpanGraphQ, FeatureQ, CombinedFieldQ, PrefixSpanQ)
    ):
        return node(0.0, "no matching term")
    if isinstance(q, (NestedFeaturesQ, NestedQ)):
        return node(0.0, "Not a match")
    if isinstance(q, SCORING_NODES):
        return explain_scoring_miss(ev, q, doc, boost, *_bound(ev), node)
    if isinstance(q, KnnHitsQ):
        return node(0.0, "not in top k documents")
    if isinstance(q, BoostQ):
        return explain_lucene(ev, q.query, doc, float(F32(F32(boost) * F32(q.boost))))
    if isinstance(q, NamedQ):
        return explain_lucene(ev, q.query, doc, boost)
    if isinstance(q, MatchNoneQ):
        return node(0.0, q.reason)
    if isinstance(q, DisMaxQ):
        return node(0.0, "No matching clause")
    if isinstance(q, BoolQ):
        return _bool_no_match(ev, q, doc, boost)
    shown = q.query if isinstance(q, ConstQ) else q
    return node(0.0, f"{shown} doesn't match id {doc}")


def _bool_no_match(ev: Evaluator, q: BoolQ, doc: int, boost: float) -> dict[str, Any]:
    """``BooleanWeight.explain`` for a document the query does not match; clauses in the order
    Elasticsearch's ``bool`` query adds them (must, must_not, should, filter)."""
    subs: list[dict[str, Any]] = []
    fail = False
    match_count = should_count = 0
    clauses = [(c, "must") for c in q.must] + [(c, "must_not") for c in q.must_not]
    clauses += [(c, "should") for c in q.should] + [(c, "filter") for c in q.filter]
    for clause, occur in clauses:
        found = explain_query(ev, clause, doc, boost)
        e = found if found is not None else explain_lucene(ev, clause, doc, boost)
        if found is not None:
            if occur in ("must", "should"):
                subs.append(e)
            elif occur == "filter":
                subs.append(node(0.0, "match on required clause, product of:", [node(0.0, "# clause"), e]))
            else:
                subs.append(node(0.0, f"match on prohibited clause ({clause})", [e]))
                fail = True
            if occur != "must_not":
                match_count += 1
            if occur == "should":
                should_count += 1
        elif occur in ("must", "filter"):
            subs.append(node(0.0, f"no match on required clause ({clause})", [e]))
            fail = True
    if fail:
        return node(0.0, "Failure to meet condition(s) of required/prohibited clause(s)", subs)
    if match_count == 0:
        return node(0.0, "No matching clauses", subs)
    return node(0.0, f"Failure to match minimum number of optional clauses: {q.msm}", subs)
