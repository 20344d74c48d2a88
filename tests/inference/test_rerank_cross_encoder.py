"""Cross-encoder rerank endpoints (``sentence_transformers`` and ``elasticsearch`` services) on a tiny
BERT built in the test session, checked against an independent ``CrossEncoder``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.inference import InferenceClient, InferenceRegistry
from retrievo.inference.services import model_loading
from retrievo.inference.services.model_loading import LoadedModelCache
from tiny_models import save_tiny_bert

QUERY = "what are the moon phases"
PASSAGES = [
    "the moon phases",
    "solar eclipse",
    "a quick brown fox jumps over the lazy dog",
    "sun moon lake",
    "science",
    "the moon phases and the solar eclipse of the sun",
]


def raw_scores(reference: Any, query: str, texts: list[str]) -> np.ndarray:
    import torch

    return np.asarray(
        reference.predict([(query, t) for t in texts], activation_fn=torch.nn.Identity()), dtype=np.float32
    )


def put_cross_encoder(client: InferenceClient, path: Path, inference_id: str = "ce", **settings: Any) -> dict:
    return client.put(
        inference_id=inference_id,
        task_type="rerank",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": str(path), "device": "cpu", **settings},
        },
    )


def api_error(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as e:
        call(*args, **kwargs)
    return e.value


def test_scores_are_the_raw_logits_of_the_cross_encoder(
    client: InferenceClient, tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any
) -> None:
    put_cross_encoder(client, tiny_cross_encoder_path)
    scores = client.registry.rerank_scores("ce", QUERY, PASSAGES)
    expected = raw_scores(tiny_reference_cross_encoder, QUERY, PASSAGES)
    assert scores.dtype == np.float32 and scores.shape == (len(PASSAGES),)
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)
    # logits, not the sigmoid CrossEncoder.predict applies by default
    assert (scores < 0).any() or (scores > 1).any()
    sigmoid = np.asarray(tiny_reference_cross_encoder.predict([(QUERY, t) for t in PASSAGES]))
    assert not np.allclose(scores, sigmoid, atol=1e-3)


def test_rerank_api_sorts_truncates_and_returns_documents(
    client: InferenceClient, tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any
) -> None:
    put_cross_encoder(client, tiny_cross_encoder_path)
    expected = raw_scores(tiny_reference_cross_encoder, QUERY, PASSAGES)
    order = sorted(range(len(PASSAGES)), key=lambda i: (-expected[i], i))
    response = client.rerank(inference_id="ce", query=QUERY, input=PASSAGES)
    assert [r["index"] for r in response["rerank"]] == order
    assert all(set(r) == {"index", "relevance_score"} for r in response["rerank"])
    for r in response["rerank"]:
        assert r["relevance_score"] == pytest.approx(float(expected[r["index"]]), abs=1e-5)
        assert r["relevance_score"] == float(str(np.float32(r["relevance_score"])))  # Java float digits
    top = client.rerank(inference_id="ce", query=QUERY, input=PASSAGES, top_n=2, return_documents=True)
    assert top == {"rerank": [{**r, "text": PASSAGES[r["index"]]} for r in response["rerank"][:2]]}
    # the generic inference() dispatches to rerank too, with or without the task type
    assert client.inference(inference_id="ce", task_type="rerank", query=QUERY, input=PASSAGES) == response
    assert client.inference(inference_id="ce", query=QUERY, input=PASSAGES) == response
    assert client.rerank(inference_id="ce", body={"query": QUERY, "input": PASSAGES, "top_n": 1}) == {
        "rerank": response["rerank"][:1]
    }


def test_ties_keep_input_order(client: InferenceClient, tiny_cross_encoder_path: Path) -> None:
    put_cross_encoder(client, tiny_cross_encoder_path)
    texts = ["sun moon lake", "the moon phases", "sun moon lake", "the moon phases"]
    ranked = client.rerank(inference_id="ce", query=QUERY, input=texts)["rerank"]
    first = [r["index"] for r in ranked]
    assert first.index(0) < first.index(2) and first.index(1) < first.index(3)


def test_repeated_call_is_served_from_the_cache(client: InferenceClient, tiny_cross_encoder_path: Path) -> None:
    put_cross_encoder(client, tiny_cross_encoder_path)
    registry = client.registry
    scores, stats = registry.rerank_scores_with_stats("ce", QUERY, PASSAGES)
    assert (stats.model_calls, stats.pairs_scored, stats.cache_hits, stats.cache_misses) == (1, 6, 0, 6)
    assert stats.tokens > stats.pairs_scored  # tokenizer lengths, not whitespace words
    again, stats2 = registry.rerank_scores_with_stats("ce", QUERY, list(reversed(PASSAGES)))
    assert (stats2.model_calls, stats2.pairs_scored, stats2.cache_hits, stats2.cache_misses) == (0, 0, 6, 0)
    np.testing.assert_array_equal(again, scores[::-1])
    rerank_stats = client.cache_stats()["rerank"]
    assert rerank_stats["model_calls"] == 1 and rerank_stats["cache_hits"] == 6 and rerank_stats["entries"] == 6
    # another query is another key
    _, stats3 = registry.rerank_scores_with_stats("ce", "solar eclipse", PASSAGES[:2])
    assert stats3.cache_misses == 2 and stats3.model_calls == 1
    # re-created endpoints never see their predecessor's scores
    client.delete(inference_id="ce")
    put_cross_encoder(client, tiny_cross_encoder_path)
    _, stats4 = registry.rerank_scores_with_stats("ce", QUERY, PASSAGES)
    assert stats4.cache_hits == 0 and stats4.model_calls == 1


def test_identical_texts_are_scored_once(
    client: InferenceClient, tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any
) -> None:
    put_cross_encoder(client, tiny_cross_encoder_path)
    texts = ["the moon phases", "solar eclipse", "the moon phases", "the moon phases", "solar eclipse"]
    scores, stats = client.registry.rerank_scores_with_stats("ce", QUERY, texts)
    assert (stats.pairs_scored, stats.deduplicated, stats.cache_misses) == (2, 3, 2)
    expected = raw_scores(tiny_reference_cross_encoder, QUERY, texts)
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    assert scores[0] == scores[2] == scores[3] and scores[1] == scores[4]


def test_batches_are_sorted_by_length(
    client: InferenceClient, tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any
) -> None:
    put_cross_encoder(client, tiny_cross_encoder_path, batch_size=2)
    model = client.registry.get("ce").model
    batches: list[list[str]] = []
    original = model.encoder.predict

    def spy(query: str, texts: list[str]) -> np.ndarray:
        batches.append(list(texts))
        return original(query, texts)

    model.encoder.predict = spy
    scores, stats = client.registry.rerank_scores_with_stats("ce", QUERY, PASSAGES + ["dog"])
    assert [len(b) for b in batches] == [2, 2, 2, 1] and stats.model_calls == 4
    lengths = [len(t) for batch in batches for t in batch]
    assert lengths == sorted(lengths, reverse=True)
    expected = raw_scores(tiny_reference_cross_encoder, QUERY, PASSAGES + ["dog"])
    np.testing.assert_allclose(scores, expected, atol=1e-5)  # padding does not change a score


def test_settings_echo_window_and_top_n(client: InferenceClient, tiny_cross_encoder_path: Path) -> None:
    response = client.put(
        inference_id="ce",
        task_type="rerank",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": str(tiny_cross_encoder_path), "max_length": 64, "batch_size": 8},
            "task_settings": {"top_n": 3, "return_documents": True},
        },
    )
    assert response == {
        "inference_id": "ce",
        "task_type": "rerank",
        "service": "sentence_transformers",
        "service_settings": {
            "model_id": str(tiny_cross_encoder_path),
            "device": "auto",
            "batch_size": 8,
            "dtype": "float32",
            "max_length": 64,
        },
        "task_settings": {"top_n": 3, "return_documents": True},
    }
    registry = client.registry
    assert registry.rerank_window("ce") == 48  # floor(0.75 * 64)
    assert registry.rerank_top_n("ce") == 3
    ranked = client.rerank(inference_id="ce", query=QUERY, input=PASSAGES)["rerank"]
    assert len(ranked) == 3 and all("text" in r for r in ranked)
    ranked = client.rerank(inference_id="ce", query=QUERY, input=PASSAGES, top_n=5, return_documents=False)["rerank"]
    assert len(ranked) == 5 and all("text" not in r for r in ranked)
    ranked = client.rerank(inference_id="ce", query=QUERY, input=PASSAGES, task_settings={"top_n": 4})["rerank"]
    assert len(ranked) == 4
    # a configured top_n below the number of inputs fails the reranker as in Elasticsearch
    e = api_error(registry.rerank_scores, "ce", QUERY, PASSAGES)
    assert (e.status_code, e.error) == (500, "illegal_state_exception")
    assert error_reason(e) == "Reranker input document count and returned score count mismatch: [6] vs [3]"
    put_cross_encoder(client, tiny_cross_encoder_path, inference_id="ce-default")
    assert registry.rerank_window("ce-default") == 96  # the tokenizer's 128 tokens
    assert registry.rerank_top_n("ce-default") is None


def test_max_length_truncates(client: InferenceClient, tiny_cross_encoder_path: Path) -> None:
    import torch
    from sentence_transformers import CrossEncoder

    put_cross_encoder(client, tiny_cross_encoder_path, max_length=8)
    long_text = " ".join(["the moon phases"] * 20)
    reference = CrossEncoder(str(tiny_cross_encoder_path), max_length=8, device="cpu")
    expected = reference.predict([(QUERY, long_text)], activation_fn=torch.nn.Identity())
    scores, stats = client.registry.rerank_scores_with_stats("ce", QUERY, [long_text])
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    assert stats.tokens == 8


def test_bfloat16(client: InferenceClient, tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any) -> None:
    import torch
    from sentence_transformers import CrossEncoder

    put_cross_encoder(client, tiny_cross_encoder_path, dtype="bfloat16")
    scores = client.registry.rerank_scores("ce", QUERY, PASSAGES)
    assert scores.dtype == np.float32
    reference = CrossEncoder(str(tiny_cross_encoder_path), device="cpu").to(torch.bfloat16)
    np.testing.assert_allclose(scores, raw_scores(reference, QUERY, PASSAGES), atol=1e-6)
    assert not np.allclose(scores, raw_scores(tiny_reference_cross_encoder, QUERY, PASSAGES), atol=1e-4)


def test_float16(client: InferenceClient, tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any) -> None:
    """A GPU's half precision (``dtype: float16``); torch runs it on a CPU too, slowly, which is what a
    test without a GPU can check: the scores are the half-precision model's own."""
    import torch
    from sentence_transformers import CrossEncoder

    put_cross_encoder(client, tiny_cross_encoder_path, dtype="float16")
    scores = client.registry.rerank_scores("ce", QUERY, PASSAGES)
    assert scores.dtype == np.float32
    reference = CrossEncoder(str(tiny_cross_encoder_path), device="cpu").to(torch.float16)
    np.testing.assert_allclose(scores, raw_scores(reference, QUERY, PASSAGES), atol=1e-6)
    np.testing.assert_allclose(scores, raw_scores(tiny_reference_cross_encoder, QUERY, PASSAGES), atol=3e-2)


