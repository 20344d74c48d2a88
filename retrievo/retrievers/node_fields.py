"""Which fields of an AST class can hold other AST nodes.

A walk over a request's tree (the query-rules rewrite reads every node on every search) only needs
to descend into fields that can hold a node. Most fields are plain scalars — a ``match`` query's
field name, operator, ``analyzer`` — and their annotations say so; skipping them makes the walk
visit a handful of values instead of every attribute of every node. The analysis is conservative:
any annotation it does not recognise as scalar-only (``Any``, a model, a container of either) is
walked, so a walk that uses it visits every node a full walk would.
"""

from __future__ import annotations

import enum
import types
import typing
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel

#: Leaf types that never hold an AST node.
_SCALARS: frozenset[Any] = frozenset({str, int, float, bool, bytes, type(None)})


def _scalar_only(annotation: Any) -> bool:
    """Whether every value the annotation admits is a scalar (so a walk can skip the field)."""
    if annotation in _SCALARS:
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return True
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return True
    if origin in (typing.Union, types.UnionType, tuple, list, frozenset, set):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return bool(args) and all(_scalar_only(a) for a in args)
    return False


@cache
def node_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The names of ``cls``'s fields that may hold an AST node, in declaration order."""
    return tuple(name for name, info in cls.model_fields.items() if not _scalar_only(info.annotation))
