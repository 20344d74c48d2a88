"""A plain search for a disjunction of terms ranks with block-max pruning (physical stage).

``Page(TopDocs(Bm25Score))`` scores every document matching any term and then takes the best
``from + size``. When the query is a term or a disjunction of (boosted) terms, the ranking is by score,
and nothing downstream reads every match (no aggregations, no explanation or profile), the ``TopDocs``
becomes :class:`~retrievo.planner.operators.pruned_top_docs.PrunedTopDocs`, which skips doc-id blocks
whose score bound cannot reach the top ``k`` and counts ``hits.total`` only as far as
``track_total_hits`` asks. A ``bool`` whose one MUST clause is such a disjunction and whose other
clauses only filter (FILTER, MUST_NOT) is pruned too, among the documents the filters let through.
Results are identical: same hits, scores, tie order and reported total.
"""

from __future__ import annotations

from dataclasses import fields

from retrievo.lucene.pruning import disjunction_clauses, filtered_disjunction
from retrievo.planner.operator_tree import updated
from retrievo.planner.operators.pruned_top_docs import PrunedTopDocs
from retrievo.planner.operators.query import Bm25Score
from retrievo.planner.operators.top_docs import Page, TopDocs
from retrievo.planner.physical_plan import PhysicalPlan, RuleEnv

NAME = "prune_top_k"
STAGE = "physical"


def apply(plan: PhysicalPlan, env: RuleEnv) -> PhysicalPlan:
    request = env.request
    if env.explaining or request.profile or request.aggs:
        return plan
    page = plan.root
    if type(page) is not Page or type(page.child) is not TopDocs:
        return plan
    top = page.child
    scorer = top.child
    if top.sort or top.search_after is not None or type(scorer) is not Bm25Score or scorer.inputs:
        return plan
    query, filters, excluded = filtered_disjunction(scorer.query)
    clauses = disjunction_clauses(query)
    if clauses is None:
        return plan
    kept = {f.name: getattr(top, f.name) for f in fields(top) if f.init}
    pruned = PrunedTopDocs(**kept, clauses=clauses, track=request.track_total_hits, filters=filters, excluded=excluded)
    note = f"top {top.k} of {len(clauses)} term(s) with MaxScore / block-max pruning"
    if filters or excluded:
        note += f", within {len(filters) + len(excluded)} filter(s)"
    return plan.noted(NAME, note, root=updated(page, child=pruned))
