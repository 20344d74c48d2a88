"""A top-level ``knn`` section over several indices.

Elasticsearch's DFS phase finds each shard's ``k`` nearest neighbours, keeps the best ``k`` over every
shard of every index (score, then shard number, then index name), and each shard's query phase scores
only its own survivors next to the query. Expected values here are numpy brute force over the
documents (``l2_norm``: ``1 / (1 + d²)``, in float32) and hand-computed constant query scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

#: index → [(id, vector, tag)]
DOCS: dict[str, list[tuple[str, list[float], str]]] = {
    "alpha": [("a0", [0.0, 0.0], "x"), ("a1", [1.0, 0.0], "y"), ("a2", [2.0, 1.0], "x"), ("a3", [4.0, 4.0], "y")],
    "beta": [("b0", [0.5, 0.0], "x"), ("b1", [1.5, 0.5], "x"), ("b2", [3.0, 0.0], "y"), ("b3", [0.0, 2.5], "y")],
}
MAPPING = {
    "properties": {
        "v": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm", "index_options": {"type": "hnsw"}},
        "w": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm", "index_options": {"type": "hnsw"}},
        "tag": {"type": "keyword"},
    }
}


def l2_score(query: list[float], vector: list[float]) -> float:
    """Elasticsearch's ``l2_norm`` score, ``1 / (1 + squared distance)``, in float32."""
    diff = np.asarray(query, dtype=np.float32) - np.asarray(vector, dtype=np.float32)
    return float(np.float32(1.0) / (np.float32(1.0) + np.float32(np.dot(diff, diff))))


def brute_force(query: list[float], k: int, indices: tuple[str, ...] = ("alpha", "beta")) -> list[tuple[str, float]]:
    """The best ``k`` documents of all ``indices`` (one shard each): score, then index name, then doc."""
    rows = [
        (-l2_score(query, vec), index, pos, doc_id)
        for index in indices
        for pos, (doc_id, vec, _) in enumerate(DOCS[index])
    ]
    return [(doc_id, -neg) for neg, _, _, doc_id in sorted(rows)[:k]]


def hits(response: Any) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in response["hits"]["hits"]]


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    for index, docs in DOCS.items():
        engine.indices.create(index=index, mappings=MAPPING)
        for doc_id, vec, tag in docs:
            engine.index(index=index, id=doc_id, document={"v": vec, "w": [vec[1], vec[0]], "tag": tag})
    engine.indices.create(index="gamma", mappings={"properties": {"tag": {"type": "keyword"}}})
    engine.index(index="gamma", id="g0", document={"tag": "x"})
    engine.indices.refresh(index="alpha,beta,gamma")
    return engine


@pytest.mark.parametrize("query_vector", [[0.0, 0.0], [1.2, 0.2], [3.0, 3.0]])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_knn_keeps_the_best_k_over_every_index(es: Engine, query_vector: list[float], k: int) -> None:
    knn = {"field": "v", "query_vector": query_vector, "k": k, "num_candidates": 10}
    response = es.search(index="alpha,beta", knn=knn)
    expected = brute_force(query_vector, k)
    assert [doc for doc, _ in hits(response)] == [doc for doc, _ in expected]
    assert [s for _, s in hits(response)] == pytest.approx([s for _, s in expected], rel=1e-6)
    assert response["hits"]["total"] == {"value": k, "relation": "eq"}
    assert response["hits"]["max_score"] == pytest.approx(expected[0][1], rel=1e-6)


def test_knn_through_a_wildcard_and_paging(es: Engine) -> None:
    knn = {"field": "v", "query_vector": [1.0, 0.5], "k": 5, "num_candidates": 10}
    expected = brute_force([1.0, 0.5], 5)
    page = es.search(index="al*,be*", knn=knn, from_=2, size=2)
    assert [doc for doc, _ in hits(page)] == [doc for doc, _ in expected[2:4]]
    assert page["hits"]["total"]["value"] == 5


def test_knn_k_defaults_to_size_not_from_plus_size(es: Engine) -> None:
    """Without ``k`` a section keeps ``size`` neighbours over all the indices, whatever ``from`` is."""
    expected = brute_force([0.0, 0.0], 2)
    knn = {"field": "v", "query_vector": [0.0, 0.0], "num_candidates": 10}
    response = es.search(index="alpha,beta", knn=knn, from_=1, size=2)
    assert [doc for doc, _ in hits(response)] == [expected[1][0]]
    assert response["hits"]["total"]["value"] == 2
    response = es.search(index="alpha,beta", knn=knn, size=3)
    assert [doc for doc, _ in hits(response)] == [doc for doc, _ in brute_force([0.0, 0.0], 3)]


def test_knn_through_an_alias(es: Engine) -> None:
    es.indices.put_alias(index="alpha,beta", name="both")
    knn = {"field": "v", "query_vector": [1.0, 1.0], "k": 4, "num_candidates": 10}
    response = es.search(index="both", knn=knn)
    assert [doc for doc, _ in hits(response)] == [doc for doc, _ in brute_force([1.0, 1.0], 4)]


