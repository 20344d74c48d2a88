"""Merging mappings (``PUT _mapping``, dynamic updates): Elasticsearch's merge rules and conflict
messages."""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from retrievo.errors import illegal_argument
from retrievo.index.field_types import FIELD_TYPES, FieldMapping
from retrievo.index.mappings.objects import ROOT_NAME, Mapper, ObjectMapping

__all__ = ["merge_mapper", "merge_object", "tree_of"]


def _analyzer_identity(value: Any, explicit: bool) -> Any:
    """ES compares analyzer *instances*: an unset analyzer is the index's ``default`` one."""
    return value if explicit else "default"


def _merge_field(current: FieldMapping, incoming: FieldMapping) -> FieldMapping:
    """``FieldMapper.merge``: same type; non-updatable parameters must not change."""
    if current.type != incoming.type:
        raise illegal_argument(
            f"mapper [{current.path}] cannot be changed from type [{current.type}] to [{incoming.type}]"
        )
    spec = FIELD_TYPES[current.type]
    conflicts: list[str] = []
    params: dict[str, Any] = {}
    for param in spec.params:
        old, new = current.params[param.name], incoming.params[param.name]
        if param.name == "analyzer":
            old = _analyzer_identity(old, param.name in current.explicit)
            new = _analyzer_identity(new, param.name in incoming.explicit)
        if param.can_merge(old, new):
            params[param.name] = incoming.params[param.name]
        else:
            params[param.name] = current.params[param.name]
            conflicts.append(
                f"Cannot update parameter [{param.name}] from "
                f"[{param.conflict_text(old)}] to [{param.conflict_text(new)}]"
            )
    sub_fields = {sub.name: sub for sub in current.fields}
    for sub in incoming.fields:
        sub_fields[sub.name] = _merge_field(sub_fields[sub.name], sub) if sub.name in sub_fields else sub
    if conflicts:
        raise illegal_argument(
            f"Mapper for [{current.path}] conflicts with existing mapper:\n\t" + "\n\t".join(conflicts)
        )
    fields = tuple(sorted(sub_fields.values(), key=lambda sub: sub.name))
    return FieldMapping(current.path, current.type, MappingProxyType(params), incoming.explicit, fields, current.parent)


def merge_object(current: ObjectMapping, incoming: ObjectMapping) -> ObjectMapping:
    """``ObjectMapper.doMerge``: ``dynamic`` may change, ``enabled`` may not, children merge."""
    # (an incoming plain object with properties may be the bare intermediate object of a dynamic update)
    downgrade = current.nested is not None and incoming.nested is None and not incoming.properties
    if current.path and (downgrade or (current.nested is None and incoming.nested is not None)):
        raise illegal_argument(f"can't merge a non-nested mapping [{current.path}] with a nested mapping")
    if incoming.enabled_explicit and incoming.enabled != current.enabled:
        raise illegal_argument(
            f"the [enabled] parameter can't be updated for the object mapping [{current.path or ROOT_NAME}]"
        )
    properties = dict(current.properties)
    for name, mapper in incoming.properties.items():
        existing = properties.get(name)
        properties[name] = mapper if existing is None else merge_mapper(existing, mapper)
    return ObjectMapping(
        current.path,
        MappingProxyType(properties),
        incoming.dynamic if incoming.dynamic is not None else current.dynamic,
        current.enabled,
        current.enabled_explicit or incoming.enabled_explicit,
        current.nested if current.nested is not None else incoming.nested,
    )


def merge_mapper(current: Mapper, incoming: Mapper) -> Mapper:
    if isinstance(current, ObjectMapping) and isinstance(incoming, ObjectMapping):
        return merge_object(current, incoming)
    if isinstance(current, ObjectMapping) or isinstance(incoming, ObjectMapping):
        raise illegal_argument(f"can't merge a non object mapping [{incoming.path}] with an object mapping")
    return _merge_field(current, incoming)


def tree_of(mappers: Iterable[Mapper]) -> ObjectMapping:
    """A root holding ``mappers`` at their paths, with bare intermediate objects."""
    root = ObjectMapping("")
    for mapper in mappers:
        parts = mapper.path.split(".")
        node: Mapper = mapper
        for depth in range(len(parts) - 2, -1, -1):
            node = ObjectMapping(".".join(parts[: depth + 1]), MappingProxyType({parts[depth + 1]: node}))
        root = merge_object(root, ObjectMapping("", MappingProxyType({parts[0]: node})))
    return root
