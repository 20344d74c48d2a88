"""Port of Elasticsearch's ``search.aggregation/20_terms.yml`` (the cases retrievo can run: one index,
no ``ip`` fields, no profile), plus hand-computed checks of ordering, ``size``, ``sum_other_doc_count``,
``missing`` and ``min_doc_count: 0``."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError, BadRequestError

from retrievo import Engine

PROPERTIES = {
    "str": {"type": "keyword"},
    "str_missing": {"type": "keyword"},
    "boolean": {"type": "boolean"},
    "integer": {"type": "long"},
    "double": {"type": "double"},
    "number": {"type": "long"},
    "date": {"type": "date"},
}


def engine_with(*docs: dict[str, Any]) -> Engine:
    """The YAML setup's ``test_1`` index with ``docs`` (ids 1, 2, …) refreshed in."""
    e = Engine()
    e.indices.create(index="test_1", mappings={"properties": PROPERTIES})
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(docs, 1):
        ops += [{"index": {"_index": "test_1", "_id": str(i)}}, doc]
    if ops:
        e.bulk(operations=ops, refresh=True)
    return e


def terms(e: Engine, spec: dict[str, Any], **body: Any) -> dict[str, Any]:
    resp = e.search(index="test_1", body={"size": 0, "aggs": {"t": {"terms": spec}}, **body})
    return dict(resp["aggregations"]["t"])


def keys_counts(agg: dict[str, Any]) -> list[tuple[Any, int]]:
    return [(b["key"], b["doc_count"]) for b in agg["buckets"]]


def test_basic() -> None:
    e = engine_with({"str": "abc"}, {"str": "abc"}, {"str": "bcd"})
    agg = terms(e, {"field": "str"})
    assert agg == {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": 0,
        "buckets": [{"key": "abc", "doc_count": 2}, {"key": "bcd", "doc_count": 1}],
    }


def test_boolean() -> None:
    e = engine_with({"boolean": True}, {"boolean": False}, {"boolean": True})
    assert terms(e, {"field": "boolean"})["buckets"] == [
        {"key": 1, "key_as_string": "true", "doc_count": 2},
        {"key": 0, "key_as_string": "false", "doc_count": 1},
    ]


def test_integer() -> None:
    e = engine_with({"integer": 1234}, {"integer": 5678}, {"integer": 1234})
    buckets = terms(e, {"field": "integer"})["buckets"]
    assert buckets == [{"key": 1234, "doc_count": 2}, {"key": 5678, "doc_count": 1}]
    assert all(type(b["key"]) is int for b in buckets)


def test_double() -> None:
    e = engine_with({"double": 1234.5}, {"double": 5678.5}, {"double": 1234.5})
    assert terms(e, {"field": "double"})["buckets"] == [
        {"key": 1234.5, "doc_count": 2},
        {"key": 5678.5, "doc_count": 1},
    ]


def test_date_with_include_and_exclude() -> None:
    e = engine_with({"date": "2016-05-03"}, {"date": "2014-09-01"}, {"date": "2016-05-03"})
    assert terms(e, {"field": "date"})["buckets"] == [
        {"key": 1462233600000, "key_as_string": "2016-05-03T00:00:00.000Z", "doc_count": 2},
        {"key": 1409529600000, "key_as_string": "2014-09-01T00:00:00.000Z", "doc_count": 1},
    ]
    included = terms(e, {"field": "date", "include": ["2016-05-03"]})["buckets"]
    assert [(b["key_as_string"], b["doc_count"]) for b in included] == [("2016-05-03T00:00:00.000Z", 2)]
    excluded = terms(e, {"field": "date", "exclude": ["2016-05-03"]})["buckets"]
    assert [(b["key_as_string"], b["doc_count"]) for b in excluded] == [("2014-09-01T00:00:00.000Z", 1)]


def test_partitioned_strings() -> None:
    e = engine_with({"str": "abc"}, {"str": "abc"}, {"str": "bcd"})
    assert keys_counts(terms(e, {"field": "str", "include": {"partition": 0, "num_partitions": 2}})) == [("bcd", 1)]
    assert keys_counts(terms(e, {"field": "str", "include": {"partition": 1, "num_partitions": 2}})) == [("abc", 2)]


