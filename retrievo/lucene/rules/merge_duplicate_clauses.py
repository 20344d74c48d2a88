"""Identical SHOULD (when minimum_should_match ≤ 1) or MUST clauses merge into one boosted clause.

Lucene sums the clauses' boosts in double and boosts the single remaining clause by that sum, so
``"library library science"`` scores ``library`` once with weight ``fl32(2 × idf)``. For three or more
copies that differs from adding the score three times by an ulp; the CISI goldens exercise it
(../shared/spec/lucene-bm25.md §5). Duplicate FILTER and MUST_NOT clauses are simply dropped.
"""

from __future__ import annotations

import numpy as np

from retrievo.lucene.query import BoolQ, BoostQ, LQuery, unboost

NAME = "merge_duplicate_clauses"
#: The only node type the rule changes (the rewrite driver tries it on no other).
APPLIES_TO = BoolQ


def _merge(clauses: tuple[LQuery, ...]) -> tuple[LQuery, ...]:
    sums: dict[LQuery, float] = {}
    for c in clauses:
        inner, boost = unboost(c)
        sums[inner] = sums.get(inner, 0.0) + boost
    if len(sums) == len(clauses):
        return clauses
    return tuple(q if np.float32(b) == 1.0 else BoostQ(q, float(np.float32(b))) for q, b in sums.items())


def _dedupe(clauses: tuple[LQuery, ...]) -> tuple[LQuery, ...]:
    unique = tuple(dict.fromkeys(clauses))
    return clauses if len(unique) == len(clauses) else unique


def apply(q: LQuery) -> LQuery:
    if not isinstance(q, BoolQ):
        return q
    should = _merge(q.should) if q.msm <= 1 else q.should
    must = _merge(q.must)
    filt, must_not = _dedupe(q.filter), _dedupe(q.must_not)
    # unchanged parts are the very same tuples (an identity test: comparing queries by value is deep)
    if should is q.should and must is q.must and filt is q.filter and must_not is q.must_not:
        return q
    return BoolQ(must=must, should=should, filter=filt, must_not=must_not, msm=q.msm)
