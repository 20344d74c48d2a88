"""An independent textbook BM25 for tests: float64 arithmetic, Lucene's decoded lengths, and the
``(k1 + 1)`` numerator of Elasticsearch's default ``LegacyBM25Similarity``.

It shares no code with retrievo: the SmallFloat decode is re-derived here from its definition, so a
bug in the library's tables would show up as a mismatch.
"""

from __future__ import annotations

import math
from collections import Counter


def decoded_length(n: int) -> int:
    """Lucene's lossy length: exact below 24, else 4 significant bits of (n - 24), truncated."""
    if n < 24:
        return n
    v = n - 24
    bits = v.bit_length()
    if bits <= 4:
        return n
    shift = bits - 4
    return 24 + ((v >> shift) << shift)


def bm25_scores(docs: list[list[str]], query: list[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Score of each document for a disjunction of ``query`` terms (duplicates counted per term)."""
    n_docs = sum(1 for d in docs if d)
    avgdl = sum(len(d) for d in docs) / n_docs
    df = Counter(t for d in docs for t in set(d))
    out = []
    for d in docs:
        tf = Counter(d)
        dl = decoded_length(len(d))
        s = 0.0
        for term in query:
            if tf[term]:
                idf = math.log(1 + (n_docs - df[term] + 0.5) / (df[term] + 0.5))
                s += idf * tf[term] * (k1 + 1) / (tf[term] + k1 * (1 - b + b * dl / avgdl))
        out.append(s)
    return out
