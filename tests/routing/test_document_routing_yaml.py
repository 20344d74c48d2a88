"""The ``routing`` parameter of the document APIs on a 5-shard index, ported from Elasticsearch's YAML
REST tests (``index/40_routing.yml``, ``get/40_routing.yml``, ``exists/40_routing.yml``,
``delete/30_routing.yml``, ``update/40_routing.yml``, ``mget/40_routing.yml``) and extended to bulk
and explain the way ``SimpleRoutingIT`` exercises them.

The YAML index has ``number_of_routing_shards: 5``, so routing values ``"5"`` and ``"4"`` lead to
different shards (they must, for the YAML's ``catch: missing`` to hold); the ``_id`` ``"1"`` alone
leads to yet another shard than ``"5"`` (the read without routing misses).
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import NotFoundError

from retrievo import Engine


@pytest.fixture
def es() -> Engine:
    e = Engine()
    e.indices.create(
        index="test_1",
        settings={"index": {"number_of_shards": 5, "number_of_routing_shards": 5, "number_of_replicas": 0}},
    )
    e.index(index="test_1", id="1", routing="5", document={"foo": "bar"})
    return e


def test_index_then_get_with_routing_prints_routing(es: Engine) -> None:  # index/40, get/40
    got = es.get(index="test_1", id="1", routing="5", stored_fields=["_routing"])
    assert got["_id"] == "1"
    assert got["_routing"] == "5"
    assert got["found"] is True
    with pytest.raises(NotFoundError) as missing:
        es.get(index="test_1", id="1")
    assert missing.value.body == {"_index": "test_1", "_id": "1", "found": False}


def test_numeric_routing_is_its_text(es: Engine) -> None:  # get/40 sends `routing: 5` unquoted
    es.index(index="test_1", id="2", routing=5, document={"foo": "baz"})  # type: ignore[arg-type]
    got = es.get(index="test_1", id="2", routing=5)  # type: ignore[arg-type]
    assert got["_routing"] == "5"
    assert got["_source"] == {"foo": "baz"}


def test_get_prints_routing_beside_the_source(es: Engine) -> None:
    got = es.get(index="test_1", id="1", routing="5")
    assert list(got) == ["_index", "_id", "_version", "_seq_no", "_primary_term", "_routing", "found", "_source"]
    assert got["_source"] == {"foo": "bar"}


def test_exists_with_and_without_routing(es: Engine) -> None:  # exists/40
    assert es.exists(index="test_1", id="1", routing="5")
    assert not es.exists(index="test_1", id="1")
    assert not es.exists(index="test_1", id="1", routing="4")


def test_delete_with_another_routing_is_missing(es: Engine) -> None:  # delete/30
    with pytest.raises(NotFoundError) as missing:
        es.delete(index="test_1", id="1", routing="4")
    assert missing.value.body["result"] == "not_found"
    assert es.get(index="test_1", id="1", routing="5")["found"]  # nothing was deleted
    deleted = es.delete(index="test_1", id="1", routing="5")
    assert deleted["result"] == "deleted"
    assert deleted["_version"] == 2
    assert not es.exists(index="test_1", id="1", routing="5")


def test_update_upserts_with_routing_and_misses_without() -> None:  # update/40
    es = Engine()
    es.indices.create(
        index="test_1",
        settings={"index": {"number_of_shards": 5, "number_of_routing_shards": 5, "number_of_replicas": 1}},
    )
    es.update(index="test_1", id="1", routing="5", doc={"foo": "baz"}, upsert={"foo": "bar"})
    assert es.get(index="test_1", id="1", routing="5", stored_fields="_routing")["_routing"] == "5"
    with pytest.raises(NotFoundError) as missing:
        es.update(index="test_1", id="1", doc={"foo": "baz"})
    error = missing.value.body["error"]
    assert error["type"] == "document_missing_exception"
    assert error["reason"] == "[1]: document missing"
    updated = es.update(index="test_1", id="1", routing="5", source="foo", doc={"foo": "baz"})  # type: ignore[arg-type]
    assert updated["get"]["_source"]["foo"] == "baz"
    assert es.get(index="test_1", id="1", routing="5")["_routing"] == "5"


def test_update_keeps_the_stored_routing(es: Engine) -> None:
    """UpdateHelper re-indexes with the routing the document has, not the request's: a routing value
    that merely reaches the same shard does not replace it."""
    target = _shard_of(es, "1", "5")
    other = next(r for r in (f"r{i}" for i in range(100)) if _shard_of(es, "1", r) == target)
    es.update(index="test_1", id="1", routing=other, doc={"n": 1})
    got = es.get(index="test_1", id="1", routing="5")
    assert got["_routing"] == "5"
    assert got["_source"] == {"foo": "bar", "n": 1}


def test_mget_items_route_on_their_own_routing(es: Engine) -> None:  # mget/40
    docs = es.mget(
        index="test_1",
        stored_fields=["_routing"],
        docs=[{"_id": "1"}, {"_id": "1", "routing": "4"}, {"_id": "1", "routing": "5"}],
    )["docs"]
    assert docs[0]["found"] is False
    assert docs[1]["found"] is False
    assert docs[2]["found"] is True
    assert (docs[2]["_index"], docs[2]["_id"], docs[2]["_routing"]) == ("test_1", "1", "5")


def test_mget_url_routing_is_the_default_of_its_items(es: Engine) -> None:
    docs = es.mget(index="test_1", routing="5", docs=[{"_id": "1"}, {"_id": "1", "routing": "4"}])["docs"]
    assert [d["found"] for d in docs] == [True, False]
    assert es.mget(index="test_1", routing="5", ids=["1"])["docs"][0]["_routing"] == "5"


def test_bulk_items_carry_their_routing(es: Engine) -> None:
    resp = es.bulk(
        operations=[
            {"index": {"_index": "test_1", "_id": "7", "routing": "5"}},
            {"foo": "seven"},
            {"update": {"_index": "test_1", "_id": "1"}},
            {"doc": {"foo": "no"}},
            {"update": {"_index": "test_1", "_id": "1", "routing": "5"}},
            {"doc": {"foo": "yes"}},
            {"delete": {"_index": "test_1", "_id": "1", "routing": "4"}},
        ]
    )
    items = [next(iter(item.values())) for item in resp["items"]]
    assert [i["status"] for i in items] == [201, 404, 200, 404]
    assert items[1]["error"]["type"] == "document_missing_exception"
    assert items[3]["result"] == "not_found"
    assert "_routing" not in items[0]  # DocWriteResponse prints no routing
    assert es.get(index="test_1", id="7", routing="5")["_routing"] == "5"
    assert es.get(index="test_1", id="1", routing="5")["_source"] == {"foo": "yes"}


def test_bulk_url_routing_is_the_default_of_its_items(es: Engine) -> None:
    es.bulk(routing="5", operations=[{"index": {"_index": "test_1", "_id": "8"}}, {"foo": "eight"}])
    assert es.get(index="test_1", id="8", routing="5")["_routing"] == "5"
    assert not es.exists(index="test_1", id="8", routing="4")


def test_explain_with_routing(es: Engine) -> None:
    es.indices.refresh(index="test_1")
    with pytest.raises(NotFoundError) as missing:
        es.explain(index="test_1", id="1", query={"match_all": {}})
    assert missing.value.body == {"_index": "test_1", "_id": "1", "matched": False}
    found = es.explain(index="test_1", id="1", routing="5", query={"match_all": {}}, source=True)
    assert found["matched"] is True
    assert found["get"]["_routing"] == "5"
    assert found["get"]["_source"] == {"foo": "bar"}


def test_search_hits_print_routing(es: Engine) -> None:
    es.indices.refresh(index="test_1")
    hits = es.search(index="test_1", routing="5")["hits"]["hits"]
    assert [(h["_id"], h["_routing"]) for h in hits] == [("1", "5")]
    assert es.search(index="test_1", routing="4")["hits"]["hits"] == []


def _shard_of(es: Engine, doc_id: str, routing: str) -> str:
    """The shard a write of ``(doc_id, routing)`` lands on, read from a create's version conflict."""
    probe = Engine()
    probe.indices.create(index="p", settings={"number_of_shards": 5, "number_of_routing_shards": 5})
    probe.index(index="p", id=doc_id, routing=routing, document={})
    try:
        probe.create(index="p", id=doc_id, routing=routing, document={})
    except Exception as conflict:  # noqa: BLE001 - the 409 names the shard
        body: Any = getattr(conflict, "body", {})
        return str(body["error"]["shard"])
    raise AssertionError("expected a version conflict")
