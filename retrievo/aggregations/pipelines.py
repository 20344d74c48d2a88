"""Pipeline aggregations: sibling ones (``avg_bucket``, ``max_bucket``, ``min_bucket``, ``sum_bucket``)
read a sibling multi-bucket aggregation through ``buckets_path``; parent ones (``cumulative_sum``,
``bucket_sort``) rewrite the buckets of the aggregation they sit in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from retrievo.aggregations import params as p
from retrievo.aggregations.base import Aggregation, AggResult, Bucket
from retrievo.aggregations.decimal_format import compile_decimal_format
from retrievo.aggregations.ordering import Order, sort_buckets, split_path
from retrievo.aggregations.run import sub_values
from retrievo.errors import illegal_argument
from retrievo.java_text import java_double_str

_GAP_POLICIES = ("skip", "insert_zeros", "keep_values")


def _bucket_value(bucket: Bucket, path: list[tuple[str, str | None]], gap_policy: str) -> float | None:
    """``BucketHelpers.resolveBucketValue``: NaN and ±Inf are gaps, and so is any value but ``_count`` read
    from an empty bucket (``keep_values`` keeps a finite one)."""
    try:
        value = sub_values(None, bucket, path)  # type: ignore[arg-type]
    except KeyError:
        raise illegal_argument(f"No aggregation found for path [{'>'.join(n for n, _ in path)}]") from None
    finite = value is not None and math.isfinite(value)
    empty = bucket.doc_count == 0 and path != [("_count", None)]
    if not finite or empty:
        if gap_policy == "insert_zeros":
            return 0.0
        return value if gap_policy == "keep_values" and finite else None
    return value


@dataclass(frozen=True, kw_only=True)
class BucketMetric(Aggregation):
    """A sibling pipeline over ``buckets_path``'s buckets."""

    buckets_path: str = ""
    gap_policy: str = "skip"
    format: str | None = None

    is_pipeline: ClassVar[bool] = True

    def printed(self, value: float | None, **extra: Any) -> AggResult:
        """``InternalSimpleValue``/``InternalBucketMetricValue``: ``value`` (``null`` when not finite) and,
        with a ``format``, ``value_as_string``."""
        shown = value if value is not None and math.isfinite(value) else None
        body: dict[str, Any] = {"value": shown}
        if self.format is not None and shown is not None:
            body["value_as_string"] = compile_decimal_format(self.format).format(shown)
        body.update(extra)
        return AggResult(body, {"value": shown})

    def values(self, results: dict[str, AggResult]) -> list[tuple[str, float]]:
        path = split_path(self.buckets_path)
        head = path[0][0]
        target = results.get(head)
        if target is None or target.buckets is None:
            raise illegal_argument(f"No aggregation found for path [{self.buckets_path}]")
        # ``getPathElementsAsStringList``: ``range.v`` is the list [range, v], so the head's ``.v`` names a
        # sub-aggregation of its buckets, as ``range>v`` does
        head_prop = path[0][1]
        rest = ([(head_prop, None)] if head_prop is not None else []) + path[1:] or [("_count", None)]
        out: list[tuple[str, float]] = []
        for bucket in target.buckets:
            value = _bucket_value(bucket, rest, self.gap_policy)
            if value is not None:
                out.append((_key_text(bucket), float(value)))
        return out

    def reduce_sibling(self, results: dict[str, AggResult]) -> AggResult:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class AvgBucket(BucketMetric):
    type_name: ClassVar[str] = "avg_bucket"
    type_key: ClassVar[str] = "simple_value"

    def reduce_sibling(self, results: dict[str, AggResult]) -> AggResult:
        vals = [v for _, v in self.values(results)]
        return self.printed(math.fsum(vals) / len(vals) if vals else None)


@dataclass(frozen=True, kw_only=True)
class SumBucket(BucketMetric):
    type_name: ClassVar[str] = "sum_bucket"
    type_key: ClassVar[str] = "simple_value"

    def reduce_sibling(self, results: dict[str, AggResult]) -> AggResult:
        return self.printed(math.fsum(v for _, v in self.values(results)))


@dataclass(frozen=True, kw_only=True)
class MaxBucket(BucketMetric):
    type_name: ClassVar[str] = "max_bucket"
    type_key: ClassVar[str] = "bucket_metric_value"
    pick_max: ClassVar[bool] = True

    def reduce_sibling(self, results: dict[str, AggResult]) -> AggResult:
        pairs = self.values(results)
        if not pairs:
            return self.printed(None, keys=[])
        best = max(v for _, v in pairs) if self.pick_max else min(v for _, v in pairs)
        keys = [k for k, v in pairs if v == best]
        return self.printed(best, keys=keys)


def _key_text(bucket: Bucket) -> str:
    """A bucket's key as ``keys`` lists it (``getKeyAsString``): a formatted key when it has one."""
    if "key_as_string" in bucket.body:
        return str(bucket.body["key_as_string"])
    if isinstance(bucket.key, float):
        return java_double_str(bucket.key)
    return str(bucket.key)


@dataclass(frozen=True, kw_only=True)
class MinBucket(MaxBucket):
    type_name: ClassVar[str] = "min_bucket"
    pick_max: ClassVar[bool] = False


