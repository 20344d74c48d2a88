"""The ``semantic`` query's parameters as Elasticsearch 9's ``SemanticQueryBuilder`` declares them.

Its parser knows ``field``, ``query``, ``lenient``, ``boost`` and ``_name``. ``inner_hits`` was added in
8.16 development and rolled back before release (elastic/elasticsearch#113986, "Rollback Semantic Query
Inner Hits"), so Elasticsearch 9 answers it as an unknown field -- it is not a feature retrievo lacks.
``lenient: true`` turns the error on a field that is not ``semantic_text`` into ``MatchNoneQueryBuilder``;
the error reads ``Field [f] of type [t] does not support semantic queries``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from retrievo import Engine
from retrievo.errors import ApiError


@pytest.fixture(scope="module")
def es() -> Iterator[Engine]:
    e = Engine()
    e.indices.create(index="t", mappings={"properties": {"title": {"type": "text"}}})
    e.index(index="t", id="1", document={"title": "hello"}, refresh=True)
    yield e


def test_inner_hits_is_an_unknown_field(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index="t", query={"semantic": {"field": "title", "query": "x", "inner_hits": {}}})
    assert info.value.meta.status == 400
    error = info.value.body["error"]
    assert error["type"] == "x_content_parse_exception"
    assert error["reason"] == "[semantic] unknown field [inner_hits]"
    assert "not supported in retrievo" not in str(info.value.body)


def test_a_non_semantic_field_is_an_error_without_lenient(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index="t", query={"semantic": {"field": "title", "query": "x", "lenient": False}})
    assert info.value.meta.status == 400
    assert "Field [title] of type [text] does not support semantic queries" in str(info.value.body)


def test_lenient_matches_nothing_on_a_non_semantic_field(es: Engine) -> None:
    resp = es.search(index="t", query={"semantic": {"field": "title", "query": "x", "lenient": True}})
    assert resp["hits"]["total"] == {"value": 0, "relation": "eq"}
    assert resp["hits"]["hits"] == []


def test_lenient_inside_a_bool_leaves_the_other_clauses(es: Engine) -> None:
    query = {
        "bool": {
            "should": [
                {"semantic": {"field": "title", "query": "x", "lenient": True}},
                {"match": {"title": "hello"}},
            ]
        }
    }
    hits = es.search(index="t", query=query)["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["1"]


def test_lenient_must_be_a_boolean(es: Engine) -> None:
    with pytest.raises(ApiError) as info:
        es.search(index="t", query={"semantic": {"field": "title", "query": "x", "lenient": "yes"}})
    assert info.value.meta.status == 400
    assert info.value.body["error"]["reason"] == "[semantic] failed to parse field [lenient]"
