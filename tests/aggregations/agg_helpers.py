"""Helpers of the aggregation tests (a module of its own: ``conftest`` names collide across test folders)."""

from __future__ import annotations

from typing import Any

from retrievo import Engine

#: The four documents of the metric YAML files' setup (100_avg … 160_extended_stats).
METRIC_VALUES = (1, 51, 101, 151)


def build_metric_engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="test_1",
        mappings={
            "properties": {
                "int_field": {"type": "integer"},
                "double_field": {"type": "double"},
                "string_field": {"type": "keyword"},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for i, v in enumerate(METRIC_VALUES, 1):
        ops += [
            {"index": {"_index": "test_1", "_id": str(i)}},
            {"int_field": v, "double_field": float(v), "string_field": "foo"},
        ]
    e.bulk(operations=ops, refresh=True)
    return e


def aggs_of(e: Engine, index: str, aggs: dict[str, Any], **body: Any) -> dict[str, Any]:
    """The ``aggregations`` object of a search with ``aggs``."""
    resp = e.search(index=index, body={"aggs": aggs, **body})
    return dict(resp["aggregations"])


def load_rows(
    e: Engine, index: str, mappings: dict[str, Any], rows: list[dict[str, Any]], settings: dict[str, Any] | None = None
) -> None:
    """``rows`` (each with its ``id``) bulk-indexed into a new index."""
    e.indices.create(index=index, mappings=mappings, settings=settings or {})
    ops: list[dict[str, Any]] = []
    for r in rows:
        ops += [{"index": {"_index": index, "_id": r["id"]}}, {k: v for k, v in r.items() if k != "id"}]
    e.bulk(operations=ops, refresh=True)


def sharded_and_split(
    mappings: dict[str, Any], rows: list[dict[str, Any]], shard_of: dict[str, int], shards: int
) -> Engine:
    """``rows`` as index ``all`` with ``shards`` shards, and each shard's rows as an index ``s<n>`` of its own:
    a search over ``s0,s1,…`` reduces what the sharded index reduces."""
    e = Engine()
    load_rows(e, "all", mappings, rows, {"number_of_shards": shards})
    for s in range(shards):
        load_rows(e, f"s{s}", mappings, [r for r in rows if shard_of[r["id"]] == s])
    return e
