"""Fixtures for the profile tests: a small engine with text, keyword and semantic_text fields, and a
tiny BERT cross-encoder built on the spot (tests/inference/tiny_models.py) registered as ``ce``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from retrievo import Engine

DOCS = {
    "1": ("the moon phases and the solar eclipse", "sky"),
    "2": ("a quick brown fox jumps over the lazy dog", "animal"),
    "3": ("sun moon lake geography", "earth"),
    "4": ("the lazy cat and the fast dog", "animal"),
    "5": ("astronomy science of the sun and the moon", "sky"),
    "6": ("technology engine science", "tech"),
}


def load_tiny_models():
    """tests/inference/tiny_models.py, imported by path (the tests folders are not packages)."""
    path = Path(__file__).resolve().parents[1] / "inference" / "tiny_models.py"
    spec = importlib.util.spec_from_file_location("retrievo_test_tiny_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("sentence_transformers")
    return load_tiny_models().save_tiny_bert(tmp_path_factory.mktemp("profile-tiny-ce"))


def make_engine(tiny_cross_encoder: Path) -> Engine:
    engine = Engine()
    engine.indices.create(
        index="docs",
        mappings={
            "properties": {"text": {"type": "text"}, "tag": {"type": "keyword"}, "meaning": {"type": "semantic_text"}}
        },
    )
    ops: list[dict] = []
    for doc_id, (text, tag) in DOCS.items():
        ops += [{"index": {"_index": "docs", "_id": doc_id}}, {"text": text, "tag": tag, "meaning": text}]
    engine.bulk(operations=ops, refresh=True)
    engine.inference.put(
        inference_id="ce",
        task_type="rerank",
        inference_config={
            "service": "sentence_transformers",
            "service_settings": {"model_id": str(tiny_cross_encoder), "device": "cpu"},
        },
    )
    return engine


@pytest.fixture
def engine(tiny_cross_encoder: Path) -> Engine:
    """A fresh engine per test: its caches start empty, so model calls and cache hits are exact."""
    return make_engine(tiny_cross_encoder)
