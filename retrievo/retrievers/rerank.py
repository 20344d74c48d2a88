"""``text_similarity_reranker``: rerank a child's window with a rerank inference endpoint.

The child runs with ``rank_window_size`` as its size; each hit's ``field`` value (or, with
``chunk_rescorer``, its best chunks) goes to the model with ``inference_text``; the raw score is
compared with ``min_score`` and then normalised to ``max(s, 0) + min(exp(s), 1)`` (spec §6).
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.retriever import WrappingRetriever

DEFAULT_RERANK_INFERENCE_ID = ".rerank-v1-elasticsearch"


class ChunkRescorer(Node):
    """Send only the ``size`` best chunks of each document (BM25 against ``inference_text``)."""

    kind: ClassVar[str] = "chunk_rescorer"
    size: int = 1
    chunking_settings: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.size != 1:
            body["size"] = self.size
        if self.chunking_settings is not None:
            body["chunking_settings"] = dict(self.chunking_settings)
        return body


class TextSimilarityReranker(WrappingRetriever):
    kind: ClassVar[str] = "text_similarity_reranker"
    field: str
    inference_text: str
    inference_id: str = DEFAULT_RERANK_INFERENCE_ID
    allow_rerank_failures: bool = False
    chunk_rescorer: ChunkRescorer | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "inference_id": self.inference_id,
            "field": self.field,
            "inference_text": repr(self.inference_text),
            "rank_window_size": self.rank_window_size,
        }
        if self.chunk_rescorer is not None:
            out["chunk_rescorer"] = self.chunk_rescorer.to_json()
        return {**out, **super().describe()}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "retriever": self.retriever.to_json(),
            "field": self.field,
            "inference_text": self.inference_text,
        }
        if self.inference_id != DEFAULT_RERANK_INFERENCE_ID:
            body["inference_id"] = self.inference_id
        if self.rank_window_size != DEFAULT_RANK_WINDOW_SIZE:
            body["rank_window_size"] = self.rank_window_size
        if self.allow_rerank_failures:
            body["allow_rerank_failures"] = True
        if self.chunk_rescorer is not None:
            body["chunk_rescorer"] = self.chunk_rescorer.to_json()
        return {"text_similarity_reranker": {**body, **self._base_json()}}
