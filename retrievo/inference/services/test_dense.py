"""``text_embedding_test_service``: Elasticsearch's deterministic dense embedding mock
(``TestDenseInferenceServiceExtension``), reproduced exactly so its YAML tests port unchanged::

    PUT _inference/text_embedding/dense-inference-id
    {"service": "text_embedding_test_service",
     "service_settings": {"model": "my_model", "dimensions": 10, "api_key": "abc64",
                          "similarity": "cosine", "element_type": "float"}}

Service settings (read with Java casts, unknown keys ignored -- see
:mod:`~retrievo.inference.services.test_service_settings`): ``model`` (String) and ``dimensions``
(Integer) are required (``missing model`` / ``missing dimensions``, reported together), then
``api_key``; ``similarity`` (``cosine`` default, ``dot_product``, ``l2_norm``) and ``element_type``
(``float`` default, ``byte``, ``bit``, ``bfloat16``) are enum names, case-insensitive and trimmed.
GET shows the four settings as given (``similarity`` / ``element_type`` only when set).

The embedding of a text is built from ``Integer.toString(text.hashCode())``: the ASCII codes of that
string's characters (``-`` is 45, ``0``..``9`` are 48..57), repeated until the embedding has
``dimensions`` values (``dimensions / 8`` for ``bit``, eight bits per value) and cut there. The values are
the same for every element type, and valid for each (whole numbers in [45, 57]). For ``"hello"``
(hashCode 99162322): ``[57, 57, 49, 54, 50, 51, 50, 50, 57, 57, ...]``.

``semantic_text`` chunks with the field's ``chunking_settings`` only (``word`` is the only strategy the
mock supports); without them a text is one chunk, embedded whole -- the mock does not chunk by default.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from retrievo.errors import ApiError, api_error, error_cause, illegal_argument

from ..chunking import ChunkingSettings, ChunkOffset, NoneChunkingSettings, WordChunkingSettings, chunk_text
from ..errors import validation_exception
from ..settings_parsing import SettingsReader
from .base import EndpointModel, InferenceService, ServiceContext, TextEmbeddingModel
from .test_service_settings import TestTaskSettings, cast_integer, cast_string, java_hash_code, require_api_key

SIMILARITIES = ("cosine", "dot_product", "l2_norm")
ELEMENT_TYPES = ("float", "byte", "bit", "bfloat16")
_SIMILARITY_CLASS = "org.elasticsearch.inference.SimilarityMeasure"
_ELEMENT_TYPE_CLASS = "org.elasticsearch.index.mapper.vectors.DenseVectorFieldMapper.ElementType"


def java_enum_value(text: str, names: tuple[str, ...], enum_class: str) -> str:
    """``Enum.valueOf(name.trim().toUpperCase(Locale.ROOT))`` -> the lower-case name, or Java's error."""
    key = text.strip("".join(chr(c) for c in range(0x21))).upper()
    if key not in (name.upper() for name in names):
        raise illegal_argument(f"No enum constant {enum_class}.{key}")
    return key.lower()


