"""Document APIs: ``index``, ``create``, ``get``, ``exists``, ``delete``, ``bulk``, ``mget``, ``update``.

One local shard answers every write: ``_shards`` is ``{total: 1, successful: 1, failed: 0}``, and
``wait_for_active_shards``/``timeout`` are accepted (validated) and change nothing. ``routing`` picks
the shard of an index with several (``index/routing.py``): a document is stored with it, and a read,
delete or update whose routing leads to another shard finds nothing there (404), as in Elasticsearch;
with ``_routing.required`` in the mappings a request without one is ``routing_missing_exception``.
Reads print the document's ``_routing``.
``refresh`` (``true``, ``wait_for`` or the bare flag) makes the write searchable before the call
returns. ``version``/``version_type`` on index, create, delete (and bulk items) run external
versioning (``index.versioning``); options retrievo cannot honour (``pipeline``, ``if_seq_no``/
``if_primary_term``) are refused by name, never ignored, and a version on update fails as ES's
``RestUpdateAction`` fails it (internal versioning is not concurrency control); ``stored_fields`` on
reads returns the fields mapped with ``store: true`` (:mod:`retrievo.index.stored_fields`).

A write through an alias lands in its write index (``Catalog.write_index``: ES's "no write index"
error when it has none; ``require_alias`` refuses names that are not aliases), in ``_bulk`` per
item; a read through an alias needs an alias of one index (``single_index``), in ``_mget`` per item.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, refuse, reply
from retrievo.api.resolve import single_index
from retrievo.api.types import RestResponse
from retrievo.bulk import alias_routing, delete_routed, document_missing, routed_current, routing_param, run_bulk
from retrievo.catalog import Catalog
from retrievo.errors import (
    ApiError,
    bad_request,
    illegal_argument,
    index_not_found,
    not_found_body,
    not_supported,
    validation_error,
)
from retrievo.grammar.json.search import parse_source
from retrievo.index.doc_ids import check_id, id_problems
from retrievo.index.shard import Shard
from retrievo.index.stored_fields import StoredFieldsFetcher, names_request_source
from retrievo.index.versioning import parse_write_version
from retrievo.response import filter_source
from retrievo.retrievers.search import SourceFilter

#: Write options a single local shard cannot honour.
_UNSUPPORTED_WRITE = ("pipeline", "if_seq_no", "if_primary_term")


def _write_options(call: Call, versioned: bool = False) -> bool:
    """Check the options every write shares; whether to refresh after it. ``versioned``: the write
    reads ``version``/``version_type`` itself (index, create, delete); elsewhere they are refused."""
    refuse(call, *_UNSUPPORTED_WRITE)
    if not versioned:
        refuse(call, "version", "version_type")
    p.time_value("timeout", call.param("timeout"))
    p.as_bool("require_alias", call.param("require_alias"))
    p.as_bool("require_data_stream", call.param("require_data_stream"))
    p.as_bool("include_source_on_error", call.param("include_source_on_error"), True)
    return p.refresh(call.param("refresh"))


def _routing(call: Call, index: Any) -> str | None:
    """The request's ``routing``, or the ``index_routing`` of the alias it names (``alias_routing``)."""
    return alias_routing(call.catalog, call.part("index"), index, routing_param(call.param("routing")))


def _write_index(call: Call) -> Any:
    """The index a single-document write lands in (an alias's write index; ``require_alias``)."""
    require_alias = p.as_bool("require_alias", call.param("require_alias"))
    return call.catalog.write_index(call.part("index"), require_alias=require_alias)


def source_filter(call: Call, default: Any = True) -> SourceFilter:
    """``_source``, ``_source_includes`` and ``_source_excludes`` as ``FetchSourceContext.parseFromRestRequest``
    reads them: ``_source`` is a boolean or a field list; the other two replace includes/excludes."""
    raw = call.param("_source")
    includes = p.names(call.param("_source_includes"))
    excludes = p.names(call.param("_source_excludes"))
    if raw is None and not includes and not excludes:
        return parse_source("_source", default)
    if raw is not None and not isinstance(raw, str) and not includes and not excludes:
        return parse_source("_source", raw)  # Engine's Python value: a bool, a list or an object
    enabled = True
    if isinstance(raw, bool) or raw in ("true", "false"):
        enabled = p.as_bool("_source", raw)
    elif raw is not None:
        includes = includes or p.names(raw)
    return SourceFilter(enabled=enabled, includes=tuple(includes), excludes=tuple(excludes))


