"""Resolving a search's nested sorts at planning time (``FieldSortBuilder`` with a ``NestedSortBuilder``).

A field inside a nested object sorts its parents only with a ``nested`` context; without one
Elasticsearch refuses the sort. The context's levels are looked up in the searcher's nested levels
(``index/nested.py``) and each level's ``filter`` is compiled and evaluated on that level's rows, once
per plan; the sort key then reads the counting objects' values (``lucene/nested.py``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from retrievo.errors import bad_request
from retrievo.index.nested import level_chain
from retrievo.lucene.nested import NestedSortScope
from retrievo.lucene.scoring import Evaluator
from retrievo.planner.compile_query import CompileContext, compile_query
from retrievo.retrievers.sort import SortField

__all__ = ["ResolvedSortField", "resolve_nested_sorts"]


class ResolvedSortField(SortField):
    """A sort key whose ``nested`` context is resolved against the plan's searcher."""

    nested_scope: Any = None


def _enclosing_nested(objects: dict[str, str], field: str) -> str | None:
    parts = field.split(".")
    for end in range(len(parts) - 1, 0, -1):
        path = ".".join(parts[:end])
        if objects.get(path) == "nested":
            return path
    return None


def resolve_nested_sorts(ctx: CompileContext, sort: tuple[SortField, ...]) -> tuple[SortField, ...]:
    objects = ctx.searcher.objects
    if not objects or not sort:
        return sort
    out: list[SortField] = []
    for spec in sort:
        if spec.field in ("_score", "_doc") or (spec.nested is None and _enclosing_nested(objects, spec.field) is None):
            out.append(spec)
            continue
        if spec.nested is None:
            raise bad_request(
                "query_shard_exception",
                f"it is mandatory to set the [nested] context on the nested sort field: [{spec.field}].",
            )
        contexts = spec.nested.levels()
        for context in contexts:
            kind = objects.get(context.path)
            if kind is None:
                raise bad_request(
                    "query_shard_exception", f"[nested] failed to find nested object under path [{context.path}]"
                )
            if kind != "nested":
                raise bad_request(
                    "query_shard_exception", f"[nested] nested object under path [{context.path}] is not of nested type"
                )
        chain = level_chain(ctx.searcher.nested, contexts[-1].path) or []
        masks: list[np.ndarray | None] = []
        for level in chain:
            found = next((c for c in contexts if c.path == level.path), None)
            if found is None or found.filter is None:
                masks.append(None)
                continue
            inner = replace(ctx, searcher=level.searcher, named=[], searches=[])
            query = ctx.rewrite(compile_query(found.filter, inner))
            masks.append(Evaluator(level.searcher).mask(query))
        scope = NestedSortScope(tuple(chain), tuple(masks), contexts[-1].max_children)
        out.append(ResolvedSortField(**spec.model_dump(exclude={"nested"}), nested=spec.nested, nested_scope=scope))
    return tuple(out)