def embedding_length(dimensions: int, element_type: str) -> int:
    """Values per embedding: ``dimensions``, or ``dimensions / 8`` (Java int division) for ``bit``."""
    if element_type != "bit":
        return dimensions
    return -(-dimensions // 8) if dimensions < 0 else dimensions // 8


def mock_embedding(text: str, length: int) -> list[float]:
    """The mock's embedding: the ASCII codes of ``str(text.hashCode())``, cycled to ``length`` values."""
    codes = [float(b) for b in str(java_hash_code(text)).encode("ascii")]
    repeats = length // len(codes) + 1
    return (codes * repeats)[:length]


class TestDenseModel(TextEmbeddingModel):
    java_strings: ClassVar[bool] = True

    def __init__(
        self,
        model_id: str,
        dimensions: int,
        similarity: str | None,
        element_type: str | None,
        task_settings: TestTaskSettings,
    ) -> None:
        self.model_id = model_id
        self.dimensions = dimensions
        self.given_similarity = similarity
        self.given_element_type = element_type
        self.task_settings = task_settings

    @property
    def similarity(self) -> str:
        """``TestServiceSettings.similarity()``: cosine unless set."""
        return self.given_similarity or "cosine"

    @property
    def element_type(self) -> str:
        """``TestServiceSettings.elementType()``: float unless set."""
        return self.given_element_type or "float"

    def encode(self, texts: list[str], input_type: str | None) -> np.ndarray:
        length = embedding_length(self.dimensions, self.element_type)
        if length < 0:  # ``new ArrayList<>(length)``
            raise illegal_argument(f"Illegal Capacity: {length}")
        return np.array([mock_embedding(t, length) for t in texts], dtype=np.float32).reshape(len(texts), length)

    def semantic_text_gap(self) -> str | None:
        if self.element_type == "bit":
            return "its element_type is [bit]; semantic_text stores [float], [byte] and [bfloat16] embeddings"
        return None

    def check_request_task_settings(self, settings: Any, service: str) -> None:
        """The mock's ``infer`` never reads a request's ``task_settings``."""

    def ingest_chunking(
        self, requested: ChunkingSettings | None, configured: ChunkingSettings | None
    ) -> ChunkingSettings:
        return mock_chunking(requested or configured)

    def chunk(self, text: str, settings: ChunkingSettings) -> list[ChunkOffset]:
        return mock_chunk_offsets(text, settings)

    def service_settings_view(self) -> dict[str, Any]:
        view: dict[str, Any] = {"model": self.model_id, "dimensions": self.dimensions}
        if self.given_similarity is not None:
            view["similarity"] = self.given_similarity
        if self.given_element_type is not None:
            view["element_type"] = self.given_element_type
        return view

    def task_settings_view(self) -> dict[str, Any]:
        return self.task_settings.view()


def mock_chunk_offsets(text: str, settings: ChunkingSettings) -> list[ChunkOffset]:
    """The mock's chunk offsets: each chunk's text is looked up with ``input.indexOf(chunk)``, so a chunk
    whose text occurs earlier in the input is placed at that first occurrence."""
    out: list[ChunkOffset] = []
    for chunk in chunk_text(text, settings):
        piece = text[chunk.start : chunk.end]
        start = text.find(piece)
        out.append(ChunkOffset(start, start + len(piece)))
    return out


def mock_chunking(settings: ChunkingSettings | None) -> ChunkingSettings:
    """``AbstractTestInferenceService.chunkInputs``: no settings -> the whole input is one chunk; ``word``
    settings chunk by words; any other strategy fails as the mock does (a 500)."""
    if settings is None:
        return NoneChunkingSettings()
    if isinstance(settings, WordChunkingSettings):
        return settings
    raise api_error(
        "unsupported_operation_exception", "Test inference service only supports word chunking strategies", status=500
    )


class TestDenseService(InferenceService):
    name = "text_embedding_test_service"
    task_types: ClassVar[tuple[str, ...]] = ("text_embedding",)
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
        settings = service_settings.remaining
        errors: list[str] = []
        model = cast_string(settings.pop("model", None))
        if model is None:
            errors.append("missing model")
        dimensions = cast_integer(settings.pop("dimensions", None))
        if dimensions is None:
            errors.append("missing dimensions")
        similarity = cast_string(settings.pop("similarity", None))
        if similarity is not None:
            similarity = java_enum_value(similarity, SIMILARITIES, _SIMILARITY_CLASS)
        element_type = cast_string(settings.pop("element_type", None))
        if element_type is not None:
            element_type = java_enum_value(element_type, ELEMENT_TYPES, _ELEMENT_TYPE_CLASS)
        if errors:
            raise validation_exception(errors)
        assert model is not None and dimensions is not None
        require_api_key(settings)
        settings.clear()  # the mock ignores everything else
        parsed = TestDenseModel(
            model, dimensions, similarity, element_type, TestTaskSettings.from_map(task_settings.remaining)
        )
        length = embedding_length(dimensions, parsed.element_type)
        if length < 0:  # the validation call at PUT fails
            raise validation_call_failed(error_cause("illegal_argument_exception", f"Illegal Capacity: {length}"))
        return parsed


def validation_call_failed(cause: dict[str, Any]) -> ApiError:
    """``SimpleServiceIntegrationValidator``: PUT runs the endpoint once; its failure is wrapped."""
    return api_error(
        "status_exception",
        "Could not complete inference endpoint creation as validation call to service threw an exception.",
        status=400,
        caused_by=cause,
    )
