"""Port of Elasticsearch's ``explain`` YAML REST tests for the legacy ``rank``/``sub_searches`` form.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/550_rrf_sub_searches_explain.yml``
in ``elastic/elasticsearch``, read at commits ``1c155928abd36e895be7d04b5dd7992c0de71b86`` and
``e965efd14a8b831bff111ee79c01dbe79de23df0`` (identical but for ``within.top`` vs ``[Ww]ithin.top``;
the looser pattern is used). Index and documents: ``build_rrf_explain_engine`` in ``conftest.py`` (the
same setup as ``500_rrf_retriever_explain.yml``). The YAML's deprecation ``warnings`` are not checked:
retrievo sends no ``Warning`` headers. Spec: /work/shared/spec/elasticsearch-retrievers.md §1.7 and §4.3.

Elasticsearch runs these requests as an ``rrf`` retriever ("this has now been translated to a
retriever", says the YAML): the top-level ``query`` (or each sub search) is a ``standard`` child named
by its query's ``_name``, the top-level ``knn`` a ``knn`` child named by its ``_name``. Every case fuses
``term text:term`` (BM25 ranks 4, 3, 2, 1) with kNN on ``[3]`` (ranks 3, 2, 1, 5) at window 5, k 1, size 3:
doc 3 = 1/3 + 1/2, doc 2 = 1/4 + 1/3, doc 4 = 1/2. The ``sub_searches`` cases put a ``knn`` *query* in
a sub search; they are skipped while retrievo refuses the ``knn`` query.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_close_to, assert_regex, at, ids, with_fields
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")

RANK: dict[str, Any] = {"rrf": {"rank_window_size": 5, "rank_constant": 1}}
BM25_DETAIL = r"weight\(text:term.*"
TOP_KNN_DETAIL = r"found.vector.with.calculated.similarity.*"  # at details.1.details.0.details.0
KNN_QUERY_DETAIL = r"[Ww]ithin.top.*"  # at details.1.details.0


def explain(e: Engine, body: dict[str, Any]) -> dict[str, Any]:
    request = {**body, "rank": RANK, "size": 3, "explain": True}
    return e.search(index="test", body=with_fields(request, ["text", "integer"]))


def top_level_knn(name: str | None = None) -> dict[str, Any]:
    knn: dict[str, Any] = {"field": "vector", "query_vector": [3], "k": 5, "num_candidates": 5}
    return knn if name is None else {**knn, "_name": name}


def knn_query(name: str | None = None) -> dict[str, Any]:
    knn: dict[str, Any] = {"field": "vector", "query_vector": [3], "num_candidates": 5}
    return {"query": {"knn": knn if name is None else {**knn, "_name": name}}}


def term_query(name: str | None = None) -> dict[str, Any]:
    return {"term": {"text": "term" if name is None else {"value": "term", "_name": name}}}


def assert_explanations(resp: dict[str, Any], first: list[str], second: list[str], knn_detail_path: str) -> None:
    """The YAML's checks of all three hits; ``first``/``second`` are each hit's child-description
    patterns (hit 0, hit 1, hit 2), ``knn_detail_path`` where the kNN child's own explanation sits."""
    assert ids(resp)[:3] == ["3", "2", "4"]
    hit0, hit1, hit2 = (f"hits.hits.{i}._explanation" for i in range(3))

    assert_close_to(at(resp, f"{hit0}.value"), 0.8333334, 0.000001)
    assert_regex(r"rrf.score:.\[0.8333334\].*", at(resp, f"{hit0}.description"))
    assert at(resp, f"{hit0}.details.0.value") == 2
    assert_regex(first[0], at(resp, f"{hit0}.details.0.description"))
    assert_regex(BM25_DETAIL, at(resp, f"{hit0}.details.0.details.0.description"))
    assert at(resp, f"{hit0}.details.1.value") == 1
    assert_regex(second[0], at(resp, f"{hit0}.details.1.description"))
    assert_regex(knn_detail_path[1], at(resp, f"{hit0}.details.1.{knn_detail_path[0]}.description"))

    assert_close_to(at(resp, f"{hit1}.value"), 0.5833334, 0.000001)
    assert_regex(r"rrf.score:.\[0.5833334\].*", at(resp, f"{hit1}.description"))
    assert at(resp, f"{hit1}.details.0.value") == 3
    assert_regex(first[1], at(resp, f"{hit1}.details.0.description"))
    assert_regex(BM25_DETAIL, at(resp, f"{hit1}.details.0.details.0.description"))
    assert at(resp, f"{hit1}.details.1.value") == 2
    assert_regex(second[1], at(resp, f"{hit1}.details.1.description"))
    assert_regex(knn_detail_path[1], at(resp, f"{hit1}.details.1.{knn_detail_path[0]}.description"))

    assert at(resp, f"{hit2}.value") == 0.5
    assert_regex(r"rrf.score:.\[0.5\].*", at(resp, f"{hit2}.description"))
    assert at(resp, f"{hit2}.details.0.value") == 1
    assert_regex(first[2], at(resp, f"{hit2}.details.0.description"))
    assert_regex(BM25_DETAIL, at(resp, f"{hit2}.details.0.details.0.description"))
    assert at(resp, f"{hit2}.details.1.value") == 0
    assert_regex(second[2], at(resp, f"{hit2}.details.1.description"))
    assert len(at(resp, f"{hit2}.details.1.details")) == 0