# ---------------------------------------------------------------------------- single documents


def index(call: Call) -> RestResponse:
    """``PUT/POST /{index}/_doc/{id}``, ``POST /{index}/_doc``: 201 when created, 200 when replaced."""
    op_type = call.param("op_type")
    if op_type not in (None, "index", "create"):
        raise illegal_argument(f"opType must be 'create' or 'index', found: [{op_type}]")
    return _write(call, op_type or "index")


def create(call: Call) -> RestResponse:
    """``PUT/POST /{index}/_create/{id}``: a version conflict (409) when the id exists."""
    return _write(call, "create")


def _write(call: Call, op_type: str) -> RestResponse:
    refresh = _write_options(call, versioned=True)
    doc = body_object(call.body, "document")
    doc_id = call.part("id")
    check_id(op_type, None if doc_id is None else str(doc_id))
    requested = parse_write_version(call.param("version"), call.param("version_type"), op_type)
    index_name = _write_index(call)
    shard = call.catalog.shard(index_name, auto_create=True)
    routing = _routing(call, index_name)
    new_id, version, created, seq_no = shard.index_document(doc_id, doc, op_type, version=requested, routing=routing)
    if refresh:
        shard.refresh()
    body = call.catalog.write_result(shard, new_id, version, "created" if created else "updated", seq_no)
    if created:
        return reply(201, body, {"location": f"/{shard.name}/_doc/{new_id}"})
    return reply(200, body)


def _document(
    shard: Shard, doc_id: str, spec: SourceFilter, stored: list[str] | None = None, routing: str | None = None
) -> dict[str, Any] | None:
    """A found document as ``GetResult`` prints it, or ``None`` (no such id, or ``routing`` leads to a
    shard that does not hold it). ``_routing`` is one of the metadata fields a get always loads."""
    shard.check_routing(doc_id, routing)
    found = shard.store.get(doc_id)
    if found is None or not shard.routes_to_document(doc_id, routing):
        return None
    body: dict[str, Any] = {
        "_index": shard.name,
        "_id": doc_id,
        "_version": shard.store.versions[doc_id],
        "_seq_no": shard.store.seq_no_of(found[0]),
        "_primary_term": 1,
    }
    stored_routing = shard.store.routing_of(doc_id)
    if stored_routing is not None:
        body["_routing"] = stored_routing
    body["found"] = True
    filtered = filter_source(found[1], spec)
    if filtered is not None:
        body["_source"] = filtered
    if stored:  # fields mapped with store: true (retrievo.index.stored_fields)
        fields = StoredFieldsFetcher(shard.mappings, stored).fetch(found[1])
        if fields:
            body["fields"] = fields
    return body


def _stored_names(raw: Any) -> list[str] | None:
    """A ``stored_fields`` parameter (comma-separated, or a list from ``Engine`` or an ``_mget`` item)."""
    if raw is None:
        return None
    return [str(name) for name in raw] if isinstance(raw, list) else p.names(raw)


def _read_options(call: Call) -> None:
    refuse(call, "version", "version_type", "force_synthetic_source", "_source_exclude_vectors")
    p.as_bool("realtime", call.param("realtime"), True)  # one local shard: every read is realtime


def get(call: Call) -> dict[str, Any]:
    """``GET /{index}/_doc/{id}``: the document, or 404 with ``found: false``."""
    _read_options(call)
    index_name = single_index(call.catalog, call.part("index"))
    shard = call.catalog.shard(index_name)
    doc_id = str(call.part("id"))
    if p.as_bool("refresh", call.param("refresh")):
        shard.refresh()
    stored = _stored_names(call.param("stored_fields"))
    spec = source_filter(call, names_request_source(stored) if stored else True)
    body = _document(shard, doc_id, spec, stored, _routing(call, index_name))
    if body is None:
        raise not_found_body({"_index": shard.name, "_id": doc_id, "found": False})
    return body


def exists(call: Call) -> RestResponse:
    """``HEAD /{index}/_doc/{id}``: 200 or 404, no body."""
    _read_options(call)
    source_filter(call)
    index_name = single_index(call.catalog, call.part("index"))
    shard = call.catalog.shards.get(index_name)
    found = (
        shard is not None
        and _document(shard, str(call.part("id")), SourceFilter(enabled=False), None, _routing(call, index_name))
        is not None
    )
    return reply(200 if found else 404)


