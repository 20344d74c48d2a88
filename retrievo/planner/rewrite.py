"""Drive the query rules to a fixpoint the way Lucene's ``IndexSearcher.rewrite`` does.

Children are rewritten first; then the rules are tried at the node in their fixed order, and the
first one that changes it restarts the loop — Lucene's ``rewrite`` also returns after each change
and is called again until nothing changes. Order matters in rare cases (a duplicated nested
disjunction is merged into a boosted clause before it could be flattened), so it is Lucene's order.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from retrievo.planner.lucene_query import BoolQ, BoostQ, ConstQ, DisMaxQ, LQuery, NamedQ
from retrievo.planner.rules import QUERY_RULES


def active_rules(disabled: Iterable[str] = ()) -> tuple:
    off = set(disabled)
    return tuple(r for r in QUERY_RULES if r.NAME not in off)


def rewrite(q: LQuery, rules: tuple | None = None) -> LQuery:
    rules = QUERY_RULES if rules is None else rules
    while True:
        q = _rewrite_children(q, rules)
        for rule in rules:
            new = rule.apply(q)
            if new != q:
                q = new
                break
        else:
            return q


def _rewrite_children(q: LQuery, rules: tuple) -> LQuery:
    if isinstance(q, BoolQ):
        return BoolQ(must=tuple(rewrite(c, rules) for c in q.must),
                     should=tuple(rewrite(c, rules) for c in q.should),
                     filter=tuple(rewrite(c, rules) for c in q.filter),
                     must_not=tuple(rewrite(c, rules) for c in q.must_not), msm=q.msm)
    if isinstance(q, DisMaxQ):
        return replace(q, queries=tuple(rewrite(c, rules) for c in q.queries))
    if isinstance(q, (BoostQ, ConstQ, NamedQ)):
        return replace(q, query=rewrite(q.query, rules))
    return q
