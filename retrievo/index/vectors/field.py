"""The vector index of one ``dense_vector`` field, searched with Elasticsearch's kNN semantics.

Structure
---------
:class:`VectorFieldWriter` collects vectors between refreshes (like the inverted index writer);
``refresh`` publishes an immutable :class:`VectorField` made of at most two segments:

* a *tail* of recent rows, searched by exact brute force (no FAISS structure), and
* a *main* segment holding a FAISS index of the type ``index_options`` asks for
  (``hnsw``: ``IndexHNSWFlat``; ``int8_hnsw``/``int4_hnsw``: ``IndexHNSWSQ`` with an 8/4-bit scalar
  quantiser; ``int8_flat``/``int4_flat``: ``IndexScalarQuantizer``). ``flat`` never builds one: the
  tail grows without bound and is searched exactly with numpy, which is what ``IndexFlat*`` would
  do, without a second copy of the vectors and with scores identical to :meth:`exact_scores`.

The tail is folded into the main segment once it holds more than ``exact_rows`` rows (default
:data:`EXACT_MIN_ROWS`): the main index is *cloned* and the tail added to the clone, so a snapshot
that a search still holds is never mutated (FAISS structures are not safe to read while another
thread adds to them) and a refresh costs one memory copy plus the new insertions, not a rebuild.
The main segment is rebuilt from its live rows when more than :data:`DEAD_REWRITE_FRACTION` of
them are deleted, and a quantised one is retrained when it has doubled since its quantiser was
trained (the quantiles would otherwise go stale; Lucene likewise re-quantises on merge).

Search
------
Cosine float vectors are normalised when indexed (and queries when searched), exactly as ES ≥ 8.11
does, and compared by inner product. Per segment:

* Pre-filtering. ``filter_mask`` (and the live mask) select rows *before* the nearest neighbours
  are found: a FAISS ``IDSelectorBitmap`` for ANN structures, the passing rows for brute force.
  Never "nearest first, then drop".
* Exact brute force when the passing rows are few: at most ``exact_rows``, or at most
  ``exact_cost_ratio × efSearch`` (the graph search would visit about as many vectors). Lucene
  too falls back to exact search when a filter is restrictive. Small corpora are therefore always
  searched exactly, so results equal a brute-force reference.
* Otherwise ANN. Elasticsearch collects ``num_candidates`` per shard and keeps the best ``k``;
  here ``efSearch = max(num_candidates, k)``, divided by the filter's selectivity (a filtered graph
  search must walk past rejected nodes: Lucene keeps exploring until it has ``num_candidates``
  accepted docs, FAISS's candidate queue counts rejected nodes too).
* Quantised types gather ``min(ceil(k × oversample), 10000)`` candidates by quantised distance
  (``oversample`` from the query's ``rescore_vector``, else the mapping's ``index_options
  .rescore_vector``) and rescore them with the float vectors. Without ``oversample`` the top ``k``
  quantised candidates are still rescored: retrievo always reports float scores (ES would report
  the quantised estimate in that case).

Every reported score is computed by :func:`~retrievo.index.vectors.scoring.exact_scores` (float32,
row-independent), so it equals :meth:`VectorField.exact_scores` for the same document. Results are
ordered by score descending, then internal doc id ascending. A ``similarity`` threshold keeps hits
whose score is at least ``VectorSimilarity.score(threshold)``, as ES's ``VectorSimilarityQuery``.

FAISS graph construction is multi-threaded and therefore not bit-for-bit reproducible; the exact
paths are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from retrievo.errors import illegal_argument
from retrievo.index.vectors import messages, scoring
from retrievo.index.vectors.options import (
    SIMILARITIES,
    IndexOptions,
    default_index_options,
    effective_index_options,
    rescore_count,
)
from retrievo.json_copy import copy_json

if TYPE_CHECKING:
    from retrievo.index.field_types import FieldMapping

__all__ = ["DEAD_REWRITE_FRACTION", "EXACT_COST_RATIO", "EXACT_MIN_ROWS", "VectorField", "VectorFieldWriter"]

EXACT_MIN_ROWS = 10_000
"""Passing rows up to which a segment is brute-forced, and the tail size that triggers folding
the tail into the ANN segment. Brute force over 10k × 384 float32 takes about a millisecond."""

EXACT_COST_RATIO = 64.0
"""Brute force also when ``passing rows ≤ 64 × efSearch``: an HNSW search with M = 16 computes up to
32 distances per expanded node, with random memory access, so beyond that ratio a BLAS pass over
the passing rows is cheaper and exact."""

DEAD_REWRITE_FRACTION = 0.3
"""Rebuild the main segment once more than this fraction of its rows belong to deleted docs."""

RETRAIN_GROWTH = 2.0
"""Retrain a quantised main segment once it holds this many times the rows it was trained on."""

TRAIN_SAMPLE_ROWS = 200_000
"""Scalar quantisers are trained on at most this many rows (an evenly spaced sample)."""

_EPS32 = float(np.finfo(np.float32).eps)
_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_SCORES = np.zeros(0, dtype=np.float32)


# --------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Segment:
    """Rows of vectors with their doc ids; immutable once published.

    ``vectors`` hold the rows as indexed (cosine float rows normalised, byte rows int8); for a
    float ``hnsw`` segment they are a view of the FAISS index's own storage (no second copy).
    ``sq_norms`` is ``‖row‖²`` (float32), used to bound the brute-force pre-selection error.
    """

    docs: np.ndarray  # int32[n], ascending
    vectors: np.ndarray  # float32[n, d] or int8[n, d]
    sq_norms: np.ndarray  # float32[n]
    index: Any = None  # FAISS index over rows 0..n-1; None: searched exactly
    options: IndexOptions | None = None  # what ``index`` implements (None for exact segments)
    trained_rows: int = 0  # rows the scalar quantiser was trained on
    vectors_in_index: bool = False  # ``vectors`` is a view of the index's storage

    @property
    def quantized(self) -> bool:
        return self.options is not None and self.options.is_quantized

    @property
    def size(self) -> int:
        return int(self.docs.size)

    def live_rows(self, live: np.ndarray) -> np.ndarray:
        return _mask_at(live, self.docs)


def _mask_at(mask: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """``mask[docs]``, treating docs beyond the mask's end as not set."""
    if docs.size == 0:
        return np.zeros(0, dtype=bool)
    if int(docs[-1]) < mask.size:
        return mask[docs]
    out = np.zeros(docs.size, dtype=bool)
    inside = docs < mask.size
    out[inside] = mask[docs[inside]]
    return out


