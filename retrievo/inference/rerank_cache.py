"""Deduplicated, length-batched, cached rerank scoring: the one path every rerank call goes through.

A search reranks the same (query, passage) pairs again and again -- the same query on the next page,
the same passages under the same query, repeated chunks -- so every call to a *pairwise*
:class:`~retrievo.inference.services.base.RerankModel` is routed through :class:`RerankPipeline`:

1. passages are deduplicated within the call;
2. each distinct passage is looked up in a bounded LRU keyed by
   ``(endpoint key, model variant, query, passage)`` -- the endpoint key carries the endpoint's
   serial, so a deleted and re-created endpoint never sees its predecessor's scores;
3. the misses are sorted by length, longest first (similar lengths pad less, and a batch that does
   not fit in memory fails first), and scored in batches of the model's ``batch_size``: one
   ``score_batch`` call -- one *model call* -- per batch;
4. scores are stored as float32 and assembled back in input order.

Models whose scores depend on the whole request (``pairwise = False``: the test service scores by
input position) are called once per request and never cached.

Counters (:class:`RerankStats`) are kept for the pipeline's lifetime and per call
(:class:`RerankCallStats`, returned by :meth:`RerankPipeline.score`): ``model_calls``,
``pairs_scored``, ``tokens`` (approximate: the model tokenizer's lengths where the model has one,
whitespace words otherwise), ``cache_hits``, ``cache_misses`` (distinct passages per call),
``deduplicated`` and the seconds spent in the model.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from .lru import LruStore
from .services.base import RankedScores, RerankModel, RerankRuntime, RerankSettings

DEFAULT_RERANK_CACHE_ENTRIES = 100_000

_Key = tuple[Hashable, Hashable, str, str]


@dataclass
class RerankCallStats:
    """What one rerank call cost."""

    model_calls: int = 0  # score_batch / score_request invocations
    pairs_scored: int = 0  # (query, passage) pairs the model scored
    tokens: int = 0  # approximate tokens the model processed
    cache_hits: int = 0  # distinct passages served from the cache
    cache_misses: int = 0  # distinct passages the model had to score
    deduplicated: int = 0  # repeated passages within the call, served from the first occurrence
    model_seconds: float = 0.0  # wall time inside the model (includes a lazy model load on first use)

    def as_dict(self) -> dict[str, int | float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class RerankStats(RerankCallStats):
    """Counters since the pipeline was created."""

    requests: int = 0
    evictions: int = 0

    def add(self, call: RerankCallStats) -> None:
        for f in fields(RerankCallStats):
            setattr(self, f.name, getattr(self, f.name) + getattr(call, f.name))
        self.requests += 1


@dataclass
class RerankPipeline(LruStore):
    """Dedupe -> LRU lookup -> length-sorted batches -> store; thread-safe."""

    max_entries: int = DEFAULT_RERANK_CACHE_ENTRIES
    stats: RerankStats = field(default_factory=RerankStats)

    def __post_init__(self) -> None:
        if self.max_entries < 0:
            raise ValueError("max_entries must be >= 0")
        self._entries: OrderedDict[_Key, np.float32] = OrderedDict()
        self._lock = threading.Lock()

    def score(
        self,
        namespace: Hashable,
        model: RerankModel,
        query: str,
        texts: Sequence[str],
        settings: RerankSettings,
        runtime: RerankRuntime,
    ) -> tuple[RankedScores, RerankCallStats]:
        """Raw scores of ``texts`` against ``query`` (float32, input order) and what it cost."""
        call = RerankCallStats()
        texts = list(texts)
        if not texts:
            return RankedScores(np.zeros(0, dtype=np.float32)), call
        if not model.pairwise:
            started = time.perf_counter()
            ranked = model.score_request(query, texts, settings, runtime)
            call.model_seconds = time.perf_counter() - started
            scores = np.asarray(ranked.scores, dtype=np.float32)
            _check_shape(scores, len(texts))
            call.model_calls, call.pairs_scored, call.cache_misses = 1, len(texts), len(texts)
            call.tokens = model.count_tokens(query, texts)
            self._record(call)
            return RankedScores(scores, ranked.order), call
        variant = model.cache_variant(runtime)
        unique: dict[str, None] = dict.fromkeys(texts)
        found: dict[str, np.float32] = {}
        with self._lock:
            for text in unique:
                key = (namespace, variant, query, text)
                score = self._entries.get(key)
                if score is not None:
                    self._entries.move_to_end(key)
                    found[text] = score
        call.deduplicated = len(texts) - len(unique)
        call.cache_hits = len(found)
        call.cache_misses = len(unique) - len(found)
        missing = sorted((t for t in unique if t not in found), key=len, reverse=True)
        batch_size = max(int(model.batch_size), 1)
        try:
            for start in range(0, len(missing), batch_size):
                batch = missing[start : start + batch_size]
                began = time.perf_counter()
                scores = np.asarray(model.score_batch(query, batch, runtime), dtype=np.float32)
                call.model_seconds += time.perf_counter() - began
                _check_shape(scores, len(batch))
                call.model_calls += 1
                call.pairs_scored += len(batch)
                call.tokens += model.count_tokens(query, batch)
                with self._lock:
                    for text, score in zip(batch, scores):
                        found[text] = np.float32(score)
                        self._store((namespace, variant, query, text), np.float32(score))
        finally:
            self._record(call)
        out = np.fromiter((found[t] for t in texts), dtype=np.float32, count=len(texts))
        return RankedScores(out), call

    def score_pairs(
        self, namespace: Hashable, model: RerankModel, pairs: Sequence[tuple[str, str]], runtime: RerankRuntime
    ) -> tuple[np.ndarray, RerankCallStats]:
        """Raw scores of ``(query, passage)`` pairs with *different* queries, in input order.

        What a multi-search uses to score the windows of all its rerankers at once: pairs are
        deduplicated across the whole list, looked up in the same cache as :meth:`score`, and the
        misses are sent in length-sorted batches of ``batch_size`` -- mixed queries in one batch
        where the model can score them (``model.mixed_queries``), otherwise one query per batch.
        Pairwise models only (the caller checks ``model.pairwise``).
        """
        call = RerankCallStats()
        if not pairs:
            return np.zeros(0, dtype=np.float32), call
        variant = model.cache_variant(runtime)
        unique: dict[tuple[str, str], None] = dict.fromkeys((q, t) for q, t in pairs)
        found: dict[tuple[str, str], np.float32] = {}
        with self._lock:
            for q, t in unique:
                key = (namespace, variant, q, t)
                score = self._entries.get(key)
                if score is not None:
                    self._entries.move_to_end(key)
                    found[(q, t)] = score
        call.deduplicated = len(pairs) - len(unique)
        call.cache_hits = len(found)
        call.cache_misses = len(unique) - len(found)
        missing = [p for p in unique if p not in found]
        batch_size = max(int(model.batch_size), 1)
        if model.mixed_queries:
            ordered = sorted(missing, key=lambda p: len(p[0]) + len(p[1]), reverse=True)
            batches = [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]
        else:
            by_query: dict[str, list[tuple[str, str]]] = {}
            for p in missing:
                by_query.setdefault(p[0], []).append(p)
            batches = []
            for group in by_query.values():
                group.sort(key=lambda p: len(p[1]), reverse=True)
                batches += [group[i : i + batch_size] for i in range(0, len(group), batch_size)]
        try:
            for batch in batches:
                began = time.perf_counter()
                if model.mixed_queries:
                    scores = np.asarray(model.score_pairs(batch, runtime), dtype=np.float32)
                    tokens = model.count_pair_tokens(batch)
                else:
                    query = batch[0][0]
                    texts = [t for _, t in batch]
                    scores = np.asarray(model.score_batch(query, texts, runtime), dtype=np.float32)
                    tokens = model.count_tokens(query, texts)
                call.model_seconds += time.perf_counter() - began
                _check_shape(scores, len(batch))
                call.model_calls += 1
                call.pairs_scored += len(batch)
                call.tokens += tokens
                with self._lock:
                    for (q, t), score in zip(batch, scores):
                        found[(q, t)] = np.float32(score)
                        self._store((namespace, variant, q, t), np.float32(score))
        finally:
            self._record(call)
        out = np.fromiter((found[(q, t)] for q, t in pairs), dtype=np.float32, count=len(pairs))
        return out, call

    def _record(self, call: RerankCallStats) -> None:
        with self._lock:
            self.stats.add(call)

    def snapshot(self) -> dict[str, int | float]:
        with self._lock:
            return {**self.stats.as_dict(), "entries": len(self._entries), "max_entries": self.max_entries}


def _check_shape(scores: np.ndarray, expected: int) -> None:
    if scores.ndim != 1 or scores.shape[0] != expected:
        raise RuntimeError(f"rerank model returned scores of shape {scores.shape} for {expected} inputs")
