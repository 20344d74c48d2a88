"""Inference services by name: adding a service is one class and one entry in :data:`SERVICES`."""

from __future__ import annotations

from .base import (
    CompletionModel,
    EndpointModel,
    InferenceService,
    RankedScores,
    RerankModel,
    RerankSettings,
    ServiceContext,
    SparseEmbeddingModel,
    TextEmbeddingModel,
)
from .bi_encoder import BiEncoderService
from .elasticsearch import ElasticsearchService
from .http_rerank import CohereService
from .hugging_face import HuggingFaceService
from .model_loading import SHARED_MODEL_CACHE, LoadedModelCache
from .onnx_models import MetarankService
from .sentence_transformers import SentenceTransformersService
from .test_completion import StreamingCompletionTestService, TestCompletionService
from .test_dense import TestDenseService
from .test_reranking import TestRerankingService
from .test_sparse import TestSparseService

SERVICES: dict[str, InferenceService] = {
    service.name: service
    for service in (
        SentenceTransformersService(),
        ElasticsearchService(),
        HuggingFaceService(),
        BiEncoderService(),
        CohereService(),
        TestRerankingService(),
        TestDenseService(),
        TestSparseService(),
        TestCompletionService(),
        StreamingCompletionTestService(),
        MetarankService(),
    )
}

__all__ = [
    "SERVICES",
    "SHARED_MODEL_CACHE",
    "CompletionModel",
    "EndpointModel",
    "InferenceService",
    "LoadedModelCache",
    "RankedScores",
    "RerankModel",
    "RerankSettings",
    "ServiceContext",
    "SparseEmbeddingModel",
    "TextEmbeddingModel",
]
