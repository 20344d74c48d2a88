"""A lazily loaded SentenceTransformer behind a ``text_embedding`` endpoint.

Both the ``sentence_transformers`` and the ``elasticsearch`` services end up here; they differ only
in how they spell their settings. Loading happens on first use, once per endpoint (a
:class:`~retrievo.inference.services.lazy_model.LazyModel`), through the shared
:class:`~retrievo.inference.services.model_loading.LoadedModelCache`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import status_exception
from .base import TextEmbeddingModel
from .lazy_model import LazyModel
from .model_loading import LoadedModelCache, ModelSource

# SentenceTransformer similarity function names -> Elasticsearch SimilarityMeasure names.
_SIMILARITY_NAMES = {"cosine": "cosine", "dot": "dot_product", "euclidean": "l2_norm"}
# input_type -> the prompt names models conventionally define for it, in order of preference.
_PROMPTS_FOR_INPUT_TYPE = {
    "search": ("query",),
    "ingest": ("document", "passage", "corpus"),
    "classification": ("classification",),
    "clustering": ("clustering",),
}


@dataclass(frozen=True)
class EncoderOptions:
    """How to load and call the model; equal options share one loaded model."""

    source: ModelSource
    device: str = "auto"
    dtype: str = "float32"
    batch_size: int = 32
    normalize: bool | None = None
    expected_dimensions: int | None = None


class LazySentenceTransformer:
    """Loads the model on first use (thread-safe, once) and encodes batches."""

    def __init__(self, options: EncoderOptions, model_cache: LoadedModelCache) -> None:
        self.options = options
        self._model_cache = model_cache
        self._acquired: LazyModel[tuple[tuple[str, ...], Any]] = LazyModel()  # (cache key, model)

    @property
    def loaded(self) -> bool:
        return self._acquired.value is not None

    def _loaded_model(self) -> Any:
        acquired = self._acquired.value
        return None if acquired is None else acquired[1]

    def model(self) -> Any:
        return self._acquired.get(self._acquire)[1]

    def _acquire(self) -> tuple[tuple[str, ...], Any]:
        key, model = self._model_cache.acquire(self.options.source, self.options.device, self.options.dtype)
        dims = _dimensions_of(model)
        expected = self.options.expected_dimensions
        if expected is not None and dims is not None and dims != expected:
            self._model_cache.release(key)
            raise status_exception(
                f"[service_settings] dimensions [{expected}] does not match the "
                f"[{dims}] dimensions of model [{self.options.source.model_id}]"
            )
        return key, model

    def release(self) -> None:
        self._acquired.discard(lambda acquired: self._model_cache.release(acquired[0]))

    @property
    def dimensions(self) -> int | None:
        model = self._loaded_model()
        return _dimensions_of(model) if model is not None else None

    @property
    def similarity(self) -> str | None:
        model = self._loaded_model()
        if model is None:
            return None
        name = str(getattr(model, "similarity_fn_name", None) or "cosine")
        return _SIMILARITY_NAMES.get(name)

    def prompt_name(self, input_type: str | None) -> str | None:
        if input_type is None:
            return None
        prompts = getattr(self.model(), "prompts", None) or {}
        for name in _PROMPTS_FOR_INPUT_TYPE.get(input_type, ()):
            if prompts.get(name):
                return name
        return None

    def encode(self, texts: list[str], input_type: str | None) -> np.ndarray:
        model = self.model()
        vectors = model.encode(
            texts,
            prompt_name=self.prompt_name(input_type),
            batch_size=max(len(texts), 1),
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=bool(self.options.normalize),
        )
        return np.asarray(vectors, dtype=np.float32)


def _dimensions_of(model: Any) -> int | None:
    for name in ("get_embedding_dimension", "get_sentence_embedding_dimension"):
        method = getattr(model, name, None)
        if method is not None:
            dims = method()
            return int(dims) if dims is not None else None
    return None


class SentenceTransformerEmbeddingModel(TextEmbeddingModel):
    """``text_embedding`` through a lazily loaded SentenceTransformer; services add the settings view."""

    def __init__(self, encoder: LazySentenceTransformer, similarity: str | None = None) -> None:
        self.encoder = encoder
        self.batch_size = encoder.options.batch_size
        self._configured_similarity = similarity

    def encode(self, texts: list[str], input_type: str | None) -> np.ndarray:
        return self.encoder.encode(texts, input_type)

    def cache_variant(self, input_type: str | None) -> str:
        return self.encoder.prompt_name(input_type) or ""

    def release(self) -> None:
        self.encoder.release()

    def embedding_details(self) -> dict[str, Any]:
        """``dimensions`` and ``similarity`` once known (after the model loaded)."""
        details: dict[str, Any] = {}
        dims = self.encoder.dimensions or self.encoder.options.expected_dimensions
        if dims is not None:
            details["dimensions"] = dims
        similarity = self._configured_similarity or self.encoder.similarity
        if similarity is not None:
            details["similarity"] = similarity
        return details

    def service_settings_view(self) -> dict[str, Any]:  # overridden by each service
        return {"model_id": self.encoder.options.source.model_id, **self.embedding_details()}
