"""Index APIs: ``indices.create/delete/exists/get/get_mapping/put_mapping/get_settings/refresh/flush/
analyze/stats``.

Index expressions resolve as Elasticsearch resolves them (:mod:`retrievo.api.resolve`), with each
API's own ``IndicesOptions`` defaults. ``master_timeout``/``timeout``/``wait_for_active_shards`` are
accepted and validated: one node acknowledges at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from retrievo.api import aliases
from retrievo.api import params as p
from retrievo.api.call import Call, body_object, refuse, reply, status_of
from retrievo.api.resolve import resolve_call
from retrievo.api.types import RestResponse
from retrievo.catalog import validate_index_name
from retrievo.errors import ApiError, bad_request, illegal_argument, not_supported
from retrievo.index.analyze_api import analyze as run_analyze
from retrievo.index.mappings.limits import check_field_limit
from retrievo.index.nested import check_nested_limit
from retrievo.index.semantic import check_semantic_index_options
from retrievo.index.settings import IndexSettings, parse_settings
from retrievo.index.shard import Shard
from retrievo.synonyms.reload import check_mappings as check_index_time_analyzers


def _ack_options(call: Call) -> None:
    p.time_value("master_timeout", call.param("master_timeout"))
    p.time_value("timeout", call.param("timeout"))


def create(call: Call) -> dict[str, Any]:
    """``PUT /{index}``: mappings and settings from the body."""
    _ack_options(call)
    index = call.part("index")
    body = {} if call.body is None else body_object(call.body, "body")
    unknown = set(body) - {"mappings", "settings", "aliases"}
    if unknown:
        raise bad_request("parsing_exception", f"unknown key [{sorted(unknown)[0]}] for create index")
    requested = body.get("aliases") or {}
    if not isinstance(requested, dict):
        raise bad_request("parsing_exception", "[aliases] must be an object")
    for alias, spec in requested.items():  # checked before the index exists
        aliases.check_name(alias)
        aliases.metadata(body_object(spec if spec is not None else {}, "aliases"))
    call.catalog.create(index, body.get("mappings"), body.get("settings"))
    for alias, spec in requested.items():
        aliases.add(call.catalog, [index], alias, body_object(spec if spec is not None else {}, "aliases"))
    return {"acknowledged": True, "shards_acknowledged": True, "index": index}


def delete(call: Call) -> dict[str, Any]:
    """``DELETE /{index}``: ``ignore_unavailable`` skips missing names. As in Elasticsearch (whose
    ``action.destructive_requires_name`` defaults to true), wildcards and ``_all`` are refused, and so
    is an alias: indices are deleted by their own names."""
    _ack_options(call)
    parts = p.names(call.part("index"))
    if not parts or any(part == "_all" or "*" in part for part in parts):
        raise illegal_argument("Wildcard expressions or all indices are not allowed")
    for part in parts:
        if part in call.catalog.aliases:
            raise illegal_argument(
                f"The provided expression [{part}] matches an alias, specify the corresponding concrete indices "
                "instead."
            )
    names = resolve_call(call)
    if names:
        call.catalog.delete(",".join(names))
    return {"acknowledged": True}


def exists(call: Call) -> RestResponse:
    """``HEAD /{index}``: 200 when every name exists (a wildcard must match something), else 404."""
    for name in ("local", "flat_settings", "include_defaults"):
        p.as_bool(name, call.param(name))
    if not p.names(call.part("index")):
        return reply(404)
    try:
        names = resolve_call(call, allow_no_indices=False)
    except ApiError as err:
        if status_of(err) == 404:
            return reply(404)
        raise
    return reply(200 if names else 404)


def _settings(shard: Shard) -> dict[str, Any]:
    return shard.settings.to_json(shard.name, shard.uuid, shard.created_millis)


def _read_options(call: Call) -> None:
    for name in ("local", "flat_settings", "include_defaults"):
        if p.as_bool(name, call.param(name)) and name != "local":
            raise not_supported(f"[{name}]")
    p.time_value("master_timeout", call.param("master_timeout"))


def get(call: Call) -> dict[str, Any]:
    """``GET /{index}``: aliases, mappings and settings of each index."""
    _read_options(call)
    features = set(p.names(call.param("features"))) or {"aliases", "mappings", "settings"}
    for feature in features - {"aliases", "mappings", "settings"}:
        raise bad_request("illegal_argument_exception", f"Invalid features specified [{feature}]")
    out: dict[str, Any] = {}
    for name in resolve_call(call):
        shard = call.catalog.shards[name]
        entry: dict[str, Any] = {}
        if "aliases" in features:
            entry["aliases"] = {a: dict(on[name]) for a, on in call.catalog.aliases.items() if name in on}
        if "mappings" in features:
            entry["mappings"] = shard.mappings.to_json()
        if "settings" in features:
            entry["settings"] = _settings(shard)
        out[name] = entry
    return out


def get_mapping(call: Call) -> dict[str, Any]:
    """``GET /_mapping``, ``/{index}/_mapping``."""
    _read_options(call)
    return {n: {"mappings": call.catalog.shards[n].mappings.to_json()} for n in resolve_call(call)}


def put_mapping(call: Call) -> dict[str, Any]:
    """``PUT/POST /{index}/_mapping``: new fields added, existing ones kept (a conflicting change is
    Elasticsearch's ``illegal_argument_exception``); every index checked before any changes."""
    _ack_options(call)
    p.as_bool("write_index_only", call.param("write_index_only"))
    body = body_object(call.body, "body")
    shards = [call.catalog.shards[n] for n in resolve_call(call)]
    merged = [(s, s.mappings.merge(body, s.analysis)) for s in shards]
    for shard, mappings in merged:  # MapperService.merge checks the merged mapping's limits
        check_field_limit(mappings.total_fields_count(), shard.settings.mapping_total_fields_limit)
        check_nested_limit(mappings, shard.settings.mapping_nested_fields_limit)
        check_index_time_analyzers(shard.analysis, mappings)  # no search-time-only analyzer indexes
        check_semantic_index_options(mappings, call.catalog.inference)
    for shard, mappings in merged:
        shard.put_mappings(mappings)  # logged, so documents after it replay under it
    call.catalog.flush([s.name for s in shards])
    return {"acknowledged": True}


def get_settings(call: Call) -> dict[str, Any]:
    """``GET /_settings``, ``/{index}/_settings[/{name}]`` (``name`` filters setting keys, wildcards allowed)."""
    _read_options(call)
    wanted = p.names(call.part("name"))
    out = {}
    for name in resolve_call(call):
        settings = _settings(call.catalog.shards[name])
        if wanted:
            flat = {f"index.{k}": v for k, v in settings["index"].items()}
            kept = {k: v for k, v in flat.items() if any(p.glob_match(k, w) for w in wanted)}
            index_part = {k[len("index.") :]: v for k, v in kept.items()}
            settings = {"index": index_part} if index_part else {}
        out[name] = {"settings": settings}
    return out


#: Settings an open index takes at any time (``IndexSettings`` field by setting name).
_DYNAMIC = {
    "number_of_replicas": "number_of_replicas",
    "max_result_window": "max_result_window",
    "refresh_interval": "refresh_interval",
    "query.default_field": "default_field",
    "mapping.depth.limit": "mapping_depth_limit",
    "search.default_pipeline": "search_default_pipeline",
    "mapping.total_fields.limit": "mapping_total_fields_limit",
    "mapping.total_fields.ignore_dynamic_beyond_limit": "mapping_ignore_dynamic_beyond_limit",
    "mapping.nested_fields.limit": "mapping_nested_fields_limit",
    "mapping.nested_objects.limit": "mapping_nested_objects_limit",
    "max_terms_count": "max_terms_count",
    "highlight.max_analyzed_offset": "highlight_max_analyzed_offset",
    "translog.durability": "translog_durability",
    "translog.sync_interval": "translog_sync_interval",
}


def _flat(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in ("analysis", "index.analysis"):
            out.update(_flat(value, path + "."))
        else:
            out[path[len("index.") :] if path.startswith("index.") else path] = value
    return out


def put_settings(call: Call) -> dict[str, Any]:
    """``PUT /_settings``, ``/{index}/_settings``: the dynamic settings (``number_of_replicas``,
    ``refresh_interval``, ``max_result_window``, ``query.default_field``); ``null`` resets one.
    Static ones (``number_of_shards``, ``analysis``) are Elasticsearch's error for an open index."""
    _ack_options(call)
    for name in ("flat_settings", "reopen"):
        p.as_bool(name, call.param(name))
    preserve = p.as_bool("preserve_existing", call.param("preserve_existing"))
    body = body_object(call.body, "body")
    update = _flat(body.get("settings", body) if set(body) == {"settings"} else body)
    shards = [call.catalog.shards[n] for n in resolve_call(call)]
    defaults = IndexSettings()
    known = {"number_of_shards", "analysis", *_DYNAMIC}
    for key in sorted(set(update) - known):
        raise illegal_argument(
            f"unknown setting [index.{key}] please check that any required plugins are installed, "
            "or check the breaking changes documentation for removed settings"
        )
    static = sorted(k for k in update if k in known and k not in _DYNAMIC)
    if static and shards:
        raise illegal_argument(
            f"Can't update non dynamic settings [[{', '.join('index.' + k for k in static)}]] "
            f"for open indices [{', '.join(f'[{s.name}/{s.uuid}]' for s in shards)}]"
        )
    parsed = parse_settings({k: v for k, v in update.items() if v is not None})  # every key and value checked
    changes: list[tuple[Shard, IndexSettings]] = []
    for shard in shards:
        values = {}
        for key, value in update.items():
            field_name = _DYNAMIC[key]
            if preserve and getattr(shard.settings, field_name) != getattr(defaults, field_name):
                continue
            values[field_name] = getattr(defaults if value is None else parsed, field_name)
        changes.append((shard, dataclasses.replace(shard.settings, **values)))
    for shard, settings in changes:
        shard.put_settings(settings)
    call.catalog.flush([s.name for s in shards])
    return {"acknowledged": True}


def _shards_summary(call: Call, names: list[str]) -> dict[str, Any]:
    """A broadcast action's ``_shards``: every primary shard of the indices answered."""
    count = sum(call.catalog.shards[name].settings.number_of_shards for name in names)
    return {"_shards": {"total": count, "successful": count, "failed": 0}}


def refresh(call: Call) -> dict[str, Any]:
    """``POST /_refresh``, ``/{index}/_refresh``."""
    names = resolve_call(call)
    for name in names:
        call.catalog.shards[name].refresh()
    return _shards_summary(call, names)


def flush(call: Call) -> dict[str, Any]:
    """``POST /_flush``, ``/{index}/_flush``: persist the indices (unrefreshed writes included) to the
    data directory, when there is one; without one there is nothing to do."""
    for name in ("force", "wait_if_ongoing"):
        p.as_bool(name, call.param(name))
    names = resolve_call(call)
    call.catalog.flush(names)
    return _shards_summary(call, names)


def analyze(call: Call) -> dict[str, Any]:
    """``GET/POST /_analyze``, ``/{index}/_analyze``: the tokens of ``text``."""
    request = {} if call.body is None else body_object(call.body, "body")
    index = call.part("index") or call.param("index")
    if index is None:
        return run_analyze(None, None, request)
    shard = call.catalog.shard(validate_index_name(index))
    return run_analyze(shard.analysis, shard.mappings, request)


def stats(call: Call) -> dict[str, Any]:
    """``GET /_stats[/{metric}]``, ``/{index}/_stats[/{metric}]``: document counts (the ``docs``
    metric; others are refused by name)."""
    for metric in p.names(call.part("metric")):
        if metric not in ("_all", "docs"):
            raise not_supported(f"[{metric}] index statistics", "retrievo reports [docs]")
    level = call.param("level")
    if level not in (None, "cluster", "indices", "shards"):
        raise bad_request(
            "illegal_argument_exception",
            f"level parameter must be one of [cluster] or [indices] or [shards] but was [{level}]",
        )
    refuse(call, "completion_fields", "fielddata_fields", "fields", "groups")
    for name in ("forbid_closed_indices", "include_segment_file_sizes", "include_unloaded_segments"):
        p.as_bool(name, call.param(name))
    names = resolve_call(call)
    indices: dict[str, Any] = {}
    live_total, deleted_total = 0, 0
    for name in names:
        shard = call.catalog.shards[name]
        live = shard.searcher().live_count
        deleted = max(shard.store.max_doc - live, 0)
        live_total += live
        deleted_total += deleted
        docs = {"docs": {"count": live, "deleted": deleted}}
        indices[name] = {
            "uuid": shard.uuid,
            "health": _health_of(shard),
            "status": "open",
            "primaries": docs,
            "total": docs,
        }
    all_docs = {"docs": {"count": live_total, "deleted": deleted_total}}
    body: dict[str, Any] = {**_shards_summary(call, names), "_all": {"primaries": all_docs, "total": all_docs}}
    if level != "cluster":
        body["indices"] = indices
    return body


def _health_of(shard: Shard) -> str:
    """One node holds every primary; replicas (``number_of_replicas`` > 0) stay unassigned: yellow."""
    return "yellow" if shard.settings.number_of_replicas > 0 else "green"
