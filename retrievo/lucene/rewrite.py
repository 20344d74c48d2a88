"""Drive the query rules to a fixpoint the way Lucene's ``IndexSearcher.rewrite`` does.

Children are rewritten first; then the rules are tried at the node in their fixed order, and the
first one that changes it restarts the loop — Lucene's ``rewrite`` also returns after each change
and is called again until nothing changes. Order matters in rare cases (a duplicated nested
disjunction is merged into a boosted clause before it could be flattened), so it is Lucene's order.
Rules return the very same object when they change nothing, so "changed" is an identity test, and
nodes already at their fixpoint are remembered so a restart does not walk them again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import replace

from retrievo.lucene.clause_limit import check_nested_clauses
from retrievo.lucene.query import BoolQ, BoostQ, ConstQ, DisMaxQ, LQuery, NamedQ
from retrievo.lucene.rules import QUERY_RULES


def active_rules(disabled: Iterable[str] = ()) -> tuple:
    off = set(disabled)
    return tuple(r for r in QUERY_RULES if r.NAME not in off)


def rewrite(q: LQuery, rules: tuple | None = None) -> LQuery:
    """The rewritten query; like ``IndexSearcher.rewrite`` it then counts the leaves of the result
    (raises ``TooManyNestedClauses`` past the clause limit, see :mod:`retrievo.lucene.clause_limit`)."""
    done: dict[int, LQuery] = {}
    out = _rewrite(q, QUERY_RULES if rules is None else rules, done)
    check_nested_clauses(out)
    return out


#: The node types with children; every rule changes one of them, so any other node is a leaf that
#: rewrites to itself.
_PARENTS = (BoolQ, DisMaxQ, BoostQ, ConstQ, NamedQ)


@functools.cache
def _applicable(rules: tuple, kind: type) -> tuple:
    """The rules, in order, that can change a node of type ``kind`` (each names its ``APPLIES_TO``)."""
    return tuple(r for r in rules if issubclass(kind, r.APPLIES_TO))


def _rewrite(q: LQuery, rules: tuple, done: dict[int, LQuery]) -> LQuery:
    if not isinstance(q, _PARENTS):
        return q
    while True:
        if id(q) in done:
            return q
        q = _rewrite_children(q, rules, done)
        kind: type = type(q)
        for rule in _applicable(rules, kind):
            new = rule.apply(q)
            if new is not q:
                q = new
                break
        else:
            done[id(q)] = q  # the dict keeps q alive, so its id stays unique
            return q


def _all(qs: tuple[LQuery, ...], rules: tuple, done: dict[int, LQuery]) -> tuple[LQuery, ...]:
    out = tuple(_rewrite(c, rules, done) for c in qs)
    return qs if all(a is b for a, b in zip(out, qs)) else out


def _rewrite_children(q: LQuery, rules: tuple, done: dict[int, LQuery]) -> LQuery:
    if isinstance(q, BoolQ):
        must, should = _all(q.must, rules, done), _all(q.should, rules, done)
        filt, must_not = _all(q.filter, rules, done), _all(q.must_not, rules, done)
        if must is q.must and should is q.should and filt is q.filter and must_not is q.must_not:
            return q
        return BoolQ(must=must, should=should, filter=filt, must_not=must_not, msm=q.msm)
    if isinstance(q, DisMaxQ):
        queries = _all(q.queries, rules, done)
        return q if queries is q.queries else replace(q, queries=queries)
    if isinstance(q, (BoostQ, ConstQ, NamedQ)):
        inner = _rewrite(q.query, rules, done)
        return q if inner is q.query else replace(q, query=inner)
    return q
