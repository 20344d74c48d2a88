"""Merging field-sorted hits from several shards, as the coordinator's ``TopDocs.merge`` with a
``Sort`` does: key by key in each sort's direction, a keyword's missing value (``None``) first or last
whatever the direction (``BytesRefFieldComparatorSource``), then the shard's place, then the hit's rank
on its shard. Used for a search over several indices (``api/multi_index_sort.py``) and for ``top_hits``
reduced across shards (``aggregations/reduce.py``)."""

from __future__ import annotations

from typing import Any

#: Each sort key's direction and ``missing`` (``(descending, "_first" | "_last" | value)``).
SortOrders = list[tuple[bool, Any]]
#: (shard position, rank on the shard, sort keys, the hit).
SortedRow = tuple[int, int, Any, dict[str, Any]]


def compare_rows(orders: SortOrders, a: SortedRow, b: SortedRow) -> int:
    """``-1``/``0``/``1`` as ``a`` comes before, with or after ``b`` (a ``functools.cmp_to_key`` comparator)."""
    for (desc, missing), x, y in zip(orders, a[2], b[2], strict=True):
        if x is None or y is None:
            if x is None and y is None:
                continue
            last = missing != "_first"
            return (1 if last else -1) * (1 if x is None else -1)
        diff = (x > y) - (x < y)
        if diff:
            return -diff if desc else diff
    return (a[0] > b[0]) - (a[0] < b[0]) or (a[1] > b[1]) - (a[1] < b[1])
