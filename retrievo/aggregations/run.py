"""Running a level of aggregations over a bucket's documents and printing them as Elasticsearch does.

Regular aggregations run first, then sibling pipelines in request order (each may read the results
before it); a bucket aggregation hands its finished buckets to its parent pipelines
(``cumulative_sum``, ``bucket_sort``) before its sub-aggregations are printed into each bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

import numpy as np

from retrievo.aggregations.base import AggContext, Aggregation, AggResult, Bucket


def run_level(ctx: AggContext, aggs: tuple[Aggregation, ...], docs: np.ndarray) -> dict[str, AggResult]:
    """Every aggregation of one level over ``docs`` (sorted internal doc ids), by name, in order."""
    results: dict[str, AggResult] = {}
    for agg in aggs:
        if not agg.is_pipeline:
            results[agg.name] = agg.collect(ctx, docs)
    for agg in aggs:
        if agg.is_pipeline and not getattr(agg, "parent_pipeline", False) and not ctx.reducible:
            results[agg.name] = agg.reduce_sibling(results)  # type: ignore[attr-defined]
    return {agg.name: results[agg.name] for agg in aggs if agg.name in results}


def render_level(ctx: AggContext, aggs: tuple[Aggregation, ...], results: dict[str, AggResult]) -> dict[str, Any]:
    """The ``aggregations`` object of one level: ``typed_keys`` prefixes and ``meta`` included."""
    return render_results(ctx.typed_keys, aggs, results)


def render_results(typed_keys: bool, aggs: tuple[Aggregation, ...], results: dict[str, AggResult]) -> dict[str, Any]:
    """:func:`render_level` without a context (the reduce of a search over several indices prints too)."""
    out: dict[str, Any] = {}
    by_name = {agg.name: agg for agg in aggs}
    for name, result in results.items():
        agg = by_name[name]
        body = dict(result.body)
        prefix = str(body.pop("__type__", agg.type_key))
        if agg.meta is not None:
            body = {"meta": agg.meta, **body}
        out[f"{prefix}#{name}" if typed_keys else name] = body
    return out


def finish_buckets(
    ctx: AggContext, agg: Aggregation, buckets: list[tuple[Any, dict[str, Any], np.ndarray]]
) -> list[Bucket]:
    """Sub-aggregations of each bucket, then the parent pipelines, then each bucket's printed body.

    ``buckets`` holds (key, body so far — key, key_as_string, doc_count —, the bucket's docs)."""
    ctx.count_buckets(len(buckets))
    done: list[Bucket] = []
    for key, body, docs in buckets:
        subs = run_level(ctx, agg.subs, docs) if agg.subs else {}
        done.append(Bucket(key=key, doc_count=int(body["doc_count"]), subs=subs, body=body))
    if ctx.reducible:  # parent pipelines and printing wait for the reduce (``reduce.py``)
        return done
    for sub in agg.subs:
        if sub.is_pipeline and getattr(sub, "parent_pipeline", False):
            done = sub.apply_parent(done)  # type: ignore[attr-defined]
    for bucket in done:
        if bucket.subs:
            bucket.body = {**bucket.body, **render_level(ctx, agg.subs, bucket.subs)}
    return done


def sub_values(agg: Aggregation, bucket: Bucket, path: list[tuple[str, str | None]]) -> float | None:
    """Read a ``buckets_path`` (already split: (name, property) pairs) inside one bucket."""
    name, prop = path[0]
    if name == "_count":
        return float(bucket.doc_count)
    if name == "_key":
        return float(bucket.key) if isinstance(bucket.key, (int, float)) else None
    result = bucket.subs[name]
    if len(path) == 1:
        return result.value(prop)
    if result.buckets is None or len(result.buckets) != 1:
        raise KeyError(name)
    return sub_values(agg, result.buckets[0], path[1:])


#: Set while one index of a search over several runs: :func:`aggregate` leaves its unprinted,
#: reducible results here instead of printing them (``api/search.py`` reduces them, ``reduce.py``).
_SHARD_RESULTS: ContextVar[list[dict[str, AggResult]] | None] = ContextVar("shard_aggregations", default=None)


@contextmanager
def shard_results(sink: list[dict[str, AggResult]]) -> Iterator[None]:
    """Within this block, a search's aggregations are computed as one shard's partial results, appended
    to ``sink`` (the planner runs them as usual and never learns of the reduce that follows)."""
    token = _SHARD_RESULTS.set(sink)
    try:
        yield
    finally:
        _SHARD_RESULTS.reset(token)


def aggregate(ctx: AggContext, aggs: tuple[Aggregation, ...], docs: np.ndarray) -> dict[str, Any]:
    """A search's ``aggregations`` object over ``docs`` (its matching documents, sorted)."""
    sink = _SHARD_RESULTS.get()
    if sink is not None:
        sink.append(run_level(replace(ctx, reducible=True), aggs, docs))
        return {}
    return render_level(ctx, aggs, run_level(ctx, aggs, docs))


def collecting_shard_results() -> list[dict[str, AggResult]] | None:
    """The sink of the search over several indices this search is one index of (:func:`shard_results`)."""
    return _SHARD_RESULTS.get()


def with_aggregations(response: dict[str, Any], aggregations: dict[str, Any]) -> dict[str, Any]:
    """``aggregations`` placed where Elasticsearch prints it: right after ``hits``."""
    out: dict[str, Any] = {}
    for key, value in response.items():
        out[key] = value
        if key == "hits":
            out["aggregations"] = aggregations
    if "aggregations" not in out:
        out["aggregations"] = aggregations
    return out
