"""Port of ``modules/mapper-extras/src/yamlRestTest/.../search-as-you-type/40_reloadable_search_analyzer.yml``:
a ``search_as_you_type`` field whose ``search_analyzer`` holds an updateable ``synonym_graph`` filter; its
shingle subfields wrap that analyzer."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine


@pytest.fixture(scope="module")
def es() -> Engine:
    client = Engine()
    client.indices.create(
        index="test",
        settings={
            "index": {"number_of_shards": 1},
            "analysis": {
                "filter": {
                    "sayt_synonym_filter": {"type": "synonym_graph", "synonyms": ["quick, fast"], "updateable": True}
                },
                "analyzer": {
                    "sayt_search_analyzer": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "sayt_synonym_filter"],
                    }
                },
            },
        },
        mappings={"properties": {"title": {"type": "search_as_you_type", "search_analyzer": "sayt_search_analyzer"}}},
    )
    client.index(index="test", id="1", document={"title": "quick brown fox"})
    client.index(index="test", id="2", document={"title": "the lazy dog"})
    client.indices.refresh(index="test")
    return client


@pytest.mark.parametrize(
    "query",
    [
        {"match": {"title": {"query": "fast", "analyzer": "sayt_search_analyzer"}}},
        {
            "multi_match": {
                "query": "quick brown",
                "type": "bool_prefix",
                "fields": ["title", "title._2gram", "title._3gram"],
            }
        },
        {"match_bool_prefix": {"title": {"query": "fast br", "analyzer": "sayt_search_analyzer"}}},
    ],
    ids=["root field", "_2gram sub-field", "match_bool_prefix"],
)
def test_reloadable_search_analyzer(es: Engine, query: dict[str, Any]) -> None:
    resp = es.search(index="test", query=query, rest_total_hits_as_int=True)
    assert resp["hits"]["total"] == 1
    assert resp["hits"]["hits"][0]["_id"] == "1"
