"""A compound retriever's filters move into its children, down to the leaves (logical stage).

Elasticsearch appends a compound's ``filter`` to every child's own pre-filters, recursively
(``CompoundRetrieverBuilder``): a ``standard`` leaf adds them as ``bool.filter`` clauses, a ``knn``
leaf as kNN pre-filters, and they are never applied after fusion. This rule makes that visible in
the logical plan — after it, only leaves carry filters — and drops a filter a child already has
(an ``AND`` with itself changes nothing), except when the search explains its hits, where every
clause appears in the explanation as Elasticsearch lists it.

Switched off, the planner still hands a compound's filters to every child while planning it (the
semantics are not optional: filtering after fusion would change the results); the logical plan then
shows the filters where they were written and duplicates are kept.
"""

from __future__ import annotations

from retrievo.planner.physical_plan import RuleEnv
from retrievo.retrievers import CompoundRetriever, Retriever, TextSimilarityReranker
from retrievo.retrievers.queries import Query

NAME = "push_down_filters"
STAGE = "logical"


def apply(r: Retriever, env: RuleEnv) -> Retriever:
    return _push(r, (), keep_duplicates=env.explaining)


def _merged(own: tuple[Query, ...], inherited: tuple[Query, ...], keep_duplicates: bool) -> tuple[Query, ...]:
    if keep_duplicates:
        return own + inherited
    out = list(own)
    for f in inherited:
        if not any(f == g for g in out):  # AST nodes compare by value
            out.append(f)
    return tuple(out)


def _push(r: Retriever, inherited: tuple[Query, ...], keep_duplicates: bool) -> Retriever:
    filters = _merged(r.filter, inherited, keep_duplicates) if inherited else r.filter
    if isinstance(r, CompoundRetriever):
        kids = [_push(e.retriever, filters, keep_duplicates) for e in r.retrievers]
        if not r.filter and all(k is e.retriever for k, e in zip(kids, r.retrievers)):
            return r
        entries = tuple(e if k is e.retriever else e.model_copy(update={"retriever": k})
                        for k, e in zip(kids, r.retrievers))
        return r.model_copy(update={"retrievers": entries, "filter": ()})
    if isinstance(r, TextSimilarityReranker):
        kid = _push(r.retriever, filters, keep_duplicates)
        if not r.filter and kid is r.retriever:
            return r
        return r.model_copy(update={"retriever": kid, "filter": ()})
    return r if filters is r.filter else r.model_copy(update={"filter": filters})
