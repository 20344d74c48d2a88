"""Scrolling: ``search`` with ``scroll``, then ``scroll`` and ``clear_scroll`` (what ``helpers.scan`` uses).

A scrolled search runs once over the whole result set (the snapshot Elasticsearch's scroll context
keeps); the context holds the ranked hits and hands them out page by page, ``size`` at a time, until
none are left. A context lives for its ``scroll`` keep-alive after each use, then is dropped; the
contexts belong to the catalog they were opened on.
"""

from __future__ import annotations

import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, reply
from retrievo.api.types import RestResponse
from retrievo.catalog import Catalog
from retrievo.errors import bad_request, illegal_argument, not_found


@dataclass
class _Context:
    hits: list[dict[str, Any]]
    head: dict[str, Any]
    hits_head: dict[str, Any]
    size: int
    position: int
    expires: float


_LOCK = threading.Lock()
_CONTEXTS: weakref.WeakKeyDictionary[Catalog, dict[str, _Context]] = weakref.WeakKeyDictionary()


def keep_alive(value: Any) -> float:
    seconds = p.time_value("scroll", value)
    if seconds is None or seconds <= 0:
        raise illegal_argument(f"Keep alive for request ({p.text(value)}) is too small or disabled")
    return seconds


def _live(catalog: Catalog) -> dict[str, _Context]:
    now = time.monotonic()
    contexts = _CONTEXTS.setdefault(catalog, {})
    for key in [k for k, c in contexts.items() if c.expires < now]:
        del contexts[key]
    return contexts


def open_scroll(catalog: Catalog, response: dict[str, Any], size: int, seconds: float) -> dict[str, Any]:
    """Keep the whole ``response`` (every hit, ranked) and answer with its first page."""
    hits = response["hits"]
    context = _Context(
        hits=list(hits["hits"]),
        head={k: v for k, v in response.items() if k not in ("hits", "aggregations")},
        hits_head={k: v for k, v in hits.items() if k != "hits"},
        size=size,
        position=0,
        expires=time.monotonic() + seconds,
    )
    scroll_id = secrets.token_urlsafe(24)
    with _LOCK:
        _live(catalog)[scroll_id] = context
    first = _page(scroll_id, context, response.get("took", 0))
    if "aggregations" in response:  # computed once, answered with the first page only (as Elasticsearch does)
        first["aggregations"] = response["aggregations"]
    return first


def _page(scroll_id: str, context: _Context, took: int) -> dict[str, Any]:
    page = context.hits[context.position : context.position + context.size]
    context.position += len(page)
    body: dict[str, Any] = {"_scroll_id": scroll_id, **context.head, "took": took}
    body["hits"] = {**context.hits_head, "hits": page}
    return body


def _ids(call: Call) -> list[str]:
    body = {} if call.body is None else body_object(call.body, "body")
    unknown = set(body) - {"scroll_id", "scroll"}
    if unknown:
        raise bad_request("parsing_exception", f"Unknown parameter [{sorted(unknown)[0]}] in request body")
    return p.names(call.part("scroll_id")) or p.names(call.param("scroll_id")) or p.names(body.get("scroll_id"))


def scroll(call: Call) -> dict[str, Any]:
    """``GET/POST /_search/scroll[/{scroll_id}]``: the next page."""
    body = {} if call.body is None else body_object(call.body, "body")
    ids = _ids(call)
    if len(ids) != 1:
        raise bad_request("action_request_validation_exception", "Validation Failed: 1: scrollId is missing;")
    keep = body.get("scroll", call.param("scroll"))
    seconds = keep_alive(keep) if keep is not None else None
    start = time.perf_counter()
    with _LOCK:
        context = _live(call.catalog).get(ids[0])
        if context is None:
            raise not_found("search_context_missing_exception", f"No search context found for id [{ids[0]}]")
        if seconds is not None:
            context.expires = time.monotonic() + seconds
        response = _page(ids[0], context, int((time.perf_counter() - start) * 1000))
    if p.as_bool("rest_total_hits_as_int", call.param("rest_total_hits_as_int")):
        total = response["hits"].get("total")
        response["hits"] = {**response["hits"], "total": total["value"] if isinstance(total, dict) else -1}
    return response


def clear_scroll(call: Call) -> RestResponse:
    """``DELETE /_search/scroll[/{scroll_id}]``: ``_all`` or the listed ids."""
    ids = _ids(call)
    if not ids:
        raise bad_request("action_request_validation_exception", "Validation Failed: 1: no scroll ids specified;")
    with _LOCK:
        contexts = _live(call.catalog)
        if ids == ["_all"]:
            freed = len(contexts)
            contexts.clear()
        else:
            freed = sum(contexts.pop(i, None) is not None for i in ids)
    return reply(200 if freed else 404, {"succeeded": True, "num_freed": freed})
