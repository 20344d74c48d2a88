"""``cardinality``: the port of Elasticsearch's ``search.aggregation/170_cardinality_metric.yml`` plus
counts above the linear-counting threshold checked against a scalar model of ES's collector."""

from __future__ import annotations

from typing import Any

import elasticsearch
import pytest

from retrievo import Engine


@pytest.fixture(scope="module")
def es() -> Engine:
    """The YAML file's setup: four documents, one keyword value shared by all."""
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


def _three(precision_threshold: int | None = None) -> dict[str, Any]:
    extra = {} if precision_threshold is None else {"precision_threshold": precision_threshold}
    return {
        "distinct_int": {"cardinality": {"field": "int_field", **extra}},
        "distinct_double": {"cardinality": {"field": "double_field", **extra}},
        "distinct_string": {"cardinality": {"field": "string_field", **extra}},
    }


@pytest.mark.parametrize("threshold", [None, 100])
def test_basic(es: Engine, threshold: int | None) -> None:
    r = es.search(index="test_1", aggs=_three(threshold), rest_total_hits_as_int=True)
    assert r["hits"]["total"] == 4
    assert len(r["hits"]["hits"]) == 4
    aggs = r["aggregations"]
    assert aggs["distinct_int"] == {"value": 4}
    assert aggs["distinct_double"] == {"value": 4}
    assert aggs["distinct_string"] == {"value": 1}


def test_only_aggs(es: Engine) -> None:
    r = es.search(index="test_1", size=0, aggs=_three(), rest_total_hits_as_int=True)
    assert r["hits"]["total"] == 4 and r["hits"]["hits"] == []
    assert [r["aggregations"][k]["value"] for k in ("distinct_int", "distinct_double", "distinct_string")] == [4, 4, 1]


def test_filtered(es: Engine) -> None:
    r = es.search(
        index="test_1",
        query={"constant_score": {"filter": {"range": {"int_field": {"gte": 50}}}}},
        aggs=_three(),
        rest_total_hits_as_int=True,
    )
    assert r["hits"]["total"] == 3
    assert [r["aggregations"][k]["value"] for k in ("distinct_int", "distinct_double", "distinct_string")] == [3, 3, 1]


def test_missing_field_with_missing_param(es: Engine) -> None:
    r = es.search(
        index="test_1", aggs={"distinct_missing": {"cardinality": {"field": "missing_field", "missing": "foo"}}}
    )
    assert r["aggregations"]["distinct_missing"]["value"] == 1


def test_missing_field_without_missing_param(es: Engine) -> None:
    r = es.search(index="test_1", aggs={"distinct_missing": {"cardinality": {"field": "missing_field"}}})
    assert r["aggregations"]["distinct_missing"] == {"value": 0}


def test_metadata(es: Engine) -> None:
    r = es.search(
        index="test_1", aggs={"distinct_missing": {"meta": {"foo": "bar"}, "cardinality": {"field": "int_field"}}}
    )
    assert r["aggregations"]["distinct_missing"]["value"] == 4
    assert r["aggregations"]["distinct_missing"]["meta"] == {"foo": "bar"}


def test_invalid_precision(es: Engine) -> None:
    with pytest.raises(elasticsearch.BadRequestError) as err:
        es.search(
            index="test_1", aggs={"distinct_int": {"cardinality": {"field": "int_field", "precision_threshold": -1}}}
        )
    assert "[precisionThreshold] must be greater than or equal to 0. Found [-1] in [distinct_int]" in str(err.value)


def test_typed_keys_and_unknown_field(es: Engine) -> None:
    r = es.search(index="test_1", size=0, typed_keys=True, aggs={"c": {"cardinality": {"field": "int_field"}}})
    assert r["aggregations"] == {"cardinality#c": {"value": 4}}
    for bad in ("precision", "format"):  # cardinality is not formattable in ES: format is an unknown field
        with pytest.raises(elasticsearch.BadRequestError) as err:
            es.search(index="test_1", aggs={"c": {"cardinality": {"field": "int_field", bad: 3}}})
        assert f"unknown field [{bad}]" in str(err.value)


