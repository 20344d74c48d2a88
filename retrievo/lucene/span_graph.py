"""Span queries over a synonym graph: what a ``match_phrase`` without slop becomes when its search
analyzer emits a multi-word synonym (Elasticsearch's ``analyzeGraphPhrase`` builds a ``SpanNearQuery``,
in order and with slop 0, of ``SpanOrQuery``s over the graph's alternatives).

Matching follows Lucene 8's span enumerations literally, since their greedy advance is part of the
result (``NearSpansOrdered`` never moves a sub-span back, so an alternative that only fits after a
shorter one was taken is missed, as in Lucene): a term's spans are its positions ``[p, p + 1)``; a
``SpanOrQuery``'s are its clauses' merged by (start, end); an ordered near's start with each span of
its first clause, move every following clause to its first span starting at or after the previous
end, and match when the gaps add up to at most the slop (0); the first exhausted clause ends the
document. A gap (``SpanGapQuery``, ``("gap", width)``: where a removed stop word left a hole) is
``GapSpans``: moved straight to the previous clause's end and ``width`` long; as a near's first clause it
starts at 0, 1, 2 … in turn, until another clause runs out. The frequency is ``SpanScorer``'s:
``1 / (1 + width)`` per match, added in double and stored in float; the weight's idf is the sum of
the idfs of the query's distinct terms that occur.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import numpy as np

from retrievo.index import bm25
from retrievo.index.inverted import InvertedField
from retrievo.lucene.query import SpanTree

Spans = list[tuple[int, int, int]]  # (start, end, width)


def span_terms(tree: SpanTree) -> list[str]:
    """The distinct terms of a span tree, sorted (``SpanWeight`` collects them in a ``TreeMap``)."""
    if tree[0] == "term":
        return [tree[1]]
    if tree[0] == "gap":
        return []
    return sorted({t for child in tree[1] for t in span_terms(child)})


def span_idf_terms(inv: InvertedField, tree: SpanTree) -> list[int]:
    """The term ids whose statistics the weight uses: the tree's terms that occur in the field."""
    ids = [inv.term_id(t) for t in span_terms(tree)]
    return [t for t in ids if t is not None and inv.doc_freq(t) > 0]


def _candidates(inv: InvertedField, tree: SpanTree) -> np.ndarray:
    """Documents that can hold a span of ``tree`` (every clause of a near, any clause of an or)."""
    if tree[0] == "term":
        tid = inv.term_id(tree[1])
        return inv.postings(tid)[0] if tid is not None else np.zeros(0, dtype=np.int32)
    parts = [_candidates(inv, child) for child in tree[1] if child[0] != "gap"]  # a gap: every document
    if tree[0] == "or":
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int32)
    out = parts[0]
    for part in parts[1:]:
        out = np.intersect1d(out, part, assume_unique=True)
    return out


def _spans(tree: SpanTree, positions: dict[str, list[int]]) -> Spans:
    if tree[0] == "term":
        return [(p, p + 1, 0) for p in positions.get(tree[1], [])]
    if tree[0] == "or":
        subs = [_spans(child, positions) for child in tree[1]]
        return sorted((s for sub in subs for s in sub), key=lambda s: (s[0], s[1]))
    # a near: a gap clause stays its width (GapSpans is positioned by the near itself)
    return _near_ordered([child[1] if child[0] == "gap" else _spans(child, positions) for child in tree[1]], slop=0)


def _first_spans(first: Spans | int) -> Iterator[tuple[int, int, int]]:
    """The first clause's spans in order; a gap's start at every position (``GapSpans.nextStartPosition``)."""
    if isinstance(first, int):
        return ((p, p + first, 0) for p in count())
    return iter(first)


def _near_ordered(subs: list[Spans | int], slop: int) -> Spans:
    """``NearSpansOrdered``: each span of the first clause stretched over the others, never backwards
    (a gap, an int, skipped straight to the previous end: ``advancePosition``'s ``GapSpans`` case)."""
    found: Spans = []
    at = [0] * len(subs)
    for start, end, _ in _first_spans(subs[0]):
        prev_end, width = end, 0
        for k in range(1, len(subs)):
            clause, j = subs[k], at[k]
            if isinstance(clause, int):
                prev_end += clause
                continue
            while j < len(clause) and clause[j][0] < prev_end:
                j += 1
            at[k] = j
            if j == len(clause):  # one clause exhausted: no more matches in this document
                return found
            width += clause[j][0] - prev_end
            prev_end = clause[j][1]
        if width <= slop:
            found.append((start, prev_end, width))
    return found


def span_graph_matches(
    inv: InvertedField, tree: SpanTree, boost: np.float32
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(docs, freqs, scores) of the matching documents; None when none of the terms occurs."""
    idf_ids = span_idf_terms(inv, tree)
    if not idf_ids:
        return None
    wanted = {t: inv.term_id(t) for t in span_terms(tree)}
    docs_out: list[int] = []
    freqs_out: list[float] = []
    for doc in _candidates(inv, tree).tolist():
        doc_tids, doc_pos = inv.positions(doc)
        positions = {t: doc_pos[doc_tids == tid].tolist() for t, tid in wanted.items() if tid is not None}
        freq = np.float32(0.0)
        for _, _, width in _spans(tree, positions):
            freq = np.float32(float(freq) + 1.0 / (1.0 + width))
        if freq > 0:
            docs_out.append(doc)
            freqs_out.append(float(freq))
    docs = np.asarray(docs_out, dtype=np.int32)
    freqs = np.asarray(freqs_out, dtype=np.float32)
    idf = bm25.phrase_idf([inv.idfs[t] for t in idf_ids]) if len(idf_ids) > 1 else inv.idfs[idf_ids[0]]
    weight = bm25.term_weight(boost, np.float32(idf))
    cache = inv.norm_cache
    norms = cache[inv.norms[docs]] if inv.norms is not None else np.full(docs.size, cache[1], np.float32)
    return docs, freqs, bm25.score(weight, freqs, norms)