def test_model_is_loaded_once_and_shared() -> None:
    cache = LoadedModelCache()
    registry = InferenceRegistry(model_cache=cache)
    client = InferenceClient(registry)
    path = save_tiny_bert(Path(__import__("tempfile").mkdtemp()))
    put_cross_encoder(client, path, inference_id="one")
    put_cross_encoder(client, path, inference_id="two")
    assert cache.loads == 0  # lazy
    registry.rerank_scores("one", QUERY, PASSAGES[:2])
    registry.rerank_scores("two", QUERY, PASSAGES[:2])
    assert cache.loads == 1 and len(cache.loaded_keys()) == 1
    put_cross_encoder(client, path, inference_id="three", max_length=16)
    registry.rerank_scores("three", QUERY, PASSAGES[:2])
    assert cache.loads == 2  # another max_length is another model


def test_unloadable_models_say_how_to_provide_them_offline(client: InferenceClient) -> None:
    e = api_error(
        client.put,
        inference_id="x",
        task_type="rerank",
        inference_config={"service": "sentence_transformers", "service_settings": {"model_id": "./no/such/dir"}},
    )
    assert e.status_code == 400 and "Could not load model [./no/such/dir]" in error_reason(e)
    assert "CrossEncoder(" in error_reason(e) and "[.all-minilm-l6-v2-rerank]" in error_reason(e)
    client.put(
        inference_id="hub",
        task_type="rerank",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": "someone/not-cached-reranker"},
        },
    )
    e = api_error(client.rerank, inference_id="hub", query="q", input=["a"])
    assert e.status_code == 400 and e.error == "status_exception"
    assert error_reason(e).startswith(
        "Could not load model [someone/not-cached-reranker]: it is not in the local Hugging Face cache"
    )
    assert 'CrossEncoder("someone/not-cached-reranker").save("/path/to/dir")' in error_reason(e)
    assert '"service": "sentence_transformers"' in error_reason(e) and "[.all-minilm-l6-v2-rerank]" in error_reason(e)


