"""Port of Elasticsearch's ``rrf`` retriever pagination YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/350_rrf_retriever_pagination.yml``
in ``elastic/elasticsearch``, read at commit ``9bb8ef6324032699de364366d0f96100f5dd42b0`` (the version
with ``constant_score`` children and ``close_to`` score checks, requiring the
``rrf_retriever_composition_supported`` cluster feature; an older stored version, at ``456b1bcb``, uses
boosted ``term`` queries and asserts ids only). Index and documents: ``build_pagination_engine`` in
``conftest.py``. Spec: /work/shared/spec/elasticsearch-retrievers.md §1.4, §1.6 and §9.5.

Every request sets ``track_total_hits: true``, ``rank_constant: 10``; every ``close_to`` uses
``error: 0.001``.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_close_to, ids, total

pytestmark = pytest.mark.requires("rrf")


def ranked(field: str, *value_boosts: tuple[str, float]) -> dict[str, Any]:
    """A standard retriever returning the docs holding ``value`` in ``field``, best boost first."""
    return {
        "standard": {
            "query": {
                "bool": {
                    "should": [
                        {"constant_score": {"filter": {"term": {field: {"value": value}}}, "boost": boost}}
                        for value, boost in value_boosts
                    ]
                }
            }
        }
    }


NUMBERS_1_2_3_4 = ranked("number_val", ("1", 10.0), ("2", 9.0), ("3", 8.0), ("4", 7.0))  # [1, 2, 3, 4]
CHARS_1_2_3_4 = ranked("char_val", ("A", 10.0), ("B", 9.0), ("C", 8.0), ("D", 7.0))  # [1, 2, 3, 4]
CHARS_4_3_1_2 = ranked("char_val", ("D", 10.0), ("C", 9.0), ("A", 8.0), ("B", 7.0))  # [4, 3, 1, 2]
NUMBERS_5_1 = ranked("number_val", ("5", 10.0), ("1", 9.0))  # [5, 1]
ONLY_1: dict[str, Any] = {
    "standard": {
        "query": {
            "bool": {
                "should": [  # [1]
                    {"term": {"number_val": {"value": "1", "boost": 9.0}}}
                ]
            }
        }
    }
}


def page(e, children: list[dict[str, Any]], window: int, from_: int, size: int) -> dict[str, Any]:
    return e.search(
        index="test",
        body={
            "track_total_hits": True,
            "retriever": {"rrf": {"retrievers": children, "rank_window_size": window, "rank_constant": 10}},
            "from": from_,
            "size": size,
        },
    )


def assert_page(resp: dict[str, Any], expected: list[tuple[str, float]]) -> None:
    assert len(resp["hits"]["hits"]) == len(expected)
    assert ids(resp) == [doc for doc, _ in expected]
    for hit, (_, score) in zip(resp["hits"]["hits"], expected):
        assert_close_to(hit["_score"], score, 0.001)


# YAML: "Standard pagination within rank_window_size"
def test_pagination_within_rank_window_size(pagination_engine):
    resp = page(pagination_engine, [NUMBERS_1_2_3_4, CHARS_1_2_3_4], window=10, from_=1, size=10)
    assert total(resp) == 4
    assert_page(resp, [("2", 0.1666), ("3", 0.1538), ("4", 0.1428)])  # 2/12, 2/13, 2/14


# YAML: "Standard pagination outside rank_window_size"
def test_pagination_outside_rank_window_size(pagination_engine):
    resp = page(pagination_engine, [NUMBERS_1_2_3_4, CHARS_1_2_3_4], window=2, from_=10, size=2)
    assert total(resp) == 4
    assert len(resp["hits"]["hits"]) == 0


# YAML: "Standard pagination partially outside rank_window_size"
def test_pagination_partially_outside_rank_window_size(pagination_engine):
    resp = page(pagination_engine, [NUMBERS_1_2_3_4, CHARS_1_2_3_4], window=3, from_=2, size=2)
    assert total(resp) == 4
    assert_page(resp, [("3", 0.1538)])  # 2/13


# YAML: "Pagination within interleaved results"
def test_pagination_within_interleaved_results(pagination_engine):
    children = [NUMBERS_1_2_3_4, CHARS_4_3_1_2]  # fused order [1, 4, 3, 2]
    resp = page(pagination_engine, children, window=10, from_=0, size=2)
    assert total(resp) == 4
    assert_page(resp, [("1", 0.1678), ("4", 0.1623)])  # 1/11 + 1/13, 1/11 + 1/14

    resp = page(pagination_engine, children, window=10, from_=2, size=2)
    assert total(resp) == 4
    assert_page(resp, [("3", 0.1602), ("2", 0.1547)])  # 1/12 + 1/13, 1/12 + 1/14


# YAML: "Pagination within interleaved results, different result set sizes, rank_window_size covering all results"
def test_pagination_with_different_result_set_sizes_window_covering_all(pagination_engine):
    children = [ONLY_1, CHARS_4_3_1_2]  # fused order [1, 4, 3, 2]
    resp = page(pagination_engine, children, window=10, from_=0, size=2)
    assert total(resp) == 4
    assert_page(resp, [("1", 0.1678), ("4", 0.0909)])  # 1/11 + 1/13, 1/11

    resp = page(pagination_engine, children, window=10, from_=2, size=2)
    assert total(resp) == 4
    assert_page(resp, [("3", 0.0833), ("2", 0.0714)])  # 1/12, 1/14

    resp = page(pagination_engine, children, window=10, from_=4, size=2)
    assert total(resp) == 4
    assert len(resp["hits"]["hits"]) == 0


# YAML: "Pagination within interleaved results, different result set sizes, rank_window_size not covering all results"
def test_pagination_with_different_result_set_sizes_window_not_covering_all(pagination_engine):
    # each child contributes its top 2 only: [5, 1] and [4, 3]; the fused window is [4, 5] (tie at 1/11)
    children = [NUMBERS_5_1, CHARS_4_3_1_2]
    resp = page(pagination_engine, children, window=2, from_=0, size=2)
    assert total(resp) == 5
    assert len(resp["hits"]["hits"]) == 2
    assert {"4", "5"} <= set(ids(resp))  # YAML `contains`, order not asserted
    assert_close_to(resp["hits"]["hits"][0]["_score"], 0.0909, 0.001)
    assert_close_to(resp["hits"]["hits"][1]["_score"], 0.0909, 0.001)

    resp = page(pagination_engine, children, window=2, from_=2, size=2)
    assert total(resp) == 5
    assert len(resp["hits"]["hits"]) == 0
