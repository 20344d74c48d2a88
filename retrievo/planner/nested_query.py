"""Compiling the ``nested`` query: its inner query against the nested path's rows (``index/nested.py``).

Elasticsearch builds the inner query inside a nested scope, so field statistics and mappings are those
of the nested documents; here the inner query is compiled and rewritten with the path's own searcher,
and the result is a :class:`~retrievo.lucene.query.NestedQ` the evaluator joins to parents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from retrievo.errors import error_cause, not_supported
from retrievo.index.nested import NestedSources, resolve_level
from retrievo.lucene.nested import SCORE_MODE_NAMES
from retrievo.lucene.query import LQuery, MatchNoneQ, NestedQ
from retrievo.lucene.scoring import Evaluator
from retrievo.retrievers.nested import NestedQuery
from retrievo.retrievers.queries import Query

if TYPE_CHECKING:
    from retrievo.planner.compile_query import CompileContext

__all__ = ["compile_nested", "explain_nested", "nested_path_reason"]


def nested_path_reason(path: str, kind: str | None) -> str:
    """``NestedQueryBuilder.doToQuery``'s ``IllegalStateException`` for a path that is not a nested object."""
    if kind is None:
        return f"[nested] failed to find nested object under path [{path}]"
    return f"[nested] nested object under path [{path}] is not of nested type"


def compile_nested(
    q: NestedQuery,
    ctx: CompileContext,
    compile_inner: Callable[[Query, CompileContext], LQuery],
    shard_failure: Callable[[CompileContext, str, dict[str, Any]], Exception],
) -> LQuery:
    """The inner query compiled on the path's rows; a path that is not nested fails the shard
    (``shard_failure``: the ``query_shard_exception`` wrapper) unless ``ignore_unmapped`` covers it."""
    kind = ctx.searcher.objects.get(q.path)
    if kind is None and q.ignore_unmapped:
        return MatchNoneQ(f"unmapped nested path [{q.path}]")
    if kind != "nested":
        reason = nested_path_reason(q.path, kind)
        raise shard_failure(ctx, reason, error_cause("illegal_state_exception", reason))
    resolved = resolve_level(ctx.searcher.nested, q.path)
    if resolved is None:  # a path mapped after the searcher was published
        return MatchNoneQ(f"no documents under nested path [{q.path}]")
    level, _ = resolved
    inner_ctx = replace(ctx, searcher=level.searcher, named=[], searches=[])
    inner = ctx.rewrite(compile_inner(q.query, inner_ctx))
    if inner_ctx.searches:
        raise not_supported("[knn] inside a [nested] query", "kNN searches run over top-level documents only")
    for name, named in inner_ctx.named:
        ctx.named.append((name, NestedQ(q.path, named, "none")))
    return NestedQ(q.path, inner, q.score_mode)


def _block_start(ev: Evaluator, doc: int) -> tuple[int, int]:
    """Lucene's doc ids of a top-level document's block: its nested objects (every level) come right
    before it, blocks in document order. (first nested doc id, the document's own id)."""
    counts = np.zeros(ev.s.max_doc, dtype=np.int64)

    def add(levels: dict[str, Any], top_of_parent: np.ndarray | None) -> None:
        """``top_of_parent``: each row of the enclosing level → its top-level document (None: top level)."""
        for level in levels.values():
            parents = level.parents.astype(np.int64)
            top = parents if top_of_parent is None else top_of_parent[parents]
            counts[:] += np.bincount(top, minlength=ev.s.max_doc)
            add(level.searcher.nested, top)

    add(ev.s.nested, None)
    own = int(doc + counts[: doc + 1].sum())
    return own - int(counts[doc]), own


def explain_nested(
    ev: Evaluator,
    q: NestedQ,
    doc: int,
    boost: float,
    score: float,
    explain_child: Callable[[Evaluator, LQuery, int, float], dict[str, Any] | None],
    node: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """``ToParentBlockJoinQuery``'s explanation: how many child documents matched in the parent's block
    (Lucene doc ids emulated: the block's nested documents precede it) and the best child's explanation."""
    found = ev.nested_evaluator(q.path)
    assert found is not None
    child, parents = found
    rows = np.flatnonzero((parents == doc) & child.s.live)
    best: dict[str, Any] | None = None
    matches = 0
    for row in rows.tolist():
        explained = explain_child(child, q.query, row, boost)
        if explained is None:
            continue
        matches += 1
        if best is None or explained["value"] > best["value"]:
            best = explained
    if not isinstance(ev.s.sources, NestedSources):  # top-level documents: Lucene's block doc ids
        start, own = _block_start(ev, doc)
        end = own - 1
    else:  # inside a nested level: the rows of this object
        start, end = (int(rows[0]), int(rows[-1])) if rows.size else (0, 0)
    mode = SCORE_MODE_NAMES[q.score_mode]
    description = f"Score based on {matches} child docs in range from {start} to {end}, using score mode {mode}"
    return node(score, description, [best] if best is not None else [])
