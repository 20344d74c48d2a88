"""Writing one ``dense_vector`` field's vector index: :class:`VectorFieldWriter` collects vectors
between refreshes and publishes :class:`~retrievo.index.vectors.field.VectorField` snapshots (their
tail and main segments are described in :mod:`retrievo.index.vectors.field`), and the persistence
hooks that export and restore a writer's complete state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from retrievo.index.vectors import scoring
from retrievo.index.vectors.field import EXACT_COST_RATIO, EXACT_MIN_ROWS, VectorField
from retrievo.index.vectors.options import (
    SIMILARITIES,
    IndexOptions,
    default_index_options,
    effective_index_options,
)
from retrievo.index.vectors.segments import (
    Segment,
    exact_segment,
    faiss_rows,
    mask_at,
    new_faiss_index,
    row_norms,
    storage_view,
    training_sample,
)

if TYPE_CHECKING:
    from retrievo.index.field_types import FieldMapping

__all__ = [
    "DEAD_REWRITE_FRACTION",
    "RETRAIN_GROWTH",
    "SegmentState",
    "VectorFieldWriter",
    "VectorWriterState",
    "export_writer_state",
    "writer_from_state",
]

DEAD_REWRITE_FRACTION = 0.3
"""Rebuild the main segment once more than this fraction of its rows belong to deleted docs."""

RETRAIN_GROWTH = 2.0
"""Retrain a quantised main segment once it holds this many times the rows it was trained on."""


def _concat(first: Segment | None, docs: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``first``'s rows followed by new ones (newer docs always have larger ids)."""
    if first is None:
        return docs, vectors
    return np.concatenate([first.docs, docs]), np.concatenate([first.vectors, vectors])


def _concat_rows(docs: np.ndarray, vectors: np.ndarray, last: Segment | None) -> tuple[np.ndarray, np.ndarray]:
    """Rows followed by ``last``'s rows."""
    if last is None:
        return docs, vectors
    return np.concatenate([docs, last.docs]), np.concatenate([vectors, last.vectors])


# --------------------------------------------------------------------------------------------
# The writer
# --------------------------------------------------------------------------------------------


def _resolve_options(
    index_options: IndexOptions | Mapping[str, Any] | None, element_type: str, dims: int
) -> IndexOptions:
    if isinstance(index_options, Mapping):
        index_options = IndexOptions.from_json(index_options)
    if index_options is None:
        index_options = default_index_options(element_type, dims, True)
    return effective_index_options(index_options)


