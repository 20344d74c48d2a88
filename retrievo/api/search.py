"""Search APIs: ``search``, ``count``, ``msearch``, ``rank_eval``.

URL parameters that mirror body keys (``size``, ``from``, ``sort``, ``_source`` ...) override the
body, as ``RestSearchAction.parseSearchSource`` does. ``rest_total_hits_as_int`` turns
``hits.total`` into a number (``-1`` when totals are not tracked); ``routing`` limits the search to the
shards its values route to and ``search_type=dfs_query_then_fetch`` scores with whole-index statistics
(``index/shard_views.py``); ``preference=_shards:…`` limits it to those shard numbers (other preferences
choose among copies of a shard, and one node has one); ``typed_keys``; ``request_cache`` and the
shard-fan-out knobs are accepted and change nothing on one local node. ``q`` is a ``query_string`` query.

An expression naming several indices (comma lists, wildcards, ``_all``, none) searches each and
merges the hits as Elasticsearch merges shard results: score descending (or the ``sort`` values, see
``api/multi_index_sort.py``), then index order (shards sort by index name), then each index's own
order (``collapse`` keeps each group's first hit of that merge, and its ``inner_hits`` come from one
search over all the indices per group, as ``ExpandSearchPhase`` runs them); aggregations are computed
per index and reduced (``aggregations/reduce.py``); a top-level ``knn`` section keeps its best ``k`` over
all the indices before any index scores (``api/multi_index_knn.py``); ``rescore`` runs on each index's
own top ``window_size``; ``profile`` lists every index's shards by id. A ``standard`` or ``knn`` retriever runs like the
query or ``knn`` section it stands for; ``rrf``, ``linear`` and ``text_similarity_reranker`` rank on the
coordinator over every index (``api/multi_index_retrievers.py``); the legacy ``rank`` and other
retriever kinds are refused across several indices.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import Any

from retrievo.aggregations.base import AggResult
from retrievo.aggregations.reduce import check_reducible, reduce_aggregations
from retrievo.aggregations.run import shard_results, with_aggregations
from retrievo.aggregations.top_hits import totals_as_int as top_hits_totals_as_int
from retrievo.api import multi_index_knn, multi_index_retrievers, multi_index_sort, search_pipelines
from retrievo.api import params as p
from retrievo.api import scroll as scroll_api
from retrievo.api.call import Call, body_object, refuse
from retrievo.api.documents import source_filter
from retrievo.api.resolve import resolve_call_targets, resolve_targets
from retrievo.api.url_query import url_query
from retrievo.errors import ApiError, bad_request, illegal_argument, not_supported, validation_error
from retrievo.evaluation.rank_eval import rank_eval as run_rank_eval
from retrievo.grammar.json import parse_search
from retrievo.grammar.json.knn_query import with_alias_prefilter
from retrievo.grammar.json.msearch import with_routing
from retrievo.index.dfs_statistics import with_aggregated_statistics
from retrievo.index.routing import preference_shards, routing_values
from retrievo.index.searcher import Searcher
from retrievo.index.shard import Shard
from retrievo.multi_search import SearchHooks, multi_search
from retrievo.planner.execute import PreparedSearch, finish_search, prepare_search, routed_shards, run_search
from retrievo.planner.match_template import MatchShape, MatchTemplates, match_shape
from retrievo.planner.operators.vector import VectorSearch
from retrievo.planner.plan_cache import ModelWatch, body_key, derived_key
from retrievo.query_rules.resolve import apply_query_rules
from retrievo.response import shards_header
from retrievo.retrievers.knn import KnnRetriever
from retrievo.retrievers.search import SearchRequest
from retrievo.suggest.run import ShardSuggest, reduce_suggest, suggest_partials, with_suggest

#: Search parameters that only mean something with several shards, a cluster or a cache: accepted.
_FAN_OUT_BOOLEANS = ("request_cache", "allow_partial_search_results", "ccs_minimize_roundtrips", "ignore_throttled")
_FAN_OUT_INTS = ("batched_reduce_size", "pre_filter_shard_size", "max_concurrent_shard_requests")
#: Search parameters retrievo cannot honour.
_UNSUPPORTED_SEARCH = (
    "stats",
    "suggest_field",
    "suggest_mode",
    "suggest_size",
    "suggest_text",
    "include_named_queries_score",
    "force_synthetic_source",
    "_source_exclude_vectors",
    "_slice",
)
#: Body keys whose merge across several indices retrievo does not do: the legacy ``rank`` (run as an
#: ``rrf`` retriever with Elasticsearch's legacy dfs shape). Retrievers: ``api/multi_index_retrievers.py``.
_SINGLE_INDEX_ONLY = {
    "rank": "[rank] runs as an [rrf] retriever, which ranks one index; search each index on its own",
}


def check_search_type(value: Any) -> None:
    if value not in (None, "query_then_fetch", "dfs_query_then_fetch"):
        raise illegal_argument(f"No search type for [{p.text(value)}]")


def with_shard_options(request: SearchRequest, routing: Any, search_type: Any, preference: Any = None) -> SearchRequest:
    """The ``routing`` (comma-separated values), ``search_type`` and ``preference`` URL parameters on the
    parsed request (as an ``_msearch`` header's, ``grammar/json/msearch.py``)."""
    return with_routing(request, _text(routing), _text(search_type), _text(preference))


def _text(value: Any) -> str | None:
    return None if value is None else p.text(value)


def search_routing(catalog: Any, expression: Any, index: str, routing: Any) -> str | None:
    """``IndexNameExpressionResolver.resolveSearchRouting`` for one concrete index: the ``routing``
    parameter's values, unless every way ``expression`` reaches ``index`` is an alias with a
    ``search_routing``: then the union of those values, intersected with the parameter's (an empty
    intersection searches every shard, as in Elasticsearch). Comma-separated values; ``None``: every shard."""
    param = {v for v in p.text(routing).split(",") if v} if routing is not None else None
    direct, aliased = False, set[str]()
    names = p.names(expression)
    for name in names if names not in ([], ["_all"], ["*"]) else []:
        on = catalog.aliases.get(name)
        if on is not None and index in on:
            values = on[index].get("search_routing")
            if values is None:
                direct = True  # an alias without search routing routes like the index itself
            else:
                aliased.update(v for v in str(values).split(",") if v)
        elif on is None and (name == index or ("*" in name and fnmatchcase(index, name))):
            direct = True
    if not direct and aliased:
        return ",".join(sorted(aliased if param is None else aliased & param)) or None
    return ",".join(sorted(param)) if param else None


def _shards_covered(shard: Shard, routing: Any, preference: Any = None) -> int:
    """How many of ``shard``'s index's shards a search with these ``routing``/``preference`` parameters covers."""
    named = routed_shards(shard, routing_values(_text(routing)), preference_shards(preference))
    return shard.settings.number_of_shards if named is None else len(named)


def _url_sort(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in p.names(value):
        field, _, order = item.partition(":")
        out.append({field: {"order": order}} if order else field)
    return out


def _url_track_total_hits(value: Any) -> bool | int:
    if isinstance(value, (bool, int)):
        return value
    if value in ("true", "false"):
        return value == "true"
    return int(p.as_int("track_total_hits", value) or 0)


def _indices_options(call: Call) -> None:
    """Checked even when the path names one index outright (and they cannot change the answer)."""
    for name in ("ignore_unavailable", "allow_no_indices"):
        p.as_bool(name, call.param(name))
    p.expand_wildcards(call.param("expand_wildcards"))


def search_body(call: Call) -> dict[str, Any]:
    """The search body with the URL parameters applied over it."""
    if all(v is None for v in call.params.values()):  # no parameter to check or apply (the usual case)
        return {} if call.body is None else body_object(call.body, "body")
    refuse(call, *_UNSUPPORTED_SEARCH)
    check_search_type(call.param("search_type"))
    for name in _FAN_OUT_BOOLEANS:
        p.as_bool(name, call.param(name))
    for name in _FAN_OUT_INTS:
        p.as_int(name, call.param(name))
    p.as_bool("typed_keys", call.param("typed_keys"))
    p.time_value("timeout", call.param("timeout"))
    _indices_options(call)
    body = {} if call.body is None else body_object(call.body, "body")
    if (uri_query := url_query(call)) is not None:  # ?q=...: RestActions.urlParamsToQueryBuilder
        body["query"] = uri_query
    for name in ("size", "from", "terminate_after"):
        if call.param(name) is not None:
            body[name] = p.as_int(name, call.param(name))
    for name in ("explain", "track_scores", "seq_no_primary_term", "version"):
        if call.param(name) is not None:
            body[name] = p.as_bool(name, call.param(name))
    if call.param("sort") is not None:
        body["sort"] = _url_sort(call.param("sort"))
    if call.param("track_total_hits") is not None:
        body["track_total_hits"] = _url_track_total_hits(call.param("track_total_hits"))
    if call.param("stored_fields") is not None:  # replaces the body's, as RestSearchAction does
        body["stored_fields"] = p.names(call.param("stored_fields"))
    docvalue_names = p.names(call.param("docvalue_fields")) if call.param("docvalue_fields") is not None else []
    if docvalue_names and isinstance(body.get("docvalue_fields", []), list):  # added to the body's
        body["docvalue_fields"] = [*body.get("docvalue_fields", []), *docvalue_names]
    if any(call.param(n) is not None for n in ("_source", "_source_includes", "_source_excludes")):
        spec = source_filter(call)
        body["_source"] = {"includes": list(spec.includes), "excludes": list(spec.excludes)} if spec.enabled else False
    if p.as_bool("rest_total_hits_as_int", call.param("rest_total_hits_as_int")):
        track = body.get("track_total_hits")
        if track is None:
            body["track_total_hits"] = True
        elif track is not True and track is not False and track != -1:
            raise illegal_argument(
                "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got "
                f"{p.text(track)}"
            )
    return body


def total_hits_as_int(response: dict[str, Any]) -> dict[str, Any]:
    """``rest_total_hits_as_int``: ``hits.total`` as a number (``-1`` when not tracked)."""
    if isinstance(response.get("aggregations"), dict):  # top_hits' totals too
        response = {**response, "aggregations": top_hits_totals_as_int(response["aggregations"])}
    hits = response.get("hits")
    if isinstance(hits, dict):
        total = hits.get("total")
        hits_out = dict(hits)
        hits_out["total"] = total["value"] if isinstance(total, Mapping) else -1
        hits_out["hits"] = [_inner_totals_as_int(hit) for hit in hits.get("hits", [])]
        order = ["total", *[k for k in hits if k != "total"]]
        return {**response, "hits": {k: hits_out[k] for k in order}}
    return response


def _inner_totals_as_int(hit: Any) -> Any:
    """A hit whose ``inner_hits`` (collapse's expand phase) report their totals as numbers too."""
    if not isinstance(hit, dict) or not isinstance(hit.get("inner_hits"), dict):
        return hit
    inner = {name: total_hits_as_int(group) for name, group in hit["inner_hits"].items()}
    return {**hit, "inner_hits": inner}


def parse_for(shard: Shard, body: dict[str, Any], *, unlimited: bool = False) -> SearchRequest:
    """The search body as a request against ``shard`` (its ``index.max_result_window`` applies, except
    to the whole-result run behind a scroll)."""
    window = sys.maxsize if unlimited else shard.settings.max_result_window
    return parse_search(shard.name, body, max_result_window=window)


def _single_index_name(expression: Any) -> str | None:
    """The expression when it names one index outright (no list, wildcard or ``_all``)."""
    if isinstance(expression, str) and expression and "," not in expression and "*" not in expression:
        return None if expression == "_all" else expression
    return None


def with_alias_filters(body: dict[str, Any], filters: list[Any] | None) -> dict[str, Any]:
    """The body with the filters of the filtered aliases it came through (any of them may match),
    added as a non-scoring filter around the query."""
    if not filters:
        return body
    for key in ("knn", "retriever"):
        if key in body:
            raise not_supported(f"[{key}] through a filtered alias")
    alias_filter = filters[0] if len(filters) == 1 else {"bool": {"should": filters}}
    query = with_alias_prefilter(body.get("query", {"match_all": {}}), alias_filter)  # knn queries pre-filter
    return {**body, "query": {"bool": {"must": [query], "filter": [alias_filter]}}}


def _direct_index(call: Call) -> str | None:
    """The index the call names outright (one concrete index, no options that change resolution)."""
    name = _single_index_name(call.part("index"))
    if name is None or call.catalog.is_alias(name) or call.param("ignore_unavailable") is not None:
        return None
    return name


def search(call: Call) -> dict[str, Any]:
    """``GET/POST /_search``, ``/{index}/_search``; with ``scroll``, the first page of a scroll."""
    raw = search_body(call)
    # ``timeout``: the URL's replaces the body's (RestSearchAction); taken out of the body, it bounds the run
    given = raw.pop("timeout", None)
    timeout = p.time_value("timeout", call.param("timeout") if call.param("timeout") is not None else given)
    if call.param("timeout") is None and given is None:  # SearchService: the cluster's default, -1 for none
        default = call.catalog.cluster_settings.value("search.default_search_timeout")
        timeout = p.time_value("search.default_search_timeout", default)
    pipelined = search_pipelines.begin(call, raw)  # OpenSearch's search pipelines
    body, phase = pipelined.body, pipelined.phase(scroll=call.param("scroll") is not None)
    catalog = call.catalog
    direct = _direct_index(call)
    targets: list[tuple[Any, list[Any] | None]] = [(direct, None)] if direct is not None else []
    targets = targets or resolve_call_targets(call)
    if call.param("scroll") is not None:
        seconds = scroll_api.keep_alive(call.param("scroll"))
        for key in ("knn", "retriever", "search_after"):
            if key in body:
                raise illegal_argument(f"[{key}] cannot be used in a scroll context")
        if "collapse" in body:  # SearchRequest.validate
            raise validation_error("cannot use `collapse` in a scroll context")
        if body.get("from") not in (None, 0):
            raise validation_error("using [from] is not allowed in a scroll context")
        if body.get("rescore"):  # SearchSourceBuilder.validate: an empty list is no rescorer
            raise validation_error("using [rescore] is not allowed in a scroll context")
        page = body.get("size", 10)
        if isinstance(page, bool) or not isinstance(page, int) or page < 0:
            raise illegal_argument(f"[size] parameter cannot be negative, found [{page}]")
        everything = sum(catalog.shard(name).searcher().live_count for name, _ in targets)
        response = _execute(call, targets, {**body, "size": max(everything, 1)}, unlimited=True, phase=phase)
        response = scroll_api.open_scroll(catalog, response, page, seconds)
    else:  # QueryPhase applies ``timeout`` only outside a scroll
        limits = (timeout, _allow_partial(call))
        response = _execute(call, targets, body, unlimited=False, phase=phase, limits=limits)
    response = pipelined.finish(response)
    if p.as_bool("rest_total_hits_as_int", call.param("rest_total_hits_as_int")):
        response = total_hits_as_int(response)
    return response


def _execute(
    call: Call,
    targets: list[tuple[Any, list[Any] | None]],
    body: dict[str, Any],
    *,
    unlimited: bool,
    phase: Callable[[SearchRequest, int], SearchRequest] | None = None,
    limits: tuple[float | None, bool] = (None, True),
) -> dict[str, Any]:
    """``phase``: a search pipeline's phase-results processors, applied to the parsed request;
    ``limits``: the search's ``timeout`` (seconds) and ``allow_partial_search_results``."""
    timeout, allow_partial = limits
    catalog = call.catalog
    if len(targets) == 1:
        name, filters = targets[0]
        shard = catalog.shard(name)
        prepared = _prepare_one(call, shard, with_alias_filters(body, filters), unlimited=unlimited, phase=phase)
        return finish_search(prepared, timeout, allow_partial)
    if phase is not None:  # a hybrid query's scores are normalised across all the hits: one index only
        for name, filters in targets:
            shard = catalog.shard(name)
            request = parse_for(shard, with_alias_filters(body, filters), unlimited=unlimited)
            if phase(request, shard.settings.max_result_window) is not request:
                raise not_supported("a search pipeline's [normalization-processor] in a search over several indices")
    return _search_many(call, sorted(targets, key=lambda t: str(t[0])), body, unlimited=unlimited, limits=limits)


def _prepare_one(
    call: Call,
    shard: Shard,
    body: dict[str, Any],
    *,
    unlimited: bool,
    phase: Callable[[SearchRequest, int], SearchRequest] | None,
) -> PreparedSearch:
    """A search of one index planned, or its plan taken from the catalog's plan cache
    (``planner/plan_cache.py``: a scroll, a search pipeline's phase processors, query rules, a model
    called while planning and ``profile`` are never cached)."""
    catalog = call.catalog
    routing = search_routing(catalog, call.part("index"), shard.name, call.param("routing"))
    cache = catalog.plan_cache
    key = None if unlimited or phase is not None or not cache.enabled else _plan_key(call, body, routing)
    state = cache.state(shard) if key is not None else None
    if state is not None and (cached := cache.get(state, key)) is not None:
        return cached
    # a ``match`` whose shape was planned before: its plan with this text's terms (planner/match_template.py)
    shape = match_shape(body) if state is not None else None
    shape_key = _shape_key(shape, key)
    templates = cache.templates(state, shape_key) if state is not None else None
    if state is not None and shape is not None and templates is not None:
        swapped = templates.instantiate(shape.text)
        if swapped is not None:
            cache.templated += 1
            cache.put(state, key, swapped)  # the same text again is a plain hit
            return swapped
    parsed = parse_for(shard, body, unlimited=unlimited)
    # the body's JSON text (the key) names every query and retriever: without "rule" there is none to apply
    request = parsed if key is not None and '"rule"' not in key[0] else apply_query_rules(parsed, catalog.query_rules)
    rules_read = request is not parsed  # a ``rule`` query or retriever: its rulesets may change
    if (request.aggs or request.suggest) and p.as_bool("typed_keys", call.param("typed_keys")):  # ``type#name``
        request = request.model_copy(update={"typed_keys": True})
    request = with_shard_options(request, routing, call.param("search_type"), call.param("preference"))
    if phase is not None:
        request = phase(request, shard.settings.max_result_window)
    if state is None:
        return prepare_search(shard, request, embed=catalog.embed_query, inference=catalog.inference)
    models = ModelWatch(catalog.embed_query, catalog.inference)
    prepared = prepare_search(shard, request, embed=models.embed, inference=models.inference, searcher=state.searcher)
    if not rules_read and not models.used and not request.profile:
        cache.put(state, key, prepared)
        if shape is not None and templates is not None:
            templates.add(prepared, shape.text)  # a new number of terms
        elif shape is not None and (started := MatchTemplates.of(prepared, shape.text)) is not None:
            cache.put(state, shape_key, started)
    return prepared


def _shape_key(
    shape: MatchShape | None, key: tuple[str, str, str | None] | None
) -> tuple[str, str, str, str | None] | None:
    """What keys a ``match`` shape's templates (``planner/match_template.py``): the shape's JSON text in
    place of the body's, tagged so that it never equals a whole request's key."""
    if shape is None or key is None:
        return None
    return ("match shape", derived_key(shape.shape), key[1], key[2])


def _plan_key(call: Call, body: dict[str, Any], routing: str | None) -> tuple[str, str, str | None] | None:
    """What keys a planned search besides its index: the body's exact text, every URL parameter given
    (those that change nothing only split the cache) and the routing the aliases resolve to; ``None``:
    not cacheable (``plan_cache.body_key``)."""
    text = body_key(body)
    if text is None:
        return None
    params = repr(sorted((k, v) for k, v in call.params.items() if v is not None))
    return (text, f"{call.part('index')!r} {params}", routing)


def _dfs_searchers(call: Call, shards: list[Shard]) -> list[Searcher | None]:
    """Under ``dfs_query_then_fetch``, each index's searcher scoring with the statistics of every index
    the search covers (``index/dfs_statistics.py``); otherwise ``None`` each (the index's own)."""
    if call.param("search_type") != "dfs_query_then_fetch" or len(shards) < 2:
        return [None] * len(shards)
    views = []
    for shard in shards:
        routing = search_routing(call.catalog, call.part("index"), shard.name, call.param("routing"))
        covered = routed_shards(shard, routing_values(routing), preference_shards(call.param("preference")))
        views.append(shard.searcher().routed(covered, True))
    return list(with_aggregated_statistics(views))


def _allow_partial(call: Call) -> bool:
    """``allow_partial_search_results`` (default true: ``search.default_allow_partial_results``)."""
    return p.as_bool("allow_partial_search_results", call.param("allow_partial_search_results"), default=True)


def _search_many(
    call: Call,
    targets: list[tuple[Any, list[Any] | None]],
    body: dict[str, Any],
    *,
    unlimited: bool = False,
    limits: tuple[float | None, bool] = (None, True),
) -> dict[str, Any]:
    """One search over several indices (or none): each index planned, a top-level ``knn`` section's
    DFS phase run over them all, then each index searched for the first ``from + size`` hits and the
    hits merged by score, shard number, index order and rank (collapse's expand phase after that)."""
    catalog = call.catalog
    shards = [catalog.shard(name) for name, _ in targets]
    if shards:  # an expression that matches no index answers no hits, whatever the request needs to merge
        for key, detail in _SINGLE_INDEX_ONLY.items():
            if key in body:
                raise not_supported(f"[{key}] in a search over several indices", detail)
    bodies = [with_alias_filters(body, filters) for _, filters in targets]
    requests = [parse_for(s, b, unlimited=unlimited) for s, b in zip(shards, bodies)]  # all checked before any runs
    for parsed in requests:
        apply_query_rules(parsed, catalog.query_rules)  # a missing ruleset fails before any index is searched
    if requests and requests[0].aggs:  # reduced across the indices (aggregations/reduce.py)
        check_reducible(requests[0].aggs)
    compound = bool(requests) and "retriever" in body and multi_index_retrievers.is_compound(requests[0].retriever)
    if requests and "retriever" in body:  # ranked on the coordinator (api/multi_index_retrievers.py)
        multi_index_retrievers.check_tree(requests[0])
    shard_aggs: list[dict[str, AggResult]] = []  # each index's partial aggregation results, in index order
    shard_suggest: list[tuple[int, int, ShardSuggest]] = []  # (shard number, index position, its suggestions)
    if not shards:
        request = parse_search("_all", body)
        track = request.track_total_hits
        total: dict[str, Any] | None = None if track is False else {"value": 0, "relation": "eq"}
        hits: dict[str, Any] = {"max_score": 0.0, "hits": []}
        return {
            "took": 0,
            "timed_out": False,
            "_shards": {"total": 0, "successful": 0, "skipped": 0, "failed": 0},
            "hits": hits if total is None else {"total": total, **hits},
        }
    start, size = requests[0].from_, requests[0].size
    window = {} if compound else {"from": 0, "size": start + size}  # a compound: its root is handed its page
    specs = tuple(getattr(requests[0].retriever, "sort", ()))
    printers: list[list[multi_index_sort.Printer]] = []
    shard_hits: list[list[dict[str, Any]]] = []
    sort_types: list[list[tuple[str, str]]] = []
    failures: list[tuple[ApiError, dict[str, Any]]] = []
    merged: list[tuple[float, int, int, int, dict[str, Any]]] = []
    value, relation, tracked, took, terminated, timed_out = 0, "eq", False, 0, False, False
    max_score: float | None = None
    prepared: list[PreparedSearch | None] = []  # each index planned first: a kNN section runs over all first
    profiles: list[tuple[str, list[dict[str, Any]]]] = []
    searchers = _dfs_searchers(call, shards)
    for shard, shard_body, searcher in zip(shards, bodies, searchers):
        request = apply_query_rules(
            parse_for(shard, {**_knn_k(shard_body, size), **window}, unlimited=unlimited), catalog.query_rules
        )
        routing = search_routing(catalog, call.part("index"), shard.name, call.param("routing"))
        request = with_shard_options(request, routing, call.param("search_type"), call.param("preference"))
        request, shard_printers = multi_index_sort.raw_sort(request, shard.searcher())  # merged on raw dates
        printers.append(shard_printers)
        try:
            embed, inference = catalog.embed_query, catalog.inference
            prepared.append(prepare_search(shard, request, embed=embed, inference=inference, searcher=searcher))
        except ApiError as err:  # one shard's failure: reported, the others answer (api/multi_index_sort.py)
            _shard_failure(err, shard, failures, len(shards))
            prepared.append(None)
    if "knn" in body or isinstance(requests[0].retriever, KnnRetriever):  # the DFS phase: each kNN search's
        _knn_dfs(prepared, shards, failures)  # best k over every index (api/multi_index_knn.py)
    explainer = None
    if compound:  # each child searched over every index, fused on the coordinator
        explainer = multi_index_retrievers.seed(prepared, start + size, catalog.embed_query, catalog.inference)
    for position, (shard, ready) in enumerate(zip(shards, prepared)):
        if ready is None:
            shard_hits.append([])
            continue
        aggs_before = len(shard_aggs)
        suggested: list[tuple[int, ShardSuggest]] = []
        try:
            with shard_results(shard_aggs), suggest_partials(suggested):
                response = finish_search(ready, limits[0], limits[1])
        except ApiError as err:
            del shard_aggs[aggs_before:]  # a failed index adds nothing to the reduce
            _shard_failure(err, shard, failures, len(shards))
            shard_hits.append([])
            continue
        shard_suggest.extend((number, position, answer) for number, answer in suggested)
        if "profile" in response:  # each index's shard profiles, listed by their ids (SearchProfileResults)
            profiles.append((shard.name, response["profile"]["shards"]))
        timed_out = timed_out or bool(response["timed_out"])
        took = max(took, int(response["took"]))
        terminated = terminated or bool(response.get("terminated_early"))
        total_obj = response["hits"].get("total")
        if total_obj is not None:
            tracked = True
            value += int(total_obj["value"])
            relation = "gte" if total_obj["relation"] == "gte" else relation
        shard_max = response["hits"].get("max_score")
        if shard_max is not None:
            max_score = shard_max if max_score is None else max(max_score, shard_max)
        shard_hits.append(response["hits"]["hits"])
        if response["hits"]["hits"]:
            sort_types.append([multi_index_sort.sort_type(shard.searcher(), spec) for spec in specs])
        for rank, hit in enumerate(response["hits"]["hits"]):
            score = hit.get("_score")
            # ES orders a search's shards by shard number, then index: ties go to the lower shard first
            shard_no = shard.shard_number(hit["_id"], hit.get("_routing")) if "_id" in hit else 0
            merged.append((-(score if score is not None else float("-inf")), shard_no, position, rank, hit))
    merged.sort(key=lambda item: item[:4])
    ordered = [hit for *_, hit in merged]
    if specs:  # a field sort: merged on the sort values (api/multi_index_sort.py)
        ordered = multi_index_sort.merge_sorted(shard_hits, specs, multi_index_sort.merged_types(sort_types), printers)
    page = multi_index_sort.collapsed(ordered, body.get("collapse"))[start : start + size]
    if explainer is not None:  # a compound's hits are explained by the coordinator's ranking
        page = explainer.explain_hits(page)
    if page and _inner_hits_specs(requests[0]):  # the expand phase: one search per group over every index
        page = _expand_groups(call, targets, body, page, _inner_hits_specs(requests[0]), limits)
    out: dict[str, Any] = {"took": took, "timed_out": timed_out}
    if terminated:
        out["terminated_early"] = True
    covered = {
        s.name: _shards_covered(
            s, search_routing(catalog, call.part("index"), s.name, call.param("routing")), call.param("preference")
        )
        for s in shards
    }  # a failing index: all of them
    failed_shards = sum(covered[entry["index"]] for _, entry in failures)
    searched = sum(covered.values())
    out["_shards"] = {**shards_header(), "total": searched, "successful": searched - failed_shards}
    if failures:
        if not limits[1]:
            raise multi_index_sort.failures_error([entry for _, entry in failures])
        out["_shards"].update(failed=failed_shards, failures=[entry for _, entry in failures])
    hits_obj: dict[str, Any] = {}
    if tracked:
        limit = requests[0].track_total_hits
        if limit is not True and limit is not False and value > int(limit):
            value, relation = int(limit), "gte"
        hits_obj["total"] = {"value": value, "relation": relation}
    hits_obj["max_score"] = max_score
    hits_obj["hits"] = page
    out["hits"] = hits_obj
    if requests[0].aggs and shard_aggs:
        typed_keys = requests[0].typed_keys or p.as_bool("typed_keys", call.param("typed_keys"), False)
        out = with_aggregations(out, reduce_aggregations(requests[0].aggs, shard_aggs, typed_keys))
    if requests[0].suggest is not None and shard_suggest:  # every shard of every index, in ES's shard order
        typed_keys = requests[0].typed_keys or p.as_bool("typed_keys", call.param("typed_keys"), False)
        answers = [answer for *_, answer in sorted(shard_suggest, key=lambda item: item[:2])]
        out = with_suggest(out, reduce_suggest(requests[0].suggest, answers, typed_keys))
    if requests[0].profile:
        out["profile"] = {"shards": _merged_profiles(profiles, page)}
    return out


def _knn_k(body: dict[str, Any], size: int) -> dict[str, Any]:
    """The body with each top-level ``knn`` section's ``k`` spelled out: it defaults to the request's
    ``size`` (``KnnSearchBuilder.Builder.build(size)``), not to the ``from + size`` each index answers."""
    knn = body.get("knn")
    if knn is None or size < 1:
        return body

    def with_k(section: Any) -> Any:
        return {**section, "k": size} if isinstance(section, dict) and "k" not in section else section

    return {**body, "knn": [with_k(s) for s in knn] if isinstance(knn, list) else with_k(knn)}


def _shard_failure(err: ApiError, shard: Shard, failures: list[tuple[ApiError, dict[str, Any]]], shards: int) -> None:
    """Note one index's failure in a search over ``shards`` indices, or raise it where Elasticsearch
    fails the whole search: a failure other than a shard's query failure, or every shard failed."""
    if not multi_index_sort.shard_failed(err) or len(failures) == shards - 1:
        raise err  # every shard failed: the failure as one index reports it
    failures.append((err, multi_index_sort.failure_entry(shard.name, err)))


def _knn_dfs(
    prepared: list[PreparedSearch | None], shards: list[Shard], failures: list[tuple[ApiError, dict[str, Any]]]
) -> None:
    """Each top-level ``knn`` section's own ``k`` on every index, the best ``k`` of them all kept, and
    each index's run handed its survivors (``api/multi_index_knn.py``). An index whose kNN search fails
    fails as a shard does (and is left out of the merge)."""
    searches: list[list[list[VectorSearch]] | None] = []
    found: list[list[multi_index_knn.Hits] | None] = []
    for i, (ready, shard) in enumerate(zip(prepared, shards)):
        if ready is None:
            searches.append(None)
            found.append(None)
            continue
        try:
            sections = multi_index_knn.section_searches(ready)
            found.append(multi_index_knn.dfs_hits(ready, sections))
            searches.append(sections)
        except ApiError as err:
            _shard_failure(err, shard, failures, len(shards))
            prepared[i] = None
            searches.append(None)
            found.append(None)
    planned = next((s for s in searches if s is not None), [])
    ks = [ops[0].search.k for ops in planned]
    for ready, ran, survivors in zip(prepared, searches, multi_index_knn.global_survivors(prepared, found, ks)):
        if ready is not None and ran is not None and survivors is not None:
            multi_index_knn.seed(ready, ran, survivors)


def _merged_profiles(profiles: list[tuple[str, list[dict[str, Any]]]], page: list[dict[str, Any]]) -> list[Any]:
    """``profile.shards`` over several indices: every searched shard's profile, ordered by its id as
    ``SearchProfileResults`` prints them (a sorted set of ``[node][index][shard]`` strings); a shard none
    of whose hits made the page ran no fetch phase, so it has no ``fetch`` section
    (``SearchProfileResultsBuilder``)."""
    fetched = {hit.get("_index") for hit in page}
    entries = [
        entry if index in fetched else {k: v for k, v in entry.items() if k != "fetch"}
        for index, shard_entries in profiles
        for entry in shard_entries
    ]
    return sorted(entries, key=lambda entry: str(entry["id"]))


def _inner_hits_specs(request: SearchRequest) -> tuple[Any, ...]:
    """The top-level ``collapse``'s ``inner_hits`` (held by a ``standard`` retriever or the request)."""
    spec = getattr(request.retriever, "collapse", None) or request.collapse
    return tuple(getattr(spec, "inner_hits", ()))


def _expand_groups(
    call: Call,
    targets: list[tuple[Any, list[Any] | None]],
    body: dict[str, Any],
    page: list[dict[str, Any]],
    specs: tuple[Any, ...],
    limits: tuple[float | None, bool],
) -> list[dict[str, Any]]:
    """``ExpandSearchPhase`` over several indices: for each collapsed hit and each ``inner_hits``, a
    search of the same indices whose query is the group's filter (a ``match`` on the group value, or
    no value for the field) with the request's ``query`` as a MUST clause and its ``post_filter``; the
    inner hits are that search's hits, merged over the indices as any search's are."""
    field = body["collapse"]["field"]
    out: list[dict[str, Any]] = []
    for hit in page:
        values = hit.get("fields", {}).get(field, [None])
        value = values[0] if values else None
        group: dict[str, Any] = (
            {"filter": [{"match": {field: {"query": value}}}]}
            if value is not None
            else {"must_not": [{"exists": {"field": field}}]}
        )
        if "query" in body:
            group["must"] = [body["query"]]
        inner_hits: dict[str, Any] = {}
        for spec in specs:
            inner = {k: v for k, v in spec.to_json().items() if k not in ("name", "ignore_unmapped")}
            inner["query"] = {"bool": group}
            if "post_filter" in body:
                inner["post_filter"] = body["post_filter"]
            response = _search_many(call, targets, inner, limits=limits)
            inner_hits[spec.name] = {"hits": response["hits"]}
        out.append({**hit, "inner_hits": inner_hits})
    return out


def count(call: Call) -> dict[str, Any]:
    """``GET/POST /_count``, ``/{index}/_count``: the number of matching documents."""
    refuse(call, "_slice", "stats")
    for name in ("ignore_throttled", "analyze_wildcard", "lenient"):
        p.as_bool(name, call.param(name))
    _indices_options(call)
    body = {} if call.body is None else body_object(call.body, "body")
    unknown = set(body) - {"query"}
    if unknown:
        raise bad_request("parsing_exception", f"request does not support [{sorted(unknown)[0]}]")
    if (uri_query := url_query(call)) is not None:
        body["query"] = uri_query
    request_body: dict[str, Any] = {**body, "size": 0, "track_total_hits": True}
    if call.param("terminate_after") is not None:
        request_body["terminate_after"] = p.as_int("terminate_after", call.param("terminate_after"))
    if call.param("min_score") is not None:
        try:
            request_body["min_score"] = float(p.text(call.param("min_score")))
        except ValueError:
            raise illegal_argument(
                f"Failed to parse float parameter [min_score] with value [{p.text(call.param('min_score'))}]"
            ) from None
    direct = _direct_index(call)
    targets: list[tuple[Any, list[Any] | None]] = [(direct, None)] if direct is not None else []
    targets = targets or resolve_call_targets(call)
    total = searched = 0
    for name, filters in targets:
        shard = call.catalog.shard(name)
        request = apply_query_rules(
            parse_for(shard, with_alias_filters(request_body, filters)), call.catalog.query_rules
        )
        routing = search_routing(call.catalog, call.part("index"), shard.name, call.param("routing"))
        request = with_shard_options(request, routing, None, call.param("preference"))
        response = run_search(shard, request)
        total += int(response["hits"]["total"]["value"])
        searched += int(response["_shards"]["total"])
    return {"count": total, "_shards": shards_header(searched)}


def msearch(call: Call) -> dict[str, Any]:
    """``GET/POST /_msearch``, ``/{index}/_msearch``: NDJSON header/body pairs searched together."""
    check_search_type(call.param("search_type"))
    refuse(call, "_slice", "include_named_queries_score")
    for name in ("ccs_minimize_roundtrips", "ignore_throttled", "typed_keys", "ignore_unavailable", "allow_no_indices"):
        p.as_bool(name, call.param(name))
    for name in ("max_concurrent_searches", "max_concurrent_shard_requests", "pre_filter_shard_size"):
        p.as_int(name, call.param(name))
    p.expand_wildcards(call.param("expand_wildcards"))
    if call.body is None:
        raise bad_request("parse_exception", "request body is required")
    response, _ = multi_search(call.catalog, call.body, call.part("index"), hooks=_msearch_hooks(call))
    if p.as_bool("rest_total_hits_as_int", call.param("rest_total_hits_as_int")):
        response = {
            **response,
            "responses": [total_hits_as_int(r) if "hits" in r else r for r in response["responses"]],
        }
    return response


def _msearch_targets(call: Call, expression: Any, options: Mapping[str, Any]) -> list[tuple[str, list[Any] | None]]:
    """One msearch header's index expression resolved as ``_search`` resolves its path, with its
    own ``ignore_unavailable``/``allow_no_indices``/``expand_wildcards``, else the request's."""

    def option(name: str) -> Any:
        return options[name] if options.get(name) is not None else call.param(name)

    return resolve_targets(
        call.catalog,
        expression,
        ignore_unavailable=p.as_bool("ignore_unavailable", option("ignore_unavailable"), False),
        allow_no_indices=p.as_bool("allow_no_indices", option("allow_no_indices"), True),
        expand=p.expand_wildcards(option("expand_wildcards")),
    )


def _msearch_hooks(call: Call) -> SearchHooks:
    """How ``_msearch`` and ``_rank_eval`` run their searches: each resolved as ``_search`` resolves
    its path, and one with a search pipeline (the body's ``search_pipeline`` or its indices' default)
    run on its own through it, as OpenSearch runs each as its own ``SearchRequest``."""
    catalog = call.catalog
    return SearchHooks(
        resolve=lambda expression, options: _msearch_targets(call, expression, options),
        search=lambda targets, body, item: _search_one(
            replace(
                call,
                path={**call.path, "index": item.index},
                params={
                    **call.params,
                    "routing": item.routing,
                    "search_type": item.search_type,
                    "preference": item.preference,
                },
            ),
            list(targets),
            body,
        ),
        prepare=search_pipelines.parse_pipeline_keys,
        alone=lambda targets, body: search_pipelines.has_pipeline(catalog, body, list(targets)),
        typed_keys=p.as_bool("typed_keys", call.param("typed_keys"), False),
        routing=None if call.param("routing") is None else p.text(call.param("routing")),
        search_type=None if call.param("search_type") is None else p.text(call.param("search_type")),
        preference=None if call.param("preference") is None else p.text(call.param("preference")),
        route=lambda expression, index, routing: search_routing(catalog, expression, index, routing),
    )


def _search_one(call: Call, targets: list[tuple[Any, list[Any] | None]], body: dict[str, Any]) -> dict[str, Any]:
    """One search of a multi-search, run as ``_search`` runs it: through its search pipeline."""
    pipelined = search_pipelines.begin_on(call.catalog, body, targets)
    response = _execute(call, targets, pipelined.body, unlimited=False, phase=pipelined.phase())
    return pipelined.finish(response)


def rank_eval(call: Call) -> dict[str, Any]:
    """``GET/POST /_rank_eval``, ``/{index}/_rank_eval``."""
    for name in ("ignore_unavailable", "allow_no_indices"):
        p.as_bool(name, call.param(name))
    p.expand_wildcards(call.param("expand_wildcards"))
    body = body_object(call.body, "body")
    return run_rank_eval(
        call.catalog,
        body,
        index=call.part("index"),
        search_type=call.param("search_type"),
        hooks=_msearch_hooks(call),
    )
