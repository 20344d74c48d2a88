"""Ports of Elasticsearch's ``search.aggregation/10_histogram.yml`` and ``360_date_histogram.yml``
(the cases on ``integer``/``date`` fields of one index), plus hand-computed checks of keys, offsets,
time zones, ``extended_bounds``, ``keyed`` and the ``search.max_buckets`` limit."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError, BadRequestError

from retrievo import Engine


def engine_with(properties: dict[str, Any], *docs: dict[str, Any], index: str = "test_1") -> Engine:
    e = Engine()
    e.indices.create(index=index, mappings={"properties": properties})
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(docs, 1):
        ops += [{"index": {"_index": index, "_id": str(i)}}, doc]
    if ops:
        e.bulk(operations=ops, refresh=True)
    return e


NUMBER = {"number": {"type": "integer"}, "date": {"type": "date"}}


def histo(e: Engine, spec: dict[str, Any], kind: str = "histogram", index: str = "test_1") -> list[dict[str, Any]]:
    resp = e.search(index=index, body={"size": 0, "aggs": {"histo": {kind: spec}}})
    return list(resp["aggregations"]["histo"]["buckets"])


def pairs(buckets: list[dict[str, Any]], key: str = "key") -> list[tuple[Any, int]]:
    return [(b[key], b["doc_count"]) for b in buckets]


def numbers(*values: int) -> Engine:
    return engine_with(NUMBER, *({"number": v} for v in values))


def test_basic() -> None:
    buckets = histo(numbers(1, 51, 101, 151), {"field": "number", "interval": 50})
    assert buckets == [
        {"key": 0.0, "doc_count": 1},
        {"key": 50.0, "doc_count": 1},
        {"key": 100.0, "doc_count": 1},
        {"key": 150.0, "doc_count": 1},
    ]
    assert all(type(b["key"]) is float for b in buckets)  # histogram keys are doubles


def test_format() -> None:
    buckets = histo(numbers(1, 51, 101, 151), {"field": "number", "interval": 50, "format": "Value is ##0.0"})
    assert [(b["key"], b["key_as_string"], b["doc_count"]) for b in buckets] == [
        (0.0, "Value is 0.0", 1),
        (50.0, "Value is 50.0", 1),
        (100.0, "Value is 100.0", 1),
        (150.0, "Value is 150.0", 1),
    ]


def test_show_empty_intervals() -> None:
    buckets = histo(numbers(1, 51, 61, 71), {"field": "number", "interval": 20})
    assert pairs(buckets) == [(0.0, 1), (20.0, 0), (40.0, 1), (60.0, 2)]


@pytest.mark.parametrize(("min_doc_count", "expected"), [(1, [(0.0, 1), (40.0, 1), (60.0, 2)]), (2, [(60.0, 2)])])
def test_min_doc_count(min_doc_count: int, expected: list[tuple[float, int]]) -> None:
    spec = {"field": "number", "interval": 20, "min_doc_count": min_doc_count}
    assert pairs(histo(numbers(1, 51, 61, 71), spec)) == expected


def test_extended_bounds() -> None:
    spec = {"field": "number", "interval": 50, "extended_bounds": {"min": 0, "max": 200}}
    assert pairs(histo(numbers(52, 51, 101, 150), spec)) == [(0.0, 0), (50.0, 2), (100.0, 1), (150.0, 1), (200.0, 0)]


def test_offset() -> None:
    """``histogram with offset and unmapped``, on the mapped index alone (the unmapped one adds nothing)."""
    spec = {"field": "number", "interval": 50, "offset": 20}
    assert pairs(histo(numbers(11, 51, 101, 151), spec)) == [(-30.0, 1), (20.0, 1), (70.0, 1), (120.0, 1)]


def test_missing_field_without_and_with_missing_param() -> None:
    e = engine_with(NUMBER, {"another_number": 11}, {"number": 51}, {"number": 101}, {"number": 151})
    assert pairs(histo(e, {"field": "number", "interval": 50})) == [(50.0, 1), (100.0, 1), (150.0, 1)]
    with_missing = histo(e, {"field": "number", "interval": 50, "missing": 0})
    assert pairs(with_missing) == [(0.0, 1), (50.0, 1), (100.0, 1), (150.0, 1)]


def test_profiler_case_buckets() -> None:
    """``histogram profiler``'s buckets (retrievo has no aggregation profile)."""
    e = engine_with({"n": {"type": "long"}}, {"n": "1"}, {"n": "2"}, {"n": "10"}, {"n": "17"}, index="test_2")
    assert pairs(histo(e, {"field": "n", "interval": 5}, index="test_2")) == [(0.0, 2), (5.0, 0), (10.0, 1), (15.0, 1)]


