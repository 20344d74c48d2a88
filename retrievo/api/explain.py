"""``GET/POST /{index}/_explain/{id}``: how one document scores (or fails to match) a query.

As Elasticsearch's ``TransportExplainAction``: the document is looked up in the snapshot searches read
(an unknown or deleted id is 404 ``{_index, _id, matched: false}``); the query is
planned and run as a standard search with ``explain: true`` and the document's explanation is the one
that search gives its hit, wherever it ranks. A document the query does not match is ``matched: false``
with Lucene's no-match explanation (:func:`retrievo.planner.explain.explain_lucene`). Through a
filtered alias the alias filter applies, as it does to a search. ``get`` (``_seq_no``,
``_primary_term``, ``found``, ``_source``) comes back when ``_source``/``_source_includes``/
``_source_excludes`` ask for the source. ``routing`` names the shard asked: one that does not hold the
document answers 404 as for an unknown id, and with ``_routing.required`` a request without a routing
is ``routing_missing_exception`` (``TransportExplainAction.resolveRequest``).
"""

from __future__ import annotations

from typing import Any

from retrievo.api.call import Call, body_object, refuse
from retrievo.api.documents import source_filter
from retrievo.api.resolve import single_index
from retrievo.api.search import parse_for, with_alias_filters
from retrievo.api.url_query import url_query
from retrievo.bulk import alias_routing, routing_param
from retrievo.errors import bad_request, not_found_body, validation_error
from retrievo.lucene.query import BoolQ, LQuery
from retrievo.planner.execute import prepare_search, top_explanation
from retrievo.planner.explain import explain_lucene, node
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.query import Bm25Score, Filter
from retrievo.query_rules.resolve import apply_query_rules
from retrievo.response import filter_source


def explain(call: Call) -> dict[str, Any]:
    """``GET/POST /{index}/_explain/{id}``."""
    refuse(call, "stored_fields", "_slice")
    uri_query = url_query(call)
    body = {} if call.body is None else body_object(call.body, "body")
    if call.body is None and uri_query is not None:  # RestExplainAction: the body wins over ?q=...
        body = {"query": uri_query}
    unknown = [key for key in body if key != "query"]
    if unknown:
        raise bad_request("parsing_exception", f"request does not support [{unknown[0]}]")
    if "query" not in body:
        raise validation_error("query is missing")
    expression = call.part("index")
    name = single_index(call.catalog, expression)
    shard = call.catalog.shard(name)
    alias = call.catalog.aliases.get(expression) if isinstance(expression, str) else None
    alias_filter = (alias.get(name) or {}).get("filter") if alias is not None else None
    doc_id = str(call.part("id"))
    routing = alias_routing(call.catalog, expression, name, routing_param(call.param("routing")))
    shard.check_routing(doc_id, routing)
    searcher = shard.searcher()
    doc = searcher.by_id.get(doc_id)
    if doc is None or not searcher.live[doc] or not shard.routes_to_document(doc_id, routing):
        raise not_found_body({"_index": shard.name, "_id": doc_id, "matched": False})
    spec = source_filter(call)
    request_body = with_alias_filters(
        {"query": body["query"], "explain": True, "size": max(searcher.live_count, 1)},
        [alias_filter] if alias_filter is not None else None,
    )
    prepared = prepare_search(
        shard,
        apply_query_rules(parse_for(shard, request_body, unlimited=True), call.catalog.query_rules),
        embed=call.catalog.embed_query,
        inference=call.catalog.inference,
        searcher=searcher,
    )
    ranked, ctx = prepared.plan.execute(prepared.ctx)
    hits = ranked.docs.tolist()
    out: dict[str, Any] = {"_index": shard.name, "_id": doc_id}
    if doc in hits:
        score = float(ranked.scores[hits.index(doc)])
        out["matched"] = True
        out["explanation"] = top_explanation(prepared.plan, ctx, doc, score)
    else:
        out["matched"] = False
        out["explanation"] = _no_match(prepared.plan.root, ctx, doc)
    if any(call.param(n) is not None for n in ("_source", "_source_includes", "_source_excludes")) and spec.enabled:
        get: dict[str, Any] = {"_seq_no": shard.store.seq_no, "_primary_term": 1}
        stored_routing = shard.store.routing_of(doc_id)
        if stored_routing is not None:  # ShardGetService loads _routing with every get
            get["_routing"] = stored_routing
        get["found"] = True
        source = filter_source(searcher.source(doc), spec)
        if source is not None:
            get["_source"] = source
        out["get"] = get
    return out


def _no_match(root: Operator, ctx: ExecContext, doc: int) -> dict[str, Any]:
    """Lucene's explanation of a miss by the query the plan scores (a filter kept apart by the
    planner is the bool query's required clause it came from)."""
    query = _scoring_query(root)
    if query is None:
        return node(0.0, f"{doc} is not among the query's matches")
    return explain_lucene(ctx.evaluator, query, doc)


def _scoring_query(op: Operator) -> LQuery | None:
    if isinstance(op, Bm25Score) and not op.inputs:
        return op.query
    if isinstance(op, Filter):
        inner = _scoring_query(op.child)
        return None if inner is None else BoolQ(must=(inner,), filter=op.filters)
    child = getattr(op, "child", None)
    return _scoring_query(child) if isinstance(child, Operator) and len(op.children()) == 1 else None
