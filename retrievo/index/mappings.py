"""Index mappings: parsing Elasticsearch mapping JSON, lookups, ``GET _mapping`` and updates.

A :class:`Mappings` is immutable. Dynamic mapping and ``PUT _mapping`` produce a *new* one
(:meth:`Mappings.merge`, :meth:`Mappings.with_added`, :meth:`Mappings.with_mappers`), so a
failed document or update never leaves a half-applied mapping behind.

Errors follow Elasticsearch:

* anything wrong in a mapping definition is ``mapper_parsing_exception`` "Failed to parse
  mapping: <reason>" caused by the precise error (``unknown parameter [x] on mapper [f] of type
  [t]``, ``No handler for type [foo] declared on field [bar]``, ``analyzer [x] has not been
  configured in mappings``...); ``root_cause`` is the inner error when it is itself a
  ``mapper_parsing_exception``, else the outer one (ES's ``guessRootCauses``);
* conflicts between a mapping and an update are plain ``illegal_argument_exception`` (``mapper
  [f] cannot be changed from type [text] to [long]``, ``Mapper for [f] conflicts with existing
  mapper:\\n\\tCannot update parameter [analyzer] from [english] to [default]``).

Not supported (rejected with a "not supported" ``mapper_parsing_exception``): ``nested`` and the
other types of :data:`~retrievo.index.field_types.UNSUPPORTED_FIELD_TYPES`, ``dynamic:
runtime``, ``dynamic_templates`` (an empty list is accepted), ``dynamic_date_formats``,
``runtime``, ``subobjects``, ``_source`` other than ``{"enabled": true}``, ``_routing`` and the
other metadata-field settings, ``copy_to`` and the parameters listed as unsupported per type.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from retrievo.errors import BadRequestError, error_cause, illegal_argument
from retrievo.index.field_types import (
    FIELD_TYPES,
    UNSUPPORTED_FIELD_TYPES,
    AnalyzerRegistry,
    FieldMapping,
    FieldTypeSpec,
    MappingContext,
    MappingDefinitionError,
    java_str,
)

__all__ = ["FieldMapping", "Mapper", "Mappings", "ObjectMapping", "build_mapper"]

_DYNAMIC_VALUES = ("true", "false", "strict")
_ROOT_NAME = "_doc"
_UNSUPPORTED_ROOT_KEYS = frozenset(
    {
        "dynamic_date_formats",
        "runtime",
        "subobjects",
        "_routing",
        "_field_names",
        "_data_stream_timestamp",
        "_doc_count",
        "_size",
        "_index",
        "_id",
        "_tier",
        "_ignored",
    }
)
_UNSUPPORTED_OBJECT_KEYS = frozenset(
    {"subobjects", "include_in_parent", "include_in_root", "synthetic_source_keep", "store_array_source", "copy_to"}
)


@dataclass(frozen=True)
class ObjectMapping:
    """An ``object`` field (or the root, whose ``path`` is ``""``).

    ``properties`` maps leaf names to children. ``dynamic`` is ``"true"``, ``"false"``,
    ``"strict"`` or ``None`` (inherit from the parent; the root defaults to ``"true"``).
    ``enabled=False`` keeps the object in ``_source`` but parses and indexes nothing under it.
    """

    path: str
    properties: Mapping[str, Mapper] = field(default_factory=lambda: MappingProxyType({}))
    dynamic: str | None = None
    enabled: bool = True
    enabled_explicit: bool = False

    @property
    def type(self) -> str:
        return "object"

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1] if self.path else _ROOT_NAME

    def to_json(self) -> dict[str, Any]:
        """As ``GET _mapping`` shows an object: ``type`` only when it has no properties."""
        body: dict[str, Any] = {}
        if not self.properties:
            body["type"] = "object"
        body.update(self._settings_json())
        if self.properties:
            body["properties"] = _properties_json(self.properties)
        return body

    def _settings_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.dynamic is not None:
            body["dynamic"] = self.dynamic
        if not self.enabled:
            body["enabled"] = False
        return body


Mapper = FieldMapping | ObjectMapping
"""A node of the mapping tree: a leaf field or an object."""


def _properties_json(properties: Mapping[str, Mapper]) -> dict[str, Any]:
    return {name: properties[name].to_json() for name in sorted(properties)}


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _not_supported(what: str) -> MappingDefinitionError:
    return MappingDefinitionError(f"{what} is not supported by retrievo")


def _unsupported_parameters(prefix: str, remaining: Mapping[str, Any]) -> MappingDefinitionError:
    """``MappingParser.checkNoRemainingFields``: ``... has unsupported parameters:  [k : v]``."""
    listed = "".join(f" [{key} : {java_str(value)}]" for key, value in remaining.items())
    return MappingDefinitionError(f"{prefix} has unsupported parameters: {listed}")


def _named_bool(value: Any, name: str) -> bool:
    """``XContentMapValues.nodeBooleanValue(node, name)``."""
    text = java_str(value)
    if isinstance(value, bool) or text in ("true", "false"):
        return value if isinstance(value, bool) else text == "true"
    raise MappingDefinitionError(
        f"Could not convert [{name}] to boolean",
        "illegal_argument_exception",
        error_cause(
            "illegal_argument_exception", f"Failed to parse value [{text}] as only [true] or [false] are allowed."
        ),
    )


def _parse_dynamic(value: Any, where: str) -> str:
    text = java_str(value)
    if text.lower() == "strict":
        return "strict"
    if text.lower() == "runtime":
        raise _not_supported(f"[dynamic: runtime] (on [{where}])")
    return "true" if _named_bool(value, "dynamic.dynamic") else "false"


def _parse_properties(parent: str, node: Any, context: MappingContext) -> dict[str, Mapper]:
    """``ObjectMapper.TypeParser.parseProperties``; dotted names become nested objects."""
    if isinstance(node, list) and not node:
        return {}
    if not isinstance(node, Mapping):
        raise MappingDefinitionError("properties must be a map type", "parse_exception")
    result: dict[str, Mapper] = {}
    for key, definition in node.items():
        if isinstance(definition, list) and not definition:
            continue
        if not isinstance(definition, Mapping):
            raise MappingDefinitionError(
                f"Expected map for property [fields] on field [{key}] but got a class java.lang.String"
            )
        parts = key.split(".")
        if any(part.strip() == "" for part in parts):
            raise MappingDefinitionError("name cannot be empty string", "illegal_argument_exception")
        path = parent
        for part in parts:
            path = _join(path, part)
        mapper = _parse_mapper(key, parts[-1], path, definition, context)
        for depth in range(len(parts) - 2, -1, -1):
            object_path = _join(parent, ".".join(parts[: depth + 1]))
            mapper = ObjectMapping(object_path, MappingProxyType({parts[depth + 1]: mapper}))
        existing = result.get(parts[0])
        try:
            result[parts[0]] = mapper if existing is None else _merge_mapper(existing, mapper)
        except BadRequestError as conflict:
            raise MappingDefinitionError(conflict.reason, conflict.error) from None
    return result


def _parse_mapper(key: str, name: str, path: str, definition: Mapping[str, Any], context: MappingContext) -> Mapper:
    """One entry of ``properties``: an object or a leaf field, by its (possibly implied) type."""
    type_node = definition.get("type")
    if type_node is None:
        if definition.get("properties") is not None or (len(definition) == 1 and definition.get("enabled") is not None):
            return _parse_object(key, path, definition, context)
        raise MappingDefinitionError(f"No type specified for field [{key}]")
    type_name = java_str(type_node)
    if type_name == "object":
        return _parse_object(key, path, definition, context)
    spec = FIELD_TYPES.get(type_name)
    if spec is not None:
        return _parse_leaf(name, path, definition, spec, context, parent=None)
    if type_name in UNSUPPORTED_FIELD_TYPES:
        raise _not_supported(f"The [{type_name}] field type (field [{key}])")
    raise MappingDefinitionError(f"No handler for type [{type_name}] declared on field [{key}]")


def _parse_object(key: str, path: str, definition: Mapping[str, Any], context: MappingContext) -> ObjectMapping:
    dynamic: str | None = None
    enabled, enabled_explicit = True, False
    properties: dict[str, Mapper] = {}
    remaining: dict[str, Any] = {}
    for name, value in definition.items():
        if name == "type":
            continue
        if name == "dynamic":
            dynamic = _parse_dynamic(value, path)
        elif name == "enabled":
            enabled, enabled_explicit = _named_bool(value, "enabled.enabled"), True
        elif name == "properties":
            properties = _parse_properties(path, value, context)
        elif name in _UNSUPPORTED_OBJECT_KEYS:
            raise _not_supported(f"parameter [{name}] on object [{path}]")
        else:
            remaining[name] = value
    if remaining:
        raise _unsupported_parameters(f"Mapping definition for [{key}]", remaining)
    return ObjectMapping(path, MappingProxyType(properties), dynamic, enabled, enabled_explicit)


def _parse_multi_fields(name: str, path: str, node: Any, context: MappingContext) -> tuple[FieldMapping, ...]:
    """``TypeParsers.parseMultiField``: sub-fields parse the parent's values with their own type."""
    if context.in_multi_field:
        raise MappingDefinitionError(
            f"Encountered a multi-field [{name}] which itself contains a "
            "multi-field. Defining chained multi-fields is not supported.",
            "illegal_argument_exception",
        )
    if isinstance(node, list) and not node:
        return ()
    if not isinstance(node, Mapping):
        raise MappingDefinitionError(
            f"expected map for property [fields] on field [{java_str(node)}] or [fields] but got a {_java_class(node)}"
        )
    sub_context = replace(context, in_multi_field=True)
    result: list[FieldMapping] = []
    for sub_name, definition in node.items():
        if "." in sub_name:
            raise MappingDefinitionError(
                f"Field name [{sub_name}] which is a multi field of [{name}] cannot contain '.'"
            )
        if not isinstance(definition, Mapping):
            raise MappingDefinitionError(f"illegal field [{sub_name}], only fields can be specified inside fields")
        type_node = definition.get("type")
        if type_node is None:
            raise MappingDefinitionError(f"no type specified for property [{sub_name}]")
        type_name = java_str(type_node)
        spec = FIELD_TYPES.get(type_name)
        if spec is None:
            if type_name == "object":
                raise MappingDefinitionError(f"Type [{type_name}] cannot be used in multi field")
            if type_name in UNSUPPORTED_FIELD_TYPES:
                raise _not_supported(f"The [{type_name}] field type (field [{sub_name}])")
            raise MappingDefinitionError(f"no handler for type [{type_name}] declared on field [{sub_name}]")
        result.append(_parse_leaf(sub_name, _join(path, sub_name), definition, spec, sub_context, parent=path))
    return tuple(sorted(result, key=lambda sub: sub.name))