def test_tiny_tiny_tiny_range() -> None:
    with pytest.raises(ApiError) as err:
        histo(numbers(1, 2), {"field": "number", "interval": 5e-10})
    assert err.value.meta.status == 400
    assert "Trying to create too many buckets. Must be less than or equal to: [65536]" in str(err.value)
    assert err.value.body["error"]["caused_by"]["type"] == "too_many_buckets_exception"


def test_hard_bounds_clip_values_and_empty_buckets() -> None:
    """``hard_bounds`` hold bucket keys, both ends inclusive: 45's bucket (40) is kept, 55's (50) is not."""
    spec = {"field": "number", "interval": 10, "hard_bounds": {"min": 10, "max": 40}}
    assert pairs(histo(numbers(1, 15, 35, 45, 55), spec)) == [(10.0, 1), (20.0, 0), (30.0, 1), (40.0, 1)]
    wide = {
        "field": "number",
        "interval": 10,
        "hard_bounds": {"min": 0, "max": 80},
        "extended_bounds": {"min": 0, "max": 70},
    }
    assert [k for k, _ in pairs(histo(numbers(15), wide))] == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]


def test_keyed() -> None:
    e = numbers(1, 51)
    resp = e.search(
        index="test_1", size=0, aggs={"h": {"histogram": {"field": "number", "interval": 50, "keyed": True}}}
    )
    assert resp["aggregations"]["h"]["buckets"] == {
        "0.0": {"key": 0.0, "doc_count": 1},
        "50.0": {"key": 50.0, "doc_count": 1},
    }


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"field": "number", "interval": 0}, "[interval] must be >0 for histogram aggregation [histo]"),
        ({"field": "number"}, "[interval] must be >0 for histogram aggregation [histo]"),
    ],
)
def test_bad_interval(spec: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRequestError) as err:
        histo(numbers(1), spec)
    assert reason in str(err.value)


# -- date_histogram -------------------------------------------------------------------------------

JAN_TO_MARCH = ({"date": "2016-01-01"}, {"date": "2016-01-02"}, {"date": "2016-02-01"}, {"date": "2016-03-01"})


def test_date_histogram_month() -> None:
    e = engine_with({"date": {"type": "date"}}, *JAN_TO_MARCH, index="test_2")
    buckets = histo(e, {"field": "date", "calendar_interval": "month"}, "date_histogram", "test_2")
    assert buckets == [
        {"key_as_string": "2016-01-01T00:00:00.000Z", "key": 1451606400000, "doc_count": 2},
        {"key_as_string": "2016-02-01T00:00:00.000Z", "key": 1454284800000, "doc_count": 1},
        {"key_as_string": "2016-03-01T00:00:00.000Z", "key": 1456790400000, "doc_count": 1},
    ]


def test_date_histogram_with_offset() -> None:
    e = engine_with({"date": {"type": "date"}}, *JAN_TO_MARCH, index="test_2")
    buckets = histo(e, {"field": "date", "calendar_interval": "month", "offset": "+1d"}, "date_histogram", "test_2")
    assert pairs(buckets, "key_as_string") == [
        ("2015-12-02T00:00:00.000Z", 1),
        ("2016-01-02T00:00:00.000Z", 2),
        ("2016-02-02T00:00:00.000Z", 1),
    ]


def test_date_histogram_pre_epoch_dst_zone() -> None:
    e = engine_with(NUMBER, {"date": "2016-01-01"})
    buckets = histo(e, {"field": "date", "fixed_interval": "1ms", "time_zone": "America/Phoenix"}, "date_histogram")
    assert pairs(buckets, "key_as_string") == [("2015-12-31T17:00:00.000-07:00", 1)]