def test_bi_encoders_are_not_loaded_as_cross_encoders(
    client: InferenceClient, tmp_path: Path, packaged_model_path: Path
) -> None:
    for model_id in ("sentence-transformers/all-MiniLM-L6-v2", str(packaged_model_path)):
        e = api_error(
            client.put,
            inference_id="x",
            task_type="rerank",
            inference_config={"service": "sentence_transformers", "service_settings": {"model_id": model_id}},
        )
        assert "is a bi-encoder (text_embedding) model" in error_reason(e) and "[bi_encoder]" in error_reason(e)
    headless = save_tiny_bert(tmp_path / "headless", with_head=False)
    put_cross_encoder(client, headless, inference_id="headless")
    e = api_error(client.registry.rerank_scores, "headless", QUERY, ["a"])
    assert e.status_code == 400 and "has no sequence-classification head (architectures [BertModel])" in error_reason(e)


def test_rerank_settings_validation(client: InferenceClient, tiny_cross_encoder_path: Path) -> None:
    def put_error(settings: dict[str, Any], **extra: Any) -> ApiError:
        return api_error(
            client.put,
            inference_id="x",
            task_type="rerank",
            inference_config={"service": "sentence_transformers", "service_settings": settings, **extra},
        )

    e = put_error({})
    assert (
        error_reason(e) == "Validation Failed: 1: [service_settings] does not contain the required setting [model_id];"
    )
    e = put_error({"model_id": "m", "max_length": 0, "dtype": "float64"})
    assert error_reason(e) == (
        "Validation Failed: 1: [service_settings] Invalid value [float64] received. [dtype] must "
        "be one of [bfloat16, float16, float32];2: [service_settings] Invalid value [0]. [max_length] must "
        "be a positive integer;"
    )
    e = put_error({"model_id": "m", "normalize": True})
    assert (
        error_reason(e)
        == "Configuration contains settings [{normalize=true}] unknown to the [sentence_transformers] service"
    )
    e = put_error({"model_id": "m"}, task_settings={"top_n": 0})
    assert (
        error_reason(e)
        == "Validation Failed: 1: [task_settings] Invalid value [0]. [top_n] must be a positive integer;"
    )
    e = put_error({"model_id": "m"}, chunking_settings={"strategy": "none"})
    assert "unknown to the [sentence_transformers] service" in error_reason(e)
    put_cross_encoder(client, tiny_cross_encoder_path)
    e = api_error(client.rerank, inference_id="ce", query="q", input=["a"], task_settings={"colour": "red"})
    assert (
        error_reason(e)
        == "Configuration contains settings [{colour=red}] unknown to the [sentence_transformers] service"
    )