def _java_class(value: Any) -> str:
    names = {
        str: "java.lang.String",
        bool: "java.lang.Boolean",
        int: "java.lang.Integer",
        float: "java.lang.Double",
        list: "java.util.ArrayList",
    }
    return "class " + names.get(type(value), "java.lang.Object")


def _parse_leaf(
    name: str,
    path: str,
    definition: Mapping[str, Any],
    spec: FieldTypeSpec,
    context: MappingContext,
    parent: str | None,
) -> FieldMapping:
    """``FieldMapper.Builder.parse``: each entry is a known parameter, ``fields``, or an error."""
    given: dict[str, Any] = {}
    multi_fields: tuple[FieldMapping, ...] = ()
    for key, raw in definition.items():
        if key == "type":
            continue
        if key == "fields" and spec.multi_fields:
            multi_fields = _parse_multi_fields(name, path, raw, context)
            continue
        if key == "boost":
            raise MappingDefinitionError(f"Unknown parameter [boost] on mapper [{name}]")
        param = spec.param(key)
        if param is None:
            if key in spec.unsupported:
                raise _not_supported(f"parameter [{key}] on mapper [{name}] of type [{spec.name}]")
            raise MappingDefinitionError(f"unknown parameter [{key}] on mapper [{name}] of type [{spec.name}]")
        if raw is None and not param.accepts_null:
            raise MappingDefinitionError(
                f"[{key}] on mapper [{name}] of type [{spec.name}] must not have a [null] value"
            )
        given[key] = param.parse(name, raw, context)
    explicit = frozenset(given)
    params: dict[str, Any] = {}
    for param in spec.params:
        params[param.name] = given[param.name] if param.name in given else param.default(params, explicit, context)
    if spec.validate is not None:
        spec.validate(name, params)
    return FieldMapping(path, spec.name, MappingProxyType(params), explicit, multi_fields, parent)


