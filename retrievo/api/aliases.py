"""Aliases: ``indices.put_alias/get_alias/exists_alias/delete_alias/update_aliases``.

An alias names one or more indices; a search through it searches them (``retrievo.api.resolve``),
with the alias's ``filter`` (query DSL, checked when the alias is made) applied as a filter. A
single-document read through an alias needs an alias of one index; a write (``_bulk`` items too)
goes to its write index (``is_write_index``, or the only index).
Routing values are stored and echoed (one shard: they route nowhere). Aliases live in the catalog,
which persists them with their indices (in the data directory's manifest) at every change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, reply
from retrievo.api.resolve import resolve, resolve_call
from retrievo.api.types import RestResponse
from retrievo.catalog import Catalog
from retrievo.errors import bad_request, illegal_argument, not_found, not_supported
from retrievo.grammar.json import parse_query

_FORBIDDEN = frozenset('\\/*?"<>| ,#:')
_METADATA = ("filter", "routing", "index_routing", "search_routing", "is_write_index", "is_hidden")


def check_name(alias: Any) -> str:
    if not isinstance(alias, str) or not alias:
        raise illegal_argument("alias name is required")
    if set(alias) & _FORBIDDEN or alias.startswith(("_", "-", "+")) or alias != alias.lower():
        raise bad_request(
            "invalid_alias_name_exception",
            f"Invalid alias name [{alias}], must be lowercase and must not start with '_', '-' or '+' nor contain "
            "the following characters [' ','\"','*',',','/','<','>','?','\\\\','|']",
        )
    return alias


def metadata(spec: Mapping[str, Any]) -> dict[str, Any]:
    """An alias's stored metadata, as ``GET _alias`` shows it; the filter is parsed now, so a bad one
    fails the request."""
    unknown = set(spec) - set(_METADATA)
    if unknown:
        raise bad_request("x_content_parse_exception", f"[alias] unknown field [{sorted(unknown)[0]}]")
    out: dict[str, Any] = {}
    if spec.get("filter") is not None:
        parse_query(spec["filter"])
        out["filter"] = spec["filter"]
    routing = spec.get("routing")
    for key in ("index_routing", "search_routing"):
        value = spec.get(key, routing)
        if value is not None:
            out[key] = p.text(value)
    for key in ("is_write_index", "is_hidden"):
        if spec.get(key) is not None:
            out[key] = p.as_bool(key, spec[key])
    return out


def add(catalog: Catalog, indices: list[str], alias: str, spec: Mapping[str, Any]) -> None:
    catalog.put_alias(indices, check_name(alias), metadata(spec))


def put_alias(call: Call) -> dict[str, Any]:
    """``PUT/POST /{index}/_alias/{name}`` (also ``_aliases``)."""
    p.time_value("master_timeout", call.param("master_timeout"))
    p.time_value("timeout", call.param("timeout"))
    spec = {} if call.body is None else body_object(call.body, "body")
    names = resolve_call(call)
    for alias in p.names(call.part("name")):
        add(call.catalog, names, alias, spec)
    return {"acknowledged": True}


def _matching_aliases(catalog: Catalog, wanted: list[str]) -> list[str]:
    if not wanted or wanted in (["_all"], ["*"]):
        return list(catalog.aliases)
    return [a for a in catalog.aliases if any(p.glob_match(a, w) for w in wanted)]


def get_alias(call: Call) -> RestResponse:
    """``GET /_alias[/{name}]``, ``/{index}/_alias[/{name}]``: ``{index: {"aliases": {...}}}``."""
    p.time_value("master_timeout", call.param("master_timeout"))
    wanted = p.names(call.part("name"))
    aliases = _matching_aliases(call.catalog, wanted)
    indices = resolve_call(call) if call.part("index") is not None else list(call.catalog.shards)
    out: dict[str, Any] = {}
    for index in indices:
        found = {a: dict(call.catalog.aliases[a][index]) for a in aliases if index in call.catalog.aliases[a]}
        if found or not wanted:
            out[index] = {"aliases": found}
    missing = [w for w in wanted if "*" not in w and w != "_all" and w not in aliases]
    if missing:
        message = f"alias [{missing[0]}] missing" if len(missing) == 1 else f"aliases [{','.join(missing)}] missing"
        return reply(404, {"error": message, "status": 404, **out})
    return reply(200, out)


def exists_alias(call: Call) -> RestResponse:
    """``HEAD /_alias/{name}``, ``/{index}/_alias/{name}``."""
    response = get_alias(call)
    return reply(200 if response.status == 200 and response.body else 404)


def delete_alias(call: Call) -> dict[str, Any]:
    """``DELETE /{index}/_alias/{name}`` (also ``_aliases``)."""
    p.time_value("master_timeout", call.param("master_timeout"))
    p.time_value("timeout", call.param("timeout"))
    indices = resolve_call(call)
    wanted = p.names(call.part("name"))
    removed = 0
    for alias in _matching_aliases(call.catalog, wanted):
        for index in indices:
            removed += call.catalog.remove_alias(index, alias)
    if not removed:
        extra: dict[str, Any] = {"resource.type": "aliases", "resource.id": ",".join(wanted)}
        raise not_found("aliases_not_found_exception", f"aliases [{','.join(wanted)}] missing", **extra)
    return {"acknowledged": True}


def _list(action: Mapping[str, Any], one: str, many: str) -> list[str]:
    value = action.get(many, action.get(one))
    if value is None:
        raise bad_request("action_request_validation_exception", f"Validation Failed: 1: [{one}] is required;")
    return p.names(value)


def update_aliases(call: Call) -> dict[str, Any]:
    """``POST /_aliases``: ``add``/``remove`` actions, all checked before any is applied."""
    p.time_value("master_timeout", call.param("master_timeout"))
    p.time_value("timeout", call.param("timeout"))
    body = body_object(call.body, "body")
    actions = body.get("actions")
    if set(body) - {"actions"} or not isinstance(actions, list) or not actions:
        raise bad_request("action_request_validation_exception", "Validation Failed: 1: no actions specified;")
    planned: list[tuple[str, list[str], list[str], dict[str, Any]]] = []
    for action in actions:
        if not isinstance(action, dict) or len(action) != 1:
            raise bad_request("parsing_exception", "Expected a single action per object in [actions]")
        kind, spec = next(iter(action.items()))
        if kind == "remove_index":
            raise not_supported("[remove_index] in an aliases request", "delete the index instead")
        if kind not in ("add", "remove") or not isinstance(spec, dict):
            raise bad_request("illegal_argument_exception", f"[alias_action] unknown field [{kind}]")
        indices = resolve(call.catalog, ",".join(_list(spec, "index", "indices")))
        names = _list(spec, "alias", "aliases")
        extra = {k: v for k, v in spec.items() if k not in ("index", "indices", "alias", "aliases", "must_exist")}
        if kind == "add":
            for alias in names:
                check_name(alias)
            planned.append((kind, indices, names, metadata(extra)))
        else:
            planned.append((kind, indices, names, {}))
    for kind, indices, names, meta in planned:
        for alias in names:
            if kind == "add":
                call.catalog.put_alias(indices, alias, meta)
            else:
                for index in indices:
                    call.catalog.remove_alias(index, alias)
    return {"acknowledged": True, "errors": False}
