"""Exact vector similarity and ``_score``, computed in float32 the way Lucene and Elasticsearch do.

Scores are Lucene's ``VectorSimilarityFunction.compare`` (what a kNN hit's ``_score`` is):

========================  ==========================================  ==============================
similarity                float vectors                               byte vectors
========================  ==========================================  ==============================
``l2_norm``               ``1 / (1 + d²)``                            same, ``d²`` an exact integer
``cosine``                ``max((1 + dot) / 2, 0)`` on vectors         ``(1 + cos) / 2``, ``cos`` from
                          normalised at index time (ES ≥ 8.11 uses    integer sums in double
                          DOT_PRODUCT internally)
``dot_product``           ``max((1 + dot) / 2, 0)``                   ``0.5 + dot / (dims · 32768)``
``max_inner_product``     ``dot < 0 ? 1 / (1 − dot) : dot + 1``        same, ``dot`` an exact integer
========================  ==========================================  ==============================

A ``similarity`` threshold is turned into a minimum score with Elasticsearch's
``VectorSimilarity.score`` (:func:`threshold_score`) and compared with the hit's score, as
``VectorSimilarityQuery`` does: for ``l2_norm`` the threshold is a maximum distance, for the
others a minimum raw similarity.

Every function here is row-independent: a vector's score does not depend on which other rows are
scored with it (``np.einsum`` per row, not a blocked BLAS product), so a score computed while
searching equals the one :meth:`VectorField.exact_scores` returns later.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "UNIT_TOLERANCE",
    "exact_scores",
    "is_unit_length",
    "normalize",
    "scores_from_dot",
    "scores_from_squared_distance",
    "squared_magnitude",
    "threshold_score",
]

UNIT_TOLERANCE = np.float32(1e-3)
"""``|‖v‖² − 1| < 1e-3`` counts as unit length (``Element.isUnitVector``): such vectors are neither
rejected by ``dot_product`` nor re-normalised by ``cosine``."""

_F1 = np.float32(1.0)
_F2 = np.float32(2.0)
_FHALF = np.float32(0.5)
_ZERO = np.float32(0.0)
_CHUNK_ROWS = 4096  # rows per block when an (n, d) temporary is needed (l2 differences)


def squared_magnitude(vector: np.ndarray) -> np.float32:
    """``Σ v[i]²`` accumulated left to right in float32, as ES's parsing loop does."""
    values = np.asarray(vector, dtype=np.float32)
    if values.size == 0:
        return _ZERO
    with np.errstate(over="ignore", invalid="ignore"):
        return np.cumsum(values * values, dtype=np.float32)[-1]


def is_unit_length(squared: np.float32) -> bool:
    return bool(abs(np.float32(squared) - _F1) < UNIT_TOLERANCE)


def normalize(vector: np.ndarray) -> np.ndarray:
    """What ES does to a ``cosine`` float vector (indexed or query): divide by ``(float)
    sqrt(‖v‖²)`` unless it is already unit length (within :data:`UNIT_TOLERANCE`)."""
    values = np.asarray(vector, dtype=np.float32)
    squared = squared_magnitude(values)
    if is_unit_length(squared):
        return values
    length = np.float32(math.sqrt(float(squared)))
    return (values / length).astype(np.float32, copy=False)


# --------------------------------------------------------------------------------------------
# Score transforms (Lucene VectorSimilarityFunction.compare), vectorised, float32
# --------------------------------------------------------------------------------------------


def scores_from_squared_distance(squared: np.ndarray) -> np.ndarray:
    """``l2_norm``: ``1 / (1 + d²)``."""
    return (_F1 / (_F1 + np.asarray(squared, dtype=np.float32))).astype(np.float32, copy=False)


