"""Port of Elasticsearch's basic ``rrf`` retriever YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/300_rrf_retriever.yml``
in ``elastic/elasticsearch``, read at commit ``4ba5d23805e13aa40ca50d5cbf62ed45f2dd31b1`` (a later stored
version, ``0ed58fbf``, differs by three characters of whitespace in the cases ported here). Index and
documents: ``build_rrf300_engine`` in ``conftest.py``, in the YAML's five shards (the "multiple knn
retriever" case depends on them: per-shard BM25 statistics and the cross-shard tie order). Spec:
/work/shared/spec/elasticsearch-retrievers.md §4 and §9 (table row ``rrf/300``).

Children used below: ``knn(q, k)`` on ``vector`` (doc vectors 0, 1, 2; ``num_candidates = k``),
``TERM`` = ``term text:"term"`` (docs 1, 3; "term term" scores higher), ``KEYWORD`` = ``match
keyword:"keyword"`` (doc 3). Each hit is checked for its ``text`` and ``keyword`` values as the YAML
does through ``fields`` (read from ``_source`` while retrievo lacks that option).
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import doc_value, ids, total, with_fields

pytestmark = pytest.mark.requires("rrf")

TERM: dict[str, Any] = {"standard": {"query": {"term": {"text": "term"}}}}
KEYWORD: dict[str, Any] = {"standard": {"query": {"match": {"keyword": "keyword"}}}}
DOCS = {"1": ("term term", "other"), "2": ("other", "other"), "3": ("term", "keyword")}


def knn(query: float, k: int = 3) -> dict[str, Any]:
    return {"knn": {"field": "vector", "query_vector": [query], "k": k, "num_candidates": k}}


def rrf_search(e, retrievers: list[dict[str, Any]], track_total_hits: bool = True, **params: Any) -> dict[str, Any]:
    body = {"track_total_hits": track_total_hits, "retriever": {"rrf": {"retrievers": retrievers, **params}}}
    return e.search(index="test", body=with_fields(body, ["text", "keyword"]))


def assert_docs(resp: dict[str, Any], expected_ids: list[str]) -> None:
    assert ids(resp)[: len(expected_ids)] == expected_ids
    for hit, doc_id in zip(resp["hits"]["hits"], expected_ids):
        assert (doc_value(hit, "text"), doc_value(hit, "keyword")) == DOCS[doc_id]


# YAML: "rrf retriever with a standard retriever and a knn retriever"
def test_rrf_with_a_standard_and_a_knn_retriever(rrf300_engine):
    resp = rrf_search(rrf300_engine, [knn(0.0), TERM], track_total_hits=False, rank_window_size=100, rank_constant=1)
    assert_docs(resp, ["1", "3", "2"])


# YAML: "rrf retriever with multiple standard retrievers"
def test_rrf_with_multiple_standard_retrievers(rrf300_engine):
    resp = rrf_search(rrf300_engine, [TERM, KEYWORD], rank_window_size=100, rank_constant=1)
    assert total(resp) == 2
    assert_docs(resp, ["3", "1"])


# YAML: "rrf retriever with multiple standard retrievers and a knn retriever"
def test_rrf_with_multiple_standard_retrievers_and_a_knn_retriever(rrf300_engine):
    resp = rrf_search(rrf300_engine, [knn(0.0), TERM, KEYWORD], rank_window_size=100, rank_constant=1)
    assert total(resp) == 3
    assert_docs(resp, ["3", "1", "2"])


# YAML: "rrf retriever with multiple standard retrievers and multiple knn retriever"
# The knn(1.0) child ties docs 1 and 3 (distance 1); across shards the tie goes to the lower shard, doc 3's
# shard 0 before doc 1's shard 4, and with rank_window_size 2 that decides the winner (on one shard, doc 1).
def test_rrf_with_multiple_standard_and_multiple_knn_retrievers(rrf300_engine):
    resp = rrf300_engine.search(
        index="test",
        size=1,
        body=with_fields(
            {
                "track_total_hits": True,
                "retriever": {
                    "rrf": {
                        "retrievers": [knn(0.0), knn(1.0), TERM, KEYWORD],
                        "rank_window_size": 2,
                        "rank_constant": 1,
                    }
                },
            },
            ["text", "keyword"],
        ),
    )
    assert total(resp) == 3
    assert len(resp["hits"]["hits"]) == 1
    assert_docs(resp, ["3"])


# YAML: "rrf retriever with multiple standard retrievers and multiple knn retriever and a filter"
def test_rrf_with_multiple_retrievers_and_a_filter(rrf300_engine):
    resp = rrf_search(rrf300_engine, [knn(0.0), knn(1.0), TERM, KEYWORD], filter=[{"term": {"keyword": "keyword"}}])
    assert total(resp) == 1
    assert len(resp["hits"]["hits"]) == 1
    assert_docs(resp, ["3"])


# YAML: "rrf retriever with nested rrf retriever and pagination"
def test_rrf_with_nested_rrf_retriever_and_pagination(rrf300_engine):
    inner = {"rrf": {"retrievers": [knn(0.0), TERM, KEYWORD], "rank_window_size": 100, "rank_constant": 1}}
    body = {
        "track_total_hits": True,
        "retriever": {"rrf": {"retrievers": [inner, knn(0.0, k=2)], "rank_window_size": 10, "rank_constant": 1}},
        "size": 10,
        "from": 1,
    }
    resp = rrf300_engine.search(index="test", body=with_fields(body, ["text", "keyword"]))
    assert total(resp) == 3
    assert_docs(resp, ["2", "3"])
