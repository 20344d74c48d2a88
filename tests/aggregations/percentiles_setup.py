"""The setup shared by the ported ``180_percentiles_tdigest_metric.yml`` and
``420_percentile_ranks_tdigest_metric.yml``: four documents with 1, 51, 101, 151."""

from __future__ import annotations

from typing import Any

from retrievo import Engine


def build_engine() -> Engine:
    engine = Engine()
    engine.indices.create(
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
    for i, v in enumerate([1, 51, 101, 151], start=1):
        ops += [
            {"index": {"_index": "test_1", "_id": str(i)}},
            {"int_field": v, "double_field": float(v), "string_field": "foo"},
        ]
    engine.bulk(operations=ops, refresh=True)
    return engine
