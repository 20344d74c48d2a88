"""Port of Elasticsearch's ``search.aggregation/380_nested.yml`` YAML REST test (all four cases), plus
``reverse_nested``, metrics over nested values and the aggregations' errors.

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search.aggregation/380_nested.yml`` in
``elastic/elasticsearch`` (commit ``2a704d4c39287cb456829869bcbc9a26e08fe9d0``).
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError

from retrievo import Engine

DOCS = {
    "1": {
        "department": "compsci",
        "staff": 12,
        "courses": [
            {
                "name": "Object Oriented Programming",
                "credits": 3,
                "sessions": [{"semester": "spr2021", "students": 37}, {"semester": "fall2020", "students": 45}],
            },
            {
                "name": "Theory of Computation",
                "credits": 4,
                "sessions": [{"semester": "spr2021", "students": 19}, {"semester": "fall2020", "students": 14}],
            },
        ],
    },
    "2": {
        "department": "math",
        "staff": 20,
        "courses": [
            {
                "name": "Precalculus",
                "credits": 1,
                "sessions": [{"semester": "spr2021", "students": 100}, {"semester": "fall2020", "students": 134}],
            },
            {
                "name": "Linear Algebra",
                "credits": 3,
                "sessions": [{"semester": "spr2021", "students": 29}, {"semester": "fall2020", "students": 23}],
            },
        ],
    },
}


@pytest.fixture(scope="module")
def es() -> Engine:
    e = Engine()
    e.indices.create(
        index="test",
        mappings={
            "properties": {
                "department": {"type": "keyword"},
                "staff": {"type": "integer"},
                "courses": {
                    "type": "nested",
                    "properties": {
                        "name": {"type": "keyword"},
                        "credits": {"type": "integer"},
                        "sessions": {"type": "nested", "properties": {"semester": {"type": "keyword"}}},
                    },
                },
            }
        },
    )
    for doc_id, doc in DOCS.items():
        e.index(index="test", id=doc_id, document=doc)
    e.indices.refresh()
    return e


def aggs(es: Engine, body: dict[str, Any], query: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = es.search(index="test", rest_total_hits_as_int=True, aggs=body, query=query, size=0)
    return resp["aggregations"]


def buckets(agg: dict[str, Any]) -> list[tuple[Any, int]]:
    return [(b["key"], b["doc_count"]) for b in agg["buckets"]]


def test_single_level_nested_with_terms(es: Engine) -> None:
    out = aggs(
        es, {"courses": {"nested": {"path": "courses"}, "aggs": {"names": {"terms": {"field": "courses.name"}}}}}
    )
    assert out["courses"]["doc_count"] == 4
    assert buckets(out["courses"]["names"]) == [
        ("Linear Algebra", 1),
        ("Object Oriented Programming", 1),
        ("Precalculus", 1),
        ("Theory of Computation", 1),
    ]


def test_compound_nested_key(es: Engine) -> None:
    out = aggs(
        es,
        {
            "sessions": {
                "nested": {"path": "courses.sessions"},
                "aggs": {"names": {"terms": {"field": "courses.sessions.semester"}}},
            }
        },
    )
    assert out["sessions"]["doc_count"] == 8
    assert buckets(out["sessions"]["names"]) == [("fall2020", 4), ("spr2021", 4)]


def test_nested_with_a_nested_sub_aggregation(es: Engine) -> None:
    sessions = {
        "nested": {"path": "courses.sessions"},
        "aggs": {"names": {"terms": {"field": "courses.sessions.semester"}}},
    }
    out = aggs(es, {"courses": {"nested": {"path": "courses"}, "aggs": {"sessions": sessions}}})
    assert out["courses"]["doc_count"] == 4
    assert out["courses"]["sessions"]["doc_count"] == 8
    assert buckets(out["courses"]["sessions"]["names"]) == [("fall2020", 4), ("spr2021", 4)]


def test_nested_then_filter_then_nested_then_terms(es: Engine) -> None:
    sessions = {
        "nested": {"path": "courses.sessions"},
        "aggs": {"names": {"terms": {"field": "courses.sessions.semester"}}},
    }
    highpass = {"filter": {"range": {"courses.credits": {"gt": 1}}}, "aggs": {"sessions": sessions}}
    out = aggs(es, {"courses": {"nested": {"path": "courses"}, "aggs": {"highpass_filter": highpass}}})
    assert out["courses"]["doc_count"] == 4
    assert out["courses"]["highpass_filter"]["doc_count"] == 3
    assert out["courses"]["highpass_filter"]["sessions"]["doc_count"] == 6
    assert buckets(out["courses"]["highpass_filter"]["sessions"]["names"]) == [("fall2020", 3), ("spr2021", 3)]


def test_metrics_over_nested_values_follow_the_query(es: Engine) -> None:
    out = aggs(
        es,
        {"c": {"nested": {"path": "courses"}, "aggs": {"credits": {"stats": {"field": "courses.credits"}}}}},
        query={"term": {"department": "compsci"}},
    )
    assert out["c"]["doc_count"] == 2
    assert out["c"]["credits"] == {"count": 2, "min": 3.0, "max": 4.0, "avg": 3.5, "sum": 7.0}


def test_reverse_nested_counts_parents(es: Engine) -> None:
    # credits 3: "Object Oriented Programming" (compsci) and "Linear Algebra" (math)
    by_credits = {
        "terms": {"field": "courses.credits"},
        "aggs": {
            "back": {
                "reverse_nested": {},
                "aggs": {"dept": {"terms": {"field": "department"}}, "staff": {"sum": {"field": "staff"}}},
            }
        },
    }
    out = aggs(es, {"c": {"nested": {"path": "courses"}, "aggs": {"credits": by_credits}}})
    got = {
        b["key"]: (b["doc_count"], b["back"]["doc_count"], buckets(b["back"]["dept"]), b["back"]["staff"]["value"])
        for b in out["c"]["credits"]["buckets"]
    }
    assert got == {
        3: (2, 2, [("compsci", 1), ("math", 1)], 32.0),
        4: (1, 1, [("compsci", 1)], 12.0),
        1: (1, 1, [("math", 1)], 20.0),
    }


def test_reverse_nested_to_an_intermediate_path(es: Engine) -> None:
    # sessions with more than 40 students: OOP spr/fall (37? no: 45), Precalculus 100 and 134 → 3 sessions
    big = {
        "filter": {"range": {"courses.sessions.students": {"gt": 40}}},
        "aggs": {
            "to_course": {"reverse_nested": {"path": "courses"}, "aggs": {"n": {"terms": {"field": "courses.name"}}}}
        },
    }
    out = aggs(es, {"s": {"nested": {"path": "courses.sessions"}, "aggs": {"big": big}}})
    assert out["s"]["big"]["doc_count"] == 3
    assert out["s"]["big"]["to_course"]["doc_count"] == 2
    assert buckets(out["s"]["big"]["to_course"]["n"]) == [("Object Oriented Programming", 1), ("Precalculus", 1)]


def test_unmapped_path_is_an_empty_bucket(es: Engine) -> None:
    out = aggs(es, {"x": {"nested": {"path": "nope"}, "aggs": {"m": {"max": {"field": "nope.v"}}}}})
    assert out["x"] == {"doc_count": 0, "m": {"value": None}}


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"x": {"nested": {}}}, "Missing [path] field for nested aggregation [x]"),
        ({"x": {"nested": {"path": "courses", "foo": "bar"}}}, "Unknown key for a VALUE_STRING in [x]: [foo]."),
        (
            {"x": {"reverse_nested": {}}},
            "Reverse nested aggregation [x] can only be used inside a [nested] aggregation",
        ),
    ],
)
def test_errors(es: Engine, body: dict[str, Any], reason: str) -> None:
    with pytest.raises(ApiError) as err:
        aggs(es, body)
    assert err.value.status_code == 400
    assert err.value.body["error"]["reason"] == reason
