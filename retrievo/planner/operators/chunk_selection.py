"""Pick the chunks of one document worth sending to the reranker (``chunk_rescorer``).

Elasticsearch indexes a document's chunks into an in-memory Lucene index (standard analyzer, BM25
with statistics over that document's chunks only) and keeps the ``size`` best chunks for the
``inference_text``, in score order; with no matching chunk it falls back to the first ``size``
chunks, and with fewer matches than ``size`` it keeps only the matches (spec §6.6).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from retrievo.index import bm25
from retrievo.index.analysis import STANDARD
from retrievo.index.norms import int_to_byte4


def chunk_scores(chunks: list[str], inference_text: str) -> list[float]:
    """BM25 of ``inference_text`` (a disjunction of its terms) against each chunk, float32 as Lucene."""
    docs = [STANDARD.terms(c)[0] for c in chunks]
    query = Counter(STANDARD.terms(inference_text)[0])  # repeated terms merge into one boosted clause
    n_docs = sum(1 for d in docs if d)
    if n_docs == 0 or not query:
        return [0.0] * len(chunks)
    cache = bm25.norm_cache(bm25.avgdl(sum(len(d) for d in docs), n_docs))
    df = Counter(term for d in docs for term in set(d))
    out = []
    for d in docs:
        tf = Counter(d)
        norm_inverse = cache[[int_to_byte4(len(d))]]
        total = 0.0  # float32 clause scores summed in double, rounded once (Lucene's BooleanScorer)
        for term, boost in query.items():
            if tf[term]:
                weight = bm25.term_weight(boost, bm25.idf(df[term], n_docs))
                total += float(bm25.score(weight, np.array([tf[term]]), norm_inverse)[0])
        out.append(float(np.float32(total)))
    return out


def select_chunks(chunks: list[str], inference_text: str, size: int) -> list[int]:
    """Indexes of the chunks to send, best first."""
    if not inference_text.strip() or not chunks:
        return []
    scores = chunk_scores(chunks, inference_text)
    matching = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
    if not matching:
        return list(range(min(size, len(chunks))))
    return matching[:size]
