"""``inference.rerank`` and the registry's rerank API: signatures, request validation, error shapes.

The deterministic ``test_reranking_service`` keeps these tests free of models."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.inference import InferenceClient

MOCK = {
    "service": "test_reranking_service",
    "service_settings": {"model_id": "m", "api_key": "k"},
    "task_settings": {"min_score": 0},
}


@pytest.fixture
def mock(client: InferenceClient) -> InferenceClient:
    client.put(inference_id="mock", task_type="rerank", inference_config=MOCK)
    return client


def api_error(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as e:
        call(*args, **kwargs)
    return e.value


def test_rerank_signature_matches_the_official_client() -> None:
    official = pytest.importorskip("elasticsearch._sync.client.inference").InferenceClient.rerank
    ours = inspect.signature(InferenceClient.rerank).parameters
    theirs = inspect.signature(official).parameters
    transport_only = {"error_trace", "filter_path", "human", "pretty"}
    assert set(ours) == set(theirs) - transport_only
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in ours.items() if name != "self")


def test_request_validation(mock: InferenceClient) -> None:
    def error(**kwargs: Any) -> ApiError:
        return api_error(mock.rerank, inference_id="mock", **kwargs)

    e = error(body={"input": ["a"]})
    assert (e.status_code, e.error, error_reason(e)) == (
        400,
        "action_request_validation_exception",
        "Validation Failed: 1: Field [query] cannot be null for task type [rerank];",
    )
    assert error_reason(error(query="", input=["a"])) == (
        "Validation Failed: 1: Field [query] cannot be empty for task type [rerank];"
    )
    assert error_reason(error(query="q", input=[])) == "Validation Failed: 1: Field [input] cannot be an empty array;"
    assert error_reason(error(query="q", input=["a"], top_n=0)) == (
        "Validation Failed: 1: Field [top_n] must be greater than or equal to 1;"
    )
    e = api_error(mock.inference, inference_id="mock", query="q", input=["a"], input_type="search")
    assert error_reason(e) == "Validation Failed: 1: Field [input_type] cannot be specified for task type [rerank];"
    e = error(query={"type": "image", "value": "..."}, input=["a"])
    assert (e.error, error_reason(e)) == (
        "x_content_parse_exception",
        "[inference_request] failed to parse field [query]",
    )
    assert error_reason(error(query="q", input=["a"], top_n="2")) == "[inference_request] failed to parse field [top_n]"
    assert error_reason(error(query="q", input=["a"], return_documents="yes")) == (
        "[inference_request] failed to parse field [return_documents]"
    )
    assert error_reason(error(query="q", input=[{"type": "text", "value": "a"}])) == (
        "[input] must be a string or an array of strings"
    )
    assert error_reason(error(body={"query": "q", "input": ["a"], "k": 1})) == "[inference_request] unknown field [k]"


def test_client_argument_errors(client: InferenceClient) -> None:
    with pytest.raises(ValueError, match="Empty value passed for parameter 'inference_id'"):
        client.rerank(inference_id="", query="q", input=["a"])
    with pytest.raises(ValueError, match="Empty value passed for parameter 'input'"):
        client.rerank(inference_id="mock", query="q")
    with pytest.raises(ValueError, match="Empty value passed for parameter 'query'"):
        client.rerank(inference_id="mock", input=["a"])


def test_task_type_and_endpoint_errors(mock: InferenceClient) -> None:
    e = api_error(mock.rerank, inference_id="nope", query="q", input=["a"])
    assert (e.status_code, e.error, error_reason(e)) == (
        404,
        "resource_not_found_exception",
        "Inference endpoint not found [nope]",
    )
    e = api_error(mock.rerank, inference_id=".all-minilm-l6-v2", query="q", input=["a"])
    assert (e.status_code, error_reason(e)) == (
        400,
        "Incompatible task_type, the requested type [rerank] does not match the model type [text_embedding]",
    )
    e = api_error(mock.text_embedding, inference_id="mock", input=["a"])
    assert error_reason(e) == (
        "Incompatible task_type, the requested type [text_embedding] does not match the model type [rerank]"
    )
    registry = mock.registry
    for call in (registry.rerank_scores, registry.rerank_scores_with_stats):
        assert api_error(call, "nope", "q", ["a"]).status_code == 404
        assert error_reason(api_error(call, ".all-minilm-l6-v2", "q", ["a"])).startswith("Incompatible task_type")
    assert api_error(registry.rerank_window, "nope").status_code == 404
    assert api_error(registry.rerank_top_n, ".all-minilm-l6-v2").status_code == 400
    assert error_reason(api_error(registry.embed, "mock", ["a"])).startswith("Incompatible task_type")
    assert api_error(registry.rerank_scores, "mock", "", ["a"]).error == "action_request_validation_exception"
    e = api_error(
        mock.put,
        inference_id="mock2",
        task_type="rerank",
        inference_config={
            **MOCK,
            "service": "sentence_transformers",
            "service_settings": {"model_id": "m"},
            "chunking_settings": {"strategy": "none"},
        },
    )
    assert error_reason(e).startswith("Configuration contains settings [{chunking_settings=")


def test_registry_rerank_scores(mock: InferenceClient) -> None:
    registry = mock.registry
    scores = registry.rerank_scores("mock", "q", ("x", "y", "z"))
    assert scores.dtype == np.float32 and scores.tolist() == pytest.approx([0.2, 0.4, 0.6])
    empty, stats = registry.rerank_scores_with_stats("mock", "q", [])
    assert empty.shape == (0,) and stats.model_calls == 0
    _, stats = registry.rerank_scores_with_stats("mock", "q", ["x", "x"])
    assert (stats.model_calls, stats.pairs_scored, stats.cache_hits, stats.tokens) == (1, 2, 0, 4)
    rerank = mock.cache_stats()["rerank"]
    assert {"model_calls", "pairs_scored", "tokens", "cache_hits", "cache_misses"} <= set(rerank)
    assert rerank["model_calls"] == 2 and rerank["pairs_scored"] == 5


def test_put_with_task_type_in_body_and_listing(client: InferenceClient) -> None:
    response = client.put(inference_id="typed", body={**MOCK, "task_type": "rerank"})
    assert response["task_type"] == "rerank"
    assert [e["inference_id"] for e in client.get(task_type="rerank")["endpoints"]] == [
        ".all-minilm-l6-v2-rerank",
        ".rerank-v1-elasticsearch",
        "typed",
    ]
    assert client.delete(inference_id="typed", task_type="rerank")["acknowledged"] is True
    e = api_error(
        client.put,
        inference_id="x",
        task_type="rerank",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": "m"},
            "task_settings": {"top_n": "3"},
        },
    )
    assert "[top_n] is not of the expected type" in error_reason(e)
