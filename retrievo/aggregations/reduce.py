"""The coordinator's reduce of a search over several indices (Elasticsearch's ``InternalAggregation.reduce``).

Each index computes its aggregations as one shard does (``AggContext.reducible``): results keep the state
the printed body lacks (``AggResult.partial``), terms cut at ``shard_size``, histograms skip their empty
buckets, pipelines wait. Here the per-index results of each aggregation are merged as Elasticsearch
merges shard results, level by level and bucket by bucket, then the pipelines run once over the reduced
tree and it is printed:

* ``avg`` … ``extended_stats``: counts added, sums and sums of squares summed with compensation (``math.fsum``
  over the per-index sums, where Elasticsearch adds them with Kahan compensation: the same double wherever
  the compensation is exact), extremes of extremes; ``value_count``: counts added.
* ``cardinality``: the union of the indices' distinct value hashes, counted as one index counts — what the
  union of HyperLogLog++ sketches (linear-counting sets or registers, ``AbstractHyperLogLogPlusPlus.merge``)
  estimates.
* ``percentiles``/``percentile_ranks``: ``TDigestState.add`` of hybrid digests still sorting keeps every
  sample, so the reduce answers from the union of the samples. Where the union reaches
  ``round(compression) * 20`` samples Elasticsearch's merged digest turns into a ``MergingDigest`` and its
  answers approximate; retrievo's stay exact (the same difference one index has, ``tdigest.py``).
* ``terms`` (``AbstractInternalTerms.TermsAggregationReducer``): each index returns its top ``shard_size``
  buckets; counts are added per key, ``sum_other_doc_count`` adds the indices' left-out documents and the
  final cut's, ``doc_count_error_upper_bound`` adds each index's error (0 when it returned every bucket or
  the order is by key, its smallest count when ordered by count descending, unbounded -1 otherwise; 0 when
  a single index answered); ``min_doc_count`` and the order apply after the reduce.
* ``range``/``date_range``/``ip_range``/``filters``: bucket by bucket; ``ip_prefix``: merged by network,
  ``min_doc_count`` after; ``filter``/``missing``/``nested``/``reverse_nested``: the single bucket;
  ``histogram``/``date_histogram``: merged by key, then empty buckets (``min_doc_count: 0``,
  ``extended_bounds``, ``hard_bounds``), ``min_doc_count`` and the order.
* ``significant_terms`` (``InternalSignificantTerms.reduce``): each shard's best ``shard_size`` terms scored
  against its own sizes; subset and superset sizes summed over the mapped shards, each term's frequencies
  over the shards that returned it, the score recomputed, then a positive score, ``min_doc_count``, ``size``.
* ``top_hits``: each shard's first ``from + size`` hits merged by score or by its ``sort`` values (the raw
  values: a date ``format`` left out, addresses as bytes), ties by shard order then rank.

Aggregations whose reduce retrievo does not reproduce exactly are refused before any index runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from retrievo.aggregations.base import MAX_BUCKETS, AggContext, Aggregation, AggResult, Bucket
from retrievo.aggregations.cardinality import Cardinality
from retrievo.aggregations.filters import Filter, Filters, Missing
from retrievo.aggregations.histograms import DateHistogram, Histogram
from retrievo.aggregations.ip_ranges import IpPrefix, IpRange
from retrievo.aggregations.metrics import MetricState, StateMetric, ValueCount
from retrievo.aggregations.nested import Nested, ReverseNested
from retrievo.aggregations.ordering import sort_buckets, with_tiebreak
from retrievo.aggregations.percentiles import PercentilesBase
from retrievo.aggregations.ranges import Range
from retrievo.aggregations.run import collecting_shard_results, render_results, run_level
from retrievo.aggregations.significant_terms import SignificantShard, SignificantTerms
from retrievo.aggregations.terms import Terms, TermsShard
from retrievo.aggregations.top_hits import TopHits
from retrievo.errors import ApiError, api_error, error_cause, not_supported
from retrievo.index.searcher import Searcher
from retrievo.lucene.merged_sort import compare_rows


@dataclass
class _Reduce:
    """One reduce: how names print (``typed_keys``) and the buckets built so far (``search.max_buckets``)."""

    typed_keys: bool
    buckets: list[int] = field(default_factory=lambda: [0])

    def count_buckets(self, n: int) -> None:
        self.buckets[0] += n
        if self.buckets[0] > MAX_BUCKETS:
            cause = error_cause(
                "too_many_buckets_exception",
                f"Trying to create too many buckets. Must be less than or equal to: [{MAX_BUCKETS}] but this number "
                "of buckets was exceeded. This limit can be set by changing the [search.max_buckets] cluster level "
                "setting.",
                max_buckets=MAX_BUCKETS,
            )
            raise _reduce_failure(cause)


def _reduce_failure(cause: dict[str, Any]) -> Exception:
    """A failure of the coordinator's reduce: no shard failed, the search did (status from the cause)."""
    return api_error(
        "search_phase_execution_exception",
        "",
        status=400,
        caused_by=cause,
        root_cause=[cause],
        phase="fetch",
        grouped=True,
        failed_shards=[],
    )