UNNAMED_FIRST = [r"rrf.score:.\[0.33333334\].*", r"rrf.score:.\[0.25\].*", r"rrf.score:.\[0.5\].*"]
UNNAMED_SECOND = [r"rrf.score:.\[0.5\].*", r"rrf.score:.\[0.33333334\].*", r"rrf.score:.\[0\],.result.not.found."]
MY_QUERY = [r".*my_query.*"] * 3
MY_TOP_KNN = [r".*my_top_knn.*"] * 3
AT_INDEX_0 = [r".*at.index.\[0\].*"] * 3
TOP_KNN = ("details.0.details.0", TOP_KNN_DETAIL)
KNN_QUERY = ("details.0", KNN_QUERY_DETAIL)


def test_using_a_top_level_knn_and_query(rrf_explain_engine: Engine) -> None:
    resp = explain(rrf_explain_engine, {"knn": top_level_knn(), "query": term_query()})
    assert_explanations(resp, UNNAMED_FIRST, UNNAMED_SECOND, TOP_KNN)


@pytest.mark.requires("[knn] query")
def test_using_sub_searches(rrf_explain_engine: Engine) -> None:
    resp = explain(rrf_explain_engine, {"sub_searches": [{"query": term_query()}, knn_query()]})
    assert_explanations(resp, UNNAMED_FIRST, UNNAMED_SECOND, KNN_QUERY)


def test_using_named_top_level_knn_and_query(rrf_explain_engine: Engine) -> None:
    resp = explain(rrf_explain_engine, {"knn": top_level_knn("my_top_knn"), "query": term_query("my_query")})
    assert_explanations(resp, MY_QUERY, MY_TOP_KNN, TOP_KNN)


@pytest.mark.requires("[knn] query")
def test_using_named_sub_searches(rrf_explain_engine: Engine) -> None:
    resp = explain(rrf_explain_engine, {"sub_searches": [{"query": term_query("my_query")}, knn_query("my_top_knn")]})
    assert_explanations(resp, MY_QUERY, MY_TOP_KNN, KNN_QUERY)


@pytest.mark.requires("[knn] query")
def test_using_a_mix_of_named_and_unnamed_queries(rrf_explain_engine: Engine) -> None:
    resp = explain(rrf_explain_engine, {"sub_searches": [{"query": term_query()}, knn_query("my_top_knn")]})
    assert_explanations(resp, AT_INDEX_0, MY_TOP_KNN, KNN_QUERY)
