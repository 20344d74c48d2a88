"""``test_service``: Elasticsearch's deterministic sparse embedding mock
(``TestSparseInferenceServiceExtension``), reproduced exactly so its YAML tests port unchanged::

    PUT _inference/sparse_embedding/sparse-inference-id
    {"service": "test_service",
     "service_settings": {"model": "my_model", "api_key": "abc64"}}

Service settings (Java casts, unknown keys ignored -- see
:mod:`~retrievo.inference.services.test_service_settings`): ``model`` (String, required: ``missing
model``), ``hidden_field`` (String), ``should_return_hidden_field`` (Boolean, default false), then
``api_key`` (required). GET shows ``model``, and ``hidden_field`` only when
``should_return_hidden_field`` is true.

Every text gets the five tokens ``feature_0`` .. ``feature_4``; ``feature_j`` weighs
``Math.abs(text.hashCode()) + 1 + j`` computed in Java ``int`` arithmetic (wrapping past 2^31 - 1; the
absolute value of -2^31 is itself) and then widened to ``float`` (round to nearest even: large weights
lose their last digits). For ``"hello"`` (hashCode 99162322): ``feature_0`` = 99162323 -> 99162320.0
(printed ``9.916232E7``).

For ``semantic_text`` the mock chunks like the dense mock (one chunk per text unless the field sets
``word`` chunking) and gives **every chunk the embedding of the whole text**, as the mock does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..chunking import ChunkingSettings, ChunkOffset
from ..settings_parsing import SettingsReader
from .base import EndpointModel, InferenceService, ServiceContext, SparseEmbeddingModel, SparseVector
from .test_dense import mock_chunk_offsets, mock_chunking
from .test_service_settings import (
    TestTaskSettings,
    java_hash_code,
    read_mock_service_settings,
)

FEATURES = 5


def _int32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


def mock_sparse_embedding(text: str) -> SparseVector:
    """``feature_j`` -> ``(float) (Math.abs(text.hashCode()) + 1 + j)`` for j in 0..4."""
    magnitude = _int32(abs(java_hash_code(text)))
    return {f"feature_{j}": float(np.float32(_int32(magnitude + 1 + j))) for j in range(FEATURES)}


class TestSparseModel(SparseEmbeddingModel):
    def __init__(
        self, model_id: str, hidden_field: str | None, return_hidden_field: bool, task_settings: TestTaskSettings
    ) -> None:
        self.model_id = model_id
        self.hidden_field = hidden_field
        self.return_hidden_field = return_hidden_field
        self.task_settings = task_settings

    def encode_sparse(self, texts: list[str], input_type: str | None) -> list[SparseVector]:
        return [mock_sparse_embedding(t) for t in texts]

    def encode_sparse_chunks(
        self, text: str, chunks: Sequence[tuple[int, int]], input_type: str | None
    ) -> list[SparseVector]:
        """Every chunk carries the whole text's embedding (the mock's ``makeChunkedResults``)."""
        whole = mock_sparse_embedding(text)
        return [dict(whole) for _ in chunks]

    def check_request_task_settings(self, settings: Any, service: str) -> None:
        """The mock's ``infer`` never reads a request's ``task_settings``."""

    def ingest_chunking(
        self, requested: ChunkingSettings | None, configured: ChunkingSettings | None
    ) -> ChunkingSettings:
        return mock_chunking(requested or configured)

    def chunk(self, text: str, settings: ChunkingSettings) -> list[ChunkOffset]:
        return mock_chunk_offsets(text, settings)

    def service_settings_view(self) -> dict[str, Any]:
        view: dict[str, Any] = {"model": self.model_id}
        if self.return_hidden_field and self.hidden_field is not None:
            view["hidden_field"] = self.hidden_field
        return view

    def task_settings_view(self) -> dict[str, Any]:
        return self.task_settings.view()


class TestSparseService(InferenceService):
    name = "test_service"
    task_types: ClassVar[tuple[str, ...]] = ("sparse_embedding",)
    default_chunking_settings: ClassVar[bool] = False
    exact_task_types: ClassVar[bool] = True

    def parse_request_config(
        self,
        *,
        inference_id: str,
        task_type: str,
        service_settings: SettingsReader,
        task_settings: SettingsReader,
        context: ServiceContext,
    ) -> EndpointModel:
        read = read_mock_service_settings(service_settings.remaining)
        return TestSparseModel(
            read.model, read.hidden_field, read.return_hidden_field, TestTaskSettings.from_map(task_settings.remaining)
        )
