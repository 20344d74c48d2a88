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
