"""The span query ``TextFieldMapper.createPhrasePrefixQuery`` builds when a phrase prefix's last
word can be looked up in a prefix subfield (``index_prefixes``, ``search_as_you_type``): a
``SpanNearQuery`` (in order, slop 0) on the field whose last clause is a ``FieldMaskingSpanQuery``
over the prefix field's terms.

Every clause is a term (or an or of terms) one position long, so the ordered near of
``NearSpansOrdered`` matches exactly where each clause has a term at its position relative to the
first: the frequency is the number of such places (``1 / (1 + width)`` with width 0 each). The
weight is ``SpanWeight``'s: the idfs of the distinct terms that occur (each with its own field's
document frequency) over the *near's* field's document count, summed in double; norms and the
average length are the near's field's, since the mask makes the prefix clause report that field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrievo.index import bm25
from retrievo.index.searcher import Searcher

__all__ = ["PrefixSpanQ", "prefix_span_matches", "weight_terms"]


@dataclass(frozen=True)
class PrefixSpanQ:
    """``spanNear([field:a, field:b, mask(prefix_field:c)], 0, true)``: ``groups`` holds each
    position's terms (the last group's on ``prefix_field``), ``positions`` their relative positions."""

    field: str
    prefix_field: str
    groups: tuple[tuple[str, ...], ...]
    positions: tuple[int, ...]

    def __str__(self) -> str:
        def clause(i: int) -> str:
            last = i == len(self.groups) - 1
            field = self.prefix_field if last else self.field
            terms = [f"{field}:{t}" for t in self.groups[i]]
            inner = terms[0] if len(terms) == 1 else f"spanOr([{', '.join(terms)}])"
            return f"mask({inner}) as {self.field}" if last else inner

        return f"spanNear([{', '.join(clause(i) for i in range(len(self.groups)))}], 0, true)"


def _group_positions(searcher: Searcher, field: str, terms: tuple[str, ...]) -> dict[int, np.ndarray]:
    """Per document holding one of ``terms``: their positions in ``field``."""
    inv = searcher.inverted(field)
    out: dict[int, list[np.ndarray]] = {}
    if inv is None:
        return {}
    tids = [tid for t in terms if (tid := inv.term_id(t)) is not None]
    if not tids:
        return {}
    docs = np.unique(np.concatenate([inv.postings(tid)[0] for tid in tids]))
    for doc in docs.tolist():
        doc_tids, doc_pos = inv.positions(doc)
        out.setdefault(doc, []).append(doc_pos[np.isin(doc_tids, tids)])
    return {doc: np.concatenate(parts) for doc, parts in out.items()}


def weight_terms(searcher: Searcher, q: PrefixSpanQ) -> list[tuple[str, str, int]]:
    """``SpanWeight``'s statistics: (field, term, document frequency) of the distinct terms that
    occur, ordered by field then text as its ``TreeMap`` of terms is."""
    keyed = {(q.field, t) for group in q.groups[:-1] for t in group} | {(q.prefix_field, t) for t in q.groups[-1]}
    out: list[tuple[str, str, int]] = []
    for field, term in sorted(keyed):
        source = searcher.inverted(field)
        tid = source.term_id(term) if source is not None else None
        if source is not None and tid is not None and source.doc_freq(tid) > 0:
            out.append((field, term, source.doc_freq(tid)))
    return out


def prefix_span_matches(
    searcher: Searcher, q: PrefixSpanQ, boost: np.float32
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(docs, freqs, scores) of the matching documents; None when no term of the query occurs."""
    inv = searcher.inverted(q.field)
    prefix_inv = searcher.inverted(q.prefix_field)
    if inv is None or prefix_inv is None:
        return None
    idfs = [bm25.idf(df, inv.doc_count) for _, _, df in weight_terms(searcher, q)]
    if not idfs:
        return None
    per_group = [
        _group_positions(searcher, q.prefix_field if i == len(q.groups) - 1 else q.field, group)
        for i, group in enumerate(q.groups)
    ]
    candidates = set(per_group[0])
    for group in per_group[1:]:
        candidates &= set(group)
    docs_out: list[int] = []
    freqs_out: list[float] = []
    for doc in sorted(candidates):
        starts = per_group[0][doc] - q.positions[0]
        ok = np.ones(starts.size, dtype=bool)
        for k in range(1, len(q.groups)):
            ok &= np.isin(starts + q.positions[k], per_group[k][doc])
        freq = int(np.unique(starts[ok]).size)
        if freq:
            docs_out.append(doc)
            freqs_out.append(float(freq))
    docs = np.asarray(docs_out, dtype=np.int32)
    freqs = np.asarray(freqs_out, dtype=np.float32)
    idf = bm25.phrase_idf(idfs) if len(idfs) > 1 else idfs[0]
    weight = bm25.term_weight(boost, np.float32(idf))
    cache = inv.norm_cache
    norms = cache[inv.norms[docs]] if inv.norms is not None else np.full(docs.size, cache[1], np.float32)
    return docs, freqs, bm25.score(weight, freqs, norms)
