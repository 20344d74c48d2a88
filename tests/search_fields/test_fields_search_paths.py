"""``fields``/``docvalue_fields`` on every way a search runs: the Metarank guide's request (in process
and over HTTP), each retriever kind, ``_msearch``, scroll pages and a search over several indices."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from retrievo import Engine
from tests.server.server_process import ServerProcess

ESCI = [
    ("a", {"title": "Crocs Jibbitz 5-Pack Alien Shoe Charms", "asin": "B089YD2KK5"}),
    ("b", {"title": "Crocs Specialist Vent Work", "asin": "B07XJ8C8F5"}),
    ("c", {"title": "Adidas Running Shoe", "asin": "B01N0ZQ2L3"}),
]
#: The search body of Metarank's "Search re-ranking with cross-encoder LLMs" guide, verbatim.
METARANK_BODY = {"query": {"multi_match": {"query": "crocs", "fields": ["title"]}}, "fields": ["asin", "title"]}
EXPECTED_FIELDS = {
    "a": {"asin": ["B089YD2KK5"], "title": ["Crocs Jibbitz 5-Pack Alien Shoe Charms"]},
    "b": {"asin": ["B07XJ8C8F5"], "title": ["Crocs Specialist Vent Work"]},
    "c": {"asin": ["B01N0ZQ2L3"], "title": ["Adidas Running Shoe"]},
}
DOCS = {doc_id: doc for doc_id, doc in ESCI}


def _fill(es: Engine) -> None:
    """The guide indexes title and asin with dynamic mapping (text + keyword sub-fields); a vector
    is added here for the kNN retrievers."""
    vectors = {"a": [1.0, 0.0], "b": [0.8, 0.6], "c": [0.0, 1.0]}
    es.indices.create(
        index="esci",
        mappings={"properties": {"vec": {"type": "dense_vector", "dims": 2, "similarity": "cosine"}}},
    )
    for doc_id, doc in ESCI:
        es.index(index="esci", id=doc_id, document={**doc, "vec": vectors[doc_id]})
    es.indices.refresh(index="esci")


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    _fill(engine)
    # Elasticsearch's rerank mock, scoring 1 / len(text): deterministic, no model.
    engine.inference.put(
        inference_id="len-rerank",
        task_type="rerank",
        inference_config={
            "service": "test_reranking_service",
            "service_settings": {"model_id": "m", "api_key": "k"},
            "task_settings": {"use_text_length": True},
        },
    )
    return engine


def _fields_by_id(response: Any) -> dict[str, Any]:
    return {hit["_id"]: hit.get("fields") for hit in response["hits"]["hits"]}


def test_metarank_guide_request(es: Engine) -> None:
    hits = es.search(index="esci", body=METARANK_BODY)["hits"]["hits"]
    assert {hit["_id"] for hit in hits} == {"a", "b"}  # the two "crocs" titles
    for hit in hits:
        assert hit["fields"] == EXPECTED_FIELDS[hit["_id"]]
        assert hit["_source"]["title"] == DOCS[hit["_id"]]["title"]
    hits = es.search(index="esci", body={**METARANK_BODY, "_source": False})["hits"]["hits"]
    assert {hit["_id"]: hit["fields"] for hit in hits} == {k: EXPECTED_FIELDS[k] for k in ("a", "b")}
    assert all("_source" not in hit for hit in hits)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    srv = ServerProcess("--no-persist")
    try:
        yield srv
    finally:
        srv.stop()


def test_metarank_guide_request_over_http(server: ServerProcess) -> None:
    """``curl -XPOST -d @search.json -H "Content-Type: application/json" .../esci/_search``."""
    for doc_id, doc in ESCI:
        status, _, _ = server.request("PUT", f"/esci/_doc/{doc_id}?refresh=true", doc)
        assert status in (200, 201)
    status, _, payload = server.request(
        "POST", "/esci/_search", json.dumps(METARANK_BODY), {"Content-Type": "application/json"}
    )
    assert status == 200
    hits = json.loads(payload)["hits"]["hits"]
    assert {hit["_id"]: hit["fields"] for hit in hits} == {k: EXPECTED_FIELDS[k] for k in ("a", "b")}


def _std(query: dict[str, Any]) -> dict[str, Any]:
    return {"standard": {"query": query}}


KNN = {"knn": {"field": "vec", "query_vector": [1.0, 0.0], "k": 3, "num_candidates": 3}}
RETRIEVERS = {
    "standard": _std({"match": {"title": "crocs"}}),
    "knn": KNN,
    "rrf": {"rrf": {"retrievers": [_std({"match": {"title": "crocs"}}), KNN]}},
    "linear": {
        "linear": {"retrievers": [{"retriever": _std({"match": {"title": "shoe"}}), "weight": 2.0}, {"retriever": KNN}]}
    },
    "text_similarity_reranker": {
        "text_similarity_reranker": {
            "retriever": _std({"match_all": {}}),
            "field": "title",
            "inference_id": "len-rerank",
            "inference_text": "crocs",
        }
    },
}


@pytest.mark.parametrize("kind", sorted(RETRIEVERS))
def test_every_retriever_kind_fetches_for_its_final_hits(es: Engine, kind: str) -> None:
    body = {"retriever": RETRIEVERS[kind], "fields": ["asin"], "docvalue_fields": ["title.keyword"], "_source": False}
    hits = es.search(index="esci", body=body)["hits"]["hits"]
    assert hits
    for hit in hits:
        title = DOCS[hit["_id"]]["title"]
        assert hit["fields"] == {"title.keyword": [title], "asin": [DOCS[hit["_id"]]["asin"]]}
        assert "_source" not in hit
    if kind == "text_similarity_reranker":  # 1 / len(title): the shortest title first
        assert [h["_id"] for h in hits] == ["c", "b", "a"]


def test_msearch_each_search_with_its_own_fields(es: Engine) -> None:
    response = es.msearch(
        searches=[
            {"index": "esci"},
            {"query": {"match": {"title": "adidas"}}, "fields": ["asin"]},
            {"index": "esci"},
            {"query": {"match": {"title": "adidas"}}, "docvalue_fields": ["asin.keyword"], "stored_fields": "_none_"},
        ]
    )
    first, second = response["responses"]
    assert _fields_by_id(first) == {"c": {"asin": ["B01N0ZQ2L3"]}}
    assert second["hits"]["hits"][0]["fields"] == {"asin.keyword": ["B01N0ZQ2L3"]}
    assert "_id" not in second["hits"]["hits"][0]


def test_scroll_pages_carry_fields(es: Engine) -> None:
    page = es.search(index="esci", scroll="1m", size=2, sort=["asin.keyword"], fields=["asin"], source=False)
    seen = [hit["fields"] for hit in page["hits"]["hits"]]
    page = es.scroll(scroll_id=page["_scroll_id"], scroll="1m")
    seen += [hit["fields"] for hit in page["hits"]["hits"]]
    # asin.keyword ascending: B01N0ZQ2L3 < B07XJ8C8F5 < B089YD2KK5
    assert seen == [{"asin": ["B01N0ZQ2L3"]}, {"asin": ["B07XJ8C8F5"]}, {"asin": ["B089YD2KK5"]}]


def test_search_over_several_indices(es: Engine) -> None:
    es.index(index="esci-2", id="z", document={"title": "Crocs Baya", "asin": "B0ZZZ"}, refresh=True)
    response = es.search(index="esci,esci-2", query={"match": {"title": "crocs"}}, fields=["asin"])
    assert {(hit["_index"], hit["_id"]): hit["fields"] for hit in response["hits"]["hits"]} == {
        ("esci", "a"): {"asin": ["B089YD2KK5"]},
        ("esci", "b"): {"asin": ["B07XJ8C8F5"]},
        ("esci-2", "z"): {"asin": ["B0ZZZ"]},
    }
