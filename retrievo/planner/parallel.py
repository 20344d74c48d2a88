"""Running independent branches of a plan (the children of ``rrf``/``linear``) on threads.

numpy, FAISS and torch release the GIL in their heavy loops, so branches that each score many
postings, compare many vectors or call a model overlap on separate cores. Results are identical to
serial execution because branches share nothing they write: each result lands in its own slot, in
child order, and errors are reported in child order too.

Threads cost something (a hand-off is tens of microseconds), so:

* one process-wide pool is created on first use and reused by every search;
* the ``parallel_branches`` rule only marks a fusion whose branches are expensive enough (see
  :data:`BRANCH_WORK_THRESHOLD`), so small searches never touch the pool;
* the calling thread runs the first branch itself, and a branch already running on a pool thread
  runs its own nested fusions serially (a pool thread never waits for the pool, so nesting cannot
  deadlock).

Model calls from parallel branches take turns per endpoint (:class:`ModelLock`, one per search):
tokenizers and some model wrappers are not safe to enter from two threads at once, and one model on
one accelerator gains little from overlapping forward passes; different models do overlap.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from retrievo.errors import ApiError
from retrievo.inference.protocols import Embedder, Reranker
from retrievo.inference.rerank_cache import RerankCallStats
from retrievo.lucene.query import LQuery

if TYPE_CHECKING:
    from retrievo.planner.operators.base import ExecContext

T = TypeVar("T")

#: Estimated work outside the GIL (vectors compared × dims / 16, model pairs and query embeddings
#: weighted by ``costs.PAIR_WORK``; about 5 ns a unit) a branch must reach before a fusion is worth
#: spreading over threads; at least two branches must. 200,000 units is about a millisecond.
BRANCH_WORK_THRESHOLD = 200_000

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()


def max_workers() -> int:
    return max(2, min(8, os.cpu_count() or 2))


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=max_workers(), thread_name_prefix="retrievo-branch")
    return _pool


def in_worker() -> bool:
    return bool(getattr(_local, "worker", False))


def _as_worker(fn: Callable[[], T]) -> T:
    _local.worker = True
    try:
        return fn()
    finally:
        _local.worker = False


def run_all(calls: list[Callable[[], T]]) -> list[T | ApiError]:
    """Run every call, the first on this thread and the rest on the pool; return their results in
    order, an :class:`ApiError` in the place of a call that raised one. Any other exception is
    re-raised — the first in call order, as a serial loop would have met it."""
    if len(calls) < 2 or in_worker():
        return run_serially(calls)
    pool = _get_pool()
    futures: list[Future[T]] = [pool.submit(contextvars.copy_context().run, _as_worker, c) for c in calls[1:]]
    outcomes: list[tuple[bool, Any]] = [_capture(calls[0])]
    for fut in futures:
        try:
            outcomes.append((True, fut.result()))
        except BaseException as err:  # noqa: BLE001 - re-raised below, in order
            outcomes.append((False, err))
    return _unpack(outcomes)


def _capture(call: Callable[[], T]) -> tuple[bool, Any]:
    try:
        return True, call()
    except BaseException as err:  # noqa: BLE001 - re-raised in order by _unpack
        return False, err


def _unpack(outcomes: list[tuple[bool, Any]]) -> list[Any]:
    out: list[Any] = []
    for ok, value in outcomes:
        if ok or isinstance(value, ApiError):
            out.append(value)
        else:
            raise value
    return out


def run_serially(calls: list[Callable[[], T]]) -> list[T | ApiError]:
    """Each call's result in order, an :class:`ApiError` in place of a failed call."""
    out: list[T | ApiError] = []
    for call in calls:
        try:
            out.append(call())
        except ApiError as err:
            out.append(err)
    return out


@dataclass(frozen=True)
class Fanout:
    """A fusion marked by ``parallel_branches``: run the branches on threads, after evaluating the
    filter bitsets that more than one branch needs (so no two threads compute the same one)."""

    bitsets: tuple[LQuery, ...] = ()

    def prefetch(self, ctx: ExecContext) -> None:
        for f in self.bitsets:
            try:
                ctx.evaluator.mask(f)
            except ApiError:
                pass  # the branch that needs it raises it again, inside its own error wrapping

    def describe(self) -> str:
        return "threads" + (f", bitsets first: {len(self.bitsets)}" if self.bitsets else "")


class ModelLock:
    """Per search, one lock per inference endpoint around the model calls of parallel branches:
    branches that use different models overlap, two calls into the same model take turns."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}

    def lock_for(self, inference_id: str) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(str(inference_id), threading.RLock())

    def embedder(self, embed: Embedder | None) -> Embedder | None:
        if embed is None:
            return None

        def locked(inference_id: str, text: str) -> np.ndarray:
            with self.lock_for(inference_id):
                return embed(inference_id, text)

        return locked

    def registry(self, inference: Reranker | None) -> Reranker | None:
        return None if inference is None else _LockedReranker(inference, self)


class _LockedReranker:
    """The rerank endpoints as seen by one search's parallel branches: each call runs under its
    endpoint's lock."""

    def __init__(self, inner: Reranker, locks: ModelLock) -> None:
        self._inner = inner
        self._locks = locks

    def rerank_window(self, inference_id: str) -> int | None:
        with self._locks.lock_for(inference_id):
            return self._inner.rerank_window(inference_id)

    def rerank_top_n(self, inference_id: str) -> int | None:
        with self._locks.lock_for(inference_id):
            return self._inner.rerank_top_n(inference_id)

    def rerank_scores_with_stats(
        self, inference_id: str, query: str, texts: Sequence[str]
    ) -> tuple[np.ndarray, RerankCallStats]:
        with self._locks.lock_for(inference_id):
            return self._inner.rerank_scores_with_stats(inference_id, query, texts)
