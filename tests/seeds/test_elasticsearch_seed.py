"""The Elasticsearch seed over HTTP: a semantic reranker as Elasticsearch's own guide sets it up.

An Eland-imported MS MARCO cross-encoder (``cross-encoder__ms-marco-minilm-l-6-v2``) behind
``PUT _inference/rerank/<id>`` with the ``elasticsearch`` service, documents sent with ``_bulk``, then a
``text_similarity_reranker`` over a BM25 ``standard`` retriever -- every request through the official
``elasticsearch`` client pointed at a real ``retrievo serve``. The model id resolves through the real
Hugging Face cache: a tiny cross-encoder built here is placed under the hub id Eland's id names.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_cache import hub_env, place_in_hub_cache
from server_process import ServerProcess
from tiny_models import save_tiny_bert

pytest.importorskip("sentence_transformers")

HUB_ID = "cross-encoder/ms-marco-MiniLM-L-6-v2"
QUERY = "what phases of the moon hide the sun"
DOCS = {
    "1": "the moon phases and the solar eclipse",
    "2": "a quick brown fox jumps over a lazy dog",
    "3": "the sun on the lake in the moon phases",
    "4": "technology and science of the solar engine",
    "5": "the moon was fast and the sun was quick",
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("ms-marco-tiny"))


@pytest.fixture(scope="module")
def es(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[Any]:
    from elasticsearch import Elasticsearch

    hf_home = tmp_path_factory.mktemp("hf-home")
    place_in_hub_cache(hf_home, HUB_ID, model_dir)
    server = ServerProcess("--no-persist", env=hub_env(hf_home))
    client = Elasticsearch(server.url)
    try:
        yield client
    finally:
        client.close()
        server.stop()


def raw_logits(model_dir: Path, query: str, texts: list[str]) -> np.ndarray:
    """The model's own scores, computed without retrievo."""
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), device="cpu")
    return np.asarray(model.predict([(query, t) for t in texts], activation_fn=torch.nn.Identity()), dtype=np.float32)


def test_the_guide_end_to_end(es: Any, model_dir: Path) -> None:
    put = es.inference.put(
        task_type="rerank",
        inference_id="my-msmarco-minilm-model",
        inference_config={
            "service": "elasticsearch",
            "service_settings": {
                "num_allocations": 1,
                "num_threads": 1,
                "model_id": "cross-encoder__ms-marco-minilm-l-6-v2",
            },
        },
    )
    assert put["inference_id"] == "my-msmarco-minilm-model" and put["task_type"] == "rerank"
    es.indices.create(index="moon", mappings={"properties": {"text": {"type": "text"}}})
    operations: list[dict[str, Any]] = []
    for doc_id, text in DOCS.items():
        operations += [{"index": {"_index": "moon", "_id": doc_id}}, {"text": text}]
    assert es.bulk(operations=operations, refresh=True)["errors"] is False

    child = {"standard": {"query": {"match": {"text": QUERY}}}}
    matched = [h["_id"] for h in es.search(index="moon", retriever=child)["hits"]["hits"]]
    assert set(matched) == {"1", "3", "4", "5"}  # doc 2 shares no term with the query

    response = es.search(
        index="moon",
        retriever={
            "text_similarity_reranker": {
                "retriever": child,
                "field": "text",
                "inference_id": "my-msmarco-minilm-model",
                "inference_text": QUERY,
                "rank_window_size": 100,
            }
        },
    )
    logits = raw_logits(model_dir, QUERY, [DOCS[i] for i in matched])
    # Elasticsearch keeps reranked scores positive: max(s, 0) + min(exp(s), 1)
    expected = {i: max(float(s), 0.0) + min(math.exp(float(s)), 1.0) for i, s in zip(matched, logits)}
    hits = response["hits"]["hits"]
    assert [h["_id"] for h in hits] == sorted(expected, key=lambda i: -expected[i])
    for hit in hits:
        assert hit["_score"] == pytest.approx(expected[hit["_id"]], rel=1e-5)

    # the rerank API on the same endpoint answers the model's raw scores, best first
    ranked = es.inference.rerank(inference_id="my-msmarco-minilm-model", query=QUERY, input=[DOCS[i] for i in matched])[
        "rerank"
    ]
    assert [r["index"] for r in ranked] == sorted(range(len(matched)), key=lambda k: (-logits[k], k))
    for r in ranked:
        assert r["relevance_score"] == pytest.approx(float(logits[r["index"]]), abs=1e-5)
