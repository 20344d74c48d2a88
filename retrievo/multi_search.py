"""``_msearch`` end to end: parse every search (retrievo.grammar.json.msearch), find each one's
index in the catalog, then plan and run them together (retrievo.planner.msearch).

``Engine.msearch`` and ``_rank_eval`` both run their searches through :func:`multi_search`, so a
rated request fails, batches and shares work exactly as the same search sent to ``_msearch``.

With :class:`SearchHooks` (the REST API's), each search's index expression (comma lists, wildcards,
``_all``, aliases) is resolved as ``_search`` resolves it: a search that lands on one index outright is
planned with the others; one over several indices, through a filtered alias, or through a search
pipeline (OpenSearch runs each search of an ``_msearch`` as its own ``SearchRequest``, so its pipeline
runs around it) is run on its own by the ``search`` hook (the ``_search`` code) and its response kept
in place; its failure fails that search alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from retrievo.catalog import Catalog
from retrievo.errors import ApiError, not_supported
from retrievo.grammar.json.msearch import MultiSearchItem, parse_msearch, with_routing
from retrievo.index.shard import Shard
from retrievo.planner.match_template import match_shape
from retrievo.planner.msearch import MultiSearchReport, TextShape, run_msearch
from retrievo.planner.plan_cache import body_key, derived_key
from retrievo.query_rules.resolve import apply_query_rules
from retrievo.retrievers.search import SearchRequest

#: The concrete indices an index expression means (under a header's index options), each with the
#: filters of the aliases it was reached through (``None``: none apply).
Targets = list[tuple[str, list[Any] | None]]
Resolver = Callable[[Any, Mapping[str, Any]], Targets]
#: One search body run over resolved targets, as ``_search`` runs it (the item gives its index expression,
#: ``routing`` and ``search_type``): its response body.
Runner = Callable[[Targets, dict[str, Any], MultiSearchItem], dict[str, Any]]
#: The routing a search runs with on one concrete index: (index expression, index, the search's routing).
RoutingResolver = Callable[[Any, str, str | None], str | None]


@dataclass(frozen=True)
class SearchHooks:
    """How the REST API runs a multi-search's searches: ``resolve`` an index expression under a
    header's options; ``search`` one body as ``_search`` runs it; ``prepare`` the body the msearch
    parser reads (the keys only the API reads taken out); ``alone``: whether a search must run on
    its own through ``search`` (it has a search pipeline) -- raising fails that search alone."""

    resolve: Resolver
    search: Runner
    prepare: Callable[[Any], Any] | None = None
    alone: Callable[[Targets, dict[str, Any]], bool] | None = None
    #: The ``typed_keys`` URL parameter: every search's aggregation names printed as ``type#name``.
    typed_keys: bool = False
    #: The ``routing`` and ``search_type`` URL parameters: each search's unless its header names its own.
    routing: str | None = None
    search_type: str | None = None
    preference: str | None = None
    #: The routing each search runs with on an index (an alias's ``search_routing`` narrows it).
    route: RoutingResolver | None = None


def multi_search(
    catalog: Catalog, searches: Any, index: Any = None, *, hooks: SearchHooks | None = None
) -> tuple[dict[str, Any], MultiSearchReport]:
    """The ``_msearch`` response for ``searches`` (header/body pairs, a list or NDJSON; ``index``:
    the request's default index) and what the searches shared. A request that does not parse
    fails as a whole; a search whose index is missing, or that fails when it runs, fails alone."""
    started = time.perf_counter_ns()
    planned: list[tuple[Shard, SearchRequest] | ApiError] = []
    shapes: list[TextShape | None] = []  # each planned search's match shape (planner/msearch.py)
    alone: dict[int, dict[str, Any]] = {}
    items = parse_msearch(
        searches,
        index,
        prepare=None if hooks is None else hooks.prepare,
        routing=None if hooks is None else hooks.routing,
        search_type=None if hooks is None else hooks.search_type,
        preference=None if hooks is None else hooks.preference,
    )
    if hooks is None:
        for item in items:
            for key in item.options:
                raise not_supported(f"[{key}] in the msearch metadata section")
    for position, item in enumerate(items):
        try:
            if hooks is None:
                shard, request = _on_shard(catalog, item, item.index)
                planned.append((shard, request))
                shapes.append(_text_shape(item, shard.name))
                continue
            targets = hooks.resolve(item.index, item.options)
            body = dict(item.body or {})
            pipelined = hooks.alone is not None and hooks.alone(targets, body)
            if not pipelined and len(targets) == 1 and targets[0][1] is None:
                shard, request = _on_shard(catalog, item, targets[0][0])
                if hooks.route is not None:
                    routing = hooks.route(item.index, shard.name, item.routing)
                    request = with_routing(
                        request.model_copy(update={"routing": ()}), routing, item.search_type, item.preference
                    )
                if hooks.typed_keys and request.aggs:
                    request = request.model_copy(update={"typed_keys": True})
                planned.append((shard, request))
                shapes.append(_text_shape(item, shard.name))
                continue
            if item.error is not None and not pipelined:  # a pipeline's request processors may change it
                raise item.error
            alone[position] = {**hooks.search(targets, body, item), "status": 200}
        except ApiError as err:
            planned.append(err)
            shapes.append(None)
    response, report = run_msearch(planned, catalog.embed_query, catalog.inference, shapes)
    if not alone:
        return response, report
    ran = iter(response["responses"])
    total = len(planned) + len(alone)
    responses = [alone[i] if i in alone else next(ran) for i in range(total)]
    took = int((time.perf_counter_ns() - started) // 1_000_000)
    return {**response, "took": took, "responses": responses}, report


def _text_shape(item: MultiSearchItem, index: str) -> TextShape | None:
    """What keys a search's plan among the request's searches when its body is one ``match``
    (``planner/match_template.py``): its index and shard options and its body's shape, with the text."""
    shape = match_shape(item.body) if type(item.body) is dict else None
    if shape is None or body_key(item.body) is None:  # only plain JSON, nothing read from the clock
        return None
    key = (index, derived_key(shape.shape), item.index, item.routing, item.search_type, item.preference)
    return TextShape(key, shape.text)


def _on_shard(catalog: Catalog, item: MultiSearchItem, name: Any) -> tuple[Shard, SearchRequest]:
    shard = catalog.shard(name)
    return shard, apply_query_rules(item.against(shard.name, shard.settings.max_result_window), catalog.query_rules)