def test_date_histogram_extended_bounds_and_offset() -> None:
    """``date_histogram with extended_bounds and offset and unmapped`` without the nested wrapper."""
    e = engine_with(NUMBER, {"date": "2016-01-02"}, {"date": "2016-01-03"})
    spec = {
        "field": "date",
        "calendar_interval": "day",
        "offset": "1h",
        "extended_bounds": {"min": "2016-01-01", "max": "2016-01-04"},
    }
    assert pairs(histo(e, spec, "date_histogram"), "key_as_string") == [
        ("2016-01-01T01:00:00.000Z", 1),
        ("2016-01-02T01:00:00.000Z", 1),
        ("2016-01-03T01:00:00.000Z", 0),
        ("2016-01-04T01:00:00.000Z", 0),
    ]


JAKARTA_DATES = (
    "2021-05-01 20:00:00",
    "2021-05-01 21:30:00",
    "2021-05-01 23:54:00",
    "2021-05-01 23:40:00",
    "2021-05-01 22:20:00",
    "2021-05-01 21:20:00",
    "2021-05-01 23:50:00",
    "2021-05-01 22:15:00",
    "2021-05-01 22:40:00",
    "2021-05-01 22:20:00",
)


def test_date_histogram_time_zone_with_custom_format() -> None:
    e = engine_with(
        {"date": {"type": "date", "format": "yyyy-MM-dd HH:mm:ss"}},
        *({"date": d} for d in JAKARTA_DATES),
        index="date_histogram_timezone_test",
    )
    base = {"field": "date", "format": "yyyy-MM-dd HH:mm:ss", "calendar_interval": "hour"}
    resp = e.search(
        index="date_histogram_timezone_test",
        size=0,
        aggs={
            "yes_tz": {"date_histogram": {**base, "time_zone": "Asia/Jakarta"}},
            "no_tz": {"date_histogram": base},
        },
    )
    keys = [1619899200000, 1619902800000, 1619906400000, 1619910000000]
    yes, no = resp["aggregations"]["yes_tz"]["buckets"], resp["aggregations"]["no_tz"]["buckets"]
    assert [(b["key"], b["key_as_string"], b["doc_count"]) for b in yes] == [
        (keys[0], "2021-05-02 03:00:00", 1),
        (keys[1], "2021-05-02 04:00:00", 2),
        (keys[2], "2021-05-02 05:00:00", 4),
        (keys[3], "2021-05-02 06:00:00", 3),
    ]
    assert [(b["key"], b["key_as_string"], b["doc_count"]) for b in no] == [
        (keys[0], "2021-05-01 20:00:00", 1),
        (keys[1], "2021-05-01 21:00:00", 2),
        (keys[2], "2021-05-01 22:00:00", 4),
        (keys[3], "2021-05-01 23:00:00", 3),
    ]


def test_multi_value_date_histogram() -> None:
    e = engine_with({"date": {"type": "date"}}, {"date": ["2021-05-01", "2021-04-01", "2021-04-22"]}, index="h")
    resp = e.search(
        index="h",
        query={"match": {"date": "2021-04-01"}},
        aggs={"datehisto": {"date_histogram": {"field": "date", "calendar_interval": "1M"}}},
    )
    assert resp["hits"]["total"]["value"] == 1
    assert pairs(resp["aggregations"]["datehisto"]["buckets"], "key_as_string") == [
        ("2021-04-01T00:00:00.000Z", 1),
        ("2021-05-01T00:00:00.000Z", 1),
    ]


# -- hand-computed: calendar units across a DST change, weeks, quarters, fixed intervals ----------


