"""Elasticsearch's ``analysis-common/.../search.query/50_queries_with_synonyms.yml``, ported: ``match`` and
``multi_match`` over an analyzer with a ``synonym`` filter (a ``SynonymQuery`` per stacked position, with
``and``, ``or`` and ``minimum_should_match``), a search-time-only synonym analyzer (#3881), and the 400 of a
phrase over stacked tokens on a field without positions."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine


def _hits(es: Engine, query: dict[str, Any]) -> tuple[int, list[str]]:
    resp = es.search(index="test", query=query)
    return resp["hits"]["total"]["value"], [h["_id"] for h in resp["hits"]["hits"]]


def test_match_with_stacked_tokens() -> None:
    es = Engine()
    es.indices.create(
        index="test",
        settings={
            "analysis": {
                "filter": {"syns": {"type": "synonym", "synonyms": ["quick,fast"]}},
                "analyzer": {"syns": {"tokenizer": "standard", "filter": ["syns"]}},
            }
        },
        mappings={
            "properties": {
                "field1": {"type": "text", "analyzer": "syns"},
                "field2": {"type": "text", "analyzer": "syns"},
            }
        },
    )
    es.index(
        index="test",
        id="3",
        document={
            "field1": "quick lazy huge brown pidgin",
            "field2": "the quick lazy huge brown fox jumps over the tree",
        },
    )
    es.index(index="test", id="1", document={"field1": "the quick brown fox"})
    es.index(
        index="test", id="2", document={"field1": "the quick lazy huge brown fox jumps over the tree"}, refresh=True
    )
    q = "the fast brown"
    assert _hits(es, {"match": {"field1": {"query": q, "operator": "and"}}}) == (2, ["1", "2"])
    assert _hits(es, {"match": {"field1": {"query": q, "operator": "or"}}}) == (3, ["1", "2", "3"])
    assert _hits(es, {"match": {"field1": {"query": q, "minimum_should_match": 3}}}) == (2, ["1", "2"])
    multi = {"multi_match": {"query": q, "fields": ["field1", "field2"], "operator": "and"}}
    assert _hits(es, multi) == (3, ["3", "1", "2"])


def test_match_with_search_time_synonyms() -> None:
    es = Engine()
    es.indices.create(
        index="test",
        settings={
            "analysis": {
                "filter": {"synonym": {"type": "synonym", "synonyms": ["quick,fast"]}},
                "analyzer": {
                    "index": {"type": "custom", "tokenizer": "standard", "filter": "lowercase"},
                    "search": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "synonym"]},
                },
            }
        },
        mappings={"properties": {"text": {"type": "text", "analyzer": "index", "search_analyzer": "search"}}},
    )
    es.index(index="test", id="1", document={"text": "quick brown fox"}, refresh=True)
    for query in ("quick", "quick brown", "fast"):
        assert _hits(es, {"match": {"text": {"query": query, "operator": "and"}}})[0] == 1
    es.index(index="test", id="2", document={"text": "fast brown fox"}, refresh=True)
    for query in ("quick", "quick brown"):
        assert _hits(es, {"match": {"text": {"query": query, "operator": "and"}}})[0] == 2


@pytest.mark.skip(reason="needs index_options: freqs on a text field, which retrievo refuses at mapping time")
def test_multi_match_phrase_without_positions() -> None:
    es = Engine()
    es.indices.create(
        index="test",
        settings={
            "analysis": {
                "filter": {"syns": {"type": "synonym", "synonyms": ["quick,fast"]}},
                "analyzer": {"syns": {"tokenizer": "standard", "filter": ["syns"]}},
            }
        },
        mappings={"properties": {"field1": {"type": "text", "index_options": "freqs", "analyzer": "syns"}}},
    )
    es.index(index="test", id="1", document={"field1": "the quick brown fox"}, refresh=True)
    with pytest.raises(BadRequestError) as caught:
        es.search(
            index="test", query={"multi_match": {"query": "the fast brown", "type": "phrase", "fields": ["field1"]}}
        )
    root = caught.value.body["error"]["root_cause"][0]
    assert root["type"] == "query_shard_exception"
    assert root["reason"] == (
        "failed to create query: field:[field1] was indexed without position data; cannot run MultiPhraseQuery"
    )
