"""Run a ``_rank_eval`` request: one search per rated request, one metric, Elasticsearch's response.

Each rated request's search body (given, or rendered from its template) is run with ``size`` forced
to the metric's ``k`` and ``_source`` turned off (or limited to ``summary_fields``), as
Elasticsearch's transport action does. The hits are joined with the ratings on ``(_index, _id)``;
a search that fails while running becomes an entry in ``failures`` instead of failing the call,
and the overall ``metric_score`` is the mean over the requests that ran.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from typing import Any

from retrievo.catalog import Catalog
from retrievo.errors import bad_request, illegal_argument, not_supported
from retrievo.evaluation.metric_specs import Metric
from retrievo.evaluation.mustache import render
from retrievo.evaluation.spec import RankEvalSpec, RatedRequest, parse_rank_eval, parse_search_body
from retrievo.java_order import hashmap_order, java_mean
from retrievo.multi_search import SearchHooks, multi_search


def resolve_body(request: RatedRequest, templates: dict[str, str]) -> dict[str, Any]:
    """The search body of ``request``: its own, or its template rendered with its ``params``."""
    if request.request is not None:
        return dict(request.request)
    source = templates[request.template_id]  # type: ignore[index]
    text = render(source, request.params)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise bad_request(
            "x_content_parse_exception",
            f"[{e.lineno}:{e.colno}] template [{request.template_id}] rendered invalid JSON "
            f"for request [{request.id}]: {e.msg}",
        ) from None
    return parse_search_body(value)


def search_body_for(body: dict[str, Any], metric: Metric, summary_fields: Sequence[str]) -> dict[str, Any]:
    """Force ``size`` to ``k`` and fetch no ``_source`` unless summary fields were asked for."""
    out = dict(body)
    out["size"] = metric.k
    out["_source"] = list(summary_fields) if summary_fields else False
    return out


def rated_hits(hits: Sequence[dict[str, Any]], request: RatedRequest) -> list[tuple[dict[str, Any], int | None]]:
    """``joinHitsWithRatings``: each hit with its rating, ``None`` when the hit is unrated."""
    ratings: dict[tuple[Any, Any], int] = {(d.index, d.id): d.rating for d in request.ratings}
    return [(hit, ratings.get((hit.get("_index"), hit.get("_id")))) for hit in hits]


def evaluate_request(metric: Metric, request: RatedRequest, hits: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One entry of ``details``: score, unrated docs, rated hits and the metric's details."""
    joined = rated_hits(hits, request)
    if metric.name == "expected_reciprocal_rank":
        joined = joined[: metric.k]
    ratings = [rating for _, rating in joined]
    score, detail = metric.evaluate(ratings, [d.rating for d in request.ratings])
    return {
        "metric_score": score,
        "unrated_docs": [{"_index": hit["_index"], "_id": hit["_id"]} for hit, rating in joined if rating is None],
        "hits": [{"hit": hit, "rating": rating} for hit, rating in joined],
        "metric_details": {metric.name: detail},
    }


def failure_from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A failed ``_msearch`` item (``{"error", "status"}``) as a ``failures.<id>`` entry."""
    return {"error": item["error"]}


def java_map_capacity(expected: int) -> int:
    """Elasticsearch's ``Maps.newMapWithExpectedSize``: the initial capacity it gives ``HashMap``."""
    return expected + 1 if expected < 2 else int(expected / 0.75 + 1.0)


