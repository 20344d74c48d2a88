"""An alias's ``index_routing`` (or ``routing``) applies to the document APIs through it, as
``Metadata.resolveIndexRouting`` applies it (messages from ``MetadataTests.testResolveIndexRouting``):
the alias's routing replaces a missing one, a different request routing is refused, and a routing of
several values cannot route one document."""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine


@pytest.fixture
def es() -> Engine:
    e = Engine()
    e.indices.create(index="test", settings={"number_of_shards": 5, "number_of_routing_shards": 5})
    e.indices.put_alias(index="test", name="alias0")
    e.indices.put_alias(index="test", name="alias1", routing="5")
    e.indices.put_alias(index="test", name="alias2", index_routing="1,2", search_routing="1,2")
    return e


def test_writes_and_reads_through_the_alias_take_its_routing(es: Engine) -> None:
    es.index(index="alias1", id="1", document={"foo": "bar"})
    assert es.get(index="test", id="1", routing="5")["_routing"] == "5"
    assert es.get(index="alias1", id="1")["_routing"] == "5"
    assert es.exists(index="alias1", id="1")
    assert not es.exists(index="alias0", id="1")  # no alias routing: routed by the _id, another shard
    assert es.mget(docs=[{"_index": "alias1", "_id": "1"}])["docs"][0]["found"] is True
    es.update(index="alias1", id="1", doc={"n": 1})
    assert es.get(index="alias1", id="1", routing="5")["_source"] == {"foo": "bar", "n": 1}
    resp = es.bulk(operations=[{"index": {"_index": "alias1", "_id": "2"}}, {"foo": "two"}])
    assert not resp["errors"]
    assert es.get(index="test", id="2", routing="5")["_routing"] == "5"
    assert es.delete(index="alias1", id="1")["result"] == "deleted"


def test_a_different_routing_is_refused(es: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        es.index(index="alias1", id="1", routing="0", document={"foo": "bar"})
    assert err.value.body["error"]["type"] == "illegal_argument_exception"
    assert err.value.body["error"]["reason"] == (
        "Alias [alias1] has index routing associated with it [5], and was provided with routing value [0], "
        "rejecting operation"
    )
    es.index(index="alias1", id="1", routing="5", document={"foo": "bar"})  # the same value is fine
    doc = es.mget(docs=[{"_index": "alias1", "_id": "1", "routing": "0"}])["docs"][0]
    assert doc["_index"] == "alias1"
    assert doc["error"]["type"] == "illegal_argument_exception"


def test_several_alias_routing_values_cannot_route_a_document(es: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        es.get(index="alias2", id="1")
    assert err.value.body["error"]["reason"] == (
        "index/alias [alias2] provided with routing value [1,2] that resolved to several routing values, "
        "rejecting operation"
    )
    item = es.bulk(operations=[{"index": {"_index": "alias2", "_id": "1"}}, {"a": 1}])["items"][0]["index"]
    assert item["status"] == 400
    assert item["error"]["type"] == "illegal_argument_exception"


def _searched(es: Engine, index: str, **params: object) -> tuple[list[str], int]:
    resp = es.search(index=index, size=20, **params)
    return sorted(h["_id"] for h in resp["hits"]["hits"]), resp["_shards"]["total"]


def test_search_routing_of_an_alias_limits_the_shards(es: Engine) -> None:
    """``resolveSearchRouting``: an alias's search routing narrows the search; the request's routing is
    intersected with it; a direct mention of the index, or an alias without routing, searches it all."""
    es.indices.put_alias(index="test", name="five", search_routing="5")
    es.indices.put_alias(index="test", name="four_five", search_routing="4,5")
    es.index(index="test", id="a", routing="5", document={"n": 1})
    es.index(index="test", id="b", routing="4", document={"n": 2})
    es.indices.refresh(index="test")
    assert _searched(es, "five") == (["a"], 1)
    assert _searched(es, "four_five") == (["a", "b"], 2)
    assert _searched(es, "four_five", routing="4") == (["b"], 1)
    assert _searched(es, "five", routing="4") == (["a", "b"], 5)  # an empty intersection: every shard
    assert _searched(es, "five,test") == (["a", "b"], 5)
    assert _searched(es, "five,alias0") == (["a", "b"], 5)
    assert _searched(es, "test", routing="4") == (["b"], 1)
    assert es.count(index="five")["count"] == 1
    responses = es.msearch(searches=[{"index": "five"}, {}, {"index": "five,four_five", "routing": "4"}, {}])
    assert [sorted(h["_id"] for h in r["hits"]["hits"]) for r in responses["responses"]] == [["a"], ["b"]]
    assert es.delete_by_query(index="five", query={"match_all": {}}, refresh=True)["deleted"] == 1
    assert _searched(es, "test") == (["b"], 5)
