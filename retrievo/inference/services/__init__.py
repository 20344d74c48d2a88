"""Inference services by name: adding a service is one class and one entry in :data:`SERVICES`."""

from __future__ import annotations

from .base import EndpointModel, InferenceService, ServiceContext, TextEmbeddingModel
from .elasticsearch import ElasticsearchService
from .hugging_face import HuggingFaceService
from .model_loading import SHARED_MODEL_CACHE, LoadedModelCache
from .sentence_transformers import SentenceTransformersService

SERVICES: dict[str, InferenceService] = {
    service.name: service
    for service in (SentenceTransformersService(), ElasticsearchService(), HuggingFaceService())
}

__all__ = ["SERVICES", "EndpointModel", "InferenceService", "ServiceContext", "TextEmbeddingModel",
           "LoadedModelCache", "SHARED_MODEL_CACHE"]
