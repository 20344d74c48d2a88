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

from retrievo.errors import illegal_argument
from retrievo.index.field_types.base import MappingDefinitionError
from retrievo.index.field_types.semantic_text import check_index_options_task
from retrievo.index.mappings import Mappings
from retrievo.index.mappings.parsing import wrap_definition_error

#: Element types whose chunk embeddings are stored (``bit`` is not: no Hamming-distance index).
STORED_ELEMENT_TYPES = ("float", "byte", "bfloat16")


class ChunkEmbedder(Protocol):
    """What the shard needs from inference: chunk texts and embed the chunks (batched, cached)."""

    def embed_chunks(
        self, inference_id: str, texts: Sequence[str], *, chunking_settings: Any = None, input_type: str = "ingest"
    ) -> list[list[Any]]: ...


@dataclass(frozen=True)
class EndpointVectors:
    """What an endpoint's model settings say about the embeddings a semantic_text field stores
    (Elasticsearch's ``MinimalServiceSettings``): the task type, and for dense endpoints the
    dimensions, similarity and element type of the ``dense_vector`` field the chunks go to."""

    task_type: str
    dims: int | None = None
    similarity: str = "cosine"
    element_type: str = "float"
    #: Each chunk's embedding as stored (see :attr:`SemanticField.embeddings`); ``None``: not kept
    #: (a data directory written before they were).
    embeddings: list[np.ndarray] | None = field(default_factory=list)


def endpoint_vectors(embedder: object, inference_id: str) -> EndpointVectors | None:
    """The model settings of ``inference_id`` in the engine's inference registry (its ``get``), or
    ``None`` when the embedder has no registry or does not know the endpoint (the embedding call
    that follows words that error)."""
    get = getattr(embedder, "get", None)
    if get is None:
        return None
    try:
        endpoint = get(inference_id)
    except Exception:  # noqa: BLE001 - reported by the embedding call
        return None
    model = getattr(endpoint, "model", None)
    dims = getattr(model, "dimensions", None)
    return EndpointVectors(
        task_type=str(endpoint.task_type),
        dims=dims if isinstance(dims, int) else None,
        similarity=str(getattr(model, "similarity", None) or "cosine"),
        element_type=str(getattr(model, "element_type", None) or "float"),
    )


def check_semantic_index_options(mappings: Mappings, embedder: object) -> None:
    """Every semantic_text field's ``index_options`` against its endpoint's task type and dimensions
    (Elasticsearch validates them when the mapping is built, with the endpoint's model settings).
    Raises Elasticsearch's ``mapper_parsing_exception``."""
    for fm in mappings.leaf_fields():
        options = fm.params.get("index_options") if fm.type == "semantic_text" else None
        if options is None:
            continue
        settings = endpoint_vectors(embedder, fm.params["inference_id"])
        if settings is None:
            continue
        try:
            check_index_options_task(fm.path, options, settings.task_type, settings.dims, settings.element_type)
        except MappingDefinitionError as failure:
            raise wrap_definition_error(failure) from None


def check_ingest_options(path: str, options: Any, settings: EndpointVectors | None) -> None:
    """The mapping-time check again at ingest, for an endpoint created (or replaced) after the mapping:
    the same message, as the ``illegal_argument_exception`` of the write; nothing is written."""
    if settings is None or options is None:
        return
    try:
        check_index_options_task(path, options, settings.task_type, settings.dims, settings.element_type)
    except MappingDefinitionError as failure:
        raise illegal_argument(failure.reason) from None


def check_chunk_embeddings(embeddings: Sequence[np.ndarray], settings: EndpointVectors | None) -> None:
    """What the chunk ``dense_vector`` field checks when a document's embeddings are indexed
    (``checkVectorErrors`` and ``checkVectorMagnitude``): a ``dot_product`` float endpoint must return
    unit-length vectors, a ``cosine`` one non-zero vectors, a ``byte`` one whole numbers in
    [-128, 127]. Raises Elasticsearch's ``illegal_argument_exception``; nothing is written."""
    if settings is None:
        return
    from retrievo.index.vectors import messages

    element_type = "byte" if settings.element_type == "byte" else "float"
    for embedding in embeddings:
        values = np.asarray(embedding, dtype=np.float32)
        problem = messages.vector_error(values, element_type) or messages.magnitude_error(
            values, settings.similarity, element_type
        )
        if problem is not None:
            raise illegal_argument(problem + messages.preview(values, as_int=element_type == "byte"))