def test_partitioned_integers() -> None:
    e = engine_with({"integer": 1234}, {"integer": 5678}, {"integer": 1234})
    assert keys_counts(terms(e, {"field": "integer", "include": {"partition": 0, "num_partitions": 2}})) == [(5678, 1)]
    assert keys_counts(terms(e, {"field": "integer", "include": {"partition": 1, "num_partitions": 2}})) == [(1234, 2)]


@pytest.mark.parametrize(
    ("value_type", "missing", "bucket"),
    [
        ("string", "abc", {"key": "abc", "doc_count": 1}),
        ("boolean", True, {"key": 1, "key_as_string": "true", "doc_count": 1}),
        ("date", "2016-05-11", {"key": 1462924800000, "key_as_string": "2016-05-11T00:00:00.000Z", "doc_count": 1}),
        ("long", 3, {"key": 3, "doc_count": 1}),
        ("double", 3.5, {"key": 3.5, "doc_count": 1}),
    ],
)
def test_unmapped_with_value_type_and_missing(value_type: str, missing: Any, bucket: dict[str, Any]) -> None:
    e = engine_with({})
    agg = terms(e, {"field": f"unmapped_{value_type}", "value_type": value_type, "missing": missing})
    assert agg["buckets"] == [bucket]


def test_no_field_or_script() -> None:
    e = engine_with()
    with pytest.raises(BadRequestError) as err:
        terms(e, {"size": 1})
    assert "Required one of fields [field, script], but none were specified" in str(err.value)


SHEEP = (
    {"str": "sheep", "number": 1},
    {"str": "sheep", "number": 3},
    {"str": "cow", "number": 1},
    {"str": "pig", "number": 1},
)
SHEEP_COW = {"bool": {"should": [{"term": {"str": "sheep"}}, {"term": {"str": "cow"}}]}}


@pytest.mark.parametrize(
    ("min_doc_count", "expected"),
    [
        (2, [("sheep", 2, 3.0)]),
        (1, [("sheep", 2, 3.0), ("cow", 1, 1.0)]),
        (None, [("sheep", 2, 3.0), ("cow", 1, 1.0)]),
        (0, [("sheep", 2, 3.0), ("cow", 1, 1.0), ("pig", 0, None)]),
    ],
)
def test_min_doc_count(min_doc_count: int | None, expected: list[tuple[str, int, float | None]]) -> None:
    """The YAML queries with ``simple_query_string`` ``sheep cow``; a ``bool`` of two terms matches the same docs."""
    e = engine_with(*SHEEP)
    spec: dict[str, Any] = {"field": "str"}
    if min_doc_count is not None:
        spec["min_doc_count"] = min_doc_count
    resp = e.search(
        index="test_1",
        body={
            "size": 0,
            "query": SHEEP_COW,
            "aggs": {"str_terms": {"terms": spec, "aggs": {"max_number": {"max": {"field": "number"}}}}},
        },
    )
    got = [(b["key"], b["doc_count"], b["max_number"]["value"]) for b in resp["aggregations"]["str_terms"]["buckets"]]
    assert got == expected


def test_order_by_sub_agg() -> None:
    e = engine_with(
        {"str": "sheep", "number": 1},
        {"str": "sheep", "number": 3},
        {"str": "cow", "number": 7},
        {"str": "pig", "number": 1},
    )
    spec = {"size": 1, "shard_size": 1, "field": "str", "order": [{"max_number": "desc"}]}
    resp = e.search(
        index="test_1",
        body={"size": 0, "aggs": {"str_terms": {"terms": spec, "aggs": {"max_number": {"max": {"field": "number"}}}}}},
    )
    agg = resp["aggregations"]["str_terms"]
    assert agg["buckets"] == [{"key": "cow", "doc_count": 1, "max_number": {"value": 7.0}}]
    assert agg["sum_other_doc_count"] == 3


