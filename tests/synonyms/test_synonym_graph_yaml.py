"""Elasticsearch's ``analysis-common/.../search.query/60_synonym_graph.yml``, ported: ``synonym`` vs
``synonym_graph`` search analyzers with ``match`` (``and``, ``minimum_should_match``,
``auto_generate_synonyms_phrase_query: false``) and ``match_phrase`` (span queries over the graph).
Skipped: "phrase prefix" (``match_phrase_prefix`` over a graph) and "index_phrases" (an ``index_phrases``
field), which need features outside this module."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

DOCS = {
    "1": "say wtf happened foo",
    "2": "bar baz what the fudge man",
    "3": "wtf",
    "4": "what is the name for fudge",
    "5": "bar two three",
    "6": "bar baz two three",
}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    rules = ["wtf, what the fudge", "foo, bar baz"]
    engine.indices.create(
        index="test",
        settings={
            "index": {"number_of_shards": 1},
            "analysis": {
                "filter": {
                    "syns": {"type": "synonym", "synonyms": rules},
                    "graph_syns": {"type": "synonym_graph", "synonyms": rules},
                },
                "analyzer": {
                    "lower_syns": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "syns"]},
                    "lower_graph_syns": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "graph_syns"],
                    },
                },
            },
        },
        mappings={"properties": {"field": {"type": "text"}}},
    )
    for doc_id, text in DOCS.items():
        engine.index(index="test", id=doc_id, document={"text": text})
    engine.indices.refresh(index="test")
    return engine


def _search(es: Engine, query: dict[str, Any]) -> tuple[int, list[str]]:
    resp = es.search(index="test", query=query)
    return resp["hits"]["total"]["value"], [h["_id"] for h in resp["hits"]["hits"]]


def test_simple_multiterm_phrase(es: Engine) -> None:
    plain = {"match_phrase": {"text": {"query": "foo two three", "analyzer": "lower_syns"}}}
    assert _search(es, plain) == (1, ["5"])  # incorrect match: not graph synonyms
    graph = {"match_phrase": {"text": {"query": "foo two three", "analyzer": "lower_graph_syns"}}}
    assert _search(es, graph) == (1, ["6"])  # correct match with graph synonyms


def test_simple_multiterm_and(es: Engine) -> None:
    for analyzer in ("lower_syns", "lower_graph_syns"):
        query = {"match": {"text": {"query": "say what the fudge", "analyzer": analyzer, "operator": "and"}}}
        assert _search(es, query) == (1, ["1"])


def test_minimum_should_match(es: Engine) -> None:
    no_phrases = {
        "match": {
            "text": {
                "query": "three what the fudge foo",
                "operator": "or",
                "analyzer": "lower_graph_syns",
                "auto_generate_synonyms_phrase_query": False,
            }
        }
    }
    assert _search(es, no_phrases)[0] == 6
    msm = {
        "match": {
            "text": {
                "query": "three what the fudge foo",
                "operator": "or",
                "analyzer": "lower_graph_syns",
                "minimum_should_match": "80%",
            }
        }
    }
    assert _search(es, msm) == (3, ["2", "6", "1"])


def test_multiterm_synonyms_phrase(es: Engine) -> None:
    query = {"match": {"text": {"query": "wtf", "operator": "and", "analyzer": "lower_graph_syns"}}}
    assert _search(es, query) == (3, ["2", "3", "1"])
