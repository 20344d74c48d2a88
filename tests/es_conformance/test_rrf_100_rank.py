"""Port of Elasticsearch's legacy ``rank: {rrf: ...}`` YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/100_rank_rrf.yml``
in ``elastic/elasticsearch``, read at commit ``985155a2013d052c5f31be2cedef4a1bfad2d666`` (the newest
stored version, with the 8.16 ``rank_constant`` case). Spec: /work/shared/spec/elasticsearch-retrievers.md
§1.6 and §4.

Elasticsearch 9 still accepts the legacy ``rank`` and ``sub_searches`` sections: it validates them as
before (``[rank] requires ...``) and runs them as an ``rrf`` retriever (``RRFRankBuilder.toRetriever``,
the ``transform_rank_rrf_to_retriever`` capability). That stored version still asserts ``_rank`` on
hits; the later versions of the sibling files (``150_rank_rrf_pagination.yml`` at ``bd6fc7e4``, which
requires ``transform_rank_rrf_to_retriever``, and ``1100_rrf_retriever_min_score.yml`` at ``456b1bcb``)
dropped every ``_rank`` assertion when the request became a retriever, whose hits carry no ``_rank``.
The ``_rank`` assertions are therefore replaced by the hit order they restate (``_rank`` was the
1-based position). The YAML's deprecation ``warnings`` are not checked: retrievo sends no ``Warning``
headers.

The index has the YAML's 5 shards; every case is computed below for either BM25 order of the two
``text:term`` docs, so the orders hold on one shard too.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_catch_regex, doc_value, ids, with_fields
from retrievo import Engine
from retrievo.errors import ApiError

pytestmark = pytest.mark.requires("rrf")

FIELDS = ["text", "keyword"]
KNN: dict[str, Any] = {"field": "vector", "query_vector": [0.0], "k": 3, "num_candidates": 3}
TERM_TERM: dict[str, Any] = {"query": {"term": {"text": "term"}}}
MATCH_KEYWORD: dict[str, Any] = {"query": {"match": {"keyword": "keyword"}}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    """Setup: ``text``/``keyword``/1-dim l2 hnsw ``vector``; docs 1 (vector 0), 2 (1), 3 (2)."""
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 5},
        mappings={
            "properties": {
                "text": {"type": "text"},
                "keyword": {"type": "keyword"},
                "vector": {
                    "type": "dense_vector",
                    "dims": 1,
                    "index": True,
                    "similarity": "l2_norm",
                    "index_options": {"type": "hnsw", "ef_construction": 100, "m": 16},
                },
            }
        },
    )
    e.index(index="test", id="1", document={"text": "term term", "keyword": "other", "vector": [0.0]})
    e.index(index="test", id="2", document={"text": "other", "keyword": "other", "vector": [1.0]})
    e.index(index="test", id="3", document={"text": "term", "keyword": "keyword", "vector": [2.0]})
    e.indices.refresh()
    return e


def search(e: Engine, body: dict[str, Any]) -> dict[str, Any]:
    return e.search(index="test", body=with_fields(body, FIELDS))


def assert_hit(resp: dict[str, Any], n: int, doc_id: str, text: str, keyword: str) -> None:
    hit = resp["hits"]["hits"][n]
    assert hit["_id"] == doc_id
    assert doc_value(hit, "text") == text
    assert doc_value(hit, "keyword") == keyword


def test_simple_rank_with_bm25_search_and_knn_search(engine: Engine) -> None:
    # kNN ranks 1, 2, 3; BM25 ranks {1, 3} in some order; k = 1:
    # doc 1 ≥ 1/2 + 1/3, doc 3 ≤ 1/4 + 1/2, doc 2 = 1/3.
    resp = search(
        engine,
        {
            "track_total_hits": False,
            "knn": KNN,
            "query": {"term": {"text": "term"}},
            "rank": {"rrf": {"rank_window_size": 100, "rank_constant": 1}},
            "size": 10,
        },
    )
    assert ids(resp) == ["1", "3", "2"]
    assert_hit(resp, 0, "1", "term term", "other")
    assert_hit(resp, 1, "3", "term", "keyword")
    assert_hit(resp, 2, "2", "other", "other")


def test_simple_rank_with_multiple_bm25_sub_searches(engine: Engine) -> None:
    # doc 3 is in both lists (rank 1 in the second), doc 1 only in the first.
    resp = search(
        engine,
        {
            "track_total_hits": True,
            "sub_searches": [TERM_TERM, MATCH_KEYWORD],
            "rank": {"rrf": {"rank_window_size": 100, "rank_constant": 1}},
            "size": 10,
        },
    )
    assert resp["hits"]["total"]["value"] == 2
    assert ids(resp) == ["3", "1"]
    assert_hit(resp, 0, "3", "term", "keyword")
    assert_hit(resp, 1, "1", "term term", "other")


def test_simple_rank_with_multiple_bm25_sub_searches_and_a_knn_search(engine: Engine) -> None:
    # doc 3 ≥ 1/3 + 1/2 + 1/4, doc 1 ≤ 1/2 + 1/2, doc 2 = 1/3; the total is the union of the three.
    resp = search(
        engine,
        {
            "track_total_hits": True,
            "knn": KNN,
            "sub_searches": [TERM_TERM, MATCH_KEYWORD],
            "rank": {"rrf": {"rank_window_size": 100, "rank_constant": 1}},
            "size": 10,
        },
    )
    assert resp["hits"]["total"]["value"] == 3
    assert ids(resp) == ["3", "1", "2"]
    assert_hit(resp, 0, "3", "term", "keyword")
    assert_hit(resp, 1, "1", "term term", "other")
    assert_hit(resp, 2, "2", "other", "other")


def test_rrf_rank_should_fail_if_size_greater_than_rank_window_size(engine: Engine) -> None:
    with pytest.raises(ApiError) as info:
        search(
            engine,
            {
                "track_total_hits": True,
                "knn": KNN,
                "sub_searches": [TERM_TERM, MATCH_KEYWORD],
                "rank": {"rrf": {"rank_window_size": 2, "rank_constant": 1}},
                "size": 10,
            },
        )
    assert_catch_regex(
        info.value, r"\[rank\] requires \[rank_window_size: 2\] be greater than or equal to \[size: 10\]"
    )


def test_rrf_rank_should_fail_if_rank_constant_below_one(engine: Engine) -> None:
    # ``rank_constant: 0.3`` is read as an int (0.3 → 0), then refused by RRFRankBuilder.
    with pytest.raises(ApiError) as info:
        search(
            engine,
            {
                "track_total_hits": True,
                "knn": KNN,
                "sub_searches": [TERM_TERM, MATCH_KEYWORD],
                "rank": {"rrf": {"rank_window_size": 10, "rank_constant": 0.3}},
                "size": 10,
            },
        )
    assert_catch_regex(info.value, r"\[rank_constant\] must be greater or equal to \[1\] for \[rrf\]")