def delete(call: Call) -> dict[str, Any]:
    """``DELETE /{index}/_doc/{id}``: 404 with ``result: not_found`` when the id is unknown."""
    refresh = _write_options(call, versioned=True)
    doc_id = str(call.part("id"))
    check_id("delete", doc_id)
    requested = parse_write_version(call.param("version"), call.param("version_type"), "delete")
    index_name = call.catalog.write_index(call.part("index"))
    shard = call.catalog.shard(index_name)
    version, seq_no = delete_routed(shard, doc_id, requested, _routing(call, index_name))
    if version is None:
        missing = requested.version if requested is not None else 1  # ES reports the version it was asked for
        raise not_found_body(call.catalog.write_result(shard, doc_id, missing, "not_found", seq_no))
    if refresh:
        shard.refresh()
    return call.catalog.write_result(shard, doc_id, version, "deleted", seq_no)


# ---------------------------------------------------------------------------- bulk and mget


def bulk(call: Call) -> dict[str, Any]:
    """``POST /_bulk``, ``/{index}/_bulk``: NDJSON (or, from ``Engine``, a list of actions)."""
    refresh = _write_options(call)
    p.as_bool("list_executed_pipelines", call.param("list_executed_pipelines"))
    start = time.perf_counter()
    require_alias = p.as_bool("require_alias", call.param("require_alias"))
    routing = routing_param(call.param("routing"))
    items, touched = run_bulk(call.catalog, call.body, call.part("index"), require_alias=require_alias, routing=routing)
    if refresh:
        for shard in touched:
            shard.refresh()
    errors = any("error" in next(iter(item.values())) for item in items)
    return {"errors": errors, "took": int((time.perf_counter() - start) * 1000), "items": items}


def _mget_item(
    catalog: Catalog,
    spec: Any,
    default_index: str | None,
    default_source: SourceFilter,
    default_stored: list[str] | None = None,
    default_routing: str | None = None,
) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise bad_request("parsing_exception", "docs array element should include an object")
    unknown = set(spec) - {"_index", "_id", "_source", "routing", "stored_fields", "version", "version_type"}
    if unknown:
        raise bad_request("parsing_exception", f"Unknown key for a START_OBJECT in [{sorted(unknown)[0]}].")
    index_name = spec.get("_index", default_index)
    doc_id = spec.get("_id")
    if index_name is None:
        raise validation_error("index is missing for doc 0")
    if doc_id is None:
        raise validation_error("id is missing for doc 0")
    doc_id = str(doc_id)
    routing = routing_param(spec["routing"]) if spec.get("routing") is not None else default_routing
    named = index_name
    try:  # TransportMultiGetAction: each failure is the item's, named by the index as the item gave it
        index_name = single_index(catalog, index_name)
        routing = alias_routing(catalog, named, index_name, routing)
        shard = catalog.shards.get(index_name)
        if shard is None:
            raise index_not_found(index_name)
    except ApiError as err:
        return {"_index": named, "_id": doc_id, "error": err.body["error"]}
    try:
        shard.check_routing(doc_id, routing)
    except ApiError as err:  # a RoutingMissingException names the concrete index
        return {"_index": index_name, "_id": doc_id, "error": err.body["error"]}
    stored = _stored_names(spec["stored_fields"]) if "stored_fields" in spec else default_stored
    if "_source" in spec:
        spec_source = parse_source("_source", spec["_source"])
    elif stored and default_source == SourceFilter():
        spec_source = SourceFilter(enabled=names_request_source(stored))
    else:
        spec_source = default_source
    found = _document(shard, doc_id, spec_source, stored, routing)
    return found if found is not None else {"_index": index_name, "_id": doc_id, "found": False}