def aggregate_shards(
    ctx: AggContext, aggs: tuple[Aggregation, ...], shards: list[tuple[Searcher, np.ndarray]]
) -> dict[str, Any]:
    """An index with several shards: each shard's results over its own documents (``shards``: each shard's
    searcher and matching docs), reduced as Elasticsearch's coordinator reduces them; in a search over
    several indices, handed to that search's reduce instead."""
    partials = [run_level(replace(ctx, searcher=view, reducible=True, cache={}), aggs, docs) for view, docs in shards]
    sink = collecting_shard_results()
    if sink is not None:
        sink.extend(partials)
        return {}
    return reduce_aggregations(aggs, partials, ctx.typed_keys)


def reducible(aggs: tuple[Aggregation, ...]) -> bool:
    """Whether :func:`check_reducible` accepts ``aggs``."""
    try:
        check_reducible(aggs)
    except ApiError:
        return False
    return True


def check_reducible(aggs: tuple[Aggregation, ...]) -> None:
    """Refuse, before any index runs, the aggregations (at any depth) this module cannot reduce exactly."""
    for agg in aggs:
        if not agg.is_pipeline and _reducer(agg) is None:
            raise not_supported(f"[{agg.type_name}] aggregation in a search over several indices")
        check_reducible(agg.subs)


def reduce_aggregations(
    aggs: tuple[Aggregation, ...], shards: list[dict[str, AggResult]], typed_keys: bool
) -> dict[str, Any]:
    """The ``aggregations`` object of a search over several indices, from each index's partial results
    (in index order)."""
    state = _Reduce(typed_keys)
    return render_results(typed_keys, aggs, _level(aggs, shards, state))


def _level(aggs: tuple[Aggregation, ...], shards: list[dict[str, AggResult]], state: _Reduce) -> dict[str, AggResult]:
    """One level reduced, then its sibling pipelines over the reduced results (``run_level``'s order)."""
    results: dict[str, AggResult] = {}
    for agg in aggs:
        if agg.is_pipeline:
            continue
        parts = [shard[agg.name] for shard in shards if agg.name in shard]
        reducer = _reducer(agg)
        assert reducer is not None and parts  # check_reducible ran; every index ran every aggregation
        results[agg.name] = reducer(agg, parts, state)
    for agg in aggs:
        if agg.is_pipeline and not getattr(agg, "parent_pipeline", False):
            results[agg.name] = agg.reduce_sibling(results)  # type: ignore[attr-defined]
    return {agg.name: results[agg.name] for agg in aggs if agg.name in results}


def _finish(agg: Aggregation, buckets: list[Bucket], state: _Reduce) -> list[Bucket]:
    """``finish_buckets``' tail on reduced buckets: parent pipelines, then sub-aggregations printed."""
    state.count_buckets(len(buckets))
    for sub in agg.subs:
        if sub.is_pipeline and getattr(sub, "parent_pipeline", False):
            buckets = sub.apply_parent(buckets)  # type: ignore[attr-defined]
    for bucket in buckets:
        if bucket.subs:
            bucket.body = {**bucket.body, **render_results(state.typed_keys, agg.subs, bucket.subs)}
    return buckets


def _merged_bucket(agg: Aggregation, same: list[Bucket], state: _Reduce) -> Bucket:
    """Buckets of one key from several indices: doc counts added, sub-aggregations reduced; the printed
    key is the first index's."""
    count = sum(b.doc_count for b in same)
    subs = _level(agg.subs, [b.subs for b in same], state) if agg.subs else {}
    return Bucket(key=same[0].key, doc_count=count, subs=subs, body={**same[0].body, "doc_count": count})


