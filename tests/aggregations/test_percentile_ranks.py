"""``percentile_ranks``: the port of Elasticsearch's ``search.aggregation/420_percentile_ranks_tdigest_metric.yml``.

Small buckets are answered by ES's exact cdf (``Dist.cdf``): the first sample counts half, later samples
below ``x`` one each, and ``x`` between two samples interpolates linearly. Over 1, 51, 101, 151:
rank(50) = (0.5 + 49/50) / 4 = 37 %, rank(99) = (1.5 + 48/50) / 4 = 61.5 % — the YAML's values.
"""

from __future__ import annotations

from typing import Any

import elasticsearch
import pytest

from percentiles_setup import build_engine
from retrievo import Engine


@pytest.fixture(scope="module")
def es() -> Engine:
    return build_engine()


def _both(values: list[float], **extra: Any) -> dict[str, Any]:
    return {
        "percentile_ranks_int": {"percentile_ranks": {"field": "int_field", "values": values, **extra}},
        "percentile_ranks_double": {"percentile_ranks": {"field": "double_field", "values": values, **extra}},
    }


def test_basic(es: Engine) -> None:
    r = es.search(index="test_1", size=0, aggs=_both([50, 99]), rest_total_hits_as_int=True)
    assert r["hits"]["total"] == 4
    for name in ("percentile_ranks_int", "percentile_ranks_double"):
        values = r["aggregations"][name]["values"]
        assert values["50.0"] == pytest.approx(37.0, abs=1e-9)
        assert values["99.0"] == pytest.approx(61.5, abs=1e-9)


def test_filtered(es: Engine) -> None:
    """50 is below every value of 51, 101, 151: ES's exact cdf answers 0 there (the stored YAML, written
    for the pre-8.9 AVL-tree digest, expects 16 +- 1 from that digest's extrapolation)."""
    r = es.search(index="test_1", size=0, query={"range": {"int_field": {"gte": 50}}}, aggs=_both([50]))
    assert r["hits"]["total"]["value"] == 3
    assert r["aggregations"]["percentile_ranks_int"]["values"] == {"50.0": 0.0}


def test_missing_field_with_missing_param(es: Engine) -> None:
    r = es.search(
        index="test_1",
        size=0,
        aggs={
            "percentile_ranks_missing": {"percentile_ranks": {"field": "missing", "missing": 1.0, "values": [50, 99]}}
        },
    )
    assert r["aggregations"]["percentile_ranks_missing"]["values"] == {"50.0": 100.0, "99.0": 100.0}


def test_missing_field_without_missing_param(es: Engine) -> None:
    r = es.search(index="test_1", size=0, aggs={"m": {"percentile_ranks": {"field": "missing", "values": [50, 99]}}})
    assert r["aggregations"]["m"] == {"values": {"50.0": None, "99.0": None}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"field": "int_field", "values": []}, "[values] must not be an empty array: [percentile_ranks_int]"),
        ({"field": "int_field", "values": None}, None),
        ({"field": "int_field", "values": ["foo"]}, None),
        ({"field": "string_field"}, "[values] must not be null: [percentile_ranks_int]"),
    ],
)
def test_invalid_params(es: Engine, body: dict[str, Any], message: str | None) -> None:
    with pytest.raises(elasticsearch.BadRequestError) as err:
        es.search(index="test_1", aggs={"percentile_ranks_int": {"percentile_ranks": body}})
    if message is not None:
        assert message in str(err.value)


def test_non_keyed(es: Engine) -> None:
    r = es.search(index="test_1", size=0, aggs=_both([99, 50], keyed=False))
    rows = r["aggregations"]["percentile_ranks_int"]["values"]
    assert [row["key"] for row in rows] == [50.0, 99.0]
    assert [row["value"] for row in rows] == pytest.approx([37.0, 61.5], abs=1e-9)


def test_ties_count_half() -> None:
    """Over 1, 1, 2, 3: rank(1) = (0.5 + 1 tie / 2) / 4 = 25 %, rank(3) = (4 - 1 / 2) / 4 = 87.5 %,
    above everything 100 %, below everything 0 %."""
    engine = Engine()
    engine.indices.create(index="t", mappings={"properties": {"n": {"type": "long"}}})
    ops: list[dict[str, Any]] = []
    for i, v in enumerate([1, 1, 2, 3]):
        ops += [{"index": {"_index": "t", "_id": str(i)}}, {"n": v}]
    engine.bulk(operations=ops, refresh=True)
    r = engine.search(
        index="t", size=0, typed_keys=True, aggs={"r": {"percentile_ranks": {"field": "n", "values": [0, 1, 3, 4]}}}
    )
    assert r["aggregations"]["tdigest_percentile_ranks#r"]["values"] == {
        "0.0": 0.0,
        "1.0": 25.0,
        "3.0": 87.5,
        "4.0": 100.0,
    }
