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
from retrievo.retrievers import Retriever
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
    children = r.children()
    if not children:  # a leaf takes them as its own filters (a knn leaf as pre-filters)
        return r if filters is r.filter else r.model_copy(update={"filter": filters})
    pushed = tuple(_push(c, filters, keep_duplicates) for c in children)
    if not r.filter and all(a is b for a, b in zip(pushed, children)):
        return r
    return r.with_children(pushed).model_copy(update={"filter": ()})