def test_knn_with_a_query_sums_the_survivors_scores(es: Engine) -> None:
    """Query: tag x scores 2. A document scores 2 (tag x) + its kNN score when it survived the global
    top 2; the total counts the union of both."""
    vec = [0.0, 0.0]
    survivors = dict(brute_force(vec, 2))  # a0 (1.0), b0 (0.8)
    knn = {"field": "v", "query_vector": vec, "k": 2, "num_candidates": 10}
    query = {"constant_score": {"filter": {"term": {"tag": "x"}}, "boost": 2.0}}
    response = es.search(index="alpha,beta", knn=knn, query=query)
    expected: list[tuple[float, str, str]] = []
    for index, docs in DOCS.items():
        for doc_id, _, tag in docs:
            score = (2.0 if tag == "x" else 0.0) + survivors.get(doc_id, 0.0)
            if score > 0:
                expected.append((-score, index, doc_id))
    expected.sort()
    assert [h["_id"] for h in response["hits"]["hits"]] == [doc_id for _, _, doc_id in expected]
    assert [h["_score"] for h in response["hits"]["hits"]] == pytest.approx([-s for s, _, _ in expected], rel=1e-6)
    # a1 (tag y, third nearest overall) is not in the global top 2: not a hit at all
    assert "a1" not in [h["_id"] for h in response["hits"]["hits"]]
    assert response["hits"]["total"] == {"value": len(expected), "relation": "eq"}


def test_several_knn_sections_each_keep_their_own_best_k(es: Engine) -> None:
    """Two sections: ``v`` near (0, 0) with k 2 and ``w`` (the swapped vector) near (2, 0), boost 2,
    k 2. Each section's global top 2 is chosen on its own; scores add."""
    first = dict(brute_force([0.0, 0.0], 2))
    # w = (y, x): w near (2, 0) is v near (0, 2)
    second = dict(brute_force([0.0, 2.0], 2))
    knn = [
        {"field": "v", "query_vector": [0.0, 0.0], "k": 2, "num_candidates": 10},
        {"field": "w", "query_vector": [2.0, 0.0], "k": 2, "num_candidates": 10, "boost": 2.0},
    ]
    response = es.search(index="alpha,beta", knn=knn)
    expected = sorted(
        (-(first.get(d, 0.0) + np.float32(2.0) * np.float32(second.get(d, 0.0))), index, d)
        for index, docs in DOCS.items()
        for d, _, _ in docs
        if d in first or d in second
    )
    assert [h["_id"] for h in response["hits"]["hits"]] == [d for _, _, d in expected]
    assert [h["_score"] for h in response["hits"]["hits"]] == pytest.approx(
        [-float(s) for s, _, _ in expected], rel=1e-6
    )
    assert response["hits"]["total"]["value"] == len(set(first) | set(second))


def test_knn_filter_and_similarity_apply_on_every_index(es: Engine) -> None:
    knn = {
        "field": "v",
        "query_vector": [0.0, 0.0],
        "k": 3,
        "num_candidates": 10,
        "filter": {"term": {"tag": "y"}},
    }
    rows = sorted(
        (-l2_score([0.0, 0.0], vec), index, doc_id)
        for index, docs in DOCS.items()
        for doc_id, vec, tag in docs
        if tag == "y"
    )[:3]
    response = es.search(index="alpha,beta", knn=knn)
    assert [h["_id"] for h in response["hits"]["hits"]] == [d for _, _, d in rows]
    # similarity: an l2_norm threshold is a distance, here 1.6 (scores of 1 / (1 + 2.56) and up)
    knn = {"field": "v", "query_vector": [0.0, 0.0], "k": 10, "num_candidates": 10, "similarity": 1.6}
    response = es.search(index="alpha,beta", knn=knn)
    near = sorted(
        (-l2_score([0.0, 0.0], vec), index, doc_id)
        for index, docs in DOCS.items()
        for doc_id, vec, _ in docs
        if float(np.linalg.norm(vec)) <= 1.6
    )
    assert [h["_id"] for h in response["hits"]["hits"]] == [d for _, _, d in near]


def test_knn_name_and_explain(es: Engine) -> None:
    knn = {"field": "v", "query_vector": [0.0, 0.0], "k": 2, "num_candidates": 10, "_name": "near"}
    query = {"constant_score": {"filter": {"term": {"tag": "x"}}, "boost": 2.0, "_name": "tagged"}}
    response = es.search(index="alpha,beta", knn=knn, query=query, explain=True)
    by_id = {h["_id"]: h for h in response["hits"]["hits"]}
    assert sorted(by_id["a0"]["matched_queries"]) == ["near", "tagged"]
    assert sorted(by_id["b0"]["matched_queries"]) == ["near", "tagged"]
    assert by_id["a2"]["matched_queries"] == ["tagged"]  # tag x, but not among the global top 2
    explanation = by_id["b0"]["_explanation"]
    assert explanation["value"] == pytest.approx(2.0 + l2_score([0.0, 0.0], [0.5, 0.0]), rel=1e-6)
    knn_part = [d for d in explanation["details"] if d["description"] == "within top k documents"]
    assert len(knn_part) == 1 and knn_part[0]["value"] == pytest.approx(0.8, rel=1e-6)


