"""Port of Elasticsearch's weighted ``rrf`` retriever YAML REST tests (9.2 weighted syntax).

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/320_rrf_weighted_retriever.yml``
in ``elastic/elasticsearch``, read at commit ``1d807ee877b9e8cfe83f4d6e944a2701c3aba270`` (requires the
``rrf_retriever.weighted_support`` cluster feature, i.e. ES 9.2+). Index and documents:
``build_restaurants_engine`` in ``conftest.py``. Spec: /work/shared/spec/elasticsearch-retrievers.md
§4.1, §4.2 and §9.2.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_close_to, at, ids, total
from retrievo.errors import ApiError

pytestmark = pytest.mark.requires("rrf")

AUSTRIA: dict[str, Any] = {"standard": {"query": {"multi_match": {"query": "Austria", "fields": ["city", "region"]}}}}


def match_description(text: str) -> dict[str, Any]:
    return {"standard": {"query": {"match": {"description": text}}}}


def weighted(retriever: dict[str, Any], weight: float) -> dict[str, Any]:
    return {"retriever": retriever, "weight": weight}


def rrf_search(e, *entries: dict[str, Any]) -> dict[str, Any]:
    return e.search(index="restaurants", body={"retriever": {"rrf": {"retrievers": list(entries)}}})


# YAML: "Weighted RRF retriever returns correct results"
def test_weighted_rrf_returns_correct_results(restaurants_engine):
    resp = rrf_search(restaurants_engine, weighted(AUSTRIA, 0.3), weighted(match_description("pizza"), 0.7))
    assert total(resp) == 3
    assert at(resp, "hits.hits.0._id") == "1"


# YAML: "Weighted RRF retriever allows optional weight field"
def test_weighted_rrf_allows_optional_weight_field(restaurants_engine):
    # first entry in the direct form (no wrapper, weight 1.0), second one wrapped with a weight
    resp = rrf_search(restaurants_engine, AUSTRIA, weighted(match_description("pizza"), 0.7))
    assert total(resp) == 3
    assert at(resp, "hits.hits.0._id") == "1"


# YAML: "Weighted RRF retriever changes result order"
def test_weighted_rrf_changes_result_order(restaurants_engine):
    resp = rrf_search(
        restaurants_engine, weighted(match_description("pizza"), 0.1), weighted(match_description("burgers"), 0.9)
    )
    assert total(resp) == 2
    assert ids(resp)[:2] == ["2", "1"]
    assert_close_to(at(resp, "hits.hits.0._score"), 0.01475, 0.0001)  # 0.9 / (60 + 1)
    assert_close_to(at(resp, "hits.hits.1._score"), 0.00164, 0.0001)  # 0.1 / (60 + 1)


# YAML: "Weighted RRF retriever errors on negative weight"
def test_weighted_rrf_rejects_a_negative_weight(restaurants_engine):
    with pytest.raises(ApiError) as err:
        rrf_search(restaurants_engine, weighted(AUSTRIA, -0.5), weighted(match_description("pizza"), 0.7))
    assert err.value.status_code == 400  # catch: bad_request
    assert at(err.value.body, "error.type") == "x_content_parse_exception"
    assert "[weight] must be non-negative, found [-0.5]" in at(err.value.body, "error.caused_by.reason")
