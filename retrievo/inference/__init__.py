"""Inference endpoints (the ``_inference`` API), the services behind them, and text chunking.

* :class:`InferenceRegistry` -- endpoints by id, the preconfigured ``.all-minilm-l6-v2``,
  ``.all-minilm-l6-v2-rerank`` and ``.rerank-v1-elasticsearch``, the embedding and rerank caches;
  what the planner and ``semantic_text`` call (``embed``, ``chunk``, ``embed_chunks``, ``sparse_embed``,
  ``sparse_embed_chunks``, ``rerank_scores``, ``rerank_scores_with_stats``, ``rerank_window``,
  ``rerank_top_n``).
* :class:`InferenceClient` -- the official client's ``client.inference`` methods over a registry
  (``put``, ``get``, ``delete``, ``inference``, ``text_embedding``, ``rerank`` ...).
* :mod:`retrievo.inference.chunking` -- Elasticsearch's sentence/word chunkers and ``chunking_settings``.
* :mod:`retrievo.inference.services` -- ``sentence_transformers`` (bi-encoders, cross-encoders),
  ``elasticsearch`` (Eland ids), ``bi_encoder`` (rerank by embedding cosine), ``cohere`` and
  ``hugging_face`` (rerank over HTTP), and Elasticsearch's deterministic test mocks
  ``test_reranking_service``, ``text_embedding_test_service``, ``test_service`` (sparse) and
  ``completion_test_service``.

This package never imports ``retrievo.planner`` or ``retrievo.retrievers``.
"""

from .chunking import (
    ChunkingSettings,
    ChunkOffset,
    NoneChunkingSettings,
    SentenceChunkingSettings,
    WordChunkingSettings,
    chunk_text,
    parse_chunking_settings,
)
from .client import InferenceClient
from .endpoint import Endpoint
from .registry import DEFAULT_EMBEDDING_INFERENCE_ID, EmbeddedChunk, InferenceRegistry, SparseEmbeddedChunk
from .rerank_cache import RerankCallStats
from .services.elasticsearch import DEFAULT_RERANK_INFERENCE_ID
from .services.model_loading import BI_ENCODER_RERANK_INFERENCE_ID
from .task_types import InferenceRequest

__all__ = [
    "BI_ENCODER_RERANK_INFERENCE_ID",
    "DEFAULT_EMBEDDING_INFERENCE_ID",
    "DEFAULT_RERANK_INFERENCE_ID",
    "ChunkOffset",
    "ChunkingSettings",
    "EmbeddedChunk",
    "Endpoint",
    "InferenceClient",
    "InferenceRegistry",
    "InferenceRequest",
    "NoneChunkingSettings",
    "RerankCallStats",
    "SentenceChunkingSettings",
    "SparseEmbeddedChunk",
    "WordChunkingSettings",
    "chunk_text",
    "parse_chunking_settings",
]
