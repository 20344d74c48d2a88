"""``field_caps``: each mapped field's type, and whether it is searchable and aggregatable, per index.

Read from the mappings as ``GET _mapping`` prints them (objects, leaves and multi-fields). Metadata
fields (``_id``, ``_index`` ...) are not listed; ``index_filter``, ``runtime_mappings`` and ``filters``
are refused by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, refuse
from retrievo.api.resolve import resolve_call
from retrievo.errors import not_supported, validation_error

#: Types with doc values by default (aggregatable unless ``doc_values: false``).
_DOC_VALUE_TYPES = frozenset(
    {
        "keyword",
        "constant_keyword",
        "long",
        "integer",
        "short",
        "byte",
        "double",
        "float",
        "half_float",
        "scaled_float",
        "unsigned_long",
        "date",
        "date_nanos",
        "boolean",
        "ip",
    }
)
_NOT_SEARCHABLE = frozenset({"object", "nested", "binary"})


def _walk(properties: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str, bool, bool]]:
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            continue
        path = f"{prefix}{name}"
        kind = spec.get("type", "object")
        searchable = kind not in _NOT_SEARCHABLE and spec.get("index", True) is not False
        aggregatable = kind in _DOC_VALUE_TYPES and spec.get("doc_values", True) is not False
        yield path, kind, searchable, aggregatable
        if isinstance(spec.get("properties"), dict):
            yield from _walk(spec["properties"], path + ".")
        if isinstance(spec.get("fields"), dict):
            yield from _walk(spec["fields"], path + ".")


def field_caps(call: Call) -> dict[str, Any]:
    """``GET/POST /_field_caps``, ``/{index}/_field_caps``."""
    refuse(call, "filters", "types")
    for name in ("include_unmapped", "include_empty_fields"):
        p.as_bool(name, call.param(name))
    body = {} if call.body is None else body_object(call.body, "body")
    for key in ("index_filter", "runtime_mappings"):
        if body.get(key) is not None:
            raise not_supported(f"[{key}]")
    patterns = p.names(call.param("fields")) or p.names(body.get("fields"))
    if not patterns:
        raise validation_error("specified fields can't be null or empty")
    names = resolve_call(call)
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for index in names:
        mappings = call.catalog.shards[index].mappings.to_json()
        for path, kind, searchable, aggregatable in _walk(mappings.get("properties", {})):
            if not any(p.glob_match(path, pattern) for pattern in patterns):
                continue
            entry = found.setdefault(path, {}).setdefault(
                kind,
                {
                    "type": kind,
                    "metadata_field": False,
                    "searchable": searchable,
                    "aggregatable": aggregatable,
                    "_in": [],
                },
            )
            entry["_in"].append(index)
            entry["searchable"] = entry["searchable"] and searchable
            entry["aggregatable"] = entry["aggregatable"] and aggregatable
    fields: dict[str, Any] = {}
    for path in sorted(found):
        by_type = found[path]
        fields[path] = {}
        for kind, entry in by_type.items():
            out = {k: v for k, v in entry.items() if k != "_in"}
            if len(by_type) > 1:
                out["indices"] = entry["_in"]
            fields[path][kind] = out
    return {"indices": names, "fields": fields}
