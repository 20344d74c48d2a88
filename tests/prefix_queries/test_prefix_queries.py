"""``match_phrase_prefix``, ``match_bool_prefix`` and ``multi_match`` ``phrase_prefix``: parsing (Elasticsearch's
messages), the rewrite rules checked by hand on a tiny index (expansion order and limit, the trailing
separator rule of ``match_bool_prefix``, ``zero_terms_query``) and the explanation of a multi-phrase hit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

DOCS = {
    "1": "quick brown fox",
    "2": "quick brown foxes jump",
    "3": "the quick brown dog",
    "4": "brown fox quick",
    "5": "quick blue fog",
}


@pytest.fixture(scope="module")
def es() -> Engine:
    e = Engine()
    e.indices.create(index="t", mappings={"properties": {"body": {"type": "text"}, "tag": {"type": "keyword"}}})
    for _id, text in DOCS.items():
        e.index(index="t", id=_id, document={"body": text, "tag": text})
    e.indices.refresh(index="t")
    return e


def _ids(es: Engine, query: dict) -> list[str]:
    return [h["_id"] for h in es.search(index="t", query=query)["hits"]["hits"]]


def _error(es: Engine, query: dict) -> dict:
    with pytest.raises(BadRequestError) as caught:
        es.search(index="t", query=query)
    return caught.value.body["error"]


def test_phrase_prefix_expands_the_last_word(es: Engine) -> None:
    assert sorted(_ids(es, {"match_phrase_prefix": {"body": "quick brown f"}})) == ["1", "2"]


def test_max_expansions_takes_the_first_terms_in_term_order(es: Engine) -> None:
    # f* in term order: fog, fox, foxes; one expansion keeps "fog", which no "quick brown" precedes
    assert _ids(es, {"match_phrase_prefix": {"body": {"query": "quick brown f", "max_expansions": 1}}}) == []
    assert _ids(es, {"match_phrase_prefix": {"body": {"query": "quick b", "max_expansions": 1}}}) == ["5"]
    # 0 still keeps one term: the expansion loop adds a term before it checks the limit
    assert _ids(es, {"match_phrase_prefix": {"body": {"query": "quick b", "max_expansions": 0}}}) == ["5"]


def test_one_word_is_a_disjunction_of_its_expansions(es: Engine) -> None:
    resp = es.search(index="t", query={"match_phrase_prefix": {"body": "fo"}}, explain=True)
    assert sorted(h["_id"] for h in resp["hits"]["hits"]) == ["1", "2", "4", "5"]


def test_slop(es: Engine) -> None:
    assert sorted(_ids(es, {"match_phrase_prefix": {"body": {"query": "quick f", "slop": 1}}})) == ["1", "2", "5"]
    assert sorted(_ids(es, {"match_phrase_prefix": {"body": {"query": "quick f", "slop": 2}}})) == ["1", "2", "4", "5"]


def test_zero_terms_query(es: Engine) -> None:
    stop = {"query": "the", "analyzer": "stop"}
    assert _ids(es, {"match_phrase_prefix": {"body": stop}}) == []
    assert len(_ids(es, {"match_phrase_prefix": {"body": {**stop, "zero_terms_query": "all"}}})) == 5


def test_multi_phrase_explanation_sums_every_idf(es: Engine) -> None:
    resp = es.search(index="t", query={"match_phrase_prefix": {"body": "quick brown f"}}, explain=True)
    hit = resp["hits"]["hits"][0]
    exp = hit["_explanation"]
    assert exp["value"] == hit["_score"]
    assert exp["description"].startswith('weight(body:"quick brown (fog fox foxes)" in ')
    idf = exp["details"][0]["details"][1]
    # N = 5 documents; quick: 5, brown: 4, fog: 1, fox: 2, foxes: 1
    parts = [math.log(1 + (5 - n + 0.5) / (n + 0.5)) for n in (5, 4, 1, 2, 1)]
    assert np.float32(idf["value"]) == np.float32(sum(float(np.float32(p)) for p in parts))
    assert len(idf["details"]) == 5


def test_bool_prefix_last_word_is_a_prefix_only_at_the_end(es: Engine) -> None:
    # "f" as a prefix matches fox/foxes/fog; followed by a space it is the term "f", in no document
    assert sorted(_ids(es, {"match_bool_prefix": {"body": {"query": "f", "operator": "and"}}})) == ["1", "2", "4", "5"]
    assert _ids(es, {"match_bool_prefix": {"body": {"query": "f ", "operator": "and"}}}) == []
    assert _ids(es, {"match_bool_prefix": {"body": {"query": "quick f ", "operator": "and"}}}) == []


def test_bool_prefix_prefix_clause_scores_constant(es: Engine) -> None:
    resp = es.search(index="t", query={"match_bool_prefix": {"body": "fo"}})
    assert {h["_score"] for h in resp["hits"]["hits"]} == {1.0}


def test_bool_prefix_on_keyword_is_one_prefix_query(es: Engine) -> None:
    assert sorted(_ids(es, {"match_bool_prefix": {"tag": "quick b"}})) == ["1", "2", "5"]


def test_phrase_prefix_on_keyword_fails_the_shard(es: Engine) -> None:
    error = _error(es, {"match_phrase_prefix": {"tag": "quick"}})
    assert error["type"] == "search_phase_execution_exception"
    assert error["failed_shards"][0]["reason"]["caused_by"]["reason"] == (
        "Can only use phrase prefix queries on text fields - not on [tag] which is of type [keyword]"
    )


def test_multi_match_phrase_prefix_lenient_skips_keyword(es: Engine) -> None:
    q = {"multi_match": {"query": "quick brown f", "type": "phrase_prefix", "fields": ["body", "tag"], "lenient": True}}
    assert sorted(_ids(es, q)) == ["1", "2"]


def test_multi_match_phrase_prefix_without_expansions_matches_nothing(es: Engine) -> None:
    q = {"multi_match": {"query": "quick zz", "type": "phrase_prefix", "fields": ["body"], "zero_terms_query": "all"}}
    assert _ids(es, q) == []


@pytest.mark.parametrize(
    ("query", "error_type", "reason"),
    [
        (
            {"match_phrase_prefix": {"body": {"query": "a", "slop": -1}}},
            "illegal_argument_exception",
            "No negative slop allowed.",
        ),
        (
            {"match_phrase_prefix": {"body": {"query": "a", "max_expansions": -1}}},
            "illegal_argument_exception",
            "No negative maxExpansions allowed.",
        ),
        (
            {"match_phrase_prefix": {"body": {"query": "a", "foo": 1}}},
            "parsing_exception",
            "[match_phrase_prefix] query does not support [foo]",
        ),
        (
            {"match_phrase_prefix": {"body": "a", "tag": "b"}},
            "parsing_exception",
            "[match_phrase_prefix] query doesn't support multiple fields, found [body] and [tag]",
        ),
        (
            {"match_bool_prefix": {"body": {"foo": "a"}}},
            "parsing_exception",
            "[match_bool_prefix] query does not support [foo]",
        ),
        (
            {"match_bool_prefix": {"body": {"slop": 1}}},
            "parsing_exception",
            "[match_bool_prefix] query does not support [slop]",
        ),
        (
            {"match_bool_prefix": {"body": {"query": "a", "max_expansions": 0}}},
            "illegal_argument_exception",
            "[match_bool_prefix] requires maxExpansions to be positive.",
        ),
        (
            {"match_bool_prefix": {"body": {"analyzer": "standard"}}},
            "illegal_argument_exception",
            "[match_bool_prefix] requires query value",
        ),
    ],
)
def test_parse_errors(es: Engine, query: dict, error_type: str, reason: str) -> None:
    error = _error(es, query)
    assert (error["type"], error["reason"]) == (error_type, reason)


def test_plan_shows_the_rewritten_multi_phrase(es: Engine) -> None:
    body = {"query": {"match_phrase_prefix": {"body": {"query": "quick b", "slop": 1, "max_expansions": 3}}}}
    assert 'body:"quick (blue brown)"~1' in str(es.plan(index="t", body=body))


@pytest.mark.parametrize(
    "query",
    [
        {"match_phrase_prefix": {"body": {"query": "quick b", "slop": 1, "max_expansions": 3, "boost": 2.0}}},
        {"match_bool_prefix": {"body": {"query": "quick b", "operator": "and", "minimum_should_match": "50%"}}},
        {"match_bool_prefix": {"body": {"query": "quick b", "fuzziness": "AUTO", "prefix_length": 1}}},
        {"multi_match": {"query": "quick b", "fields": ["body"], "type": "phrase_prefix", "max_expansions": 7}},
    ],
)
def test_queries_print_back(query: dict) -> None:
    from retrievo.grammar.json.queries import parse_top_level_query

    assert parse_top_level_query(query).to_json() == query
