"""Run one search end to end: parse, plan, execute, shape the response."""

from __future__ import annotations

import time
from typing import Any

from retrievo.index.shard import Shard
from retrievo.planner.explain import explain_operator
from retrievo.planner.logical import build_plan
from retrievo.planner.physical import Embedder
from retrievo.planner.rerank import Rerank
from retrievo.response import es_float, filter_source, search_response


def _top_explanation(plan: Any, ctx: Any, doc: int, score: float) -> dict[str, Any]:
    """A hit's explanation; a reranker at the root explains inside Lucene's ``sum of:`` as in
    Elasticsearch (its final query is the rank docs plus a required match on the child's hits)."""
    main = explain_operator(plan.root, ctx.evaluator, doc, score) or \
        {"value": es_float(score), "description": "*:*", "details": []}
    if not isinstance(getattr(plan.root, "child", None), Rerank):
        return main
    required = {"value": 0.0, "description": "match on required clause, product of:", "details": [
        {"value": 0.0, "description": "# clause", "details": []},
        {"value": 1.0, "description": "rank docs of the reranked child", "details": []}]}
    return {"value": es_float(score), "description": "sum of:", "details": [main, required]}


def run_search(shard: Shard, body: dict[str, Any], embed: Embedder | None = None,
               inference: Any = None) -> dict[str, Any]:
    from retrievo.grammar.json import parse_search
    start = time.perf_counter()
    request = parse_search(shard.name, body, max_result_window=shard.settings.max_result_window)
    plan = build_plan(request, shard.searcher(), embed=embed, inference=inference)
    ranked, ctx = plan.execute()
    s = plan.searcher
    show_score = not ranked.sorted_by_field or request.track_scores
    hits: list[dict[str, Any]] = []
    for i, (doc, score) in enumerate(zip(ranked.docs.tolist(), ranked.scores.tolist())):
        hit: dict[str, Any] = {"_index": shard.name, "_id": s.ids[doc],
                               "_score": es_float(score) if show_score else None}
        src = filter_source(s.source(doc), request.source)
        if src is not None:
            hit["_source"] = src
        if ranked.sort_values is not None and (request.retriever.sort if hasattr(request.retriever, "sort") else ()):
            hit["sort"] = ranked.sort_values[i]
        if doc in ranked.named:
            hit["matched_queries"] = ranked.named[doc]
        if request.explain:
            hit["_shard"] = f"[{shard.name}][0]"
            hit["_node"] = "retrievo"
            hit["_explanation"] = _top_explanation(plan, ctx, doc, score)
        hits.append(hit)
    max_score = None
    if show_score and ranked.scores.size:
        max_score = es_float(ranked.scores.max())
    took = int((time.perf_counter() - start) * 1000)
    return search_response(hits, ranked.total, request.track_total_hits, took, max_score,
                           ranked.terminated_early)