@dataclass(frozen=True, kw_only=True)
class CumulativeSum(Aggregation):
    buckets_path: str = ""
    format: str | None = None

    type_name: ClassVar[str] = "cumulative_sum"
    type_key: ClassVar[str] = "simple_value"
    is_pipeline: ClassVar[bool] = True
    parent_pipeline: ClassVar[bool] = True

    def apply_parent(self, buckets: list[Bucket]) -> list[Bucket]:
        path = split_path(self.buckets_path)
        running = 0.0
        for bucket in buckets:
            value = _bucket_value(bucket, path, "insert_zeros")
            running += float(value or 0.0)
            body: dict[str, Any] = {"value": running}
            if self.format is not None:
                body["value_as_string"] = compile_decimal_format(self.format).format(running)
            bucket.subs[self.name] = AggResult(body, {"value": running})
        return buckets


@dataclass(frozen=True, kw_only=True)
class BucketSort(Aggregation):
    sort: tuple[Order, ...] = ()
    from_: int = 0
    size: int | None = None
    gap_policy: str = "skip"

    type_name: ClassVar[str] = "bucket_sort"
    type_key: ClassVar[str] = "bucket_sort"
    is_pipeline: ClassVar[bool] = True
    parent_pipeline: ClassVar[bool] = True

    def apply_parent(self, buckets: list[Bucket]) -> list[Bucket]:
        kept = buckets
        if self.sort:
            if self.gap_policy == "skip":
                kept = [b for b in buckets if all(_sortable(b, o) for o in self.sort)]
            kept = sort_buckets(kept, self.sort)
        end = None if self.size is None else self.from_ + self.size
        return kept[self.from_ : end]


def _sortable(bucket: Bucket, order: Order) -> bool:
    if order.key in ("_count", "_key"):
        return True
    try:
        value = sub_values(None, bucket, split_path(order.key))  # type: ignore[arg-type]
    except KeyError:
        return False
    return value is not None and math.isfinite(value)


def _path(agg_type: str, name: str, body: dict[str, Any]) -> str:
    if "buckets_path" not in body:
        raise illegal_argument(f"Required parameter [buckets_path] missing for aggregation [{name}]")
    value = body["buckets_path"]
    if isinstance(value, list):
        if len(value) != 1:
            raise illegal_argument(f"[{agg_type}] requires exactly one buckets_path")
        value = value[0]
    return p.string(agg_type, "buckets_path", value)


def _gap(agg_type: str, body: dict[str, Any]) -> str:
    if "gap_policy" not in body:
        return "skip"
    text = p.string(agg_type, "gap_policy", body["gap_policy"]).lower()
    if text not in _GAP_POLICIES:
        raise illegal_argument(f"Unknown GapPolicy: [{text}]")
    return text


def _bucket_metric_parser(cls: type[BucketMetric]) -> Any:
    def parse(name: str, body: Any) -> BucketMetric:
        body = p.check_object(cls.type_name, body)
        p.check_keys(cls.type_name, body, ("buckets_path", "gap_policy", "format"))
        return cls(
            name=name,
            buckets_path=_path(cls.type_name, name, body),
            gap_policy=_gap(cls.type_name, body),
            format=_format(cls.type_name, body),
        )

    return parse


parse_avg_bucket = _bucket_metric_parser(AvgBucket)
parse_sum_bucket = _bucket_metric_parser(SumBucket)
parse_max_bucket = _bucket_metric_parser(MaxBucket)
parse_min_bucket = _bucket_metric_parser(MinBucket)


def parse_cumulative_sum(name: str, body: Any) -> CumulativeSum:
    body = p.check_object("cumulative_sum", body)
    p.check_keys("cumulative_sum", body, ("buckets_path", "format"))
    return CumulativeSum(
        name=name, buckets_path=_path("cumulative_sum", name, body), format=_format("cumulative_sum", body)
    )


def _format(agg_type: str, body: dict[str, Any]) -> str | None:
    if body.get("format") is None:
        return None
    text = p.string(agg_type, "format", body["format"])
    compile_decimal_format(text)  # a bad pattern fails the request before it runs
    return text


def parse_bucket_sort(name: str, body: Any) -> BucketSort:
    body = p.check_object("bucket_sort", body)
    p.check_keys("bucket_sort", body, ("sort", "from", "size", "gap_policy"))
    orders: list[Order] = []
    for item in body.get("sort", []) if isinstance(body.get("sort", []), list) else [body["sort"]]:
        if isinstance(item, str):
            orders.append(Order(item, True))
        elif isinstance(item, dict):
            for key, spec in item.items():
                direction = spec.get("order", "asc") if isinstance(spec, dict) else spec
                orders.append(Order(key, str(direction).lower() == "asc"))
    from_ = p.integer("bucket_sort", "from", body["from"]) if "from" in body else 0
    if from_ < 0:
        raise illegal_argument(f"[from] must be a non-negative integer: [{from_}]")
    size = p.integer("bucket_sort", "size", body["size"]) if "size" in body else None
    if size is not None and size <= 0:
        raise illegal_argument(f"[size] must be a positive integer: [{size}]")
    return BucketSort(name=name, sort=tuple(orders), from_=from_, size=size, gap_policy=_gap("bucket_sort", body))
