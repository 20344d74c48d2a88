"""The ``bi_encoder`` service (retrievo's own): rerank by cosine similarity of embeddings.

A cross-encoder reads query and passage together and is the better reranker, but needs its own
model files. A bi-encoder reranker needs nothing but an existing ``text_embedding`` endpoint -- by
default the preconfigured ``.all-minilm-l6-v2``, packaged with retrievo -- so it works offline out of
the box; the preconfigured ``.all-minilm-l6-v2-rerank`` endpoint is exactly this::

    PUT _inference/rerank/my-bi-encoder
    {"service": "bi_encoder",
     "service_settings": {"text_embedding_id": ".all-minilm-l6-v2"},   # any text_embedding endpoint
     "task_settings": {"top_n": 10, "return_documents": false}}         # both optional

``score(query, passage) = cos(embed(query, input_type=search), embed(passage, input_type=ingest))``
in float32, 0 for a zero vector. Embeddings go through the registry's embedding cache, so passages
already embedded for ``semantic_text`` (same endpoint, same input type) cost nothing, and the query
is embedded once per call. The passage window is ``floor(0.75 * max_seq_length)`` words of the
embedding model (192 for all-MiniLM-L6-v2) when it is a sentence-transformers model, else 300.

The referenced endpoint must exist and be a ``text_embedding`` endpoint when the rerank endpoint is
created and when it is used; cached scores are keyed by its identity, so re-creating it under the
same id never serves the old model's scores.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from retrievo.errors import ApiError

from ..errors import status_exception
from ..settings_parsing import SettingsReader
from .base import (
    CONSERVATIVE_DEFAULT_WINDOW_WORDS,
    EndpointModel,
    InferenceService,
    RerankModel,
    RerankRuntime,
    RerankSettings,
    ServiceContext,
    window_words_for_tokens,
)
from .sentence_transformer_model import SentenceTransformerEmbeddingModel

DEFAULT_TEXT_EMBEDDING_ID = ".all-minilm-l6-v2"
BI_ENCODER_BATCH_SIZE = 1024  # passages per scoring call; the embedding endpoint batches again


def _embedding_endpoint(lookup: Any, rerank_id: str, embedding_id: str) -> Any:
    try:
        endpoint = lookup(embedding_id)
    except ApiError:
        raise status_exception(
            f"[service_settings.text_embedding_id] of [bi_encoder] endpoint [{rerank_id}] names the "
            f"inference endpoint [{embedding_id}], which does not exist; create a [text_embedding] "
            f"endpoint first or use the preconfigured [{DEFAULT_TEXT_EMBEDDING_ID}]"
        ) from None
    if endpoint.task_type != "text_embedding":
        raise status_exception(
            f"[service_settings.text_embedding_id] of [bi_encoder] endpoint [{rerank_id}] must name a "
            f"[text_embedding] endpoint, but [{embedding_id}] has task type [{endpoint.task_type}]"
        )
    return endpoint


class BiEncoderRerankModel(RerankModel):
    batch_size = BI_ENCODER_BATCH_SIZE

    def __init__(self, inference_id: str, text_embedding_id: str, settings: RerankSettings) -> None:
        super().__init__(settings)
        self.inference_id = inference_id
        self.text_embedding_id = text_embedding_id

    def _endpoint(self, runtime: RerankRuntime) -> Any:
        return _embedding_endpoint(runtime.get, self.inference_id, self.text_embedding_id)

    def cache_variant(self, runtime: RerankRuntime) -> Hashable:
        return self._endpoint(runtime).cache_namespace

    def score_batch(self, query: str, texts: list[str], runtime: RerankRuntime) -> np.ndarray:
        self._endpoint(runtime)
        q = runtime.embed(self.text_embedding_id, [query], input_type="search")[0].astype(np.float32)
        p = runtime.embed(self.text_embedding_id, texts, input_type="ingest").astype(np.float32)
        return cosine(q, p)

    mixed_queries = True

    def score_pairs(self, pairs: list[tuple[str, str]], runtime: RerankRuntime) -> np.ndarray:
        """All distinct queries embedded in one call, all passages in another, then the cosine of each
        pair with the same float32 arithmetic as :meth:`score_batch`."""
        self._endpoint(runtime)
        queries = list(dict.fromkeys(q for q, _ in pairs))
        q_vecs = runtime.embed(self.text_embedding_id, queries, input_type="search").astype(np.float32)
        p_vecs = runtime.embed(self.text_embedding_id, [t for _, t in pairs], input_type="ingest").astype(np.float32)
        row = {q: i for i, q in enumerate(queries)}
        out = np.zeros(len(pairs), dtype=np.float32)
        for q, i in row.items():
            idx = np.fromiter((j for j, (pq, _) in enumerate(pairs) if pq == q), dtype=np.int64)
            out[idx] = cosine(q_vecs[i], p_vecs[idx])
        return out

    def window_words(self, runtime: RerankRuntime) -> int | None:
        model = self._endpoint(runtime).model
        if isinstance(model, SentenceTransformerEmbeddingModel):
            length = getattr(model.encoder.model(), "max_seq_length", None)
            words = window_words_for_tokens(int(length) if length is not None else None)
            if words is not None:
                return words
        return CONSERVATIVE_DEFAULT_WINDOW_WORDS

    def service_settings_view(self) -> dict[str, Any]:
        return {"text_embedding_id": self.text_embedding_id}


def cosine(query: np.ndarray, passages: np.ndarray) -> np.ndarray:
    """Float32 cosine similarity of one query vector with each passage row (0 where a norm is 0)."""
    q = np.asarray(query, dtype=np.float32)
    p = np.asarray(passages, dtype=np.float32)
    denom = np.linalg.norm(p, axis=1).astype(np.float32) * np.float32(np.linalg.norm(q))
    dots = (p @ q).astype(np.float32)
    out = np.zeros(p.shape[0], dtype=np.float32)
    nonzero = denom > 0
    out[nonzero] = dots[nonzero] / denom[nonzero]
    return out


class BiEncoderService(InferenceService):
    name = "bi_encoder"
    task_types = ("rerank",)

    def parse_request_config(
        self,
        *,
        inference_id: str,
        task_type: str,
        service_settings: SettingsReader,
        task_settings: SettingsReader,
        context: ServiceContext,
    ) -> EndpointModel:
        embedding_id = service_settings.optional_string("text_embedding_id") or DEFAULT_TEXT_EMBEDDING_ID
        service_settings.raise_if_errors()
        settings = BiEncoderRerankModel.read_task_settings(task_settings)
        if context.lookup is not None and embedding_id != DEFAULT_TEXT_EMBEDDING_ID:
            _embedding_endpoint(context.lookup, inference_id, embedding_id)
        return BiEncoderRerankModel(inference_id, embedding_id, settings)
