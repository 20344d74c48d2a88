"""Port of Elasticsearch's ``rrf`` retriever YAML REST tests with scripted metric aggregations.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/400_rrf_retriever_script.yml``
in ``elastic/elasticsearch``, read at commit ``01195333bcdb620d4f5a5eef7bc8e3827dcb1f15``. Index and
documents: ``build_script_engine`` in ``es_yaml_rrf_script.py``. Spec: /work/shared/spec/elasticsearch-retrievers.md
§1.4 and §1.6.

Every case aggregates with painless ``scripted_metric`` scripts, so each is kept whole and skipped; the
hits and totals, which the aggregation does not change, are checked by ``*_hits`` twins that send the same
search without ``aggs``.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_close_to, at, ids
from es_yaml_rrf_script import (
    BM25_6_5_7_4,
    BM25_6_5_7_4_3,
    SUMS_ASC_DESC,
    SUMS_ASC_DESC_TEXT,
    SUMS_ASC_TEXT,
    build_script_engine,
    knn,
)
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")

NEEDS_PAINLESS = "needs painless scripts (retrievo runs no painless; function_score without scripts is issue 16)"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_script_engine()


def search(e: Engine, retrievers: list[dict[str, Any]], window: int, size: int, **extra: Any) -> dict[str, Any]:
    body = {
        "size": size,
        "track_total_hits": True,
        "retriever": {"rrf": {"retrievers": retrievers, "rank_window_size": window, "rank_constant": 1}},
        **extra,
    }
    return e.search(index="test", body=body)


# kNN asc [5] k 5 → [5, 4, 6, 3, 7]; BM25 [6, 5, 7, 4, 3]. k 1: doc 5 = 1/2 + 1/3, doc 6 = 1/4 + 1/2,
# doc 4 = 1/3 + 1/5, doc 7 = 1/6 + 1/4, doc 3 = 1/5 + 1/6.
KNN_AND_STANDARD = [{"knn": knn("vector_asc", 5.0, 5)}, {"standard": {"query": BM25_6_5_7_4_3}}]
# kNN asc [6] k 5 → [6, 5, 7, 4, 8] and desc [8] k 3 → [4, 3, 5], each cut to the window of 3:
# [6, 5, 7] and [4, 3, 5]. Top doc 5 = 1/3 + 1/4; the total is the union of the two windows (5 docs).
MULTI_KNN = [{"knn": knn("vector_asc", 6.0, 5)}, {"knn": knn("vector_desc", 8.0, 3)}]
# kNN asc [6] → [6, 5, 7, 4, 8], desc [6] → [6, 5, 7, 4, 8], BM25 [6, 5, 7, 4].
MULTI_KNN_AND_STANDARD = [
    {"knn": knn("vector_asc", 6.0, 5)},
    {"knn": knn("vector_desc", 6.0, 5)},
    {"standard": {"query": BM25_6_5_7_4}},
]


@pytest.mark.skip(reason=NEEDS_PAINLESS)
def test_knn_retriever_and_standard_retriever_with_scripted_metric(engine: Engine) -> None:
    resp = search(engine, KNN_AND_STANDARD, 100, 5, fields=["text"], aggs=SUMS_ASC_TEXT)
    assert ids(resp) == ["5", "6", "4", "7", "3"]
    assert_close_to(at(resp, "aggregations.sums.value.asc_total"), 25.0, 0.001)
    assert at(resp, "aggregations.sums.value.text_total") == 25


def test_knn_retriever_and_standard_retriever_with_scripted_metric_hits(engine: Engine) -> None:
    assert ids(search(engine, KNN_AND_STANDARD, 100, 5)) == ["5", "6", "4", "7", "3"]


@pytest.mark.skip(reason=NEEDS_PAINLESS)
def test_multiple_knn_retrievers_with_scripted_metric(engine: Engine) -> None:
    resp = search(engine, MULTI_KNN, 3, 1, fields=["text"], aggs=SUMS_ASC_DESC)
    assert resp["hits"]["total"]["value"] == 5
    assert ids(resp) == ["5"]
    assert_close_to(at(resp, "aggregations.sums.value.asc_total"), 25.0, 0.001)
    assert_close_to(at(resp, "aggregations.sums.value.desc_total"), 35.0, 0.001)


def test_multiple_knn_retrievers_with_scripted_metric_hits(engine: Engine) -> None:
    resp = search(engine, MULTI_KNN, 3, 1)
    assert resp["hits"]["total"]["value"] == 5
    assert ids(resp) == ["5"]


@pytest.mark.skip(reason=NEEDS_PAINLESS)
def test_multiple_knn_retrievers_and_standard_retriever_with_scripted_metric(engine: Engine) -> None:
    resp = search(engine, MULTI_KNN_AND_STANDARD, 100, 5, fields=["text"], aggs=SUMS_ASC_DESC_TEXT)
    assert ids(resp) == ["6", "5", "7", "4", "8"]
    assert_close_to(at(resp, "aggregations.sums.value.asc_total"), 30.0, 0.001)
    assert_close_to(at(resp, "aggregations.sums.value.desc_total"), 30.0, 0.001)
    assert at(resp, "aggregations.sums.value.text_total") == 30


def test_multiple_knn_retrievers_and_standard_retriever_with_scripted_metric_hits(engine: Engine) -> None:
    assert ids(search(engine, MULTI_KNN_AND_STANDARD, 100, 5)) == ["6", "5", "7", "4", "8"]
