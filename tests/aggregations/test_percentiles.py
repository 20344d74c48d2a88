"""``percentiles``: the port of Elasticsearch's ``search.aggregation/180_percentiles_tdigest_metric.yml``.

Elasticsearch 8.9+ answers small buckets exactly (its default hybrid digest keeps every sample below
``20 * compression`` of them) by linear interpolation at rank ``q * (n - 1)``; the expected values below are
that formula worked by hand on 1, 51, 101, 151 (step 50 between ranks). The YAML file stored in the
reference predates the hybrid digest (it expects the AVL-tree digest's 26.0 at the 25th percentile, where
8.9+ gives 38.5), so its structure is ported and its numbers recomputed.
"""

from __future__ import annotations

from typing import Any

import elasticsearch
import pytest

from percentiles_setup import build_engine
from retrievo import Engine

DEFAULT_KEYS = ["1.0", "5.0", "25.0", "50.0", "75.0", "95.0", "99.0"]
# rank q*3 over [1, 51, 101, 151]: 1 + 50 * rank below 1, and so on
ALL_FOUR = [2.5, 8.5, 38.5, 76.0, 113.5, 143.5, 149.5]
# rank q*2 over [51, 101, 151]
LAST_THREE = [52.0, 56.0, 76.0, 101.0, 126.0, 146.0, 150.0]


@pytest.fixture(scope="module")
def es() -> Engine:
    return build_engine()


def _values(result: dict[str, Any]) -> list[float]:
    return [result["values"][k] for k in DEFAULT_KEYS]


def _both(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "percentiles_int": {"percentiles": {"field": "int_field", **(extra or {})}},
        "percentiles_double": {"percentiles": {"field": "double_field", **(extra or {})}},
    }


@pytest.mark.parametrize("extra", [None, {"tdigest": {"compression": 200}}])
def test_basic(es: Engine, extra: dict[str, Any] | None) -> None:
    r = es.search(index="test_1", aggs=_both(extra), rest_total_hits_as_int=True)
    assert r["hits"]["total"] == 4 and len(r["hits"]["hits"]) == 4
    for name in ("percentiles_int", "percentiles_double"):
        assert list(r["aggregations"][name]["values"]) == DEFAULT_KEYS
        assert _values(r["aggregations"][name]) == pytest.approx(ALL_FOUR, abs=1e-9)


def test_only_aggs(es: Engine) -> None:
    r = es.search(index="test_1", size=0, aggs=_both(), rest_total_hits_as_int=True)
    assert r["hits"]["hits"] == []
    assert _values(r["aggregations"]["percentiles_int"]) == pytest.approx(ALL_FOUR, abs=1e-9)


def test_filtered(es: Engine) -> None:
    r = es.search(
        index="test_1",
        query={"constant_score": {"filter": {"range": {"int_field": {"gte": 50}}}}},
        aggs=_both(),
        rest_total_hits_as_int=True,
    )
    assert r["hits"]["total"] == 3
    for name in ("percentiles_int", "percentiles_double"):
        assert _values(r["aggregations"][name]) == pytest.approx(LAST_THREE, abs=1e-9)


def test_missing_field_with_missing_param(es: Engine) -> None:
    r = es.search(
        index="test_1", aggs={"percentiles_missing": {"percentiles": {"field": "missing_field", "missing": 1.0}}}
    )
    assert _values(r["aggregations"]["percentiles_missing"]) == [1.0] * 7


def test_missing_field_without_missing_param(es: Engine) -> None:
    r = es.search(index="test_1", aggs={"percentiles_missing": {"percentiles": {"field": "missing_field"}}})
    result = r["aggregations"]["percentiles_missing"]
    assert "value" not in result
    assert result == {"values": dict.fromkeys(DEFAULT_KEYS)}  # an empty digest prints nulls


