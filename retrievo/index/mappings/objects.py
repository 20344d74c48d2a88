"""The nodes of a mapping tree: :class:`ObjectMapping` (objects and the root), :data:`Mapper` (an
object or a leaf :class:`~retrievo.index.field_types.FieldMapping`) and the root-only settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from retrievo.index.field_types import FieldMapping

__all__ = ["ROOT_NAME", "Mapper", "NestedOptions", "ObjectMapping", "RootSettings", "properties_json"]

ROOT_NAME = "_doc"


@dataclass(frozen=True)
class NestedOptions:
    """What makes an object ``nested``: whether its fields are also indexed into the parent document
    (``include_in_parent``) and into the root document (``include_in_root``)."""

    include_in_parent: bool = False
    include_in_root: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.include_in_parent:
            body["include_in_parent"] = True
        if self.include_in_root:
            body["include_in_root"] = True
        return body


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
    #: A ``nested`` object: each of its objects is indexed as a document of its own (``index/nested.py``).
    nested: NestedOptions | None = None

    @property
    def type(self) -> str:
        return "object" if self.nested is None else "nested"

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1] if self.path else ROOT_NAME

    def to_json(self) -> dict[str, Any]:
        """As ``GET _mapping`` shows an object: ``type`` only when it has no properties."""
        body: dict[str, Any] = {}
        if not self.properties or self.nested is not None:
            body["type"] = self.type
        if self.nested is not None:
            body.update(self.nested.to_json())
        body.update(self.settings_json())
        if self.properties:
            body["properties"] = properties_json(self.properties)
        return body

    def settings_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.dynamic is not None:
            body["dynamic"] = self.dynamic
        if not self.enabled:
            body["enabled"] = False
        return body


Mapper = FieldMapping | ObjectMapping
"""A node of the mapping tree: a leaf field or an object."""


def properties_json(properties: Mapping[str, Mapper]) -> dict[str, Any]:
    return {name: properties[name].to_json() for name in sorted(properties)}


@dataclass(frozen=True)
class RootSettings:
    """Root-level settings besides ``dynamic``/``enabled``: ``None`` when not given."""

    date_detection: bool | None = None
    numeric_detection: bool | None = None
    meta: Mapping[str, Any] | None = None
    #: ``_routing.required`` (``RoutingFieldMapper``): writes and reads must name a ``routing``.
    routing_required: bool | None = None
