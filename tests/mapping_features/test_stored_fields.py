"""``store: true`` and ``stored_fields`` on ``_search``, ``GET _doc`` and ``_mget``.

Ported from Elasticsearch's YAML REST tests (``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/
test/``): ``get/20_stored_fields.yml``, ``get/70_source_filtering.yml`` (its ``stored_fields`` step),
``mget/20_stored_fields.yml`` (all four requests), and ``get/120_stored_fields_ignored.yml`` without its
``ip`` field (retrievo has no ``ip`` type). The value shapes (numbers as numbers, dates in the field's
format, booleans as booleans, values in indexing order, ``ignore_above`` values not stored) follow each
type's ``valueForDisplay``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from retrievo import Engine


@pytest.fixture
def es() -> Iterator[Engine]:
    engine = Engine()
    engine.indices.create(
        index="test_1",
        mappings={
            "properties": {"foo": {"type": "keyword", "store": True}, "count": {"type": "integer", "store": True}}
        },
    )
    yield engine


# ------------------------------------------------------------------------------ get/20_stored_fields.yml


def test_get_stored_fields(es: Engine) -> None:
    es.index(index="test_1", id="1", document={"foo": "bar", "count": 1})
    resp = es.get(index="test_1", id="1", stored_fields="foo")
    assert resp["_index"] == "test_1" and resp["_id"] == "1"
    assert resp["fields"] == {"foo": ["bar"]}
    assert "_source" not in resp
    resp = es.get(index="test_1", id="1", stored_fields=["foo", "count"])
    assert resp["fields"] == {"foo": ["bar"], "count": [1]}
    assert "_source" not in resp
    resp = es.get(index="test_1", id="1", stored_fields=["foo", "count", "_source"])
    assert resp["fields"] == {"foo": ["bar"], "count": [1]}
    assert resp["_source"]["foo"] == "bar"


# ------------------------------------------------------------------------------ get/70_source_filtering.yml


def test_get_stored_fields_with_source_true() -> None:
    es = Engine()
    es.indices.create(index="test_1", mappings={"properties": {"count": {"type": "integer", "store": True}}})
    es.index(index="test_1", id="1", document={"include": {"field1": "v1", "field2": "v2"}, "count": 1})
    resp = es.get(index="test_1", id="1", stored_fields="count", source=True)
    assert resp["fields"]["count"] == [1]
    assert resp["_source"]["include"]["field1"] == "v1"


# ------------------------------------------------------------------------------ mget/20_stored_fields.yml

_DOCS: list[dict[str, Any]] = [
    {"_id": "1"},
    {"_id": "1", "stored_fields": "foo"},
    {"_id": "1", "stored_fields": ["foo"]},
    {"_id": "1", "stored_fields": ["foo", "_source"]},
]


@pytest.mark.parametrize("url_stored", [None, "foo", ["foo"], ["foo", "_source"]])
def test_mget_stored_fields(es: Engine, url_stored: Any) -> None:
    es.index(index="test_1", id="1", document={"foo": "bar"})
    extra = {} if url_stored is None else {"stored_fields": url_stored}
    docs = es.mget(index="test_1", docs=_DOCS, **extra)["docs"]
    first = docs[0]
    if url_stored is None:
        assert "fields" not in first
        assert first["_source"] == {"foo": "bar"}
    else:
        assert first["fields"]["foo"] == ["bar"]
        if url_stored == ["foo", "_source"]:
            assert first["_source"] == {"foo": "bar"}
        else:
            assert "_source" not in first
    for doc in docs[1:3]:
        assert doc["fields"]["foo"] == ["bar"]
        assert "_source" not in doc
    assert docs[3]["fields"]["foo"] == ["bar"]
    assert docs[3]["_source"] == {"foo": "bar"}


# ------------------------------------------------------------------------------ get/120_stored_fields_ignored.yml


def test_get_stored_fields_ignored() -> None:
    """``_ignored`` is not a stored field since 8.15: naming it returns nothing."""
    es = Engine()
    es.indices.create(
        index="test",
        mappings={
            "properties": {
                "keyword": {"type": "keyword", "ignore_above": 5},
                "value": {"type": "long", "ignore_malformed": True},
            }
        },
    )
    es.index(index="test", id="1", document={"keyword": "foo", "value": 23}, refresh=True)
    es.index(index="test", id="2", document={"keyword": "foobar", "value": "missing"}, refresh=True)
    es.index(index="test", id="3", document={"keyword": ["foo", "bar", "foobar"], "value": [1, 2, "ops"]}, refresh=True)
    for doc_id in ("1", "2", "3"):
        resp = es.get(index="test", id=doc_id)
        assert resp["found"] is True and resp["_version"] == 1
        assert "fields" not in resp
        resp = es.get(index="test", id=doc_id, stored_fields=["_ignored"])
        assert resp["found"] is True
        assert "_ignored" not in resp and "fields" not in resp


# ------------------------------------------------------------------------------ search


@pytest.fixture
def typed() -> Iterator[Engine]:
    engine = Engine()
    engine.indices.create(
        index="t",
        mappings={
            "properties": {
                "title": {"type": "text", "store": True},
                "tag": {"type": "keyword", "store": True, "ignore_above": 4},
                "n": {"type": "long", "store": True},
                "f": {"type": "float", "store": True},
                "d": {"type": "date", "store": True, "format": "yyyy/MM/dd"},
                "b": {"type": "boolean", "store": True},
                "plain": {"type": "keyword"},
                "all": {"type": "keyword", "store": True},
                "src": {"type": "keyword", "copy_to": "all"},
            }
        },
    )
    engine.index(
        index="t",
        id="1",
        document={
            "title": "Quick Fox",
            "tag": ["zz", "toolong", "aa"],
            "n": "42",
            "f": 0.1,
            "d": "2020/01/02",
            "b": "true",
            "plain": "p",
            "src": "copied",
        },
        refresh=True,
    )
    yield engine


def test_search_stored_fields_values(typed: Engine) -> None:
    hit = typed.search(index="t", stored_fields=["*"])["hits"]["hits"][0]
    assert hit["_id"] == "1"
    assert "_source" not in hit
    assert hit["fields"] == {
        "all": ["copied"],  # copy_to copies are stored in the target
        "b": [True],
        "d": ["2020/01/02"],
        "f": [0.1],
        "n": [42],
        "tag": ["zz", "aa"],  # indexing order; the value over ignore_above is not stored
        "title": ["Quick Fox"],
    }


def test_search_stored_fields_names_and_patterns(typed: Engine) -> None:
    hit = typed.search(index="t", stored_fields=["n", "t*", "plain", "missing"])["hits"]["hits"][0]
    assert hit["fields"] == {"n": [42], "title": ["Quick Fox"], "tag": ["zz", "aa"]}
    hit = typed.search(index="t", stored_fields=["n", "_source"])["hits"]["hits"][0]
    assert hit["fields"] == {"n": [42]}
    assert hit["_source"]["plain"] == "p"
    hit = typed.search(index="t", stored_fields=["n"], fields=["plain"])["hits"]["hits"][0]
    assert hit["fields"] == {"n": [42], "plain": ["p"]}


def test_store_in_mapping_round_trip(typed: Engine) -> None:
    props = typed.indices.get_mapping(index="t")["t"]["mappings"]["properties"]
    assert props["n"] == {"type": "long", "store": True}
    assert props["plain"] == {"type": "keyword"}
    with pytest.raises(Exception) as failure:
        typed.indices.put_mapping(index="t", properties={"n": {"type": "long", "store": False}})
    assert "Cannot update parameter [store] from [true] to [false]" in str(failure.value.body)


def test_stored_copy_target_keeps_document_order() -> None:
    """Stored values are what indexing stored, in parse order: the target's own value and the copies in the
    order the document gives the fields."""
    es = Engine()
    es.indices.create(
        index="t",
        mappings={
            "properties": {
                "first_name": {"type": "text", "copy_to": "full_name"},
                "last_name": {"type": "text", "copy_to": "full_name"},
                "full_name": {"type": "text", "store": True},
            }
        },
    )
    es.index(index="t", id="1", document={"first_name": "John", "full_name": "X", "last_name": "Smith"})
    assert es.get(index="t", id="1", stored_fields="full_name")["fields"] == {"full_name": ["John", "X", "Smith"]}
