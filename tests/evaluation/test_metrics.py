"""The five metrics on hand-computed cases: first as pure functions, then through ``rank_eval``."""

from __future__ import annotations

import math

import pytest

from retrievo import Engine
from retrievo.evaluation import metrics


def log2(x: float) -> float:
    return math.log(x) / math.log(2)


def test_precision_counts_unrated_hits_as_false_positives_unless_ignored():
    assert metrics.precision([1, None, 0, 2]) == (0.5, {"relevant_docs_retrieved": 2, "docs_retrieved": 4})
    assert metrics.precision([1, None, 0, 2], ignore_unlabeled=True) == (
        2 / 3,
        {"relevant_docs_retrieved": 2, "docs_retrieved": 3},
    )
    assert metrics.precision([1, None, 0, 2], threshold=2)[0] == 0.25
    assert metrics.precision([None, None], ignore_unlabeled=True) == (
        0.0,
        {"relevant_docs_retrieved": 0, "docs_retrieved": 0},
    )
    assert metrics.precision([]) == (0.0, {"relevant_docs_retrieved": 0, "docs_retrieved": 0})


def test_recall_divides_by_every_relevant_rated_document():
    assert metrics.recall([1, None, 0], [1, 0, 1, 2]) == (1 / 3, {"relevant_docs_retrieved": 1, "relevant_docs": 3})
    assert metrics.recall([1, None, 0], [1, 0, 1, 2], threshold=2) == (
        0.0,
        {"relevant_docs_retrieved": 0, "relevant_docs": 1},
    )
    assert metrics.recall([None], [0, 0]) == (0.0, {"relevant_docs_retrieved": 0, "relevant_docs": 0})


def test_reciprocal_rank_of_the_first_relevant_hit():
    assert metrics.reciprocal_rank([None, 0, 1, 1]) == (1 / 3, {"first_relevant": 3})
    assert metrics.reciprocal_rank([2, 1], threshold=2) == (1.0, {"first_relevant": 1})
    assert metrics.reciprocal_rank([None, 0]) == (0.0, {"first_relevant": -1})


def test_dcg_exponential_gain_and_log2_discount():
    # Elasticsearch's DiscountedCumulativeGainTests example: ratings 3, 2, 3, 0, 1, 2 in rank order
    terms = [7 / log2(2), 3 / log2(3), 7 / log2(4), 0 / log2(5), 1 / log2(6), 3 / log2(7)]
    score, detail = metrics.dcg([3, 2, 3, 0, 1, 2], [3, 2, 3, 0, 1, 2])
    assert score == pytest.approx(sum(terms), rel=1e-15) and score == pytest.approx(13.84826362927298, abs=1e-12)
    assert detail == {"dcg": score, "unrated_docs": 0}


def test_dcg_unrated_hits_keep_their_rank_or_take_unknown_doc_rating():
    score, detail = metrics.dcg([3, 2, 3, None, 1, 2], [3, 2, 3, 1, 2])
    assert score == pytest.approx(7 + 3 / log2(3) + 7 / log2(4) + 1 / log2(6) + 3 / log2(7), rel=1e-15)
    assert detail["unrated_docs"] == 1
    filled, _ = metrics.dcg([3, 2, 3, None, 1, 2], [3, 2, 3, 1, 2], unknown_doc_rating=2)
    assert filled == pytest.approx(score + 3 / log2(5), rel=1e-15)


def test_normalized_dcg_ideal_is_all_ratings_sorted_and_cut_to_the_hits():
    hits = [1, None, 3]
    rated = [3, 1, 2, 2]
    dcg = 1 + 7 / log2(4)
    ideal = 7 + 3 / log2(3) + 3 / log2(4)  # 3, 2, 2: three hits, so three ideal places
    score, detail = metrics.dcg(hits, rated, normalize=True)
    assert score == pytest.approx(dcg / ideal, rel=1e-15)
    assert detail == {
        "dcg": pytest.approx(dcg),
        "ideal_dcg": pytest.approx(ideal),
        "normalized_dcg": pytest.approx(dcg / ideal),
        "unrated_docs": 1,
    }
    # nothing relevant rated: ideal 0 -> score 0 and no ideal/normalized fields in the detail
    assert metrics.dcg([0, None], [0], normalize=True) == (0.0, {"dcg": 0.0, "unrated_docs": 1})


def test_expected_reciprocal_rank_by_hand():
    # ratings 1, unrated, 2 with maximum_relevance 2: R = (2^r - 1) / 2^2
    score, detail = metrics.expected_reciprocal_rank([1, None, 2], maximum_relevance=2)
    assert score == pytest.approx(0.25 / 1 + 0.75 * 0.75 / 3, rel=1e-15)
    assert detail == {"unrated_docs": 1}
    filled, _ = metrics.expected_reciprocal_rank([1, None, 2], maximum_relevance=2, unknown_doc_rating=1)
    assert filled == pytest.approx(0.25 + 0.75 * 0.25 / 2 + 0.75 * 0.75 * 0.75 / 3, rel=1e-15)


