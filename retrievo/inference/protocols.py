"""What a search needs from inference, as structural types.

The planner names these protocols and the engine hands it an :class:`~retrievo.inference.InferenceRegistry`
(or a wrapper around one: a multi-search's shared batch, a search's per-endpoint locks). They live on the
inference side so that it satisfies them without importing the planner, and so that a wrapper is checked
against exactly the methods a search calls rather than the whole registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .rerank_cache import RerankCallStats


class Embedder(Protocol):
    """Turns (inference endpoint id, query text) into one query vector."""

    def __call__(self, inference_id: str, text: str, /) -> np.ndarray: ...


class SparseEmbedder(Protocol):
    """The sparse side of the registry (``sparse_embedding`` endpoints), as ``sparse_vector`` queries
    and sparse ``semantic_text`` use it: token -> weight maps, one per text, in input order, and the
    chunked form ingest stores (the registry's :class:`~retrievo.inference.registry.SparseEmbeddedChunk`:
    ``start``, ``end`` code-point offsets and ``embedding``)."""

    def sparse_embed(
        self, inference_id: str, texts: Sequence[str], *, input_type: str | None = None
    ) -> list[dict[str, float]]: ...

    def sparse_embed_chunks(
        self,
        inference_id: str,
        texts: Sequence[str],
        *,
        chunking_settings: Any = None,
        input_type: str | None = "ingest",
    ) -> list[list[Any]]: ...


class Reranker(Protocol):
    """The rerank side of the registry as the ``text_similarity_reranker`` operator and the cost model
    use it: the endpoint's limits, and scores of passages against one query with what the call cost."""

    def rerank_window(self, inference_id: str) -> int | None: ...

    def rerank_top_n(self, inference_id: str) -> int | None: ...

    def rerank_scores_with_stats(
        self, inference_id: str, query: str, texts: Sequence[str]
    ) -> tuple[np.ndarray, RerankCallStats]: ...
