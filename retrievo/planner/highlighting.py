"""The glue between a planned search and the highlighter: which queries highlight, and how.

Elasticsearch highlights with the search's query. A compound retriever's final query holds its
children's queries (``RankDocsQuery``), so every query the plan scores or filters with highlights; such
a query — like a kNN leaf — switches the unified highlighter out of its ``WEIGHT_MATCHES`` mode. A
field's ``highlight_query`` replaces the search's query for that field and is compiled here, against the
same searcher.
"""

from __future__ import annotations

import time

from retrievo.highlight.fields import Highlighter, plan_highlight
from retrievo.highlight.terms import QueryLeaves, query_leaves
from retrievo.index.analysis.analyzers import Analyzer
from retrievo.index.field_types.base import FieldMapping
from retrievo.index.searcher import Searcher
from retrievo.index.shard import Shard
from retrievo.lucene.query import LQuery
from retrievo.planner.compile_query import CompileContext, compile_query
from retrievo.planner.operator_tree import walk
from retrievo.planner.operators.vector import VectorSearch
from retrievo.planner.plan import Plan
from retrievo.retrievers.highlight import Highlight
from retrievo.retrievers.queries import Query
from retrievo.retrievers.rescorer import RescorerRetriever
from retrievo.retrievers.standard import StandardRetriever


def _plan_queries(plan: Plan) -> tuple[LQuery, ...]:
    """The queries the plan scores and filters with, in tree order. A kNN search's pre-filter is left
    out: Lucene's kNN query visits as one leaf, so its filter never reaches a highlighter."""
    out: list[LQuery] = []
    for op in walk(plan.root):
        scoring = op.scoring_query()
        if scoring is not None:
            out.append(scoring)
        if not isinstance(op, VectorSearch):
            out.extend(op.filter_queries())
    return tuple(out)


def _single_query_search(plan: Plan) -> bool:
    """Whether the search ran one query (not a compound retriever's ranked documents)."""
    retriever = plan.request.retriever
    if isinstance(retriever, RescorerRetriever) and retriever.top_level:
        retriever = retriever.retriever
    return isinstance(retriever, StandardRetriever)


def highlighter_for(shard: Shard, plan: Plan) -> Highlighter | None:
    """The request's highlighter (``None`` when it asks for no highlighting)."""
    spec = plan.request.highlight
    if spec is None:
        return None
    main = query_leaves(_plan_queries(plan))
    now = int(time.time() * 1000)
    return build_highlighter(shard, spec, plan.searcher, main, _single_query_search(plan), now)


def build_highlighter(
    shard: Shard, spec: Highlight, searcher: Searcher, main: QueryLeaves, main_query_only: bool, now_millis: int
) -> Highlighter:
    """A highlighter over ``searcher`` (the index's, or a nested level's for ``inner_hits``): the fields'
    analyzers from the shard's mappings, a field's ``highlight_query`` compiled on ``searcher``, and
    ``main``'s terms; ``main_query_only``: the search has one query (no knn), which may be re-run to
    find the fragments' matches."""
    mappings = shard.mappings

    def analyzer_of(fm: FieldMapping) -> Analyzer | None:
        name = fm.analyzer or mappings.default_analyzer
        return shard.analysis.get(name) if name in shard.analysis else None

    def leaves_of(query: Query) -> QueryLeaves:
        ctx = CompileContext(searcher=searcher, now_millis=now_millis, default_field=shard.settings.default_field)
        return query_leaves((ctx.rewrite(compile_query(query, ctx)),))

    plans = plan_highlight(
        shard.name, spec, mappings, analyzer_of, main, main_query_only and not main.has_knn, leaves_of
    )
    return Highlighter(plans, shard.name, shard.settings.highlight_max_analyzed_offset)
