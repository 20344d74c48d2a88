"""Lucene's ``CombinedFieldQuery`` (BM25F): several text fields scored as if they were one.

Elasticsearch's ``combined_fields`` query builds one of these per analysed position. Lucene pretends the
fields were indexed into a single synthetic field, so a document gets one BM25 score per position
rather than one per field:

- the term frequency is the sum, over every (field, term) pair the document contains, of
  ``field weight × freq`` (a float);
- the length norm is rebuilt per document: each field's decoded length times its weight, summed in
  float, rounded (``Math.round``) and encoded again as a norm byte (``MultiNormsLeafSimScorer``);
- the statistics are a pseudo field's: ``docCount`` and ``docFreq`` are the maxima over the fields
  (and the position's terms), ``sumTotalTermFreq`` the weighted sum (truncated to a long after each
  addition, Java's ``long += double``).

The similarity is the searcher's, which in Elasticsearch is the index's default
(``LegacyBM25Similarity``: the query boost times ``1 + k1``), so scores keep Elasticsearch's scale.
Everything is vectorised over the posting lists of the (field, term) pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.index import bm25
from retrievo.index.norms import LENGTH_TABLE, encode_lengths
from retrievo.index.searcher import Searcher
from retrievo.java_text import java_float_str

F32 = np.float32


@dataclass(frozen=True)
class CombinedFieldQ:
    """One position of a ``combined_fields`` query: ``terms`` (synonyms stacked there, sorted as Lucene's
    ``BytesRef`` order) over ``fields`` (``(name, weight)`` sorted by name, Lucene's ``TreeMap``)."""

    fields: tuple[tuple[str, float], ...]
    terms: tuple[str, ...]

    def __str__(self) -> str:
        shown = " ".join(f if w == 1.0 else f"{f}^{java_float_str(w)}" for f, w in self.fields)
        return f"CombinedFieldQuery(({shown})({' '.join(self.terms)}))"

    def field_terms(self) -> tuple[tuple[str, str], ...]:
        """Every (field, term) pair, fields outermost (``getTerms``' order)."""
        return tuple((f, t) for f, _ in self.fields for t in self.terms)


@dataclass(frozen=True)
class CombinedMatches:
    """The matches of one :class:`CombinedFieldQ` and what its explanation needs."""

    docs: np.ndarray  # int32, ascending
    freqs: np.ndarray  # float32: the weighted frequency sum
    norms: np.ndarray  # uint8: the combined norm byte per match
    scores: np.ndarray  # float32
    doc_freq: int
    doc_count: int
    avgdl: np.float32
    idf: np.float32


def _sort_key(term: str) -> bytes:
    return term.encode("utf-8")


def make_combined(fields: dict[str, float], terms: list[str]) -> CombinedFieldQ:
    """``CombinedFieldQuery.Builder.build``: unique terms in byte order, fields by name."""
    unique = sorted(set(terms), key=_sort_key)
    return CombinedFieldQ(tuple(sorted(fields.items())), tuple(unique))


def pseudo_statistics(searcher: Searcher, q: CombinedFieldQ) -> tuple[int, int, int]:
    """(docFreq, docCount, sumTotalTermFreq) of the pseudo field, as ``CombinedFieldWeight`` merges them."""
    doc_freq = 0
    doc_count = 0
    sum_ttf = 0
    for field, weight in q.fields:
        inv = searcher.inverted(field)
        if inv is None:
            continue
        for term in q.terms:
            tid = inv.term_id(term)
            if tid is not None:
                doc_freq = max(doc_freq, inv.doc_freq(tid))
        doc_count = max(doc_count, inv.doc_count)
        sum_ttf = int(sum_ttf + float(F32(weight)) * inv.sum_total_term_freq)  # Java: long += double
    return doc_freq, doc_count, sum_ttf


def combined_matches(searcher: Searcher, q: CombinedFieldQ, boost: np.float32) -> CombinedMatches | None:
    """Every document containing one of the (field, term) pairs, with its BM25F score."""
    doc_freq, doc_count, sum_ttf = pseudo_statistics(searcher, q)
    if doc_freq == 0:
        return None
    n = searcher.max_doc
    docs_parts: list[np.ndarray] = []
    freq_parts: list[np.ndarray] = []
    norm_fields: list[tuple[np.ndarray, np.float32]] = []
    for field, weight in q.fields:
        inv = searcher.inverted(field)
        if inv is None:
            continue
        if inv.norms is not None:
            norm_fields.append((inv.norms, F32(weight)))
        for term in q.terms:
            tid = inv.term_id(term)
            if tid is None or inv.doc_freq(tid) == 0:
                continue
            docs, freqs = inv.postings(tid)
            docs_parts.append(docs)
            freq_parts.append((F32(weight) * freqs.astype(F32)).astype(F32))
    all_docs = np.concatenate(docs_parts)
    # weighted frequencies are whole numbers times float weights: the float64 sum rounds once, as the
    # float accumulation does whenever the partial sums are exact (always, for integer weights)
    totals = np.bincount(all_docs, weights=np.concatenate(freq_parts).astype(np.float64), minlength=n)
    docs = np.unique(all_docs).astype(np.int32)
    freqs = totals[docs].astype(F32)
    norms = _combined_norms(norm_fields, docs)
    avg = bm25.avgdl(sum_ttf, doc_count)
    cache = bm25.norm_cache(avg)
    idf = bm25.idf(doc_freq, doc_count)
    term_weight = bm25.term_weight(boost, idf)
    scores = bm25.score(term_weight, freqs, cache[norms])
    return CombinedMatches(docs, freqs, norms, scores, doc_freq, doc_count, avg, idf)


def _combined_norms(norm_fields: list[tuple[np.ndarray, np.float32]], docs: np.ndarray) -> np.ndarray:
    """``MultiFieldNormValues``: Σ weight × decoded length in float (fields in name order), rounded half
    up to an int and encoded again; 1 (Lucene's default norm) when no field has norms."""
    if not norm_fields:
        return np.ones(docs.size, dtype=np.uint8)
    total = np.zeros(docs.size, dtype=F32)
    for norms, weight in norm_fields:
        total = (total + weight * LENGTH_TABLE[norms[docs]]).astype(F32)
    rounded = np.floor(total.astype(np.float64) + 0.5).astype(np.int64)  # Math.round(float)
    return encode_lengths(rounded).astype(np.uint8)


Node = Callable[..., dict[str, Any]]


def explain_combined(
    found: CombinedMatches, q: CombinedFieldQ, doc: int, boost: float, node: Node, shown_doc: int | None = None
) -> dict[str, Any]:
    """``CombinedFieldWeight.explain``: BM25's explanation over the pseudo field, ``termFreq=`` the
    weighted frequency and ``dl`` the combined (re-encoded) length; ``shown_doc``: the doc id printed
    (the document's number on its shard)."""
    i = int(np.searchsorted(found.docs, doc))
    freq, score = F32(found.freqs[i]), float(found.scores[i])
    dl = F32(LENGTH_TABLE[found.norms[i]])
    one = F32(1.0)
    norm_inverse = one / F32(bm25.K1 * F32(F32(one - bm25.B) + F32(F32(bm25.B * dl) / found.avgdl)))
    tf = F32(one - one / F32(one + F32(freq * norm_inverse)))
    idf = node(
        found.idf,
        "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:",
        [
            node(found.doc_freq, "n, number of documents containing term"),
            node(found.doc_count, "N, total number of documents with field"),
        ],
    )
    tf_node = node(
        tf,
        "tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:",
        [
            node(freq, f"termFreq={java_float_str(freq)}"),
            node(bm25.K1, "k1, term saturation parameter"),
            node(bm25.B, "b, length normalization parameter"),
            node(dl, "dl, length of field (approximate)" if dl > 40 else "dl, length of field"),
            node(found.avgdl, "avgdl, average length of field"),
        ],
    )
    subs = [node(bm25.similarity_boost(boost), "boost"), idf, tf_node]
    inner = node(score, f"score(freq={java_float_str(freq)}), computed as boost * idf * tf from:", subs)
    return node(score, f"weight({q} in {doc if shown_doc is None else shown_doc}), result of:", [inner])