def as_stored(embedding: np.ndarray, element_type: str) -> np.ndarray:
    """A chunk embedding as the ``dense_vector`` field of its element type keeps it: ``bfloat16``
    values rounded to the nearest bfloat16 (ties to even, as ``Float.floatToIntBits`` rounding in
    ES's bfloat16 encoder) and kept as float32; ``byte`` values as whole numbers."""
    values = np.asarray(embedding, dtype=np.float32)
    if element_type == "bfloat16":
        bits = values.view(np.uint32).astype(np.uint64)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        return rounded.astype(np.uint32).view(np.float32)
    return values


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
    #: float32[n_chunks, dims]: each chunk's embedding as the endpoint returned it (Elasticsearch's
    #: ``_inference_fields`` keep these; ``diversify`` compares them), ``None`` when not kept.
    embeddings: np.ndarray | None = None

    def doc_embeddings(self, doc: int) -> list[np.ndarray]:
        """The embeddings of ``doc``'s chunks, in chunk order (empty without chunks or embeddings)."""
        if self.embeddings is None:
            return []
        rows = np.flatnonzero(self.chunk_docs == doc)
        return [self.embeddings[r] for r in rows.tolist()]

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
    """Collects one dense semantic_text field's chunks. ``similarity`` and ``element_type`` are the
    endpoint's (they shape the chunk vector field, created at the first embedding, and are kept in
    it from then on); ``bfloat16`` embeddings are stored as float32 after bfloat16 rounding."""

    name: str
    index_options: Any = None
    vectors: Any = None  # VectorFieldWriter, created at the first embedding
    chunk_docs: list[int] = field(default_factory=list)
    chunk_offsets: list[tuple[int, int]] = field(default_factory=list)
    dims: int | None = None
    similarity: str = "cosine"
    element_type: str = "float"
    #: Each chunk's embedding as stored (see :attr:`SemanticField.embeddings`); ``None``: not kept
    #: (a data directory written before they were).
    embeddings: list[np.ndarray] | None = field(default_factory=list)

    def set_index_options(self, options: Any) -> None:
        """A mapping update changed the field's ``dense_vector`` options: the chunk vectors are rebuilt
        with them at the next refresh that publishes new chunks (as new segments get the new format)."""
        from retrievo.index.vectors.options import default_index_options, effective_index_options

        if options == self.index_options:
            return
        self.index_options = options
        if self.vectors is not None and self.dims is not None:
            kind = "byte" if self.element_type == "byte" else "float"
            resolved = options if options is not None else default_index_options(kind, self.dims, True)
            self.vectors.index_options = effective_index_options(resolved)

    def add(self, doc: int, chunks: list[Chunk]) -> None:
        from retrievo.index.vectors import VectorFieldWriter

        for chunk in chunks:
            if self.vectors is None:
                self.dims = int(chunk.embedding.shape[0])
                kind = "byte" if self.element_type == "byte" else "float"
                self.vectors = VectorFieldWriter(self.name, self.dims, self.similarity, kind, self.index_options)
            stored = as_stored(chunk.embedding, self.element_type)
            self.vectors.add(len(self.chunk_docs), stored)
            if self.embeddings is not None:
                self.embeddings.append(stored)
            self.chunk_docs.append(doc)
            self.chunk_offsets.append((chunk.start, chunk.end))

    def refresh(self, max_doc: int, live: np.ndarray, dirty_deletes: bool) -> SemanticField:
        docs = np.asarray(self.chunk_docs, dtype=np.int32)
        offsets = np.asarray(self.chunk_offsets, dtype=np.int32).reshape(-1, 2)
        snapshot = None
        if self.vectors is not None:
            chunk_live = live[docs] if docs.size else np.zeros(0, dtype=bool)
            snapshot = self.vectors.refresh(docs.size, chunk_live, dirty_deletes)
        return SemanticField(self.name, snapshot, docs, offsets, self.dims, self.embedding_matrix())

    def embedding_matrix(self) -> np.ndarray | None:
        """The kept embeddings as one float32 ``(n_chunks, dims)`` array (kept as that array, so the
        next refresh and a save reuse it)."""
        if self.embeddings is None:
            return None
        if len(self.embeddings) == 1 and self.embeddings[0].ndim == 2:
            return self.embeddings[0]
        if not self.embeddings:
            return np.zeros((0, self.dims or 0), dtype=np.float32)
        rows = [e.reshape(-1, e.shape[-1]) for e in self.embeddings]
        matrix = np.ascontiguousarray(np.concatenate(rows), dtype=np.float32)
        self.embeddings = [matrix]
        return matrix