def test_missing_fills_documents_without_a_value() -> None:
    """``missing`` is one more distinct value only when some document lacks the field."""
    engine = Engine()
    engine.indices.create(index="m", mappings={"properties": {"k": {"type": "keyword"}, "n": {"type": "long"}}})
    engine.bulk(
        operations=[
            {"index": {"_index": "m", "_id": "1"}},
            {"k": "a", "n": 1},
            {"index": {"_index": "m", "_id": "2"}},
            {},
        ],
        refresh=True,
    )
    aggs = {
        "k": {"cardinality": {"field": "k", "missing": "zz"}},
        "k_same": {"cardinality": {"field": "k", "missing": "a"}},
        "n": {"cardinality": {"field": "n", "missing": 7}},
    }
    r = engine.search(index="m", size=0, aggs=aggs)
    assert {k: v["value"] for k, v in r["aggregations"].items()} == {"k": 2, "k_same": 1, "n": 2}


def test_above_the_threshold_uses_hyperloglog_as_es_does() -> None:
    """3001 distinct terms with ``precision_threshold: 100`` (precision 10, linear counting up to 192
    hashes) is an HLL estimate; it must equal the scalar model of ES's collector (tests/aggregations/
    hll_model.py), and as an estimate it is near but not equal to 3001."""
    from hll_model import es_cardinality
    from retrievo.aggregations.murmur3 import hash_strings

    engine = Engine()
    engine.indices.create(index="big", mappings={"properties": {"k": {"type": "keyword"}}})
    terms = [f"term-{i}" for i in range(3001)]
    ops: list[dict[str, Any]] = []
    for i, t in enumerate(terms):
        ops += [{"index": {"_index": "big", "_id": str(i)}}, {"k": t}]
    engine.bulk(operations=ops, refresh=True)
    r = engine.search(index="big", size=0, aggs={"c": {"cardinality": {"field": "k", "precision_threshold": 100}}})
    value = r["aggregations"]["c"]["value"]
    expected = es_cardinality([int(h) for h in hash_strings(terms)], 10)
    assert value == expected
    assert value != 3001 and abs(value - 3001) < 0.1 * 3001
    exact = engine.search(
        index="big", size=0, aggs={"c": {"cardinality": {"field": "k", "precision_threshold": 40000}}}
    )
    assert exact["aggregations"]["c"]["value"] == 3001


def test_value_sources_hash_as_es_does() -> None:
    """A ``float`` field's values are float32 doc values (0.1 and 0.1000000001 are one float), dates and
    booleans count as longs, a text field is refused as ES refuses it without fielddata."""
    engine = Engine()
    engine.indices.create(
        index="v",
        mappings={
            "properties": {
                "f": {"type": "float"},
                "d": {"type": "double"},
                "t": {"type": "date"},
                "b": {"type": "boolean"},
                "x": {"type": "text"},
            }
        },
    )
    docs = [
        {"f": 0.1, "d": 0.1, "t": "2020-01-01", "b": True, "x": "a"},
        {"f": 0.1000000001, "d": 0.1000000001, "t": "2020-01-01T00:00:00Z", "b": False, "x": "b"},
        {"f": 0.5, "d": 0.5, "t": "2020-01-02", "b": True, "x": "c"},
    ]
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(docs):
        ops += [{"index": {"_index": "v", "_id": str(i)}}, doc]
    engine.bulk(operations=ops, refresh=True)
    aggs = {name: {"cardinality": {"field": name}} for name in ("f", "d", "t", "b")}
    r = engine.search(index="v", size=0, aggs=aggs)
    assert {k: v["value"] for k, v in r["aggregations"].items()} == {"f": 2, "d": 3, "t": 2, "b": 2}
    with pytest.raises(elasticsearch.BadRequestError) as err:
        engine.search(index="v", size=0, aggs={"x": {"cardinality": {"field": "x"}}})
    assert "set fielddata=true on [x]" in str(err.value)


def test_missing_date_is_parsed_with_the_field_format() -> None:
    engine = Engine()
    engine.indices.create(index="dm", mappings={"properties": {"t": {"type": "date"}}})
    engine.bulk(
        operations=[
            {"index": {"_index": "dm", "_id": "1"}},
            {"t": "2020-01-01"},
            {"index": {"_index": "dm", "_id": "2"}},
            {},
        ],
        refresh=True,
    )
    aggs = {
        "same": {"cardinality": {"field": "t", "missing": "2020-01-01T00:00:00Z"}},
        "other": {"cardinality": {"field": "t", "missing": "2021-06-01"}},
        "millis": {"cardinality": {"field": "t", "missing": 1577836800000}},
    }
    r = engine.search(index="dm", size=0, aggs=aggs)
    assert {k: v["value"] for k, v in r["aggregations"].items()} == {"same": 1, "other": 2, "millis": 1}
