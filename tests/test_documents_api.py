"""Document APIs: index, create, get, delete, bulk — responses and errors as Elasticsearch gives them."""

from __future__ import annotations

import pytest

from retrievo import BadRequestError, ConflictError, Engine, NotFoundError


def _engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="books",
        mappings={"properties": {"title": {"type": "text"}, "year": {"type": "integer"}, "tag": {"type": "keyword"}}},
    )
    return e


def test_index_get_update_delete_roundtrip():
    e = _engine()
    r = e.index(index="books", id="1", document={"title": "Dune", "year": 1965})
    assert (r["result"], r["_version"], r["_id"]) == ("created", 1, "1")
    r = e.index(index="books", id="1", document={"title": "Dune Messiah", "year": 1969}, refresh=True)
    assert (r["result"], r["_version"]) == ("updated", 2)
    got = e.get(index="books", id="1")
    assert got["found"] is True and got["_source"] == {"title": "Dune Messiah", "year": 1969}
    assert e.search(index="books", query={"match": {"title": "dune"}})["hits"]["total"]["value"] == 1
    assert e.delete(index="books", id="1", refresh=True)["result"] == "deleted"
    with pytest.raises(NotFoundError) as info:
        e.get(index="books", id="1")
    assert info.value.status_code == 404 and info.value.body == {"_index": "books", "_id": "1", "found": False}
    assert e.search(index="books", query={"match": {"title": "dune"}})["hits"]["total"]["value"] == 0


def test_create_conflicts_on_existing_id():
    e = _engine()
    e.create(index="books", id="a", document={"title": "x"})
    with pytest.raises(ConflictError) as info:
        e.create(index="books", id="a", document={"title": "y"})
    assert info.value.status_code == 409
    assert info.value.body["error"]["type"] == "version_conflict_engine_exception"
    assert info.value.body["error"]["reason"] == "[a]: version conflict, document already exists (current version [1])"
    assert e.get(index="books", id="a")["_source"] == {"title": "x"}


def test_bad_value_fails_the_document_and_changes_nothing():
    e = _engine()
    e.index(index="books", id="1", document={"title": "ok", "year": 2000}, refresh=True)
    before = e.indices.get_mapping(index="books")
    with pytest.raises(BadRequestError) as info:
        e.index(index="books", id="2", document={"title": "bad", "year": "abc", "newfield": "x"})
    err = info.value.body["error"]
    assert info.value.status_code == 400
    assert err["type"] == "document_parsing_exception"
    assert "[year]" in err["reason"] and "abc" in err["reason"]
    assert e.indices.get_mapping(index="books") == before  # the dynamic field was not added
    assert e.count(index="books")["count"] == 1
    with pytest.raises(NotFoundError):
        e.get(index="books", id="2")


def test_bulk_items_fail_individually():
    e = _engine()
    resp = e.bulk(
        operations=[
            {"index": {"_index": "books", "_id": "1"}},
            {"title": "one", "year": 1},
            {"index": {"_index": "books", "_id": "2"}},
            {"title": "two", "year": "not a number"},
            {"create": {"_index": "books", "_id": "1"}},
            {"title": "dup"},
            {"delete": {"_index": "books", "_id": "nope"}},
            {"update": {"_index": "books", "_id": "1"}},
            {"doc": {"tag": "sf"}},
        ],
        refresh=True,
    )
    assert resp["errors"] is True
    statuses = [next(iter(i.values()))["status"] for i in resp["items"]]
    assert statuses == [201, 400, 409, 404, 200]
    assert resp["items"][1]["index"]["error"]["type"] == "document_parsing_exception"
    assert e.get(index="books", id="1")["_source"] == {"title": "one", "year": 1, "tag": "sf"}
    hits = e.search(index="books", query={"term": {"tag": "sf"}})["hits"]
    assert [h["_id"] for h in hits["hits"]] == ["1"]


def test_bulk_accepts_ndjson_and_default_index():
    e = _engine()
    ndjson = '{"index": {"_id": "x"}}\n{"title": "alpha"}\n{"index": {"_id": "y"}}\n{"title": "beta"}\n'
    resp = e.bulk(operations=ndjson, index="books", refresh=True)
    assert resp["errors"] is False
    assert e.count(index="books")["count"] == 2


def test_unknown_index_errors():
    e = Engine()
    with pytest.raises(NotFoundError) as info:
        e.search(index="missing", query={"match_all": {}})
    body = info.value.body
    assert body["status"] == 404
    assert body["error"]["type"] == "index_not_found_exception"
    assert body["error"]["reason"] == "no such index [missing]"
    assert body["error"]["root_cause"][0]["type"] == "index_not_found_exception"


def test_index_auto_creates_with_dynamic_mapping():
    e = Engine()
    e.index(index="auto", id="1", document={"title": "hello world", "n": 3, "f": 1.5, "ok": True}, refresh=True)
    props = e.indices.get_mapping(index="auto")["auto"]["mappings"]["properties"]
    assert props["title"] == {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    assert props["n"] == {"type": "long"} and props["f"] == {"type": "float"} and props["ok"] == {"type": "boolean"}
    assert e.search(index="auto", query={"term": {"title.keyword": "hello world"}})["hits"]["total"]["value"] == 1


def test_create_existing_index_and_bad_names():
    e = _engine()
    with pytest.raises(BadRequestError) as info:
        e.indices.create(index="books")
    assert info.value.body["error"]["type"] == "resource_already_exists_exception"
    with pytest.raises(BadRequestError) as info:
        e.indices.create(index="Books")
    assert info.value.body["error"]["type"] == "invalid_index_name_exception"
    assert e.indices.exists(index="books") and not e.indices.exists(index="nope")
    e.indices.delete(index="books")
    assert not e.indices.exists(index="books")
