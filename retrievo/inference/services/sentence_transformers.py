"""The ``sentence_transformers`` service: retrievo's own name for running any SentenceTransformer
in-process.

::

    PUT _inference/text_embedding/my-minilm
    {"service": "sentence_transformers",
     "service_settings": {"model_id": "sentence-transformers/all-MiniLM-L6-v2",  # or a local dir
                          "device": "auto",        # auto | cpu | cuda | cuda:<n> | mps
                          "batch_size": 32,
                          "dtype": "float32",      # float32 | bfloat16 | float16
                          "backend": "auto",       # optional: auto (default) | torch | onnx
                          "quantization": "none",  # optional: none (default) | int8 (onnx only)
                          "normalize": true}}      # optional: L2-normalise the output

``dimensions`` and ``similarity`` are reported in ``service_settings`` once the model has loaded;
giving them in the request pins them (a model with other dimensions is then an error, and
``similarity`` overrides the model's own similarity function). ``task_settings`` takes no keys.

The ``rerank`` task runs a cross-encoder (``sentence_transformers.CrossEncoder``)::

    PUT _inference/rerank/my-cross-encoder
    {"service": "sentence_transformers",
     "service_settings": {"model_id": "/models/ms-marco-MiniLM-L-6-v2",  # or a Hub id (local cache)
                          "max_length": 512,       # optional: truncate pairs to this many tokens
                          "batch_size": 32,
                          "device": "auto",
                          "dtype": "float32",      # float32 | bfloat16 | float16
                          "backend": "onnx",       # optional: auto (default) | torch | onnx
                          "quantization": "int8"}, # optional: none (default) | int8 (onnx only)
     "task_settings": {"top_n": 10, "return_documents": false}}      # both optional

``backend: auto`` runs the cross-encoder on ONNX Runtime (fp32, same scores) when it can and on PyTorch
otherwise (:mod:`~retrievo.inference.services.cross_encoder_model`).

Scores are raw logits (see :mod:`~retrievo.inference.services.cross_encoder_model`). A model that
cannot be loaded is a 400 naming it and saying how to provide it offline; nothing is substituted.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import status_exception
from ..settings_parsing import SettingsReader, invalid_value_message
from .base import EndpointModel, InferenceService, RerankModel, ServiceContext
from .cross_encoder_model import CrossEncoderOptions, CrossEncoderRerankModel, LazyCrossEncoder
from .model_loading import (
    BI_ENCODER_RERANK_INFERENCE_ID,
    PACKAGED_MODEL_HUB_ID,
    cross_encoder_remedy,
    packaged_model_path,
    resolve_model_source,
)
from .onnx_export import BACKENDS, QUANTIZATIONS, onnxruntime_available
from .sentence_transformer_model import EncoderOptions, LazySentenceTransformer, SentenceTransformerEmbeddingModel

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("float32", "bfloat16", "float16")  # float16: a GPU's half precision (slow on a CPU)
SIMILARITIES = ("cosine", "dot_product", "l2_norm")
DEFAULT_BATCH_SIZE = 32


def read_device(reader: SettingsReader) -> str:
    device = reader.optional_string("device")
    if device is None:
        return "auto"
    if device.lower() in DEVICES or re.fullmatch(r"cuda:\d+", device.lower()):
        return device.lower()
    reader.errors.append(invalid_value_message("device", reader.scope, device, (*DEVICES, "cuda:<n>")))
    return "auto"


def read_backend(reader: SettingsReader) -> tuple[str, str]:
    """``backend`` (``auto``/``torch``/``onnx``) and ``quantization`` (``none``/``int8``, ONNX only):
    what runs the model (:mod:`.onnx_export`). Raises the reader's collected errors."""
    backend = reader.optional_enum("backend", ("auto", *BACKENDS)) or "auto"
    quantization = reader.optional_enum("quantization", QUANTIZATIONS) or "none"
    reader.raise_if_errors()
    if quantization != "none" and backend == "torch":
        raise status_exception(f"[service_settings] quantization [{quantization}] needs backend [onnx]")
    if backend == "onnx" or quantization != "none":
        if not onnxruntime_available():
            raise status_exception("[service_settings] backend [onnx] was requested but onnxruntime is not installed")
        backend = "onnx"
    return backend, quantization


