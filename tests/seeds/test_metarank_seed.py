"""The Metarank seed over HTTP: Metarank's guide "Search reranking with cross-encoder LLMs".

The guide (metarank/metarank ``doc/guide/search/cross-encoders.md``) configures Metarank as an inference
server with one cross-encoder, ``metarank/ce-msmarco-MiniLM-L6-v2``, and reranks an Elasticsearch
result list with ``POST /inference/cross/msmarco``. Here ``retrievo serve --config`` reads that file
verbatim; the Hub id resolves through a real Hugging Face cache holding a tiny cross-encoder exported to
ONNX with its ``tokenizer.json`` and ``vocab.txt`` -- the files Metarank downloads. A bi-encoder entry
(as in Metarank's ``ConfigInferenceTest``, ``dim`` set to the tiny model's width) covers
``/inference/encoder``. Expected numbers come from the torch models through sentence-transformers,
never from retrievo.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub_cache import hub_env, place_in_hub_cache
from server_process import ServerProcess
from tiny_models import save_tiny_bert

pytest.importorskip("sentence_transformers")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")  # torch.onnx.export needs it to write the files

CROSS_ID = "metarank/ce-msmarco-MiniLM-L6-v2"
BI_ID = "metarank/all-MiniLM-L6-v2"

# The guide's configuration, verbatim.
GUIDE_CONFIG = """\
inference:
  msmarco:
    type: cross-encoder
    model: metarank/ce-msmarco-MiniLM-L6-v2
"""
# Metarank's ConfigInferenceTest entry; dim is the tiny model's hidden size (384 for the real MiniLM).
BI_ENTRY = """\
  bi:
    type: bi-encoder
    model: metarank/all-MiniLM-L6-v2
    dim: 32
"""
# The guide's rerank.json, verbatim.
RERANK_JSON = {
    "input": [
        {"query": "crocs", "text": "Crocs Jibbitz 5-Pack Alien Shoe Charms"},
        {"query": "crocs", "text": "Crocs Specialist Vent Work"},
        {"query": "crocs", "text": "Crocs Kids' Baya Clog"},
    ]
}


def _export(model: Any, path: Path, outputs: list[str]) -> None:
    import torch

    class Positional(torch.nn.Module):
        """The three inputs by name, the outputs as a tuple: what the ONNX graph takes and gives."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return tuple(out[name] for name in outputs)

    ids = torch.ones(2, 6, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        Positional().eval(),
        (ids, ids, torch.zeros_like(ids)),
        str(path),
        input_names=names,
        output_names=outputs,
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in names},
        dynamo=False,
    )


def _onnx_repo(torch_dir: Path, repo: Path, *, cross: bool) -> Path:
    """A Metarank-style Hub repository: ``pytorch_model.onnx``, ``tokenizer.json``, ``vocab.txt``."""
    from transformers import AutoTokenizer, BertForSequenceClassification, BertModel

    repo.mkdir(parents=True)
    model = (BertForSequenceClassification if cross else BertModel).from_pretrained(torch_dir).eval()
    outputs = ["logits"] if cross else ["last_hidden_state", "pooler_output"]
    _export(model, repo / "pytorch_model.onnx", outputs)
    tokenizer = AutoTokenizer.from_pretrained(torch_dir)
    (repo / "tokenizer.json").write_text((torch_dir / "tokenizer.json").read_text())
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    (repo / "vocab.txt").write_text("".join(token + "\n" for token, _ in vocab))
    return repo


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("metarank-models")
    cross = save_tiny_bert(root / "cross-torch")
    bi = save_tiny_bert(root / "bi-torch", with_head=False)
    return {
        "cross": cross,
        "bi": bi,
        "cross-onnx": _onnx_repo(cross, root / "cross-onnx", cross=True),
        "bi-onnx": _onnx_repo(bi, root / "bi-onnx", cross=False),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models: dict[str, Path]) -> Iterator[ServerProcess]:
    hf_home = tmp_path_factory.mktemp("hf-home")
    place_in_hub_cache(hf_home, CROSS_ID, models["cross-onnx"])
    place_in_hub_cache(hf_home, BI_ID, models["bi-onnx"])
    config = tmp_path_factory.mktemp("config") / "metarank.yml"
    # Metarank < 0.7.10 read a vocab.txt (vocabFile); a local directory is a file:// handle; a directory
    # holding a sentence-transformers checkpoint (no ONNX file) runs through sentence-transformers
    local = (
        f"  legacy:\n    type: cross-encoder\n    model: file://{models['cross-onnx']}\n    vocabFile: vocab.txt\n"
        f"  torch:\n    type: cross-encoder\n    model: file://{models['cross']}\n"
    )
    config.write_text(GUIDE_CONFIG + BI_ENTRY + local)
    process = ServerProcess(
        "--no-persist", "--config", str(config), "-E", "retrievo.rerank.inference_id=msmarco", env=hub_env(hf_home)
    )
    try:
        yield process
    finally:
        process.stop()


