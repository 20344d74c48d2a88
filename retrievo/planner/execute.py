"""Run one parsed search end to end: plan, execute, shape the response.

The steps are separate (:func:`prepare_search`, :func:`finish_search`) because a multi-search
prepares all its searches first, shares work between them, and then finishes each one;
:func:`run_search` is the single search, both steps back to back.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.aggregations.base import AggContext, HitOptions, HitPart
from retrievo.aggregations.reduce import aggregate_shards, reducible
from retrievo.aggregations.run import aggregate, with_aggregations
from retrievo.errors import ApiError, api_error, not_supported
from retrievo.index.fetch_fields import FetchedFields, FieldRequest, HitFetcher, snapshot_numbers
from retrievo.index.searcher import Searcher
from retrievo.index.shard import Shard
from retrievo.index.shard_views import shard_view
from retrievo.index.store import IdColumn
from retrievo.index.stored_fields import StoredFieldsFetcher
from retrievo.lucene.scoring import Evaluator, TimeExceeded
from retrievo.planner.compile_query import CompileContext, compile_query
from retrievo.planner.explain import explain_operator
from retrievo.planner.highlighting import highlighter_for
from retrievo.planner.inner_hits import add_nested_inner_hits
from retrievo.planner.operators.base import Embedder, ExecContext
from retrievo.planner.operators.collapse import expand_hits, overall_max_score, top_collapse
from retrievo.planner.operators.rerank import Rerank
from retrievo.planner.plan import Plan, build_plan
from retrievo.planner.profile import FetchProfile, ProfileCollector, search_shape, shard_profile
from retrievo.planner.ranked import Ranked
from retrievo.response import es_float, es_floats, filter_source, search_response
from retrievo.retrievers.highlight import Highlight
from retrievo.retrievers.search import FieldAndFormat, SearchRequest, SourceFilter
from retrievo.suggest.run import run_suggest, suggest_only, with_suggest


def top_explanation(plan: Plan, ctx: ExecContext, doc: int, score: float) -> dict[str, Any]:
    """A hit's explanation; a reranker at the root explains inside Lucene's ``sum of:`` as in
    Elasticsearch (its final query is the rank docs plus a required match on the child's hits)."""
    main = explain_operator(plan.root, ctx, doc, score) or {
        "value": es_float(score),
        "description": "*:*",
        "details": [],
    }
    if not isinstance(getattr(plan.root, "child", None), Rerank):
        return main
    return reranked_root_explanation(main, score)


def reranked_root_explanation(main: dict[str, Any], score: float) -> dict[str, Any]:
    """A top-level reranker's explanation ``main`` as the hit shows it: Lucene's ``sum of:`` the rank docs
    and a required match on the child's hits (also the top of a search over several indices)."""
    required = {
        "value": 0.0,
        "description": "match on required clause, product of:",
        "details": [
            {"value": 0.0, "description": "# clause", "details": []},
            {"value": 1.0, "description": "rank docs of the reranked child", "details": []},
        ],
    }
    return {"value": es_float(score), "description": "sum of:", "details": [main, required]}


@dataclass
class PreparedSearch:
    """A planned search with its execution context, not yet run."""

    shard: Shard
    request: SearchRequest
    plan: Plan
    ctx: ExecContext
    started_ns: int
    plan_ns: int

    def kept(self) -> PreparedSearch:
        """What a cache keeps of this search: the plan with an unused run context. The context a run
        fills (the evaluator's memo: every score it computed, whole-index arrays for an aggregation)
        is that run's alone, and would otherwise stay alive as long as the plan is cached."""
        return self.fresh_run()

    def fresh_run(self) -> PreparedSearch:
        """The same plan with a new run context, as if just planned: a plan never changes while it runs,
        so runs of one plan may overlap on any number of threads (what a cache of plans relies on)."""
        return dataclasses.replace(self, ctx=_run_context(self.plan), started_ns=time.perf_counter_ns())


def _run_context(plan: Plan) -> ExecContext:
    return plan.context(profiler=ProfileCollector() if plan.request.profile else None)


def prepare_search(
    shard: Shard,
    request: SearchRequest,
    embed: Embedder | None = None,
    inference: Any = None,
    searcher: Searcher | None = None,
) -> PreparedSearch:
    """Plan ``request`` (parsed by the caller) against ``searcher`` (default: the shard's latest snapshot)."""
    started = time.perf_counter_ns()
    searcher = searcher if searcher is not None else shard.searcher()
    if request.profile and searcher.number_of_shards > 1:
        raise not_supported(
            "[profile] on an index with several shards",
            "retrievo's profile describes one run over the index; profile a one-shard copy of it",
        )
    plan = build_plan(
        request,
        searcher.routed(routed_shards(shard, request.routing, request.preferred_shards), request.dfs),
        embed=embed,
        inference=inference,
        max_terms_count=shard.settings.max_terms_count,
        default_field=shard.settings.default_field,
    )
    return PreparedSearch(shard, request, plan, _run_context(plan), started, time.perf_counter_ns() - started)


def routed_shards(
    shard: Shard, routing: tuple[str, ...], preferred: tuple[int, ...] | None = None
) -> tuple[int, ...] | None:
    """The shards a search covers: those its ``routing`` values name, of those the ones a
    ``preference=_shards:…`` allows (``OperationRouting.searchShards``); ``None``: every shard."""
    named = {shard.shard_number(value, None) for value in routing} if routing else None
    if preferred is not None:
        allowed = {s for s in preferred if 0 <= s < shard.settings.number_of_shards}
        named = allowed if named is None else named & allowed
    return None if named is None else tuple(sorted(named))


def search_timeout(index: str) -> ApiError:
    """A timed-out search with ``allow_partial_search_results=false``: ES 9's ``SearchTimeoutException``
    ("Time exceeded", status 429, ``SearchTimeoutException.handleTimeout``) fails the shard."""
    cause = {"type": "search_timeout_exception", "reason": "Time exceeded"}
    return api_error(
        "search_phase_execution_exception",
        "all shards failed",
        status=429,
        caused_by=dict(cause),
        root_cause=[dict(cause)],
        phase="query",
        grouped=True,
        failed_shards=[{"shard": 0, "index": index, "node": "retrievo", "reason": dict(cause)}],
    )


def finish_search(
    prepared: PreparedSearch, timeout: float | None = None, allow_partial_search_results: bool = True
) -> dict[str, Any]:
    """Execute the plan (whatever ran ahead in ``prepared.ctx`` is reused) and build the response.

    ``timeout`` (seconds, the request's ``timeout``): Elasticsearch's query phase stops collecting when
    it runs out and answers ``timed_out: true`` with the hits collected so far. retrievo's evaluator
    scores a whole query node over the index at a time, so a search that runs out of time while its
    query is evaluated has collected nothing yet: it answers ``timed_out: true`` with no hits (total 0),
    what Elasticsearch answers when time runs out before the first segment is collected. With
    ``allow_partial_search_results=false`` the search fails instead (:func:`search_timeout`)."""
    if suggest_only(prepared.request):  # QueryPhase: only the suggest phase runs
        took = int((time.perf_counter_ns() - prepared.started_ns) // 1_000_000)
        shards = prepared.plan.searcher.shards_searched
        response = search_response([], 0, prepared.request.track_total_hits, took, None, shards=shards)
        return with_suggest(response, _suggest(prepared))
    if timeout is not None:
        prepared.ctx.evaluator.deadline_ns = prepared.started_ns + int(timeout * 1e9)
    try:
        ranked, ctx = prepared.plan.execute(prepared.ctx)
    except TimeExceeded:
        if not allow_partial_search_results:
            raise search_timeout(prepared.shard.name) from None
        took = int((time.perf_counter_ns() - prepared.started_ns) // 1_000_000)
        shards = prepared.plan.searcher.shards_searched
        response = search_response([], 0, prepared.request.track_total_hits, took, None, shards=shards)
        response["timed_out"] = True
        return response
    fetch = FetchProfile() if prepared.request.profile else None
    fetch_began = time.perf_counter_ns()
    hits = _hits(prepared, ranked, ctx, fetch)
    add_nested_inner_hits(prepared.request, prepared.plan.searcher, hits, ranked.docs.tolist(), prepared.shard)
    collapsing = top_collapse(prepared.plan.root)
    if collapsing is not None:  # the expand phase: group values and inner hits
        expand_hits(
            collapsing,
            ctx,
            hits,
            ranked.docs.tolist(),
            lambda fields: _fields_fetcher(prepared, fields),
            lambda names: StoredFieldsFetcher(prepared.shard.mappings, names).fetch,
        )
    show_score = not ranked.sorted_by_field or prepared.request.track_scores
    max_score = es_float(ranked.scores.max()) if show_score and ranked.scores.size else None
    if collapsing is not None and show_score:  # the best of every match, not only of this page
        max_score = overall_max_score(prepared.plan.root, ctx) or max_score
    profile = None
    if fetch is not None:
        assert isinstance(ctx.profiler, ProfileCollector)
        fetch.nanos = time.perf_counter_ns() - fetch_began
        profile = {
            "shards": [
                shard_profile(
                    prepared.shard.name,
                    prepared.plan.root,
                    ctx.profiler,
                    prepared.plan.searcher.live_count,
                    prepared.plan_ns,
                    fetch,
                    ctx,
                    search_shape(
                        prepared.request,
                        bool(prepared.shard.mappings.fields_of_type("semantic_text"))
                        or "nested" in prepared.plan.searcher.objects.values(),
                        ranked.sorted_by_field,
                    ),
                )
            ]
        }
    took = int((time.perf_counter_ns() - prepared.started_ns) // 1_000_000)
    response = search_response(
        hits,
        ranked.total,
        prepared.request.track_total_hits,
        took,
        max_score,
        ranked.terminated_early,
        profile=profile,
        shards=prepared.plan.searcher.shards_searched,
    )
    if prepared.request.aggs:
        response = with_aggregations(response, run_aggregations(prepared, ranked, ctx))
    if prepared.request.suggest is not None:
        response = with_suggest(response, _suggest(prepared))
    return response


def _suggest(prepared: PreparedSearch) -> dict[str, Any]:
    spec = _source_spec(prepared.request)
    s = prepared.plan.searcher
    return run_suggest(
        prepared.request.suggest,
        s,
        prepared.shard.mappings,
        prepared.shard.name,
        lambda src: filter_source(src, spec),
        typed_keys=prepared.request.typed_keys,
        query_mask=lambda searcher: _collate_query_mask(prepared, searcher),
    )


def _collate_query_mask(prepared: PreparedSearch, s: Searcher) -> Callable[[Any], np.ndarray]:
    """How a phrase suggestion's ``collate`` query runs (``suggest/collate.py``): compiled against the
    searcher the suggester reads (the index's, or a shard's view: ``suggest/shards.py``), as a ``filter``
    aggregation's query is, its matches as a mask."""
    now = int(time.time() * 1000)

    def mask(query: Any) -> np.ndarray:
        cc = CompileContext(s, now, default_field=prepared.plan.default_field)
        compiled = compile_query(query, cc)
        if cc.searches:  # a kNN search would have to run ahead of the query, as the planner runs it
            raise not_supported("a [knn] query in a phrase suggester's [collate] query")
        return Evaluator(s).mask(compiled)

    return mask


def _agg_hit_fetcher(prepared: PreparedSearch) -> Callable[[int, float | None], dict[str, Any]]:
    """A hit as the search's own hits are fetched (``_source`` filter, ``fields``, metadata): what
    ``top_hits`` starts from."""
    s, name = prepared.plan.searcher, prepared.shard.name
    fetcher = hit_fetcher(prepared)
    source_spec = _source_spec(prepared.request)

    def fetch(doc: int, score: float | None) -> dict[str, Any]:
        hit: dict[str, Any] = {"_index": name, "_id": s.ids[doc], "_score": score}
        source = s.source(doc)
        fetched = fetcher.fetch(s.ids[doc], source)
        hit.update(fetched.metadata)
        src = filter_source(source, source_spec)
        if src is not None:
            hit["_source"] = src
        if fetched.fields:
            hit["fields"] = fetched.fields
        return hit

    return fetch


def _agg_hit_options(prepared: PreparedSearch, ctx: ExecContext) -> HitOptions:
    """``top_hits``' own fetch options, run as the search's hits run them: ``fields``/``docvalue_fields``
    against the index's mappings (a list ``top_hits`` leaves out is the search's), ``highlight`` with the
    search's query (``TopHitsAggregatorFactory`` builds the highlighter on the search's parsed query), and
    ``explain`` of the search's query. Readers are memoised per search: ``top_hits`` asks once a bucket."""
    s, name, plan = prepared.plan.searcher, prepared.shard.name, prepared.plan
    request = prepared.request
    numbers = snapshot_numbers(s.by_id, s.seq_nos, s.doc_version_array)
    readers: dict[Any, HitPart] = {}

    def fields(own: tuple[FieldAndFormat, ...] | None, docvalue: tuple[FieldAndFormat, ...] | None) -> HitPart:
        key = ("fields", own, docvalue)
        if key not in readers:
            fetcher = HitFetcher(
                prepared.shard.mappings,
                name,
                _field_requests(own if own is not None else request.fields),
                _field_requests(docvalue if docvalue is not None else request.docvalue_fields),
                metadata=False,
                numbers=numbers,
            )

            def read(doc: int, source: Any) -> dict[str, Any]:
                fetched = fetcher.fetch(s.ids[doc], source)
                part: dict[str, Any] = {"fields": fetched.fields} if fetched.fields else {}
                if fetched.ignored_values:
                    part["ignored_field_values"] = fetched.ignored_values
                return part

            readers[key] = read
        return readers[key]

    def highlight(spec: Highlight) -> HitPart:
        key = ("highlight", id(spec))
        if key not in readers:
            highlighter = highlighter_for(
                prepared.shard, dataclasses.replace(plan, request=request.model_copy(update={"highlight": spec}))
            )

            def read(doc: int, source: Any) -> dict[str, Any]:
                found = highlighter.highlight(doc, source) if highlighter is not None else {}
                return {"highlight": found} if found else {}

            readers[key] = read
        return readers[key]

    def explain(doc: int, score: float) -> dict[str, Any]:
        return {
            "_shard": f"[{name}][{s.shard_number(doc)}]",
            "_node": "retrievo",
            "_explanation": top_explanation(plan, ctx, doc, score),
        }

    masks: list[tuple[str, np.ndarray]] = []

    def matched_queries(doc: int) -> list[str]:
        if not masks:  # each named query's matches, once for every bucket
            masks.extend((query_name, ctx.evaluator.mask(q)) for query_name, q in plan.named.names)
        return [query_name for query_name, mask in masks if mask[doc]]

    named = matched_queries if plan.named.names else None
    return HitOptions(fields=fields, highlight=highlight, explain=explain, matched_queries=named)


def run_aggregations(prepared: PreparedSearch, ranked: Ranked, ctx: ExecContext) -> dict[str, Any]:
    """The request's aggregations over every document the retriever tree matched (``Ranked.matched``:
    for a compound retriever the union of what its children matched, as Elasticsearch aggregates)."""
    s = prepared.plan.searcher
    docs = np.flatnonzero(ranked.matched).astype(np.int32) if ranked.matched is not None else np.sort(ranked.docs)
    now = int(time.time() * 1000)

    default_field = prepared.plan.default_field  # a query_string in a `filter` agg reads it too

    def filter_mask(query: Any) -> np.ndarray:
        return ctx.evaluator.mask(compile_query(query, CompileContext(s, now, default_field=default_field)))

    def filter_mask_for(searcher: Searcher) -> Callable[[Any], np.ndarray]:  # nested levels' filters
        return lambda query: Evaluator(searcher).mask(
            compile_query(query, CompileContext(searcher, now, default_field=default_field))
        )

    scores = ranked.matched_scores
    if scores is None:  # fused results: only the ranked documents carry a score (the rank docs' scores)
        scores = np.zeros(s.max_doc, dtype=np.float32)
        scores[ranked.docs] = ranked.scores
    agg_ctx = AggContext(
        s,
        prepared.shard.name,
        scores=scores,
        filter_mask=filter_mask,
        filter_mask_for=filter_mask_for,
        fetch_hit=_agg_hit_fetcher(prepared),
        typed_keys=prepared.request.typed_keys,
        stored_fields=lambda names: StoredFieldsFetcher(prepared.shard.mappings, names).fetch,
        hit_options=_agg_hit_options(prepared, ctx),
    )
    if s.shard_of is not None and reducible(prepared.request.aggs):  # per shard, then reduced
        shards = s.routed_shards if s.routed_shards is not None else range(s.number_of_shards)
        per_shard = [(shard_view(s, shard), docs[s.shard_of[docs] == shard]) for shard in shards]
        return aggregate_shards(agg_ctx, prepared.request.aggs, per_shard)
    return aggregate(agg_ctx, prepared.request.aggs, docs)


def _field_requests(entries: tuple[FieldAndFormat, ...] | None) -> list[FieldRequest] | None:
    if entries is None:
        return None
    return [FieldRequest(e.field, e.format, bool(e.include_unmapped)) for e in entries]


def _fields_fetcher(
    prepared: PreparedSearch, fields: tuple[FieldAndFormat, ...] | None
) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """An inner hit's ``fields``: read as the search's own ``fields`` are, into a plain dict."""
    s = prepared.plan.searcher
    numbers = snapshot_numbers(s.by_id, s.seq_nos, s.doc_version_array)
    fetcher = HitFetcher(prepared.shard.mappings, prepared.shard.name, _field_requests(fields), None, numbers=numbers)
    return lambda doc_id, source: dict(fetcher.fetch(doc_id, source).fields)


def hit_fetcher(prepared: PreparedSearch) -> HitFetcher:
    """The request's ``fields``/``docvalue_fields``/``stored_fields`` against the index's mappings."""
    request = prepared.request
    stored = request.stored_fields
    s = prepared.plan.searcher
    return HitFetcher(
        prepared.shard.mappings,
        prepared.shard.name,
        _field_requests(request.fields),
        _field_requests(request.docvalue_fields),
        metadata=stored is None or stored.fetch,
        numbers=snapshot_numbers(s.by_id, s.seq_nos, s.doc_version_array),
    )


def stored_fields_fetcher(prepared: PreparedSearch) -> StoredFieldsFetcher:
    """The request's named ``stored_fields`` (fields mapped with ``store: true``)."""
    stored = prepared.request.stored_fields
    names = stored.names if stored is not None and stored.fetch else ()
    return StoredFieldsFetcher(prepared.shard.mappings, names)


_NO_SOURCE = SourceFilter(enabled=False)
#: What a hit gets from a fetcher with nothing to fetch (shared: read, never written).
_NOTHING_FETCHED = FetchedFields()


def _source_spec(request: SearchRequest) -> SourceFilter:
    """The ``_source`` filter hits are cut with (``stored_fields`` may switch ``_source`` on or off)."""
    if not request.returns_source:
        return _NO_SOURCE
    if request.source.enabled:
        return request.source
    return SourceFilter(includes=request.source.includes, excludes=request.source.excludes)


def _hits(
    prepared: PreparedSearch, ranked: Ranked, ctx: ExecContext, fetch: FetchProfile | None
) -> list[dict[str, Any]]:
    request, plan, name = prepared.request, prepared.plan, prepared.shard.name
    s = plan.searcher
    show_score = not ranked.sorted_by_field or request.track_scores
    sorted_request = bool(request.retriever.sort) if hasattr(request.retriever, "sort") else False
    fetcher = hit_fetcher(prepared)
    stored = stored_fields_fetcher(prepared)
    with_id = request.stored_fields is None or request.stored_fields.fetch
    source_spec = _source_spec(request)
    highlighter = highlighter_for(prepared.shard, plan)
    # what reads each hit's source: a plain search that shows none of it does not load it
    fetching = fetcher.needed
    reads_source = source_spec.enabled or fetching or bool(stored) or highlighter is not None
    hits: list[dict[str, Any]] = []
    shown = es_floats(ranked.scores) if show_score else [None] * ranked.docs.size
    if not (
        reads_source
        or highlighter is not None
        or fetch is not None
        or request.version
        or request.seq_no_primary_term
        or request.explain
        or s.doc_routings
        or ranked.named
        or (ranked.sort_values is not None and sorted_request)
    ):  # a hit of nothing but its index, id and score: built in one comprehension
        if not with_id:
            return [{"_index": name, "_score": score} for score in shown]
        docs, ids = ranked.docs.tolist(), s.ids
        names = ids.take(docs) if isinstance(ids, IdColumn) else [ids[doc] for doc in docs]
        return [{"_index": name, "_id": doc_id, "_score": score} for doc_id, score in zip(names, shown)]
    for i, (doc, score, shown_score) in enumerate(zip(ranked.docs.tolist(), ranked.scores.tolist(), shown)):
        hit: dict[str, Any] = {"_index": name}
        if with_id:
            hit["_id"] = s.ids[doc]
        if request.version:  # the version the snapshot's document was stored with (index.store)
            hit["_version"] = int(s.doc_version_array[doc])
        if request.seq_no_primary_term:  # the document's own sequence number (index.store)
            hit["_seq_no"], hit["_primary_term"] = int(s.seq_nos[doc]), 1
        hit["_score"] = shown_score
        if doc in s.doc_routings:  # a custom routing is a metadata field of the hit
            hit["_routing"] = s.doc_routings[doc]
        began = time.perf_counter_ns() if fetch is not None else 0
        source = s.source(doc) if reads_source else {}
        src = filter_source(source, source_spec)
        if fetch is not None:
            fetch.source_nanos += time.perf_counter_ns() - began
            fetch.hits += 1
        fetched = fetcher.fetch(s.ids[doc], source) if fetching else _NOTHING_FETCHED
        hit.update(fetched.metadata)
        if src is not None:
            hit["_source"] = src
        fields = {**stored.fetch(source), **fetched.fields} if stored else fetched.fields
        if fields:
            hit["fields"] = fields
        if fetched.ignored_values:
            hit["ignored_field_values"] = fetched.ignored_values
        if highlighter is not None and (highlight := highlighter.highlight(doc, source)):
            hit["highlight"] = highlight
        if ranked.sort_values is not None and sorted_request:
            hit["sort"] = ranked.sort_values[i]
        if doc in ranked.named:
            hit["matched_queries"] = ranked.named[doc]
        if request.explain:
            began = time.perf_counter_ns() if fetch is not None else 0
            hit["_shard"] = f"[{name}][{s.shard_number(doc)}]"
            hit["_node"] = "retrievo"
            hit["_explanation"] = top_explanation(plan, ctx, doc, score)
            if fetch is not None:
                fetch.explain_nanos += time.perf_counter_ns() - began
                fetch.explained += 1
        hits.append(hit)
    return hits


def run_search(
    shard: Shard,
    request: SearchRequest,
    embed: Embedder | None = None,
    inference: Any = None,
    *,
    timeout: float | None = None,
    allow_partial_search_results: bool = True,
) -> dict[str, Any]:
    return finish_search(
        prepare_search(shard, request, embed=embed, inference=inference), timeout, allow_partial_search_results
    )
