"""``delete_by_query`` and ``update_by_query`` (without scripts).

The query runs once against each index's current snapshot; every matching document is then deleted
(or written again unchanged, which is what an ``update_by_query`` without a script does: a new
version, ``updated``). One local shard cannot lose a race mid-way, so ``version_conflicts`` is 0 and
``conflicts`` is only validated. Throttling and slicing parameters are accepted and change nothing;
``wait_for_completion=false`` (a task to poll) and scripts are refused by name. ``routing`` limits the
query to the shards its values lead to and ``search_type`` is the query's, as in ``_search``; each
document is written again (or deleted) with the routing it was stored with, as the scroll hits carry it.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, refuse
from retrievo.api.resolve import resolve_call
from retrievo.api.search import check_search_type, search_routing, with_shard_options
from retrievo.api.url_query import url_query
from retrievo.errors import bad_request, illegal_argument, not_supported
from retrievo.grammar.json import parse_search
from retrievo.planner.execute import run_search
from retrievo.query_rules.resolve import apply_query_rules


def _options(call: Call) -> tuple[dict[str, Any], int | None, bool]:
    refuse(call, "scroll", "_slice", "pipeline", "version_type")
    check_search_type(call.param("search_type"))
    if not p.as_bool("wait_for_completion", call.param("wait_for_completion"), True):
        raise not_supported("[wait_for_completion=false]", "retrievo runs the request before answering")
    conflicts = call.param("conflicts")
    if conflicts not in (None, "abort", "proceed"):
        raise illegal_argument(f'conflicts may only be "proceed" or "abort" but was [{p.text(conflicts)}]')
    for name in ("scroll_size", "from", "terminate_after"):
        p.as_int(name, call.param(name))
    slices = call.param("slices")
    if slices is not None and slices != "auto":
        p.as_int("slices", slices)
    rps = call.param("requests_per_second")
    if rps is not None:
        try:
            float(p.text(rps))
        except ValueError:
            raise illegal_argument(
                f"[requests_per_second] must be a float greater than 0. Found [{p.text(rps)}]"
            ) from None
    for name in ("timeout", "search_timeout"):
        p.time_value(name, call.param(name))
    for name in ("request_cache", "version", "lenient", "analyze_wildcard"):
        p.as_bool(name, call.param(name))
    body = {} if call.body is None else body_object(call.body, "body")
    if "script" in body:
        raise not_supported("[script]", "retrievo does not run scripts")
    unknown = set(body) - {"query", "max_docs", "conflicts", "slice", "sort"}
    if unknown:
        raise bad_request("x_content_parse_exception", f"[1:2] [reindex] unknown field [{sorted(unknown)[0]}]")
    for key in ("slice", "sort"):
        if key in body:
            raise not_supported(f"[{key}] in a by-query request")
    max_docs = body.get("max_docs", call.param("max_docs"))
    if max_docs is not None:
        max_docs = p.as_int("max_docs", max_docs)
        max_docs = None if max_docs == -1 else max_docs
    if max_docs is not None and max_docs <= 0:
        raise bad_request(
            "action_request_validation_exception",
            "Validation Failed: 1: maxDocs should be greater than 0 if the request is limited to some "
            f"number of documents or -1 if it isn't but it was [{max_docs}];",
        )
    query = {"query": body["query"]} if "query" in body else {}
    if (uri_query := url_query(call)) is not None:  # ?q=... replaces the body's query, as in _search
        query = {"query": uri_query}
    return query, max_docs, p.refresh(call.param("refresh"))


def _matching(call: Call, query: dict[str, Any]) -> list[tuple[Any, list[str]]]:
    """(shard, ids) for every index the call names, the query checked on all before anything changes."""
    shards = [call.catalog.shards[n] for n in resolve_call(call)]
    requests = []
    for shard in shards:
        live = shard.searcher().live_count
        body = {**query, "size": max(live, 1), "_source": False, "track_total_hits": True}
        request = parse_search(shard.name, body, max_result_window=sys.maxsize)
        routing = search_routing(call.catalog, call.part("index"), shard.name, call.param("routing"))
        request = with_shard_options(request, routing, call.param("search_type"), call.param("preference"))
        requests.append(apply_query_rules(request, call.catalog.query_rules))
    out = []
    for shard, request in zip(shards, requests):
        hits = run_search(shard, request)["hits"]["hits"]
        out.append((shard, [h["_id"] for h in hits]))
    return out


def _response(start: float, total: int, action: str) -> dict[str, Any]:
    """``BulkByScrollResponse`` as the documentation shows it for each API."""
    body: dict[str, Any] = {"took": int((time.perf_counter() - start) * 1000), "timed_out": False, "total": total}
    body[action] = total
    if action == "updated":
        body["deleted"] = 0
    body.update(
        {
            "batches": 1 if total else 0,
            "version_conflicts": 0,
            "noops": 0,
            "retries": {"bulk": 0, "search": 0},
            "throttled_millis": 0,
            "requests_per_second": -1.0,
            "throttled_until_millis": 0,
            "failures": [],
        }
    )
    return body


def delete_by_query(call: Call) -> dict[str, Any]:
    """``POST /{index}/_delete_by_query``: delete every document the query matches."""
    start = time.perf_counter()
    query, max_docs, refresh = _options(call)
    if "query" not in query:
        raise bad_request("action_request_validation_exception", "Validation Failed: 1: query is missing;")
    total = 0
    for shard, ids in _matching(call, query):
        if max_docs is not None:
            ids = ids[: max(max_docs - total, 0)]
        with call.catalog.write_batch():  # one translog fsync per index, as a bulk request has
            for doc_id in ids:
                shard.delete_document(doc_id)
        total += len(ids)
        if refresh:
            shard.refresh()
    return _response(start, total, "deleted")


def update_by_query(call: Call) -> dict[str, Any]:
    """``POST /{index}/_update_by_query``: without a script, every matching document is written
    again as it is (picking up mapping changes), as Elasticsearch does."""
    start = time.perf_counter()
    query, max_docs, refresh = _options(call)
    total = 0
    for shard, ids in _matching(call, query):
        if max_docs is not None:
            ids = ids[: max(max_docs - total, 0)]
        with call.catalog.write_batch():
            for doc_id in ids:
                found = shard.store.get(doc_id)
                if found is not None:
                    shard.index_document(doc_id, found[1], routing=shard.store.routing_of(doc_id))
        total += len(ids)
        if refresh:
            shard.refresh()
    return _response(start, total, "updated")
