"""Embeddings from the packaged model through the endpoints: correctness, options, cache, chunking.

The packaged model is loaded once per session (shared model cache); ``reference_model`` is an
independent SentenceTransformer used as the oracle.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.inference import InferenceClient, InferenceRegistry
from retrievo.inference.chunking import ChunkOffset, WordChunkingSettings
from retrievo.inference.registry import _merge_chunks
from retrievo.inference.services.model_loading import LoadedModelCache

pytestmark = pytest.mark.usefixtures("packaged_model_path")

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "A fast auburn fox leaps above a sleepy hound.",
    "Quarterly earnings rose five percent on strong cloud revenue.",
    "Elasticsearch computes BM25 scores per shard.",
]


def vectors(response: dict[str, Any]) -> np.ndarray:
    assert list(response) == ["text_embedding"]
    rows = [item["embedding"] for item in response["text_embedding"]]
    assert all(list(item) == ["embedding"] for item in response["text_embedding"])
    assert all(isinstance(x, float) for x in rows[0])
    return np.asarray(rows, dtype=np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def put(client: InferenceClient, inference_id: str, **settings: Any) -> dict[str, Any]:
    return client.put(
        inference_id=inference_id,
        task_type="text_embedding",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": "sentence-transformers/all-MiniLM-L6-v2", **settings},
        },
    )


def test_packaged_model_matches_sentence_transformers(client: InferenceClient, reference_model: Any) -> None:
    got = vectors(client.text_embedding(inference_id=".all-minilm-l6-v2", input=TEXTS))
    expected = reference_model.encode(TEXTS, convert_to_numpy=True)
    assert got.shape == (4, 384)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    single = vectors(client.text_embedding(inference_id=".all-minilm-l6-v2", input=TEXTS[2]))
    np.testing.assert_allclose(single[0], expected[2], atol=1e-5)


def test_related_texts_are_closer_than_unrelated(client: InferenceClient) -> None:
    fox, fox2, earnings, bm25 = vectors(client.text_embedding(inference_id=".all-minilm-l6-v2", input=TEXTS))
    assert cosine(fox, fox2) > cosine(fox, earnings) + 0.2
    assert cosine(fox, fox2) > cosine(fox, bm25)


def test_dimensions_reported_after_load(client: InferenceClient) -> None:
    put(client, "fresh")
    assert "dimensions" not in client.get(inference_id="fresh")["endpoints"][0]["service_settings"]
    client.text_embedding(inference_id="fresh", input="hello")
    settings = client.get(inference_id="fresh")["endpoints"][0]["service_settings"]
    assert (settings["dimensions"], settings["similarity"]) == (384, "cosine")


def test_bfloat16_is_close_to_float32(client: InferenceClient) -> None:
    put(client, "bf16", dtype="bfloat16")
    full = vectors(client.text_embedding(inference_id=".all-minilm-l6-v2", input=TEXTS))
    half = vectors(client.text_embedding(inference_id="bf16", input=TEXTS))
    assert np.abs(full - half).max() < 0.02
    assert min(cosine(a, b) for a, b in zip(full, half)) > 0.995
    assert half.dtype == np.float32


def test_repeated_texts_hit_the_cache(client: InferenceClient, registry: InferenceRegistry) -> None:
    first = vectors(client.text_embedding(inference_id=".all-minilm-l6-v2", input=TEXTS))
    stats = client.cache_stats()
    again = vectors(client.text_embedding(inference_id=".all-minilm-l6-v2", input=list(reversed(TEXTS))))
    after = client.cache_stats()
    assert after["model_calls"] == stats["model_calls"]  # nothing was encoded
    assert after["hits"] == stats["hits"] + len(TEXTS)
    np.testing.assert_array_equal(again, first[::-1])


def test_duplicates_within_a_call_are_encoded_once(client: InferenceClient) -> None:
    response = vectors(client.text_embedding(inference_id=".all-minilm-l6-v2", input=["a", "b", "a", "a"]))
    stats = client.cache_stats()
    assert (stats["misses"], stats["deduplicated"], stats["texts_encoded"]) == (2, 2, 2)
    np.testing.assert_array_equal(response[0], response[2])


def test_batches_follow_batch_size(client: InferenceClient) -> None:
    put(client, "small-batches", batch_size=2)
    client.text_embedding(inference_id="small-batches", input=[f"text number {i}" for i in range(5)])
    assert client.cache_stats()["model_calls"] == 3


def test_cache_is_bounded_and_per_endpoint() -> None:
    registry = InferenceRegistry(cache_size=3)
    client = InferenceClient(registry)
    put(client, "other")
    client.text_embedding(inference_id=".all-minilm-l6-v2", input=["one", "two"])
    client.text_embedding(inference_id="other", input=["one", "two"])  # other endpoint: misses
    stats = client.cache_stats()
    assert (stats["misses"], stats["entries"], stats["evictions"]) == (4, 3, 1)


def test_deleted_endpoint_cache_is_evicted(client: InferenceClient) -> None:
    put(client, "temp")
    client.text_embedding(inference_id="temp", input=["x", "y"])
    entries = client.cache_stats()["entries"]
    client.delete(inference_id="temp")
    assert client.cache_stats()["entries"] == entries - 2
    put(client, "temp")
    client.text_embedding(inference_id="temp", input=["x"])
    assert client.cache_stats()["hits"] == 0


def test_elasticsearch_eland_id_runs_the_packaged_model(client: InferenceClient, reference_model: Any) -> None:
    client.put(
        inference_id="eland",
        task_type="text_embedding",
        inference_config={
            "service": "elasticsearch",
            "service_settings": {
                "model_id": "sentence-transformers__all-minilm-l6-v2",
                "num_threads": 1,
                "num_allocations": 1,
            },
        },
    )
    got = vectors(client.text_embedding(inference_id="eland", input=TEXTS[:2]))
    np.testing.assert_allclose(got, reference_model.encode(TEXTS[:2]), atol=1e-5)
    settings = client.get(inference_id="eland")["endpoints"][0]["service_settings"]
    assert settings["dimensions"] == 384 and settings["element_type"] == "float"


def test_local_directory_model_id(client: InferenceClient, packaged_model_path: Path, reference_model: Any) -> None:
    client.put(
        inference_id="local",
        task_type="text_embedding",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": str(packaged_model_path), "device": "cpu"},
        },
    )
    got = vectors(client.text_embedding(inference_id="local", input=TEXTS[:1]))
    np.testing.assert_allclose(got, reference_model.encode(TEXTS[:1]), atol=1e-5)


def test_unavailable_model_fails_fast_with_offline_advice(client: InferenceClient) -> None:
    put_id = "missing-model"
    client.put(
        inference_id=put_id,
        task_type="text_embedding",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": "no-such-org/no-such-model"},
        },
    )
    started = time.perf_counter()
    with pytest.raises(ApiError) as e:
        client.text_embedding(inference_id=put_id, input="x")
    assert time.perf_counter() - started < 5
    assert e.value.status_code == 400
    assert "Could not load model [no-such-org/no-such-model]" in error_reason(e.value)
    for remedy in ("local directory", "[.all-minilm-l6-v2]", "HF_HOME"):
        assert remedy in error_reason(e.value)
    assert "Traceback" not in error_reason(e.value)


def test_pinned_dimensions_must_match_the_model(client: InferenceClient) -> None:
    put(client, "wrong-dims", dimensions=768)
    with pytest.raises(ApiError) as e:
        client.text_embedding(inference_id="wrong-dims", input="x")
    assert "dimensions [768] does not match the [384] dimensions" in error_reason(e.value)


def test_input_type_and_normalize(client: InferenceClient) -> None:
    put(client, "normalized", normalize=True)
    plain = vectors(client.text_embedding(inference_id=".all-minilm-l6-v2", input=TEXTS[:1], input_type="SEARCH"))
    normed = vectors(client.text_embedding(inference_id="normalized", input=TEXTS[:1], input_type="ingest"))
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(plain, normed, atol=1e-5)  # the model already ends with Normalize


def test_registry_embed_returns_float32_arrays(registry: InferenceRegistry) -> None:
    matrix = registry.embed(".all-minilm-l6-v2", TEXTS)
    assert matrix.dtype == np.float32 and matrix.shape == (4, 384)


def test_embed_chunks_embeds_each_chunk_with_its_offsets(registry: InferenceRegistry) -> None:
    text = "First sentence about foxes. Second sentence about the stock market. " * 3
    chunks = registry.embed_chunks(".all-minilm-l6-v2", [text, "short"], chunking_settings=WordChunkingSettings(10, 2))
    assert [len(c) for c in chunks] == [len(registry.chunk(".all-minilm-l6-v2", text, WordChunkingSettings(10, 2))), 1]
    direct = registry.embed(".all-minilm-l6-v2", [text[c.start : c.end] for c in chunks[0]])
    np.testing.assert_array_equal(np.stack([c.embedding for c in chunks[0]]), direct)
    assert (chunks[1][0].start, chunks[1][0].end) == (0, 5)


def test_more_than_512_chunks_are_merged_like_elasticsearch() -> None:
    chunks = [ChunkOffset(i * 10, i * 10 + 10) for i in range(1024)]
    vecs = np.arange(1024, dtype=np.float32).reshape(1024, 1)
    merged = _merge_chunks(chunks, vecs)
    assert len(merged) == 512
    assert (merged[0].start, merged[0].end) == (0, 20)
    assert merged[0].embedding[0] == pytest.approx(0.5)  # mean of chunks 0 and 1
    assert (merged[-1].start, merged[-1].end) == (10220, 10240)


def test_concurrent_first_use_loads_once_and_identical_settings_share_the_model() -> None:
    cache = LoadedModelCache()
    registry = InferenceRegistry(model_cache=cache)
    client = InferenceClient(registry)
    put(client, "same-model", device="auto")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda t: registry.embed(".all-minilm-l6-v2", [t]), ["a", "b", "c", "d"]))
    registry.embed("same-model", ["e"])
    assert cache.loads == 1 and len(cache.loaded_keys()) == 1
    assert all(r.shape == (1, 384) for r in results)
