"""Document sets for the constant-score queries: range, exists, ids, terms, prefix, points.

Each kind reads the structure that answers it fastest — numeric columns for numbers and dates, the
sorted term dictionary for keyword ranges and prefixes, postings for term sets.
"""

from __future__ import annotations

import numpy as np

from retrievo.index.inverted import InvertedField
from retrievo.index.searcher import Searcher
from retrievo.lucene.multi_term import terms_mask
from retrievo.lucene.query import MULTI_TERM_KINDS, DocSetQ


def _union_postings(inv: InvertedField, tids: list[int], n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for t in tids:
        mask[inv.postings(t)[0]] = True
    return mask


def _term_range(inv: InvertedField, lo: str | None, lo_inc: bool, hi: str | None, hi_inc: bool) -> list[int]:
    terms = inv.sorted_terms
    start = 0 if lo is None else int(np.searchsorted(terms, lo, side="left" if lo_inc else "right"))
    stop = terms.size if hi is None else int(np.searchsorted(terms, hi, side="right" if hi_inc else "left"))
    return [inv.terms[t] for t in terms[start:stop]]


def _prefix(inv: InvertedField, prefix: str, case_insensitive: bool) -> list[int]:
    if case_insensitive:
        return [tid for t, tid in inv.terms.items() if t.lower().startswith(prefix)]
    terms = inv.sorted_terms
    start = int(np.searchsorted(terms, prefix, side="left"))
    out = []
    for t in terms[start:]:
        if not t.startswith(prefix):
            break
        out.append(inv.terms[t])
    return out


def doc_set_mask(s: Searcher, q: DocSetQ) -> np.ndarray:
    n = s.max_doc
    empty = np.zeros(n, dtype=bool)
    if q.kind == "ids":
        mask = empty
        for doc_id in q.args:
            doc = s.by_id.get(doc_id)
            if doc is not None and doc < n:
                mask[doc] = True
        return mask
    if q.kind == "exists":
        mask = empty
        for path in q.args:
            mask |= s.present(path)
        return mask
    if q.kind in ("range", "points"):
        col = s.numeric(q.field)
        if col is None:
            return empty
        if q.kind == "range":
            lo, lo_inc, hi, hi_inc = q.args
            return col.matching(lo, lo_inc, hi, hi_inc)
        hit = np.isin(col.values, np.asarray(q.args, dtype=col.values.dtype))
        mask = empty
        mask[col.docs[hit]] = True
        return mask
    inv = s.inverted(q.field)
    if inv is None:
        return empty
    if q.kind == "terms":
        tids = [inv.terms[t] for t in q.args if t in inv.terms]
    elif q.kind == "terms_ci":
        tids = [tid for t, tid in inv.terms.items() if t.lower() == q.args[0]]
    elif q.kind == "term_range":
        tids = _term_range(inv, *q.args)
    elif q.kind == "prefix":
        tids = _prefix(inv, *q.args)
    elif q.kind in MULTI_TERM_KINDS:  # args: (toString, expanded terms)
        return terms_mask(inv, q.args[1], n)
    else:  # pragma: no cover - compile_query only builds the kinds above
        raise ValueError(q.kind)
    return _union_postings(inv, tids, n)
