"""The ``sentence_transformers`` service: retrievo's own name for running any SentenceTransformer
in-process.

::

    PUT _inference/text_embedding/my-minilm
    {"service": "sentence_transformers",
     "service_settings": {"model_id": "sentence-transformers/all-MiniLM-L6-v2",  # or a local dir
                          "device": "auto",        # auto | cpu | cuda | cuda:<n> | mps
                          "batch_size": 32,
                          "dtype": "float32",      # float32 | bfloat16
                          "normalize": true}}      # optional: L2-normalise the output

``dimensions`` and ``similarity`` are reported in ``service_settings`` once the model has loaded;
giving them in the request pins them (a model with other dimensions is then an error, and
``similarity`` overrides the model's own similarity function). ``task_settings`` takes no keys.
"""

from __future__ import annotations

import re
from typing import Any

from ..settings_parsing import SettingsReader, invalid_value_message
from .base import EndpointModel, InferenceService, ServiceContext
from .model_loading import resolve_model_source
from .sentence_transformer_model import (EncoderOptions, LazySentenceTransformer,
                                         SentenceTransformerEmbeddingModel)

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("float32", "bfloat16")
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


class SentenceTransformersEmbeddingModel(SentenceTransformerEmbeddingModel):
    def service_settings_view(self) -> dict[str, Any]:
        options = self.encoder.options
        view: dict[str, Any] = {"model_id": options.source.model_id, "device": options.device,
                                "batch_size": options.batch_size, "dtype": options.dtype}
        if options.normalize is not None:
            view["normalize"] = options.normalize
        view.update(self.embedding_details())
        return view


class SentenceTransformersService(InferenceService):
    name = "sentence_transformers"
    task_types = ("text_embedding",)

    def parse_request_config(self, *, inference_id: str, task_type: str,
                             service_settings: SettingsReader, task_settings: SettingsReader,
                             context: ServiceContext) -> EndpointModel:
        reader = service_settings
        model_id = reader.required_string("model_id")
        device = read_device(reader)
        batch_size = reader.optional_positive_int("batch_size") or DEFAULT_BATCH_SIZE
        dtype = reader.optional_enum("dtype", DTYPES) or "float32"
        normalize = reader.optional_bool("normalize")
        dimensions = reader.optional_positive_int("dimensions")
        similarity = reader.optional_enum("similarity", SIMILARITIES)
        reader.raise_if_errors()
        assert model_id is not None
        options = EncoderOptions(resolve_model_source(model_id), device, dtype, batch_size, normalize,
                                 dimensions)
        encoder = LazySentenceTransformer(options, context.model_cache)
        return SentenceTransformersEmbeddingModel(encoder, similarity)