def test_order_by_sub_agg_containing_filter() -> None:
    e = engine_with(
        {"str": "sheep", "number": 1},
        {"str": "sheep", "number": 3},
        {"str": "cow", "number": 7},
        {"str": "pig", "number": 100},
    )
    spec = {"size": 1, "shard_size": 1, "field": "str", "order": [{"filter>max_number": "desc"}]}
    sub = {
        "filter": {"filter": {"range": {"number": {"lt": 10}}}, "aggs": {"max_number": {"max": {"field": "number"}}}}
    }
    resp = e.search(index="test_1", body={"size": 0, "aggs": {"str_terms": {"terms": spec, "aggs": sub}}})
    bucket = resp["aggregations"]["str_terms"]["buckets"]
    assert [(b["key"], b["doc_count"], b["filter"]["max_number"]["value"]) for b in bucket] == [("cow", 1, 7.0)]


ABC = ({"str": "a"}, {"str": "b"}, {"str": "c"}, {"str": "b"}, {"str": "c"}, {"str": "c"})


def test_precise_size() -> None:
    e = engine_with(*ABC)
    agg = terms(e, {"size": 2, "field": "str", "order": [{"_key": "asc"}]}, query={"terms": {"str": ["b", "c"]}})
    assert keys_counts(agg) == [("b", 2), ("c", 3)]


def test_huge_size() -> None:
    e = engine_with(*ABC)
    agg = terms(e, {"size": 2147483647, "field": "str", "order": [{"_key": "asc"}]})
    assert keys_counts(agg) == [("a", 1), ("b", 2), ("c", 3)]


# -- hand-computed checks -----------------------------------------------------------------------


def test_size_cuts_and_counts_the_rest() -> None:
    e = engine_with(*ABC)
    agg = terms(e, {"field": "str", "size": 1})
    assert keys_counts(agg) == [("c", 3)]
    assert agg["sum_other_doc_count"] == 3  # b (2) + a (1)


def test_count_ties_break_on_key() -> None:
    e = engine_with({"str": "z"}, {"str": "y"}, {"str": "x"})
    assert [k for k, _ in keys_counts(terms(e, {"field": "str"}))] == ["x", "y", "z"]
    assert [k for k, _ in keys_counts(terms(e, {"field": "str", "order": {"_count": "asc"}}))] == ["x", "y", "z"]
    assert [k for k, _ in keys_counts(terms(e, {"field": "str", "order": {"_key": "desc"}}))] == ["z", "y", "x"]


def test_multi_valued_documents_count_once_per_term() -> None:
    e = engine_with({"str": ["a", "b", "a"]}, {"str": ["b"]})
    assert keys_counts(terms(e, {"field": "str"})) == [("b", 2), ("a", 1)]


def test_missing_on_a_mapped_field() -> None:
    e = engine_with({"str": "a"}, {"number": 1}, {"number": 2})
    assert keys_counts(terms(e, {"field": "str", "missing": "zzz"})) == [("zzz", 2), ("a", 1)]
    assert keys_counts(terms(e, {"field": "number", "missing": 1})) == [(1, 2), (2, 1)]


def test_regex_include_exclude() -> None:
    e = engine_with({"str": "apple"}, {"str": "apricot"}, {"str": "banana"})
    assert keys_counts(terms(e, {"field": "str", "include": "ap.*", "exclude": "apr.*"})) == [("apple", 1)]
    with pytest.raises(BadRequestError) as err:
        terms(e, {"field": "number", "include": "1.*"})
    assert "cannot support regular expression style include/exclude settings" in str(err.value)


def test_show_term_doc_count_error() -> None:
    e = engine_with({"str": "a"})
    assert terms(e, {"field": "str", "show_term_doc_count_error": True})["buckets"] == [
        {"key": "a", "doc_count": 1, "doc_count_error_upper_bound": 0}
    ]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"field": "str", "size": 0}, "[size] must be greater than 0. Found [0] in [t]"),
        ({"field": "str", "shard_size": 0}, "[shardSize] must be greater than 0. Found [0] in [t]"),
        ({"field": "str", "min_doc_count": -1}, "[minDocCount] must be greater than or equal to 0. Found [-1] in [t]"),
    ],
)
def test_bad_parameters(spec: dict[str, Any], reason: str) -> None:
    e = engine_with()
    with pytest.raises(ApiError) as err:
        terms(e, spec)
    assert err.value.meta.status == 400
    assert reason in str(err.value)


def test_script_is_refused_by_name() -> None:
    e = engine_with()
    with pytest.raises(BadRequestError) as err:
        terms(e, {"script": {"source": "1"}})
    assert "is not supported in retrievo" in str(err.value)
