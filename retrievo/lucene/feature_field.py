"""Reading ``sparse_vector`` features back for scoring: a feature's postings with their decoded values.

The weights are stored as Lucene's ``FeatureField`` stores them (see :mod:`retrievo.index.sparse_vectors`):
a document's term frequency for the feature is the top 17 bits of the float32 weight, so the value a
query sees is the weight with its low 15 mantissa bits cleared.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrievo.index.searcher import Searcher
from retrievo.index.sparse_semantic import SparseSemanticField
from retrievo.index.sparse_vectors import decode_feature_freqs

_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_VALUES = np.zeros(0, dtype=np.float32)


def feature_postings(searcher: Searcher, field: str, feature: str) -> tuple[np.ndarray, np.ndarray]:
    """(doc ids ascending, decoded float32 feature values) of the live documents holding ``feature``."""
    inv = searcher.inverted(field)
    tid = inv.term_id(feature) if inv is not None else None
    if inv is None or tid is None:
        return _NO_DOCS, _NO_VALUES
    sl = inv.posting_slice(tid)
    return inv.docs[sl], decode_feature_freqs(inv.freqs[sl])


def feature_value(searcher: Searcher, field: str, feature: str, doc: int) -> float | None:
    """The decoded value of ``feature`` in ``doc`` (for ``explain``), or ``None`` when it has none."""
    docs, values = feature_postings(searcher, field, feature)
    at = int(np.searchsorted(docs, doc))
    if at < docs.size and int(docs[at]) == doc:
        return float(values[at])
    return None


def best_chunk_scores(
    searcher: Searcher, field: str, tokens: Sequence[tuple[str, float]], boost: np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """(doc ids ascending, float32 scores) of a sparse ``semantic_text`` field's nested query: per chunk
    the float64 sum of ``float32(boost × weight) × value`` rounded once to float32 (a disjunction of
    ``FeatureField`` queries), per document the largest of its chunks' (``score_mode: max``)."""
    snapshot = searcher.vector(field)
    if not isinstance(snapshot, SparseSemanticField) or not tokens:
        return _NO_DOCS, _NO_VALUES
    inv = snapshot.features
    rows = inv.max_doc
    acc = np.zeros(rows, dtype=np.float64)
    hit = np.zeros(rows, dtype=bool)
    for token, weight in tokens:
        tid = inv.term_id(token)
        if tid is None:
            continue
        sl = inv.posting_slice(tid)
        chunk_rows = inv.docs[sl]
        scale = np.float32(np.float32(boost) * np.float32(weight))
        values = (scale * decode_feature_freqs(inv.freqs[sl])).astype(np.float32)
        acc += np.bincount(chunk_rows, weights=values.astype(np.float64), minlength=rows)
        hit[chunk_rows] = True
    matched = np.flatnonzero(hit)
    if matched.size == 0:
        return _NO_DOCS, _NO_VALUES
    chunk_scores = acc[matched].astype(np.float32)
    owners = snapshot.chunk_docs[matched]
    order = np.lexsort((-chunk_scores, owners))  # by document, best chunk first
    owners, chunk_scores = owners[order], chunk_scores[order]
    first = np.ones(owners.size, dtype=bool)
    first[1:] = owners[1:] != owners[:-1]
    return owners[first].astype(np.int32), chunk_scores[first]
