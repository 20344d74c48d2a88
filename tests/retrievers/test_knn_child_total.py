"""``hits.total`` of a compound retriever whose child is a ``knn`` retriever with ``k`` above the window.

Elasticsearch runs each child of a ``CompoundRetrieverBuilder`` as a search of ``size`` = the parent's
``rank_window_size`` and keeps the hits as the child's rank docs. The final ``RankDocsRetrieverBuilder``
counts ``hits.total`` with a query over its sources' ``topDocsQuery()``, and ``KnnRetrieverBuilder.
topDocsQuery()`` is a ``RankDocsQueryBuilder`` over those rank docs: a kNN child counts the documents
it returned inside the parent's window, not all ``k`` neighbours. ``rescorer``,
``text_similarity_reranker``, ``diversify`` and ``random_reranker`` are compound retrievers like
``rrf``/``linear`` and follow the same rule (``pinned`` and ``rule`` refuse a ``knn`` child).

Twelve documents ``d0``..``d11`` at ``[i, 0]``; the kNN child asks for ``k: 8`` nearest to ``[0, 0]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

KNN: dict[str, Any] = {"knn": {"field": "v", "query_vector": [0.0, 0.0], "k": 8, "num_candidates": 12}}


@pytest.fixture(scope="module")
def es() -> Iterator[Engine]:
    e = Engine()
    e.inference.put(
        inference_id="rr",
        task_type="rerank",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "m", "api_key": "k"},
            "task_settings": {},
        },
    )
    e.indices.create(
        index="t",
        mappings={
            "properties": {
                "v": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm"},
                "text": {"type": "text"},
                "n": {"type": "integer"},
            }
        },
    )
    for i in range(12):
        e.index(index="t", id=f"d{i}", document={"v": [float(i), 0.0], "text": f"doc {i}", "n": i})
    e.indices.refresh(index="t")
    yield e


def _wrap(kind: str, window: int) -> dict[str, Any]:
    if kind == "rescorer":
        return {
            "rescorer": {
                "retriever": KNN,
                "rescore": {"window_size": window, "query": {"rescore_query": {"match_all": {}}}},
            }
        }
    if kind == "text_similarity_reranker":
        return {
            "text_similarity_reranker": {
                "retriever": KNN,
                "rank_window_size": window,
                "inference_id": "rr",
                "inference_text": "x",
                "field": "text",
            }
        }
    if kind == "diversify":
        return {
            "diversify": {
                "type": "mmr",
                "lambda": 0.5,
                "field": "v",
                "query_vector": [0.0, 0.0],
                "retriever": KNN,
                "rank_window_size": window,
            }
        }
    assert kind == "random_reranker"
    return {"random_reranker": {"retriever": KNN, "rank_window_size": window, "field": "text"}}


KINDS = ["rescorer", "text_similarity_reranker", "diversify", "random_reranker"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_knn_child_counts_only_the_window_it_returned(es: Engine, kind: str) -> None:
    resp = es.search(index="t", retriever=_wrap(kind, 3), size=3, track_total_hits=True)
    assert resp["hits"]["total"] == {"value": 3, "relation": "eq"}
    assert len(resp["hits"]["hits"]) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_window_above_k_counts_the_k_neighbours(es: Engine, kind: str) -> None:
    resp = es.search(index="t", retriever=_wrap(kind, 10), size=10, track_total_hits=True)
    assert resp["hits"]["total"] == {"value": 8, "relation": "eq"}


def test_rrf_counts_the_knn_window_plus_the_other_child(es: Engine) -> None:
    """The union: d0, d1, d2 from the kNN child's window of 3, and d11 from the term query."""
    body = {"rrf": {"retrievers": [KNN, {"standard": {"query": {"term": {"n": 11}}}}], "rank_window_size": 3}}
    resp = es.search(index="t", retriever=body, size=3, track_total_hits=True)
    assert resp["hits"]["total"] == {"value": 4, "relation": "eq"}


def test_a_nested_reranker_keeps_its_own_knn_window(es: Engine) -> None:
    """rrf over a reranker (window 2) over kNN (k 8): the reranker's source counts its 2 rank docs,
    the term child counts d11."""
    inner = _wrap("text_similarity_reranker", 2)
    body = {"rrf": {"retrievers": [inner, {"standard": {"query": {"term": {"n": 11}}}}], "rank_window_size": 2}}
    resp = es.search(index="t", retriever=body, size=2, track_total_hits=True)
    assert resp["hits"]["total"] == {"value": 3, "relation": "eq"}


def test_pinned_and_rule_refuse_a_knn_child(es: Engine) -> None:
    """Both wrap the child's query (``PinnedRetrieverBuilder``'s pinned query, ``QueryRuleRetrieverBuilder``'s
    ``RuleQueryBuilder``); a ``knn`` child's search has a kNN section and no query, so there is nothing to
    wrap and no window to count."""
    es.query_rules.put_ruleset(
        ruleset_id="rs",
        rules=[
            {
                "rule_id": "r1",
                "type": "pinned",
                "criteria": [{"type": "exact", "metadata": "q", "values": ["a"]}],
                "actions": {"ids": ["d10"]},
            }
        ],
    )
    cases = [
        (
            {"pinned": {"ids": ["d10"], "retriever": KNN, "rank_window_size": 3}},
            "pinned retriever requires retriever with associated query",
        ),
        (
            {"rule": {"ruleset_ids": ["rs"], "match_criteria": {"q": "a"}, "retriever": KNN, "rank_window_size": 3}},
            "organicQuery must not be null",
        ),
    ]
    for retriever, reason in cases:
        with pytest.raises(ApiError) as info:
            es.search(index="t", retriever=retriever, size=3)
        assert info.value.meta.status == 400
        assert info.value.body["error"]["type"] == "illegal_argument_exception"
        assert info.value.body["error"]["reason"] == reason
