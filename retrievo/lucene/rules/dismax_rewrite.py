"""``DisjunctionMaxQuery`` rewrites: one disjunct is itself; a tie-breaker of exactly 1 is a sum.

With tie 1.0, max + 1.0 × others is the sum of all, and Lucene rewrites to a boolean disjunction —
which the flattening rule may then inline (this is how ``multi_match`` ``most_fields`` scores).
"""

from __future__ import annotations

from retrievo.lucene.query import BoolQ, DisMaxQ, LQuery

NAME = "dismax_rewrite"
#: The only node type the rule changes (the rewrite driver tries it on no other).
APPLIES_TO = DisMaxQ


def apply(q: LQuery) -> LQuery:
    if not isinstance(q, DisMaxQ):
        return q
    if len(q.queries) == 1:
        return q.queries[0]
    if q.tie == 1.0:
        return BoolQ(should=q.queries)
    return q
