"""Inference endpoints (the ``_inference`` API), the services behind them, and text chunking.

* :class:`InferenceRegistry` -- endpoints by id, preconfigured ``.all-minilm-l6-v2``, embedding cache;
  what the planner and ``semantic_text`` call (``embed``, ``chunk``, ``embed_chunks``).
* :class:`InferenceClient` -- the official client's ``client.inference`` methods over a registry.
* :mod:`retrievo.inference.chunking` -- Elasticsearch's sentence/word chunkers and ``chunking_settings``.
* :mod:`retrievo.inference.services` -- ``sentence_transformers``, ``elasticsearch`` (Eland ids),
  ``hugging_face`` (rejected).

This package never imports ``retrievo.planner`` or ``retrievo.retrievers``.
"""

from .chunking import (ChunkingSettings, ChunkOffset, NoneChunkingSettings, SentenceChunkingSettings,
                       WordChunkingSettings, chunk_text, parse_chunking_settings)
from .client import InferenceClient
from .endpoint import Endpoint
from .registry import DEFAULT_EMBEDDING_INFERENCE_ID, EmbeddedChunk, InferenceRegistry
from .task_types import InferenceRequest

__all__ = [
    "InferenceClient", "InferenceRegistry", "Endpoint", "EmbeddedChunk", "InferenceRequest",
    "DEFAULT_EMBEDDING_INFERENCE_ID", "ChunkingSettings", "ChunkOffset", "SentenceChunkingSettings",
    "WordChunkingSettings", "NoneChunkingSettings", "chunk_text", "parse_chunking_settings",
]
