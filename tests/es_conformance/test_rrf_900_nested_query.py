"""Port of Elasticsearch's "rrf retriever with nested query" YAML REST test.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/900_rrf_retriever_nested_query.yml``
in ``elastic/elasticsearch``, read at commit ``456b1bcb5cceec73b91d1be3ffa040954b8fec4f``. The setup maps a
``nested`` field and the one case queries it with a ``nested`` query.
"""

from __future__ import annotations

import pytest

from es_yaml import ids
from es_yaml_rrf import NESTED_VIEWS, TERM_DOCS, VECTOR_1D
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")


def build_engine() -> Engine:
    """The YAML setup: the 700/800 documents plus ``nested.views`` on docs 7, 8, 9."""
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={
            "properties": {
                "text": {"type": "text"},
                "keyword": {"type": "keyword"},
                "vector": VECTOR_1D,
                "nested": {"type": "nested", "properties": {"views": {"type": "long"}}},
            }
        },
    )
    for doc_id, doc in TERM_DOCS:
        views = NESTED_VIEWS.get(doc_id)
        e.index(index="test", id=doc_id, document=doc if views is None else {**doc, "nested": {"views": views}})
    e.indices.refresh()
    return e


def test_rrf_retriever_with_nested_query() -> None:
    # kNN [7] k 1 → doc 7; nested views ≥ 50 → docs 7, 8. Total is the union (2).
    resp = build_engine().search(
        index="test",
        rest_total_hits_as_int=True,
        body={
            "track_total_hits": True,
            "retriever": {
                "rrf": {
                    "retrievers": [
                        {"knn": {"field": "vector", "query_vector": [7.0], "k": 1, "num_candidates": 3}},
                        {
                            "standard": {
                                "query": {
                                    "nested": {"path": "nested", "query": {"range": {"nested.views": {"gte": 50}}}}
                                }
                            }
                        },
                    ],
                    "rank_window_size": 5,
                    "rank_constant": 10,
                }
            },
            "size": 3,
        },
    )
    assert resp["hits"]["total"] == 2
    assert ids(resp)[:2] == ["7", "8"]