@dataclass(frozen=True)
class _RootSettings:
    """Root-level settings besides ``dynamic``/``enabled``: ``None`` when not given."""

    date_detection: bool | None = None
    numeric_detection: bool | None = None
    meta: Mapping[str, Any] | None = None


def _parse_root(body: Any, context: MappingContext) -> tuple[ObjectMapping, _RootSettings]:
    """``RootObjectMapper``'s parser: ``properties`` plus the root-only settings."""
    if body is None:
        return ObjectMapping(""), _RootSettings()
    if not isinstance(body, Mapping):
        raise MappingDefinitionError(f"Expected map for the mapping definition but got [{java_str(body)}]")
    if len(body) == 1 and isinstance(body.get(_ROOT_NAME), Mapping):
        body = body[_ROOT_NAME]  # ES still accepts the single `_doc` type wrapper
    dynamic: str | None = None
    enabled, enabled_explicit = True, False
    properties: dict[str, Mapper] = {}
    settings: dict[str, Any] = {}
    remaining: dict[str, Any] = {}
    for key, value in body.items():
        if key == "properties":
            properties = _parse_properties("", value, context)
        elif key == "dynamic":
            dynamic = _parse_dynamic(value, _ROOT_NAME)
        elif key == "enabled":
            enabled, enabled_explicit = _named_bool(value, "enabled.enabled"), True
        elif key in ("date_detection", "numeric_detection"):
            settings[key] = _named_bool(value, key)
        elif key == "_meta":
            if not isinstance(value, Mapping):
                raise MappingDefinitionError(
                    f"[_meta] must be an object, got {_java_class(value)[6:]}[{java_str(value)}]"
                )
            settings["meta"] = MappingProxyType(copy.deepcopy(dict(value)))
        elif key == "_source":
            if value not in ({}, {"enabled": True}, {"enabled": "true"}):
                raise _not_supported(f'[_source] {java_str(value)} (only {{"enabled": true}})')
        elif key == "dynamic_templates":
            if value not in ([], None):
                raise _not_supported("[dynamic_templates]")
        elif key in _UNSUPPORTED_ROOT_KEYS:
            raise _not_supported(f"[{key}] in mappings")
        else:
            remaining[key] = value
    if remaining:
        raise _unsupported_parameters("Root mapping definition", remaining)
    root = ObjectMapping("", MappingProxyType(properties), dynamic, enabled, enabled_explicit)
    return root, _RootSettings(**settings)


