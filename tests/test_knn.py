"""kNN end to end through the Engine: Elasticsearch's score transforms, thresholds, pre-filters,
limits and errors, hybrid scoring — each checked against numpy computed here, not by the library."""

from __future__ import annotations

import numpy as np
import pytest

from retrievo import BadRequestError, Engine

RNG = np.random.default_rng(7)
N, DIMS = 60, 8


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


VECS = _unit(RNG.normal(size=(N, DIMS))).astype(np.float32)
RAW = (RNG.normal(size=(N, DIMS)) * 2).astype(np.float32)
QUERY = _unit(RNG.normal(size=DIMS)).astype(np.float32)


def _engine(similarity: str, vectors: np.ndarray, index_type: str = "flat") -> Engine:
    e = Engine()
    e.indices.create(
        index="v",
        mappings={
            "properties": {
                "vec": {
                    "type": "dense_vector",
                    "dims": DIMS,
                    "similarity": similarity,
                    "index_options": {"type": index_type},
                },
                "group": {"type": "keyword"},
                "text": {"type": "text"},
            }
        },
    )
    ops = []
    for i, v in enumerate(vectors):
        ops += [
            {"index": {"_index": "v", "_id": str(i)}},
            {"vec": v.tolist(), "group": f"g{i % 10}", "text": "red apple" if i % 3 == 0 else "green pear"},
        ]
    assert not e.bulk(operations=ops, refresh=True)["errors"]
    return e


