"""Sort options ``format`` and ``numeric_type``.

Ports ``search/630_format_sort_missing_dates.yml`` whole, and of ``search/95_sort_mixed_numeric_types.yml``
what one index can show (its four-index cases are in ``tests/multi_index/test_multi_index_sort.py``). The expected
values of the other cases are worked out by hand from the indexed documents.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

LONG_MAX = 9223372036854775807


def _sorts(es: Engine, index: str, sort: list[Any], **kw: Any) -> list[tuple[str, list[Any]]]:
    hits = es.search(index=index, size=kw.pop("size", 10), sort=sort, **kw)["hits"]["hits"]
    return [(h["_id"], h["sort"]) for h in hits]


# ------------------------------------------------------------- 630_format_sort_missing_dates.yml


@pytest.fixture(scope="module")
def dates() -> Engine:
    es = Engine()
    es.indices.create(
        index="test_missing_dates",
        mappings={
            "properties": {
                "timestamp": {"type": "date", "format": "yyyy-MM-dd HH:mm:ss.SSS"},
                "name": {"type": "keyword"},
            }
        },
    )
    es.bulk(
        index="test_missing_dates",
        refresh=True,
        operations=[
            {"index": {"_id": "1"}},
            {"timestamp": "2021-10-13 00:30:04.828", "name": "with_date_1"},
            {"index": {"_id": "2"}},
            {"name": "missing_date"},
            {"index": {"_id": "3"}},
            {"timestamp": "2021-06-11 04:30:04.828", "name": "with_date_2"},
        ],
    )
    es.indices.create(
        index="test_missing_date_nanos",
        mappings={
            "properties": {
                "timestamp": {"type": "date_nanos", "format": "yyyy-MM-dd HH:mm:ss.SSSSSS"},
                "name": {"type": "keyword"},
            }
        },
    )
    es.bulk(
        index="test_missing_date_nanos",
        refresh=True,
        operations=[
            {"index": {"_id": "1"}},
            {"timestamp": "2021-10-13 00:30:04.828123", "name": "with_date_1"},
            {"index": {"_id": "2"}},
            {"name": "missing_date"},
            {"index": {"_id": "3"}},
            {"timestamp": "2021-06-11 04:30:04.828456", "name": "with_date_2"},
        ],
    )
    return es


NANOS_FMT = "strict_date_optional_time_nanos"


def test_630_format_sort_values_for_missing_dates(dates: Engine) -> None:
    idx = "test_missing_dates"
    early, late = "2021-06-11T04:30:04.828Z", "2021-10-13T00:30:04.828Z"
    asc_last = [{"timestamp": {"order": "asc", "format": NANOS_FMT, "missing": "_last"}}]
    assert _sorts(dates, idx, asc_last, size=3) == [("3", [early]), ("1", [late]), ("2", [None])]
    desc_last = [{"timestamp": {"order": "desc", "format": NANOS_FMT, "missing": "_last"}}]
    assert _sorts(dates, idx, desc_last, size=3) == [("1", [late]), ("3", [early]), ("2", [None])]
    asc_first = [{"timestamp": {"order": "asc", "format": NANOS_FMT, "missing": "_first"}}]
    assert _sorts(dates, idx, asc_first, size=3) == [("2", [None]), ("3", [early]), ("1", [late])]
    millis = [{"timestamp": {"order": "asc", "format": "epoch_millis", "missing": "_last"}}]
    assert _sorts(dates, idx, millis, size=3) == [("3", ["1623385804828"]), ("1", ["1634085004828"]), ("2", [None])]


def test_630_format_sort_values_for_missing_date_nanos(dates: Engine) -> None:
    idx = "test_missing_date_nanos"
    early, late = "2021-06-11T04:30:04.828456Z", "2021-10-13T00:30:04.828123Z"
    asc_last = [{"timestamp": {"order": "asc", "format": NANOS_FMT, "missing": "_last"}}]
    assert _sorts(dates, idx, asc_last, size=3) == [("3", [early]), ("1", [late]), ("2", [None])]
    desc_first = [{"timestamp": {"order": "desc", "format": NANOS_FMT, "missing": "_first"}}]
    assert _sorts(dates, idx, desc_first, size=3) == [("2", [None]), ("1", [late]), ("3", [early])]


def test_format_drives_search_after_and_a_custom_pattern(dates: Engine) -> None:
    idx = "test_missing_dates"
    sort = [{"timestamp": {"order": "asc", "format": "yyyy/MM/dd"}}]
    assert _sorts(dates, idx, sort) == [("3", ["2021/06/11"]), ("1", ["2021/10/13"]), ("2", [None])]
    # the search_after value is read with the sort's format (DocValueFormat.DateTime.parseLong)
    assert _sorts(dates, idx, sort, search_after=["2021/07/01"]) == [("1", ["2021/10/13"]), ("2", [None])]
    # without a format the values stay epoch millis
    assert _sorts(dates, idx, [{"timestamp": "asc"}]) == [
        ("3", [1623385804828]),
        ("1", [1634085004828]),
        ("2", [LONG_MAX]),
    ]


def test_format_errors(dates: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        dates.search(index="test_missing_dates", sort=[{"name": {"format": "yyyy"}}])
    assert (
        err.value.body["error"]["root_cause"][0]["reason"]
        == "Field [name] of type [keyword] does not support custom formats"
    )


# ------------------------------------------------------------------------------- numeric_type


@pytest.fixture(scope="module")
def numbers() -> Engine:
    es = Engine()
    es.indices.create(
        index="nums",
        mappings={
            "properties": {
                "i": {"type": "integer"},
                "d": {"type": "double"},
                "t": {"type": "date"},
                "n": {"type": "date_nanos"},
                "k": {"type": "keyword"},
            }
        },
    )
    docs = {
        "a": {"i": 11, "d": 2.75, "t": "2021-06-11T04:30:04.828Z", "n": "2021-06-11T04:30:04.828456789Z", "k": "x"},
        "b": {"i": 3, "d": -1.5, "t": "2021-06-11T04:30:04.829Z", "n": "2021-06-11T04:30:04.828999999Z"},
        "c": {},
    }
    for doc_id, doc in docs.items():
        es.index(index="nums", id=doc_id, document=doc)
    es.indices.refresh(index="nums")
    return es


def test_numeric_type_double_on_an_integer_field(numbers: Engine) -> None:
    got = _sorts(numbers, "nums", [{"i": {"numeric_type": "double"}}])
    assert got == [("b", [3.0]), ("a", [11.0]), ("c", [float("inf")])]
    assert all(isinstance(v[0], float) for _, v in got)


def test_numeric_type_long_truncates_a_double(numbers: Engine) -> None:
    """Java's (long) cast: 2.75 → 2, -1.5 → -1; a missing value shows Long.MAX_VALUE."""
    assert _sorts(numbers, "nums", [{"d": {"numeric_type": "long"}}]) == [("b", [-1]), ("a", [2]), ("c", [LONG_MAX])]
    desc = _sorts(numbers, "nums", [{"d": {"numeric_type": "long", "order": "desc"}}])
    assert desc == [("a", [2]), ("b", [-1]), ("c", [-LONG_MAX - 1])]


