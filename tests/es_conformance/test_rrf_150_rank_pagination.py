"""Port of Elasticsearch's legacy ``rank``/``sub_searches`` pagination YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/150_rank_rrf_pagination.yml``
in ``elastic/elasticsearch``, read at commit ``bd6fc7e4b9aa1beded22c129c3fd06b07f9c131b`` (the version
that requires the ``transform_rank_rrf_to_retriever`` capability: the legacy request runs as an ``rrf``
retriever, and the ``_rank`` assertions of the older versions are gone). Index and documents:
``build_pagination_engine`` in ``conftest.py`` (the same setup). The YAML's deprecation ``warnings`` are
not checked: retrievo sends no ``Warning`` headers. Spec: /work/shared/spec/elasticsearch-retrievers.md
§1.4 and §1.6.

Every request sets ``track_total_hits: true`` and ``rank_constant: 10``.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_close_to, ids, total
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")


def ranked(field: str, *value_boosts: tuple[str, float]) -> dict[str, Any]:
    """A sub search returning the docs holding ``value`` in ``field``, best boost first."""
    should = [{"term": {field: {"value": value, "boost": boost}}} for value, boost in value_boosts]
    return {"query": {"bool": {"should": should}}}


NUMBERS_1_2_3_4 = ranked("number_val", ("1", 10.0), ("2", 9.0), ("3", 8.0), ("4", 7.0))  # [1, 2, 3, 4]
CHARS_1_2_3_4 = ranked("char_val", ("A", 10.0), ("B", 9.0), ("C", 8.0), ("D", 7.0))  # [1, 2, 3, 4]
CHARS_4_3_1_2 = ranked("char_val", ("D", 10.0), ("C", 9.0), ("A", 8.0), ("B", 7.0))  # [4, 3, 1, 2]
NUMBERS_5_1 = ranked("number_val", ("5", 10.0), ("1", 9.0))  # [5, 1]
ONLY_1: dict[str, Any] = {"query": {"term": {"number_val": {"value": "1", "boost": 9.0}}}}  # [1]


def page(e: Engine, subs: list[dict[str, Any]], window: int, from_: int, size: int) -> dict[str, Any]:
    return e.search(
        index="test",
        body={
            "track_total_hits": True,
            "sub_searches": subs,
            "rank": {"rrf": {"rank_window_size": window, "rank_constant": 10}},
            "from": from_,
            "size": size,
        },
    )


def test_standard_pagination_within_rank_window_size(pagination_engine: Engine) -> None:
    resp = page(pagination_engine, [NUMBERS_1_2_3_4, CHARS_1_2_3_4], window=10, from_=1, size=10)
    assert total(resp) == 4
    assert ids(resp) == ["2", "3", "4"]


def test_standard_pagination_outside_rank_window_size(pagination_engine: Engine) -> None:
    resp = page(pagination_engine, [NUMBERS_1_2_3_4, CHARS_1_2_3_4], window=2, from_=10, size=2)
    assert total(resp) == 4
    assert ids(resp) == []


def test_standard_pagination_partially_outside_rank_window_size(pagination_engine: Engine) -> None:
    resp = page(pagination_engine, [NUMBERS_1_2_3_4, CHARS_1_2_3_4], window=3, from_=2, size=2)
    assert total(resp) == 4
    assert ids(resp) == ["3"]


def test_pagination_within_interleaved_results(pagination_engine: Engine) -> None:
    # [1, 2, 3, 4] and [4, 3, 1, 2] at k = 10 fuse to [1, 4, 3, 2].
    subs = [NUMBERS_1_2_3_4, CHARS_4_3_1_2]
    first = page(pagination_engine, subs, window=10, from_=0, size=2)
    assert total(first) == 4
    assert ids(first) == ["1", "4"]
    second = page(pagination_engine, subs, window=10, from_=2, size=2)
    assert total(second) == 4
    assert ids(second) == ["3", "2"]


def assert_page(resp: dict[str, Any], expected: list[tuple[str, float]]) -> None:
    assert ids(resp) == [doc for doc, _ in expected]
    for hit, (_, score) in zip(resp["hits"]["hits"], expected):
        assert_close_to(hit["_score"], score, 0.001)


def test_pagination_different_result_set_sizes_window_covering_all_results(pagination_engine: Engine) -> None:
    # [1] and [4, 3, 1, 2] fuse to [1, 4, 3, 2] (the YAML's comment, which still says [1, 5, 4, 3, 2],
    # predates the change of the first sub search to a single term).
    subs = [ONLY_1, CHARS_4_3_1_2]
    resp = page(pagination_engine, subs, window=10, from_=0, size=2)
    assert total(resp) == 4
    assert_page(resp, [("1", 0.1678), ("4", 0.0909)])  # 1/11 + 1/13, 1/11
    resp = page(pagination_engine, subs, window=10, from_=2, size=2)
    assert total(resp) == 4
    assert_page(resp, [("3", 0.0833), ("2", 0.0714)])  # 1/12, 1/14
    resp = page(pagination_engine, subs, window=10, from_=4, size=2)
    assert total(resp) == 4
    assert ids(resp) == []


def test_pagination_different_result_set_sizes_window_not_covering_all_results(pagination_engine: Engine) -> None:
    # A window of 2 keeps [5, 1] and [4, 3]: 5 and 4 tie at 1/11 (the YAML asserts no order between them).
    subs = [NUMBERS_5_1, CHARS_4_3_1_2]
    resp = page(pagination_engine, subs, window=2, from_=0, size=2)
    assert total(resp) == 5
    assert len(resp["hits"]["hits"]) == 2
    assert {"4", "5"} <= set(ids(resp))
    assert_close_to(resp["hits"]["hits"][0]["_score"], 0.0909, 0.001)
    assert_close_to(resp["hits"]["hits"][1]["_score"], 0.0909, 0.001)
    resp = page(pagination_engine, subs, window=2, from_=2, size=2)
    assert total(resp) == 5
    assert ids(resp) == []
