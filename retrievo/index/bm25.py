"""BM25 exactly as Elasticsearch scores it, as small pure functions.

Elasticsearch's default similarity (``BM25``) is ``LegacyBM25Similarity``: Lucene 8+'s
``BM25Similarity`` (which dropped the ``(k1 + 1)`` numerator) called with the query boost multiplied by
``1 + k1`` (2.2f), so scores keep the pre-Lucene-8 scale — a single matching term with an average
length scores its idf. Its explanations show that product as the ``boost`` (2.2 at boost 1). Checked
against goldens from Lucene 8.8.1's own ``LegacyBM25Similarity`` (tests/test_bm25_golden.py).

Every value is a float32 and every operation is rounded to float32 in Lucene's order; ``idf`` and
``avgdl`` are computed in double and rounded once. The rearranged form
``w - w / (1 + freq * cache[norm])`` is what Lucene evaluates, and it rounds differently from the
textbook formula, so it is the one used here. Reference: ../shared/spec/lucene-bm25.md §1–§4.
"""

from __future__ import annotations

import math

import numpy as np

from retrievo.index.norms import LENGTH_TABLE

K1 = np.float32(1.2)
B = np.float32(0.75)
ONE = np.float32(1.0)


def idf(doc_freq: int, doc_count: int) -> np.float32:
    """``log(1 + (N - n + 0.5) / (n + 0.5))`` in double, rounded once to float32."""
    return np.float32(math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5)))


def idf_array(doc_freqs: np.ndarray, doc_count: int) -> np.ndarray:
    """Vectorised :func:`idf` (float64 then one cast, the same rounding as the scalar form)."""
    n = doc_freqs.astype(np.float64)
    return np.log1p((doc_count - n + 0.5) / (n + 0.5)).astype(np.float32)


def avgdl(sum_total_term_freq: int, doc_count: int) -> np.float32:
    if doc_count == 0:
        return ONE
    return np.float32(sum_total_term_freq / doc_count)


def norm_cache(avg: np.float32) -> np.ndarray:
    """``1 / (k1 * ((1 - b) + b * L / avgdl))`` for each of the 256 norm bytes, float32 left to right."""
    with np.errstate(divide="ignore"):
        return (ONE / (K1 * ((ONE - B) + B * LENGTH_TABLE / np.float32(avg)))).astype(np.float32)


#: ``1 + k1`` in float, the factor ``LegacyBM25Similarity`` multiplies every query boost by.
LEGACY_BOOST = np.float32(ONE + K1)


def similarity_boost(boost: float | np.float32) -> np.float32:
    """The boost ``BM25Similarity`` receives from ``LegacyBM25Similarity``: ``boost * (1 + k1)`` in float."""
    return np.float32(np.float32(boost) * LEGACY_BOOST)


def term_weight(boost: float | np.float32, term_idf: np.float32) -> np.float32:
    """``BM25Scorer``'s weight: the similarity's boost times the idf, in float."""
    return np.float32(similarity_boost(boost) * term_idf)


def term_weights(term_idfs: np.ndarray) -> np.ndarray:
    """:func:`term_weight` at query boost 1 for many idfs at once."""
    return (LEGACY_BOOST * term_idfs).astype(np.float32)


def score(weight: np.float32 | np.ndarray, freqs: np.ndarray, cache_values: np.ndarray) -> np.ndarray:
    """Lucene's ``BM25Scorer.score``: ``weight - weight / (1 + freq * normInverse)``, all float32.
    ``weight`` is one term's or, for a whole posting list at once, one per posting."""
    f = freqs.astype(np.float32, copy=False)
    return (weight - weight / (ONE + f * cache_values)).astype(np.float32, copy=False)


def phrase_idf(idfs: list[np.float32]) -> np.float32:
    """A phrase's idf: the float32 term idfs added in double, rounded once."""
    return np.float32(sum(float(x) for x in idfs))
