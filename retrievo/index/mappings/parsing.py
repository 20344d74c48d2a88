"""Parsing mapping JSON into a mapping tree, with Elasticsearch's ``mapper_parsing_exception``
messages (see :mod:`retrievo.index.mappings`)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from retrievo.errors import BadRequestError, bad_request, error_cause, error_reason, error_type
from retrievo.index.field_types import (
    FIELD_TYPES,
    UNSUPPORTED_FIELD_TYPES,
    FieldMapping,
    FieldTypeSpec,
    MappingContext,
    MappingDefinitionError,
)
from retrievo.index.mappings.merging import merge_mapper
from retrievo.index.mappings.objects import ROOT_NAME, Mapper, NestedOptions, ObjectMapping, RootSettings
from retrievo.java_text import java_str

__all__ = ["build_mapper", "parse_root", "wrap_definition_error"]

_DYNAMIC_VALUES = ("true", "false", "strict")
_UNSUPPORTED_ROOT_KEYS = frozenset(
    {
        "dynamic_date_formats",
        "runtime",
        "subobjects",
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
_UNSUPPORTED_OBJECT_KEYS = frozenset({"subobjects", "synthetic_source_keep", "store_array_source", "copy_to"})


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


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
            result[parts[0]] = mapper if existing is None else merge_mapper(existing, mapper)
        except BadRequestError as conflict:
            raise MappingDefinitionError(error_reason(conflict), error_type(conflict)) from None
    return result


def _parse_mapper(key: str, name: str, path: str, definition: Mapping[str, Any], context: MappingContext) -> Mapper:
    """One entry of ``properties``: an object or a leaf field, by its (possibly implied) type."""
    type_node = definition.get("type")
    if type_node is None:
        if definition.get("properties") is not None or (len(definition) == 1 and definition.get("enabled") is not None):
            return _parse_object(key, path, definition, context)
        raise MappingDefinitionError(f"No type specified for field [{key}]")
    type_name = java_str(type_node)
    if type_name in ("object", "nested"):
        return _parse_object(key, path, definition, context, nested=type_name == "nested")
    spec = FIELD_TYPES.get(type_name)
    if spec is not None:
        return _parse_leaf(name, path, definition, spec, context, parent=None)
    if type_name in UNSUPPORTED_FIELD_TYPES:
        raise _not_supported(f"The [{type_name}] field type (field [{key}])")
    raise MappingDefinitionError(f"No handler for type [{type_name}] declared on field [{key}]")


def _parse_object(
    key: str, path: str, definition: Mapping[str, Any], context: MappingContext, nested: bool = False
) -> ObjectMapping:
    dynamic: str | None = None
    includes = {"include_in_parent": False, "include_in_root": False}
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
        elif nested and name in includes:
            includes[name] = _named_bool(value, name)
        elif name in _UNSUPPORTED_OBJECT_KEYS:
            raise _not_supported(f"parameter [{name}] on object [{path}]")
        else:
            remaining[name] = value
    if remaining:
        raise _unsupported_parameters(f"Mapping definition for [{key}]", remaining)
    options = NestedOptions(includes["include_in_parent"], includes["include_in_root"]) if nested else None
    return ObjectMapping(path, MappingProxyType(properties), dynamic, enabled, enabled_explicit, options)


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


def parse_root(body: Any, context: MappingContext) -> tuple[ObjectMapping, RootSettings]:
    """``RootObjectMapper``'s parser: ``properties`` plus the root-only settings."""
    if body is None:
        return ObjectMapping(""), RootSettings()
    if not isinstance(body, Mapping):
        raise MappingDefinitionError(f"Expected map for the mapping definition but got [{java_str(body)}]")
    if len(body) == 1 and isinstance(body.get(ROOT_NAME), Mapping):
        body = body[ROOT_NAME]  # ES still accepts the single `_doc` type wrapper
    dynamic: str | None = None
    enabled, enabled_explicit = True, False
    properties: dict[str, Mapper] = {}
    settings: dict[str, Any] = {}
    remaining: dict[str, Any] = {}
    for key, value in body.items():
        if key == "properties":
            properties = _parse_properties("", value, context)
        elif key == "dynamic":
            dynamic = _parse_dynamic(value, ROOT_NAME)
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
        elif key == "_routing":
            settings["routing_required"] = _parse_routing(value)
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
    return root, RootSettings(**settings)


def _parse_routing(value: Any) -> bool:
    """The ``_routing`` metadata field (``RoutingFieldMapper``): ``required`` only; its ``doc_values``
    storage choice changes nothing retrievo can show, so only its default (``false``) is accepted."""
    if not isinstance(value, Mapping):
        raise MappingDefinitionError(f"[_routing] must be an object, got [{java_str(value)}]")
    required = False
    for name, raw in value.items():
        if name not in ("required", "doc_values"):
            raise MappingDefinitionError(f"unknown parameter [{name}] on metadata field [_routing]")
        if raw is None:
            raise MappingDefinitionError(
                f"[{name}] on mapper [_routing] of type [_routing] must not have a [null] value"
            )
        flag = _named_bool(raw, name)
        if name == "required":
            required = flag
        elif flag:
            raise _not_supported("[_routing.doc_values: true]")
    return required


def build_mapper(path: str, definition: Mapping[str, Any], context: MappingContext) -> Mapper:
    """Parses one property definition to sit at ``path`` (dynamic mapping builds fields with it).
    Raises ``BadRequestError`` (``mapper_parsing_exception``) like :meth:`Mappings.from_json`."""
    _, _, name = path.rpartition(".")
    try:
        return _parse_mapper(name, name, path, dict(definition), context)
    except MappingDefinitionError as failure:
        raise wrap_definition_error(failure) from None


def wrap_definition_error(failure: MappingDefinitionError) -> BadRequestError:
    """ES's ``MapperService.parseMapping`` wrapper and its root cause."""
    inner = failure.cause()
    outer_reason = f"Failed to parse mapping: {failure.reason}"
    root_cause = (
        error_cause(failure.error_type, failure.reason)
        if failure.error_type == "mapper_parsing_exception"
        else error_cause("mapper_parsing_exception", outer_reason)
    )
    return bad_request("mapper_parsing_exception", outer_reason, caused_by=inner, root_cause=[root_cause])
