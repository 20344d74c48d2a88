"""Filters are only ever used as document sets, so score-only structure in them goes (physical stage).

A filter's scores are thrown away: ``Filter`` keeps matching documents, a kNN pre-filter selects the
vectors a search may return. So, inside a filter:

* boosts, ``constant_score`` and names change nothing and are removed;
* ``must`` and ``filter`` clauses mean the same thing and merge; a ``bool`` with a single required
  clause and nothing else *is* that clause (what Lucene turns into ``ConstantScore(x)^0.0`` is ``x``);
* nested all-required ``bool``\\ s flatten, duplicate clauses go, and ``match_all`` next to another
  required clause goes;
* ``should`` clauses next to required ones, with no ``minimum_should_match``, cannot change which
  documents match and go.

Equal filters then look equal, which is what lets ``share_filter_bitsets`` compute them once:
``{"term": {"g": "a"}}`` and ``{"bool": {"filter": [{"term": {"g": "a"}}]}}`` are the same bitset.
Filters of a ``standard`` retriever appear in its hits' explanations, so those are left as written
when the search explains its hits; kNN pre-filters never appear there.
"""

from __future__ import annotations

from retrievo.lucene.query import BoolQ, BoostQ, ConstQ, DisMaxQ, LQuery, MatchAllQ, NamedQ
from retrievo.planner.operator_tree import rebuild
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv

NAME = "simplify_filters"
STAGE = "physical"


def as_filter(q: LQuery) -> LQuery:
    """``q`` reduced to its match set's simplest equal form."""
    if isinstance(q, (BoostQ, ConstQ, NamedQ)):
        return as_filter(q.query)
    if isinstance(q, DisMaxQ):
        queries = tuple(as_filter(c) for c in q.queries)
        return q if all(a is b for a, b in zip(queries, q.queries)) else DisMaxQ(queries, q.tie)
    if not isinstance(q, BoolQ):
        return q
    required: list[LQuery] = []
    for c in q.must + q.filter:
        c = as_filter(c)
        if isinstance(c, BoolQ) and (c.filter or c.must) and not (c.should or c.must_not) and c.msm == 0:
            required.extend(c.filter + c.must)  # already in filter form: all its clauses are required
        else:
            required.append(c)
    required = list(dict.fromkeys(required))
    if len(required) > 1:
        required = [c for c in required if not isinstance(c, MatchAllQ)] or [MatchAllQ()]
    should = tuple(as_filter(c) for c in q.should)
    if q.msm <= 1:
        should = tuple(dict.fromkeys(should))  # with minimum_should_match ≥ 2 a repeated clause counts twice
    must_not = tuple(dict.fromkeys(as_filter(c) for c in q.must_not))
    msm = q.msm
    if required and msm == 0:
        should = ()  # optional clauses next to required ones only add to scores
    if not must_not and msm <= 1:
        if len(required) == 1 and not should:
            return required[0]
        if not required and len(should) == 1:
            return should[0]
    return BoolQ(filter=tuple(required), should=should, must_not=must_not, msm=msm)


def simplified(filters: tuple[LQuery, ...], drop_match_all: bool) -> tuple[LQuery, ...]:
    out = tuple(dict.fromkeys(as_filter(f) for f in filters))
    if drop_match_all:
        out = tuple(f for f in out if not isinstance(f, MatchAllQ))
    return out


def apply(plan: PhysicalPlan, env: RuleEnv) -> PhysicalPlan:
    targets: dict[int, tuple[LQuery, ...]] = {}
    for op in plan.ops:
        filters = op.filter_queries()
        if not filters or (env.explaining and not op.prefilters):
            continue  # filters that are scored appear in explanations as written
        # A kNN search only ever sees live documents, so a match_all pre-filter is no filter.
        new = simplified(filters, drop_match_all=op.prefilters)
        if new != filters:
            targets[id(op)] = new
    if not targets:
        return plan
    root = rebuild(
        plan.root, lambda original, op: op.with_filter_queries(targets[id(original)]) if id(original) in targets else op
    )
    return plan.noted(NAME, f"{len(targets)} operator(s) with simpler filters", root=root)
