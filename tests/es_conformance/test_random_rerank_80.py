"""Port of Elasticsearch's ``random_reranker`` retriever YAML REST tests.

Source: ``x-pack/plugin/inference/src/yamlRestTest/resources/rest-api-spec/test/inference/80_random_rerank_retriever.yml``
in ``elastic/elasticsearch``, read at commit ``01195333bcdb620d4f5a5eef7bc8e3827dcb1f15`` (with ``seed``).
``random_reranker`` is registered by the inference plugin in production (``InferencePlugin.getRetrievers``):
``RandomRankRetrieverBuilder`` → ``RandomRankBuilder`` → ``RandomRankFeaturePhaseRankCoordinatorContext``,
which scores each document ``new Random(seed + doc).nextFloat()`` (``doc``: the shard doc id; without a
seed, ``new Random(doc)``). Index and documents: ``build_random_rerank_engine`` in ``conftest.py``
(doc_1 … doc_5 are shard docs 0 … 4).

The YAML's child query is ``query_string: {query: "pugs"}``; the reranker's scores depend only on which
documents the child returns (all five) and their doc ids, so most cases run with ``match: {text: pugs}``
(the same five documents) and the YAML's own ``query_string`` requests run in
``test_yaml_requests_with_query_string``. Expected scores are derived from Java's LCG definition (``retrievo.java_random``, tested in
``tests/test_java_random.py``) and agree with the YAML's ``close_to`` values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from es_yaml import assert_catch_regex, assert_close_to, at, ids, scores, total
from retrievo import Engine, java_random
from retrievo.errors import ApiError

PUGS: dict[str, Any] = {"standard": {"query": {"match": {"text": "pugs"}}}}

#: ``new Random(s).nextFloat()`` for s = 42 … 46 (seed 42 + doc 0 … 4).
SEEDED = [0.7275637, 0.7274741, 0.72702616, 0.7269366, 0.72720534]
#: ``new Random(s).nextFloat()`` for s = 0 … 4 (no seed: the doc id).
UNSEEDED = [0.73096776, 0.7308782, 0.73114693, 0.73105735, 0.7306094]


def random_reranker(child: dict[str, Any] = PUGS, **params: Any) -> dict[str, Any]:
    return {"random_reranker": {"retriever": child, "field": "text", **params}}


def expected_order(values: list[float]) -> list[tuple[str, float]]:
    ranked = sorted(range(len(values)), key=lambda i: -values[i])
    return [(f"doc_{i + 1}", values[i]) for i in ranked]


# YAML: "Random rerank retriever predictably shuffles results" (seed 42)
def test_seeded_random_rerank(random_rerank_engine):
    body = {"retriever": random_reranker(seed=42, rank_window_size=10), "size": 10}
    resp = random_rerank_engine.search(index="test-index", body=body)
    assert total(resp) == 5
    assert len(resp["hits"]["hits"]) == 5
    assert at(resp, "hits.hits.0._id") == "doc_1"
    assert_close_to(at(resp, "hits.hits.0._score"), 0.727, 0.001)
    assert list(zip(ids(resp), scores(resp))) == expected_order(SEEDED)


# YAML: "Random rerank retriever predictably shuffles results" (no seed)
def test_unseeded_random_rerank(random_rerank_engine):
    body = {"retriever": random_reranker(rank_window_size=10), "size": 10}
    resp = random_rerank_engine.search(index="test-index", body=body)
    assert total(resp) == 5
    assert len(resp["hits"]["hits"]) == 5
    assert at(resp, "hits.hits.0._id") == "doc_3"
    assert_close_to(at(resp, "hits.hits.0._score"), 0.731, 0.001)
    assert list(zip(ids(resp), scores(resp))) == expected_order(UNSEEDED)


def test_yaml_requests_with_query_string(random_rerank_engine):
    query_string = {"query_string": {"query": "pugs"}}
    resp = random_rerank_engine.search(index="test-index", body={"query": query_string, "size": 10})
    assert at(resp, "hits.hits.0._id") == "doc_4"
    assert_close_to(at(resp, "hits.hits.0._score"), 0.136, 0.001)
    body = {"retriever": random_reranker({"standard": {"query": query_string}}, seed=42, rank_window_size=10)}
    resp = random_rerank_engine.search(index="test-index", body={**body, "size": 10})
    assert at(resp, "hits.hits.0._id") == "doc_1"


# ------------------------------------------------------------------ beyond the YAML: the builder's rules
def test_window_limits_what_is_reranked_and_paging_reads_the_reranked_window(random_rerank_engine):
    # match "pugs" ranks doc_4 first (two occurrences, shortest); a window of 1 reranks only it
    resp = random_rerank_engine.search(
        index="test-index", body={"retriever": random_reranker(seed=42, rank_window_size=1), "size": 1}
    )
    assert total(resp) == 5
    assert list(zip(ids(resp), scores(resp))) == [("doc_4", SEEDED[3])]
    resp = random_rerank_engine.search(
        index="test-index", body={"retriever": random_reranker(seed=42), "size": 2, "from": 1}
    )
    assert list(zip(ids(resp), scores(resp))) == expected_order(SEEDED)[1:3]


def test_seed_sum_wraps_like_a_java_int(random_rerank_engine):
    # seed 2147483647 + doc 1 is -2147483648 in Java int arithmetic; Random(-2147483648).nextFloat()
    body = {"retriever": random_reranker(seed=2147483647), "size": 5}
    resp = random_rerank_engine.search(index="test-index", body=body)
    by_id = {doc: np.float32(score) for doc, score in zip(ids(resp), scores(resp))}
    assert by_id["doc_1"] == np.float32(java_random.first_float(2147483647))
    assert by_id["doc_2"] == np.float32(java_random.first_float(-2147483648))
    assert by_id["doc_2"] != np.float32(java_random.first_float(2147483648))  # not a long sum


def test_explain(random_rerank_engine):
    body = {"retriever": random_reranker(seed=42), "size": 1, "explain": True}
    resp = random_rerank_engine.search(index="test-index", body=body)
    explanation = at(resp, "hits.hits.0._explanation")
    assert explanation["value"] == SEEDED[0]
    assert explanation["description"] == "rank after reranking: [1] using seed [42] with score: [0.7275637]"
    assert "weight(text:pugs" in at(explanation, "details.0.description")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"retriever": random_reranker(rank_window_size=5)},
            "[rank] requires [rank_window_size: 5] be greater than or equal to [size: 10]",
        ),
        ({"retriever": random_reranker(), "size": 0}, "[rank] requires [size] greater than [0]"),
    ],
)
def test_top_level_rank_builder_validation(random_rerank_engine, body, message):
    with pytest.raises(ApiError) as err:
        random_rerank_engine.search(index="test-index", body=body)
    assert err.value.status_code == 400
    assert at(err.value.body, "error.type") == "action_request_validation_exception"
    assert at(err.value.body, "error.reason") == f"Validation Failed: 1: {message};"


def test_field_is_required(random_rerank_engine):
    with pytest.raises(ApiError) as err:
        random_rerank_engine.search(index="test-index", body={"retriever": {"random_reranker": {"retriever": PUGS}}})
    assert err.value.status_code == 400
    assert at(err.value.body, "error.type") == "illegal_argument_exception"
    assert at(err.value.body, "error.reason") == "field is required"


def test_retriever_is_required(random_rerank_engine):
    with pytest.raises(ApiError) as err:
        random_rerank_engine.search(index="test-index", body={"retriever": {"random_reranker": {"field": "text"}}})
    assert_catch_regex(err.value, r"Required \[retriever\]")


def test_unknown_field_is_rejected(random_rerank_engine):
    with pytest.raises(ApiError) as err:
        random_rerank_engine.search(index="test-index", body={"retriever": random_reranker(inference_id="x")})
    assert err.value.status_code == 400
    assert_catch_regex(err.value, r"\[random_reranker\] unknown field \[inference_id\]")


@pytest.mark.parametrize("param", [{"filter": {"term": {"text": "pugs"}}}, {"min_score": 0.5}])
def test_base_fields_elasticsearch_ignores_are_rejected(random_rerank_engine, param):
    with pytest.raises(ApiError) as err:
        random_rerank_engine.search(index="test-index", body={"retriever": random_reranker(**param)})
    assert err.value.status_code == 400
    assert "is not supported in retrievo" in at(err.value.body, "error.reason")


def test_nested_under_rrf_feeds_its_random_order(random_rerank_engine):
    rrf = {"rrf": {"retrievers": [random_reranker(seed=42), {"standard": {"query": {"match": {"text": "potato"}}}}]}}
    resp = random_rerank_engine.search(index="test-index", body={"retriever": rrf})
    # random ranks: doc_1, doc_2, doc_5, doc_3, doc_4; "potato": doc_3 (shorter), doc_5
    expected = {
        "doc_1": 1 / 61,
        "doc_2": 1 / 62,
        "doc_5": 1 / 63 + 1 / 62,
        "doc_3": 1 / 64 + 1 / 61,
        "doc_4": 1 / 65,
    }
    assert ids(resp) == sorted(expected, key=lambda d: -expected[d])
    for doc, score in zip(ids(resp), scores(resp)):
        assert_close_to(score, expected[doc], 1e-6)


def test_round_trips_through_the_plan(random_rerank_engine):
    plan = random_rerank_engine.plan(index="test-index", body={"retriever": random_reranker(seed=7), "size": 3})
    assert "RandomRerank" in str(plan)


def test_documents_without_the_field_are_dropped():
    # RankFeaturePhase drops a document with no feature data before the reranker scores anything
    e = Engine()
    e.indices.create(index="mixed", mappings={"properties": {"text": {"type": "text"}, "n": {"type": "integer"}}})
    for doc_id, doc in [("a", {"text": "x"}), ("b", {"n": 1}), ("c", {"text": "y"})]:
        e.index(index="mixed", id=doc_id, document=doc)
    e.indices.refresh(index="mixed")
    body = {"retriever": random_reranker({"standard": {"query": {"match_all": {}}}}, seed=0)}
    resp = e.search(index="mixed", body=body)
    assert total(resp) == 3  # the child's
    # shard docs 0 (a) and 2 (c): Random(0) → 0.73096776, Random(2) → 0.7311469
    assert list(zip(ids(resp), scores(resp))) == [("c", 0.73114693), ("a", 0.73096776)]


def test_nested_window_is_checked_by_its_parent_not_by_size(random_rerank_engine):
    # Nested, the rank builder runs in the parent's child search of size 5: a window of 5 is enough,
    # whatever the request's own size
    rrf = {"rrf": {"rank_window_size": 5, "retrievers": [random_reranker(seed=42, rank_window_size=5), PUGS]}}
    resp = random_rerank_engine.search(index="test-index", body={"retriever": rrf, "size": 5})
    assert total(resp) == 5
    with pytest.raises(ApiError) as err:
        random_rerank_engine.search(index="test-index", body={"retriever": random_reranker(rank_window_size=-1)})
    assert (
        "[rank] requires [rank_window_size: -1] be greater than or equal to [size: 10]"
        in err.value.body["error"]["reason"]
    )
