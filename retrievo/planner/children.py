"""How a compound operator (``rrf``, ``linear``, ``text_similarity_reranker``) runs its children.

Three things happen between a parent and a child, in one place so every parent does them alike:

* **Once per search.** A child that the ``share_subtrees`` rule put under several parents is run by
  whichever parent asks first; the others get the same result (or the same error).
* **The child's window.** Elasticsearch runs each child as a search whose ``size`` is the parent's
  ``rank_window_size``, so a parent sees at most that many of a child's results — also when the
  child is itself a compound with a larger window (:func:`head`). A ``knn`` child also *matches* only
  that window, so a parent's ``hits.total`` counts no more of it (:func:`knn_window`).
* **Threads.** A fusion marked by ``parallel_branches`` runs its children through
  :func:`retrievo.planner.parallel.run_all`.

Children always run through :meth:`Operator.execute`, the entry point that profiling and
multi-search hook into.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from functools import partial
from typing import Any

import numpy as np

from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.parallel import Fanout, run_all, run_serially
from retrievo.planner.ranked import Ranked


class OnceResults:
    """Per search: the result (or the error) of each shared computation (an operator by identity, a
    query vector by endpoint and text), computed by the first asker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            fut = self._futures.get(key)
            owner = fut is None
            if fut is None:
                fut = self._futures[key] = Future()
        if owner:
            try:
                fut.set_result(compute())
            except BaseException as err:  # noqa: BLE001 - handed to every asker
                fut.set_exception(err)
        return fut.result()


def head(r: Ranked, k: int) -> Ranked:
    """The first ``k`` entries of a ranked list; total, matched set and flags unchanged."""
    if r.docs.size <= k:
        return r
    return dataclasses.replace(
        r, docs=r.docs[:k], scores=r.scores[:k], sort_values=r.sort_values[:k] if r.sort_values is not None else None
    )


def run_child(op: Operator, ctx: ExecContext, window: int | None = None) -> Any:
    """Run one child (once per search when it is shared) and keep the parent's window of it."""
    result = ctx.once.get(id(op), partial(op.execute, ctx)) if ctx.once is not None and op.shared else op.execute(ctx)
    if window is None or not isinstance(result, Ranked):
        return result
    origin = op.origin
    if origin is not None and origin.retriever.kind == "knn":
        # A kNN child lifted out of single-child rrfs still counts the window of the rrf it was
        # written under (the k it was planned for), as that rrf's topDocsQuery would.
        own = origin.k if origin.flattened_from and origin.k is not None else window
        return head(knn_window(result, own, ctx.searcher.max_doc), window)
    return head(result, window)


def knn_window(r: Ranked, k: int, max_doc: int) -> Ranked:
    """A ``knn`` child as its compound parent sees it: the first ``k`` hits, and only those matched.

    Elasticsearch runs the child as a search of ``size`` = the parent's ``rank_window_size`` and keeps
    its hits as rank docs; what the parent's ``hits.total`` counts is the child's ``topDocsQuery``,
    which for ``KnnRetrieverBuilder`` is a ``RankDocsQueryBuilder`` over those rank docs (plus its
    prefilters) -- not all ``k`` neighbours. Every compound (``rrf``, ``linear``, ``rescorer``,
    ``text_similarity_reranker``, ``diversify``, ``random_reranker``, ...) ends in the same
    ``RankDocsRetrieverBuilder``, whose total is the union of its sources' ``topDocsQuery``.
    """
    top = head(r, k)
    matched = np.zeros(max_doc, dtype=bool)
    matched[top.docs] = True
    return dataclasses.replace(top, total=int(top.docs.size), matched=matched)


def run_children(
    ops: tuple[Operator, ...], ctx: ExecContext, window: int | None, fanout: Fanout | None = None
) -> list[Any]:
    """Every child's result in child order, an :class:`ApiError` in place of a failed child."""
    calls: list[Callable[[], Any]] = [partial(run_child, op, ctx, window) for op in ops]
    if fanout is None:
        return run_serially(calls)
    fanout.prefetch(ctx)
    return run_all(calls)
