"""The ``hugging_face`` service: rejected with a pointer to the in-process equivalent.

In Elasticsearch this service sends every request over HTTP to a Hugging Face Inference Endpoint
(``service_settings.url`` + ``api_key``). retrievo does not make network calls for embeddings; the
same models run in-process with the ``sentence_transformers`` service.
"""

from __future__ import annotations

from retrievo.errors import not_supported

from ..settings_parsing import SettingsReader
from .base import EndpointModel, InferenceService, ServiceContext


class HuggingFaceService(InferenceService):
    name = "hugging_face"
    task_types = ("text_embedding",)

    def parse_request_config(self, *, inference_id: str, task_type: str,
                             service_settings: SettingsReader, task_settings: SettingsReader,
                             context: ServiceContext) -> EndpointModel:
        raise not_supported(
            "the [hugging_face] service (remote Hugging Face Inference Endpoints)",
            "use the [sentence_transformers] service with [service_settings.model_id] set to the "
            "model's Hub id or a local directory to run the same model in-process")
