"""``synonym`` / ``synonym_graph`` with inline Solr rules: settings and rule errors as Elasticsearch
words them, the graph's position lengths in ``_analyze``, and index/search with synonym analyzers.
Token streams themselves are checked against Lucene in ``test_component_goldens.py``."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError


def create_error(analysis: dict[str, Any]) -> dict[str, Any]:
    es = Engine()
    with pytest.raises(ApiError) as info:
        es.indices.create(index="bad", settings={"analysis": analysis})
    assert info.value.status_code == 400
    assert not es.indices.exists(index="bad")
    return info.value.body["error"]  # type: ignore[index,no-any-return]


def syn_analysis(definition: dict[str, Any], before: list[str] | None = None) -> dict[str, Any]:
    return {
        "filter": {"syn": definition, "sh": {"type": "shingle"}},
        "analyzer": {"a": {"tokenizer": "standard", "filter": [*(before or ["lowercase"]), "syn"]}},
    }


def test_rule_that_analyzes_to_nothing_fails_with_the_parse_chain() -> None:
    error = create_error(syn_analysis({"type": "synonym_graph", "synonyms": ["foo, bar", "!!, baz"]}))
    assert error["type"] == "illegal_argument_exception"
    assert error["reason"] == "failed to build synonyms from ['syn' analyzer settings]"
    assert error["caused_by"] == {
        "type": "parse_exception",
        "reason": "Invalid synonym rule at line 2",
        "caused_by": {"type": "illegal_argument_exception", "reason": "term: !! was completely eliminated by analyzer"},
    }


def test_stop_word_inside_a_rule_fails_unless_lenient() -> None:
    analysis = syn_analysis({"type": "synonym", "synonyms": ["the fox => vulpes"]}, ["lowercase", "stop"])
    error = create_error(analysis)
    assert error["caused_by"]["caused_by"]["reason"] == (
        "term: the fox analyzed to a token (fox) with position increment != 1 (got: 2)"
    )
    analysis["filter"]["syn"]["lenient"] = True
    es = Engine()
    es.indices.create(index="ok", settings={"analysis": analysis})
    assert [t["token"] for t in es.indices.analyze(index="ok", analyzer="a", text="the fox")["tokens"]] == ["fox"]


@pytest.mark.parametrize(
    "definition, reason",
    [
        ({"type": "synonym"}, "synonym requires either `synonyms`, `synonyms_set` or `synonyms_path` to be configured"),
        (
            {"type": "synonym_graph", "synonyms": ["a => b => c"]},
            "failed to build synonyms from ['syn' analyzer settings]",
        ),
    ],
)
def test_settings_errors(definition: dict[str, Any], reason: str) -> None:
    assert create_error(syn_analysis(definition))["reason"] == reason


def test_filters_that_stack_tokens_cannot_parse_synonyms() -> None:
    error = create_error(syn_analysis({"type": "synonym", "synonyms": ["a, b"]}, ["lowercase", "sh"]))
    assert error["reason"] == "Token filter [sh] cannot be used to parse synonyms"


@pytest.mark.parametrize(
    "extra, fragment",
    [
        ({"synonyms_path": "syn.txt"}, "[synonyms_path]"),
        ({"synonyms": ["a, b"], "format": "wordnet"}, "[format: wordnet]"),
    ],
)
def test_refused_sources_and_formats(extra: dict[str, Any], fragment: str) -> None:
    reason = create_error(syn_analysis({"type": "synonym_graph", **extra}))["reason"]
    assert fragment in reason and "is not supported in retrievo" in reason


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="pets",
        settings={
            "analysis": {
                "filter": {
                    "graph": {"type": "synonym_graph", "synonyms": ["ny, new york city", "quick => fast"]},
                    "expand": {"type": "synonym", "synonyms": ["kitten, cat", "puppy, dog"]},
                },
                "analyzer": {
                    "graph": {"tokenizer": "standard", "filter": ["lowercase", "graph"]},
                    "index_syn": {"tokenizer": "standard", "filter": ["lowercase", "expand"]},
                },
            }
        },
        mappings={
            "properties": {
                "body": {"type": "text", "analyzer": "index_syn"},
                "title": {"type": "text", "search_analyzer": "graph"},
            }
        },
    )
    docs = [
        {"body": "a kitten sleeps", "title": "the fast brown fox"},
        {"body": "the dog barks", "title": "quick thinking"},
        {"body": "cats and dogs", "title": "a fast fox"},
    ]
    for i, doc in enumerate(docs, 1):
        engine.index(index="pets", id=str(i), document=doc)
    engine.indices.refresh(index="pets")
    return engine


def ids(es: Engine, query: dict[str, Any]) -> list[str]:
    return sorted(h["_id"] for h in es.search(index="pets", query=query)["hits"]["hits"])


def test_analyze_shows_the_synonym_graph(es: Engine) -> None:
    tokens = es.indices.analyze(index="pets", analyzer="graph", text="NY rocks")["tokens"]
    assert tokens == [
        {"token": "new", "start_offset": 0, "end_offset": 2, "type": "SYNONYM", "position": 0},
        {"token": "ny", "start_offset": 0, "end_offset": 2, "type": "<ALPHANUM>", "position": 0, "positionLength": 3},
        {"token": "york", "start_offset": 0, "end_offset": 2, "type": "SYNONYM", "position": 1},
        {"token": "city", "start_offset": 0, "end_offset": 2, "type": "SYNONYM", "position": 2},
        {"token": "rocks", "start_offset": 3, "end_offset": 8, "type": "<ALPHANUM>", "position": 3},
    ]


def test_index_time_synonyms_are_searchable_by_either_word(es: Engine) -> None:
    # "kitten, cat" expands both ways at index time: doc 1 holds "cat" at the position of "kitten".
    assert ids(es, {"match": {"body": "cat"}}) == ["1"]
    assert ids(es, {"match": {"body": "puppy"}}) == ["2"]
    # a phrase over stacked search-time tokens is Lucene's MultiPhraseQuery: "a (cat kitten) sleeps"
    assert ids(es, {"match_phrase": {"body": "a cat sleeps"}}) == ["1"]


def test_search_time_synonym_graph_with_match_phrase(es: Engine) -> None:
    # search analyzer: "quick => fast" replaces the word, so "quick brown fox" is the phrase "fast brown fox".
    assert ids(es, {"match_phrase": {"title": "quick brown fox"}}) == ["1"]
    assert ids(es, {"match": {"title": "quick"}}) == ["1", "3"]
