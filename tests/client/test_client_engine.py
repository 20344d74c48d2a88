"""The in-process client: the official ``elasticsearch`` client whose node calls retrievo's router."""

from __future__ import annotations

import asyncio

import elasticsearch
import pytest
from elastic_transport import ObjectApiResponse
from elasticsearch import helpers
from elasticsearch.dsl import Search

import retrievo
from retrievo.client import AsyncEngine
from retrievo.client import Engine as ClientEngine

BOOKS = [
    {"title": "The Left Hand of Darkness", "year": 1969, "genre": "sf"},
    {"title": "The Dispossessed", "year": 1974, "genre": "sf"},
    {"title": "A Wizard of Earthsea", "year": 1968, "genre": "fantasy"},
]


@pytest.fixture
def es() -> ClientEngine:
    client = ClientEngine()
    client.indices.create(
        index="books",
        mappings={"properties": {"title": {"type": "text"}, "year": {"type": "integer"}, "genre": {"type": "keyword"}}},
    )
    for i, book in enumerate(BOOKS, 1):
        client.index(index="books", id=str(i), document=book)
    client.indices.refresh(index="books")
    return client


def test_it_is_the_official_client(es):
    assert retrievo.Engine is ClientEngine and retrievo.AsyncEngine is AsyncEngine
    assert isinstance(es, elasticsearch.Elasticsearch)
    resp = es.search(index="books", query={"match": {"title": "darkness"}})
    assert isinstance(resp, ObjectApiResponse)
    assert resp.meta.status == 200 and resp.meta.headers["X-Elastic-Product"] == "Elasticsearch"
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["1"]
    assert es.info()["tagline"] == "You Know, for Search"


def test_documents_round_trip(es):
    assert es.get(index="books", id="2")["_source"] == BOOKS[1]
    assert es.exists(index="books", id="2")
    assert not es.exists(index="books", id="9")
    assert es.count(index="books")["count"] == 3
    assert es.indices.exists(index="books") and not es.indices.exists(index="nope")


def test_errors_are_the_clients(es):
    with pytest.raises(elasticsearch.NotFoundError) as info:
        es.search(index="nowhere", query={"match_all": {}})
    assert info.value.meta.status == 404
    assert info.value.body["error"]["type"] == "index_not_found_exception"
    assert "no such index [nowhere]" in str(info.value)
    with pytest.raises(elasticsearch.NotFoundError) as missing:
        es.get(index="books", id="9")
    assert missing.value.body == {"_index": "books", "_id": "9", "found": False}
    assert str(missing.value).startswith("NotFoundError(404,")
    with pytest.raises(elasticsearch.BadRequestError) as bad:
        es.search(index="books", query={"match_all": {"nope": 1}})
    assert bad.value.status_code == 400


def test_options_share_the_catalog(es):
    quiet = es.options(ignore_status=404)
    assert isinstance(quiet, ClientEngine) and quiet.catalog is es.catalog
    resp = quiet.get(index="books", id="9")
    assert resp.meta.status == 404 and resp.body["found"] is False
    quiet.index(index="books", id="4", document={"title": "Tehanu"}, refresh=True)
    assert es.count(index="books")["count"] == 4


def test_helpers_bulk_a_thousand_documents():
    es = ClientEngine()
    actions = ({"_index": "many", "_id": str(i), "n": i, "text": f"doc number {i}"} for i in range(1500))
    ok, errors = helpers.bulk(es, actions, chunk_size=400)
    assert (ok, errors) == (1500, [])
    es.indices.refresh(index="many")
    assert es.count(index="many")["count"] == 1500
    top = es.search(index="many", query={"range": {"n": {"gte": 1490}}}, size=20)
    assert sorted(int(h["_id"]) for h in top["hits"]["hits"]) == list(range(1490, 1500))


def test_helpers_scan():
    es = ClientEngine()
    helpers.bulk(es, ({"_index": "s", "_id": str(i), "n": i} for i in range(250)), refresh=True)
    ids = [int(hit["_id"]) for hit in helpers.scan(es, index="s", query={"query": {"match_all": {}}}, size=60)]
    assert sorted(ids) == list(range(250)) and len(ids) == 250


def test_dsl_search(es):
    resp = Search(using=es, index="books").query("match", title="darkness").execute()
    assert [hit.meta.id for hit in resp] == ["1"]
    assert resp.hits[0].title == "The Left Hand of Darkness"


def test_plan_save_and_load(es, tmp_path):
    assert "books" in str(es.plan(index="books", query={"match": {"title": "darkness"}}))
    es.save(tmp_path / "saved")
    loaded = ClientEngine.load(tmp_path / "saved")
    assert loaded.path is None and loaded.count(index="books")["count"] == 3
    home = ClientEngine(path=tmp_path / "home")
    assert home.path == str((tmp_path / "home").resolve())


def test_hosts_are_not_taken():
    with pytest.raises(TypeError):
        ClientEngine(hosts=["http://localhost:9200"])


def test_async_engine():
    async def run() -> list[str]:
        es = AsyncEngine()
        await es.indices.create(index="a")
        await es.index(index="a", id="1", document={"t": "hello world"}, refresh=True)
        resp = await es.search(index="a", query={"match": {"t": "hello"}})
        with pytest.raises(elasticsearch.NotFoundError):
            await es.get(index="a", id="2")
        await es.close()
        return [h["_id"] for h in resp["hits"]["hits"]]

    assert isinstance(AsyncEngine(), elasticsearch.AsyncElasticsearch)
    assert asyncio.run(run()) == ["1"]
