"""Ports of Elasticsearch's mapper-extras YAML REST tests for ``rank_feature`` and ``rank_features``:
``rank_feature/10_basic.yml``, ``rank_feature/20_null_value.yml`` and ``rank_features/10_basic.yml``
(``modules/mapper-extras/src/yamlRestTest/resources/rest-api-spec/test/``). The synthetic-source files
are not ported: retrievo has no synthetic ``_source``.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine


@pytest.fixture(scope="module")
def basic() -> Engine:
    """``rank_feature/10_basic.yml`` setup."""
    es = Engine()
    es.indices.create(
        index="test",
        settings={"number_of_replicas": 0},
        mappings={
            "properties": {
                "pagerank": {"type": "rank_feature"},
                "url_length": {"type": "rank_feature", "positive_score_impact": False},
            }
        },
    )
    es.index(index="test", id="1", document={"pagerank": 10, "url_length": 50})
    es.index(index="test", id="2", document={"pagerank": 100, "url_length": 20})
    es.indices.refresh()
    return es


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("Positive log", "pagerank", {"log": {"scaling_factor": 3}}),
    ("Positive saturation", "pagerank", {"saturation": {"pivot": 20}}),
    ("Positive sigmoid", "pagerank", {"sigmoid": {"pivot": 20, "exponent": 0.6}}),
    ("Positive linear", "pagerank", {"linear": {}}),
    ("Negative saturation", "url_length", {"saturation": {"pivot": 20}}),
    ("Negative sigmoid", "url_length", {"sigmoid": {"pivot": 20, "exponent": 0.6}}),
    ("Negative linear", "url_length", {"linear": {}}),
]


@pytest.mark.parametrize(("name", "field", "function"), CASES, ids=[c[0] for c in CASES])
def test_rank_feature_basic(basic: Engine, name: str, field: str, function: dict[str, Any]) -> None:
    resp = basic.search(index="test", query={"rank_feature": {"field": field, **function}})
    assert resp["hits"]["total"]["value"] == 2
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["2", "1"]


def test_negative_log(basic: Engine) -> None:
    with pytest.raises(BadRequestError):
        basic.search(index="test", query={"rank_feature": {"field": "url_length", "log": {"scaling_factor": 3}}})


def test_non_positive_null_value() -> None:
    """``20_null_value.yml`` "Non positive null_value"."""
    es = Engine()
    with pytest.raises(BadRequestError) as err:
        es.indices.create(
            index="test2",
            settings={"number_of_replicas": 0},
            mappings={"properties": {"pagerank": {"type": "rank_feature", "null_value": -3}}},
        )
    assert "[null_value] must be a positive normal float for field of type [rank_feature]" in str(err.value.body)


def test_search_with_and_without_null_value() -> None:
    """``20_null_value.yml`` "Search rank_feature with and without null_value"."""
    es = Engine()
    es.indices.create(
        index="test1",
        settings={"number_of_replicas": 0},
        mappings={
            "properties": {
                "pagerank": {"type": "rank_feature", "null_value": 100},
                "url_length": {"type": "rank_feature"},
            }
        },
    )
    es.index(index="test1", id="1", document={"pagerank": 10, "url_length": 50})
    es.index(index="test1", id="2", document={"pagerank": None, "url_length": None})
    with pytest.raises(BadRequestError) as err:
        es.index(index="test1", id="wrong_document1", document={"pagerank": ""})
    assert "failed to parse field [pagerank] of type [rank_feature] in document" in str(err.value.body)
    es.indices.refresh()

    resp = es.search(index="test1", query={"rank_feature": {"field": "url_length"}})
    assert resp["hits"]["total"]["value"] == 1
    assert resp["hits"]["hits"][0]["_id"] == "1"

    resp = es.search(
        index="test1",
        query={"rank_feature": {"field": "pagerank"}},
        fields=[{"field": "pagerank"}, {"field": "url_length"}],
    )
    hits = resp["hits"]["hits"]
    assert resp["hits"]["total"]["value"] == 2
    assert [h["_id"] for h in hits] == ["2", "1"]
    assert hits[0]["_source"]["pagerank"] is None
    assert hits[0]["fields"]["pagerank"][0] == 100
    assert hits[0]["_source"]["url_length"] is None
    assert "url_length" not in hits[0]["fields"]


@pytest.fixture(scope="module")
def features() -> Engine:
    """``rank_features/10_basic.yml`` setup."""
    es = Engine()
    es.indices.create(
        index="test", settings={"number_of_replicas": 0}, mappings={"properties": {"tags": {"type": "rank_features"}}}
    )
    es.index(index="test", id="1", document={"tags": {"foo": 3, "bar": 5}})
    es.index(index="test", id="2", document={"tags": {"bar": 6, "quux": 10}})
    es.indices.refresh()
    return es


@pytest.mark.parametrize(
    "function",
    [{"log": {"scaling_factor": 3}}, {"saturation": {"pivot": 20}}, {"sigmoid": {"pivot": 20, "exponent": 0.6}}],
    ids=["Log", "Saturation", "Sigmoid"],
)
def test_rank_features_basic(features: Engine, function: dict[str, Any]) -> None:
    resp = features.search(index="test", query={"rank_feature": {"field": "tags.bar", **function}})
    assert resp["hits"]["total"]["value"] == 2
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["2", "1"]


def test_rank_features_linear(features: Engine) -> None:
    resp = features.search(index="test", query={"rank_feature": {"field": "tags.bar", "linear": {}}})
    hits = resp["hits"]["hits"]
    assert resp["hits"]["total"]["value"] == 2
    assert (hits[0]["_id"], hits[0]["_score"]) == ("2", 6.0)
    assert (hits[1]["_id"], hits[1]["_score"]) == ("1", 5.0)


def test_rank_feature_mapping_errors() -> None:
    """Elasticsearch's document-parsing errors for a second value and a non-positive value."""
    es = Engine()
    es.indices.create(
        index="m", mappings={"properties": {"r": {"type": "rank_feature"}, "rs": {"type": "rank_features"}}}
    )
    for doc, message in (
        ({"r": [1, 2]}, "[rank_feature] fields do not support indexing multiple values for the same field [r]"),
        ({"r": -1}, "featureValue must be a positive normal float, got: -1.0 for feature r on field _feature"),
        ({"rs": [{"a": 1}, {"a": 2}]}, "do not support indexing multiple values for the same rank feature [rs.a]"),
        ({"rs": 5}, "[rank_features] fields must be json objects, expected a START_OBJECT but got: VALUE_NUMBER"),
    ):
        with pytest.raises(BadRequestError) as err:
            es.index(index="m", id="x", document=doc)
        assert message in str(err.value.body), err.value.body


def test_rank_feature_query_on_other_field_types() -> None:
    es = Engine()
    es.indices.create(index="o", mappings={"properties": {"k": {"type": "keyword"}}})
    es.index(index="o", id="1", document={"k": "x"}, refresh=True)
    with pytest.raises(BadRequestError) as err:
        es.search(index="o", query={"rank_feature": {"field": "k"}})
    assert "[rank_feature] query only works on [rank_feature] fields and features of [rank_features] fields" in str(
        err.value.body
    )
    assert es.search(index="o", query={"rank_feature": {"field": "unmapped"}})["hits"]["total"]["value"] == 0
