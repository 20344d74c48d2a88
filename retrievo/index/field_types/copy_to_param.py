"""The ``copy_to`` and ``store`` mapping parameters, added to the field types that take them.

Both are parameters Elasticsearch gives every ``FieldMapper`` of the value types (text, keyword,
numbers, date, boolean): ``copy_to`` names the fields a value is also indexed into (read by the
document parser, :mod:`retrievo.index.copy_to`), ``store`` keeps the original value for
``stored_fields`` (:mod:`retrievo.index.stored_fields`). Adding them here, by wrapping each spec
at registration, keeps the families' modules unaware of either.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from retrievo.index.field_types.base import FieldTypeSpec, MappingContext, ParamSpec
from retrievo.index.field_types.params import always_mergeable, constant, parse_bool
from retrievo.java_text import java_str

__all__ = ["COPY_TO_PARAM", "STORE_PARAM", "copy_targets", "with_copy_to", "with_store"]


def _parse_copy_to(name: str, raw: Any, context: MappingContext) -> tuple[str, ...]:
    """``FieldMapper.parseCopyFields``: one name or a list of names, each read as a string."""
    if isinstance(raw, list):
        return tuple(java_str(item) for item in raw)
    return (java_str(raw),)


COPY_TO_PARAM = ParamSpec(
    "copy_to",
    _parse_copy_to,
    constant(()),
    can_merge=always_mergeable,  # ES replaces copy_to on merge
    display=lambda value, params: bool(value),
    render=list,
)
"""``copy_to``: always printed as an array (``CopyTo.toXContent``)."""

STORE_PARAM = ParamSpec("store", parse_bool, constant(False))
"""``store``: not updatable (ES's ``Parameter.storeParam``), shown when true."""


def copy_targets(params: Any) -> tuple[str, ...]:
    """The fields a field's values are copied into (``params`` of a :class:`FieldMapping`)."""
    targets = params.get("copy_to")
    return tuple(targets) if targets else ()


def _with_param(spec: FieldTypeSpec, param: ParamSpec) -> FieldTypeSpec:
    if spec.param(param.name) is not None:
        return spec
    return replace(spec, params=(*spec.params, param), unsupported=spec.unsupported - {param.name})


def with_copy_to(*specs: FieldTypeSpec) -> tuple[FieldTypeSpec, ...]:
    """The specs with ``copy_to`` accepted."""
    return tuple(_with_param(spec, COPY_TO_PARAM) for spec in specs)


def with_store(*specs: FieldTypeSpec) -> tuple[FieldTypeSpec, ...]:
    """The specs with ``store`` accepted."""
    return tuple(_with_param(spec, STORE_PARAM) for spec in specs)
