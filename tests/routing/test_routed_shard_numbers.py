"""Which shard a document goes to, seen through the client: a create's ``version_conflict_engine_exception``
and an update's ``document_missing_exception`` name the shard the request was routed to. The expected
shards are Elasticsearch's own fixed expectations (``IndexRoutingTests.testBWC``: 8 shards, each key as
``_id`` or as ``routing``; ``testSimpleRoutingPreAndPostModRoutingChange``: ``_id`` "1" on 2 shards)."""

from __future__ import annotations

import pytest
from elasticsearch import ConflictError, NotFoundError

from retrievo import Engine

#: A sample of IndexRoutingTests.testBWC's table (8 shards, routing over 8).
BWC = {
    "sEERfFzPSI": 1,
    "cNRiIrjzYd": 7,
    "BgfLBXUyWT": 5,
    "cnepjZhQnb": 3,
    "OKCmuYkeCK": 6,
    "KXuNWWNgVj": 2,
    "DGJOYrpESx": 4,
    "hswhrppvDH": 0,
    "qoZALVcite": 7,
    "EBzEDAPODe": 2,
    "AITyyoyLLs": 4,
    "nbZWPWJsIM": 0,
}


def _engine(shards: int, routing_shards: int) -> Engine:
    es = Engine()
    es.indices.create(index="test", settings={"number_of_shards": shards, "number_of_routing_shards": routing_shards})
    return es


def _conflict_shard(es: Engine, doc_id: str, routing: str | None = None) -> str:
    es.index(index="test", id=doc_id, routing=routing, document={})
    with pytest.raises(ConflictError) as err:
        es.create(index="test", id=doc_id, routing=routing, document={})
    return str(err.value.body["error"]["shard"])


@pytest.mark.parametrize(("key", "shard"), sorted(BWC.items()))
def test_bwc_keys_as_ids(key: str, shard: int) -> None:
    assert _conflict_shard(_engine(8, 8), key) == str(shard)


@pytest.mark.parametrize(("key", "shard"), sorted(BWC.items()))
def test_bwc_keys_as_routing(key: str, shard: int) -> None:
    assert _conflict_shard(_engine(8, 8), "some-id", routing=key) == str(shard)


def test_bwc_keys_as_update_routing() -> None:
    es = _engine(8, 8)
    for key, shard in BWC.items():
        with pytest.raises(NotFoundError) as err:
            es.update(index="test", id="missing", routing=key, doc={"a": 1})
        assert err.value.body["error"]["shard"] == str(shard)


def test_id_one_on_two_shards_depends_on_the_routing_space() -> None:
    assert _conflict_shard(_engine(2, 2), "1") == "1"
    assert _conflict_shard(_engine(2, 1024), "1") == "0"
