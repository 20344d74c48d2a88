"""Lucene's ``MultiPhraseQuery``: a phrase whose positions each accept any of several terms.

Elasticsearch builds one for a ``match_phrase`` whose search analyzer stacks single-position tokens
(synonyms, ``preserve_original``) over a phrase of more than one position. Lucene scores it as a phrase
over union postings: at each phrase position the positions of all of its terms count, the phrase
frequency is counted exactly as a ``PhraseQuery``'s (or, with ``slop``, by the sloppy matcher), and
the weight's idf is the sum of the idfs of every term of every position that occurs in the index
(``MultiPhraseWeight`` collects one ``TermStatistics`` per term). A position none of whose terms occurs
means no match at all.
"""

from __future__ import annotations

import numpy as np

from retrievo.index import bm25
from retrievo.index.inverted import InvertedField
from retrievo.lucene.phrases import exact_freq, sloppy_freq


def group_ids(inv: InvertedField, groups: tuple[tuple[str, ...], ...]) -> list[list[int]] | None:
    """Each position's term ids found in the index; None when a position has none."""
    found: list[list[int]] = []
    for group in groups:
        ids = [t for t in (inv.term_id(term) for term in group) if t is not None and inv.doc_freq(t) > 0]
        if not ids:
            return None
        found.append(ids)
    return found


def multi_phrase_idf(inv: InvertedField, ids: list[list[int]]) -> np.float32:
    """The idfs of every term (float32 each) added in double, rounded once."""
    return bm25.phrase_idf([inv.idfs[t] for group in ids for t in group])


def multi_phrase_matches(
    inv: InvertedField,
    groups: tuple[tuple[str, ...], ...],
    positions: tuple[int, ...],
    slop: int,
    boost: np.float32,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(docs, phrase freqs, scores) of the matching documents; None when nothing can match."""
    ids = group_ids(inv, groups)
    if ids is None:
        return None
    candidates = np.unique(np.concatenate([inv.postings(t)[0] for t in ids[0]]))
    for group in ids[1:]:
        docs = np.unique(np.concatenate([inv.postings(t)[0] for t in group]))
        candidates = np.intersect1d(candidates, docs, assume_unique=True)
    offsets = tuple(p - positions[0] for p in positions)
    freqs = np.zeros(candidates.size, dtype=np.float32)
    for i, doc in enumerate(candidates.tolist()):
        doc_tids, doc_pos = inv.positions(doc)
        union = [np.unique(doc_pos[np.isin(doc_tids, group)]) for group in ids]
        freqs[i] = exact_freq(union, offsets) if slop == 0 else sloppy_freq(union, offsets, slop)
    keep = freqs > 0
    docs, freqs = candidates[keep].astype(np.int32), freqs[keep]
    weight = bm25.term_weight(boost, multi_phrase_idf(inv, ids))
    cache = inv.norm_cache
    norms = cache[inv.norms[docs]] if inv.norms is not None else np.full(docs.size, cache[1], np.float32)
    return docs, freqs, bm25.score(weight, freqs, norms)