def mget(call: Call) -> dict[str, Any]:
    """``GET/POST /_mget``, ``/{index}/_mget``: ``docs`` (each naming its ``_index`` unless the path
    does) or ``ids``; a missing document is ``found: false``, a missing index an error item."""
    _read_options(call)
    body = body_object(call.body, "body")
    unknown = set(body) - {"docs", "ids"}
    if unknown:
        raise bad_request("parsing_exception", f"unknown key [{sorted(unknown)[0]}] for a mget request")
    default_index = call.part("index")
    specs: list[Any]
    if "ids" in body:
        if default_index is None:
            raise validation_error("index is missing for doc 0")
        ids = body["ids"]
        if not isinstance(ids, list):
            raise bad_request("parsing_exception", "ids array element should only contain ids")
        specs = [{"_index": default_index, "_id": i} for i in ids]
    else:
        docs = body.get("docs")
        specs = list(docs) if isinstance(docs, list) else []
    if not specs:
        raise validation_error("no documents to get")
    default_source = source_filter(call)
    stored = _stored_names(call.param("stored_fields"))
    routing = routing_param(call.param("routing"))
    return {"docs": [_mget_item(call.catalog, spec, default_index, default_source, stored, routing) for spec in specs]}


# ---------------------------------------------------------------------------- update


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def update(call: Call) -> RestResponse:
    """``POST /{index}/_update/{id}``: a partial ``doc`` merged into the stored source (``detect_noop``
    on by default), ``doc_as_upsert``/``upsert`` for a missing document; scripts are refused."""
    refresh = _write_options(call, versioned=True)
    p.as_int("retry_on_conflict", call.param("retry_on_conflict"))
    if call.params.get("version") is not None or call.params.get("version_type") is not None:
        # RestUpdateAction: any version parameter at all, before the body is read
        raise validation_error(
            "internal versioning can not be used for optimistic concurrency control. "
            "Please use `if_seq_no` and `if_primary_term` instead"
        )
    refuse(call, "lang")
    body = body_object(call.body, "body")
    if "script" in body or "scripted_upsert" in body:
        raise not_supported("[script]", "retrievo does not run scripts; send a partial [doc] instead")
    unknown = set(body) - {"doc", "doc_as_upsert", "upsert", "detect_noop", "_source"}
    if unknown:
        raise bad_request("x_content_parse_exception", f"[UpdateRequest] unknown field [{sorted(unknown)[0]}]")
    doc, upsert = body.get("doc"), body.get("upsert")
    if doc is not None and not isinstance(doc, dict):
        raise bad_request("x_content_parse_exception", "[UpdateRequest] failed to parse field [doc]")
    if upsert is not None and not isinstance(upsert, dict):
        raise bad_request("x_content_parse_exception", "[UpdateRequest] failed to parse field [upsert]")
    problems = id_problems("update", str(call.part("id"))) + (["script or doc is missing"] if doc is None else [])
    if problems or doc is None:
        raise validation_error(*problems)
    doc_as_upsert = p.as_bool("doc_as_upsert", body.get("doc_as_upsert"))
    detect_noop = p.as_bool("detect_noop", body.get("detect_noop"), True)
    index_name, doc_id = _write_index(call), str(call.part("id"))
    shard = call.catalog.shard(index_name, auto_create=doc_as_upsert or upsert is not None)
    routing = _routing(call, index_name)
    current = routed_current(shard, doc_id, routing)
    if current is None:
        if not (doc_as_upsert or upsert is not None):
            raise document_missing(shard, doc_id, routing)
        new_source = doc if doc_as_upsert else upsert
    else:
        new_source = _merge(current[1], doc)
        if detect_noop and new_source == current[1]:
            return reply(
                200,
                {
                    "_index": shard.name,
                    "_id": doc_id,
                    "_version": shard.store.versions[doc_id],
                    "result": "noop",
                    "_shards": {"total": 0, "successful": 0, "failed": 0},
                    "_seq_no": shard.store.seq_no,
                    "_primary_term": 1,
                },
            )
    # UpdateHelper: the new version keeps the stored document's routing; an upsert takes the request's
    kept = routing if current is None else shard.store.routing_of(doc_id)
    _, version, created, seq_no = shard.index_document(doc_id, dict(new_source or {}), routing=kept)
    if refresh:
        shard.refresh()
    result = call.catalog.write_result(shard, doc_id, version, "created" if created else "updated", seq_no)
    if "_source" in body or call.param("_source_includes") or call.param("_source_excludes"):
        spec = parse_source("_source", body.get("_source", True))
        if call.param("_source_includes") or call.param("_source_excludes"):
            spec = source_filter(call)
        filtered = filter_source(dict(new_source or {}), spec)
        if filtered is not None:
            result["get"] = {"_seq_no": seq_no, "_primary_term": 1, "found": True, "_source": filtered}
    return reply(201 if created else 200, result)