def build_mapper(path: str, definition: Mapping[str, Any], context: MappingContext) -> Mapper:
    """Parses one property definition to sit at ``path`` (dynamic mapping builds fields with it).
    Raises ``BadRequestError`` (``mapper_parsing_exception``) like :meth:`Mappings.from_json`."""
    _, _, name = path.rpartition(".")
    try:
        return _parse_mapper(name, name, path, dict(definition), context)
    except MappingDefinitionError as failure:
        raise _wrap_definition_error(failure) from None


def _wrap_definition_error(failure: MappingDefinitionError) -> BadRequestError:
    """ES's ``MapperService.parseMapping`` wrapper and its root cause."""
    inner = failure.cause()
    outer_reason = f"Failed to parse mapping: {failure.reason}"
    root_cause = (
        error_cause(failure.error_type, failure.reason)
        if failure.error_type == "mapper_parsing_exception"
        else error_cause("mapper_parsing_exception", outer_reason)
    )
    return BadRequestError("mapper_parsing_exception", outer_reason, caused_by=inner, root_cause=[root_cause])


# --------------------------------------------------------------------------------------------
# Merging
# --------------------------------------------------------------------------------------------


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


def _merge_object(current: ObjectMapping, incoming: ObjectMapping) -> ObjectMapping:
    """``ObjectMapper.doMerge``: ``dynamic`` may change, ``enabled`` may not, children merge."""
    if incoming.enabled_explicit and incoming.enabled != current.enabled:
        raise illegal_argument(
            f"the [enabled] parameter can't be updated for the object mapping [{current.path or _ROOT_NAME}]"
        )
    properties = dict(current.properties)
    for name, mapper in incoming.properties.items():
        existing = properties.get(name)
        properties[name] = mapper if existing is None else _merge_mapper(existing, mapper)
    return ObjectMapping(
        current.path,
        MappingProxyType(properties),
        incoming.dynamic if incoming.dynamic is not None else current.dynamic,
        current.enabled,
        current.enabled_explicit or incoming.enabled_explicit,
    )


