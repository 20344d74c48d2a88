"""A dense ``semantic_text`` field stores its chunk embeddings as its endpoint declares them: the endpoint's
``similarity`` (cosine, dot_product, l2_norm) and ``element_type`` (float, byte, bfloat16) shape the chunk
``dense_vector`` field, so the ``semantic``/``match``/``knn`` scores are that similarity's transform.

Every score is recomputed here by hand from Elasticsearch's ``text_embedding_test_service`` mock: a text's
embedding is the ASCII codes of ``str(text.hashCode())`` cycled to ``dimensions`` values. With 4 dimensions:
``"hello"`` (hashCode 99162322) embeds as [57, 57, 49, 54] and ``"world"`` (113318802) as [49, 49, 51, 51].
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.errors import ApiError
from retrievo.index.semantic import as_stored

F32 = np.float32
HELLO = [57.0, 57.0, 49.0, 54.0]
WORLD = [49.0, 49.0, 51.0, 51.0]


def hash_code(text: str) -> int:
    total = 0
    for ch in text:
        total = (31 * total + ord(ch)) % 2**32
    return total - 2**32 if total >= 2**31 else total


def mock_embedding(text: str, dims: int) -> list[float]:
    codes = [float(b) for b in str(hash_code(text)).encode("ascii")]
    return (codes * (dims // len(codes) + 1))[:dims]


def test_the_mock_embeddings_used_below() -> None:
    assert mock_embedding("hello", 4) == HELLO
    assert mock_embedding("world", 4) == WORLD


def put_endpoint(e: Engine, inference_id: str, similarity: str, element_type: str, dims: int = 4) -> None:
    settings = {"model": "m", "dimensions": dims, "similarity": similarity, "element_type": element_type}
    e.inference.put(
        task_type="text_embedding",
        inference_id=inference_id,
        body={"service": "text_embedding_test_service", "service_settings": {**settings, "api_key": "x"}},
    )


def semantic_index(e: Engine, index: str, inference_id: str, **field: Any) -> None:
    mapping = {"type": "semantic_text", "inference_id": inference_id, **field}
    e.indices.create(index=index, mappings={"properties": {"c": mapping}})


def score_of(e: Engine, index: str, body: dict[str, Any]) -> F32:
    hits = e.search(index=index, body=body)["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["1"]
    return F32(hits[0]["_score"])


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


# (similarity, element_type) -> the score of "hello" for the query "world", by hand.
COSINE = dot(HELLO, WORLD) / math.sqrt(dot(HELLO, HELLO) * dot(WORLD, WORLD))  # 10839 / sqrt(11815 · 10004)
EXPECTED = {
    ("cosine", "float"): F32((1 + COSINE) / 2),
    ("cosine", "byte"): F32((1 + COSINE) / 2),
    ("dot_product", "byte"): F32(0.5 + 10839 / (4 * 32768)),  # byte dot_product: 0.5 + dot / (dims · 2^15)
    ("l2_norm", "float"): F32(1 / (1 + 141)),  # d² = 8² + 8² + 2² + 3²
    ("l2_norm", "bfloat16"): F32(1 / (1 + 141)),  # whole numbers below 256 are exact bfloat16 values
}


@pytest.mark.parametrize(("similarity", "element_type"), list(EXPECTED))
def test_semantic_match_and_knn_scores_follow_the_endpoint(similarity: str, element_type: str) -> None:
    e = Engine()
    put_endpoint(e, "dense", similarity, element_type)
    semantic_index(e, "idx", "dense")
    e.index(index="idx", id="1", document={"c": "hello"}, refresh=True)
    want = EXPECTED[(similarity, element_type)]
    assert score_of(e, "idx", {"query": {"semantic": {"field": "c", "query": "world"}}}) == pytest.approx(want, 1e-6)
    assert score_of(e, "idx", {"query": {"match": {"c": "world"}}}) == pytest.approx(want, 1e-6)
    knn = {"field": "c", "query_vector": WORLD, "k": 1, "num_candidates": 10}
    assert score_of(e, "idx", {"knn": knn}) == pytest.approx(want, 1e-6)


def test_dot_product_float_endpoint_needs_unit_vectors_and_the_document_is_not_indexed() -> None:
    e = Engine()
    put_endpoint(e, "dense", "dot_product", "float")
    semantic_index(e, "idx", "dense")
    with pytest.raises(ApiError) as info:
        e.index(index="idx", id="1", document={"c": "hello"}, refresh=True)
    assert info.value.status_code == 400
    assert info.value.body["error"]["type"] == "illegal_argument_exception"
    assert info.value.body["error"]["reason"] == (
        "The [dot_product] similarity can only be used with unit-length vectors. "
        "Preview of invalid vector: [57.0, 57.0, 49.0, 54.0]"
    )
    e.indices.refresh(index="idx")
    assert e.count(index="idx")["count"] == 0


def test_a_bit_endpoint_is_refused_at_ingest() -> None:
    e = Engine()
    put_endpoint(e, "bits", "l2_norm", "bit", dims=32)
    semantic_index(e, "idx", "bits")
    with pytest.raises(ApiError) as info:
        e.index(index="idx", id="1", document={"c": "hello"})
    assert info.value.status_code == 400
    assert "is not supported in retrievo" in info.value.body["error"]["reason"]


def test_bfloat16_rounding_is_to_nearest_even() -> None:
    values = np.array([1.0, 1 + 2**-8, 1 + 3 * 2**-8, 0.1, -2.5], dtype=np.float32)
    # 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: to the even one, 1; 1 + 3·2^-8 halfway between
    # 1 + 2^-7 and 1 + 2^-6: to 1 + 2^-6; 0.1 (0x3DCCCCCD) rounds up to 0x3DCD0000.
    want = np.array([1.0, 1.0, 1 + 2**-6, np.uint32(0x3DCD0000).view(np.float32), -2.5], dtype=np.float32)
    assert as_stored(values, "bfloat16").tolist() == want.tolist()
    assert as_stored(values, "float").tolist() == values.tolist()


def test_similarity_and_element_type_survive_a_restart(tmp_path: Path) -> None:
    first = Engine(path=tmp_path / "data")
    put_endpoint(first, "dense", "l2_norm", "bfloat16")
    semantic_index(first, "idx", "dense")
    first.index(index="idx", id="1", document={"c": "hello"}, refresh=True)  # committed
    again = Engine(path=tmp_path / "data")
    want = EXPECTED[("l2_norm", "bfloat16")]
    assert score_of(again, "idx", {"query": {"semantic": {"field": "c", "query": "world"}}}) == pytest.approx(want)
    again.index(index="idx", id="2", document={"c": "world"})  # only in the translog
    third = Engine(path=tmp_path / "data")
    third.indices.refresh(index="idx")
    hits = third.search(index="idx", query={"semantic": {"field": "c", "query": "world"}})["hits"]["hits"]
    assert [(h["_id"], F32(h["_score"])) for h in hits] == [("2", F32(1.0)), ("1", pytest.approx(want))]


def test_max_inner_product_chunks_score_by_its_transform() -> None:
    # No test mock declares max_inner_product (ES's mock offers cosine, dot_product and l2_norm), so the
    # chunk store is driven directly: dot ≥ 0 scores dot + 1, dot < 0 scores 1 / (1 − dot).
    from retrievo.index.semantic import Chunk, SemanticFieldWriter

    writer = SemanticFieldWriter("c", similarity="max_inner_product")
    writer.add(0, [Chunk(0, 1, np.array([2.0, 1.0], dtype=np.float32))])
    writer.add(1, [Chunk(0, 1, np.array([-3.0, 0.0], dtype=np.float32))])
    snapshot = writer.refresh(2, np.ones(2, dtype=bool), False)
    docs, scores = snapshot.search([1.0, 1.0], 2, 10)
    assert docs.tolist() == [0, 1]
    assert scores.tolist() == [F32(3 + 1), F32(1 / (1 + 3))]
    assert [e.tolist() for e in snapshot.doc_embeddings(1)] == [[-3.0, 0.0]]
