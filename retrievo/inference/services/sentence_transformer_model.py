"""A lazily loaded SentenceTransformer behind a ``text_embedding`` endpoint.

Both the ``sentence_transformers`` and the ``elasticsearch`` services end up here; they differ only
in how they spell their settings. Loading happens on first use, once per endpoint (a
:class:`~retrievo.inference.services.lazy_model.LazyModel`), through the shared
:class:`~retrievo.inference.services.model_loading.LoadedModelCache`.

On the CPU in float32, a model made of the usual modules (Transformer, Pooling, Dense, Normalize) runs
on ONNX Runtime when onnxruntime is installed (``backend: auto``, :mod:`.onnx_export`): the whole
pipeline is exported once, texts are tokenized by the model's own ``preprocess`` and embedded longest
first in sub-batches of about 512 padded tokens (one per core at once), so a batch pads only to its
own longest text. Embeddings equal PyTorch's to ~1e-6; ``quantization: int8`` runs the int8 export
(cosine to the fp32 embeddings ~0.99). A request whose input type selects a prompt runs on PyTorch
(prompt tokens can be excluded from pooling there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..errors import status_exception
from .base import TextEmbeddingModel
from .lazy_model import LazyModel
from .model_loading import LoadedModelCache, ModelSource
from .onnx_export import OnnxRunner, onnx_runner, run_in_length_order

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
    backend: str = "auto"  # auto | torch | onnx
    quantization: str = "none"  # none | int8 (onnx only)


class _Loaded(NamedTuple):
    key: tuple[str, ...]
    model: Any
    onnx: OnnxRunner | None


class LazySentenceTransformer:
    """Loads the model on first use (thread-safe, once) and encodes batches."""

    def __init__(self, options: EncoderOptions, model_cache: LoadedModelCache) -> None:
        self.options = options
        self._model_cache = model_cache
        self._acquired: LazyModel[_Loaded] = LazyModel()

    @property
    def loaded(self) -> bool:
        return self._acquired.value is not None

    def _loaded_model(self) -> Any:
        acquired = self._acquired.value
        return None if acquired is None else acquired.model

    def model(self) -> Any:
        return self._acquired.get(self._acquire).model

    def _acquire(self) -> _Loaded:
        key, model = self._model_cache.acquire(self.options.source, self.options.device, self.options.dtype)
        dims = _dimensions_of(model)
        expected = self.options.expected_dimensions
        if expected is not None and dims is not None and dims != expected:
            self._model_cache.release(key)
            raise status_exception(
                f"[service_settings] dimensions [{expected}] does not match the "
                f"[{dims}] dimensions of model [{self.options.source.model_id}]"
            )
        try:
            onnx = onnx_runner(model, "embedding", self.options)
        except BaseException:
            self._model_cache.release(key)
            raise
        return _Loaded(key, model, onnx)

    def release(self) -> None:
        self._acquired.discard(lambda acquired: self._model_cache.release(acquired.key))

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
        loaded = self._acquired.get(self._acquire)
        model = loaded.model
        prompt_name = self.prompt_name(input_type)
        if loaded.onnx is not None and prompt_name is None:
            vectors, _ = run_in_length_order(
                model, loaded.onnx, texts, [len(t) for t in texts], self.options.batch_size
            )
            if self.options.normalize:
                # torch.nn.functional.normalize, as sentence-transformers' normalize_embeddings
                norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.float32(1e-12))
                vectors = vectors / norms
            return np.asarray(vectors, dtype=np.float32)
        vectors = model.encode(
            texts,
            prompt_name=prompt_name,
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
