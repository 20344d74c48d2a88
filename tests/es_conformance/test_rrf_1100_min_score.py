"""Port of Elasticsearch's ``rrf`` retriever ``min_score`` YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/1100_rrf_retriever_min_score.yml``
in ``elastic/elasticsearch``, read at commit ``456b1bcb5cceec73b91d1be3ffa040954b8fec4f`` (the newest of the
stored versions: ``hits.total`` 1 under a global ``min_score``, and no ``_rank`` on hits; the older ones,
``8866345b`` and ``123f9960``, asserted ``hits.total: 3`` and ``_rank: 1``). Spec:
/work/shared/spec/elasticsearch-retrievers.md §1.6.

Both requests use ``rest_total_hits_as_int: true`` (``hits.total`` is a number) and ``rank_constant: 10``.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import ids
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")


@pytest.fixture(scope="module")
def engine() -> Engine:
    """Setup: 1-dim l2 hnsw ``vector`` and ``keyword``; docs 1 ([1], A), 2 ([2], B), 3 ([3], B)."""
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={
            "properties": {
                "vector": {
                    "type": "dense_vector",
                    "dims": 1,
                    "index": True,
                    "similarity": "l2_norm",
                    "index_options": {"type": "hnsw", "ef_construction": 100, "m": 16},
                },
                "keyword": {"type": "keyword"},
            }
        },
    )
    for doc_id, vector, keyword in [("1", 1.0, "A"), ("2", 2.0, "B"), ("3", 3.0, "B")]:
        e.index(index="test", id=doc_id, document={"vector": [vector], "keyword": keyword})
    e.indices.refresh()
    return e


def search(e: Engine, body: dict[str, Any]) -> dict[str, Any]:
    return e.search(index="test", rest_total_hits_as_int=True, body={"track_total_hits": True, **body})


def test_rrf_retriever_with_global_min_score(engine: Engine) -> None:
    # kNN [1] k 2 → docs 1, 2; term B → docs 2, 3. Fused: doc 2 = 1/12 + 1/11 ≈ 0.174,
    # doc 1 = 1/11 ≈ 0.091, doc 3 = 1/12 ≈ 0.083: only doc 2 reaches 0.1, and it is the whole total.
    resp = search(
        engine,
        {
            "retriever": {
                "rrf": {
                    "retrievers": [
                        {"knn": {"field": "vector", "query_vector": [1.0], "k": 2, "num_candidates": 10}},
                        {"standard": {"query": {"term": {"keyword": "B"}}}},
                    ],
                    "rank_window_size": 5,
                    "rank_constant": 10,
                }
            },
            "size": 3,
            "min_score": 0.1,
        },
    )
    assert resp["hits"]["total"] == 1
    assert ids(resp)[0] == "2"


def test_rrf_retriever_with_retriever_level_min_score(engine: Engine) -> None:
    # For l2_norm, ``similarity`` is a distance bound: 0.0 keeps only doc 1 (distance 0). The standard
    # child's ``min_score: 100`` drops both of its docs (their scores are far below 100).
    resp = search(
        engine,
        {
            "retriever": {
                "rrf": {
                    "retrievers": [
                        {
                            "knn": {
                                "field": "vector",
                                "query_vector": [1.0],
                                "k": 10,
                                "num_candidates": 10,
                                "similarity": 0.0,
                            }
                        },
                        {"standard": {"query": {"term": {"keyword": "B"}}, "min_score": 100}},
                    ],
                    "rank_window_size": 10,
                    "rank_constant": 10,
                }
            },
            "size": 10,
        },
    )
    assert len(resp["hits"]["hits"]) == 1
    assert ids(resp)[0] == "1"
