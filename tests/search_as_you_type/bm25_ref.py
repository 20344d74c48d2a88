"""An independent BM25 (Elasticsearch's LegacyBM25Similarity: k1 1.2, b 0.75, scaled by k1 + 1) for
lengths small enough that Lucene's norm encoding keeps them exact."""

from __future__ import annotations

import math

K1, B = 1.2, 0.75


def idf(doc_freq: int, doc_count: int) -> float:
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def score(idf_sum: float, freq: float, length: float, avgdl: float) -> float:
    return idf_sum * (K1 + 1) * freq / (freq + K1 * (1 - B + B * length / avgdl))
