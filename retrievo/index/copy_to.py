"""``copy_to``: a field's values indexed again into other fields, as Elasticsearch does it.

Three places read it:

* the mappings check it whenever they change (:func:`check_copy_to`, ``FieldMapper.validate``):
  no copy from or into a multi-field, no copy into an object;
* the document parser copies each raw JSON value (``null`` included) right after the field has
  parsed it, into each target as if the document held it at the target's path
  (``DocumentParser.parseCopyFields``): a missing target is created by dynamic mapping under the
  root's ``dynamic`` setting, objects on the way included. Copying is not transitive: values
  arriving through ``copy_to`` are not copied on by the target's own ``copy_to``
  (``isWithinCopyTo``). Copies never enter ``_source``;
* whatever reads a field's values back from ``_source`` (``fields``, ``docvalue_fields``, ``stored_fields``,
  ``_ignored``, the highlighter, the ``text_similarity_reranker`` through ``FieldInfo.source_paths``) reads a
  target's values from its own path and every path copying into it (``FieldTypeLookup.sourcePaths``), in
  Java ``HashSet`` order as Elasticsearch does (:func:`source_paths`).

A ``semantic_text`` target chunks and embeds the copied texts with its own values, as the
inference filter of Elasticsearch's coordinating node gathers them from every source field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from retrievo.errors import illegal_argument
from retrievo.index.field_types import FieldMapping
from retrievo.index.field_types.copy_to_param import copy_targets
from retrievo.java_order import hashmap_order

__all__ = ["check_copy_to", "copy_source_paths", "copy_targets", "indexed_paths", "source_paths"]


def check_copy_to(fields: Mapping[str, FieldMapping], objects: Mapping[str, Any]) -> None:
    """``FieldMapper.validate``'s ``copy_to`` rules over a whole mapping; raises
    ``illegal_argument_exception`` as Elasticsearch's merge does."""
    for path, fm in fields.items():
        targets = copy_targets(fm.params)
        if not targets:
            continue
        if fm.is_multi_field:
            raise illegal_argument(f"[copy_to] may not be used to copy from a multi-field: [{path}]")
        for target in targets:
            found = fields.get(target)
            if found is not None and found.is_multi_field:
                raise illegal_argument(f"[copy_to] may not be used to copy to a multi-field: [{target}]")
            if target in objects and target != "":
                raise illegal_argument(f"Cannot copy to field [{target}] since it is mapped as an object")
            _check_nested_scopes(_nested_parent(path, objects), _nested_parent(target, objects))


def _nested_parent(path: str, objects: Mapping[str, Any]) -> str | None:
    """``NestedLookup.getNestedParent``: the deepest ``nested`` object holding ``path``."""
    parent = path
    while "." in parent:
        parent = parent.rsplit(".", 1)[0]
        if getattr(objects.get(parent), "nested", None) is not None:
            return parent
    return None


def _check_nested_scopes(source: str | None, target: str | None) -> None:
    """``FieldMapper.checkNestedScopeCompatibility``: a copy may only go to its own nested document or
    one enclosing it."""
    if source is None or target is None:
        allowed = target is None
    else:
        allowed = source == target or source.startswith(target + ".")
    if not allowed:
        raise illegal_argument(
            "Illegal combination of [copy_to] and [nested] mappings: [copy_to] may only copy data to the current "
            "nested document or any of its parents, however one [copy_to] directive is trying to copy data from "
            f"nested object [{'null' if source is None else source}] to [{target}]"
        )


def source_paths(fields: Iterable[FieldMapping], fm: FieldMapping) -> list[str]:
    """Where in ``_source`` the ``fields`` fetch finds ``fm``'s values: the parent's path for a
    multi-field; for a ``copy_to`` target, its own path and its sources' paths."""
    path = fm.parent if fm.parent is not None else fm.path
    sources = [other.path for other in fields if path in copy_targets(other.params)]
    if not sources:
        return [path]
    # HashSet<String> of the target and its sources (default capacity 16)
    return hashmap_order(dict.fromkeys([path, *sources]), 16)


def copy_source_paths(mappings: Any, fm: FieldMapping) -> tuple[str, ...]:
    """:func:`source_paths` of ``fm`` in ``mappings`` when it is a ``copy_to`` target, else ``()``: what a
    :class:`~retrievo.index.searcher.FieldInfo` carries for readers of ``_source`` (the reranker)."""
    paths = source_paths(mappings.fields(), fm)
    return tuple(paths) if len(paths) > 1 else ()


def indexed_paths(fields: Iterable[FieldMapping], fm: FieldMapping) -> list[str]:
    """The source paths whose values indexing put in ``fm``'s doc values, once per copy: its own (the
    parent's for a multi-field), then each ``copy_to`` entry naming it (a field listing it twice, or
    copying into itself, adds its values twice, as the document parser does)."""
    path = fm.parent if fm.parent is not None else fm.path
    return [path, *(other.path for other in fields for target in copy_targets(other.params) if target == path)]