def test_metadata(es: Engine) -> None:
    r = es.search(
        index="test_1", aggs={"percentiles_int": {"meta": {"foo": "bar"}, "percentiles": {"field": "int_field"}}}
    )
    assert r["aggregations"]["percentiles_int"]["meta"] == {"foo": "bar"}
    assert _values(r["aggregations"]["percentiles_int"]) == pytest.approx(ALL_FOUR, abs=1e-9)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"field": "int_field", "tdigest": {"compression": -1}},
            "[compression] must be greater than or equal to 0. Found [-1.0]",
        ),
        ({"field": "int_field", "percents": []}, "[percents] must not be an empty array: [percentiles_int]"),
        ({"field": "int_field", "percents": None}, None),
        ({"field": "int_field", "percents": ["foo"]}, None),
        (
            {"field": "string_field"},
            "Field [string_field] of type [keyword] is not supported for aggregation [percentiles]",
        ),
        ({"field": "int_field", "percents": [101]}, "percent must be in [0,100], got [101.0]: [percentiles_int]"),
        ({"field": "int_field", "hdr": {}}, "is not supported in retrievo"),
        ({"field": "int_field", "tdigest": {"execution_hint": "high_accuracy"}}, "is not supported in retrievo"),
    ],
)
def test_invalid_params(es: Engine, body: dict[str, Any], message: str | None) -> None:
    with pytest.raises(elasticsearch.BadRequestError) as err:
        es.search(index="test_1", aggs={"percentiles_int": {"percentiles": body}})
    assert err.value.meta.status == 400
    if message is not None:
        assert message in str(err.value)


def test_explicit_percents(es: Engine) -> None:
    r = es.search(index="test_1", aggs=_both({"percents": [50.0, 5.0, 25.0]}))
    for name in ("percentiles_int", "percentiles_double"):
        values = r["aggregations"][name]["values"]
        assert list(values) == ["5.0", "25.0", "50.0"]  # ES sorts the requested percents
        assert [values[k] for k in values] == pytest.approx([8.5, 38.5, 76.0], abs=1e-9)


def test_non_keyed(es: Engine) -> None:
    r = es.search(
        index="test_1",
        aggs={
            "percentiles_int": {"percentiles": {"field": "int_field", "percents": [5.0, 25.0, 50.0], "keyed": False}}
        },
    )
    rows = r["aggregations"]["percentiles_int"]["values"]
    assert [row["key"] for row in rows] == [5.0, 25.0, 50.0]
    assert [row["value"] for row in rows] == pytest.approx([8.5, 38.5, 76.0], abs=1e-9)


def test_typed_keys(es: Engine) -> None:
    r = es.search(
        index="test_1", size=0, typed_keys=True, aggs={"p": {"percentiles": {"field": "int_field", "percents": [50]}}}
    )
    assert r["aggregations"] == {"tdigest_percentiles#p": {"values": {"50.0": 76.0}}}


def test_date_field_prints_as_string() -> None:
    engine = Engine()
    engine.indices.create(index="d", mappings={"properties": {"t": {"type": "date"}}})
    engine.bulk(
        operations=[
            {"index": {"_index": "d", "_id": "1"}},
            {"t": "2020-01-01T00:00:00Z"},
            {"index": {"_index": "d", "_id": "2"}},
            {"t": "2020-01-03T00:00:00Z"},
        ],
        refresh=True,
    )
    r = engine.search(index="d", size=0, aggs={"p": {"percentiles": {"field": "t", "percents": [50]}}})
    # the midpoint of the two instants: 2020-01-02
    assert r["aggregations"]["p"]["values"] == {"50.0": 1577923200000.0, "50.0_as_string": "2020-01-02T00:00:00.000Z"}


def test_numeric_format_prints_as_string(es: Engine) -> None:
    """A DecimalFormat ``format`` adds ``<key>_as_string`` (keyed) or ``value_as_string`` (not keyed)."""
    body = {"field": "int_field", "percents": [25, 50], "format": "0.00"}
    r = es.search(index="test_1", aggs={"p": {"percentiles": body}})
    assert r["aggregations"]["p"]["values"] == {
        "25.0": 38.5,
        "25.0_as_string": "38.50",
        "50.0": 76.0,
        "50.0_as_string": "76.00",
    }
    r = es.search(index="test_1", aggs={"p": {"percentiles": {**body, "keyed": False}}})
    assert r["aggregations"]["p"]["values"] == [
        {"key": 25.0, "value": 38.5, "value_as_string": "38.50"},
        {"key": 50.0, "value": 76.0, "value_as_string": "76.00"},
    ]