def backend_view(backend: str, quantization: str) -> dict[str, str]:
    """The backend settings as the endpoint shows them (only those that differ from the defaults)."""
    view = {}
    if backend != "auto":
        view["backend"] = backend
    if quantization != "none":
        view["quantization"] = quantization
    return view


class SentenceTransformersEmbeddingModel(SentenceTransformerEmbeddingModel):
    def service_settings_view(self) -> dict[str, Any]:
        options = self.encoder.options
        view: dict[str, Any] = {
            "model_id": options.source.model_id,
            "device": options.device,
            "batch_size": options.batch_size,
            "dtype": options.dtype,
        }
        if options.normalize is not None:
            view["normalize"] = options.normalize
        view.update(backend_view(options.backend, options.quantization))
        view.update(self.embedding_details())
        return view


class SentenceTransformersRerankModel(CrossEncoderRerankModel):
    def service_settings_view(self) -> dict[str, Any]:
        options = self.encoder.options
        view: dict[str, Any] = {
            "model_id": options.source.model_id,
            "device": options.device,
            "batch_size": options.batch_size,
            "dtype": options.dtype,
        }
        if options.max_length is not None:
            view["max_length"] = options.max_length
        view.update(backend_view(options.backend, options.quantization))
        return view


def _reject_bi_encoder(model_id: str, location: str) -> None:
    packaged = packaged_model_path()
    if model_id.lower() == PACKAGED_MODEL_HUB_ID.lower() or (packaged is not None and location == str(packaged)):
        raise status_exception(
            f"[{model_id}] is a bi-encoder (text_embedding) model, not a cross-encoder; rerank with it "
            f"through the [bi_encoder] service, e.g. the preconfigured [{BI_ENCODER_RERANK_INFERENCE_ID}] "
            f"endpoint"
        )


class SentenceTransformersService(InferenceService):
    name = "sentence_transformers"
    task_types = ("text_embedding", "rerank")

    def parse_request_config(
        self,
        *,
        inference_id: str,
        task_type: str,
        service_settings: SettingsReader,
        task_settings: SettingsReader,
        context: ServiceContext,
    ) -> EndpointModel:
        if task_type == "rerank":
            return self._parse_rerank(service_settings, task_settings, context)
        reader = service_settings
        model_id = reader.required_string("model_id")
        device = read_device(reader)
        batch_size = reader.optional_positive_int("batch_size") or DEFAULT_BATCH_SIZE
        dtype = reader.optional_enum("dtype", DTYPES) or "float32"
        normalize = reader.optional_bool("normalize")
        dimensions = reader.optional_positive_int("dimensions")
        similarity = reader.optional_enum("similarity", SIMILARITIES)
        backend, quantization = read_backend(reader)
        assert model_id is not None
        options = EncoderOptions(
            resolve_model_source(model_id),
            device,
            dtype,
            batch_size,
            normalize,
            dimensions,
            backend=backend,
            quantization=quantization,
        )
        encoder = LazySentenceTransformer(options, context.model_cache)
        return SentenceTransformersEmbeddingModel(encoder, similarity)

    @staticmethod
    def _parse_rerank(reader: SettingsReader, task_reader: SettingsReader, context: ServiceContext) -> RerankModel:
        model_id = reader.required_string("model_id")
        device = read_device(reader)
        batch_size = reader.optional_positive_int("batch_size") or DEFAULT_BATCH_SIZE
        dtype = reader.optional_enum("dtype", DTYPES) or "float32"
        max_length = reader.optional_positive_int("max_length")
        backend, quantization = read_backend(reader)
        settings = SentenceTransformersRerankModel.read_task_settings(task_reader)
        assert model_id is not None
        source = resolve_model_source(model_id, cross_encoder_remedy())
        _reject_bi_encoder(model_id, source.location)
        options = CrossEncoderOptions(
            source,
            device,
            dtype,
            batch_size,
            max_length,
            hub_id=None if source.is_local else model_id,
            backend=backend,
            quantization=quantization,
        )
        return SentenceTransformersRerankModel(LazyCrossEncoder(options, context.model_cache), settings)