def test_calendar_day_across_a_dst_change() -> None:
    """Europe/Berlin moved to summer time on 2021-03-28 02:00: that local day is 23 hours long, so its
    key is 2021-03-27T23:00Z and the next day's 2021-03-28T22:00Z."""
    e = engine_with(NUMBER, {"date": "2021-03-28T12:00:00Z"}, {"date": "2021-03-29T12:00:00Z"})
    spec = {"field": "date", "calendar_interval": "day", "time_zone": "Europe/Berlin"}
    buckets = histo(e, spec, "date_histogram")
    assert [(b["key"], b["key_as_string"]) for b in buckets] == [
        (1616886000000, "2021-03-28T00:00:00.000+01:00"),
        (1616968800000, "2021-03-29T00:00:00.000+02:00"),
    ]


def test_week_quarter_year_and_fixed() -> None:
    e = engine_with(NUMBER, {"date": "2021-01-01"}, {"date": "2021-05-19"}, {"date": "2022-02-03"})
    week = histo(e, {"field": "date", "calendar_interval": "week", "min_doc_count": 1}, "date_histogram")
    assert [b["key_as_string"] for b in week] == [
        "2020-12-28T00:00:00.000Z",  # the Monday before Friday 2021-01-01
        "2021-05-17T00:00:00.000Z",
        "2022-01-31T00:00:00.000Z",
    ]
    quarter = histo(e, {"field": "date", "calendar_interval": "quarter"}, "date_histogram")
    assert pairs(quarter, "key_as_string") == [
        ("2021-01-01T00:00:00.000Z", 1),
        ("2021-04-01T00:00:00.000Z", 1),
        ("2021-07-01T00:00:00.000Z", 0),
        ("2021-10-01T00:00:00.000Z", 0),
        ("2022-01-01T00:00:00.000Z", 1),
    ]
    year = histo(e, {"field": "date", "calendar_interval": "1y"}, "date_histogram")
    assert pairs(year, "key_as_string") == [("2021-01-01T00:00:00.000Z", 2), ("2022-01-01T00:00:00.000Z", 1)]
    fixed = histo(e, {"field": "date", "fixed_interval": "90d", "min_doc_count": 1}, "date_histogram")
    # 90-day buckets from the epoch: 2021-01-01 is day 18628 → bucket 206 starts on day 18540 (2020-10-05)
    assert fixed[0]["key_as_string"] == "2020-10-05T00:00:00.000Z"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"field": "date"}, "Invalid interval specified, must be non-null and non-empty"),
        (
            {"field": "date", "calendar_interval": "2d"},
            "The supplied interval [2d] could not be parsed as a calendar interval.",
        ),
        (
            {"field": "date", "calendar_interval": "1d", "fixed_interval": "1d"},
            "Cannot use [fixed_interval] with [calendar_interval] configuration option.",
        ),
    ],
)
def test_date_histogram_bad_intervals(spec: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRequestError) as err:
        histo(numbers(1), spec, "date_histogram")
    assert reason in str(err.value)


def test_legacy_interval_is_an_unknown_field() -> None:
    with pytest.raises(BadRequestError) as err:
        histo(numbers(1), {"field": "date", "interval": "1d"}, "date_histogram")
    assert "[date_histogram] unknown field [interval]" in str(err.value)


def test_date_histogram_hard_bounds_and_missing() -> None:
    """Keys (not values) are held to ``hard_bounds``, both ends inclusive: 2016-06-30's bucket is
    2016-06-01, inside; the document without a date counts under ``missing``'s month."""
    e = engine_with(
        NUMBER,
        *({"date": d} for d in ("2015-03-03", "2015-07-01", "2016-02-10", "2016-06-30", "2016-09-09")),
        {"number": 1},
    )
    spec = {
        "field": "date",
        "calendar_interval": "month",
        "hard_bounds": {"min": "2015-06-01", "max": "2016-06-01"},
        "missing": "2015-08-15",
    }
    buckets = histo(e, spec, "date_histogram")
    assert [(b["key_as_string"][:7], b["doc_count"]) for b in buckets] == [
        ("2015-07", 1),
        ("2015-08", 1),
        ("2015-09", 0),
        ("2015-10", 0),
        ("2015-11", 0),
        ("2015-12", 0),
        ("2016-01", 0),
        ("2016-02", 1),
        ("2016-03", 0),
        ("2016-04", 0),
        ("2016-05", 0),
        ("2016-06", 1),
    ]