def test_knn_over_a_field_one_index_lacks(es: Engine) -> None:
    """``gamma`` has no ``v``: its kNN search finds nothing, so it answers only through the query."""
    knn = {"field": "v", "query_vector": [0.0, 0.0], "k": 2, "num_candidates": 10}
    response = es.search(index="alpha,gamma", knn=knn)
    assert hits(response) == [("a0", 1.0), ("a1", 0.5)]
    query = {"constant_score": {"filter": {"term": {"tag": "x"}}, "boost": 1.0}}
    response = es.search(index="alpha,gamma", knn=knn, query=query)
    # a0: tag x + 1.0; a2, g0: tag x (a tie: index order); a1: its kNN score 0.5 only
    assert hits(response) == [("a0", 2.0), ("a2", 1.0), ("g0", 1.0), ("a1", 0.5)]
    assert response["_shards"]["total"] == 2 and response["_shards"]["successful"] == 2


def test_knn_ties_go_to_the_lower_shard_then_the_index_name() -> None:
    """The same vector in two indices scores the same: the lower shard number wins, then the index name
    — ``zeta``'s document on shard 0 beats ``eta``'s on shard 1, and ``eta`` beats ``theta`` on shard 1."""
    es = Engine()
    two_shards = {"number_of_shards": 2}
    placed: dict[str, tuple[str, int]] = {}
    for index in ("eta", "theta", "zeta"):
        es.indices.create(index=index, mappings=MAPPING, settings=two_shards)
        for n in range(12):
            es.index(index=index, id=f"{index}-{n}", document={"v": [5.0, 5.0], "tag": "far"})
        es.indices.refresh(index=index)
        shown = es.search(index=index, query={"match_all": {}}, explain=True, size=12)["hits"]["hits"]
        shard_of = {h["_id"]: int(h["_shard"].rsplit("[", 1)[1].rstrip("]")) for h in shown}
        wanted = 0 if index == "zeta" else 1  # the tied document's shard
        doc_id = next(d for d, s in sorted(shard_of.items()) if s == wanted)
        es.index(index=index, id=doc_id, document={"v": [0.0, 0.0], "tag": "near"})
        es.indices.refresh(index=index)
        placed[index] = (doc_id, wanted)
    knn = {"field": "v", "query_vector": [0.0, 0.0], "k": 2, "num_candidates": 20}
    response = es.search(index="eta,theta,zeta", knn=knn)
    assert [(h["_index"], h["_id"]) for h in response["hits"]["hits"]] == [
        ("zeta", placed["zeta"][0]),
        ("eta", placed["eta"][0]),
    ]
    assert [h["_score"] for h in response["hits"]["hits"]] == [1.0, 1.0]
    assert response["hits"]["total"]["value"] == 2


def test_knn_with_rescore_and_aggregations(es: Engine) -> None:
    """The global top 3 at (0, 0) are a0 1.0 (x), b0 0.8 (x), a1 0.5 (y). Aggregations count only the
    survivors. A rescore window of 2 is each index's own: alpha rescores a0 and a1 (a1, tag y: +10)."""
    knn = {"field": "v", "query_vector": [0.0, 0.0], "k": 3, "num_candidates": 10}
    response = es.search(index="alpha,beta", knn=knn, size=0, aggs={"tags": {"terms": {"field": "tag"}}})
    buckets = response["aggregations"]["tags"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in buckets] == [("x", 2), ("y", 1)]
    assert response["hits"]["total"]["value"] == 3
    tagged_y = {"constant_score": {"filter": {"term": {"tag": "y"}}, "boost": 10.0}}
    rescore = {"window_size": 2, "query": {"rescore_query": tagged_y}}
    response = es.search(index="alpha,beta", knn=knn, rescore=rescore)
    assert hits(response) == [("a1", 10.5), ("a0", 1.0), ("b0", pytest.approx(0.8, rel=1e-6))]


def test_knn_errors_and_refusals(es: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index="alpha,beta", knn={"field": "v", "query_vector": [0.0, 0.0, 1.0], "k": 2, "num_candidates": 5})
    assert "different number of dimensions [3]" in str(err.value.body["error"])
    with pytest.raises(BadRequestError) as err:  # standard, knn and the compounds run (test_multi_index_retrievers)
        es.search(index="alpha,beta", retriever={"pinned": {"ids": ["a0"], "retriever": {"standard": {}}}})
    reason = err.value.body["error"]["reason"]
    assert reason.startswith("the [pinned] retriever in a search over several indices is not supported in retrievo")
