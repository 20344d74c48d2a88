"""``routing`` and ``search_type`` in ``_msearch`` headers (else the request's URL parameters, as
``RestMultiSearchAction`` defaults them) and the ``routing`` parameter of the by-query APIs, on a 5-shard
index whose documents are all routed "5" or "4" (two different shards, as the YAML routing tests rely on)."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

FIVE = {"a": "fox fox", "b": "fox dog", "c": "dog"}
FOUR = {"d": "fox", "e": "cat", "f": "cat dog", "g": "cat cat"}


def _index(es: Engine, name: str) -> None:
    es.indices.create(index=name, settings={"number_of_shards": 5, "number_of_routing_shards": 5})
    for doc_id, text in FIVE.items():
        es.index(index=name, id=doc_id, routing="5", document={"text": text})
    for doc_id, text in FOUR.items():
        es.index(index=name, id=doc_id, routing="4", document={"text": text})
    es.indices.refresh(index=name)


@pytest.fixture
def es() -> Engine:
    e = Engine()
    _index(e, "t")
    return e


def _ids(response: dict[str, Any]) -> list[str]:
    return sorted(h["_id"] for h in response["hits"]["hits"])


def test_msearch_header_routing_limits_the_shards(es: Engine) -> None:
    everything = {"query": {"match_all": {}}, "size": 20}
    responses = es.msearch(
        index="t",
        searches=[
            {"routing": "5"},
            everything,
            {},
            everything,
            {"routing": "4,5"},
            everything,
            {"routing": 4},
            everything,
        ],
    )["responses"]
    assert [_ids(r) for r in responses] == [sorted(FIVE), sorted(FIVE | FOUR), sorted(FIVE | FOUR), sorted(FOUR)]
    assert [r["_shards"]["total"] for r in responses] == [1, 5, 2, 1]


def test_msearch_url_routing_is_the_default(es: Engine) -> None:
    everything = {"query": {"match_all": {}}, "size": 20}
    responses = es.msearch(index="t", routing="4", searches=[{}, everything, {"routing": "5"}, everything])["responses"]
    assert [_ids(r) for r in responses] == [sorted(FOUR), sorted(FIVE)]


def test_msearch_routing_over_several_indices() -> None:
    """A search over two indices runs as ``_search`` does; its header's routing still applies."""
    es = Engine()
    _index(es, "t")
    _index(es, "u")
    responses = es.msearch(searches=[{"index": "t,u", "routing": "5"}, {"query": {"match_all": {}}, "size": 20}])
    [response] = responses["responses"]
    assert sorted((h["_index"], h["_id"]) for h in response["hits"]["hits"]) == sorted(
        (i, d) for i in ("t", "u") for d in FIVE
    )
    assert response["_shards"]["total"] == 2


def test_msearch_header_search_type(es: Engine) -> None:
    query = {"query": {"match": {"text": "fox"}}}
    dfs = es.search(index="t", search_type="dfs_query_then_fetch", **query)["hits"]["hits"]
    plain = es.search(index="t", **query)["hits"]["hits"]
    assert [h["_score"] for h in dfs] != [
        h["_score"] for h in plain
    ]  # the two must differ for the test to mean anything
    responses = es.msearch(index="t", searches=[{"search_type": "dfs_query_then_fetch"}, query, {}, query])["responses"]
    assert [(h["_id"], h["_score"]) for h in responses[0]["hits"]["hits"]] == [(h["_id"], h["_score"]) for h in dfs]
    assert [(h["_id"], h["_score"]) for h in responses[1]["hits"]["hits"]] == [(h["_id"], h["_score"]) for h in plain]
    by_url = es.msearch(index="t", search_type="dfs_query_then_fetch", searches=[{}, query])["responses"][0]
    assert [h["_score"] for h in by_url["hits"]["hits"]] == [h["_score"] for h in dfs]


def test_update_by_query_routing_limits_and_keeps_routing(es: Engine) -> None:
    resp = es.update_by_query(index="t", routing="5", refresh=True)
    assert resp["updated"] == len(FIVE) and resp["total"] == len(FIVE)
    for doc_id in FIVE:
        got = es.get(index="t", id=doc_id, routing="5")
        assert (got["_version"], got["_routing"]) == (2, "5")
    assert {es.get(index="t", id=d, routing="4")["_version"] for d in FOUR} == {1}
    assert es.update_by_query(index="t", refresh=True)["updated"] == len(FIVE) + len(FOUR)
    assert {es.get(index="t", id=d, routing="4")["_routing"] for d in FOUR} == {"4"}


def test_delete_by_query_routing_limits_the_shards(es: Engine) -> None:
    resp = es.delete_by_query(index="t", routing="4", query={"match": {"text": "dog"}}, refresh=True)
    assert resp["deleted"] == 1  # "f" only: "b" and "c" are on the other shard
    assert _ids(es.search(index="t", size=20)) == sorted((FIVE | FOUR).keys() - {"f"})


def test_by_query_on_an_index_that_requires_routing() -> None:
    es = Engine()
    es.indices.create(index="r", settings={"number_of_shards": 3}, mappings={"_routing": {"required": True}})
    es.index(index="r", id="1", routing="x", document={"a": 1}, refresh=True)
    assert es.update_by_query(index="r", refresh=True)["updated"] == 1
    assert es.get(index="r", id="1", routing="x")["_version"] == 2
    assert es.delete_by_query(index="r", query={"match_all": {}}, refresh=True)["deleted"] == 1
