"""A compound retriever's window against an unset ``size``, and what a kNN child adds to ``hits.total``.

Elasticsearch's ``CompoundRetrieverBuilder.validate`` compares ``rank_window_size`` with the request's
raw ``size``, which is ``-1`` when the body leaves it out: a window below the default page of 10 is
then fine, and the page simply holds the whole window. The legacy ``rank`` check
(``SearchSourceBuilder.validate``) substitutes the default 10 first, so there it fails. And a ``knn``
child counts towards the fused ``hits.total`` with the documents it returned (its top window, at most
``k``), not with all ``k`` neighbours (``KnnRetrieverBuilder.topDocsQuery`` is a query over its rank docs),
as ``rrf/200_rank_rrf_script.yml`` and ``rrf/400_rrf_retriever_script.yml`` show with a total of 5 where
the two kNN searches' ``k`` alone would give 6.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError
from retrievo.grammar.json import parse_search

MATCH_ALL: dict[str, Any] = {"standard": {"query": {"match_all": {}}}}
NOTHING: dict[str, Any] = {"standard": {"query": {"term": {"k": "absent"}}}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    """Six docs 1..6 with ``v`` = [n] and ``k`` = "x"."""
    e = Engine()
    vector = {"type": "dense_vector", "dims": 1, "index": True, "similarity": "l2_norm"}
    e.indices.create(index="t", mappings={"properties": {"v": vector, "k": {"type": "keyword"}}})
    for n in range(1, 7):
        e.index(index="t", id=str(n), document={"v": [float(n)], "k": "x"})
    e.indices.refresh()
    return e


def rrf(*children: dict[str, Any], window: int) -> dict[str, Any]:
    return {"rrf": {"retrievers": list(children), "rank_window_size": window}}


def test_window_below_the_default_size_is_fine_when_size_is_unset(engine: Engine) -> None:
    resp = engine.search(index="t", body={"retriever": rrf(MATCH_ALL, MATCH_ALL, window=3)})
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["1", "2", "3"]
    assert resp["hits"]["total"]["value"] == 6


def test_window_below_an_explicit_size_of_ten_fails(engine: Engine) -> None:
    with pytest.raises(ApiError) as info:
        engine.search(index="t", body={"retriever": rrf(MATCH_ALL, MATCH_ALL, window=3), "size": 10})
    assert info.value.status_code == 400
    assert info.value.body["error"]["reason"] == (
        "Validation Failed: 1: [rrf] requires [rank_window_size: 3] be greater than or equal to [size: 10];"
    )


def test_legacy_rank_checks_the_default_size(engine: Engine) -> None:
    body = {
        "sub_searches": [{"query": {"match_all": {}}}, {"query": {"term": {"k": "x"}}}],
        "rank": {"rrf": {"rank_window_size": 3}},
    }
    with pytest.raises(ApiError) as info:
        engine.search(index="t", body=body)
    assert info.value.body["error"]["reason"] == (
        "Validation Failed: 1: [rank] requires [rank_window_size: 3] be greater than or equal to [size: 10];"
    )


def test_only_an_explicit_ten_is_told_apart_from_the_default() -> None:
    retriever = rrf(MATCH_ALL, MATCH_ALL, window=10)
    assert parse_search("t", {"retriever": retriever, "size": 10}).checked_size == 10
    assert parse_search("t", {"retriever": retriever}).checked_size is None
    assert parse_search("t", {"retriever": retriever, "size": 7}).checked_size == 7


def test_knn_child_counts_its_top_window_not_its_k(engine: Engine) -> None:
    knn = {"knn": {"field": "v", "query_vector": [1.0], "k": 5, "num_candidates": 6}}
    resp = engine.search(index="t", body={"retriever": rrf(knn, NOTHING, window=3), "size": 3})
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["1", "2", "3"]
    assert resp["hits"]["total"]["value"] == 3  # not 5: only the window the kNN child returned


def test_standard_child_counts_all_its_matches(engine: Engine) -> None:
    term = {"standard": {"query": {"term": {"k": "x"}}}}
    resp = engine.search(index="t", body={"retriever": rrf(term, NOTHING, window=3), "size": 3})
    assert resp["hits"]["total"]["value"] == 6
