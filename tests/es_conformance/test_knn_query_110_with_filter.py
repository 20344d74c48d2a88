"""Port of Elasticsearch's ``knn`` query filter YAML REST tests: pre-filters (the query's own ``filter``
and a filtered alias's filter) against post-filters (a ``bool`` around the ``knn`` query).

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search.vectors/110_knn_query_with_filter.yml``
in ``elastic/elasticsearch``, read at commit ``f41bfb936cd35b2b356621cb43b95c440560799e``. Index and documents:
``build_my_index`` in ``es_yaml_knn_query.py`` with the YAML's aliases ``my_alias`` (``my_name: v2``) and
``my_alias1`` (``my_name: v1``). Distances from ``[1, 1, 1, 1]`` grow with the doc number, so the nearest
``v2`` documents are 2, 4, 6 and the nearest ``v1`` ones 1, 3, 5.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import doc_value, ids, total, with_fields
from es_yaml_knn_query import build_my_index, knn
from retrievo import Engine

ALIASES = {
    "my_alias": {"filter": {"term": {"my_name": "v2"}}},
    "my_alias1": {"filter": {"term": {"my_name": "v1"}}},
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_my_index(aliases=ALIASES)


def search(e: Engine, index: str, query: dict[str, Any], size: int = 3) -> dict[str, Any]:
    return e.search(index=index, body=with_fields({"size": size, "query": query}, ["my_name"])).body


def names(resp: dict[str, Any]) -> list[str]:
    return [doc_value(h, "my_name") for h in resp["hits"]["hits"]]


# YAML: "Simple knn query"
def test_simple_knn_query(engine: Engine) -> None:
    resp = search(engine, "my_index", knn(5, 5))
    assert total(resp) == 5
    assert ids(resp) == ["1", "2", "3"]
    assert names(resp) == ["v1", "v2", "v1"]


# YAML: "PRE_FILTER: knn query with alias filter as pre-filter"
def test_alias_filter_is_a_pre_filter(engine: Engine) -> None:
    resp = search(engine, "my_alias", knn(5, 5))
    assert total(resp) == 5
    assert ids(resp) == ["2", "4", "6"]
    assert names(resp) == ["v2", "v2", "v2"]

    # the alias pre-filter is combined with the query's own filter
    resp = search(engine, "my_alias", knn(None, 5, filter={"term": {"my_name": "v1"}}))
    assert total(resp) == 0
    assert ids(resp) == []

    # the alias pre-filter applies when the knn query is part of another query
    query = {"bool": {"should": [{"prefix": {"my_name": "v"}}, knn(5, 5)]}}
    resp = search(engine, "my_alias", query)
    assert total(resp) == 5
    assert ids(resp) == ["2", "4", "6"]


# YAML: "PRE_FILTER: knn query with alias filter as pre-filter" (its request with a wildcard query)
def test_alias_filter_with_a_wildcard_query(engine: Engine) -> None:
    query = {"bool": {"should": [{"wildcard": {"my_name": {"value": "v*"}}}, knn(5, 5)]}}
    resp = search(engine, "my_alias", query)
    assert total(resp) == 5
    assert ids(resp) == ["2", "4", "6"]


# YAML: "PRE_FILTER: pre-filter across multiple internal filters"
def test_several_internal_filters(engine: Engine) -> None:
    filters = [{"term": {"my_name": "v1"}}, {"term": {"my_name": "v2"}}]
    resp = search(engine, "my_index", knn(None, 5, filter=filters))
    assert total(resp) == 0
    assert ids(resp) == []


# YAML: "PRE_FILTER: pre-filter across multiple aliases"
def test_pre_filter_across_several_aliases(engine: Engine) -> None:
    resp = search(engine, "my_alias,my_alias1", knn(100, 100), size=6)
    assert total(resp) == 10
    assert ids(resp) == ["1", "2", "3", "4", "5", "6"]
    assert names(resp) == ["v1", "v2", "v1", "v2", "v1", "v2"]


# YAML: "PRE_FILTER: knn query with internal filter as pre-filter"
def test_internal_filter_is_a_pre_filter(engine: Engine) -> None:
    resp = search(engine, "my_index", knn(5, 5, filter={"term": {"my_name": "v2"}}))
    assert total(resp) == 5
    assert ids(resp) == ["2", "4", "6"]
    assert names(resp) == ["v2", "v2", "v2"]


# YAML: "POST_FILTER: knn query with filter from a parent bool query as post-filter"
def test_parent_bool_filter_is_a_post_filter(engine: Engine) -> None:
    query = {"bool": {"must": [{"term": {"my_name": "v2"}}, knn(5, 5)]}}
    resp = search(engine, "my_index", query)
    assert total(resp) == 2  # the knn query's top 5 (docs 1-5) hold two v2 documents
    assert ids(resp) == ["2", "4"]
    assert names(resp) == ["v2", "v2"]

    query = {"bool": {"must": [{"term": {"my_name": "v2"}}, knn(None, 5, filter={"term": {"my_name": "v1"}})]}}
    resp = search(engine, "my_index", query)
    assert total(resp) == 0
    assert ids(resp) == []