def _merge_mapper(current: Mapper, incoming: Mapper) -> Mapper:
    if isinstance(current, ObjectMapping) and isinstance(incoming, ObjectMapping):
        return _merge_object(current, incoming)
    if isinstance(current, ObjectMapping) or isinstance(incoming, ObjectMapping):
        raise illegal_argument(f"can't merge a non object mapping [{incoming.path}] with an object mapping")
    return _merge_field(current, incoming)


def _tree_of(mappers: Iterable[Mapper]) -> ObjectMapping:
    """A root holding ``mappers`` at their paths, with bare intermediate objects."""
    root = ObjectMapping("")
    for mapper in mappers:
        parts = mapper.path.split(".")
        node: Mapper = mapper
        for depth in range(len(parts) - 2, -1, -1):
            node = ObjectMapping(".".join(parts[: depth + 1]), MappingProxyType({parts[depth + 1]: node}))
        root = _merge_object(root, ObjectMapping("", MappingProxyType({parts[0]: node})))
    return root


# --------------------------------------------------------------------------------------------
# Mappings
# --------------------------------------------------------------------------------------------


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
    ) -> None:
        self._root = root if root is not None else ObjectMapping("")
        self._settings = _RootSettings(
            date_detection, numeric_detection, None if meta is None else MappingProxyType(copy.deepcopy(dict(meta)))
        )
        self._default_analyzer = default_analyzer
        self._default_search_analyzer = default_search_analyzer
        fields: dict[str, FieldMapping] = {}
        objects: dict[str, ObjectMapping] = {"": self._root}
        _index_tree(self._root, fields, objects)
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
            root, settings = _parse_root(body, context)
        except MappingDefinitionError as failure:
            raise _wrap_definition_error(failure) from None
        return cls(
            root,
            date_detection=settings.date_detection,
            numeric_detection=settings.numeric_detection,
            meta=settings.meta,
            default_analyzer=default_analyzer,
            default_search_analyzer=default_search_analyzer,
        )

    @classmethod
    def empty(cls, *, default_analyzer: str = "standard", default_search_analyzer: str | None = None) -> Mappings:
        """The mappings of an index created without any: dynamic, no fields."""
        return cls(default_analyzer=default_analyzer, default_search_analyzer=default_search_analyzer)

    def _copy(self, root: ObjectMapping, settings: _RootSettings) -> Mappings:
        return Mappings(
            root,
            date_detection=settings.date_detection,
            numeric_detection=settings.numeric_detection,
            meta=settings.meta,
            default_analyzer=self._default_analyzer,
            default_search_analyzer=self._default_search_analyzer,
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
        root = _merge_object(self._root, incoming._root)
        ours, theirs = self._settings, incoming._settings
        settings = _RootSettings(
            theirs.date_detection if theirs.date_detection is not None else ours.date_detection,
            theirs.numeric_detection if theirs.numeric_detection is not None else ours.numeric_detection,
            theirs.meta if theirs.meta is not None else ours.meta,
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
        return self._copy(_merge_object(self._root, _tree_of(mappers)), self._settings)

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
        body: dict[str, Any] = self._root._settings_json()
        if self._settings.meta is not None:
            body["_meta"] = copy.deepcopy(dict(self._settings.meta))
        if self._settings.date_detection is not None:
            body["date_detection"] = self._settings.date_detection
        if self._settings.numeric_detection is not None:
            body["numeric_detection"] = self._settings.numeric_detection
        if self._root.properties:
            body["properties"] = _properties_json(self._root.properties)
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