# ---------------------------------------------------------------------------------- elasticsearch service

ELAND_RERANK = {
    "service": "elasticsearch",
    "service_settings": {"model_id": "cross-encoder__ms-marco-minilm-l-6-v2", "num_threads": 1, "num_allocations": 1},
}


@pytest.fixture
def cached_ms_marco(monkeypatch: pytest.MonkeyPatch, tiny_cross_encoder_path: Path) -> list[str]:
    """Pretend the Hugging Face cache holds cross-encoder/ms-marco-MiniLM-L-6-v2 (as the tiny model)."""
    asked: list[str] = []

    def cached(repo_id: str) -> str | None:
        asked.append(repo_id)
        if repo_id.lower() == "cross-encoder/ms-marco-minilm-l-6-v2":
            return str(tiny_cross_encoder_path)
        return None

    monkeypatch.setattr(model_loading, "cached_repo_id", cached)
    return asked


def test_eland_cross_encoder_ids(
    tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any, cached_ms_marco: list[str]
) -> None:
    client = InferenceClient(InferenceRegistry(model_cache=LoadedModelCache()))
    response = client.put(inference_id="eland-rerank", task_type="rerank", inference_config=ELAND_RERANK)
    assert response == {
        "inference_id": "eland-rerank",
        "task_type": "rerank",
        "service": "elasticsearch",
        "service_settings": {
            "num_allocations": 1,
            "num_threads": 1,
            "model_id": "cross-encoder__ms-marco-minilm-l-6-v2",
        },
        "task_settings": {"return_documents": True},
    }
    ranked = client.rerank(inference_id="eland-rerank", query=QUERY, input=PASSAGES)["rerank"]
    assert cached_ms_marco == ["cross-encoder/ms-marco-MiniLM-L-6-v2"]
    assert all(r["text"] == PASSAGES[r["index"]] for r in ranked)  # return_documents defaults to true
    expected = raw_scores(tiny_reference_cross_encoder, QUERY, PASSAGES)
    assert [r["index"] for r in ranked] == sorted(range(len(PASSAGES)), key=lambda i: (-expected[i], i))
    # the preconfigured default reranker runs the same cross-encoder
    np.testing.assert_allclose(
        client.registry.rerank_scores(".rerank-v1-elasticsearch", QUERY, PASSAGES), expected, atol=1e-5
    )
    assert client.registry.rerank_window(".rerank-v1-elasticsearch") == 96
    # other Eland ids map to <org>/<name> in the cache, matched case-insensitively
    client.put(
        inference_id="other",
        task_type="rerank",
        inference_config={
            **ELAND_RERANK,
            "service_settings": {**ELAND_RERANK["service_settings"], "model_id": "acme__my-reranker"},
        },
    )
    e = api_error(client.rerank, inference_id="other", query="q", input=["a"])
    assert cached_ms_marco[-1] == "acme/my-reranker" and "Could not load model [acme__my-reranker]" in error_reason(e)
    assert 'CrossEncoder("acme/my-reranker")' in error_reason(e)


