"""A pure disjunction nested as a SHOULD clause of another disjunction is inlined into it.

Lucene (8.x) does this for block-max WAND; it changes rounding: ``fl32(t1 + t2 + t3)`` instead of
``fl32(t1 + fl32(t2 + t3))``. Only un-boosted nested queries with SHOULD clauses alone and
minimum_should_match ≤ 1 are inlined, and only into a parent whose minimum_should_match ≤ 1.
"""

from __future__ import annotations

from retrievo.lucene.query import BoolQ, LQuery

NAME = "flatten_disjunctions"
#: The only node type the rule changes (the rewrite driver tries it on no other).
APPLIES_TO = BoolQ


def _pure_disjunction(q: LQuery) -> bool:
    return isinstance(q, BoolQ) and bool(q.should) and not (q.must or q.filter or q.must_not) and q.msm <= 1


def apply(q: LQuery) -> LQuery:
    if not isinstance(q, BoolQ) or q.msm > 1 or not any(_pure_disjunction(c) for c in q.should):
        return q
    should: list[LQuery] = []
    for c in q.should:
        if _pure_disjunction(c):
            assert isinstance(c, BoolQ)
            should.extend(c.should)
        else:
            should.append(c)
    return BoolQ(must=q.must, should=tuple(should), filter=q.filter, must_not=q.must_not, msm=q.msm)
