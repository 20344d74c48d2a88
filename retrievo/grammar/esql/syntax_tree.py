"""The typed syntax tree an ES|QL query parses into: expressions and commands, nothing resolved yet.

Small frozen dataclasses that keep the position (:class:`~retrievo.grammar.esql.errors.Pos`) of
everything an error may have to point at; :mod:`retrievo.grammar.esql.syntax` builds them from lark's
tree and :mod:`retrievo.grammar.esql.pipeline` decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrievo.grammar.esql.errors import Pos

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Field:
    name: str
    pos: Pos


@dataclass(frozen=True)
class Lit:
    """A constant: str, int, float, bool, None, or a list of constants."""

    value: Any
    pos: Pos


@dataclass(frozen=True)
class MapLit:
    """``{"key": value, ...}``: function and command options (values are constants or maps)."""

    entries: tuple[tuple[str, Any], ...]
    pos: Pos

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.as_dict() if isinstance(v, MapLit) else v.value) for k, v in self.entries}


@dataclass(frozen=True)
class Call:
    name: str  # upper-cased
    args: tuple[Any, ...]
    pos: Pos
    text: str


@dataclass(frozen=True)
class MatchOp:
    """``field : "text"``."""

    field: Field
    value: Any
    pos: Pos


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any
    pos: Pos
    text: str


@dataclass(frozen=True)
class InList:
    value: Any
    items: tuple[Any, ...]
    negated: bool
    pos: Pos
    text: str


@dataclass(frozen=True)
class IsNull:
    value: Any
    negated: bool
    pos: Pos


@dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or"
    children: tuple[Any, ...]
    pos: Pos


@dataclass(frozen=True)
class Not:
    child: Any
    pos: Pos


@dataclass(frozen=True)
class Unsupported:
    """Valid ES|QL outside the subset (arithmetic, casts, LIKE …), reported by name when used."""

    what: str
    pos: Pos


Expr = Field | Lit | MapLit | Call | MatchOp | Compare | InList | IsNull | Logic | Not | Unsupported

# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class FromCmd:
    indices: tuple[tuple[str, Pos], ...]
    metadata: tuple[tuple[str, Pos], ...]
    pos: Pos


@dataclass(frozen=True)
class WhereCmd:
    expr: Expr
    pos: Pos


@dataclass(frozen=True)
class SortItem:
    expr: Expr
    order: str | None  # "asc" | "desc" | None (ascending)
    nulls: str | None  # "first" | "last" | None (ES|QL's default for the order)
    pos: Pos


@dataclass(frozen=True)
class SortCmd:
    items: tuple[SortItem, ...]
    pos: Pos


@dataclass(frozen=True)
class LimitCmd:
    limit: int
    pos: Pos


@dataclass(frozen=True)
class KeepCmd:
    patterns: tuple[tuple[str, Pos], ...]
    pos: Pos


@dataclass(frozen=True)
class ForkCmd:
    branches: tuple[tuple[Any, ...], ...]
    branch_pos: tuple[Pos, ...]
    pos: Pos


@dataclass(frozen=True)
class FuseCmd:
    method: str | None
    method_pos: Pos | None
    score_by: tuple[str, Pos] | None
    key_by: tuple[tuple[str, Pos], ...] | None
    group_by: tuple[str, Pos] | None
    options: MapLit | None
    pos: Pos


@dataclass(frozen=True)
class RerankCmd:
    column: tuple[str, Pos] | None
    text: str
    text_pos: Pos
    fields: tuple[tuple[str, Pos], ...]
    options: MapLit | None
    pos: Pos


Command = WhereCmd | SortCmd | LimitCmd | KeepCmd | ForkCmd | FuseCmd | RerankCmd


@dataclass(frozen=True)
class EsqlSyntax:
    text: str
    source: FromCmd
    commands: tuple[Command, ...]
