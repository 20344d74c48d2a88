"""Run a ``_rank_eval`` request: one search per rated request, one metric, Elasticsearch's response.

Each rated request's search body (given, or rendered from its template) is run with ``size`` forced
to the metric's ``k`` and ``_source`` turned off (or limited to ``summary_fields``), as
Elasticsearch's transport action does. The hits are joined with the ratings on ``(_index, _id)``;
a search that fails while running becomes an entry in ``failures`` instead of failing the call,
and the overall ``metric_score`` is the mean over the requests that ran.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from retrievo.errors import ApiError, BadRequestError, not_supported
from retrievo.evaluation.java_order import java_mean
from retrievo.evaluation.metric_specs import Metric
from retrievo.evaluation.mustache import render
from retrievo.evaluation.spec import RankEvalSpec, RatedRequest, parse_rank_eval, parse_search_body

#: Runs one search body against the evaluated index and returns the search response.
Searcher = Callable[[dict[str, Any]], dict[str, Any]]


def resolve_body(request: RatedRequest, templates: dict[str, str]) -> dict[str, Any]:
    """The search body of ``request``: its own, or its template rendered with its ``params``."""
    if request.request is not None:
        return dict(request.request)
    source = templates[request.template_id]  # type: ignore[index]
    text = render(source, request.params)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadRequestError("x_content_parse_exception",
                              f"[{e.lineno}:{e.colno}] template [{request.template_id}] rendered invalid JSON "
                              f"for request [{request.id}]: {e.msg}") from None
    return parse_search_body(value)


def search_body_for(body: dict[str, Any], metric: Metric, summary_fields: Sequence[str]) -> dict[str, Any]:
    """Force ``size`` to ``k`` and fetch no ``_source`` unless summary fields were asked for."""
    out = dict(body)
    out["size"] = metric.k
    out["_source"] = list(summary_fields) if summary_fields else False
    return out


def rated_hits(hits: Sequence[dict[str, Any]], request: RatedRequest) -> list[tuple[dict[str, Any], int | None]]:
    """``joinHitsWithRatings``: each hit with its rating, ``None`` when the hit is unrated."""
    ratings = {(d.index, d.id): d.rating for d in request.ratings}
    return [(hit, ratings.get((hit.get("_index"), hit.get("_id")))) for hit in hits]


def evaluate_request(metric: Metric, request: RatedRequest, hits: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One entry of ``details``: score, unrated docs, rated hits and the metric's details."""
    joined = rated_hits(hits, request)
    if metric.name == "expected_reciprocal_rank":
        joined = joined[:metric.k]
    ratings = [rating for _, rating in joined]
    score, detail = metric.evaluate(ratings, [d.rating for d in request.ratings])
    return {
        "metric_score": score,
        "unrated_docs": [{"_index": hit["_index"], "_id": hit["_id"]} for hit, rating in joined if rating is None],
        "hits": [{"hit": hit, "rating": rating} for hit, rating in joined],
        "metric_details": {metric.name: detail},
    }


def failure_entry(error: ApiError) -> dict[str, Any]:
    """A failure as Elasticsearch writes it under ``failures.<id>``: ``{"error": {...}}``."""
    return {"error": error.body.get("error", error.body)}


def run_rank_eval(spec: RankEvalSpec, search: Searcher) -> dict[str, Any]:
    """Evaluate every rated request of ``spec`` with ``search`` and assemble the response."""
    bodies: list[tuple[RatedRequest, dict[str, Any]]] = []
    for request in spec.requests:
        body = resolve_body(request, spec.templates)
        bodies.append((request, search_body_for(body, spec.metric, request.summary_fields)))
    details: dict[str, dict[str, Any]] = {}
    failures: dict[str, dict[str, Any]] = {}
    for request, body in bodies:
        try:
            response = search(body)
        except ApiError as err:
            failures[request.id] = failure_entry(err)
            details.pop(request.id, None)
            continue
        details[request.id] = evaluate_request(spec.metric, request, response["hits"]["hits"])
    score = java_mean({rid: d["metric_score"] for rid, d in details.items()}, len(bodies))
    return {"metric_score": score, "details": details, "failures": failures}


def rank_eval(engine: Any, body: Any, index: str | None = None, search_type: str | None = None) -> dict[str, Any]:
    """``POST /<index>/_rank_eval`` against ``engine``."""
    if search_type not in (None, "query_then_fetch", "dfs_query_then_fetch"):
        raise BadRequestError("illegal_argument_exception", f"No search type for [{search_type}]")
    spec = parse_rank_eval(body)
    targets = engine._resolve(index) if index not in (None, "", "_all", "*") else list(engine._shards)
    if isinstance(index, str) and "*" in index and index not in ("_all", "*"):
        targets = engine._resolve(index)
    if len(targets) > 1:
        raise not_supported("[rank_eval] over several indices",
                            f"[{index or '_all'}] resolves to {sorted(targets)}; name one index")

    def search(search_body: dict[str, Any]) -> dict[str, Any]:
        if not targets:
            return _empty_response()
        # one shard: query_then_fetch and dfs_query_then_fetch see the same statistics
        return engine.search(index=targets[0], body=search_body)

    return run_rank_eval(spec, search)


def _empty_response() -> dict[str, Any]:
    """What a search over zero indices answers: no hits."""
    return {"hits": {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []}}
