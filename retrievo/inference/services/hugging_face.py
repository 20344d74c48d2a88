"""The ``hugging_face`` service: ``rerank`` over HTTP; ``text_embedding`` rejected with the alternative.

In Elasticsearch this service sends every request over HTTP to a Hugging Face Inference Endpoint
(``service_settings.url`` + ``api_key``). For ``rerank`` (Elasticsearch 9.1+) retrievo does the same:
the URL is a text-embeddings-inference ``/rerank`` route (see
:mod:`~retrievo.inference.services.http_rerank`; task settings ``top_n``, ``return_documents``).
retrievo does not make network calls for embeddings: the same models run in-process with the
``sentence_transformers`` service.
"""

from __future__ import annotations

from retrievo.errors import not_supported

from ..settings_parsing import SettingsReader
from .base import EndpointModel, InferenceService, ServiceContext
from .http_rerank import HuggingFaceRerank


class HuggingFaceService(InferenceService):
    name = "hugging_face"
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
            return HuggingFaceRerank().parse(inference_id, service_settings, task_settings)
        raise not_supported(
            "the [hugging_face] service (remote Hugging Face Inference Endpoints)",
            "use the [sentence_transformers] service with [service_settings.model_id] set to the "
            "model's Hub id or a local directory to run the same model in-process",
        )