def test_eland_rerank_settings(client: InferenceClient) -> None:
    response = client.put(
        inference_id="truncated",
        task_type="rerank",
        inference_config={
            "service": "elasticsearch",
            "service_settings": {
                "model_id": "cross-encoder__ms-marco-minilm-l-6-v2",
                "num_threads": 1,
                "adaptive_allocations": {"enabled": True},
                "long_document_strategy": "truncate",
            },
            "task_settings": {"return_documents": False},
        },
    )
    assert response["service_settings"] == {
        "num_threads": 1,
        "model_id": "cross-encoder__ms-marco-minilm-l-6-v2",
        "adaptive_allocations": {"enabled": True},
        "long_document_strategy": "truncate",
    }
    e = api_error(
        client.put,
        inference_id="chunked",
        task_type="rerank",
        inference_config={
            "service": "elasticsearch",
            "service_settings": {
                "model_id": "cross-encoder__ms-marco-minilm-l-6-v2",
                "num_threads": 1,
                "num_allocations": 1,
                "long_document_strategy": "chunk",
                "max_chunks_per_doc": 3,
            },
        },
    )
    assert e.status_code == 400 and "chunk_rescorer" in error_reason(e)
    assert response["task_settings"] == {"return_documents": False}
    e = api_error(
        client.put,
        inference_id="x",
        task_type="rerank",
        inference_config={**ELAND_RERANK, "task_settings": {"top_n": 3}},
    )
    assert error_reason(e) == "Configuration contains settings [{top_n=3}] unknown to the [elasticsearch] service"
    e = api_error(
        client.put,
        inference_id="x",
        task_type="rerank",
        inference_config={"service": "elasticsearch", "service_settings": {"model_id": "m", "num_threads": 1}},
    )
    assert "does not contain one of the required settings [num_allocations, adaptive_allocations]" in error_reason(e)


