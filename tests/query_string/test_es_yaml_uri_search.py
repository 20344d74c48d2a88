"""Ports of Elasticsearch's YAML REST tests of the URI search parameters (``q``, ``df``,
``default_operator``, ``lenient``), which build a ``query_string`` query from the URL.

Sources (``elastic/elasticsearch``, ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/``):
``search/60_query_string.yml`` (commit ``44f49c9b``) and ``count/20_query_string.yml`` (commit ``416613a3``):
one test each, ported step by step. ``RestActions.urlParamsToQueryBuilder``'s error for the other
parameters without ``q`` is checked against the message ``RestActionsTests`` pins.
"""

from __future__ import annotations

import pytest

from retrievo import Engine
from retrievo.errors import ApiError


@pytest.fixture()
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="test", mappings={"properties": {"number": {"type": "integer"}}})
    engine.index(index="test", id="1", document={"field": "foo bar"})
    engine.indices.refresh(index="test")
    return engine


# YAML (search/60_query_string.yml): "search with query_string parameters"
def test_search_with_query_string_parameters(es):
    def total(**params) -> int:
        return es.search(index="test", rest_total_hits_as_int=True, **params)["hits"]["total"]

    assert total(q="bar", df="field") == 1
    assert total(q="field:foo field:xyz") == 1
    assert total(q="field:foo field:xyz", default_operator="AND") == 0
    assert total(q="field:BA*") == 1
    assert total(q="number:foo", lenient=True) == 0


# YAML (count/20_query_string.yml): "count with query_string parameters"
def test_count_with_query_string_parameters(es):
    assert es.count(index="test", q="bar", df="field")["count"] == 1
    assert es.count(index="test", q="field:foo field:xyz")["count"] == 1
    assert es.count(index="test", q="field:foo field:xyz", default_operator="AND")["count"] == 0
    assert es.count(index="test", q="field:BA*")["count"] == 1
    assert es.count(index="test", q="number:foo", lenient=True)["count"] == 0


def test_q_replaces_the_body_query(es):
    resp = es.search(index="test", q="field:foo", query={"match": {"field": "nothing"}})
    assert resp["hits"]["total"]["value"] == 1


def test_query_string_parameters_without_q(es):
    with pytest.raises(ApiError) as err:
        es.search(index="test", df="field", default_operator="AND")
    assert err.value.status_code == 400
    assert err.value.body["error"]["reason"] == (
        "request [/test/_search] contains parameters [df, default_operator] but missing query string parameter 'q'."
    )


def test_explain_and_by_query_take_q(es):
    # _explain: ?q=... when there is no body (RestExplainAction)
    resp = es.explain(index="test", id="1", q="field:bar")
    assert resp["matched"] is True
    # _delete_by_query: ?q=... as in _search
    es.index(index="test", id="2", document={"field": "baz"}, refresh=True)
    assert es.delete_by_query(index="test", q="field:baz", refresh=True)["deleted"] == 1
    assert es.count(index="test")["count"] == 1
