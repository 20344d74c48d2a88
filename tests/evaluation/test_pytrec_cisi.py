"""``_rank_eval`` against pytrec_eval (trec_eval) on CISI: the same BM25 runs scored by both.

pytrec_eval gets exactly the hits ``rank_eval`` saw (its ``details.*.hits``), scored by rank so that
trec_eval's own tie order (score, then docid descending) cannot reorder them. Where the two
definitions coincide the per-query scores must agree to floating-point rounding:

* ``precision`` (k=10) = trec_eval ``P_10``: Elasticsearch divides by the hits retrieved, trec_eval by
  10 -- the same whenever a query returns at least 10 hits (asserted, it holds for every CISI query).
* ``recall`` (k=10) = ``recall_10``: both divide by all judged-relevant documents.
* ``mean_reciprocal_rank`` (k=10) = ``recip_rank`` of the top-10 run (trec_eval's is uncut, so it is
  given the 10 hits only).
* ``dcg`` normalized (k=10) = ``ndcg_cut_10``: Elasticsearch's gain is 2^rating - 1, trec_eval's is
  the rating itself; CISI's judgements are binary, where the two are equal. Both ideal rankings are
  all judged documents sorted by rating, cut at 10.

``expected_reciprocal_rank`` has no trec_eval measure and is not compared here (it is checked by
hand-computed cases in test_metrics.py).
"""

from __future__ import annotations

import math

import pytest

from retrievo import Engine
from retrievo.evaluation import BM25_TEMPLATE, load_collection, run_template
from tests.conftest import shared_path

pytrec_eval = pytest.importorskip("pytrec_eval")

METRICS = {
    "P_10": {"precision": {"k": 10}},
    "recall_10": {"recall": {"k": 10}},
    "recip_rank": {"mean_reciprocal_rank": {"k": 10}},
    "ndcg_cut_10": {"dcg": {"k": 10, "normalize": True}},
}


@pytest.fixture(scope="module")
def cisi():
    collection = load_collection(shared_path("fixtures", "cisi"))
    engine = Engine()
    assert collection.index_into(engine, "cisi") == 1460
    return engine, collection


def _run_of(response: dict) -> dict[str, dict[str, float]]:
    """The hits each query got, as a trec run scored by rank (10, 9, ...)."""
    return {
        qid: {h["hit"]["_id"]: float(len(d["hits"]) - rank) for rank, h in enumerate(d["hits"])}
        for qid, d in response["details"].items()
    }


def test_cisi_loads_through_the_loader(cisi):
    _, collection = cisi
    assert len(collection.corpus) == 1460 and len(collection.queries) == 112
    assert len(collection.judged_query_ids()) == 76
    assert sum(len(r) for r in collection.qrels.values()) == 3114


@pytest.mark.parametrize("measure", sorted(METRICS))
def test_per_query_and_mean_scores_match_trec_eval(cisi, measure):
    engine, collection = cisi
    response = run_template(
        engine, index="cisi", template=BM25_TEMPLATE, collection=collection, metric=METRICS[measure]
    )
    assert response["failures"] == {}
    assert len(response["details"]) == 76
    assert all(len(d["hits"]) == 10 for d in response["details"].values())
    qrels = {qid: dict(rels) for qid, rels in collection.qrels.items()}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {measure})
    trec = evaluator.evaluate(_run_of(response))
    ours = {qid: d["metric_score"] for qid, d in response["details"].items()}
    assert set(trec) == set(ours)
    for qid, score in ours.items():
        assert score == pytest.approx(trec[qid][measure], abs=1e-12), qid
    trec_mean = math.fsum(v[measure] for v in trec.values()) / len(trec)
    assert response["metric_score"] == pytest.approx(trec_mean, abs=1e-12)


def test_graded_ndcg_differs_from_trec_eval_only_by_the_gain(cisi):
    """With grades above 1, Elasticsearch's exponential gain (2^r - 1) and trec_eval's linear gain
    part ways; giving trec_eval the ratings 2^r - 1 makes the two agree again."""
    engine, collection = cisi
    graded = {
        qid: {doc: (2 if i % 3 == 0 else 1) for i, doc in enumerate(rels)} for qid, rels in collection.qrels.items()
    }
    from retrievo.evaluation.collections import Collection

    graded_collection = Collection(collection.corpus, collection.queries, graded)
    response = run_template(
        engine,
        index="cisi",
        template=BM25_TEMPLATE,
        collection=graded_collection,
        metric={"dcg": {"k": 10, "normalize": True}},
    )
    run = _run_of(response)
    exponential = {q: {d: 2**r - 1 for d, r in rels.items()} for q, rels in graded.items()}
    trec_exp = pytrec_eval.RelevanceEvaluator(exponential, {"ndcg_cut_10"}).evaluate(run)
    trec_linear = pytrec_eval.RelevanceEvaluator(graded, {"ndcg_cut_10"}).evaluate(run)
    ours = {qid: d["metric_score"] for qid, d in response["details"].items()}
    for qid, score in ours.items():
        assert score == pytest.approx(trec_exp[qid]["ndcg_cut_10"], abs=1e-12), qid
    assert any(abs(ours[q] - trec_linear[q]["ndcg_cut_10"]) > 1e-6 for q in ours)
