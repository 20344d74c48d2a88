"""Ports of Elasticsearch's ``search.aggregation/220_filters_bucket.yml`` and ``50_filter.yml`` (the
cases without the request cache, terms lookups or nested documents), plus ``missing`` and ``other_bucket``."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from agg_helpers import aggs_of
from retrievo import Engine

TWO = {"first_filter": {"match": {"int_field": 101}}, "second_filter": {"match": {"int_field": 151}}}
AVG = {"the_avg": {"avg": {"field": "int_field"}}}


def test_basic(metric_engine: Engine) -> None:
    got = aggs_of(metric_engine, "test_1", {"the_filter": {"filters": {"filters": TWO}}})
    assert got["the_filter"] == {"buckets": {"first_filter": {"doc_count": 1}, "second_filter": {"doc_count": 1}}}
    got = aggs_of(metric_engine, "test_1", {"the_filter": {"filters": {"filters": TWO}, "aggs": AVG}})
    assert got["the_filter"]["buckets"] == {
        "first_filter": {"doc_count": 1, "the_avg": {"value": 101.0}},
        "second_filter": {"doc_count": 1, "the_avg": {"value": 151.0}},
    }


def test_anonymous_filters(metric_engine: Engine) -> None:
    anonymous = [{"match": {"int_field": 101}}, {"match": {"int_field": 151}}]
    got = aggs_of(metric_engine, "test_1", {"the_filter": {"filters": {"filters": anonymous}, "aggs": AVG}})
    assert got["the_filter"]["buckets"] == [
        {"doc_count": 1, "the_avg": {"value": 101.0}},
        {"doc_count": 1, "the_avg": {"value": 151.0}},
    ]


def test_named_filters_with_bucket_sort(metric_engine: Engine) -> None:
    aggs = {
        "the_filter": {
            "filters": {"keyed_bucket_in_array": True, "filters": TWO},
            "aggs": {
                "the_max": {"max": {"field": "int_field"}},
                "sort_by_the_max": {"bucket_sort": {"sort": [{"the_max": "desc"}]}},
            },
        }
    }
    got = aggs_of(metric_engine, "test_1", aggs, size=0)
    assert got["the_filter"]["buckets"] == [
        {"second_filter": {"doc_count": 1, "the_max": {"value": 151.0}}},
        {"first_filter": {"doc_count": 1, "the_max": {"value": 101.0}}},
    ]


def test_filtered(metric_engine: Engine) -> None:
    query = {"constant_score": {"filter": {"range": {"int_field": {"gte": 110}}}}}
    got = aggs_of(metric_engine, "test_1", {"the_filter": {"filters": {"filters": TWO}, "aggs": AVG}}, query=query)
    assert got["the_filter"]["buckets"] == {
        "first_filter": {"doc_count": 0, "the_avg": {"value": None}},
        "second_filter": {"doc_count": 1, "the_avg": {"value": 151.0}},
    }


def test_metadata(metric_engine: Engine) -> None:
    got = aggs_of(metric_engine, "test_1", {"the_filter": {"meta": {"foo": "bar"}, "filters": {"filters": TWO}}})
    assert got["the_filter"]["meta"] == {"foo": "bar"}


@pytest.mark.parametrize("spec", [{}, {"filters": []}])
def test_bad_params(metric_engine: Engine, spec: dict[str, Any]) -> None:
    with pytest.raises(BadRequestError) as err:
        aggs_of(metric_engine, "test_1", {"the_filter": {"filters": spec}})
    assert "[filters] cannot be empty" in str(err.value)


def test_other_bucket_and_keyed_false(metric_engine: Engine) -> None:
    spec = {"filters": TWO, "other_bucket_key": "rest", "keyed": False}
    got = aggs_of(metric_engine, "test_1", {"f": {"filters": spec}})
    assert got["f"]["buckets"] == [
        {"key": "first_filter", "doc_count": 1},
        {"key": "second_filter", "doc_count": 1},
        {"key": "rest", "doc_count": 2},
    ]


def test_filter_and_missing(metric_engine: Engine) -> None:
    aggs = {
        "f": {"filter": {"range": {"int_field": {"gte": 100}}}, "aggs": AVG},
        "m": {"missing": {"field": "nope"}},
        "present": {"missing": {"field": "int_field"}},
    }
    got = aggs_of(metric_engine, "test_1", aggs)
    assert got["f"] == {"doc_count": 2, "the_avg": {"value": 126.0}}
    assert got["m"] == {"doc_count": 4}
    assert got["present"] == {"doc_count": 0}


def keyword_engine(*docs: dict[str, Any]) -> Engine:
    e = Engine()
    e.indices.create(
        index="test", mappings={"properties": {"mentions": {"type": "keyword"}, "notifications": {"type": "keyword"}}}
    )
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(docs, 1):
        ops += [{"index": {"_index": "test", "_id": str(i)}}, doc]
    e.bulk(operations=ops, refresh=True)
    return e


BASE = ({"notifications": ["abc"]}, {"mentions": ["abc"]})


def test_standard_query_filter() -> None:
    e = keyword_engine(*BASE)
    aggs = {
        "itemsNotify": {
            "filter": {"terms": {"mentions": ["abc"]}},
            "aggs": {"mentions": {"terms": {"field": "mentions"}}},
        }
    }
    got = aggs_of(e, "test", aggs, size=0)["itemsNotify"]
    assert got["doc_count"] == 1
    assert [b["key"] for b in got["mentions"]["buckets"]] == ["abc"]


def test_filter_as_a_child_of_terms() -> None:
    e = keyword_engine(*BASE, {"category": "bar", "val": 8}, {"category": "bar", "val": 0})
    aggs = {
        "category": {
            "terms": {"field": "category.keyword"},
            "aggs": {"high": {"filter": {"range": {"val": {"gte": 7}}}}},
        }
    }
    bucket = aggs_of(e, "test", aggs, size=0)["category"]["buckets"][0]
    assert (bucket["key"], bucket["doc_count"], bucket["high"]["doc_count"]) == ("bar", 2, 1)


def test_sorting_terms_by_a_filter_count() -> None:
    e = keyword_engine(
        *BASE,
        {"category": "foo", "val": 7},
        {"category": "bar", "val": 8},
        {"category": "bar", "val": 9},
        {"category": "bar", "val": 0},
    )
    aggs = {
        "category": {
            "terms": {"field": "category.keyword", "order": {"high.doc_count": "desc"}},
            "aggs": {"high": {"filter": {"range": {"val": {"gte": 7}}}}},
        }
    }
    buckets = aggs_of(e, "test", aggs, size=0)["category"]["buckets"]
    assert [(b["key"], b["doc_count"], b["high"]["doc_count"]) for b in buckets] == [("bar", 3, 2), ("foo", 1, 1)]