def test_numeric_type_between_date_resolutions(numbers: Engine) -> None:
    millis_a, millis_b = 1623385804828, 1623385804829
    assert _sorts(numbers, "nums", [{"t": {"numeric_type": "date_nanos"}}]) == [
        ("a", [millis_a * 1_000_000]),
        ("b", [millis_b * 1_000_000]),
        ("c", [LONG_MAX]),
    ]
    # date_nanos read as millis: both values fall in the same millisecond, so _doc breaks the tie
    assert _sorts(numbers, "nums", [{"n": {"numeric_type": "date"}}, {"_doc": "desc"}]) == [
        ("b", [millis_a, 1]),
        ("a", [millis_a, 0]),
        ("c", [LONG_MAX, 2]),
    ]
    nanos = _sorts(numbers, "nums", [{"n": {"numeric_type": "date_nanos"}}])
    assert nanos == [("a", [1623385804828456789]), ("b", [1623385804828999999]), ("c", [LONG_MAX])]
    after = _sorts(numbers, "nums", [{"n": {"numeric_type": "date_nanos"}}], search_after=[1623385804828456789])
    assert after == [("b", [1623385804828999999]), ("c", [LONG_MAX])]


def test_numeric_type_with_a_date_format(numbers: Engine) -> None:
    sort = [{"t": {"numeric_type": "date_nanos", "format": NANOS_FMT}}]
    assert _sorts(numbers, "nums", sort) == [
        ("a", ["2021-06-11T04:30:04.828Z"]),
        ("b", ["2021-06-11T04:30:04.829Z"]),
        ("c", [None]),
    ]


def test_numeric_type_errors(numbers: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        numbers.search(index="nums", sort=[{"i": {"numeric_type": "float"}}])
    assert "invalid value for [numeric_type], must be [long, double, date, date_nanos], got float" in str(
        err.value.body
    )
    with pytest.raises(BadRequestError) as err:
        numbers.search(index="nums", sort=[{"k": {"numeric_type": "long"}}])
    assert "[numeric_type] option cannot be set on a non-numeric field, got keyword" in str(err.value.body)


def test_95_simple_sort_on_one_index() -> None:
    """``95_sort_mixed_numeric_types.yml`` "Simple sort", on its ``index_int`` alone, with ``search_after``."""
    es = Engine()
    es.indices.create(index="index_int", mappings={"properties": {"field1": {"type": "integer"}}})
    for n, value in enumerate((11, 21, 31, 41, 51), start=1):
        es.index(index="index_int", id=f"int{n}", document={"field1": value})
    es.indices.refresh(index="index_int")
    sort = [{"field1": {"order": "asc", "numeric_type": "long"}}]
    assert [v for _, [v] in _sorts(es, "index_int", sort)] == [11, 21, 31, 41, 51]
    assert [v for _, [v] in _sorts(es, "index_int", sort, search_after=[31])] == [41, 51]
