"""``nested`` and ``reverse_nested``: single-bucket aggregations that move between document levels.

``nested`` (``NestedAggregator``) turns a bucket's documents into the live objects of a nested path
that belong to them, and runs its sub-aggregations over those objects, reading the path's own doc
values (``index/nested.py``: one searcher per nested level). ``reverse_nested``
(``ReverseNestedAggregator``) goes back up from nested objects to the distinct documents of an
enclosing level — the top-level documents, or the nested ``path`` it names. A path that is not
mapped as nested gives an empty bucket (Elasticsearch's unmapped factories).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult
from retrievo.aggregations.filters import single_bucket
from retrievo.errors import illegal_argument, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.index.nested import NestedLevel, NestedSources, level_chain, nested_identity
from retrievo.index.searcher import Searcher

__all__ = ["Nested", "ReverseNested", "parse_nested", "parse_reverse_nested"]


@dataclass(frozen=True)
class _Scope:
    """One step down: the context it was taken from and the nested levels from that context's searcher
    down to the level entered (a ``nested`` aggregation may skip intermediate nested objects)."""

    outer: AggContext
    chain: tuple[NestedLevel, ...]

    @property
    def path(self) -> str:
        return self.chain[-1].path


def _nested_hit(searcher: Searcher) -> Any:
    """``top_hits`` over nested objects: each hit carries its ``_nested`` identity (its ``_source`` is
    the nested object, which the level searcher's ``source`` answers)."""
    sources = searcher.sources

    def fetch(doc: int, score: float | None) -> dict[str, Any]:
        return {"_nested": nested_identity(sources.steps(doc))} if isinstance(sources, NestedSources) else {}

    return fetch


def _enter(ctx: AggContext, searcher: Searcher, scope: _Scope) -> AggContext:
    """A context reading ``searcher``'s documents (its own doc-value memo; buckets still counted once)."""
    filter_mask = ctx.filter_mask_for(searcher) if ctx.filter_mask_for is not None else None
    return dataclasses.replace(
        ctx,
        searcher=searcher,
        scores=None,
        filter_mask=filter_mask,
        fetch_hit=_nested_hit(searcher),
        cache={},
        nested_scope=scope,
    )


@dataclass(frozen=True, kw_only=True)
class Nested(Aggregation):
    path: str = ""

    type_name: ClassVar[str] = "nested"
    type_key: ClassVar[str] = "nested"
    accepts_subs: ClassVar[bool] = True
    single_bucket: ClassVar[bool] = True

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        chain = level_chain(ctx.searcher.nested, self.path)
        if chain is None:  # unmapped, not nested, or no objects yet: an empty bucket
            return single_bucket(ctx, self, docs[:0])
        target = chain[-1]
        owner = target.parents.astype(np.int64)
        for level in reversed(chain[:-1]):
            owner = level.parents[owner].astype(np.int64)
        selected = np.zeros(ctx.searcher.max_doc, dtype=bool)
        selected[docs] = True
        rows = np.flatnonzero(selected[owner] & target.searcher.live).astype(np.int32)
        inner = _enter(ctx, target.searcher, _Scope(ctx, tuple(chain)))
        return single_bucket(inner, self, rows)


def parse_nested(name: str, body: Any) -> Nested:
    return Nested(name=name, path=_parse_path(name, body, required=True) or "")


@dataclass(frozen=True, kw_only=True)
class ReverseNested(Aggregation):
    path: str | None = None

    type_name: ClassVar[str] = "reverse_nested"
    type_key: ClassVar[str] = "reverse_nested"
    accepts_subs: ClassVar[bool] = True
    single_bucket: ClassVar[bool] = True

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        scope = ctx.nested_scope
        if not isinstance(scope, _Scope):
            raise illegal_argument(
                f"Reverse nested aggregation [{self.name}] can only be used inside a [nested] aggregation"
            )
        rows = docs
        while True:
            chain = scope.chain
            for i in range(len(chain) - 1, 0, -1):  # levels the nested aggregation skipped over
                rows = np.unique(chain[i].parents[rows]).astype(np.int32)
                if self.path == chain[i - 1].path:
                    level = _enter(scope.outer, chain[i - 1].searcher, _Scope(scope.outer, chain[:i]))
                    return single_bucket(level, self, rows)
            rows = np.unique(chain[0].parents[rows]).astype(np.int32)
            outer = scope.outer
            outer_scope = outer.nested_scope
            if not isinstance(outer_scope, _Scope):
                if self.path is None:
                    return single_bucket(outer, self, rows)
                if outer.searcher.objects.get(self.path) == "nested":
                    raise illegal_argument(
                        f"[reverse_nested] nested path [{self.path}] is not a parent of the current nested scope"
                    )
                return single_bucket(outer, self, rows[:0])  # an unmapped path: an empty bucket
            if self.path is not None and outer_scope.path == self.path:
                return single_bucket(outer, self, rows)
            scope = outer_scope


def parse_reverse_nested(name: str, body: Any) -> ReverseNested:
    return ReverseNested(name=name, path=_parse_path(name, body, required=False))


def _parse_path(name: str, body: Any, required: bool) -> str | None:
    """``NestedAggregationBuilder.parse`` / ``ReverseNestedAggregationBuilder.parse``: only ``path``."""
    body = p.check_object("nested" if required else "reverse_nested", body)
    path: str | None = None
    for key, value in body.items():
        if isinstance(value, str):
            if key != "path":
                raise parsing_error(f"Unknown key for a VALUE_STRING in [{name}]: [{key}].")
            path = value
        else:
            raise parsing_error(f"Unexpected token {jv.token_of(value)} in [{name}].")
    if path is None and required:
        raise parsing_error(f"Missing [path] field for nested aggregation [{name}]")
    return path
