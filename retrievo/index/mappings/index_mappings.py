"""The :class:`Mappings` of an index: an immutable mapping tree with path lookups, updates that
return new mappings, and ``GET _mapping`` output."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from retrievo.errors import illegal_argument
from retrievo.index.copy_to import check_copy_to
from retrievo.index.field_types import AnalyzerRegistry, FieldMapping, MappingContext, MappingDefinitionError
from retrievo.index.mappings.merging import merge_object, tree_of
from retrievo.index.mappings.objects import Mapper, ObjectMapping, RootSettings, properties_json
from retrievo.index.mappings.parsing import parse_root, wrap_definition_error

__all__ = ["Mappings"]


class Mappings:
    """An index's mappings: an immutable tree of :class:`ObjectMapping` and :class:`FieldMapping`
    with a lookup over full dotted paths (object sub-fields and multi-fields included)."""

    __slots__ = ("_root", "_settings", "_default_analyzer", "_default_search_analyzer", "_fields", "_objects")

    def __init__(
        self,
        root: ObjectMapping | None = None,
        *,
        date_detection: bool | None = None,
        numeric_detection: bool | None = None,
        meta: Mapping[str, Any] | None = None,
        default_analyzer: str = "standard",
        default_search_analyzer: str | None = None,
        routing_required: bool | None = None,
    ) -> None:
        self._root = root if root is not None else ObjectMapping("")
        self._settings = RootSettings(
            date_detection,
            numeric_detection,
            None if meta is None else MappingProxyType(copy.deepcopy(dict(meta))),
            routing_required,
        )
        self._default_analyzer = default_analyzer
        self._default_search_analyzer = default_search_analyzer
        fields: dict[str, FieldMapping] = {}
        objects: dict[str, ObjectMapping] = {"": self._root}
        _index_tree(self._root, fields, objects)
        check_copy_to(fields, objects)
        self._fields: Mapping[str, FieldMapping] = MappingProxyType(fields)
        self._objects: Mapping[str, ObjectMapping] = MappingProxyType(objects)

    # ---- construction ------------------------------------------------------------------------

    @classmethod
    def from_json(
        cls,
        body: Mapping[str, Any] | None,
        registry: AnalyzerRegistry | None = None,
        *,
        default_analyzer: str | None = None,
        default_search_analyzer: str | None = None,
    ) -> Mappings:
        """Parses the ``mappings`` of a create-index or put-mapping body.

        ``registry`` answers ``name in registry`` for analyzer names (``None``: not checked).
        ``default_analyzer`` / ``default_search_analyzer`` are what text fields without an
        ``analyzer`` use. When not given they follow Elasticsearch: the index's ``default``
        analyzer if the registry has one (else ``standard``), and ``default_search`` if the
        registry has one (else the field's analyzer).
        Raises ``BadRequestError`` (``mapper_parsing_exception``).
        """
        if default_analyzer is None:
            default_analyzer = "default" if registry is not None and "default" in registry else "standard"
        if default_search_analyzer is None and registry is not None and "default_search" in registry:
            default_search_analyzer = "default_search"
        context = MappingContext(registry, default_analyzer, default_search_analyzer)
        try:
            root, settings = parse_root(body, context)
        except MappingDefinitionError as failure:
            raise wrap_definition_error(failure) from None
        return cls(
            root,
            date_detection=settings.date_detection,
            numeric_detection=settings.numeric_detection,
            meta=settings.meta,
            default_analyzer=default_analyzer,
            default_search_analyzer=default_search_analyzer,
            routing_required=settings.routing_required,
        )

    @classmethod
    def empty(cls, *, default_analyzer: str = "standard", default_search_analyzer: str | None = None) -> Mappings:
        """The mappings of an index created without any: dynamic, no fields."""
        return cls(default_analyzer=default_analyzer, default_search_analyzer=default_search_analyzer)

    def _copy(self, root: ObjectMapping, settings: RootSettings) -> Mappings:
        return Mappings(
            root,
            date_detection=settings.date_detection,
            numeric_detection=settings.numeric_detection,
            meta=settings.meta,
            default_analyzer=self._default_analyzer,
            default_search_analyzer=self._default_search_analyzer,
            routing_required=settings.routing_required,
        )

    # ---- updates -------------------------------------------------------------------------------

    def merge(self, update: Mappings | Mapping[str, Any], registry: AnalyzerRegistry | None = None) -> Mappings:
        """A new Mappings with ``update`` (parsed mappings or put-mapping JSON) merged in, as
        ``PUT index/_mapping``: new fields are added, objects merge recursively, existing fields
        keep their type and non-updatable parameters (else ``illegal_argument_exception``),
        root settings given in the update replace the current ones."""
        incoming = (
            update
            if isinstance(update, Mappings)
            else Mappings.from_json(
                update,
                registry,
                default_analyzer=self._default_analyzer,
                default_search_analyzer=self._default_search_analyzer,
            )
        )
        root = merge_object(self._root, incoming._root)
        ours, theirs = self._settings, incoming._settings
        settings = RootSettings(
            theirs.date_detection if theirs.date_detection is not None else ours.date_detection,
            theirs.numeric_detection if theirs.numeric_detection is not None else ours.numeric_detection,
            theirs.meta if theirs.meta is not None else ours.meta,
            _merged_routing_required(ours.routing_required, theirs.routing_required),
        )
        return self._copy(root, settings)

    def with_added(
        self, path: str, definition: Mapping[str, Any], registry: AnalyzerRegistry | None = None
    ) -> Mappings:
        """A new Mappings with the field ``definition`` (mapping JSON) at dotted ``path``;
        intermediate objects are created. Same rules as :meth:`merge`."""
        return self.merge({"properties": {path: dict(definition)}}, registry)

    def with_mappers(self, mappers: Iterable[Mapper]) -> Mappings:
        """A new Mappings with already-built mappers merged in at their paths (dynamic mapping)."""
        return self._copy(merge_object(self._root, tree_of(mappers)), self._settings)

    # ---- lookups -------------------------------------------------------------------------------

    @property
    def root(self) -> ObjectMapping:
        return self._root

    @property
    def date_detection(self) -> bool:
        """Whether unmapped strings that look like dates become ``date`` fields (default true)."""
        value = self._settings.date_detection
        return True if value is None else value

    @property
    def numeric_detection(self) -> bool:
        """Whether unmapped numeric strings become numbers (default false)."""
        return bool(self._settings.numeric_detection)

    @property
    def meta(self) -> Mapping[str, Any] | None:
        return self._settings.meta

    @property
    def routing_required(self) -> bool:
        """``_routing.required``: every write and read of a document must name its ``routing``."""
        return bool(self._settings.routing_required)

    @property
    def default_analyzer(self) -> str:
        return self._default_analyzer

    @property
    def default_search_analyzer(self) -> str | None:
        return self._default_search_analyzer

    def mapping_context(self, registry: AnalyzerRegistry | None = None) -> MappingContext:
        """The context new field definitions of this index are parsed in."""
        return MappingContext(registry, self._default_analyzer, self._default_search_analyzer)

    def field(self, path: str) -> FieldMapping | None:
        """The leaf field or multi-field at a full dotted path (``user.name``, ``title.keyword``)."""
        return self._fields.get(path)

    def object_mapping(self, path: str) -> ObjectMapping | None:
        """The object at ``path`` (``""`` is the root), or ``None``."""
        return self._objects.get(path)

    def mapper(self, path: str) -> Mapper | None:
        """The field or object at ``path``."""
        found = self._fields.get(path)
        return found if found is not None else self._objects.get(path)

    def total_fields_count(self) -> int:
        """What ``index.mapping.total_fields.limit`` counts (``RootObjectMapper.getTotalFieldsCount``):
        every object but the root, every field and multi-field."""
        return len(self._objects) - 1 + len(self._fields)

    def fields(self) -> Iterator[FieldMapping]:
        """Every leaf field and multi-field, parents before their multi-fields, by path."""
        return iter(self._fields.values())

    def leaf_fields(self) -> tuple[FieldMapping, ...]:
        """Every leaf field and multi-field (what the indexer builds structures for)."""
        return tuple(self._fields.values())

    def fields_of_type(self, *types: str) -> tuple[FieldMapping, ...]:
        """The fields (multi-fields included) whose type is one of ``types``."""
        wanted = set(types)
        return tuple(mapping for mapping in self._fields.values() if mapping.type in wanted)

    def effective_dynamic(self, object_path: str) -> str:
        """The ``dynamic`` setting in force inside the object at ``object_path``: its own, else
        the nearest ancestor's, else ``"true"``."""
        setting = self._root.dynamic or "true"
        node = self._root
        for part in object_path.split(".") if object_path else ():
            child = node.properties.get(part)
            if not isinstance(child, ObjectMapping):
                break
            node = child
            setting = node.dynamic or setting
        return setting

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and (path in self._fields or (path != "" and path in self._objects))

    # ---- output --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The mappings as ``GET index/_mapping`` shows them (``{}`` when empty): explicitly
        given parameters that differ from their defaults, plus dynamic additions."""
        body: dict[str, Any] = self._root.settings_json()
        if self._settings.meta is not None:
            body["_meta"] = copy.deepcopy(dict(self._settings.meta))
        if self._settings.routing_required:  # a metadata field prints only what differs from its default
            body["_routing"] = {"required": True}
        if self._settings.date_detection is not None:
            body["date_detection"] = self._settings.date_detection
        if self._settings.numeric_detection is not None:
            body["numeric_detection"] = self._settings.numeric_detection
        if self._root.properties:
            body["properties"] = properties_json(self._root.properties)
        return body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mappings):
            return NotImplemented
        return (
            self.to_json() == other.to_json()
            and self._default_analyzer == other._default_analyzer
            and self._default_search_analyzer == other._default_search_analyzer
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Mappings({self.to_json()!r})"


def _merged_routing_required(ours: bool | None, theirs: bool | None) -> bool | None:
    """``_routing.required`` is not updateable: an update that names ``_routing`` must keep it."""
    if theirs is None:
        return ours
    if bool(ours) != theirs:
        raise illegal_argument(
            "Mapper for [_routing] conflicts with existing mapper:\n\t"
            f"Cannot update parameter [required] from [{str(bool(ours)).lower()}] to [{str(theirs).lower()}]"
        )
    return theirs


def _index_tree(node: ObjectMapping, fields: dict[str, FieldMapping], objects: dict[str, ObjectMapping]) -> None:
    """Fills the path lookups, children in name order."""
    for name in sorted(node.properties):
        child = node.properties[name]
        if isinstance(child, ObjectMapping):
            objects[child.path] = child
            _index_tree(child, fields, objects)
        else:
            fields[child.path] = child
            for sub in child.fields:
                fields[sub.path] = sub
