"""Independent reference implementations for the vector tests: plain float64/int64 numpy, written
from the Elasticsearch formulas (spec §3.2/§3.3), never calling retrievo's own scoring."""

from __future__ import annotations

import numpy as np


def reference_scores(
    vectors: np.ndarray, query: np.ndarray, similarity: str, element_type: str = "float"
) -> np.ndarray:
    """ES ``_score`` of every row, in float64 (bytes: exact integer arithmetic first)."""
    dims = vectors.shape[1]
    if element_type == "byte":
        v = vectors.astype(np.int64)
        q = np.asarray(query).astype(np.int64)
        dot = (v @ q).astype(np.float64)
        if similarity == "l2_norm":
            return 1.0 / (1.0 + ((v - q) ** 2).sum(axis=1).astype(np.float64))
        if similarity == "cosine":
            cos = dot / np.sqrt((v * v).sum(axis=1).astype(np.float64) * float(q @ q))
            return (1.0 + cos) / 2.0
        if similarity == "dot_product":
            return 0.5 + dot / (dims * 32768.0)
        return np.where(dot < 0, 1.0 / (1.0 - dot), dot + 1.0)
    v = vectors.astype(np.float64)
    q = np.asarray(query, dtype=np.float64)
    if similarity == "l2_norm":
        return 1.0 / (1.0 + ((v - q) ** 2).sum(axis=1))
    if similarity == "cosine":
        cos = (v @ q) / (np.linalg.norm(v, axis=1) * np.linalg.norm(q))
        return (1.0 + cos) / 2.0
    dot = v @ q
    if similarity == "dot_product":
        return (1.0 + dot) / 2.0
    return np.where(dot < 0, 1.0 / (1.0 - dot), dot + 1.0)


def reference_raw(vectors: np.ndarray, query: np.ndarray, similarity: str) -> np.ndarray:
    """The raw similarity a threshold applies to: L2 distance, cosine, or dot product."""
    v = vectors.astype(np.float64)
    q = np.asarray(query, dtype=np.float64)
    if similarity == "l2_norm":
        return np.sqrt(((v - q) ** 2).sum(axis=1))
    if similarity == "cosine":
        return (v @ q) / (np.linalg.norm(v, axis=1) * np.linalg.norm(q))
    return v @ q


def brute_force(
    vectors: np.ndarray, docs: np.ndarray, query: np.ndarray, similarity: str, k: int, element_type: str = "float"
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` (score desc, doc asc) over the given rows."""
    scores = reference_scores(vectors, query, similarity, element_type)
    order = np.lexsort((docs, -scores))[:k]
    return docs[order], scores[order]


def unit_rows(rng: np.random.Generator, n: int, dims: int) -> np.ndarray:
    rows = rng.standard_normal((n, dims))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
