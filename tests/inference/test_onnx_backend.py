"""Models on ONNX Runtime: the ``backend``/``quantization`` settings of rerank and embedding endpoints.

The reference is an independent ``CrossEncoder.predict`` (PyTorch, raw logits) on the same tiny BERT, and
``SentenceTransformer.encode`` on the packaged MiniLM:
ONNX fp32 must give the same scores to 1e-5 and the same order; int8 must keep the top of the ranking
on a model whose scores are well separated. The export is cached beside a local model, keyed by its
content, so a second endpoint (or process) reuses it and a changed model gets a new one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from tiny_models import save_tiny_bert

pytest.importorskip("onnxruntime")

QUERY = "what are the moon phases"
PASSAGES = [
    "the moon phases",
    "solar eclipse",
    "a quick brown fox jumps over the lazy dog",
    "sun moon lake",
    "science",
    "the moon phases and the solar eclipse of the sun",
    "the engine",
]


def _reference(path: Path) -> np.ndarray:
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(path), device="cpu")
    return np.asarray(model.predict([(QUERY, p) for p in PASSAGES], activation_fn=torch.nn.Identity()), np.float32)


def _rerank(es: Engine, inference_id: str) -> np.ndarray:
    resp = es.inference.rerank(inference_id=inference_id, query=QUERY, input=PASSAGES)
    scores = np.zeros(len(PASSAGES), dtype=np.float32)
    for item in resp["rerank"]:
        scores[item["index"]] = item["relevance_score"]
    return scores


def _put(es: Engine, inference_id: str, path: Path, **settings: Any) -> Any:
    return es.inference.put(
        task_type="rerank",
        inference_id=inference_id,
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": str(path), "device": "cpu", "batch_size": 3, **settings},
        },
    )


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    return save_tiny_bert(tmp_path / "ce")


def _exports(path: Path) -> list[str]:
    return sorted(p.name for p in (path / "onnx").glob("retrievo-*.onnx")) if (path / "onnx").is_dir() else []


def test_onnx_fp32_scores_equal_pytorch_and_the_export_is_cached_beside_the_model(model_dir: Path) -> None:
    expected = _reference(model_dir)
    es = Engine()
    _put(es, "auto", model_dir)  # the default backend: ONNX when onnxruntime is installed
    _put(es, "torch", model_dir, backend="torch")
    onnx_scores = _rerank(es, "auto")
    torch_scores = _rerank(es, "torch")
    np.testing.assert_allclose(onnx_scores, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(torch_scores, expected, atol=1e-5, rtol=0)
    assert list(np.argsort(-onnx_scores, kind="stable")) == list(np.argsort(-expected, kind="stable"))
    # pairs were scored in length-sorted batches of 3 and put back in input order (checked above)
    assert len(_exports(model_dir)) == 1
    # another engine reuses the file rather than exporting again
    export = model_dir / "onnx" / _exports(model_dir)[0]
    stamp = export.stat().st_mtime_ns
    again = Engine()
    _put(again, "x", model_dir, backend="onnx")
    np.testing.assert_allclose(_rerank(again, "x"), onnx_scores, atol=0, rtol=0)
    assert export.stat().st_mtime_ns == stamp and len(_exports(model_dir)) == 1
    view = again.inference.get(inference_id="x")["endpoints"][0]["service_settings"]
    assert view["backend"] == "onnx" and "quantization" not in view


def test_a_changed_model_gets_a_new_export(model_dir: Path, tmp_path: Path) -> None:
    es = Engine()
    _put(es, "a", model_dir, backend="onnx")
    first = _rerank(es, "a")
    other = shutil.copytree(model_dir, tmp_path / "other")
    shutil.rmtree(other / "onnx")
    import torch
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(str(other))
    with torch.no_grad():
        model.classifier.bias += 1.0  # every logit moves by exactly +1
    model.save_pretrained(other)
    _put(es, "b", other, backend="onnx")
    np.testing.assert_allclose(_rerank(es, "b"), first + 1.0, atol=1e-5, rtol=0)
    np.testing.assert_allclose(_rerank(es, "b"), _reference(other), atol=1e-5, rtol=0)


def test_int8_keeps_the_ranking_of_well_separated_scores(model_dir: Path) -> None:
    expected = _reference(model_dir)
    es = Engine()
    _put(es, "q", model_dir, quantization="int8")
    scores = _rerank(es, "q")
    assert np.max(np.abs(scores - expected)) < 0.25 * float(np.ptp(expected))
    assert int(np.argmax(scores)) == int(np.argmax(expected))
    names = _exports(model_dir)
    assert len(names) == 2 and sum(name.endswith("-int8.onnx") for name in names) == 1
    view = es.inference.get(inference_id="q")["endpoints"][0]["service_settings"]
    assert view["backend"] == "onnx" and view["quantization"] == "int8"


@pytest.mark.parametrize(
    "settings, reason",
    [
        (
            {"backend": "gpu"},
            "[service_settings] Invalid value [gpu] received. [backend] must be one of [auto, onnx, torch]",
        ),
        ({"quantization": "int8", "backend": "torch"}, "[service_settings] quantization [int8] needs backend [onnx]"),
        ({"dtype": "bfloat16", "backend": "onnx"}, "its dtype is [bfloat16], and the onnx backend exports float32"),
    ],
)
def test_backend_settings_errors(model_dir: Path, settings: dict[str, Any], reason: str) -> None:
    es = Engine()
    with pytest.raises(Exception) as failed:
        _put(es, "bad", model_dir, **settings)
        _rerank(es, "bad")
    assert getattr(failed.value, "status_code", None) == 400
    assert reason in str(failed.value.body["error"]["reason"])  # type: ignore[attr-defined]


TEXTS = [
    "How often does the moon hide the sun?",
    "A solar eclipse happens when the moon passes between the sun and the earth, casting a shadow. " * 3,
    "lake",
    "The phases of the moon follow a cycle of about 29.5 days.",
]


@pytest.mark.parametrize("normalize", [None, True])
def test_embeddings_on_onnx_equal_sentence_transformers(
    packaged_model_path: Path, reference_model: Any, normalize: bool | None
) -> None:
    expected = reference_model.encode(TEXTS, convert_to_numpy=True, normalize_embeddings=bool(normalize))
    es = Engine()
    settings: dict[str, Any] = {"model_id": str(packaged_model_path), "device": "cpu", "batch_size": 2}
    if normalize is not None:
        settings["normalize"] = normalize
    for inference_id, backend in (("auto", None), ("torch", "torch")):
        es.inference.put(
            task_type="text_embedding",
            inference_id=inference_id,
            inference_config={
                "service": "sentence_transformers",
                "service_settings": settings if backend is None else {**settings, "backend": backend},
            },
        )
        resp = es.inference.text_embedding(inference_id=inference_id, input=TEXTS)
        vectors = np.asarray([item["embedding"] for item in resp["text_embedding"]], dtype=np.float32)
        np.testing.assert_allclose(vectors, expected, atol=1e-5, rtol=0)


def test_sub_batches_cut_by_padded_tokens_and_drop_unused_padding() -> None:
    from retrievo.inference.services.onnx_export import sub_batches

    lengths = [5, 3, 7, 2]  # right-padded to 8 columns, as BERT tokenizers pad
    mask = np.array([[1] * n + [0] * (8 - n) for n in lengths], dtype=np.int64)
    ids = np.arange(32, dtype=np.int64).reshape(4, 8) * mask
    parts = sub_batches(
        {"input_ids": ids, "attention_mask": mask}, ("input_ids", "attention_mask"), [10, 11, 12, 13], 10
    )
    # longest first: 7 (alone: 2 x 7 > 10), then 5 and 3 (2 x 5 <= 10, a third would make 15), then 2
    assert [part.rows.tolist() for part in parts] == [[12], [10, 11], [13]]
    assert [part.feeds["input_ids"].shape for part in parts] == [(1, 7), (2, 5), (1, 2)]
    for part in parts:
        for row, position in enumerate(part.rows.tolist()):
            original = position - 10
            width = lengths[original]
            assert part.feeds["input_ids"][row, :width].tolist() == ids[original, :width].tolist()
            assert part.feeds["attention_mask"][row].sum() == width


def test_small_sub_batches_give_pytorch_scores_in_input_order(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from retrievo.inference.services import onnx_export

    monkeypatch.setattr(onnx_export, "SUB_BATCH_TOKENS", 12)  # one or two pairs per session run
    expected = _reference(model_dir)
    es = Engine()
    _put(es, "small", model_dir, backend="onnx", batch_size=32)
    scores = _rerank(es, "small")
    np.testing.assert_allclose(scores, expected, atol=1e-5, rtol=0)
    assert list(np.argsort(-scores, kind="stable")) == list(np.argsort(-expected, kind="stable"))


def _save_tiny_sentence_transformer(path: Path) -> Path:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    save_tiny_bert(path / "bert", with_head=False)
    transformer = Transformer(str(path / "bert"))
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(path / "st"))
    return path / "st"


def test_int8_embeddings_stay_close_to_pytorch_and_the_export_is_reused(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    path = _save_tiny_sentence_transformer(tmp_path)
    texts = [f"{text} {word}" for text in TEXTS for word in ("moon", "sun phases of the moon")]
    expected = SentenceTransformer(str(path), device="cpu").encode(texts, convert_to_numpy=True)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)

    def embed(es: Engine, inference_id: str) -> np.ndarray:
        es.inference.put(
            task_type="text_embedding",
            inference_id=inference_id,
            inference_config={
                "service": "sentence_transformers",
                "service_settings": {"model_id": str(path), "device": "cpu", "quantization": "int8"},
            },
        )
        resp = es.inference.text_embedding(inference_id=inference_id, input=texts)
        return np.asarray([item["embedding"] for item in resp["text_embedding"]], dtype=np.float32)

    vectors = embed(Engine(), "q")
    cosines = np.sum(vectors * expected, axis=1) / np.linalg.norm(vectors, axis=1)
    assert float(np.min(cosines)) > 0.98
    assert not np.allclose(vectors * np.linalg.norm(expected, axis=1, keepdims=True), expected, atol=1e-6)
    names = _exports(path)
    assert len(names) == 2 and sum(name.endswith("-int8.onnx") for name in names) == 1
    stamps = {name: (path / "onnx" / name).stat().st_mtime_ns for name in names}
    np.testing.assert_allclose(embed(Engine(), "again"), vectors, atol=0, rtol=0)
    assert {name: (path / "onnx" / name).stat().st_mtime_ns for name in _exports(path)} == stamps
