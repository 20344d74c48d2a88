"""``test_reranking_service``: Elasticsearch's deterministic rerank mock, reproduced for ported YAML tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.inference import InferenceClient, InferenceRegistry
from retrievo.inference.services.test_reranking import java_parse_float

MOCK = {
    "service": "test_reranking_service",
    "service_settings": {"model_id": "my_model", "api_key": "abc64"},
    "task_settings": {},
}


def put_mock(client: InferenceClient, inference_id: str = "my-rerank-model", **task_settings: Any) -> dict:
    return client.put(
        inference_id=inference_id, task_type="rerank", inference_config={**MOCK, "task_settings": task_settings}
    )


def api_error(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as e:
        call(*args, **kwargs)
    return e.value


def test_numeric_inputs_score_as_numbers(client: InferenceClient) -> None:
    put_mock(client)
    assert client.rerank(inference_id="my-rerank-model", query="q", input=["0", "1", "-1"]) == {
        "rerank": [
            {"index": 1, "relevance_score": 1.0, "text": "1"},
            {"index": 0, "relevance_score": 0.0, "text": "0"},
            {"index": 2, "relevance_score": -1.0, "text": "-1"},
        ]
    }
    np.testing.assert_array_equal(
        client.registry.rerank_scores("my-rerank-model", "q", ["10", "-1", "0.5", "10"]),
        np.array([10, -1, 0.5, 10], dtype=np.float32),
    )
    # ties keep input order (a stable sort by score)
    ranked = client.rerank(inference_id="my-rerank-model", query="q", input=["2", "3", "2"])["rerank"]
    assert [r["index"] for r in ranked] == [1, 0, 2]


def test_text_inputs_score_by_position(client: InferenceClient) -> None:
    put_mock(client, min_score=0.5)
    ranked = client.rerank(inference_id="my-rerank-model", query="q", input=["doc a", "doc b", "doc c"])["rerank"]
    # later inputs score higher: the reranked order reverses the input order
    assert ranked == [
        {"index": 2, "relevance_score": 1.1, "text": "doc c"},
        {"index": 1, "relevance_score": 0.9, "text": "doc b"},
        {"index": 0, "relevance_score": 0.7, "text": "doc a"},
    ]
    scores = client.registry.rerank_scores("my-rerank-model", "q", ["doc a", "doc b", "doc c"])
    expected = np.float32(0.5) + np.float32(0.2) * np.arange(1, 4, dtype=np.float32)
    np.testing.assert_array_equal(scores, expected)
    # a single non-numeric input switches the whole request to position scores
    scores = client.registry.rerank_scores("my-rerank-model", "q", ["10", "x"])
    np.testing.assert_array_equal(scores, np.array([0.7, 0.9], dtype=np.float32))


def test_text_length_scores(client: InferenceClient) -> None:
    put_mock(client, use_text_length=True)
    ranked = client.rerank(inference_id="my-rerank-model", query="q", input=["abcd", "ab", "10", "xyzw"])["rerank"]
    # 1 / length even for numbers; ties (equal lengths) put the later input first, as the mock does
    assert [(r["index"], r["relevance_score"]) for r in ranked] == [(2, 0.5), (1, 0.5), (3, 0.25), (0, 0.25)]
    assert client.registry.rerank_scores("my-rerank-model", "q", ["\U0001f600"])[0] == np.float32(0.5)  # UTF-16 length


def test_default_min_score_is_random_but_stable_per_endpoint(client: InferenceClient) -> None:
    a = put_mock(client, "a")["task_settings"]["min_score"]
    b = put_mock(client, "b")["task_settings"]["min_score"]
    assert -1 <= a < 1 and -1 <= b < 1 and a != b
    assert put_mock(InferenceClient(InferenceRegistry()), "a")["task_settings"]["min_score"] == a
    scores = client.registry.rerank_scores("a", "q", ["x", "y"])
    np.testing.assert_array_equal(scores, np.float32(a) + np.float32(0.2) * np.array([1, 2], dtype=np.float32))


def test_task_settings_echo_and_request_overrides(client: InferenceClient) -> None:
    response = put_mock(client, min_score="-0.5", result_diff=1, top_n=2, use_text_length="TRUE")
    assert response == {
        "inference_id": "my-rerank-model",
        "task_type": "rerank",
        "service": "test_reranking_service",
        "service_settings": {"model_id": "my_model"},
        "task_settings": {
            "should_fail_validation": False,
            "use_text_length": True,
            "min_score": -0.5,
            "result_diff": 1.0,
            "top_n": 2,
            "hide_top_n": False,
        },
    }
    ranked = client.rerank(
        inference_id="my-rerank-model",
        query="q",
        input=["a", "b", "c"],
        task_settings={"use_text_length": False, "top_n": 3, "unknown": 1},
    )["rerank"]
    assert [(r["index"], r["relevance_score"]) for r in ranked] == [(2, 2.5), (1, 1.5), (0, 0.5)]
    ranked = client.rerank(inference_id="my-rerank-model", query="q", input=["a", "bb", "ccc"])["rerank"]
    assert [r["index"] for r in ranked] == [0, 1]  # the endpoint's top_n
    ranked = client.rerank(
        inference_id="my-rerank-model", query="q", input=["a", "bb", "ccc"], top_n=1, return_documents=False
    )["rerank"]
    assert ranked == [{"index": 0, "relevance_score": 1.0}]


def test_top_n_and_hide_top_n(client: InferenceClient) -> None:
    put_mock(client, "top", top_n=2)
    put_mock(client, "hidden", top_n=2, hide_top_n=True)
    registry = client.registry
    assert registry.rerank_top_n("top") == 2 and registry.rerank_top_n("hidden") is None
    np.testing.assert_array_equal(registry.rerank_scores("hidden", "q", ["1", "2"]), [1, 2])
    e = api_error(registry.rerank_scores, "hidden", "q", ["1", "2", "3"])
    assert (e.status_code, e.error, error_reason(e)) == (
        500,
        "illegal_state_exception",
        "Reranker input document count and returned score count mismatch: [3] vs [2]",
    )
    assert registry.rerank_window("hidden") == 333


def test_should_fail_validation(client: InferenceClient) -> None:
    put_mock(client, should_fail_validation=True)
    e = api_error(client.rerank, inference_id="my-rerank-model", query="q", input=["a"])
    assert (e.status_code, e.error, error_reason(e)) == (
        500,
        "runtime_exception",
        "validation call intentionally failed based on task settings",
    )
    assert error_reason(api_error(client.registry.rerank_scores, "my-rerank-model", "q", ["a"])) == error_reason(e)
    # only the endpoint's setting counts: a request cannot switch it on or off
    put_mock(client, "ok")
    assert client.rerank(inference_id="ok", query="q", input=["1"], task_settings={"should_fail_validation": True})
    e = api_error(
        client.rerank,
        inference_id="my-rerank-model",
        query="q",
        input=["a"],
        task_settings={"should_fail_validation": False},
    )
    assert e.status_code == 500


def test_service_settings_errors(client: InferenceClient) -> None:
    e = api_error(
        client.put,
        inference_id="x",
        task_type="rerank",
        inference_config={"service": "test_reranking_service", "service_settings": {"api_key": "k"}},
    )
    assert (e.error, error_reason(e)) == ("validation_exception", "Validation Failed: 1: missing model;")
    e = api_error(
        client.put,
        inference_id="x",
        task_type="rerank",
        inference_config={"service": "test_reranking_service", "service_settings": {"model": "m"}},
    )
    assert error_reason(e) == "Validation Failed: 1: missing api_key;"
    e = api_error(put_mock, client, "x", top_n=2.0)
    assert (e.status_code, e.error, error_reason(e)) == (400, "number_format_exception", 'For input string: "2.0"')
    e = api_error(put_mock, client, "x", min_score="low")
    assert error_reason(e) == 'For input string: "low"'
    e = api_error(client.put, inference_id="x", task_type="text_embedding", inference_config=MOCK)
    assert error_reason(e) == "The [test_reranking_service] service does not support task type [text_embedding]"
    # the mock ignores settings it does not know
    assert put_mock(client, "lenient", colour="red")["task_settings"]["result_diff"] == 0.2


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1.0),
        (" -1.5 ", -1.5),
        ("1e3", 1000.0),
        ("2f", 2.0),
        ("3.D", 3.0),
        (".5", 0.5),
        ("+7", 7.0),
        ("NaN", float("nan")),
        ("-Infinity", float("-inf")),
        ("0x1p3", 8.0),
        ("1e40", float("inf")),
        ("0.1", float(np.float32(0.1))),
    ],
)
def test_java_parse_float(text: str, value: float) -> None:
    parsed = java_parse_float(text)
    assert parsed.dtype == np.float32
    assert (np.isnan(parsed) and np.isnan(value)) or parsed == np.float32(value)


@pytest.mark.parametrize("text", ["", "abc", "1_000", "inf", "nan", "1e", "--1", "0x10", "Infinityf", "1,5"])
def test_java_parse_float_rejects(text: str) -> None:
    with pytest.raises(ApiError) as e:
        java_parse_float(text)
    assert e.value.error == "number_format_exception"
