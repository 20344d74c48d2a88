"""The ``bi_encoder`` rerank service: cosine of embeddings from a ``text_embedding`` endpoint."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.inference import InferenceClient

QUERY = "when does a solar eclipse happen"
PASSAGES = [
    "A solar eclipse happens when the moon passes between the sun and the earth.",
    "Sun Moon Lake is a lake in Taiwan.",
    "The moon has phases: new, crescent, quarter, gibbous and full.",
    "Quick brown foxes jump over lazy dogs.",
]


def numpy_cosine(query: np.ndarray, passages: np.ndarray) -> np.ndarray:
    q = query.astype(np.float64)
    p = passages.astype(np.float64)
    return (p @ q) / (np.linalg.norm(p, axis=1) * np.linalg.norm(q))


def api_error(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as e:
        call(*args, **kwargs)
    return e.value


def test_scores_are_cosines_of_independent_embeddings(client: InferenceClient, reference_model: Any) -> None:
    scores = client.registry.rerank_scores(".all-minilm-l6-v2-rerank", QUERY, PASSAGES)
    q = reference_model.encode([QUERY], convert_to_numpy=True)[0]
    p = reference_model.encode(PASSAGES, convert_to_numpy=True)
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, numpy_cosine(q, p), atol=1e-5)
    assert int(np.argmax(scores)) == 0
    ranked = client.rerank(inference_id=".all-minilm-l6-v2-rerank", query=QUERY, input=PASSAGES, top_n=2)
    assert [r["index"] for r in ranked["rerank"]] == list(np.argsort(-scores, kind="stable")[:2])
    assert "text" not in ranked["rerank"][0]


def test_embeddings_and_scores_are_cached(client: InferenceClient) -> None:
    registry = client.registry
    _, first = registry.rerank_scores_with_stats(".all-minilm-l6-v2-rerank", QUERY, PASSAGES)
    assert first.model_calls == 1 and first.pairs_scored == 4
    embedded = client.cache_stats()["texts_encoded"]
    assert embedded == 5  # the query and four passages
    _, again = registry.rerank_scores_with_stats(".all-minilm-l6-v2-rerank", QUERY, PASSAGES)
    assert again.model_calls == 0 and again.cache_hits == 4
    # a new query reuses the passages' embeddings: only the query is embedded
    registry.rerank_scores(".all-minilm-l6-v2-rerank", "lakes in Taiwan", PASSAGES)
    assert client.cache_stats()["texts_encoded"] == embedded + 1
    # passages already embedded for semantic_text (input_type ingest) are reused as well
    registry.embed(".all-minilm-l6-v2", ["Jupiter has many moons."], input_type="ingest")
    before = client.cache_stats()["texts_encoded"]
    registry.rerank_scores(".all-minilm-l6-v2-rerank", QUERY, ["Jupiter has many moons."])
    assert client.cache_stats()["texts_encoded"] == before


def test_custom_bi_encoder_endpoint(client: InferenceClient, reference_model: Any) -> None:
    client.put(
        inference_id="minilm",
        task_type="text_embedding",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": "sentence-transformers/all-MiniLM-L6-v2", "normalize": True},
        },
    )
    response = client.put(
        inference_id="bi",
        task_type="rerank",
        inference_config={
            "service": "bi_encoder",
            "service_settings": {"text_embedding_id": "minilm"},
            "task_settings": {"top_n": 2, "return_documents": True},
        },
    )
    assert response == {
        "inference_id": "bi",
        "task_type": "rerank",
        "service": "bi_encoder",
        "service_settings": {"text_embedding_id": "minilm"},
        "task_settings": {"top_n": 2, "return_documents": True},
    }
    ranked = client.rerank(inference_id="bi", query=QUERY, input=PASSAGES)["rerank"]
    assert len(ranked) == 2 and ranked[0] == {
        "index": 0,
        "relevance_score": ranked[0]["relevance_score"],
        "text": PASSAGES[0],
    }
    assert client.registry.rerank_top_n("bi") == 2
    assert client.registry.rerank_window("bi") == 192  # floor(0.75 * 256 tokens)
    assert client.registry.rerank_window(".all-minilm-l6-v2-rerank") == 192
    default = client.put(
        inference_id="bi-default",
        task_type="rerank",
        inference_config={"service": "bi_encoder", "service_settings": {}},
    )
    assert default["service_settings"] == {"text_embedding_id": ".all-minilm-l6-v2"}


def test_bi_encoder_reference_errors(client: InferenceClient) -> None:
    e = api_error(
        client.put,
        inference_id="bi",
        task_type="rerank",
        inference_config={"service": "bi_encoder", "service_settings": {"text_embedding_id": "missing"}},
    )
    assert e.status_code == 400 and "names the inference endpoint [missing], which does not exist" in error_reason(e)
    e = api_error(
        client.put,
        inference_id="bi",
        task_type="rerank",
        inference_config={
            "service": "bi_encoder",
            "service_settings": {"text_embedding_id": ".all-minilm-l6-v2-rerank"},
        },
    )
    assert "must name a [text_embedding] endpoint" in error_reason(e)
    e = api_error(
        client.put,
        inference_id="bi",
        task_type="text_embedding",
        inference_config={"service": "bi_encoder", "service_settings": {}},
    )
    assert error_reason(e) == "The [bi_encoder] service does not support task type [text_embedding]"
    # the embedding endpoint deleted after the rerank endpoint was created
    client.put(
        inference_id="emb",
        task_type="text_embedding",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": "sentence-transformers/all-MiniLM-L6-v2"},
        },
    )
    client.put(
        inference_id="bi",
        task_type="rerank",
        inference_config={"service": "bi_encoder", "service_settings": {"text_embedding_id": "emb"}},
    )
    client.delete(inference_id="emb")
    e = api_error(client.registry.rerank_scores, "bi", QUERY, PASSAGES)
    assert e.status_code == 400 and "[emb], which does not exist" in error_reason(e)
