"""Storage for ``semantic_text`` fields: the chunks of each document and their embeddings.

Elasticsearch keeps a semantic_text value as chunks (start/end offsets into the text) with one
embedding each, and searches them as a nested kNN query whose document score is its best chunk's.
Here every chunk is one row of an ordinary :class:`~retrievo.index.vectors.VectorField` (row id =
chunk id), and :class:`SemanticField` lifts chunk hits to document hits. The vectors come from the
field's inference endpoint through an embedder the engine supplies — ``index/`` stays independent of
the inference package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


class ChunkEmbedder(Protocol):
    """What the shard needs from inference: chunk texts and embed the chunks (batched, cached)."""

    def embed_chunks(
        self, inference_id: str, texts: Sequence[str], *, chunking_settings: Any = None, input_type: str = "ingest"
    ) -> list[list[Any]]: ...


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    embedding: np.ndarray


@dataclass(frozen=True, eq=False)
class SemanticField:
    """An immutable snapshot: chunk vectors plus which document each chunk belongs to."""

    name: str
    chunks: Any  # VectorField over chunk rows, or None before the first vector
    chunk_docs: np.ndarray  # int32[n_chunks]
    chunk_offsets: np.ndarray  # int32[n_chunks, 2]: (start, end) into the document's text
    dims: int | None

    def describe(self) -> dict[str, Any]:
        base = self.chunks.describe() if self.chunks is not None else {}
        return {**base, "semantic_text": True, "chunks": int(self.chunk_docs.size)}

    def search(
        self,
        query: Any,
        k: int,
        num_candidates: int,
        filter_mask: np.ndarray | None = None,
        similarity_threshold: float | None = None,
        oversample: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best documents by their best chunk, among documents passing ``filter_mask``."""
        if self.chunks is None or self.chunk_docs.size == 0:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        chunk_mask = None if filter_mask is None else filter_mask[self.chunk_docs]
        # Enough chunks that k distinct documents survive even when documents have many chunks.
        want = max(num_candidates, k)
        rows, scores = self.chunks.search(query, want, want, chunk_mask, similarity_threshold, oversample)
        docs = self.chunk_docs[rows]
        best: dict[int, float] = {}
        for d, s in zip(docs.tolist(), scores.tolist()):
            if d not in best:  # rows arrive best first: the first chunk seen is the document's best
                best[d] = s
        ordered = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]
        return (np.array([d for d, _ in ordered], dtype=np.int32), np.array([s for _, s in ordered], dtype=np.float32))


@dataclass
class SemanticFieldWriter:
    name: str
    index_options: Any = None
    vectors: Any = None  # VectorFieldWriter, created at the first embedding
    chunk_docs: list[int] = field(default_factory=list)
    chunk_offsets: list[tuple[int, int]] = field(default_factory=list)
    dims: int | None = None

    def add(self, doc: int, chunks: list[Chunk]) -> None:
        from retrievo.index.vectors import VectorFieldWriter

        for chunk in chunks:
            if self.vectors is None:
                self.dims = int(chunk.embedding.shape[0])
                self.vectors = VectorFieldWriter(self.name, self.dims, "cosine", "float", self.index_options)
            self.vectors.add(len(self.chunk_docs), np.asarray(chunk.embedding, dtype=np.float32))
            self.chunk_docs.append(doc)
            self.chunk_offsets.append((chunk.start, chunk.end))

    def refresh(self, max_doc: int, live: np.ndarray, dirty_deletes: bool) -> SemanticField:
        docs = np.asarray(self.chunk_docs, dtype=np.int32)
        offsets = np.asarray(self.chunk_offsets, dtype=np.int32).reshape(-1, 2)
        snapshot = None
        if self.vectors is not None:
            chunk_live = live[docs] if docs.size else np.zeros(0, dtype=bool)
            snapshot = self.vectors.refresh(docs.size, chunk_live, dirty_deletes)
        return SemanticField(self.name, snapshot, docs, offsets, self.dims)