# -- metrics -----------------------------------------------------------------------------------------


def _first_printer(parts: list[AggResult]) -> Any:
    return next((r.partial[1] for r in parts if r.partial[1] is not None), None)


def _state_metric(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    assert isinstance(agg, StateMetric)
    return agg.result(MetricState.merged([r.partial[0] for r in parts]), _first_printer(parts))


def _value_count(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    assert isinstance(agg, ValueCount)
    return agg.result(sum(int(r.partial) for r in parts))


def _cardinality(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    assert isinstance(agg, Cardinality)
    return agg.result(np.concatenate([np.asarray(r.partial, dtype=np.int64) for r in parts]))


def _percentiles(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    assert isinstance(agg, PercentilesBase)
    samples = np.sort(np.concatenate([r.partial[0] for r in parts]))
    return agg.result(samples, _first_printer(parts))


def _top_hits(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    """``InternalTopHits.reduce``: the shards' hits merged by score, or by the ``sort`` values
    (``TopDocs.merge`` with the sort's comparators); equal hits keep shard order, then rank (the doc
    id within a shard)."""
    assert isinstance(agg, TopHits)
    rows: list[tuple[int, int, Any, dict[str, Any]]] = []
    for position, result in enumerate(parts):
        hits = result.body["hits"]["hits"]
        keys = result.partial.get("sort_keys") if agg.sort else [[-score] for score in result.partial["scores"]]
        for rank, (key, hit) in enumerate(zip(keys, hits, strict=True)):
            rows.append((position, rank, key, hit))
    orders = [(f.order == "desc", f.missing) for f in agg.sort] if agg.sort else [(False, "_last")]
    try:
        rows.sort(key=functools.cmp_to_key(functools.partial(compare_rows, orders)))
    except TypeError:  # a keyword in one index, a number in another: Java's comparators cannot compare them
        raise not_supported(f"[top_hits] aggregation [{agg.name}] sorting on a field of different types") from None
    page = [hit for *_, hit in rows[agg.from_ : agg.from_ + agg.size]]
    total = sum(int(r.body["hits"]["total"]["value"]) for r in parts)
    best = [r.body["hits"]["max_score"] for r in parts if r.body["hits"]["max_score"] is not None]
    max_score = max(best) if best else None
    return AggResult({"hits": {"total": {"value": total, "relation": "eq"}, "max_score": max_score, "hits": page}}, {})


# -- buckets -----------------------------------------------------------------------------------------


def _single_bucket(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    """``filter``, ``missing``, ``nested``, ``reverse_nested``: ``InternalSingleBucketAggregation.reduce``."""
    merged = _merged_bucket(agg, [r.buckets[0] for r in parts if r.buckets], state)
    body: dict[str, Any] = {"doc_count": merged.doc_count}
    if merged.subs:
        body.update(render_results(state.typed_keys, agg.subs, merged.subs))
    merged.body = body
    count = float(merged.doc_count)
    return AggResult(body, values={"value": count, "doc_count": count, "_count": count}, buckets=[merged])


def _fixed_buckets(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    """``range``, ``date_range``, ``ip_range``, ``filters``: every index has the same buckets in the same
    order."""
    assert isinstance(agg, (Range, IpRange, Filters))
    lists = [r.buckets or [] for r in parts]
    buckets = [_merged_bucket(agg, [bs[i] for bs in lists], state) for i in range(len(lists[0]))]
    return agg.render_buckets(_finish(agg, buckets, state))


def _histogram(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    """``InternalHistogram``/``InternalDateHistogram.reduce``: buckets merged by key, then the empty
    buckets (``addEmptyBuckets``, with the sub-aggregations of an empty bucket), ``min_doc_count``, order."""
    assert isinstance(agg, Histogram)
    by_key: dict[Any, list[Bucket]] = {}
    for result in parts:
        for bucket in result.buckets or []:
            by_key.setdefault(bucket.key, []).append(bucket)
    extended: list[Any] = []
    for result in parts:
        if result.partial["extended"]:
            extended = list(result.partial["extended"])
            break
    hard_info = parts[0].partial["hard"]
    hard, fmt = hard_info if isinstance(agg, DateHistogram) and hard_info is not None else (None, None)
    dtype = np.int64 if isinstance(agg, DateHistogram) else np.float64
    keys = np.array(sorted(by_key), dtype=dtype)
    if agg.min_doc_count == 0:
        keys = agg.filled_keys(keys, extended, hard, state.count_buckets)
    empty = parts[0].partial["empty"]
    buckets: list[Bucket] = []
    for key in keys.tolist():
        key = int(key) if isinstance(agg, DateHistogram) else float(key)
        same = by_key.get(key)
        if same is None:
            subs = _level(agg.subs, [empty], state) if agg.subs else {}
            buckets.append(Bucket(key=key, doc_count=0, subs=subs, body=agg.bucket_body(key, 0, fmt)))
            continue
        merged = _merged_bucket(agg, same, state)
        if merged.doc_count >= agg.min_doc_count:
            buckets.append(merged)
    return agg.render_buckets(_finish(agg, buckets, state), None)


def _ip_prefix(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    """``InternalIpPrefix.reduce``: buckets merged by network, in network order, ``min_doc_count`` after."""
    assert isinstance(agg, IpPrefix)
    by_network: dict[int, list[Bucket]] = {}
    for result in parts:
        for network, bucket in zip(result.partial, result.buckets or [], strict=True):
            by_network.setdefault(network, []).append(bucket)
    merged = [_merged_bucket(agg, by_network[n], state) for n in sorted(by_network)]
    return agg.render_buckets(_finish(agg, [b for b in merged if b.doc_count >= agg.min_doc_count], state))


def _terms(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    """``AbstractInternalTerms.TermsAggregationReducer`` (final reduce)."""
    assert isinstance(agg, Terms)
    shards: list[TermsShard] = [r.partial for r in parts]
    mapped = [(r, s) for r, s in zip(parts, shards, strict=True) if not s.unmapped]
    if not mapped:  # every index unmapped: ``UnmappedTerms``
        return agg.empty_result(shards[0].type_key)
    kinds = {s.type_key for _, s in mapped}
    type_key = mapped[0][1].type_key
    if kinds == {"lterms", "dterms"}:  # ``LongTerms.reduce``: long keys promoted to doubles
        type_key = "dterms"
        for result, shard in mapped:
            if shard.type_key == "lterms":
                for bucket in result.buckets or []:
                    bucket.key = float(bucket.key)
                    bucket.body = {**bucket.body, "key": bucket.key}
    elif len(kinds) > 1:
        raise _reduce_failure(
            error_cause(
                "illegal_argument_exception",
                f"Merging/Reducing the aggregations failed when computing the aggregation [{agg.name}] because the "
                "field you gave in the aggregation query existed as two different types in two different indices",
            )
        )
    primary = agg.order[0]
    key_order = primary.key == "_key"
    count_desc = primary.key == "_count" and not primary.asc
    other = sum(s.other for s in shards)
    errors: list[int] = []
    for result, shard in mapped:  # ``getDocCountError`` of each index's answer
        returned = result.buckets or []
        if not returned or len(returned) < shard.cut or key_order:
            errors.append(0)
        elif count_desc:
            errors.append(min(b.doc_count for b in returned))
        else:
            errors.append(-1)
    total_error = -1 if -1 in errors else sum(errors)
    by_key: dict[Any, list[tuple[int, Bucket]]] = {}
    for position, (result, _) in enumerate(mapped):
        for bucket in result.buckets or []:
            by_key.setdefault(bucket.key, []).append((position, bucket))
    orders = with_tiebreak(agg.order)

    def reduced(same: list[tuple[int, Bucket]]) -> Bucket:
        bucket = _merged_bucket(agg, [b for _, b in same], state)
        body = {k: v for k, v in bucket.body.items() if k != "doc_count_error_upper_bound"}
        if agg.show_term_doc_count_error:  # the errors of the indices that did not return the term
            error = -1 if total_error == -1 else total_error - sum(errors[i] for i, _ in same)
            body["doc_count_error_upper_bound"] = error
        bucket.body = body
        return bucket

    if key_order and agg.min_doc_count <= 1:
        ordered_keys = sorted(by_key, reverse=not primary.asc)
        chosen = [reduced(by_key[k]) for k in ordered_keys[: agg.size]]
        other += sum(b.doc_count for k in ordered_keys[agg.size :] for _, b in by_key[k])
    else:
        candidates = [reduced(same) for same in by_key.values()]
        candidates = [b for b in candidates if b.doc_count >= agg.min_doc_count]
        ranked = sort_buckets(candidates, orders, None)
        chosen = ranked[: agg.size]
        other += sum(b.doc_count for b in ranked[agg.size :])
    chosen = _finish(agg, chosen, state)
    error_bound = -1 if total_error == -1 else (0 if len(parts) == 1 else total_error)
    body = {
        "__type__": type_key,
        "doc_count_error_upper_bound": error_bound,
        "sum_other_doc_count": int(other),
        "buckets": [b.body for b in chosen],
    }
    return AggResult(body, buckets=chosen)


def _significant_terms(agg: Aggregation, parts: list[AggResult], state: _Reduce) -> AggResult:
    """``InternalSignificantTerms.reduce``: the shards' subset and superset sizes summed; each term's
    subset and superset frequencies summed over the shards that returned it (a shard that cut it adds
    nothing, as in Elasticsearch); the score recomputed from those sums; then a positive score and
    ``min_doc_count``, best ``size`` by score (equal scores: ascending key)."""
    assert isinstance(agg, SignificantTerms)
    shards: list[SignificantShard] = [r.partial for r in parts]
    mapped = [(r, s) for r, s in zip(parts, shards, strict=True) if not s.unmapped]
    if not mapped:  # every shard unmapped: ``UnmappedSignificantTerms`` is the answer
        return AggResult({"__type__": "sigsterms", "buckets": []}, buckets=[])
    kinds = {s.type_key for _, s in mapped}
    if len(kinds) > 1:
        raise not_supported(
            f"[significant_terms] aggregation [{agg.name}] over a field that is a keyword in one index and a "
            "number in another"
        )
    sub_size = sum(s.subset_size for _, s in mapped)
    sup_size = sum(s.superset_size for _, s in mapped)
    by_key: dict[Any, list[Bucket]] = {}
    for result, _ in mapped:
        for bucket in result.buckets or []:
            by_key.setdefault(bucket.key, []).append(bucket)
    keys = sorted(by_key)  # ascending: equal scores keep this order
    sub_df = np.array([sum(b.doc_count for b in by_key[k]) for k in keys], dtype=np.int64)
    sup_df = np.array([sum(int(b.body["bg_count"]) for b in by_key[k]) for k in keys], dtype=np.int64)
    scores = agg.reduce_scores(sub_df, sub_size, sup_df, sup_size)
    ranked = np.argsort(-scores, kind="stable")
    chosen = agg.final_cut(sub_df[ranked], scores[ranked], ranked)
    buckets: list[Bucket] = []
    for i in chosen.tolist():
        merged = _merged_bucket(agg, by_key[keys[i]], state)
        first = by_key[keys[i]][0].body
        body: dict[str, Any] = {"key": first["key"]}
        if "key_as_string" in first:
            body["key_as_string"] = first["key_as_string"]
        body.update(doc_count=int(sub_df[i]), score=float(scores[i]), bg_count=int(sup_df[i]))
        merged.body = body
        buckets.append(merged)
    return agg.result(next(iter(kinds)), sub_size, sup_size, _finish(agg, buckets, state))


_Reducer = Callable[[Aggregation, list[AggResult], _Reduce], AggResult]


def _reducer(agg: Aggregation) -> _Reducer | None:
    """The reduce of ``agg``'s type; ``None`` where retrievo has none (refused)."""
    if isinstance(agg, SignificantTerms):  # a ``Terms`` subclass: before the table's ``Terms``
        return _significant_terms
    table: tuple[tuple[type[Aggregation] | tuple[type[Aggregation], ...], _Reducer], ...] = (
        (StateMetric, _state_metric),
        (ValueCount, _value_count),
        (Cardinality, _cardinality),
        (PercentilesBase, _percentiles),
        (TopHits, _top_hits),
        ((Filter, Missing, Nested, ReverseNested), _single_bucket),
        ((Range, IpRange, Filters), _fixed_buckets),
        (IpPrefix, _ip_prefix),
        (Histogram, _histogram),
        (Terms, _terms),
    )
    for kinds, reducer in table:
        if isinstance(agg, kinds):
            return reducer
    return None
