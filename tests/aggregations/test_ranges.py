"""Ports of Elasticsearch's ``search.aggregation/40_range.yml`` and ``41_date_range.yml`` (one index),
plus hand-computed checks of bounds (``from`` inclusive, ``to`` exclusive), range order and sub-aggregations."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(index="test", mappings={"properties": {"double": {"type": "double"}, "long": {"type": "long"}}})
    docs = [{"double": 42.1, "long": 25}, {"double": 100.7, "long": 80}, {"double": 50.5, "long": 75}, {}]
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(docs, 1):
        ops += [{"index": {"_index": "test", "_id": str(i)}}, doc]
    e.bulk(operations=ops, refresh=True)
    return e


def ranges_of(e: Engine, spec: dict[str, Any], index: str = "test", agg: str = "range") -> Any:
    resp = e.search(index=index, body={"size": 0, "aggs": {"r": {agg: spec}}})
    return resp["aggregations"]["r"]["buckets"]


THREE = [{"to": 50}, {"from": 50, "to": 150}, {"from": 150}]


def test_double_range(engine: Engine) -> None:
    assert ranges_of(engine, {"field": "double", "ranges": THREE}) == [
        {"key": "*-50.0", "to": 50.0, "doc_count": 1},
        {"key": "50.0-150.0", "from": 50.0, "to": 150.0, "doc_count": 2},
        {"key": "150.0-*", "from": 150.0, "doc_count": 0},
    ]


def test_double_range_with_missing_value(engine: Engine) -> None:
    buckets = ranges_of(engine, {"field": "double", "missing": 1000, "ranges": THREE})
    assert [b["doc_count"] for b in buckets] == [1, 2, 1]


def test_null_to_and_from(engine: Engine) -> None:
    spec = {"field": "double", "ranges": [{"from": None, "to": 50}, {"from": 50, "to": 150}, {"from": 150, "to": None}]}
    assert [(b["key"], b["doc_count"]) for b in ranges_of(engine, spec)] == [
        ("*-50.0", 1),
        ("50.0-150.0", 2),
        ("150.0-*", 0),
    ]


def test_range_on_long_field(engine: Engine) -> None:
    buckets = ranges_of(engine, {"field": "long", "ranges": THREE})
    assert [(b["key"], b.get("from"), b.get("to"), b["doc_count"]) for b in buckets] == [
        ("*-50.0", None, 50.0, 1),
        ("50.0-150.0", 50.0, 150.0, 2),
        ("150.0-*", 150.0, None, 0),
    ]


def test_keyed_response(engine: Engine) -> None:
    spec = {
        "field": "double",
        "keyed": True,
        "ranges": [{"key": "first", "to": 50}, {"key": "another", "from": 50, "to": 150}, {"key": "last", "from": 150}],
    }
    assert ranges_of(engine, spec) == {
        "first": {"to": 50.0, "doc_count": 1},
        "another": {"from": 50.0, "to": 150.0, "doc_count": 2},
        "last": {"from": 150.0, "doc_count": 0},
    }


def test_bounds_and_order_by_hand(engine: Engine) -> None:
    """``to`` is exclusive and ``from`` inclusive (42.1 is in [42.1, 50.5) but not in [0, 42.1));
    buckets come sorted by ``from`` then ``to``, whatever the request order."""
    spec = {"field": "double", "ranges": [{"from": 42.1, "to": 50.5}, {"from": 0, "to": 42.1}, {"from": 0, "to": 200}]}
    buckets = ranges_of(engine, spec)
    assert [(b["key"], b["doc_count"]) for b in buckets] == [("0.0-42.1", 0), ("0.0-200.0", 3), ("42.1-50.5", 1)]


def test_sub_aggregations_per_range(engine: Engine) -> None:
    resp = engine.search(
        index="test",
        size=0,
        aggs={
            "r": {
                "range": {"field": "long", "ranges": [{"to": 50}, {"from": 50}]},
                "aggs": {"a": {"avg": {"field": "double"}}},
            }
        },
    )
    assert [b["a"]["value"] for b in resp["aggregations"]["r"]["buckets"]] == [42.1, (100.7 + 50.5) / 2]


def test_no_ranges(engine: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        ranges_of(engine, {"field": "double"})
    assert "No [ranges] specified for the [r] aggregation" in str(err.value)


# -- 41_date_range ----------------------------------------------------------------------------------


def epoch_second_engine(*dates: Any) -> Engine:
    e = Engine()
    e.indices.create(index="old_test", mappings={"properties": {"date": {"type": "date", "format": "epoch_second"}}})
    ops: list[dict[str, Any]] = []
    for i, d in enumerate(dates, 1):
        ops += [
            {"index": {"_index": "old_test", "_id": str(i)}},
            {"date": d} if d is not None else {"ip": "192.168.0.1"},
        ]
    e.bulk(operations=ops, refresh=True)
    return e


def test_date_range() -> None:
    e = epoch_second_engine(1000, 2000, 3000)
    spec = {"field": "date", "ranges": [{"from": 1000, "to": 3000}, {"from": 3000, "to": 4000}]}
    buckets = ranges_of(e, spec, "old_test", "date_range")
    assert [(b["key"], b["from"], b["to"], b["doc_count"]) for b in buckets] == [
        ("1000-3000", 1000000.0, 3000000.0, 2),
        ("3000-4000", 3000000.0, 4000000.0, 1),
    ]
    assert (buckets[0]["from_as_string"], buckets[0]["to_as_string"]) == ("1000", "3000")


def test_date_range_missing() -> None:
    e = epoch_second_engine("28800000000", "315561600000", "631180800000", "10000", None)
    spec = {
        "field": "date",
        "missing": "0",
        "ranges": [
            {"key": "Generation Y", "from": "315561600000", "to": "946713600000"},
            {"key": "Generation X", "from": "200000", "to": "315561600000"},
            {"key": "Other", "to": "200000"},
        ],
    }
    resp = e.search(index="old_test", body={"aggs": {"age_groups": {"date_range": spec}}})
    assert resp["hits"]["total"]["value"] == 5
    buckets = resp["aggregations"]["age_groups"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in buckets] == [("Other", 2), ("Generation X", 1), ("Generation Y", 2)]


def test_date_range_unmapped_with_children() -> None:
    e = Engine()
    e.indices.create(index="test_a_unmapped")
    resp = e.search(
        index="test_a_unmapped",
        body={
            "size": 0,
            "query": {"terms": {"animal": []}},
            "aggs": {
                "date_range": {
                    "date_range": {"field": "date", "ranges": [{"from": "2020-01-01T00:00:00Z"}]},
                    "aggs": {"sounds": {"cardinality": {"field": "sound.keyword"}}},
                }
            },
        },
    )
    assert resp["hits"]["total"]["value"] == 0
    buckets = resp["aggregations"]["date_range"]["buckets"]
    assert len(buckets) == 1
    assert (buckets[0]["key"], buckets[0]["doc_count"]) == ("2020-01-01T00:00:00.000Z-*", 0)
    assert "to" not in buckets[0]
    assert buckets[0]["sounds"]["value"] == 0


def test_date_range_date_math_and_time_zone() -> None:
    e = Engine()
    e.indices.create(index="d", mappings={"properties": {"date": {"type": "date"}}})
    e.index(index="d", id="1", document={"date": "2020-03-08T06:15:00Z"})
    e.index(index="d", id="2", document={"date": "2020-03-08T07:15:00Z"}, refresh=True)
    spec = {
        "field": "date",
        "time_zone": "-07:00",
        "ranges": [{"to": "2020-03-08T00:00:00||/d"}, {"from": "2020-03-08||/d"}],
    }
    buckets = ranges_of(e, spec, "d", "date_range")
    # local midnight at -07:00 is 07:00Z: the 06:15Z document is on the day before
    assert [(b["key"], b["doc_count"]) for b in buckets] == [
        ("*-2020-03-08T00:00:00.000-07:00", 1),
        ("2020-03-08T00:00:00.000-07:00-*", 1),
    ]
