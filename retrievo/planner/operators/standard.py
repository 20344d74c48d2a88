"""Planning the ``standard`` retriever: its query, filters, score cut-off and sort over the index.

A ``standard`` retriever becomes ``TopDocs(TerminateAfter(MinScore(Filter(Bm25Score))))``, each step
present only when the request asks for it. With a top-level ``knn`` section the kNN searches run first
and their hits join the query as SHOULD clauses (Elasticsearch sums the scores).
"""

from __future__ import annotations

from retrievo.lucene.query import BoolQ, KnnHitsQ, LQuery, boosted
from retrievo.planner.compile_query import compile_query, hybrid_without_processor
from retrievo.planner.nested_sort import resolve_nested_sorts
from retrievo.planner.operators.base import Operator
from retrievo.planner.operators.collapse import check_request as check_collapse
from retrievo.planner.operators.collapse import collapsed
from retrievo.planner.operators.query import Bm25Score, ConstantScore, Filter, MinScore, TerminateAfter
from retrievo.planner.operators.top_docs import TopDocs
from retrievo.planner.operators.vector import vector_searches
from retrievo.planner.planning import PlanningContext
from retrievo.retrievers.hybrid import HybridQuery
from retrievo.retrievers.standard import StandardRetriever


def plan_standard(r: StandardRetriever, ctx: PlanningContext, k: int, min_score: float | None) -> Operator:
    if isinstance(r.query, HybridQuery):
        raise hybrid_without_processor()
    ctx.window = k
    if r.knn or r.query is not None:
        op: Operator = _scored_query(r, ctx)
    else:
        # Elasticsearch scores a missing query as match_all (1.0), or 0 when only filters are given.
        op = ConstantScore(0.0 if r.filter else 1.0)
    if r.filter:
        first = len(ctx.searches)  # a knn query in a filter registers its search while compiling
        filters = tuple(ctx.compile_filter(f) for f in r.filter)
        op = Filter(op, filters, inputs=vector_searches(ctx, first))
    if r.min_score is not None:
        op = MinScore(op, r.min_score)
    if r.terminate_after:
        op = TerminateAfter(op, r.terminate_after)
    sort = resolve_nested_sorts(ctx, r.sort)
    if r.collapse is not None:  # every match ranked, then the first k groups
        check_collapse(ctx.searcher, r.collapse, r.sort, r.search_after)
        return collapsed(TopDocs(op, max(k, ctx.searcher.max_doc), sort, r.search_after), r.collapse, k)
    return TopDocs(op, k, sort, r.search_after)


def _scored_query(r: StandardRetriever, ctx: PlanningContext) -> Operator:
    """The retriever's query; with a top-level ``knn``, each search's hits are a SHOULD clause next to
    it, and semantic queries inside it register their own searches while compiling."""
    first = len(ctx.searches)
    if not r.knn:
        assert r.query is not None
        query = ctx.compile(r.query)
    else:
        marks = ctx.marks()
        clauses: list[LQuery] = [compile_query(r.query, ctx)] if r.query is not None else []
        for search in r.knn:
            filters = tuple(ctx.compile_filter(f) for f in search.filter)
            hits = KnnHitsQ(ctx.add_search(search, filters), search.field)
            if search.name is not None:  # ``_name``: the search's hits list it in ``matched_queries``
                ctx.named.append((search.name, hits))
            clauses.append(boosted(hits, search.boost))
        query = ctx.rewrite(BoolQ(should=tuple(clauses)))
        if r.query is not None:  # the query part compiled on each shard, the kNN hits shared
            text_query, knn_clauses = r.query, tuple(clauses[1:])
            ctx.add_shard_variants(
                query,
                marks,
                lambda on_shard: on_shard.rewrite(BoolQ(should=(compile_query(text_query, on_shard), *knn_clauses))),
            )
    inputs = vector_searches(ctx, first)
    return Bm25Score(query, inputs, name="Score" if inputs else "Bm25Score")
