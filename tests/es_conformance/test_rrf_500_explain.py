"""Port of Elasticsearch's ``rrf`` retriever ``explain`` YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/500_rrf_retriever_explain.yml``
in ``elastic/elasticsearch``, read at commit ``247495a71dd78140f454d5d3b62343053c4be5e3`` (the only
stored version; ``gte_v8.15.0``, unchanged through 9.x as far as the index shows). Index and
documents: ``build_rrf_explain_engine`` in ``conftest.py``. Spec:
/work/shared/spec/elasticsearch-retrievers.md §1.7, §4.3 and §9.3.

All three cases fuse ``term text:"term"`` (BM25 ranks 4, 3, 2, 1) with a knn on ``[3]`` (ranks 3, 2,
1, 5) at ``rank_window_size 5, rank_constant 1, size 3``: doc 3 = 1/3 + 1/2, doc 2 = 1/4 + 1/3,
doc 4 = 1/2. The YAML asks for ``fields: [text, integer]``; it is sent once retrievo accepts it.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_close_to, assert_regex, at, ids, with_fields

pytestmark = pytest.mark.requires("rrf")

SCORE_3 = r"rrf.score:.\[0.8333334\].*"
SCORE_2 = r"rrf.score:.\[0.5833334\].*"
SCORE_4 = r"rrf.score:.\[0.5\].*"
BM25_DETAIL = r"weight\(text:term.*"
KNN_DETAIL = r"found.vector.with.calculated.similarity.*"


def explain_search(e, standard: dict[str, Any], knn: dict[str, Any]) -> dict[str, Any]:
    body = {
        "retriever": {
            "rrf": {"retrievers": [{"standard": standard}, {"knn": knn}], "rank_window_size": 5, "rank_constant": 1}
        },
        "size": 3,
        "explain": True,
    }
    return e.search(index="test", body=with_fields(body, ["text", "integer"]))


KNN: dict[str, Any] = {"field": "vector", "query_vector": [3], "num_candidates": 5, "k": 5}


def assert_ranks_and_values(resp: dict[str, Any]) -> None:
    """The parts all three YAML cases assert identically: hit order, values, ranks, child details."""
    assert ids(resp)[:3] == ["3", "2", "4"]
    hit0, hit1, hit2 = (f"hits.hits.{i}._explanation" for i in range(3))

    assert_close_to(at(resp, f"{hit0}.value"), 0.8333334, 0.000001)
    assert_regex(SCORE_3, at(resp, f"{hit0}.description"))
    assert at(resp, f"{hit0}.details.0.value") == 2
    assert_regex(BM25_DETAIL, at(resp, f"{hit0}.details.0.details.0.description"))
    assert at(resp, f"{hit0}.details.1.value") == 1
    assert_regex(KNN_DETAIL, at(resp, f"{hit0}.details.1.details.0.details.0.description"))

    assert_close_to(at(resp, f"{hit1}.value"), 0.5833334, 0.000001)
    assert_regex(SCORE_2, at(resp, f"{hit1}.description"))
    assert at(resp, f"{hit1}.details.0.value") == 3
    assert_regex(BM25_DETAIL, at(resp, f"{hit1}.details.0.details.0.description"))
    assert at(resp, f"{hit1}.details.1.value") == 2
    assert_regex(KNN_DETAIL, at(resp, f"{hit1}.details.1.details.0.details.0.description"))

    assert at(resp, f"{hit2}.value") == 0.5
    assert_regex(SCORE_4, at(resp, f"{hit2}.description"))
    assert at(resp, f"{hit2}.details.0.value") == 1
    assert_regex(BM25_DETAIL, at(resp, f"{hit2}.details.0.details.0.description"))
    assert at(resp, f"{hit2}.details.1.value") == 0
    assert len(at(resp, f"{hit2}.details.1.details")) == 0


# YAML: "using rrf retriever"
def test_using_rrf_retriever(rrf_explain_engine):
    resp = explain_search(rrf_explain_engine, {"query": {"term": {"text": "term"}}}, KNN)
    assert_ranks_and_values(resp)
    assert_regex(r"rrf.score:.\[0.33333334\].*", at(resp, "hits.hits.0._explanation.details.0.description"))
    assert_regex(r"rrf.score:.\[0.5\].*", at(resp, "hits.hits.0._explanation.details.1.description"))
    assert_regex(r"rrf.score:.\[0.25\].*", at(resp, "hits.hits.1._explanation.details.0.description"))
    assert_regex(r"rrf.score:.\[0.33333334\].*", at(resp, "hits.hits.1._explanation.details.1.description"))
    assert_regex(r"rrf.score:.\[0.5\].*", at(resp, "hits.hits.2._explanation.details.0.description"))
    assert_regex(r"rrf.score:.\[0\],.result.not.found.", at(resp, "hits.hits.2._explanation.details.1.description"))


# YAML: "using named retrievers"
def test_using_named_retrievers(rrf_explain_engine):
    resp = explain_search(
        rrf_explain_engine,
        {"query": {"term": {"text": {"value": "term"}}}, "_name": "my_query"},
        {**KNN, "_name": "my_top_knn"},
    )
    assert_ranks_and_values(resp)
    for i in range(3):
        assert_regex(r".*my_query.*", at(resp, f"hits.hits.{i}._explanation.details.0.description"))
        assert_regex(r".*my_top_knn.*", at(resp, f"hits.hits.{i}._explanation.details.1.description"))


# YAML: "using a mix of named and unnamed retrievers"
def test_using_a_mix_of_named_and_unnamed_retrievers(rrf_explain_engine):
    resp = explain_search(
        rrf_explain_engine, {"query": {"term": {"text": {"value": "term"}}}}, {**KNN, "_name": "my_top_knn"}
    )
    assert_ranks_and_values(resp)
    for i in range(3):
        assert_regex(r".*at.index.\[0\].*", at(resp, f"hits.hits.{i}._explanation.details.0.description"))
        assert_regex(r".*my_top_knn.*", at(resp, f"hits.hits.{i}._explanation.details.1.description"))
