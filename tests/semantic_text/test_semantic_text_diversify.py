"""``diversify`` (MMR) on a dense ``semantic_text`` field (Elasticsearch 9.3): each document's vectors are its
chunks' embeddings as the endpoint returned them, compared by ``MAXIMUM_INNER_PRODUCT`` (``dot + 1`` for a
non-negative dot product). Hand-computed with the ``text_embedding_test_service`` mock (4 dimensions):
``"hello"`` → [57, 57, 49, 54], ``"world"`` → [49, 49, 51, 51], ``"a"`` (hashCode 97) → [57, 55, 57, 55].

Against the query vector [1, 0, 0, 0] the query similarities are 58, 50 and 58; between documents,
hello·world = 10839 and hello·a = 12147, so their similarities are 10840 and 12148.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

DENSE = {"service": "text_embedding_test_service", "service_settings": {"model": "m", "dimensions": 4, "api_key": "x"}}
SPARSE = {"service": "test_service", "service_settings": {"model": "m", "api_key": "x"}}
TEXTS = {"1": "hello", "2": "world", "3": "a"}


def build(e: Engine) -> Engine:
    e.inference.put(task_type="text_embedding", inference_id="dense", body=DENSE)
    e.indices.create(index="i", mappings={"properties": {"c": {"type": "semantic_text", "inference_id": "dense"}}})
    for doc_id, text in TEXTS.items():
        e.index(index="i", id=doc_id, document={"c": text})
    e.indices.refresh(index="i")
    return e


def diversify(e: Engine, lam: float, **extra: Any) -> list[str]:
    body = {
        "retriever": {
            "diversify": {
                "type": "mmr",
                "field": "c",
                "lambda": lam,
                "size": 2,
                "retriever": {"standard": {"query": {"match_all": {}}}},
                **extra,
            }
        }
    }
    return [h["_id"] for h in e.search(index="i", body=body)["hits"]["hits"]]


def test_lambda_weighs_relevance_against_similarity() -> None:
    e = build(Engine())
    # First pick: the best query similarity, 58, first reached by "1" (strictly greater wins).
    # λ = 0.5: "2" scores 0.5·50 − 0.5·10840 = −5395, "3" 0.5·58 − 0.5·12148 = −6045 → "2".
    assert diversify(e, 0.5, query_vector=[1, 0, 0, 0]) == ["1", "2"]
    # λ = 1: relevance only, 58 > 50 → "3".
    assert diversify(e, 1.0, query_vector=[1, 0, 0, 0]) == ["1", "3"]


def test_without_a_query_vector_the_first_pick_is_the_best_scored_document() -> None:
    e = build(Engine())
    # match_all scores all 1: the first document; then the least similar to it (10840 < 12148): "2".
    assert diversify(e, 0.0) == ["1", "2"]


def test_the_chunk_embeddings_survive_a_restart(tmp_path: Path) -> None:
    first = build(Engine(path=tmp_path / "data"))
    before = diversify(first, 0.5, query_vector=[1, 0, 0, 0])
    first.indices.flush(index="i")
    again = Engine(path=tmp_path / "data")
    assert diversify(again, 0.5, query_vector=[1, 0, 0, 0]) == before == ["1", "2"]


def test_a_sparse_semantic_text_field_has_no_vectors() -> None:
    e = Engine()
    e.inference.put(task_type="sparse_embedding", inference_id="sparse", body=SPARSE)
    e.indices.create(index="i", mappings={"properties": {"c": {"type": "semantic_text", "inference_id": "sparse"}}})
    e.index(index="i", id="1", document={"c": "hello"}, refresh=True)
    with pytest.raises(ApiError) as info:
        diversify(e, 0.5)
    assert info.value.status_code == 400
    assert (
        "Failed to retrieve vectors for field [c]. Is it a [dense_vector] or [semantic_text] field with dense "
        "vectors?" in str(info.value.body)
    )
