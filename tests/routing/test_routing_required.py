"""``_routing: {"required": true}`` in the mappings (``RoutingFieldMapper``): the mapping round-trips,
cannot be changed, and every single-document read or write without a routing fails with
``RoutingMissingException`` ("routing is required for [index]/[id]", 400) — per item in ``_bulk`` and
``_mget`` (``IndexRoutingTests.testRequiredRouting``, ``SimpleRoutingIT``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import ApiError, BadRequestError

from retrievo import Engine

MISSING = {
    "type": "routing_missing_exception",
    "reason": "routing is required for [test]/[1]",
    "index_uuid": "_na_",
    "index": "test",
}


@pytest.fixture
def es() -> Engine:
    e = Engine()
    e.indices.create(index="test", settings={"number_of_shards": 2}, mappings={"_routing": {"required": True}})
    e.index(index="test", id="1", routing="0", document={"foo": "bar"}, refresh=True)
    return e


def test_mapping_round_trip_and_defaults() -> None:
    es = Engine()
    es.indices.create(index="req", mappings={"_routing": {"required": True}, "properties": {"a": {"type": "keyword"}}})
    es.indices.create(index="opt", mappings={"_routing": {"required": False}})
    assert es.indices.get_mapping(index="req")["req"]["mappings"] == {
        "_routing": {"required": True},
        "properties": {"a": {"type": "keyword"}},
    }
    assert es.indices.get_mapping(index="opt")["opt"]["mappings"] == {}  # the default prints nothing
    es.indices.put_mapping(index="req", properties={"b": {"type": "long"}})  # not naming _routing keeps it
    assert es.indices.get_mapping(index="req")["req"]["mappings"]["_routing"] == {"required": True}


@pytest.mark.parametrize(
    ("index", "update", "message"),
    [
        ("req", {"_routing": {"required": False}}, "from [true] to [false]"),
        ("opt", {"_routing": {"required": True}}, "from [false] to [true]"),
    ],
)
def test_required_cannot_be_updated(index: str, update: dict[str, Any], message: str) -> None:
    es = Engine()
    es.indices.create(index="req", mappings={"_routing": {"required": True}})
    es.indices.create(index="opt")
    with pytest.raises(BadRequestError) as err:
        es.indices.put_mapping(index=index, body=update)
    assert err.value.body["error"]["type"] == "illegal_argument_exception"
    assert err.value.body["error"]["reason"] == (
        f"Mapper for [_routing] conflicts with existing mapper:\n\tCannot update parameter [required] {message}"
    )


def test_unknown_routing_parameter_is_a_mapping_error() -> None:
    with pytest.raises(BadRequestError) as err:
        Engine().indices.create(index="x", mappings={"_routing": {"requird": True}})
    assert err.value.body["error"]["type"] == "mapper_parsing_exception"
    assert err.value.body["error"]["caused_by"]["reason"] == "unknown parameter [requird] on metadata field [_routing]"


@pytest.mark.parametrize(
    "call",
    [
        lambda es: es.index(index="test", id="1", document={"foo": "baz"}),
        lambda es: es.create(index="test", id="1", document={"foo": "baz"}),
        lambda es: es.get(index="test", id="1"),
        lambda es: es.delete(index="test", id="1"),
        lambda es: es.update(index="test", id="1", doc={"foo": "baz"}),
        lambda es: es.explain(index="test", id="1", query={"match_all": {}}),
    ],
    ids=["index", "create", "get", "delete", "update", "explain"],
)
def test_single_document_apis_require_routing(es: Engine, call: Callable[[Engine], Any]) -> None:
    with pytest.raises(ApiError) as err:
        call(es)
    assert err.value.meta.status == 400
    assert err.value.body["error"]["type"] == "routing_missing_exception"
    assert err.value.body["error"]["root_cause"] == [MISSING]
    assert es.get(index="test", id="1", routing="0")["_source"] == {"foo": "bar"}  # nothing changed


def test_exists_without_routing_is_400(es: Engine) -> None:
    with pytest.raises(BadRequestError):
        es.exists(index="test", id="1")
    assert es.exists(index="test", id="1", routing="0")


def test_auto_generated_id_is_named_in_the_error() -> None:
    es = Engine()
    es.indices.create(index="test", mappings={"_routing": {"required": True}})
    with pytest.raises(BadRequestError) as err:
        es.index(index="test", document={"foo": "bar"})
    assert err.value.body["error"]["reason"].startswith("routing is required for [test]/[")
    assert es.count(index="test")["count"] == 0


def test_bulk_and_mget_fail_per_item(es: Engine) -> None:
    resp = es.bulk(
        operations=[
            {"index": {"_index": "test", "_id": "1"}},
            {"foo": "x"},
            {"index": {"_index": "test", "_id": "2", "routing": "0"}},
            {"foo": "y"},
            {"delete": {"_index": "test", "_id": "1"}},
            {"update": {"_index": "test", "_id": "1"}},
            {"doc": {"foo": "z"}},
        ]
    )
    items = [next(iter(i.values())) for i in resp["items"]]
    assert resp["errors"] is True
    assert [i["status"] for i in items] == [400, 201, 400, 400]
    assert items[0]["error"] == MISSING
    assert items[3]["error"] == MISSING
    docs = es.mget(index="test", docs=[{"_id": "1"}, {"_id": "1", "routing": "0"}])["docs"]
    assert docs[0] == {"_index": "test", "_id": "1", "error": {"root_cause": [MISSING], **MISSING}}
    assert docs[1]["found"] is True
    assert docs[1]["_source"] == {"foo": "bar"}
