"""Elasticsearch's ``BlendedTermQuery.dismaxBlendedQuery``: one term over several fields, with blended
document frequencies, under a ``dis_max`` (what ``multi_match`` ``cross_fields`` builds per token).

A term rare in one field but common in another would otherwise score highest in the field where it is
rare. Elasticsearch "lies" about the statistics so the fields compete on equal terms: every (field,
term) pair is given the largest document frequency among them, and to keep a little preference for the
field where the term is more common, each step down in the (descending) ranking of the real document
frequencies adds one to the blended one. The blended value is capped by each field's ``docCount`` and by
``maxDoc`` (itself capped by the smallest ``sumTotalTermFreq`` of the fields the term occurs in).

BM25 reads only the document frequency (and the field's own ``docCount``) of these statistics, so each
pair becomes a :class:`~retrievo.lucene.query.BlendedTermQ` carrying its blended frequency.
"""

from __future__ import annotations

from collections.abc import Sequence

from retrievo.index.searcher import Searcher
from retrievo.lucene.query import BlendedTermQ, DisMaxQ, LQuery, boosted


def blended_doc_freqs(searcher: Searcher, pairs: Sequence[tuple[str, str]]) -> list[int]:
    """``BlendedTermQuery.blend``: the document frequency each (field, term) pair is scored with."""
    dfs, doc_counts, sum_ttfs = [], [], []
    for field, term in pairs:
        inv = searcher.inverted(field)
        tid = inv.term_id(term) if inv is not None else None
        dfs.append(inv.doc_freq(tid) if inv is not None and tid is not None else 0)
        doc_counts.append(inv.doc_count if inv is not None else 0)
        sum_ttfs.append(inv.sum_total_term_freq if inv is not None else 0)
    if len(pairs) <= 1:
        return dfs
    highest = max(dfs)
    if highest == 0:
        return dfs
    max_doc = int(searcher.live.sum())  # Lucene's maxDoc of a force-merged index: the live documents
    min_sum_ttf = min(s for s, df in zip(sum_ttfs, dfs) if df > 0)  # pairs whose term occurs (ttf > 0)
    max_doc = min(max_doc, min_sum_ttf)
    order = sorted(range(len(pairs)), key=lambda i: -dfs[i])  # stable: InPlaceMergeSorter
    blended = list(dfs)
    prev = dfs[order[0]]
    actual = min(max_doc, highest)
    for i in order:
        current = dfs[i]
        if current == 0:
            break
        if prev > current:
            actual += 1
        blended[i] = min(actual, doc_counts[i], max_doc)
        prev = current
    return blended


def dismax_blended(searcher: Searcher, pairs: Sequence[tuple[str, str, float]], tie: float) -> LQuery:
    """The rewritten ``dismaxBlendedQuery``: a ``dis_max`` of each pair's term query (boosted by its
    field's boost) scored with its blended document frequency."""
    dfs = blended_doc_freqs(searcher, [(f, t) for f, t, _ in pairs])
    clauses = tuple(boosted(BlendedTermQ(f, t, df), boost) for (f, t, boost), df in zip(pairs, dfs))
    return clauses[0] if len(clauses) == 1 else DisMaxQ(clauses, tie)
