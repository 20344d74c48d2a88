"""Port of Elasticsearch's legacy ``rank: {rrf}`` YAML REST tests with scripted metric aggregations.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/200_rank_rrf_script.yml``
in ``elastic/elasticsearch``, read at commit ``013f6d50eda780976f76973c8dcfd956284b6f02`` (the version that
requires ``rrf_retriever_composition_supported`` and no longer asserts ``_rank``). Index and documents:
``build_script_engine`` in ``es_yaml_rrf_script.py``. The YAML's deprecation ``warnings`` are not
checked: retrievo sends no ``Warning`` headers. These are the searches of
``400_rrf_retriever_script.yml`` written with the legacy top-level ``knn``/``query``/``rank`` sections,
which Elasticsearch 9 runs as the same ``rrf`` retriever (top-level ``query`` first, then each kNN search).

Every case aggregates with painless ``scripted_metric`` scripts, so each is kept whole and skipped; the
hits and totals are checked by ``*_hits`` twins that send the same search without ``aggs``.
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


def search(e: Engine, window: int, size: int, **sections: Any) -> dict[str, Any]:
    body = {
        "track_total_hits": True,
        **sections,
        "rank": {"rrf": {"rank_window_size": window, "rank_constant": 1}},
        "size": size,
    }
    return e.search(index="test", body=body)


# BM25 [6, 5, 7, 4, 3] and kNN asc [5] → [5, 4, 6, 3, 7]: k 1 gives [5, 6, 4, 7, 3].
SINGLE_KNN_AND_BM25: dict[str, Any] = {"knn": [knn("vector_asc", 5.0, 5)], "query": BM25_6_5_7_4_3}
# kNN asc [6] k 5 and desc [8] k 3, each cut to the window of 3: [6, 5, 7] and [4, 3, 5]; top doc 5.
MULTI_KNN: dict[str, Any] = {"knn": [knn("vector_asc", 6.0, 5), knn("vector_desc", 8.0, 3)]}
# kNN asc [6] and desc [6] → [6, 5, 7, 4, 8] each, BM25 [6, 5, 7, 4]: [6, 5, 7, 4, 8].
MULTI_KNN_AND_BM25: dict[str, Any] = {
    "knn": [knn("vector_asc", 6.0, 5), knn("vector_desc", 6.0, 5)],
    "query": BM25_6_5_7_4,
}


@pytest.mark.skip(reason=NEEDS_PAINLESS)
def test_single_knn_and_single_bm25_with_scripted_metric(engine: Engine) -> None:
    resp = search(engine, 100, 5, fields=["text"], aggs=SUMS_ASC_TEXT, **SINGLE_KNN_AND_BM25)
    assert ids(resp) == ["5", "6", "4", "7", "3"]
    assert_close_to(at(resp, "aggregations.sums.value.asc_total"), 25.0, 0.001)
    assert at(resp, "aggregations.sums.value.text_total") == 25


def test_single_knn_and_single_bm25_with_scripted_metric_hits(engine: Engine) -> None:
    assert ids(search(engine, 100, 5, **SINGLE_KNN_AND_BM25)) == ["5", "6", "4", "7", "3"]


@pytest.mark.skip(reason=NEEDS_PAINLESS)
def test_multi_knn_only_with_scripted_metric(engine: Engine) -> None:
    resp = search(engine, 3, 1, fields=["text"], aggs=SUMS_ASC_DESC, **MULTI_KNN)
    assert resp["hits"]["total"]["value"] == 5
    assert ids(resp) == ["5"]
    assert_close_to(at(resp, "aggregations.sums.value.asc_total"), 25.0, 0.001)
    assert_close_to(at(resp, "aggregations.sums.value.desc_total"), 35.0, 0.001)


def test_multi_knn_only_with_scripted_metric_hits(engine: Engine) -> None:
    # The total counts each kNN search's top window (3 + 3 docs, doc 5 in both), not its k.
    resp = search(engine, 3, 1, **MULTI_KNN)
    assert resp["hits"]["total"]["value"] == 5
    assert ids(resp) == ["5"]


@pytest.mark.skip(reason=NEEDS_PAINLESS)
def test_multi_knn_and_single_bm25_with_scripted_metric(engine: Engine) -> None:
    resp = search(engine, 100, 5, fields=["text"], aggs=SUMS_ASC_DESC_TEXT, **MULTI_KNN_AND_BM25)
    assert ids(resp) == ["6", "5", "7", "4", "8"]
    assert_close_to(at(resp, "aggregations.sums.value.asc_total"), 30.0, 0.001)
    assert_close_to(at(resp, "aggregations.sums.value.desc_total"), 30.0, 0.001)
    assert at(resp, "aggregations.sums.value.text_total") == 30


def test_multi_knn_and_single_bm25_with_scripted_metric_hits(engine: Engine) -> None:
    assert ids(search(engine, 100, 5, **MULTI_KNN_AND_BM25)) == ["6", "5", "7", "4", "8"]
