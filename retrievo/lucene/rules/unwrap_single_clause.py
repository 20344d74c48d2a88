"""A boolean query with one clause is that clause (Lucene ``BooleanQuery.rewrite``).

A lone MUST or SHOULD clause (minimum_should_match 0, or 1 for SHOULD) is returned as is; a lone
FILTER becomes a constant score of 0; no clause at all matches nothing. Scores do not change; the
point is that later rules (flattening) see the simpler shape Lucene sees.
"""

from __future__ import annotations

from retrievo.lucene.query import BoolQ, BoostQ, ConstQ, LQuery, MatchNoneQ

NAME = "unwrap_single_clause"
#: The only node type the rule changes (the rewrite driver tries it on no other).
APPLIES_TO = BoolQ


def apply(q: LQuery) -> LQuery:
    if not isinstance(q, BoolQ):
        return q
    clauses = q.clauses()
    if not clauses:
        return MatchNoneQ("empty BooleanQuery")
    if len(clauses) != 1:
        return q
    if q.should and q.msm <= 1:
        return q.should[0]
    if q.msm == 0:
        if q.must:
            return q.must[0]
        if q.filter:
            return BoostQ(ConstQ(q.filter[0]), 0.0)
        if q.must_not:
            return MatchNoneQ("pure negative BooleanQuery")
    return q
