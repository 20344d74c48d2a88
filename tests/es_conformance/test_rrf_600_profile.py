"""Port of Elasticsearch's ``rrf`` retriever ``profile`` YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/600_rrf_retriever_profile.yml``
in ``elastic/elasticsearch``, read at commits ``fa699e125101cf6b34adc3b10b66a5660f9d5109`` and
``04f1458a0d33bf62573afbadb8632569655d2d26`` (the same cases; the later one names the dfs kNN query
``KnnScoreDocQuery`` where the earlier says ``DocAndScoreQuery``). Index and documents:
``build_rrf_explain_engine`` in ``conftest.py`` (the same setup). Spec:
/work/shared/spec/elasticsearch-retrievers.md §1.4.

Every case runs: the hit order, the absence of a ``dfs`` section for the retriever cases, and the
names in the query profile. Elasticsearch profiles the Lucene query tree its final search ran
(``RankDocsQuery`` over a ``TopQuery`` of the fused docs and a ``BooleanQuery`` of the children's
queries; for the legacy ``rank`` case a ``dfs`` kNN phase and a ``ConstantScoreQuery``), and so does
retrievo (``retrievo/planner/lucene_profile.py``, docs/profile.md). The kNN query's type is the later
commit's ``KnnScoreDocQuery``. The ``[knn] query`` case needs the ``knn`` query, which retrievo does not
have yet (the ``requires`` marker skips it until it does).
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import at, ids, with_fields
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")

TERM: dict[str, Any] = {"standard": {"query": {"term": {"text": "term"}}}}
KNN_QUERY_CHILD: dict[str, Any] = {
    "standard": {"query": {"knn": {"field": "vector", "query_vector": [3], "num_candidates": 5}}}
}
KNN_RETRIEVER_CHILD: dict[str, Any] = {"knn": {"field": "vector", "query_vector": [3], "num_candidates": 5, "k": 5}}


def profile_rrf(e: Engine, second: dict[str, Any]) -> dict[str, Any]:
    body = {
        "retriever": {"rrf": {"retrievers": [TERM, second], "rank_window_size": 5, "rank_constant": 1}},
        "size": 3,
        "profile": True,
    }
    return e.search(index="test", body=with_fields(body, ["text", "integer"]))


def profile_legacy(e: Engine) -> dict[str, Any]:
    body = {
        "query": {"term": {"text": {"value": "term"}}},
        "knn": {"field": "vector", "query_vector": [3], "num_candidates": 5, "k": 5},
        "rank": {"rrf": {"rank_window_size": 5, "rank_constant": 1}},
        "size": 3,
        "profile": True,
    }
    return e.search(index="test", body=with_fields(body, ["text", "integer"]))


def assert_rank_docs_profile(resp: dict[str, Any], knn_type: str) -> None:
    """The YAML's query-profile assertions for the two retriever cases."""
    query = "profile.shards.0.searches.0.query.0"
    assert at(resp, f"{query}.type") == "RankDocsQuery"
    assert len(at(resp, f"{query}.children")) == 2
    assert at(resp, f"{query}.children.0.type") == "TopQuery"
    assert at(resp, f"{query}.children.1.type") == "BooleanQuery"
    assert len(at(resp, f"{query}.children.1.children")) == 2
    assert at(resp, f"{query}.children.1.children.0.type") == "TermQuery"
    assert at(resp, f"{query}.children.1.children.1.type") == knn_type


@pytest.mark.requires("[knn] query")
def test_profile_standard_and_knn_query(rrf_explain_engine: Engine) -> None:
    resp = profile_rrf(rrf_explain_engine, KNN_QUERY_CHILD)
    assert ids(resp)[:3] == ["3", "2", "4"]
    assert "dfs" not in resp["profile"]["shards"][0]


@pytest.mark.requires("[knn] query")
def test_profile_standard_and_knn_query_tree(rrf_explain_engine: Engine) -> None:
    assert_rank_docs_profile(profile_rrf(rrf_explain_engine, KNN_QUERY_CHILD), "KnnScoreDocQuery")


def test_profile_standard_and_knn_dfs_retrievers(rrf_explain_engine: Engine) -> None:
    resp = profile_rrf(rrf_explain_engine, KNN_RETRIEVER_CHILD)
    assert ids(resp)[:3] == ["3", "2", "4"]
    assert "dfs" not in resp["profile"]["shards"][0]


def test_profile_standard_and_knn_dfs_retrievers_tree(rrf_explain_engine: Engine) -> None:
    assert_rank_docs_profile(profile_rrf(rrf_explain_engine, KNN_RETRIEVER_CHILD), "TopQuery")


def test_using_query_and_dfs_knn_search(rrf_explain_engine: Engine) -> None:
    resp = profile_legacy(rrf_explain_engine)
    assert ids(resp)[:3] == ["3", "2", "4"]


def test_using_query_and_dfs_knn_search_tree(rrf_explain_engine: Engine) -> None:
    resp = profile_legacy(rrf_explain_engine)
    shard = "profile.shards.0"
    assert len(at(resp, f"{shard}.dfs.knn")) == 1
    assert len(at(resp, f"{shard}.dfs.knn.0.query")) == 1
    assert at(resp, f"{shard}.dfs.knn.0.query.0.type") == "KnnScoreDocQuery"
    query = f"{shard}.searches.0.query.0"
    assert at(resp, f"{query}.type") == "ConstantScoreQuery"
    assert len(at(resp, f"{query}.children")) == 1
    assert at(resp, f"{query}.children.0.type") == "BooleanQuery"
    assert len(at(resp, f"{query}.children.0.children")) == 2
    assert at(resp, f"{query}.children.0.children.0.type") == "TermQuery"
    assert at(resp, f"{query}.children.0.children.1.type") == "KnnScoreDocQuery"