def torch_logits(model_dir: Path, pairs: list[tuple[str, str]]) -> np.ndarray:
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), device="cpu")
    return np.asarray(model.predict(pairs, activation_fn=torch.nn.Identity()), dtype=np.float32)


def torch_mean_pooled(model_dir: Path, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer, models

    word = models.Transformer(str(model_dir))
    pooling = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
    encoder = SentenceTransformer(modules=[word, pooling], device="cpu")
    return np.asarray(encoder.encode(texts, convert_to_numpy=True), dtype=np.float32)


def post(server: ServerProcess, path: str, body: Any) -> tuple[int, Any, bytes]:
    data = json.dumps(body) if not isinstance(body, (bytes, str)) else body
    status, headers, payload = server.request("POST", path, data, {"Content-Type": "application/json"})
    return status, headers, payload


def test_the_guide_rerank_request(server: ServerProcess, models: dict[str, Path]) -> None:
    status, _, payload = post(server, "/inference/cross/msmarco", RERANK_JSON)
    assert status == 200, payload
    body = json.loads(payload)
    assert list(body) == ["scores", "took"] and isinstance(body["took"], int)
    pairs = [(item["query"], item["text"]) for item in RERANK_JSON["input"]]
    expected = torch_logits(models["cross"], pairs)
    # raw logits (Metarank applies no sigmoid); ONNX and torch agree to float32 rounding
    np.testing.assert_allclose(body["scores"], expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["legacy", "torch"])
def test_vocab_txt_and_sentence_transformers_entries(server: ServerProcess, models: dict[str, Path], name: str) -> None:
    status, _, payload = post(server, f"/inference/cross/{name}", RERANK_JSON)
    assert status == 200, payload
    pairs = [(item["query"], item["text"]) for item in RERANK_JSON["input"]]
    np.testing.assert_allclose(json.loads(payload)["scores"], torch_logits(models["cross"], pairs), atol=1e-5)
    status, _, payload = server.request("GET", f"/_inference/{name}")
    service = json.loads(payload)["endpoints"][0]["service"]
    assert service == ("metarank" if name == "legacy" else "sentence_transformers")


def onnx_logits(repo: Path, pairs: list[tuple[str, str]]) -> np.ndarray:
    """The ONNX export's own scores, one pair at a time (no padding), with onnxruntime and the repo's
    ``tokenizer.json`` -- computed here, without retrievo."""
    import onnxruntime
    from tokenizers import Tokenizer

    session = onnxruntime.InferenceSession(str(repo / "pytorch_model.onnx"), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(repo / "tokenizer.json"))
    scores = []
    for query, text in pairs:
        encoding = tokenizer.encode(query, text)
        feed = {
            "input_ids": np.asarray([encoding.ids], dtype=np.int64),
            "attention_mask": np.asarray([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64),
        }
        scores.append(float(session.run(["logits"], feed)[0][0][0]))
    return np.asarray(scores, dtype=np.float32)


def test_the_guide_config_file_alone(tmp_path: Path, models: dict[str, Path]) -> None:
    """The guide's file verbatim and its ``curl -d @rerank.json`` request: the model's own scores to 1e-6."""
    hf_home = tmp_path / "hf-home"
    place_in_hub_cache(hf_home, CROSS_ID, models["cross-onnx"])
    config = tmp_path / "config.yml"
    config.write_text(GUIDE_CONFIG)
    process = ServerProcess("--no-persist", "--config", str(config), env=hub_env(hf_home))
    try:
        status, _, payload = post(process, "/inference/cross/msmarco", RERANK_JSON)
    finally:
        process.stop()
    assert status == 200, payload
    pairs = [(item["query"], item["text"]) for item in RERANK_JSON["input"]]
    np.testing.assert_allclose(json.loads(payload)["scores"], onnx_logits(models["cross-onnx"], pairs), atol=1e-6)


def test_mixed_queries_keep_input_order(server: ServerProcess, models: dict[str, Path]) -> None:
    pairs = [("moon", "the moon phases"), ("fox", "a quick brown fox"), ("moon", "solar eclipse of the sun")]
    request = {"input": [{"query": q, "text": t, "ignored": 1} for q, t in pairs]}
    status, _, payload = post(server, "/inference/cross/msmarco", request)
    assert status == 200
    np.testing.assert_allclose(json.loads(payload)["scores"], torch_logits(models["cross"], pairs), atol=1e-5)
    status, _, payload = post(server, "/inference/cross/msmarco", {"input": []})
    assert (status, json.loads(payload)["scores"]) == (200, [])


def test_encoder_route_is_mean_pooled(server: ServerProcess, models: dict[str, Path]) -> None:
    texts = ["the moon and the sun", "a lazy dog"]
    status, _, payload = post(server, "/inference/encoder/bi", {"texts": texts})
    assert status == 200, payload
    body = json.loads(payload)
    assert list(body) == ["embeddings", "took"]
    np.testing.assert_allclose(body["embeddings"], torch_mean_pooled(models["bi"], texts), rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/inference/cross/nope", RERANK_JSON),  # a name not in the configuration
        ("/inference/encoder/msmarco", {"texts": ["a"]}),  # a cross-encoder is no encoder
        ("/inference/cross/msmarco", {"inputs": []}),  # missing field
        ("/inference/cross/msmarco", {"input": [{"query": "a"}]}),  # pair without text
        ("/inference/cross/msmarco", b"{not json"),
        ("/inference/encoder/bi", {"texts": []}),  # Metarank indexes the first encoding
    ],
)
def test_errors_are_metaranks_empty_500(server: ServerProcess, path: str, body: Any) -> None:
    status, _, payload = post(server, path, body)
    assert (status, payload) == (500, b"")


def test_the_reason_is_logged(server: ServerProcess) -> None:
    assert post(server, "/inference/cross/nope", RERANK_JSON)[0] == 500
    expected = "cross-encoder nope is not defined in config (defined: List(msmarco, legacy, torch))"
    assert expected in server.read_stderr()


def test_entries_are_inference_endpoints(server: ServerProcess) -> None:
    status, _, payload = server.request("GET", "/_inference")
    assert status == 200
    endpoints = {e["inference_id"]: e for e in json.loads(payload)["endpoints"]}
    assert endpoints["msmarco"]["task_type"] == "rerank" and endpoints["msmarco"]["service"] == "metarank"
    assert endpoints["msmarco"]["service_settings"]["model"] == CROSS_ID
    assert endpoints["bi"]["task_type"] == "text_embedding"
    assert endpoints["bi"]["service_settings"]["dim"] == 32


def test_a_file_metarank_refuses_does_not_start(tmp_path: Path) -> None:
    config = tmp_path / "metarank.yml"
    config.write_text("inference:\n  bi:\n    type: bi-encoder\n    model: metarank/all-MiniLM-L6-v2\n")
    # a bi-encoder without dim: Metarank's decoder refuses the file, so does retrievo
    with pytest.raises(AssertionError, match=r"\[dim\] is required for a bi-encoder"):
        ServerProcess("--no-persist", "--config", str(config), env=hub_env(tmp_path))


def test_what_is_served_and_what_is_ignored() -> None:
    import yaml

    from retrievo.server.metarank_config import parse_metarank_config

    data = yaml.safe_load(
        GUIDE_CONFIG
        + "  old:\n    type: cross-encoder\n    model: file:///models/ce\n    vocabFile: vocab.txt\n"
        + "    cache: file:///cache.csv\n"
        + "api:\n  port: 8081\n  timeout: 1m\nstate:\n  type: memory\nfeatures: []\n"
    )
    config = parse_metarank_config(data, "metarank.yml")
    assert [(e.name, e.kind, e.model, e.vocab_file) for e in config.entries] == [
        ("msmarco", "cross-encoder", CROSS_ID, None),
        ("old", "cross-encoder", "file:///models/ce", "vocab.txt"),
    ]
    assert config.settings == {"http.port": "8081"}
    assert set(config.ignored) == {
        "inference.old.cache (feeds Metarank's feature extraction only)",
        "api.timeout",
        "state (Metarank's state section)",
        "features (Metarank's features section)",
    }
    # no inference section: Metarank serves its field_match encoder features under their names
    features = yaml.safe_load(
        "features:\n- type: field_match\n  name: title_match\n  rankingField: ranking.query\n"
        "  itemField: item.title\n  method:\n    type: bi-encoder\n    model: metarank/all-MiniLM-L6-v2\n"
        "    dim: 384\n"
    )
    entries = parse_metarank_config(features, "m.yml").entries
    assert [(e.name, e.kind, e.dim) for e in entries] == [("title_match", "bi-encoder", 384)]


def test_the_guide_end_to_end_with_elasticsearch(server: ServerProcess, models: dict[str, Path]) -> None:
    """The guide's flow: index ``title``/``asin`` (its import script), run its ``search.json``, take the
    top hits and rerank them through ``/inference/cross/msmarco``."""
    from elasticsearch import Elasticsearch

    es = Elasticsearch(server.url)
    products = [
        ("B089YD2KK5", "Crocs Jibbitz 5-Pack Alien Shoe Charms | Jibbitz for Crocs"),
        ("B07DNVF4ZN", "Crocs Specialist Vent Work"),
        ("B07GY5MQKM", "Crocs Kids' Baya Clog"),
        ("B000SEQZ3E", "a lazy dog"),
    ]
    for asin, title in products:
        es.index(index="esci", document={"title": title, "asin": asin})
    es.indices.refresh(index="esci")
    search = {"query": {"multi_match": {"query": "crocs", "fields": ["title"]}}, "fields": ["asin", "title"]}
    status, _, payload = post(server, "/esci/_search", search)
    assert status == 200, payload
    hits = json.loads(payload)["hits"]["hits"]
    assert len(hits) == 3
    for hit in hits:
        assert hit["fields"] == {"asin": [hit["_source"]["asin"]], "title": [hit["_source"]["title"]]}
    titles = [hit["fields"]["title"][0] for hit in hits[:10]]
    rerank = {"input": [{"query": "crocs", "text": title} for title in titles]}
    status, _, payload = post(server, "/inference/cross/msmarco", rerank)
    assert status == 200
    expected = torch_logits(models["cross"], [("crocs", t) for t in titles])
    np.testing.assert_allclose(json.loads(payload)["scores"], expected, atol=1e-5)
    es.close()


def test_a_restart_keeps_equal_endpoints_and_replaces_changed_ones(models: dict[str, Path], tmp_path: Path) -> None:
    import yaml

    from retrievo.catalog import Catalog
    from retrievo.server.metarank_config import parse_metarank_config, register_metarank

    entry = f"inference:\n  ce:\n    type: cross-encoder\n    model: file://{models['cross-onnx']}\n"
    first = Catalog()
    first.attach(tmp_path / "data")
    register_metarank(first, parse_metarank_config(yaml.safe_load(entry), "m.yml"))
    first.flush(list(first.shards))
    again = Catalog()
    again.attach(tmp_path / "data")  # the endpoint comes back from the data directory
    assert again.inference.get("ce").service == "metarank"
    register_metarank(again, parse_metarank_config(yaml.safe_load(entry), "m.yml"))  # equal: kept
    changed = entry.replace(f"file://{models['cross-onnx']}", f"file://{models['cross']}")
    register_metarank(again, parse_metarank_config(yaml.safe_load(changed), "m.yml"))  # changed: replaced
    assert again.inference.get("ce").service == "sentence_transformers"
    assert again.metarank_cross == {"ce": "ce"}


def test_the_onnx_cross_encoder_serves_cohere_and_tei_clients(server: ServerProcess, models: dict[str, Path]) -> None:
    from tokenizers import Tokenizer

    texts = [item["text"] for item in RERANK_JSON["input"]]
    logits = torch_logits(models["cross"], [("crocs", t) for t in texts])
    status, _, payload = post(server, "/v2/rerank", {"model": "msmarco", "query": "crocs", "documents": texts})
    assert status == 200
    scores = {r["index"]: r["relevance_score"] for r in json.loads(payload)["results"]}
    np.testing.assert_allclose([scores[i] for i in range(3)], 1 / (1 + np.exp(-logits.astype(np.float64))), atol=1e-5)
    status, _, payload = post(server, "/rerank", {"query": "crocs", "texts": texts, "raw_scores": True})
    assert status == 200
    np.testing.assert_allclose(
        [r["score"] for r in sorted(json.loads(payload), key=lambda r: r["index"])], logits, atol=1e-5
    )
    # truncate=false: TEI refuses a pair over the limit -- 512 here, DJL's default for a tokenizer.json without one
    long_text = " ".join(["moon"] * 600)
    tokens = len(Tokenizer.from_file(str(models["cross-onnx"] / "tokenizer.json")).encode("crocs", long_text).ids)
    status, _, payload = post(server, "/rerank", {"query": "crocs", "texts": [long_text], "truncate": False})
    assert (status, json.loads(payload)["error"]) == (
        422,
        f"Input validation error: `inputs` must have less than 512 tokens. Given: {tokens}",
    )