# ---------------------------------------------------------------------------------------------- via rank_eval


@pytest.fixture(scope="module")
def docs() -> Engine:
    engine = Engine()
    texts = {"a": "red apple", "b": "red red apple pie", "c": "green apple", "d": "red car", "e": "blue sky"}
    ops: list[dict] = []
    for doc_id, text in texts.items():
        ops += [{"index": {"_index": "fruit", "_id": doc_id}}, {"text": text}]
    engine.bulk(operations=ops, refresh=True)
    return engine


def _order(engine: Engine, query: str) -> list[str]:
    hits = engine.search(index="fruit", query={"match": {"text": query}}, size=10)["hits"]["hits"]
    return [h["_id"] for h in hits]


def test_each_metric_through_rank_eval_matches_the_pure_function(docs):
    order = _order(docs, "red apple")
    assert set(order) == {"a", "b", "c", "d"}
    ratings = {"a": 2, "c": 0, "d": 1, "e": 3}
    by_rank = [ratings.get(doc_id) for doc_id in order[:3]]
    request = {
        "id": "q",
        "request": {"query": {"match": {"text": "red apple"}}},
        "ratings": [{"_index": "fruit", "_id": k, "rating": v} for k, v in ratings.items()],
    }
    cases = {
        "precision": ({"k": 3}, metrics.precision(by_rank)),
        "recall": ({"k": 3}, metrics.recall(by_rank, list(ratings.values()))),
        "mean_reciprocal_rank": (
            {"k": 3, "relevant_rating_threshold": 2},
            metrics.reciprocal_rank(by_rank, threshold=2),
        ),
        "dcg": ({"k": 3, "normalize": True}, metrics.dcg(by_rank, list(ratings.values()), normalize=True)),
        "expected_reciprocal_rank": (
            {"k": 3, "maximum_relevance": 3},
            metrics.expected_reciprocal_rank(by_rank, maximum_relevance=3),
        ),
    }
    for name, (params, (score, detail)) in cases.items():
        response = docs.rank_eval(index="fruit", requests=[request], metric={name: params})
        one = response["details"]["q"]
        assert response["metric_score"] == one["metric_score"] == score, name
        assert one["metric_details"] == {name: detail}, name
        assert [h["hit"]["_id"] for h in one["hits"]] == order[:3], name
        assert [h["rating"] for h in one["hits"]] == by_rank, name
        assert one["unrated_docs"] == [{"_index": "fruit", "_id": d} for d in order[:3] if d not in ratings]
        assert response["failures"] == {}


def test_k_forces_the_size_of_each_search(docs):
    request = {
        "id": "q",
        "request": {"query": {"match": {"text": "red apple"}}, "size": 1},
        "ratings": [{"_index": "fruit", "_id": "c", "rating": 1}],
    }
    response = docs.rank_eval(index="fruit", requests=[request], metric={"recall": {"k": 4}})
    assert len(response["details"]["q"]["hits"]) == 4
    assert response["metric_score"] == 1.0


def test_summary_fields_choose_the_source_returned(docs):
    request = {
        "id": "q",
        "request": {"query": {"match": {"text": "sky"}}},
        "summary_fields": ["text"],
        "ratings": [{"_index": "fruit", "_id": "e", "rating": 1}],
    }
    hit = docs.rank_eval(requests=[request], metric={"precision": {}})["details"]["q"]["hits"][0]["hit"]
    assert hit["_source"] == {"text": "blue sky"}
    request.pop("summary_fields")
    hit = docs.rank_eval(requests=[request], metric={"precision": {}})["details"]["q"]["hits"][0]["hit"]
    assert "_source" not in hit


def test_mean_is_over_requests_that_ran(docs):
    requests = [
        {
            "id": "one",
            "request": {"query": {"match": {"text": "sky"}}},
            "ratings": [{"_index": "fruit", "_id": "e", "rating": 1}],
        },
        {
            "id": "half",
            "request": {"query": {"match": {"text": "green car"}}},
            "ratings": [{"_index": "fruit", "_id": "c", "rating": 1}],
        },
        {
            "id": "broken",
            "request": {"query": {"match": {"text": "x"}}},
            "ratings": [{"_index": "fruit", "_id": "c", "rating": 1}],
        },
    ]
    # a concrete index that does not exist makes every search fail: all land in failures
    response = docs.rank_eval(index="nope", requests=requests, metric={"precision": {}})
    assert response["details"] == {} and math.isnan(response["metric_score"])
    assert response["failures"]["one"]["error"]["type"] == "index_not_found_exception"
    response = docs.rank_eval(index="fruit", requests=requests[:2], metric={"precision": {}})
    assert response["metric_score"] == (1.0 + 0.5) / 2