def _expected_scores(similarity: str, vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Elasticsearch's VectorSimilarity.score, written out from its definition (float32)."""
    v, q = vectors.astype(np.float32), q.astype(np.float32)
    if similarity == "l2_norm":
        d2 = ((v - q) ** 2).sum(axis=1, dtype=np.float32)
        return (1 / (1 + d2)).astype(np.float32)
    if similarity == "cosine":
        cos = (_unit(v) @ _unit(q)).astype(np.float32)
        return ((1 + cos) / 2).astype(np.float32)
    dot = (v @ q).astype(np.float32)
    if similarity == "dot_product":
        return ((1 + dot) / 2).astype(np.float32)
    return np.where(dot < 0, 1 / (1 - dot), dot + 1).astype(np.float32)  # max_inner_product


def _knn(e: Engine, q: np.ndarray, k: int, **extra):
    body = {"field": "vec", "query_vector": q.tolist(), "k": k, "num_candidates": max(k, 50), **extra}
    return e.search(index="v", retriever={"knn": body}, size=k)["hits"]


@pytest.mark.parametrize(
    "similarity,vectors", [("cosine", RAW), ("dot_product", VECS), ("l2_norm", RAW), ("max_inner_product", RAW)]
)
def test_score_transform_per_similarity(similarity, vectors):
    e = _engine(similarity, vectors)
    q = QUERY if similarity != "l2_norm" else RAW[0] + 0.1
    want = _expected_scores(similarity, vectors, q)
    order = sorted(range(N), key=lambda i: (-want[i], i))[:10]
    hits = _knn(e, q, 10)["hits"]
    assert [h["_id"] for h in hits] == [str(i) for i in order]
    for h in hits:
        assert np.float32(h["_score"]) == pytest.approx(want[int(h["_id"])], rel=2e-6)


def test_similarity_threshold_is_on_the_raw_similarity():
    e = _engine("cosine", RAW)
    cos = _unit(RAW) @ QUERY
    hits = _knn(e, QUERY, 20, similarity=0.3)["hits"]
    assert {h["_id"] for h in hits} == {str(i) for i in np.argsort(-cos)[:20] if cos[i] >= 0.3}
    e2 = _engine("l2_norm", RAW)
    hits = _knn(e2, RAW[5], 10, similarity=0.0)["hits"]  # max distance 0: only the identical vector
    assert [h["_id"] for h in hits] == ["5"] and hits[0]["_score"] == 1.0


def test_filter_is_a_prefilter_even_below_k():
    e = _engine("dot_product", VECS)
    want = _expected_scores("dot_product", VECS, QUERY)
    resp = _knn(e, QUERY, 10, filter={"term": {"group": "g3"}})
    ids = [int(h["_id"]) for h in resp["hits"]]
    members = [i for i in range(N) if i % 10 == 3]
    assert ids == sorted(members, key=lambda i: (-want[i], i))  # only 6 docs pass: all of them, in order
    assert resp["total"]["value"] == len(members)
    assert _knn(e, QUERY, 5, filter={"term": {"group": "nope"}})["hits"] == []


def test_hnsw_matches_exact_on_a_small_index():
    e = _engine("cosine", RAW, "hnsw")
    want = _expected_scores("cosine", RAW, QUERY)
    hits = _knn(e, QUERY, 10)["hits"]
    assert [h["_id"] for h in hits] == [str(i) for i in sorted(range(N), key=lambda i: (-want[i], i))[:10]]


def test_top_level_knn_adds_to_the_query_score():
    e = _engine("dot_product", VECS)
    bm25 = {
        h["_id"]: h["_score"] for h in e.search(index="v", query={"match": {"text": "apple"}}, size=100)["hits"]["hits"]
    }
    knn = {h["_id"]: h["_score"] for h in _knn(e, QUERY, 5)["hits"]}
    resp = e.search(
        index="v",
        query={"match": {"text": "apple"}},
        knn={"field": "vec", "query_vector": QUERY.tolist(), "k": 5, "num_candidates": 50, "boost": 2.0},
        size=100,
    )
    got = {h["_id"]: h["_score"] for h in resp["hits"]["hits"]}
    assert set(got) == set(bm25) | set(knn)  # the union matches
    assert resp["hits"]["total"]["value"] == len(set(bm25) | set(knn))
    for doc_id, score in got.items():
        want = np.float32(
            float(np.float32(bm25.get(doc_id, 0.0))) + float(np.float32(2.0) * np.float32(knn.get(doc_id, 0.0)))
        )
        assert np.float32(score) == want


@pytest.mark.parametrize(
    "knn,reason",
    [
        ({"k": 5, "num_candidates": 3}, "[num_candidates] cannot be less than [k]"),
        ({"k": 5, "num_candidates": 10001}, "[num_candidates] cannot exceed [10000]"),
        ({"k": 0, "num_candidates": 10}, "[k] must be greater than 0"),
    ],
)
def test_num_candidates_limits(knn, reason):
    e = _engine("cosine", RAW)
    with pytest.raises(BadRequestError) as info:
        e.search(index="v", retriever={"knn": {"field": "vec", "query_vector": QUERY.tolist(), **knn}})
    assert info.value.body["error"]["reason"] == reason


def test_top_level_knn_defaults():
    e = _engine("cosine", RAW)
    plan = str(e.plan(index="v", knn={"field": "vec", "query_vector": QUERY.tolist()}, size=4))
    assert "k=4, num_candidates=6" in plan  # k = size, num_candidates = round(1.5 k)


def test_vector_errors():
    e = _engine("cosine", RAW)
    with pytest.raises(BadRequestError) as info:
        e.search(
            index="v", retriever={"knn": {"field": "vec", "query_vector": [1.0, 2.0], "k": 1, "num_candidates": 1}}
        )
    assert "different number of dimensions [2]" in info.value.body["error"]["reason"]
    with pytest.raises(BadRequestError) as info:
        e.index(index="v", id="z", document={"vec": [0.0] * DIMS})
    assert "zero magnitude" in info.value.body["error"]["reason"]
    with pytest.raises(BadRequestError) as info:
        e.search(
            index="v", retriever={"knn": {"field": "text", "query_vector": QUERY.tolist(), "k": 1, "num_candidates": 1}}
        )
    assert info.value.body["error"]["reason"] == "[knn] queries are only supported on [dense_vector] fields"
    assert e.count(index="v")["count"] == N


def test_dot_product_requires_unit_vectors():
    e = _engine("dot_product", VECS)
    with pytest.raises(BadRequestError) as info:
        e.index(index="v", id="bad", document={"vec": (VECS[0] * 3).tolist()})
    assert "unit-length" in info.value.body["error"]["reason"]
    assert e.count(index="v")["count"] == N