def scores_from_dot(dots: np.ndarray, similarity: str, element_type: str, dims: int) -> np.ndarray:
    """``cosine`` (float, already normalised), ``dot_product`` and ``max_inner_product`` from the
    raw dot product (float32; for bytes the exact integer converted to float as Java does)."""
    dot = np.asarray(dots).astype(np.float32, copy=False)
    if similarity == "max_inner_product":
        with np.errstate(divide="ignore"):
            return np.where(dot < _ZERO, _F1 / (_F1 - dot), dot + _F1).astype(np.float32, copy=False)
    if similarity == "dot_product" and element_type == "byte":
        return (_FHALF + dot / np.float32(dims * (1 << 15))).astype(np.float32, copy=False)
    return np.maximum((_F1 + dot) / _F2, _ZERO).astype(np.float32, copy=False)


def threshold_score(threshold: float, similarity: str, element_type: str, dims: int) -> np.float32:
    """ES ``VectorSimilarity.score(similarity, elementType, dims)``: the minimum ``_score`` a hit
    needs to pass a ``similarity`` threshold (given as a Java float)."""
    t = np.float32(threshold)
    if similarity == "l2_norm":
        return np.float32(_F1 / (_F1 + t * t))
    if similarity == "dot_product" and element_type == "byte":
        return np.float32(_FHALF + t / np.float32(dims * (1 << 15)))
    if similarity == "max_inner_product":
        return np.float32(_F1 / (_F1 - t)) if t < _ZERO else np.float32(t + _F1)
    return np.float32((_F1 + t) / _F2)


# --------------------------------------------------------------------------------------------
# Exact scoring of stored rows
# --------------------------------------------------------------------------------------------


def _float_squared_distances(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    out = np.empty(vectors.shape[0], dtype=np.float32)
    for start in range(0, vectors.shape[0], _CHUNK_ROWS):
        diff = vectors[start : start + _CHUNK_ROWS] - query
        out[start : start + _CHUNK_ROWS] = np.einsum("ij,ij->i", diff, diff)
    return out


def _byte_dots(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Exact integer dot products (int64) of int8 rows with an integer query."""
    return vectors.astype(np.int64) @ query.astype(np.int64)


def _byte_squared_distances(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    out = np.empty(vectors.shape[0], dtype=np.int64)
    q = query.astype(np.int64)
    for start in range(0, vectors.shape[0], _CHUNK_ROWS):
        diff = vectors[start : start + _CHUNK_ROWS].astype(np.int64) - q
        out[start : start + _CHUNK_ROWS] = np.einsum("ij,ij->i", diff, diff)
    return out


def _byte_cosines(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Lucene ``VectorUtil.cosine(byte[], byte[])``: integer sums, one double division."""
    dots = _byte_dots(vectors, query).astype(np.float64)
    rows = vectors.astype(np.int64)
    norms = np.einsum("ij,ij->i", rows, rows).astype(np.float64)
    q = query.astype(np.int64)
    qnorm = float(q @ q)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (dots / np.sqrt(norms * qnorm)).astype(np.float32)


def exact_scores(vectors: np.ndarray, query: np.ndarray, similarity: str, element_type: str) -> np.ndarray:
    """``_score`` of each row of ``vectors`` against ``query`` (both as indexed: ``cosine`` float
    vectors already normalised; byte rows int8). Row-independent, float32."""
    dims = vectors.shape[1] if vectors.ndim == 2 else query.shape[0]
    if vectors.shape[0] == 0:
        return np.zeros(0, dtype=np.float32)
    if element_type == "byte":
        if similarity == "l2_norm":
            return scores_from_squared_distance(_byte_squared_distances(vectors, query))
        if similarity == "cosine":
            cos = _byte_cosines(vectors, query)
            return np.maximum((_F1 + cos) / _F2, _ZERO).astype(np.float32, copy=False)
        return scores_from_dot(_byte_dots(vectors, query), similarity, element_type, dims)
    q = np.asarray(query, dtype=np.float32)
    if similarity == "l2_norm":
        return scores_from_squared_distance(_float_squared_distances(vectors, q))
    return scores_from_dot(np.einsum("ij,j->i", vectors, q), similarity, element_type, dims)