class VectorFieldWriter:
    """Collects one field's vectors between refreshes and publishes :class:`VectorField` snapshots.

    ``index_options`` is an :class:`IndexOptions`, its JSON (``{"type": "hnsw", "m": 32}``) or
    ``None`` for Elasticsearch's default; it may be reassigned (``PUT _mapping`` can change the
    index type): rows indexed afterwards, and any rebuild, use the new options.
    ``exact_rows`` / ``exact_cost_ratio`` tune when brute force replaces the ANN structure (tests
    set both to 0 to exercise FAISS on small data).
    """

    def __init__(
        self,
        name: str,
        dims: int,
        similarity: str = "cosine",
        element_type: str = "float",
        index_options: IndexOptions | Mapping[str, Any] | None = None,
        *,
        exact_rows: int = EXACT_MIN_ROWS,
        exact_cost_ratio: float = EXACT_COST_RATIO,
    ) -> None:
        if similarity not in SIMILARITIES:
            raise ValueError(f"unknown similarity [{similarity}]")
        if element_type not in ("float", "byte"):
            raise ValueError(f"unsupported element_type [{element_type}]")
        if (
            element_type == "byte"
            and index_options is not None
            and _resolve_options(index_options, element_type, dims).is_quantized
        ):
            raise ValueError("byte vectors cannot use a quantised index type")
        self.name = name
        self.dims = int(dims)
        self.similarity = similarity
        self.element_type = element_type
        self.index_options = _resolve_options(index_options, element_type, self.dims)
        self.exact_rows = int(exact_rows)
        self.exact_cost_ratio = float(exact_cost_ratio)
        self.snapshot: VectorField | None = None
        self._main: Segment | None = None
        self._tail: Segment | None = None
        self._pending_docs: list[int] = []
        self._pending_vectors: list[np.ndarray] = []

    @classmethod
    def from_mapping(cls, mapping: FieldMapping, **tuning: Any) -> VectorFieldWriter:
        """A writer for a ``dense_vector`` field mapping (its ``dims`` must be known). The mapping's
        ``index_options`` are already resolved: ``None`` there (byte fields, or an explicit
        ``null``) means Lucene's plain HNSW, not Elasticsearch's default."""
        dims = mapping.params.get("dims")
        if dims is None:
            raise ValueError(f"dense_vector field [{mapping.path}] has no dims yet")
        options = effective_index_options(mapping.params.get("index_options"))
        return cls(
            mapping.path,
            dims,
            mapping.params.get("similarity") or "cosine",
            mapping.params.get("element_type", "float"),
            options,
            **tuning,
        )

    # ---- writes -------------------------------------------------------------------------------

    def add(self, doc: int, vector: np.ndarray) -> None:
        """Queue one document's vector (as parsed: float32 values, bytes as whole numbers)."""
        self._pending_docs.append(int(doc))
        self._pending_vectors.append(self._as_indexed(vector))

    def _as_indexed(self, vector: np.ndarray) -> np.ndarray:
        values = np.asarray(vector)
        if values.shape != (self.dims,):
            raise ValueError(f"vector for [{self.name}] has shape {values.shape}, expected ({self.dims},)")
        if self.element_type == "byte":
            return values.astype(np.int8)
        values = values.astype(np.float32)
        return scoring.normalize(values) if self.similarity == "cosine" else values

    def refresh(self, max_doc: int, live: np.ndarray, dirty_deletes: bool) -> VectorField:
        """Publish the pending vectors (and deletions) as a new immutable snapshot."""
        prev = self.snapshot
        if (
            prev is not None
            and not self._pending_docs
            and not dirty_deletes
            and prev.max_doc == max_doc
            and prev.options == self.index_options
        ):
            return prev
        live = np.asarray(live, dtype=bool)
        main, tail = self._main, self._next_tail(live, dirty_deletes)
        if main is not None and dirty_deletes and self._too_dead(main, live):
            main, tail = self._compact(main, tail, live)
        if tail is not None and tail.size > self.exact_rows and self.index_options.type != "flat":
            main, tail = self._absorb(main, tail, live), None
        self._main, self._tail = main, tail
        self.snapshot = VectorField(
            name=self.name,
            dims=self.dims,
            similarity=self.similarity,
            element_type=self.element_type,
            options=self.index_options,
            max_doc=int(max_doc),
            live=live,
            segments=tuple(seg for seg in (main, tail) if seg is not None),
            exact_rows=self.exact_rows,
            exact_cost_ratio=self.exact_cost_ratio,
        )
        return self.snapshot

    def _next_tail(self, live: np.ndarray, dirty_deletes: bool) -> Segment | None:
        """The tail without its deleted rows, followed by the pending vectors of live docs."""
        tail = self._tail
        if tail is not None and dirty_deletes:
            keep = tail.live_rows(live)
            if not keep.all():
                tail = exact_segment(tail.docs[keep], tail.vectors[keep]) if keep.any() else None
        docs, vectors = self._take_pending(live)
        if docs.size:
            tail = exact_segment(*_concat(tail, docs, vectors))
        return tail

    def _take_pending(self, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        docs = np.asarray(self._pending_docs, dtype=np.int32)
        dtype = np.int8 if self.element_type == "byte" else np.float32
        vectors = (
            np.stack(self._pending_vectors).astype(dtype, copy=False)
            if self._pending_vectors
            else np.zeros((0, self.dims), dtype=dtype)
        )
        self._pending_docs, self._pending_vectors = [], []
        if docs.size:
            order = np.argsort(docs, kind="stable")
            docs, vectors = docs[order], vectors[order]
            keep = mask_at(live, docs)
            docs, vectors = docs[keep], vectors[keep]
        return docs, vectors

    # ---- the main segment ---------------------------------------------------------------------

    @staticmethod
    def _too_dead(main: Segment, live: np.ndarray) -> bool:
        return float(main.live_rows(live).sum()) < (1.0 - DEAD_REWRITE_FRACTION) * main.size

    def _compact(self, main: Segment, tail: Segment | None, live: np.ndarray) -> tuple[Segment | None, Segment | None]:
        """Drop deleted rows from the main segment: rebuild it, or move what is left into the tail
        when it has become small enough to brute-force."""
        keep = main.live_rows(live)
        docs, vectors = _concat_rows(main.docs[keep], np.array(main.vectors[keep]), tail)
        if docs.size <= self.exact_rows:
            return None, (exact_segment(docs, vectors) if docs.size else None)
        return self._build(docs, vectors), None

    def _absorb(self, main: Segment | None, tail: Segment, live: np.ndarray) -> Segment:
        """Fold the tail into the main segment: clone the main index and add the tail's rows, or
        rebuild (no main yet, other index options, or a quantiser trained on too few rows)."""
        if main is None:
            return self._build(tail.docs, tail.vectors)
        stale = main.options != self.index_options or (
            main.quantized and main.size + tail.size > RETRAIN_GROWTH * main.trained_rows
        )
        if stale:
            keep = main.live_rows(live)
            return self._build(*_concat_rows(main.docs[keep], np.array(main.vectors[keep]), tail))
        index = faiss.clone_index(main.index)
        index.add(faiss_rows(tail.vectors, self.similarity, self.element_type))
        docs = np.concatenate([main.docs, tail.docs])
        if main.vectors_in_index:
            vectors = storage_view(index, docs.size, self.dims)
        else:
            vectors = np.concatenate([main.vectors, tail.vectors])
        return Segment(
            docs=docs,
            vectors=vectors,
            sq_norms=np.concatenate([main.sq_norms, tail.sq_norms]),
            index=index,
            options=main.options,
            trained_rows=main.trained_rows,
            vectors_in_index=main.vectors_in_index,
        )

    def _build(self, docs: np.ndarray, vectors: np.ndarray) -> Segment:
        """A main segment built from scratch with the current index options."""
        options = self.index_options
        if options.type == "flat":
            return exact_segment(docs, vectors)
        rows = faiss_rows(vectors, self.similarity, self.element_type)
        index = new_faiss_index(self.dims, self.similarity, options)
        if options.is_quantized:
            index.train(training_sample(rows))
        index.add(rows)
        in_index = options.type == "hnsw" and self.element_type == "float"
        stored = storage_view(index, docs.size, self.dims) if in_index else vectors
        return Segment(
            docs=docs,
            vectors=stored,
            sq_norms=row_norms(vectors),
            index=index,
            options=options,
            trained_rows=docs.size if options.is_quantized else 0,
            vectors_in_index=in_index,
        )


# --------------------------------------------------------------------------------------------
# Persistence hooks (used by retrievo.index.persistence)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SegmentState:
    """One segment as persisted. ``vectors`` is ``None`` when the rows live inside ``index``
    (float ``hnsw``); ``index`` is the FAISS structure itself, saved and restored as built, so a
    reloaded HNSW graph is the same graph (rebuilding it would not be: construction is threaded)."""

    docs: np.ndarray
    vectors: np.ndarray | None
    sq_norms: np.ndarray
    index: Any = None
    options: IndexOptions | None = None
    trained_rows: int = 0


@dataclass(frozen=True, eq=False)
class VectorWriterState:
    """Everything a :class:`VectorFieldWriter` holds: its configuration, its segments and the
    vectors queued since the last refresh (as indexed: normalised cosine floats, int8 bytes). The
    published snapshot is not part of it: the next refresh derives it from exactly this state."""

    name: str
    dims: int
    similarity: str
    element_type: str
    index_options: IndexOptions
    exact_rows: int
    exact_cost_ratio: float
    main: SegmentState | None
    tail: SegmentState | None
    pending_docs: np.ndarray
    pending_vectors: np.ndarray


def _segment_state(seg: Segment | None) -> SegmentState | None:
    if seg is None:
        return None
    return SegmentState(
        seg.docs, None if seg.vectors_in_index else seg.vectors, seg.sq_norms, seg.index, seg.options, seg.trained_rows
    )


def _segment_from_state(state: SegmentState | None, dims: int) -> Segment | None:
    """Raises ``ValueError`` when the parts do not fit together."""
    if state is None:
        return None
    rows = int(state.docs.size)
    if state.sq_norms.shape != (rows,):
        raise ValueError(f"segment has {rows} doc ids but {state.sq_norms.shape[0]} norms")
    if state.index is not None and (int(state.index.ntotal) != rows or int(state.index.d) != dims):
        raise ValueError(
            f"FAISS index holds {state.index.ntotal} vectors of {state.index.d} dims, expected {rows} of {dims}"
        )
    in_index = state.vectors is None
    if state.vectors is None:
        if state.index is None or not hasattr(state.index, "hnsw"):
            raise ValueError("segment has neither stored vectors nor an HNSW index holding them")
        vectors = storage_view(state.index, rows, dims)
    else:
        vectors = state.vectors
        if vectors.shape != (rows, dims):
            raise ValueError(f"segment vectors have shape {vectors.shape}, expected ({rows}, {dims})")
    return Segment(
        docs=state.docs,
        vectors=vectors,
        sq_norms=state.sq_norms,
        index=state.index,
        options=state.options,
        trained_rows=int(state.trained_rows),
        vectors_in_index=in_index,
    )


def export_writer_state(writer: VectorFieldWriter) -> VectorWriterState:
    """The writer's complete state (arrays shared, not copied)."""
    dtype = np.int8 if writer.element_type == "byte" else np.float32
    pending = (
        np.stack(writer._pending_vectors).astype(dtype, copy=False)
        if writer._pending_vectors
        else np.zeros((0, writer.dims), dtype=dtype)
    )
    return VectorWriterState(
        writer.name,
        writer.dims,
        writer.similarity,
        writer.element_type,
        writer.index_options,
        writer.exact_rows,
        writer.exact_cost_ratio,
        _segment_state(writer._main),
        _segment_state(writer._tail),
        np.asarray(writer._pending_docs, dtype=np.int32),
        pending,
    )


def writer_from_state(state: VectorWriterState) -> VectorFieldWriter:
    """A writer in exactly the state :func:`export_writer_state` captured; its next ``refresh``
    publishes what the original's would have. Raises ``ValueError`` for parts that do not fit."""
    writer = VectorFieldWriter(
        state.name,
        state.dims,
        state.similarity,
        state.element_type,
        state.index_options,
        exact_rows=state.exact_rows,
        exact_cost_ratio=state.exact_cost_ratio,
    )
    writer._main = _segment_from_state(state.main, writer.dims)
    writer._tail = _segment_from_state(state.tail, writer.dims)
    if state.pending_vectors.shape != (state.pending_docs.size, writer.dims):
        raise ValueError(
            f"pending vectors have shape {state.pending_vectors.shape}, expected "
            f"({state.pending_docs.size}, {writer.dims})"
        )
    writer._pending_docs = state.pending_docs.tolist()
    writer._pending_vectors = list(state.pending_vectors)
    return writer