def assemble_response(
    metric: Metric, requests: Sequence[RatedRequest], responses: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The ``_rank_eval`` response from one search response (or failed item) per rated request.

    ``details`` is keyed and ordered as Elasticsearch's ``HashMap`` of request ids iterates, and
    ``metric_score`` is that map's values summed in the same order (Kahan, as ``DoubleStream.sum``)
    over their count: the mean over the requests that ran, NaN when none did."""
    capacity = java_map_capacity(len(requests))
    evaluated: dict[str, dict[str, Any]] = {}
    failures: dict[str, dict[str, Any]] = {}
    for request, response in zip(requests, responses):
        if "error" in response:
            failures[request.id] = failure_from_item(response)
            evaluated.pop(request.id, None)
        else:
            evaluated[request.id] = evaluate_request(metric, request, response["hits"]["hits"])
            failures.pop(request.id, None)
    order = hashmap_order(evaluated, capacity)
    details = {rid: evaluated[rid] for rid in order}
    score = java_mean({rid: d["metric_score"] for rid, d in details.items()}, capacity)
    return {"metric_score": score, "details": details, "failures": failures}


def search_bodies(spec: RankEvalSpec) -> list[dict[str, Any]]:
    """Each rated request's search body, rendered from its template where it has one, with the
    metric's window forced as ``size``. Rendering or validation errors fail the whole call, as in
    Elasticsearch, before any search runs."""
    return [
        search_body_for(resolve_body(request, spec.templates), spec.metric, request.summary_fields)
        for request in spec.requests
    ]


def resolve_target(catalog: Catalog, index: str | Sequence[str] | None) -> str | None:
    """The one index the searches run against; ``None`` when the expression matches no index.

    A concrete name is passed through unresolved, so that a missing index fails every search (each
    becomes a ``failures`` entry, as in Elasticsearch); ``_all``, ``*``, wildcards and lists are
    resolved here, and more than one index is refused (retrievo searches one index at a time)."""
    if index is not None and not isinstance(index, str):
        index = ",".join(str(part) for part in index)
    if index in (None, "", "_all", "*") or "*" in str(index) or "," in str(index):
        names: list[str] = []
        for part in str(index or "_all").split(","):
            if part in ("", "_all", "*"):
                names.extend(catalog.shards)
            elif "*" in part:
                names.extend(n for n in catalog.shards if fnmatch.fnmatchcase(n, part))
            else:
                names.append(part)
        names = list(dict.fromkeys(names))
        if len(names) > 1:
            raise not_supported(
                "[rank_eval] over several indices", f"[{index or '_all'}] resolves to {sorted(names)}; name one index"
            )
        return names[0] if names else None
    return str(index)


def run_rank_eval(
    catalog: Catalog,
    spec: RankEvalSpec,
    index: str | Sequence[str] | None,
    *,
    hooks: SearchHooks | None = None,
) -> dict[str, Any]:
    """Run the rated requests of ``spec`` as ``_msearch`` calls of at most ``max_concurrent_searches``
    searches each (as Elasticsearch keeps at most that many in flight; within a call, query
    embeddings and rerank pairs are batched across requests) and assemble the response. With the
    API's :class:`SearchHooks`, the index expression (lists, wildcards, aliases) is resolved for each
    search as ``_msearch`` resolves a header's, and each search runs through its indices' default
    search pipeline as OpenSearch's ``TransportRankEvalAction`` (one ``SearchRequest`` per rated
    request, sent with ``client.multiSearch``) has it run."""
    bodies = search_bodies(spec)
    if hooks is not None:
        expression = index if index is None or isinstance(index, str) else ",".join(str(part) for part in index)
        header = {} if expression is None else {"index": expression}
        responses = []
        for start in range(0, len(bodies), spec.max_concurrent_searches):
            lines = [line for body in bodies[start : start + spec.max_concurrent_searches] for line in (header, body)]
            responses += multi_search(catalog, lines, hooks=hooks)[0]["responses"]
        return assemble_response(spec.metric, spec.requests, responses)
    target = resolve_target(catalog, index)
    if target is None:
        responses = [_empty_response() for _ in bodies]
    else:
        responses = []
        step = spec.max_concurrent_searches
        for start in range(0, len(bodies), step):
            searches: list[dict[str, Any]] = []
            for body in bodies[start : start + step]:
                searches += [{"index": target}, body]
            responses += multi_search(catalog, searches)[0]["responses"]
    return assemble_response(spec.metric, spec.requests, responses)


def rank_eval(
    catalog: Catalog,
    body: Any,
    index: str | Sequence[str] | None = None,
    search_type: str | None = None,
    *,
    hooks: SearchHooks | None = None,
) -> dict[str, Any]:
    """``POST /<index>/_rank_eval`` against the indices of ``catalog``."""
    if search_type not in (None, "query_then_fetch", "dfs_query_then_fetch"):
        raise illegal_argument(f"No search type for [{search_type}]")
    # one shard: query_then_fetch and dfs_query_then_fetch see the same term statistics
    spec = parse_rank_eval(body)
    return run_rank_eval(catalog, spec, index, hooks=hooks)


def _empty_response() -> dict[str, Any]:
    """What a search over zero indices answers: no hits."""
    return {"hits": {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []}}
