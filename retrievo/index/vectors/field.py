"""The vector index of one ``dense_vector`` field, searched with Elasticsearch's kNN semantics.

Structure
---------
:class:`~retrievo.index.vectors.writer.VectorFieldWriter` collects vectors between refreshes (like
the inverted index writer); ``refresh`` publishes an immutable :class:`VectorField` made of at most
two segments (:mod:`retrievo.index.vectors.segments`):

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
The main segment is rebuilt from its live rows when more than
:data:`~retrievo.index.vectors.writer.DEAD_REWRITE_FRACTION` of them are deleted, and a quantised one
is retrained when it has doubled since its quantiser was trained (the quantiles would otherwise go
stale; Lucene likewise re-quantises on merge).

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
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import faiss
import numpy as np

from retrievo.errors import illegal_argument
from retrievo.index.vectors import messages, scoring
from retrievo.index.vectors.options import IndexOptions, rescore_count
from retrievo.index.vectors.segments import Segment, faiss_bytes, faiss_name, faiss_rows, mask_at, range_statistic
from retrievo.json_copy import copy_json

__all__ = ["EXACT_COST_RATIO", "EXACT_MIN_ROWS", "VectorField"]

EXACT_MIN_ROWS = 10_000
"""Passing rows up to which a segment is brute-forced, and the tail size that triggers folding
the tail into the ANN segment. Brute force over 10k × 384 float32 takes about a millisecond."""

EXACT_COST_RATIO = 64.0
"""Brute force also when ``passing rows ≤ 64 × efSearch``: an HNSW search with M = 16 computes up to
32 distances per expanded node, with random memory access, so beyond that ratio a BLAS pass over
the passing rows is cheaper and exact."""

_EPS32 = float(np.finfo(np.float32).eps)
_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_SCORES = np.zeros(0, dtype=np.float32)


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
    segments: tuple[Segment, ...]
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
            total += seg.docs.nbytes + seg.sq_norms.nbytes + faiss_bytes(seg.index)
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
            statistic, argument = range_statistic(self.options, self.dims)
            body["quantiser_range"] = statistic if statistic == "minmax" else f"quantiles({argument:.6g})"
            body["oversample"] = self.options.oversample
        body["segments"] = [
            {
                "structure": faiss_name(seg.index),
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
                accept = live_rows & mask_at(mask, seg.docs)
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

    def _scores(self, seg: Segment, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        return scoring.exact_scores(seg.vectors[rows], q, self.similarity, self.element_type)

    def _search_segment(
        self, seg: Segment, accept: np.ndarray, passing: int, q: np.ndarray, k: int, candidates: int, rescore_n: int
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
        self, seg: Segment, accept: np.ndarray, passing: int, q: np.ndarray, wanted: int, ef: int
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
        query_rows = faiss_rows(q.reshape(1, -1), self.similarity, self.element_type)
        _, labels = seg.index.search(query_rows, int(wanted), params=params)
        rows = labels[0]
        del params, selector, bitmap
        return rows[rows >= 0]

    def _exact_search(
        self, seg: Segment, accept: np.ndarray, passing: int, q: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Brute force over the passing rows: a cheap pass ranks them (for ``l2_norm`` through
        ``2 v·q − ‖v‖²``, which cancels), then the best ``k`` plus everything within the float32
        error bound of the cut are scored exactly."""
        rows = None if passing == seg.size else np.flatnonzero(accept)
        keys = self._approx_keys(seg, rows, q)
        picked = _preselect(keys, k, self._key_margin(seg, rows, q))
        picked_rows = picked if rows is None else rows[picked]
        return seg.docs[picked_rows], self._scores(seg, picked_rows, q)

    def _approx_keys(self, seg: Segment, rows: np.ndarray | None, q: np.ndarray) -> np.ndarray:
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

    def _key_margin(self, seg: Segment, rows: np.ndarray | None, q: np.ndarray) -> float:
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
