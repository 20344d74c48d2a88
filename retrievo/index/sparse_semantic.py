"""Storage for ``semantic_text`` fields whose endpoint is a ``sparse_embedding`` one.

Elasticsearch keeps such a value as chunks whose embeddings are a nested ``sparse_vector`` field
(``<field>.inference.chunks.embeddings``), and searches them with a nested ``sparse_vector`` query whose
document score is its best chunk's (``score_mode: max``). Here each chunk is one row of a ``FeatureField``
inverted index (:mod:`retrievo.index.sparse_vectors`) whose "documents" are chunk rows, and
:class:`SparseSemanticField` remembers which document owns each row; the row statistics are the nested
field's (pruning reads them), and a deleted document's rows stop counting at the next refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrievo.index.inverted import InvertedField, InvertedFieldWriter
from retrievo.index.sparse_vectors import add_features, encode_feature_value

__all__ = ["SparseChunk", "SparseSemanticField", "SparseSemanticFieldWriter", "is_sparse_chunk"]


@dataclass(frozen=True)
class SparseChunk:
    """One chunk of a value: code-point offsets into its text and the endpoint's token → weight map."""

    start: int
    end: int
    embedding: Mapping[str, float]


def is_sparse_chunk(chunk: Any) -> bool:
    """Whether a chunk (a ``Chunk`` or a :class:`SparseChunk`) carries a sparse embedding."""
    return isinstance(chunk.embedding, Mapping)


@dataclass(frozen=True, eq=False)
class SparseSemanticField:
    """An immutable snapshot: the chunk rows' features and each row's document and offsets."""

    name: str
    features: InvertedField  # "documents" are chunk rows
    chunk_docs: np.ndarray  # int32[n_chunks]
    chunk_offsets: np.ndarray  # int32[n_chunks, 2]

    def describe(self) -> dict[str, Any]:
        return {"semantic_text": True, "sparse": True, "chunks": int(self.chunk_docs.size)}


@dataclass
class SparseSemanticFieldWriter:
    """Collects the sparse chunks of one ``semantic_text`` field between refreshes."""

    name: str
    features: InvertedFieldWriter = field(init=False)
    chunk_docs: list[int] = field(default_factory=list)
    chunk_offsets: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.features = InvertedFieldWriter(self.name, with_norms=False, with_positions=False)

    def add(self, doc: int, chunks: list[SparseChunk]) -> None:
        for chunk in chunks:
            row = len(self.chunk_docs)
            encoded = {token: encode_feature_value(weight) for token, weight in chunk.embedding.items()}
            add_features(self.features, row, encoded)
            self.chunk_docs.append(doc)
            self.chunk_offsets.append((chunk.start, chunk.end))

    def refresh(self, max_doc: int, live: np.ndarray, dirty_deletes: bool) -> SparseSemanticField:
        docs = np.asarray(self.chunk_docs, dtype=np.int32)
        offsets = np.asarray(self.chunk_offsets, dtype=np.int32).reshape(-1, 2)
        chunk_live = live[docs] if docs.size else np.zeros(0, dtype=bool)
        snapshot = self.features.refresh(int(docs.size), chunk_live, dirty_deletes)
        return SparseSemanticField(self.name, snapshot, docs, offsets)
