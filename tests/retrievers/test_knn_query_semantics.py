"""The ``knn`` query through ``retrievo.Engine``, against hand-computed expectations.

Corpus (``t`` text with the standard analyzer, ``v`` a 2-dim ``l2_norm`` vector indexed ``flat`` so every score
is exact, ``tag`` keyword)::

    d1  v [0, 0]  "red apple"      a
    d2  v [1, 0]  "red"            b
    d3  v [0, 2]  "green apple"    a
    d4  v [3, 0]  "red red apple"  b
    d5  v [0, 4]  "blue"           a

From ``[0, 0]`` the squared distances are 0, 1, 4, 9, 16, so the kNN scores (``1 / (1 + d²)``) are 1, 0.5, 0.2,
0.1 and 1/17. BM25 of ``red`` (d1, d2, d4; N 5, n 3, lengths 2, 1, 2, 3, 1, avgdl 9/5) is written out below with
Lucene's formula. A query's score in a ``bool`` is the sum of its clauses' scores; the ``knn`` query matches
only its top ``k``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError
from retrievo.grammar.json.queries import parse_top_level_query

INDEX = "shapes"
DOCS = {
    "d1": ([0.0, 0.0], "red apple", "a"),
    "d2": ([1.0, 0.0], "red", "b"),
    "d3": ([0.0, 2.0], "green apple", "a"),
    "d4": ([3.0, 0.0], "red red apple", "b"),
    "d5": ([0.0, 4.0], "blue", "a"),
}
LENGTHS = {"d1": 2, "d2": 1, "d3": 2, "d4": 3, "d5": 1}
RED_FREQ = {"d1": 1, "d2": 1, "d4": 2}
KNN_SCORE = {"d1": 1.0, "d2": 0.5, "d3": 0.2, "d4": 0.1, "d5": 1 / 17}


def bm25_red(doc: str) -> float:
    n, big_n, k1, b = 3, 5, 1.2, 0.75
    avgdl = sum(LENGTHS.values()) / len(LENGTHS)
    idf = math.log(1 + (big_n - n + 0.5) / (n + 0.5))
    f = RED_FREQ[doc]
    return idf * f * (k1 + 1) / (f + k1 * (1 - b + b * LENGTHS[doc] / avgdl))  # ES's LegacyBM25Similarity


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    vector = {"type": "dense_vector", "dims": 2, "similarity": "l2_norm", "index_options": {"type": "flat"}}
    properties = {"v": vector, "t": {"type": "text"}, "tag": {"type": "keyword"}}
    engine.indices.create(
        index=INDEX,
        mappings={"properties": properties},
        aliases={"tag_b": {"filter": {"term": {"tag": "b"}}}},
    )
    for doc_id, (v, t, tag) in DOCS.items():
        engine.index(index=INDEX, id=doc_id, document={"v": v, "t": t, "tag": tag})
    engine.indices.refresh(index=INDEX)
    return engine


def knn(**params: Any) -> dict[str, Any]:
    return {"knn": {"field": "v", "query_vector": [0.0, 0.0], **params}}


def search(es: Engine, index: str = INDEX, **body: Any) -> dict[str, Any]:
    return es.search(index=index, body=body).body


def hits(resp: dict[str, Any]) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def total(resp: dict[str, Any]) -> int:
    return int(resp["hits"]["total"]["value"])


def assert_hits(resp: dict[str, Any], expected: list[tuple[str, float]]) -> None:
    assert [i for i, _ in hits(resp)] == [i for i, _ in expected]
    assert [s for _, s in hits(resp)] == pytest.approx([s for _, s in expected], rel=1e-6)


def test_alone_it_matches_its_top_k_scored_by_similarity(es: Engine) -> None:
    resp = search(es, query=knn(k=3))
    assert total(resp) == 3
    assert_hits(resp, [(d, KNN_SCORE[d]) for d in ("d1", "d2", "d3")])


def test_in_a_bool_should_its_score_adds_to_bm25(es: Engine) -> None:
    resp = search(es, query={"bool": {"should": [{"match": {"t": "red"}}, knn(k=3)]}})
    assert total(resp) == 4  # d1, d2, d3 from the knn query, d4 from the match
    expected = {
        "d1": bm25_red("d1") + 1.0,
        "d2": bm25_red("d2") + 0.5,
        "d3": 0.2,
        "d4": bm25_red("d4"),
    }
    assert_hits(resp, sorted(expected.items(), key=lambda kv: -kv[1]))


def test_in_a_bool_must_only_its_top_k_can_match(es: Engine) -> None:
    resp = search(es, query={"bool": {"must": [{"match": {"t": "red"}}, knn(k=2)]}})
    assert_hits(resp, [("d1", bm25_red("d1") + 1.0), ("d2", bm25_red("d2") + 0.5)])  # d4 is not in the top 2


def test_k_defaults_to_size_capped_by_num_candidates(es: Engine) -> None:
    assert total(search(es, size=2, query=knn())) == 2
    assert total(search(es, size=10, query=knn(num_candidates=1))) == 1  # k = min(size, num_candidates)
    assert total(search(es, size=2, query=knn(k=4))) == 4  # hits.total counts the k matches, not the page
    plan = str(es.plan(index=INDEX, query=knn(), size=3))
    assert "k=3, num_candidates=5" in plan  # num_candidates = round(1.5 × 3)
    # k is the request's size, whatever its from (KnnVectorQueryBuilder reads the source's size): a page past
    # the first k documents is empty, though hits.total still counts them
    resp = es.search(index=INDEX, from_=2, size=2, query=knn()).body
    assert (total(resp), hits(resp)) == (2, [])
    assert hits(es.search(index=INDEX, from_=1, size=2, query=knn()).body) == [("d2", 0.5)]


def test_k_inside_a_compound_defaults_to_its_window(es: Engine) -> None:
    # an rrf child runs with size = rank_window_size (2): its knn query finds d1 and d2 only, so three documents
    # are fused (d1 and d5 at 1/61, d2 at 1/62) and the window keeps the first two
    children = [{"standard": {"query": knn()}}, {"standard": {"query": {"match": {"t": "blue"}}}}]
    resp = search(es, retriever={"rrf": {"retrievers": children, "rank_window_size": 2}})
    assert total(resp) == 3
    assert sorted(hits(resp)) == [("d1", pytest.approx(1 / 61)), ("d5", pytest.approx(1 / 61))]
    plan = str(es.plan(index=INDEX, retriever={"rrf": {"retrievers": children, "rank_window_size": 2}}))
    assert "VectorSearch(field=v, k=2, num_candidates=3" in plan  # round(1.5 × 2)


def test_boost_and_name(es: Engine) -> None:
    resp = search(es, query=knn(k=2, boost=2.0, _name="near"))
    assert_hits(resp, [("d1", 2.0), ("d2", 1.0)])
    assert all(h["matched_queries"] == ["near"] for h in resp["hits"]["hits"])


def test_filter_is_a_pre_filter_and_a_bool_filter_a_post_filter(es: Engine) -> None:
    assert_hits(search(es, query=knn(k=2, filter={"term": {"tag": "a"}})), [("d1", 1.0), ("d3", 0.2)])
    post = {"bool": {"must": [knn(k=2)], "filter": [{"term": {"tag": "a"}}]}}
    assert_hits(search(es, query=post), [("d1", 1.0)])  # d2 was in the top 2 but is filtered out afterwards
    several = knn(k=5, filter=[{"term": {"tag": "a"}}, {"match": {"t": "apple"}}])
    assert_hits(search(es, query=several), [("d1", 1.0), ("d3", 0.2)])


def test_a_filtered_alias_pre_filters(es: Engine) -> None:
    # the alias keeps tag b (d2, d4): the knn query finds its 2 nearest among them, not among all documents
    assert_hits(search(es, "tag_b", query=knn(k=2)), [("d2", 0.5), ("d4", 0.1)])


def test_similarity_is_a_distance_cut_for_l2_norm(es: Engine) -> None:
    # l2_norm's similarity threshold is the distance: d ≤ 2.5 keeps d1 (0), d2 (1) and d3 (2)
    assert_hits(search(es, query=knn(k=5, similarity=2.5)), [("d1", 1.0), ("d2", 0.5), ("d3", 0.2)])


def test_in_a_retriever_filter(es: Engine) -> None:
    # the standard retriever's filter keeps the knn query's top 2 (d1, d2) of the red documents
    resp = search(es, retriever={"standard": {"query": {"match": {"t": "red"}}, "filter": knn(k=2)}})
    assert_hits(resp, sorted([("d1", bm25_red("d1")), ("d2", bm25_red("d2"))], key=lambda kv: -kv[1]))


def test_in_a_knn_retriever_pre_filter(es: Engine) -> None:
    # the knn retriever searches from [0, 4] among the knn query's top 3 from [0, 0] (d1, d2, d3)
    retriever = {"knn": {"field": "v", "query_vector": [0.0, 4.0], "k": 2, "num_candidates": 5, "filter": knn(k=3)}}
    assert_hits(search(es, retriever=retriever), [("d3", 1 / 5), ("d1", 1 / 17)])


def test_in_a_rescore_query(es: Engine) -> None:
    # the knn query's top 2 (d1, d2) add their similarity to the red documents' BM25 (score_mode total)
    rescore = {"window_size": 10, "query": {"rescore_query": knn(k=2)}}
    resp = search(es, query={"match": {"t": "red"}}, rescore=rescore)
    expected = {"d1": bm25_red("d1") + 1.0, "d2": bm25_red("d2") + 0.5, "d4": bm25_red("d4")}
    assert_hits(resp, sorted(expected.items(), key=lambda kv: -kv[1]))


def test_explain(es: Engine) -> None:
    resp = search(es, explain=True, query={"bool": {"should": [{"match": {"t": "blue"}}, knn(k=1)]}})
    explanation = next(h for h in resp["hits"]["hits"] if h["_id"] == "d1")["_explanation"]  # the top-1 vector
    assert explanation["description"] == "sum of:"
    assert explanation["details"] == [{"value": 1.0, "description": "within top k documents", "details": []}]


def test_explain_of_a_top_level_knn_section_next_to_a_query(es: Engine) -> None:
    # the section's hits join the query as a KnnScoreDocQuery clause, explained with the similarity found
    section = {"field": "v", "query_vector": [0.0, 0.0], "k": 1}
    resp = search(es, explain=True, query={"match": {"t": "blue"}}, knn=section)
    top = next(h for h in resp["hits"]["hits"] if h["_id"] == "d1")["_explanation"]
    assert top["details"] == [
        {
            "value": 1.0,
            "description": "within top k documents",
            "details": [{"value": 1.0, "description": "found vector with calculated similarity: 1.0", "details": []}],
        }
    ]


def test_count_counts_its_top_k(es: Engine) -> None:
    assert es.count(index=INDEX, query=knn(k=3)).body["count"] == 3
    assert es.count(index=INDEX, query={"bool": {"should": [knn(k=2), {"match": {"t": "blue"}}]}}).body["count"] == 3


def test_an_unmapped_field_matches_nothing(es: Engine) -> None:
    assert total(search(es, query={"knn": {"field": "nope", "query_vector": [0.0], "k": 1}})) == 0


def shard_failure_reason(err: ApiError) -> str:
    body = err.body["error"]
    assert body["type"] == "search_phase_execution_exception"
    assert body["root_cause"][0]["type"] == "query_shard_exception"
    return str(body["caused_by"]["caused_by"]["reason"])


@pytest.mark.parametrize(
    ("query", "size", "reason"),
    [
        (
            {"field": "t", "query_vector": [0.0, 0.0], "k": 1},
            10,
            "[knn] queries are only supported on [dense_vector] fields",
        ),
        (
            {"field": "v", "query_vector": [0.0, 0.0, 0.0], "k": 1},
            10,
            "The query vector has a different number of dimensions [3] than the document vectors [2].",
        ),
        # size 0 and no k: k = 0, and Lucene's kNN query refuses k < 1 (num_candidates is its k)
        ({"field": "v", "query_vector": [0.0, 0.0]}, 0, "k must be at least 1, got: 0"),
    ],
)
def test_shard_failures(es: Engine, query: dict[str, Any], size: int, reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        search(es, size=size, query={"knn": query})
    assert caught.value.meta.status == 400
    assert shard_failure_reason(caught.value) == reason
    assert caught.value.body["error"]["caused_by"]["reason"] == f"failed to create query: {reason}"


BUILD = "Failed to build [knn] after last required field arrived"


@pytest.mark.parametrize(
    ("body", "error_type", "reason", "cause"),
    [
        ({"query_vector": [0.0], "k": 1}, "illegal_argument_exception", "Required [field]", None),
        (
            {"field": "v", "k": 1},
            "x_content_parse_exception",
            BUILD,
            "either [query_vector] or [query_vector_builder] must be provided",
        ),
        (
            {"field": "v", "query_vector": [0.0], "query_vector_builder": {"text_embedding": {"model_text": "x"}}},
            "x_content_parse_exception",
            BUILD,
            "only one of [query_vector] and [query_vector_builder] must be provided",
        ),
        (
            {"field": "v", "query_vector": [0.0], "k": 0},
            "x_content_parse_exception",
            BUILD,
            "[k] must be greater than 0",
        ),
        (
            {"field": "v", "query_vector": [0.0], "num_candidates": 10001},
            "x_content_parse_exception",
            BUILD,
            "[num_candidates] cannot exceed [10000]",
        ),
        (
            {"field": "v", "query_vector": [0.0], "k": 5, "num_candidates": 3},
            "x_content_parse_exception",
            BUILD,
            "[num_candidates] cannot be less than [k]",
        ),
        (
            {"field": "v", "query_vector": [0.0], "foo": 1},
            "x_content_parse_exception",
            "[knn] unknown field [foo]",
            None,
        ),
    ],
)
def test_parse_errors(es: Engine, body: dict[str, Any], error_type: str, reason: str, cause: str | None) -> None:
    with pytest.raises(ApiError) as caught:
        search(es, query={"knn": body})
    error = caught.value.body["error"]
    assert (caught.value.meta.status, error["type"], error["reason"]) == (400, error_type, reason)
    if cause is not None:
        assert error["caused_by"] == {"type": "illegal_argument_exception", "reason": cause}


def test_visit_percentage_is_refused(es: Engine) -> None:
    with pytest.raises(ApiError) as caught:
        search(es, query=knn(k=1, visit_percentage=10.0))
    assert "[knn] parameter [visit_percentage] is not supported in retrievo" in caught.value.body["error"]["reason"]


def test_prints_back_as_written() -> None:
    body = {
        "knn": {
            "field": "v",
            "query_vector": [0.5, 1.0],
            "k": 3,
            "num_candidates": 7,
            "similarity": 0.25,
            "filter": [{"term": {"tag": {"value": "a"}}}],
            "rescore_vector": {"oversample": 2.0},
            "boost": 1.5,
            "_name": "near",
        }
    }
    assert parse_top_level_query(body).to_json() == body
    text = {"knn": {"field": "v", "query_vector_builder": {"text_embedding": {"model_text": "red"}}}}
    assert parse_top_level_query(text).to_json() == text
