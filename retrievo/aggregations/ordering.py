"""Bucket orders (``order`` of ``terms``/``histogram``/``date_histogram``): ``_count``, ``_key`` or a
path into a sub-aggregation, each ``asc``/``desc``; Elasticsearch appends ``_key asc`` as the final
tie-breaker of any order that is not already a key order."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from retrievo.aggregations.base import Aggregation, Bucket
from retrievo.errors import ApiError, error_cause, parsing_error, shard_failure
from retrievo.grammar.json import values as jv


@dataclass(frozen=True)
class Order:
    key: str  # "_count", "_key" or a buckets path ("agg", "agg.prop", "agg[prop]", "a>b.c")
    asc: bool


def parse_order(agg_type: str, value: Any) -> tuple[Order, ...]:
    """``InternalOrder.Parser``: an object ``{key: asc|desc}`` or an array of them."""
    items = value if isinstance(value, list) else [value]
    out: list[Order] = []
    for item in items:
        if not isinstance(item, dict):
            raise parsing_error(
                f"Order elements must be of type object in [{agg_type}] found token of type [{jv.token_of(item)}]."
            )
        for key, direction in item.items():
            text = str(direction).lower() if jv.is_value(direction) else ""
            if text not in ("asc", "desc"):
                raise parsing_error(f"Unknown order direction [{direction}]")
            out.append(Order(key, text == "asc"))
    return tuple(out)


def with_tiebreak(orders: tuple[Order, ...]) -> tuple[Order, ...]:
    if orders and orders[-1].key == "_key":
        return orders
    return (*orders, Order("_key", True))


def split_path(path: str) -> list[tuple[str, str | None]]:
    """``AggregationPath.parse``: ``a>b.prop`` or ``a>b[prop]`` → [(a, None), (b, prop)]."""
    out: list[tuple[str, str | None]] = []
    for element in path.split(">"):
        if element.endswith("]") and "[" in element:
            name, prop = element[:-1].split("[", 1)
            out.append((name, prop))
        elif "." in element:
            name, prop = element.split(".", 1)
            out.append((name, prop))
        else:
            out.append((element, None))
    return out


def _sort_value(bucket: Bucket, order: Order, index: str | None) -> Any:
    from retrievo.aggregations.run import sub_values

    if order.key == "_count":
        return bucket.doc_count
    if order.key == "_key":
        return bucket.key
    path = split_path(order.key)
    try:
        value = sub_values(None, bucket, path)  # type: ignore[arg-type]
    except KeyError:
        name, prop = path[-1]
        detail = (
            "When ordering on a multi-value metrics aggregation a metric name must be specified."
            if prop is None
            else f"Unknown metric name [{prop}] on multi-value metrics aggregation [{name}]"
        )
        raise _invalid_path(index, order.key, detail) from None
    if value is None:
        return (False, float("-inf"))
    # Java's ``Double.compare``: NaN (an empty ``avg``) sorts above every number.
    return (True, 0.0) if math.isnan(value) else (False, float(value))


def sort_buckets(buckets: list[Bucket], orders: tuple[Order, ...], index: str | None = None) -> list[Bucket]:
    """Buckets in the order's sequence (stable: ties keep their incoming order)."""

    def compare(a: Bucket, b: Bucket) -> int:
        for order in orders:
            x, y = _sort_value(a, order, index), _sort_value(b, order, index)
            if x != y:
                less = x < y
                return (-1 if less else 1) if order.asc else (1 if less else -1)
        return 0

    return sorted(buckets, key=functools.cmp_to_key(compare))


def needs_subs(orders: tuple[Order, ...]) -> bool:
    return any(o.key not in ("_count", "_key") for o in orders)


_PATH_RULE = (
    "Buckets can only be sorted on a sub-aggregator path that is built out of zero or more single-bucket "
    "aggregations within the path and a final single-bucket or a metrics aggregation at the path end."
)


def _invalid_path(index: str | None, path: str, detail: str) -> ApiError:
    cause = error_cause("aggregation_execution_exception", f"Invalid aggregation order path [{path}]. {detail}")
    return shard_failure(index, cause)


def check_order_paths(index: str, orders: tuple[Order, ...], subs: tuple[Aggregation, ...]) -> None:
    """``AggregationPath.validate``: each element names a sub-aggregation (not a pipeline); every element
    but the last is a single-bucket aggregation. Checked on the shard, so a bad path fails the shard."""
    for order in orders:
        if order.key in ("_count", "_key"):
            continue
        level = subs
        elements = split_path(order.key)
        for position, (name, _) in enumerate(elements):
            found = next((a for a in level if a.name == name and not a.is_pipeline), None)
            if found is None:
                raise _invalid_path(
                    index,
                    order.key,
                    f"The provided aggregation [{name}] either does not exist, or is a pipeline aggregation and "
                    "cannot be used to sort the buckets.",
                )
            if position < len(elements) - 1:
                if not getattr(found, "single_bucket", False):
                    sub_path = ">".join(n for n, _ in elements[: position + 1])
                    raise _invalid_path(
                        index, order.key, f"{_PATH_RULE} Sub-path [{sub_path}] points to non single-bucket aggregation"
                    )
                level = found.subs
