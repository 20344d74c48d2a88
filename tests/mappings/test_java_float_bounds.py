"""Bounds Elasticsearch compares as Java floats, not doubles.

* A ``range`` bound on a ``float``/``half_float`` field is parsed with ``Float.parseFloat``:
  ``-3.4028235E38`` is exactly ``-Float.MAX_VALUE``, so ``gt`` excludes a value stored there and ``gte``
  includes it (Elasticsearch's ``search/...`` range tests on float limits).
* ``int8_hnsw``'s ``confidence_interval`` is checked against ``0.9f``: ``0.9`` itself is accepted.
"""

from __future__ import annotations

import numpy as np
import pytest

from retrievo import Engine

FLOAT_MAX = float(np.finfo(np.float32).max)  # 3.4028234663852886e38, printed by Java as 3.4028235E38


@pytest.fixture()
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="f", mappings={"properties": {"x": {"type": "float"}, "h": {"type": "half_float"}}})
    engine.index(index="f", id="low", document={"x": -FLOAT_MAX, "h": -1.5})
    engine.index(index="f", id="high", document={"x": FLOAT_MAX, "h": 1.5}, refresh=True)
    return engine


def _ids(es: Engine, rng: dict[str, object]) -> list[str]:
    resp = es.search(index="f", query={"range": rng}, sort=["_doc"])
    return [h["_id"] for h in resp["hits"]["hits"]]


def test_float_range_bounds_are_java_floats(es: Engine) -> None:
    assert _ids(es, {"x": {"gt": -3.4028235e38}}) == ["high"]
    assert _ids(es, {"x": {"gte": "-3.4028235E38"}}) == ["low", "high"]
    assert _ids(es, {"x": {"lt": 3.4028235e38}}) == ["low"]
    assert _ids(es, {"x": {"lte": 3.4028235e38}}) == ["low", "high"]


def test_half_float_range_bounds(es: Engine) -> None:
    assert _ids(es, {"h": {"gt": 1.5}}) == []
    assert _ids(es, {"h": {"gte": 1.5}}) == ["high"]
    assert _ids(es, {"h": {"gt": -1.5, "lt": 1.5}}) == []


@pytest.mark.parametrize("value, accepted", [(0.9, True), (1.0, True), (0.8999, False), (1.0001, False)])
def test_int8_confidence_interval_is_compared_as_a_float(value: float, accepted: bool) -> None:
    es = Engine()
    mapping = {
        "properties": {
            "v": {
                "type": "dense_vector",
                "dims": 3,
                "index_options": {"type": "int8_hnsw", "confidence_interval": value},
            }
        }
    }
    if accepted:
        es.indices.create(index="v", mappings=mapping)
        options = es.indices.get_mapping(index="v")["v"]["mappings"]["properties"]["v"]["index_options"]
        assert options["confidence_interval"] == value
    else:
        with pytest.raises(Exception) as failed:
            es.indices.create(index="v", mappings=mapping)
        assert getattr(failed.value, "status_code", None) == 400
        assert "confidenceInterval must be between 0.9 and 1.0" in str(failed.value)
