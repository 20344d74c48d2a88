"""Port of ``search.retrievers/40_linear_retriever.yml``: the ``component``-wrapper prototype syntax.

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search.retrievers/40_linear_retriever.yml``
in ``elastic/elasticsearch``, read at commit ``02db9d0bcda494483ccd4f5f96f434bee0efae8d`` (the only stored
version). Every request there wraps each entry as ``{"component": {"retriever": …, "weight": …,
"normalizer": …}}``, a prototype of the linear retriever's syntax (spec §9 table). Released Elasticsearch
9.x parses each entry with ``LinearRetrieverComponent.PARSER`` — a strict ``ConstructingObjectParser``
named ``retriever-component`` that knows ``retriever``, ``weight`` and ``normalizer`` — so every one of
these requests is rejected: ``x_content_parse_exception`` ``[linear] failed to parse field [retrievers]``
caused by ``[retriever-component] unknown field [component]`` (status 400), before anything the case
meant to check (an unknown normalizer, a window smaller than ``size``) is reached. The same cases in the
released syntax are ported from ``linear/10_linear_retriever.yml`` (``test_linear_10.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_catch_regex, at
from retrievo.errors import ApiError

pytestmark = pytest.mark.requires("linear")

KNN4: dict[str, Any] = {"knn": {"field": "vector", "query_vector": [4], "k": 1, "num_candidates": 1}}


def cs(value: str, boost: float) -> dict[str, Any]:
    return {"constant_score": {"filter": {"term": {"keyword": {"value": value}}}, "boost": boost}}


def standard(query: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"standard": {"query": query, **extra}}


def should(*clauses: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"should": list(clauses)}}


def component(retriever: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {"component": {"retriever": retriever, **params}}


def linear(*components: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {"linear": {"retrievers": list(components), **params}}


ONE_TWO_THREE = should(cs("one", 10.0), cs("two", 9.0), cs("three", 5.0))
BASIC = linear(component(standard(cs("one", 10.0)), weight=0.5), component(KNN4, weight=2.0))
NORMALIZED = linear(component(standard(ONE_TWO_THREE), weight=10.0, normalizer="minmax"), component(KNN4, weight=2.0))

#: Each YAML case's request, by the case's name.
CASES: dict[str, dict[str, Any]] = {
    "basic linear weighted combination of a standard and knn retrievers": {"retriever": BASIC},
    "should normalize initial scores": {"retriever": NORMALIZED},
    "should throw on unknown normalizer": {
        "retriever": linear(
            component(standard(cs("one", 10.0)), weight=1.0, normalizer="aardvark"), component(KNN4, weight=2.0)
        )
    },
    "pagination within a consistent rank_window_size (from 2)": {"retriever": NORMALIZED, "from": 2, "size": 1},
    "pagination within a consistent rank_window_size (from 3)": {"retriever": NORMALIZED, "from": 3, "size": 1},
    "should throw when rank_window_size less than default size": {
        "retriever": linear(
            component(standard({"match_all": {}}), weight=10.0, normalizer="minmax"),
            component(KNN4, weight=2.0),
            rank_window_size=2,
        )
    },
    "should respect rank_window_size for normalization and returned hits": {
        "retriever": linear(
            component(standard(ONE_TWO_THREE), weight=1.0, normalizer="minmax"),
            component(KNN4, weight=2.0),
            rank_window_size=2,
        ),
        "size": 2,
    },
    "explain should provide info on weights and inner retrievers": {
        "retriever": linear(
            component(
                standard(should(cs("one", 10.0), cs("four", 1.0)), _name="my_standard_retriever"),
                weight=10.0,
                normalizer="minmax",
            ),
            component(KNN4, weight=20.0),
        ),
        "explain": True,
        "size": 2,
    },
    "collapsing results": {
        "retriever": BASIC,
        "collapse": {
            "field": "other_keyword",
            "inner_hits": {"name": "sub_hits", "sort": {"keyword": {"order": "desc"}}},
        },
    },
    "multiple nested linear retrievers": {
        "retriever": linear(
            component(standard(cs("one", 10.0)), weight=0.5),
            component(
                linear(component(standard(cs("two", 20.0))), component(KNN4)),
                weight=2.0,
            ),
        )
    },
    "linear retriever with filters": {
        "retriever": {"linear": {**BASIC["linear"], "filter": {"term": {"keyword": "four"}}}},
    },
    "linear retriever with filters on nested retrievers": {
        "retriever": linear(
            component(standard(cs("one", 10.0), filter={"term": {"keyword": "four"}}), weight=0.5),
            component(KNN4, weight=2.0),
        )
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_component_syntax_is_rejected_by_released_elasticsearch(linear_engine, case):
    with pytest.raises(ApiError) as err:
        linear_engine.search(index="test", body=CASES[case])
    assert err.value.status_code == 400
    assert at(err.value.body, "error.type") == "x_content_parse_exception"
    assert at(err.value.body, "error.reason") == "[linear] failed to parse field [retrievers]"
    assert at(err.value.body, "error.caused_by.type") == "x_content_parse_exception"
    assert at(err.value.body, "error.caused_by.reason") == "[retriever-component] unknown field [component]"
    assert_catch_regex(err.value, r"\[retriever-component\] unknown field \[component\]")
