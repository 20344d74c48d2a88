"""Port of Elasticsearch's "rrf retriever highlighting results" YAML REST test.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/1000_rrf_retriever_highlighting.yml``
in ``elastic/elasticsearch``, read at commit ``456b1bcb5cceec73b91d1be3ffa040954b8fec4f``; a twin sends the request without ``highlight`` and checks
that highlighting changes neither the total nor the order.
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import ids
from retrievo import Engine

pytestmark = pytest.mark.requires("rrf")

RRF: dict[str, Any] = {
    "rrf": {
        "retrievers": [
            {"standard": {"query": {"match": {"text": "search"}}}},  # docs 1 and 2
            {"standard": {"query": {"term": {"keyword": "B"}}}},  # docs 2 and 3
        ],
        "rank_window_size": 5,
        "rank_constant": 10,
    }
}
HIGHLIGHT: dict[str, Any] = {
    "fields": {
        "text": {
            "fragment_size": 150,
            "number_of_fragments": 3,
            "highlight_query": {"match": {"text": {"query": "Search"}}},
        }
    }
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    """Setup: docs 1 ("search for the truth", A), 2 ("You know, for Search!", B), 3 (unrelated, B)."""
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"text": {"type": "text"}, "keyword": {"type": "keyword"}}},
    )
    e.index(index="test", id="1", document={"text": "search for the truth", "keyword": "A"})
    e.index(index="test", id="2", document={"text": "You know, for Search!", "keyword": "B"})
    e.index(index="test", id="3", document={"text": "nothing related but still a match", "keyword": "B"})
    e.indices.refresh()
    return e


def search(e: Engine, **extra: Any) -> dict[str, Any]:
    body = {"track_total_hits": True, "retriever": RRF, "size": 3, **extra}
    return e.search(index="test", rest_total_hits_as_int=True, body=body)


def test_rrf_retriever_highlighting_results(engine: Engine) -> None:
    resp = search(engine, highlight=HIGHLIGHT)
    assert resp["hits"]["total"] == 3
    hits = resp["hits"]["hits"]
    assert ids(resp) == ["2", "1", "3"]
    assert hits[0]["highlight"]["text"][0] == "You know, for <em>Search</em>!"
    assert hits[1]["highlight"]["text"][0] == "<em>search</em> for the truth"
    assert "highlight" not in hits[2]


def test_rrf_retriever_highlighting_results_hits(engine: Engine) -> None:
    # match: docs 1 and 2 tie (one "search" in four tokens each), lower doc first → [1, 2];
    # term: docs 2 and 3 tie → [2, 3]. k 10: doc 2 = 1/12 + 1/11, doc 1 = 1/11, doc 3 = 1/12.
    resp = search(engine)
    assert resp["hits"]["total"] == 3
    assert ids(resp) == ["2", "1", "3"]
