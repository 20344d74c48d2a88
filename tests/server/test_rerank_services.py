"""retrievo as a rerank server: the official ``cohere`` SDK (v1 and v2) and TEI's ``POST /rerank``.

A real ``retrievo serve`` with a tiny cross-encoder created over HTTP (``PUT _inference/rerank/<id>``,
``sentence_transformers`` service, a local directory); the expected order and scores come from
sentence-transformers' ``CrossEncoder`` on the same files, never from retrievo.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from server_process import ServerProcess

pytest.importorskip("sentence_transformers")
cohere = pytest.importorskip("cohere")

QUERY = "what phases of the moon hide the sun"
DOCS = [
    "the moon phases and the solar eclipse",
    "a quick brown fox jumps over a lazy dog",
    "the sun on the lake in the moon phases",
    "technology and science of the solar engine",
    "the moon was fast and the sun was quick",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))
    from tiny_models import save_tiny_bert

    return save_tiny_bert(tmp_path_factory.mktemp("tiny-ce"))


@pytest.fixture(scope="module")
def server(model_dir: Path) -> Iterator[ServerProcess]:
    process = ServerProcess("--no-persist", "-E", "retrievo.rerank.inference_id=tiny-ce")
    try:
        body = {"service": "sentence_transformers", "service_settings": {"model_id": str(model_dir)}}
        status, _, payload = process.request("PUT", "/_inference/rerank/tiny-ce", body)
        assert status == 200, payload
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def logits(model_dir: Path) -> np.ndarray:
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), device="cpu")
    return np.asarray(model.predict([(QUERY, d) for d in DOCS], activation_fn=torch.nn.Identity()), np.float32)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _ranked(values: list[float]) -> list[int]:
    return sorted(range(len(values)), key=lambda i: (-values[i], i))


# ------------------------------------------------------------------------------------------------ Cohere


def test_cohere_v2_sdk(server: ServerProcess, logits: np.ndarray) -> None:
    client = cohere.ClientV2(api_key="any-key", base_url=server.url)
    response = client.rerank(model="tiny-ce", query=QUERY, documents=DOCS)
    expected = [_sigmoid(float(v)) for v in logits]
    assert [r.index for r in response.results] == _ranked(expected)
    for result in response.results:
        assert result.relevance_score == pytest.approx(expected[result.index], abs=1e-6)
        assert 0.0 <= result.relevance_score <= 1.0
    assert response.id and response.meta is not None and response.meta.api_version is not None
    assert response.meta.api_version.version == "2"
    assert response.meta.billed_units is not None and response.meta.billed_units.search_units == 1
    top = client.rerank(model="tiny-ce", query=QUERY, documents=DOCS, top_n=2)
    assert [r.index for r in top.results] == _ranked(expected)[:2]


def test_cohere_v1_sdk_documents_and_default_model(server: ServerProcess, logits: np.ndarray) -> None:
    client = cohere.Client(api_key="any-key", base_url=server.url)
    documents: list[Any] = [DOCS[0], {"text": DOCS[1], "title": "fox"}, *DOCS[2:]]
    response = client.rerank(query=QUERY, documents=documents, return_documents=True, top_n=10)  # no model
    expected = [_sigmoid(float(v)) for v in logits]
    assert [r.index for r in response.results] == _ranked(expected)
    by_index = {r.index: r for r in response.results}
    assert by_index[1].document is not None and by_index[1].document.text == DOCS[1]
    assert by_index[1].document.model_dump().get("title") == "fox"  # other fields are kept
    assert by_index[0].document is not None and by_index[0].document.text == DOCS[0]
    assert response.meta is not None and response.meta.api_version is not None
    assert response.meta.api_version.version == "1"
    plain = client.rerank(model="tiny-ce", query=QUERY, documents=DOCS)
    assert all(r.document is None for r in plain.results)


def test_cohere_errors(server: ServerProcess) -> None:
    client = cohere.ClientV2(api_key="any-key", base_url=server.url)
    with pytest.raises(cohere.errors.NotFoundError) as missing:
        client.rerank(model="rerank-v3.5", query=QUERY, documents=DOCS)
    assert missing.value.body["message"].startswith("model 'rerank-v3.5' not found")
    with pytest.raises(cohere.errors.BadRequestError) as empty:
        client.rerank(model="tiny-ce", query=QUERY, documents=[])
    assert empty.value.body["message"] == "invalid request: list of documents must not be empty"
    with pytest.raises(cohere.errors.BadRequestError) as not_rerank:
        client.rerank(model=".all-minilm-l6-v2", query=QUERY, documents=DOCS)
    assert "is not a rerank model" in not_rerank.value.body["message"]
    with pytest.raises(cohere.errors.BadRequestError) as refused:
        client.rerank(model="tiny-ce", query=QUERY, documents=DOCS, max_tokens_per_doc=10)
    assert "[max_tokens_per_doc] is not supported in retrievo" in refused.value.body["message"]
    status, _, payload = server.request("POST", "/v2/rerank", {"model": "tiny-ce", "query": QUERY, "top_k": 1})
    body = json.loads(payload)
    assert status == 422 and set(body) == {"id", "message"}
    assert body["message"].startswith("unknown field: parameter 'top_k' is not a valid field.")


# ------------------------------------------------------------------------------------------------ TEI


def test_tei_rerank(server: ServerProcess, logits: np.ndarray) -> None:
    status, _, payload = server.request("POST", "/rerank", {"query": QUERY, "texts": DOCS, "return_text": True})
    assert status == 200, payload
    ranks = json.loads(payload)
    expected = [_sigmoid(float(v)) for v in logits]
    assert [r["index"] for r in ranks] == _ranked(expected)
    for rank in ranks:
        assert list(rank) == ["index", "text", "score"] and rank["text"] == DOCS[rank["index"]]
        assert rank["score"] == pytest.approx(expected[rank["index"]], abs=1e-6)
    status, _, payload = server.request("POST", "/rerank", {"query": QUERY, "texts": DOCS, "raw_scores": True})
    raw = json.loads(payload)
    assert [list(r) for r in raw] == [["index", "score"]] * len(DOCS)
    for rank in raw:
        assert rank["score"] == pytest.approx(float(logits[rank["index"]]), abs=1e-5)


def test_tei_ties_come_out_as_tei_sorts_them(server: ServerProcess) -> None:
    status, _, payload = server.request("POST", "/rerank", {"query": QUERY, "texts": [DOCS[0]] * 3})
    assert status == 200
    assert [r["index"] for r in json.loads(payload)] == [2, 1, 0]  # ascending stable sort, reversed


def test_tei_errors(server: ServerProcess) -> None:
    status, _, payload = server.request("POST", "/rerank", {"query": QUERY, "texts": []})
    assert (status, json.loads(payload)) == (400, {"error": "`texts` cannot be empty", "error_type": "Empty"})
    status, headers, payload = server.request("POST", "/rerank", {"texts": DOCS})
    assert status == 422 and headers["content-type"].startswith("text/plain")
    assert payload == b"Failed to deserialize the JSON body into the target type: missing field `query`"
    status, _, payload = server.request("POST", "/rerank", b"{oops", {"Content-Type": "application/json"})
    assert status == 400 and payload.startswith(b"Failed to parse the request body as JSON: ")
    status, _, payload = server.request(
        "POST", "/rerank", {"query": QUERY, "texts": DOCS, "truncation_direction": "up"}
    )
    assert status == 422 and payload.endswith(b"unknown variant `up`, expected `Left` or `Right`")


def test_tei_truncate_false_refuses_long_pairs(server: ServerProcess, model_dir: Path) -> None:
    from transformers import AutoTokenizer

    short = {"query": QUERY, "texts": DOCS, "truncate": False}
    status, _, payload = server.request("POST", "/rerank", short)
    default_status, _, default_payload = server.request("POST", "/rerank", {"query": QUERY, "texts": DOCS})
    assert (status, json.loads(payload)) == (default_status, json.loads(default_payload)) == (200, json.loads(payload))
    long_text = " ".join(["moon"] * 200)
    tokens = len(AutoTokenizer.from_pretrained(model_dir)(QUERY, long_text)["input_ids"])
    status, _, payload = server.request(
        "POST", "/rerank", {"query": QUERY, "texts": [DOCS[0], long_text], "truncate": False}
    )
    assert (status, json.loads(payload)) == (
        422,
        {
            "error": f"Input validation error: `inputs` must have less than 128 tokens. Given: {tokens}",
            "error_type": "Validation",
        },
    )
    # truncated (TEI's default) the same pair is scored
    status, _, _ = server.request("POST", "/rerank", {"query": QUERY, "texts": [long_text]})
    assert status == 200


def test_bearer_keys_authenticate_when_authentication_is_on() -> None:
    # the cohere SDK always sends 'Authorization: Bearer <api_key>': one of --api-key's keys passes
    process = ServerProcess("--no-persist", "--api-key", "secret")
    try:
        wrong = cohere.ClientV2(api_key="not-the-key", base_url=process.url)
        with pytest.raises(cohere.errors.UnauthorizedError) as refused:
            wrong.rerank(model="tiny-ce", query=QUERY, documents=DOCS)
        assert refused.value.body["error"]["type"] == "security_exception"
        right = cohere.ClientV2(api_key="secret", base_url=process.url)
        with pytest.raises(cohere.errors.NotFoundError) as missing:  # authenticated: the model is what is missing
            right.rerank(model="tiny-ce", query=QUERY, documents=DOCS)
        assert "model 'tiny-ce' not found" in missing.value.body["message"]
    finally:
        process.stop()
