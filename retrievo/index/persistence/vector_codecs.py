"""``dense_vector`` and ``semantic_text`` fields on disk: vectors, FAISS indexes and chunks.

A vector field is saved as its writer's segments: doc ids, rows as indexed, squared norms and —
for an ANN segment — the FAISS index as ``faiss.serialize_index`` bytes. Loading deserialises those
bytes; nothing is re-added or re-trained, so an HNSW graph (whose construction is multi-threaded and
not reproducible) comes back node for node and a search visits the same vectors. A float ``hnsw``
segment keeps its rows only inside the FAISS index, as in memory, so they are saved once.

A ``semantic_text`` field is its chunks — owning doc, (start, end) offsets — plus the vector field
over the chunk embeddings: the embeddings are data, never recomputed on load.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import faiss
import numpy as np

from retrievo.index.persistence import errors
from retrievo.index.persistence.files import GenerationReader, GenerationWriter
from retrievo.index.semantic import SemanticFieldWriter
from retrievo.index.vectors.options import IndexOptions
from retrievo.index.vectors.writer import (
    SegmentState,
    VectorFieldWriter,
    VectorWriterState,
    export_writer_state,
    writer_from_state,
)

_OPTION_FIELDS = tuple(f.name for f in dataclasses.fields(IndexOptions))


def options_to_json(options: IndexOptions | None) -> dict[str, Any] | None:
    """Every field of the resolved options (not the ``GET _mapping`` view, which hides defaults)."""
    return None if options is None else {name: getattr(options, name) for name in _OPTION_FIELDS}


def options_from_json(body: Any) -> IndexOptions | None:
    if body is None:
        return None
    if not isinstance(body, dict) or set(body) != set(_OPTION_FIELDS):
        raise ValueError(f"index options must have the fields {list(_OPTION_FIELDS)}")
    return IndexOptions(**body)


def _row_dtype(element_type: str) -> np.dtype:
    return np.dtype(np.int8 if element_type == "byte" else np.float32)


def _write_segment(out: GenerationWriter, prefix: str, seg: SegmentState | None) -> dict[str, Any] | None:
    if seg is None:
        return None
    arrays = {"docs": seg.docs, "sq_norms": seg.sq_norms}
    if seg.vectors is not None:
        arrays["vectors"] = seg.vectors
    layout = out.write_pack(f"{prefix}.rows.pack", arrays)
    if seg.index is not None:
        index = seg.index
        out.write_lazy_bytes(f"{prefix}.index.faiss", lambda: faiss.serialize_index(index), key=index)
    return {
        "rows": int(seg.docs.size),
        "layout": layout,
        "faiss": seg.index is not None,
        "options": options_to_json(seg.options),
        "trained_rows": int(seg.trained_rows),
    }


def _read_segment(
    src: GenerationReader, prefix: str, facts: dict[str, Any] | None, dims: int, element_type: str
) -> SegmentState | None:
    if facts is None:
        return None
    rel = f"{prefix}.rows.pack"
    arrays = src.read_pack(rel, facts["layout"])
    docs, sq_norms, vectors = arrays.get("docs"), arrays.get("sq_norms"), arrays.get("vectors")
    if (
        docs is None
        or docs.dtype != np.int32
        or docs.ndim != 1
        or sq_norms is None
        or sq_norms.dtype != np.float32
        or (vectors is not None and (vectors.dtype != _row_dtype(element_type) or vectors.ndim != 2))
    ):
        raise errors.corrupt(src.path(rel), "expected int32 doc ids, float32 norms and rows of the field's type")
    index = None
    if facts["faiss"]:
        name = f"{prefix}.index.faiss"
        data = src.read_bytes(name)
        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as failure:
            raise errors.corrupt(src.path(name), f"not a readable FAISS index: {str(failure).strip()[:200]}") from None
        src.note(name, index)
    return SegmentState(docs, vectors, sq_norms, index, options_from_json(facts["options"]), int(facts["trained_rows"]))


def write_vector_writer(out: GenerationWriter, prefix: str, writer: VectorFieldWriter) -> dict[str, Any]:
    state = export_writer_state(writer)
    facts: dict[str, Any] = {
        "name": state.name,
        "dims": state.dims,
        "similarity": state.similarity,
        "element_type": state.element_type,
        "index_options": options_to_json(state.index_options),
        "exact_rows": state.exact_rows,
        "exact_cost_ratio": state.exact_cost_ratio,
        "main": _write_segment(out, f"{prefix}.main", state.main),
        "tail": _write_segment(out, f"{prefix}.tail", state.tail),
        "pending": int(state.pending_docs.size),
    }
    if state.pending_docs.size:
        facts["pending_layout"] = out.write_pack(
            f"{prefix}.pending.pack", {"docs": state.pending_docs, "vectors": state.pending_vectors}
        )
    return facts


def read_vector_writer(src: GenerationReader, prefix: str, facts: dict[str, Any]) -> VectorFieldWriter:
    dims, element_type = int(facts["dims"]), str(facts["element_type"])
    dtype = _row_dtype(element_type)
    if facts["pending"]:
        pending = src.read_pack(f"{prefix}.pending.pack", facts["pending_layout"])
        pending_docs, pending_vectors = pending.get("docs"), pending.get("vectors")
        if (
            pending_docs is None
            or pending_docs.dtype != np.int32
            or pending_vectors is None
            or pending_vectors.dtype != dtype
            or pending_vectors.ndim != 2
        ):
            raise errors.corrupt(src.path(f"{prefix}.pending.pack"), "expected doc ids and rows of the field's type")
    else:
        pending_docs, pending_vectors = np.zeros(0, np.int32), np.zeros((0, dims), dtype)
    state = VectorWriterState(
        name=str(facts["name"]),
        dims=dims,
        similarity=str(facts["similarity"]),
        element_type=element_type,
        index_options=options_from_json(facts["index_options"]),  # type: ignore[arg-type]
        exact_rows=int(facts["exact_rows"]),
        exact_cost_ratio=float(facts["exact_cost_ratio"]),
        main=_read_segment(src, f"{prefix}.main", facts["main"], dims, element_type),
        tail=_read_segment(src, f"{prefix}.tail", facts["tail"], dims, element_type),
        pending_docs=pending_docs,
        pending_vectors=pending_vectors,
    )
    try:
        return writer_from_state(state)
    except ValueError as failure:
        raise errors.corrupt(src.path(prefix), f"vector field [{state.name}] is inconsistent: {failure}") from None


def write_semantic(out: GenerationWriter, prefix: str, writer: SemanticFieldWriter) -> dict[str, Any]:
    docs = np.asarray(writer.chunk_docs, dtype=np.int32)
    offsets = np.asarray(writer.chunk_offsets, dtype=np.int32).reshape(-1, 2)
    # Chunk lists only grow, so their length identifies their content.
    arrays = {"docs": docs, "offsets": offsets}
    embeddings = writer.embedding_matrix()
    if embeddings is not None and embeddings.shape[0] == docs.size:
        arrays["embeddings"] = embeddings
    layout = out.write_pack(f"{prefix}.chunks.pack", arrays, key=("chunks", writer.name, int(docs.size)))
    return {
        "name": writer.name,
        "dims": writer.dims,
        "chunks_layout": layout,
        "index_options": options_to_json(writer.index_options),
        "similarity": writer.similarity,
        "element_type": writer.element_type,
        "vectors": (None if writer.vectors is None else write_vector_writer(out, f"{prefix}.vectors", writer.vectors)),
    }


def read_semantic(src: GenerationReader, prefix: str, facts: dict[str, Any]) -> SemanticFieldWriter:
    rel = f"{prefix}.chunks.pack"
    chunks = src.read_pack(rel, facts["chunks_layout"])
    docs, offsets = chunks.get("docs"), chunks.get("offsets")
    if (
        docs is None
        or docs.dtype != np.int32
        or docs.ndim != 1
        or offsets is None
        or offsets.dtype != np.int32
        or offsets.shape != (docs.size, 2)
    ):
        raise errors.corrupt(src.path(rel), "expected chunk doc ids and [start, end] pairs")
    embeddings = chunks.get("embeddings")  # absent in directories written before they were kept
    if embeddings is not None and (
        embeddings.dtype != np.float32 or embeddings.ndim != 2 or len(embeddings) != docs.size
    ):
        raise errors.corrupt(src.path(rel), "expected one float32 embedding per chunk")
    src.note(rel, ("chunks", str(facts["name"]), int(docs.size)))
    vectors = None if facts["vectors"] is None else read_vector_writer(src, f"{prefix}.vectors", facts["vectors"])
    if vectors is not None and _rows(vectors) > docs.size:
        raise errors.corrupt(src.path(rel), f"[{docs.size}] chunks but embeddings for [{_rows(vectors)}]")
    return SemanticFieldWriter(
        str(facts["name"]),
        index_options=options_from_json(facts["index_options"]),
        vectors=vectors,
        chunk_docs=docs.tolist(),
        chunk_offsets=[tuple(p) for p in offsets.tolist()],
        dims=None if facts["dims"] is None else int(facts["dims"]),
        # Written from format 7 on with the endpoint's settings; older fields were cosine/float.
        similarity=str(facts.get("similarity", "cosine")),
        element_type=str(facts.get("element_type", "float")),
        embeddings=None if embeddings is None else [np.array(embeddings)],
    )


def _rows(writer: VectorFieldWriter) -> int:
    """One past the highest chunk row the writer holds (rows of deleted docs may be gone)."""
    state = export_writer_state(writer)
    last = [
        int(part[-1])
        for part in (
            state.main.docs if state.main else np.zeros(0, np.int32),
            state.tail.docs if state.tail else np.zeros(0, np.int32),
            state.pending_docs,
        )
        if part.size
    ]
    return max(last) + 1 if last else 0