def test_elastic_rerank_is_not_available_offline(client: InferenceClient) -> None:
    e = api_error(
        client.put,
        inference_id="elastic-rerank",
        task_type="rerank",
        inference_config={
            "service": "elasticsearch",
            "service_settings": {"model_id": ".rerank-v1", "num_threads": 1, "num_allocations": 1},
        },
    )
    assert (
        e.status_code == 400
        and "Elasticsearch built-in model [.rerank-v1] is not supported in retrievo" in error_reason(e)
    )
    for hint in (
        "cross-encoder__ms-marco-minilm-l-6-v2",
        "[.rerank-v1-elasticsearch]",
        "[sentence_transformers]",
        "[.all-minilm-l6-v2-rerank]",
    ):
        assert hint in error_reason(e)
    e = api_error(
        client.put,
        inference_id="x",
        task_type="rerank",
        inference_config={
            **ELAND_RERANK,
            "service_settings": {
                **ELAND_RERANK["service_settings"],
                "model_id": "sentence-transformers__all-minilm-l6-v2",
            },
        },
    )
    assert "is a bi-encoder (text_embedding) model" in error_reason(e)


def test_default_reranker_without_the_model(client: InferenceClient) -> None:
    """Offline and uncached: a 400 that says exactly what to do; no other model is used instead."""
    e = api_error(client.rerank, inference_id=".rerank-v1-elasticsearch", query="q", input=["a", "b"])
    assert e.status_code == 400 and e.error == "status_exception"
    assert error_reason(e).startswith(
        "Could not load model [cross-encoder__ms-marco-minilm-l-6-v2]: it is not in the local Hugging Face cache"
    )
    for text in (
        "[.rerank-v1-elasticsearch] is Elasticsearch's default reranker",
        "retrievo runs the cross-encoder [cross-encoder/ms-marco-MiniLM-L-6-v2] for it and never "
        "substitutes another model",
        'CrossEncoder("cross-encoder/ms-marco-MiniLM-L-6-v2").save("/path/to/dir")',
        'PUT _inference/rerank/<id> {"service": "sentence_transformers", "service_settings": '
        '{"model_id": "/path/to/dir"}}',
        "[.all-minilm-l6-v2-rerank]",
    ):
        assert text in error_reason(e)
    assert error_reason(
        api_error(client.registry.rerank_scores, ".rerank-v1-elasticsearch", "q", ["a"])
    ) == error_reason(e)
    # reserved, and still there after a forced delete
    e = api_error(
        client.put, inference_id=".rerank-v1-elasticsearch", task_type="rerank", inference_config=ELAND_RERANK
    )
    assert "is a reserved inference ID" in error_reason(e)
    client.delete(inference_id=".rerank-v1-elasticsearch", force=True)
    assert client.get(inference_id=".rerank-v1-elasticsearch")["endpoints"][0]["task_type"] == "rerank"


def test_cached_repo_id_matches_case_insensitively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "models--cross-encoder--ms-marco-MiniLM-L-6-v2").mkdir()
    monkeypatch.setattr(model_loading, "hub_cache_dir", lambda: tmp_path)
    assert (
        model_loading.cached_repo_id("cross-encoder/ms-marco-minilm-l-6-v2") == "cross-encoder/ms-marco-MiniLM-L-6-v2"
    )
    assert model_loading.cached_repo_id("cross-encoder/other") is None


def test_token_counts_are_the_tokenizer_lengths(
    client: InferenceClient, tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any
) -> None:
    put_cross_encoder(client, tiny_cross_encoder_path, batch_size=4)
    tokenizer = tiny_reference_cross_encoder.tokenizer
    encoded = tokenizer([QUERY] * len(PASSAGES), PASSAGES, truncation=True, max_length=128)
    _, stats = client.registry.rerank_scores_with_stats("ce", QUERY, PASSAGES)
    assert stats.tokens == sum(len(ids) for ids in encoded["input_ids"])
    assert client.registry.get("ce").model.encoder.count_tokens(QUERY, PASSAGES[:1]) == len(encoded["input_ids"][0])


def test_concurrent_searches_get_their_own_scores(
    client: InferenceClient, tiny_cross_encoder_path: Path, tiny_reference_cross_encoder: Any
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    put_cross_encoder(client, tiny_cross_encoder_path, batch_size=2)
    queries = [f"{word} moon" for word in ("sun", "lake", "solar", "fox", "dog", "cat")]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: client.registry.rerank_scores("ce", q, PASSAGES), queries))
    for query, scores in zip(queries, results):
        np.testing.assert_allclose(scores, raw_scores(tiny_reference_cross_encoder, query, PASSAGES), atol=1e-5)
