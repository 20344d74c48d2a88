"""Score normalizers of the ``linear`` retriever, each as Elasticsearch computes it (float32).

Each normalizes one child's window only. ``minmax`` gives every document 1.0 when the window's
scores are (almost) all equal, ``l2_norm`` leaves an all-zero window unchanged (spec §5.2).
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32
EPSILON = 1e-6


def identity(scores: np.ndarray) -> np.ndarray:
    return scores.astype(F32)


def minmax(scores: np.ndarray) -> np.ndarray:
    valid = scores[~np.isnan(scores)]
    if valid.size == 0:
        return scores.astype(F32)
    lo, hi = F32(valid.min()), F32(valid.max())
    if abs(float(lo) - float(hi)) < EPSILON:
        return np.where(np.isnan(scores), scores, F32(1.0)).astype(F32)
    return ((scores.astype(F32) - lo) / F32(hi - lo)).astype(F32)


def l2_norm(scores: np.ndarray) -> np.ndarray:
    valid = scores[~np.isnan(scores)].astype(np.float64)
    if valid.size == 0:
        return scores.astype(F32)
    norm = F32(math.sqrt(float((valid * valid).sum())))
    if norm < EPSILON:
        return scores.astype(F32)
    return (scores.astype(F32) / norm).astype(F32)


NORMALIZERS = {"none": identity, "minmax": minmax, "l2_norm": l2_norm}
