"""Lucene's ``SynonymQuery``: several terms at one position scored as if they were one term.

A search analyzer that stacks tokens (``synonym``/``synonym_graph`` filters, ``preserve_original``)
makes Elasticsearch's ``MatchQueryParser`` build one ``SynonymQuery`` per position instead of a
``bool`` of terms. Scoring them as one keeps a document that holds a term and its synonym from scoring
twice, and keeps a rare synonym from outweighing the word the user typed:

* the weight uses pseudo term statistics — ``docFreq`` is the largest of the terms' document
  frequencies (``totalTermFreq`` their sum, which BM25 does not read), so the idf is the idf of the
  commonest of the terms;
* a document's frequency is the sum of the frequencies of the terms it holds (every term boost is 1,
  where Lucene 8.8 and Lucene 10, which Elasticsearch 9 runs, agree), scored once with its norm.

Checked against Lucene 8.8.1's ``SynonymQuery`` in tests/synonyms (goldens from
``tools/lucene-oracle-ext/synonym_query``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrievo.index import bm25
from retrievo.index.inverted import InvertedField


@dataclass(frozen=True)
class SynonymMatches:
    """A ``SynonymQuery``'s matches: ascending doc ids, their summed frequencies and float32 scores;
    ``doc_freq`` is the pseudo term's (for ``explain``)."""

    docs: np.ndarray
    freqs: np.ndarray
    scores: np.ndarray
    doc_freq: int
    idf: np.float32


def synonym_matches(inv: InvertedField | None, terms: tuple[str, ...], boost: np.float32) -> SynonymMatches | None:
    """Score the stacked ``terms`` over one field; None when none of them is in the index (Lucene's
    ``SynonymWeight`` then has no similarity weight and matches nothing)."""
    if inv is None:
        return None
    tids = [t for t in (inv.term_id(term) for term in terms) if t is not None and inv.doc_freq(t) > 0]
    if not tids:
        return None
    doc_freq = max(inv.doc_freq(t) for t in tids)
    idf = bm25.idf(doc_freq, inv.doc_count)
    weight = bm25.term_weight(boost, idf)
    slices = [inv.posting_slice(t) for t in tids]
    all_docs = np.concatenate([inv.docs[sl] for sl in slices])
    all_freqs = np.concatenate([inv.freqs[sl] for sl in slices]).astype(np.float64)
    all_norms = np.concatenate([inv.doc_norm_inverse[sl] for sl in slices])
    docs, first, where = np.unique(all_docs, return_index=True, return_inverse=True)
    freqs = np.bincount(where, weights=all_freqs, minlength=docs.size).astype(np.float32)
    scores = bm25.score(weight, freqs, all_norms[first])
    return SynonymMatches(docs.astype(np.int32, copy=False), freqs, scores, doc_freq, idf)