def _row_norms(vectors: np.ndarray) -> np.ndarray:
    rows = vectors.astype(np.float32, copy=False)
    return np.einsum("ij,ij->i", rows, rows).astype(np.float32, copy=False)


def _exact_segment(docs: np.ndarray, vectors: np.ndarray) -> _Segment:
    return _Segment(docs=docs, vectors=vectors, sq_norms=_row_norms(vectors))


def _concat(first: _Segment | None, docs: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``first``'s rows followed by new ones (newer docs always have larger ids)."""
    if first is None:
        return docs, vectors
    return np.concatenate([first.docs, docs]), np.concatenate([first.vectors, vectors])


def _concat_rows(docs: np.ndarray, vectors: np.ndarray, last: _Segment | None) -> tuple[np.ndarray, np.ndarray]:
    """Rows followed by ``last``'s rows."""
    if last is None:
        return docs, vectors
    return np.concatenate([docs, last.docs]), np.concatenate([vectors, last.vectors])


# --------------------------------------------------------------------------------------------
# FAISS structures
# --------------------------------------------------------------------------------------------


def _metric(similarity: str) -> int:
    return faiss.METRIC_L2 if similarity == "l2_norm" else faiss.METRIC_INNER_PRODUCT


def _faiss_rows(vectors: np.ndarray, similarity: str, element_type: str) -> np.ndarray:
    """What FAISS indexes: float32 rows; byte ``cosine`` rows normalised so that inner product
    ranks by cosine (the exact byte cosine is recomputed from the int8 rows when scoring)."""
    rows = np.ascontiguousarray(vectors, dtype=np.float32)
    if element_type == "byte" and similarity == "cosine":
        rows = rows / np.linalg.norm(rows, axis=1, keepdims=True).astype(np.float32)
    return rows


def _range_statistic(options: IndexOptions, dims: int) -> tuple[str, float]:
    """How the scalar quantiser picks each dimension's range: ``("minmax", 0)`` or
    ``("quantiles", q)`` (clip to the ``q`` and ``1 − q`` quantiles).

    FAISS quantises per dimension where Lucene uses one global interval, so the mapping is by
    effect, measured on 30k clustered 384-d unit vectors (recall@10 of the quantised top 10):

    * ``int8`` without ``confidence_interval``: min/max (0.976; Lucene's default interval
      ``1 − 1/(dims + 1)`` applied per dimension gave 0.906);
    * ``confidence_interval: 0`` (ES "dynamic", the ``int4`` default): quantiles at
      ``max(0.9, 1 − 1/(dims + 1))`` (4-bit: 0.727, min/max 0.682, FAISS's optimiser 0.718 but
      ~100x slower to train);
    * an explicit interval ``c``: the ``(1 − c) / 2`` quantiles, as asked.
    """
    ci = options.confidence_interval
    if ci is None:
        return "minmax", 0.0
    if ci == 0.0:
        ci = max(0.9, 1.0 - 1.0 / (dims + 1))
    return "quantiles", (1.0 - ci) / 2.0


def _configure_quantizer(sq: Any, options: IndexOptions, dims: int) -> None:
    statistic, argument = _range_statistic(options, dims)
    if statistic == "minmax":
        sq.rangestat = faiss.ScalarQuantizer.RS_minmax
    else:
        sq.rangestat = faiss.ScalarQuantizer.RS_quantiles
        sq.rangestat_arg = argument


def _new_faiss_index(dims: int, similarity: str, options: IndexOptions) -> Any:
    metric = _metric(similarity)
    qtype = {8: faiss.ScalarQuantizer.QT_8bit, 4: faiss.ScalarQuantizer.QT_4bit}.get(options.bits or 0)
    if options.type == "hnsw":
        index = faiss.IndexHNSWFlat(dims, options.m, metric)
    elif options.is_hnsw:
        index = faiss.IndexHNSWSQ(dims, qtype, options.m, metric)
        _configure_quantizer(faiss.downcast_index(index.storage).sq, options, dims)
    elif options.is_quantized:
        index = faiss.IndexScalarQuantizer(dims, qtype, metric)
        _configure_quantizer(index.sq, options, dims)
    else:
        raise ValueError(f"no FAISS structure for index type [{options.type}]")
    if options.is_hnsw:
        index.hnsw.efConstruction = options.ef_construction
    return index


def _training_sample(rows: np.ndarray) -> np.ndarray:
    if rows.shape[0] <= TRAIN_SAMPLE_ROWS:
        return rows
    picks = np.linspace(0, rows.shape[0] - 1, TRAIN_SAMPLE_ROWS).astype(np.int64)
    return rows[picks]


def _storage_view(index: Any, rows: int, dims: int) -> np.ndarray:
    """The float32 rows inside an ``IndexHNSWFlat`` (valid while the index lives; never written)."""
    flat = faiss.downcast_index(index.storage)
    view = faiss.rev_swig_ptr(flat.get_xb(), rows * dims).reshape(rows, dims)
    view.flags.writeable = False
    return view


def _faiss_bytes(index: Any) -> int:
    """Approximate resident size of a FAISS index: codes or floats, plus the HNSW graph."""
    if index is None:
        return 0
    total = 0
    inner = faiss.downcast_index(index.storage) if hasattr(index, "hnsw") else index
    if isinstance(inner, faiss.IndexFlat):
        total += inner.ntotal * inner.d * 4
    elif isinstance(inner, faiss.IndexScalarQuantizer):
        total += inner.ntotal * inner.code_size + inner.sq.trained.size() * 4
    if hasattr(index, "hnsw"):
        graph = index.hnsw
        total += graph.neighbors.size() * 4 + graph.offsets.size() * 8 + graph.levels.size() * 4
    return total


def _faiss_name(index: Any) -> str:
    return type(index).__name__ if index is not None else "exact"


# --------------------------------------------------------------------------------------------
# Top-k helpers
# --------------------------------------------------------------------------------------------


def _top_k(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` by score descending, then doc ascending (ties at the cut included fairly)."""
    if docs.size > k:
        kth = np.partition(scores, scores.size - k)[scores.size - k]
        keep = scores >= kth
        docs, scores = docs[keep], scores[keep]
    order = np.lexsort((docs, -scores))[:k]
    return docs[order].astype(np.int32, copy=False), scores[order].astype(np.float32, copy=False)


def _preselect(keys: np.ndarray, count: int, margin: float) -> np.ndarray:
    """Indices of the ``count`` largest approximate keys, plus every key within ``margin`` of the
    cut: the approximation cannot then push a true top-``count`` row out of the selection."""
    if keys.size <= count:
        return np.arange(keys.size)
    kth = np.partition(keys, keys.size - count)[keys.size - count]
    return np.flatnonzero(keys >= kth - margin)


def _matvec(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``vectors @ query`` in float32, single-threaded on purpose: a BLAS ``sgemv`` is
    multi-threaded, and its thread pool fights FAISS's OpenMP threads (and other searches); on
    small machines it measured 3-4x slower and erratic. Float rows go through FAISS's SIMD kernel
    (``fvec_inner_products_ny``, what ``IndexFlatIP`` runs per query: ~15-30 % faster than
    ``einsum``); byte rows through ``einsum``. Summation order differs between the two, which the
    pre-selection margin of :meth:`VectorField._key_margin` covers (it bounds any order)."""
    if vectors.dtype == np.float32 and vectors.flags.c_contiguous and vectors.shape[0]:
        q = np.ascontiguousarray(query, dtype=np.float32)
        out = np.empty(vectors.shape[0], dtype=np.float32)
        faiss.fvec_inner_products_ny(
            faiss.swig_ptr(out), faiss.swig_ptr(q), faiss.swig_ptr(vectors), vectors.shape[1], vectors.shape[0]
        )
        return out
    return np.einsum("ij,j->i", vectors, query, dtype=np.float32, casting="unsafe")


def _gathered_matvec(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``vectors[rows] @ query`` gathering a block of rows at a time (no full-size copy)."""
    out = np.empty(rows.size, dtype=np.float32)
    for start in range(0, rows.size, 2048):
        out[start : start + 2048] = _matvec(vectors[rows[start : start + 2048]], query)
    return out


# --------------------------------------------------------------------------------------------
# The snapshot
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class VectorField:
    """An immutable, searchable snapshot of one ``dense_vector`` field."""

    name: str
    dims: int
    similarity: str
    element_type: str
    options: IndexOptions  # the structure actually built (effective index_options)
    max_doc: int
    live: np.ndarray  # bool[max_doc]
    segments: tuple[_Segment, ...]
    exact_rows: int = EXACT_MIN_ROWS
    exact_cost_ratio: float = EXACT_COST_RATIO

    # ---- statistics ---------------------------------------------------------------------------

    @cached_property
    def _row_live(self) -> tuple[np.ndarray, ...]:
        return tuple(seg.live_rows(self.live) for seg in self.segments)

    @cached_property
    def _live_counts(self) -> tuple[int, ...]:
        return tuple(int(mask.sum()) for mask in self._row_live)

    @cached_property
    def count(self) -> int:
        """Live documents with a vector."""
        return sum(self._live_counts)

    @cached_property
    def has_vector(self) -> np.ndarray:
        """bool[max_doc]: the (live) document has an indexed vector."""
        out = np.zeros(self.max_doc, dtype=bool)
        for seg, mask in zip(self.segments, self._row_live):
            out[seg.docs[mask]] = True
        return out

    @property
    def quantized(self) -> bool:
        return self.options.is_quantized

    def memory_bytes(self) -> int:
        """Bytes held by this snapshot: doc ids, stored vectors, norms and FAISS structures."""
        total = 0
        for seg in self.segments:
            total += seg.docs.nbytes + seg.sq_norms.nbytes + _faiss_bytes(seg.index)
            total += 0 if seg.vectors_in_index else seg.vectors.nbytes
        return total

    def describe(self) -> dict[str, Any]:
        """What the plan view shows: structure, metric, size and parameters (a fresh copy of a
        description computed once per snapshot: every plan of a kNN search asks for it)."""
        return copy_json(self._description)

    @cached_property
    def _description(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "field": self.name,
            "index_type": self.options.type,
            "element_type": self.element_type,
            "similarity": self.similarity,
            "metric": "l2" if self.similarity == "l2_norm" else "inner_product",
            "dims": self.dims,
            "count": self.count,
            "deleted_rows": int(sum(seg.size for seg in self.segments)) - self.count,
        }
        if self.options.is_hnsw:
            body["m"] = self.options.m
            body["ef_construction"] = self.options.ef_construction
        if self.options.is_quantized:
            body["bits"] = self.options.bits
            statistic, argument = _range_statistic(self.options, self.dims)
            body["quantiser_range"] = statistic if statistic == "minmax" else f"quantiles({argument:.6g})"
            body["oversample"] = self.options.oversample
        body["segments"] = [
            {
                "structure": _faiss_name(seg.index),
                "index_type": seg.options.type if seg.options is not None else "exact",
                "rows": seg.size,
                "live": int(mask.sum()),
            }
            for seg, mask in zip(self.segments, self._row_live)
        ]
        body["exact_rows"] = self.exact_rows
        body["memory_bytes"] = self.memory_bytes()
        return body

    # ---- queries ------------------------------------------------------------------------------

    def prepare_query(self, query: Any) -> np.ndarray:
        """The query vector as indexed rows are (float32; cosine float vectors normalised), after
        ES's checks. Raises ``BadRequestError`` (``illegal_argument_exception``)."""
        values = np.asarray(query, dtype=np.float64).reshape(-1)
        with np.errstate(over="ignore"):
            vector = values.astype(np.float32)
        if self.element_type == "byte":
            self._check_query(vector, messages.vector_error(vector, "byte"), as_int=False)
        if vector.size != self.dims:
            raise illegal_argument(messages.dimension_mismatch(vector.size, self.dims))
        if self.element_type == "float":
            self._check_query(vector, messages.vector_error(vector, "float"), as_int=False)
        if self.similarity in ("cosine", "dot_product"):
            self._check_query(
                vector,
                messages.magnitude_error(vector, self.similarity, self.element_type),
                as_int=self.element_type == "byte",
            )
        if self.similarity == "cosine" and self.element_type == "float":
            vector = scoring.normalize(vector)
        return vector

    @staticmethod
    def _check_query(vector: np.ndarray, problem: str | None, as_int: bool) -> None:
        if problem is not None:
            raise illegal_argument(problem + messages.preview(vector, as_int))

    def exact_scores(self, query: Any, docs: np.ndarray) -> np.ndarray:
        """The exact ``_score`` of each doc (float32; NaN for docs without a live vector)."""
        q = self.prepare_query(query)
        docs = np.asarray(docs, dtype=np.int64).reshape(-1)
        out = np.full(docs.size, np.nan, dtype=np.float32)
        for seg, live_rows in zip(self.segments, self._row_live):
            pos = np.searchsorted(seg.docs, docs)
            inside = pos < seg.size
            found = np.zeros(docs.size, dtype=bool)
            found[inside] = seg.docs[pos[inside]] == docs[inside]
            found[found] &= live_rows[pos[found]]
            if found.any():
                out[found] = self._scores(seg, pos[found], q)
        return out

    def search(
        self,
        query: Any,
        k: int,
        num_candidates: int,
        filter_mask: np.ndarray | None = None,
        similarity_threshold: float | None = None,
        oversample: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest live documents that pass ``filter_mask`` (a pre-filter, bool over doc
        ids), as (doc ids int32, scores float32) by score descending then doc ascending.

        ``similarity_threshold`` is the knn ``similarity`` (raw, see :mod:`.scoring`);
        ``oversample`` the query's ``rescore_vector.oversample`` (``None``: the mapping's). See
        the module docstring for the exact/ANN choice and ``num_candidates``. Raises
        ``BadRequestError`` for a query vector Elasticsearch would reject.
        """
        q = self.prepare_query(query)
        if k < 1 or self.count == 0:
            return _EMPTY_DOCS, _EMPTY_SCORES
        if oversample is None:
            oversample = self.options.oversample
        rescore_n = rescore_count(k, oversample) if self.quantized else k
        candidates = max(int(num_candidates), k, rescore_n)
        mask = None if filter_mask is None else np.asarray(filter_mask, dtype=bool)
        found_docs: list[np.ndarray] = []
        found_scores: list[np.ndarray] = []
        for seg, live_rows, live_count in zip(self.segments, self._row_live, self._live_counts):
            if mask is None:
                accept, passing = live_rows, live_count
            else:
                accept = live_rows & _mask_at(mask, seg.docs)
                passing = int(accept.sum())
            docs, scores = self._search_segment(seg, accept, passing, q, k, candidates, rescore_n)
            found_docs.append(docs)
            found_scores.append(scores)
        docs = np.concatenate(found_docs) if found_docs else _EMPTY_DOCS
        scores = np.concatenate(found_scores) if found_scores else _EMPTY_SCORES
        if similarity_threshold is not None:
            keep = scores >= scoring.threshold_score(
                similarity_threshold, self.similarity, self.element_type, self.dims
            )
            docs, scores = docs[keep], scores[keep]
        return _top_k(docs, scores, k)

    # ---- per segment --------------------------------------------------------------------------

    def _scores(self, seg: _Segment, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        return scoring.exact_scores(seg.vectors[rows], q, self.similarity, self.element_type)

    def _search_segment(
        self, seg: _Segment, accept: np.ndarray, passing: int, q: np.ndarray, k: int, candidates: int, rescore_n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        if passing == 0:
            return _EMPTY_DOCS, _EMPTY_SCORES
        wanted = min(candidates, passing)
        ef = min(seg.size, max(wanted, math.ceil(wanted * seg.size / passing)))
        if seg.index is None or passing <= self.exact_rows or passing <= self.exact_cost_ratio * ef:
            return self._exact_search(seg, accept, passing, q, k)
        rows = self._ann_rows(seg, accept, passing, q, wanted, ef)
        rows = rows[:rescore_n] if seg.quantized else rows
        return seg.docs[rows], self._scores(seg, rows, q)

    def _ann_rows(
        self, seg: _Segment, accept: np.ndarray, passing: int, q: np.ndarray, wanted: int, ef: int
    ) -> np.ndarray:
        """Rows of the ``wanted`` nearest accepted vectors by the FAISS structure's distance."""
        params = faiss.SearchParametersHNSW() if hasattr(seg.index, "hnsw") else faiss.SearchParameters()
        if hasattr(seg.index, "hnsw"):
            params.efSearch = int(ef)
        # The selector and its bitmap are raw pointers for FAISS: both stay referenced here
        # until the search has returned.
        bitmap = selector = None
        if passing < seg.size:
            bitmap = np.packbits(accept, bitorder="little")
            selector = faiss.IDSelectorBitmap(bitmap.size, faiss.swig_ptr(bitmap))
            params.sel = selector
        query_rows = _faiss_rows(q.reshape(1, -1), self.similarity, self.element_type)
        _, labels = seg.index.search(query_rows, int(wanted), params=params)
        rows = labels[0]
        del params, selector, bitmap
        return rows[rows >= 0]

    def _exact_search(
        self, seg: _Segment, accept: np.ndarray, passing: int, q: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Brute force over the passing rows: a cheap pass ranks them (for ``l2_norm`` through
        ``2 v·q − ‖v‖²``, which cancels), then the best ``k`` plus everything within the float32
        error bound of the cut are scored exactly."""
        rows = None if passing == seg.size else np.flatnonzero(accept)
        keys = self._approx_keys(seg, rows, q)
        picked = _preselect(keys, k, self._key_margin(seg, rows, q))
        picked_rows = picked if rows is None else rows[picked]
        return seg.docs[picked_rows], self._scores(seg, picked_rows, q)

    def _approx_keys(self, seg: _Segment, rows: np.ndarray | None, q: np.ndarray) -> np.ndarray:
        """A float32 ranking key per row, larger is nearer: ``v·q`` (cosine bytes: ``v·q/‖v‖``),
        for ``l2_norm`` ``2 v·q − ‖v‖²`` (``‖q‖² − d²``)."""
        gathered = rows if rows is not None and rows.size * 4 < seg.size else None
        norms = seg.sq_norms if gathered is None else seg.sq_norms[gathered]
        query = q.astype(np.float32, copy=False)
        dots = _matvec(seg.vectors, query) if gathered is None else _gathered_matvec(seg.vectors, gathered, query)
        if self.similarity == "l2_norm":
            keys = np.float32(2.0) * dots - norms
        elif self.similarity == "cosine" and self.element_type == "byte":
            keys = dots / np.sqrt(norms)
        else:
            keys = dots
        return keys if gathered is not None or rows is None else keys[rows]

    def _key_margin(self, seg: _Segment, rows: np.ndarray | None, q: np.ndarray) -> float:
        """A bound on |approximate key − exact key| from float32 summation over ``dims`` terms."""
        norms = seg.sq_norms if rows is None else seg.sq_norms[rows]
        max_sq = float(norms.max()) if norms.size else 0.0
        q_sq = float(np.dot(q.astype(np.float64), q.astype(np.float64)))
        bound = 2.0 * self.dims * _EPS32
        if self.similarity == "l2_norm":
            return 2.0 * bound * (max_sq + q_sq) + 1e-30
        if self.similarity == "cosine" and self.element_type == "byte":
            return bound * math.sqrt(q_sq) + 1e-30
        return bound * math.sqrt(max_sq * q_sq) + 1e-30


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
        self._main: _Segment | None = None
        self._tail: _Segment | None = None
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

    def _next_tail(self, live: np.ndarray, dirty_deletes: bool) -> _Segment | None:
        """The tail without its deleted rows, followed by the pending vectors of live docs."""
        tail = self._tail
        if tail is not None and dirty_deletes:
            keep = tail.live_rows(live)
            if not keep.all():
                tail = _exact_segment(tail.docs[keep], tail.vectors[keep]) if keep.any() else None
        docs, vectors = self._take_pending(live)
        if docs.size:
            tail = _exact_segment(*_concat(tail, docs, vectors))
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
            keep = _mask_at(live, docs)
            docs, vectors = docs[keep], vectors[keep]
        return docs, vectors

    # ---- the main segment ---------------------------------------------------------------------

    @staticmethod
    def _too_dead(main: _Segment, live: np.ndarray) -> bool:
        return float(main.live_rows(live).sum()) < (1.0 - DEAD_REWRITE_FRACTION) * main.size

    def _compact(
        self, main: _Segment, tail: _Segment | None, live: np.ndarray
    ) -> tuple[_Segment | None, _Segment | None]:
        """Drop deleted rows from the main segment: rebuild it, or move what is left into the tail
        when it has become small enough to brute-force."""
        keep = main.live_rows(live)
        docs, vectors = _concat_rows(main.docs[keep], np.array(main.vectors[keep]), tail)
        if docs.size <= self.exact_rows:
            return None, (_exact_segment(docs, vectors) if docs.size else None)
        return self._build(docs, vectors), None

    def _absorb(self, main: _Segment | None, tail: _Segment, live: np.ndarray) -> _Segment:
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
        index.add(_faiss_rows(tail.vectors, self.similarity, self.element_type))
        docs = np.concatenate([main.docs, tail.docs])
        if main.vectors_in_index:
            vectors = _storage_view(index, docs.size, self.dims)
        else:
            vectors = np.concatenate([main.vectors, tail.vectors])
        return _Segment(
            docs=docs,
            vectors=vectors,
            sq_norms=np.concatenate([main.sq_norms, tail.sq_norms]),
            index=index,
            options=main.options,
            trained_rows=main.trained_rows,
            vectors_in_index=main.vectors_in_index,
        )

    def _build(self, docs: np.ndarray, vectors: np.ndarray) -> _Segment:
        """A main segment built from scratch with the current index options."""
        options = self.index_options
        if options.type == "flat":
            return _exact_segment(docs, vectors)
        rows = _faiss_rows(vectors, self.similarity, self.element_type)
        index = _new_faiss_index(self.dims, self.similarity, options)
        if options.is_quantized:
            index.train(_training_sample(rows))
        index.add(rows)
        in_index = options.type == "hnsw" and self.element_type == "float"
        stored = _storage_view(index, docs.size, self.dims) if in_index else vectors
        return _Segment(
            docs=docs,
            vectors=stored,
            sq_norms=_row_norms(vectors),
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


def _segment_state(seg: _Segment | None) -> SegmentState | None:
    if seg is None:
        return None
    return SegmentState(
        seg.docs, None if seg.vectors_in_index else seg.vectors, seg.sq_norms, seg.index, seg.options, seg.trained_rows
    )


def _segment_from_state(state: SegmentState | None, dims: int) -> _Segment | None:
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
        vectors = _storage_view(state.index, rows, dims)
    else:
        vectors = state.vectors
        if vectors.shape != (rows, dims):
            raise ValueError(f"segment vectors have shape {vectors.shape}, expected ({rows}, {dims})")
    return _Segment(
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
