"""``engine.esql.query`` and ``engine.plan(esql=...)`` with the official ``elasticsearch.esql`` builder,
end to end: each query is built with ``ESQL.from_(...)``, run, and compared with the same search
written as ES|QL text and as retriever JSON (same rows, same order, same scores)."""

from __future__ import annotations

import pytest
from elasticsearch.esql import ESQL, E, and_, not_, or_
from elasticsearch.esql import functions as f

from conftest import assert_same_hits, esql_hits, json_hits
from retrievo.errors import ApiError, error_reason


def _same_as_text(lib, built, text: str) -> dict:
    """The builder runs exactly like its text (``took`` aside)."""
    a, b = lib.esql.query(query=built), lib.esql.query(query=text)
    a.pop("took"), b.pop("took")
    assert a == b and a["values"], text
    return a


def test_match_and_a_filter(lib):
    built = (
        ESQL.from_("lib")
        .metadata("_id", "_score")
        .where(and_(f.match(E("title"), "dark"), E("year") >= 1960))
        .sort(E("_score").desc())
        .limit(5)
    )
    resp = _same_as_text(
        lib,
        built,
        'FROM lib METADATA _id, _score | WHERE MATCH(title, "dark") AND year >= 1960 | SORT _score DESC | LIMIT 5',
    )
    json = lib.search(
        index="lib",
        size=5,
        retriever={
            "standard": {
                "query": {"match": {"title": {"query": "dark", "lenient": True}}},
                "filter": {"range": {"year": {"gte": 1960}}},
            }
        },
    )
    assert_same_hits(esql_hits(resp), json_hits(json))


def test_knn(lib):
    built = (
        ESQL.from_("lib").metadata("_id", "_score").where(f.knn(E("vec"), [0.1, 0.2, 0.3])).sort("_score DESC").limit(4)
    )
    resp = lib.esql.query(query=built)
    json = lib.search(
        index="lib",
        size=4,
        retriever={"knn": {"field": "vec", "query_vector": [0.1, 0.2, 0.3], "k": 4, "num_candidates": 6}},
    )
    assert len(resp["values"]) == 4
    assert_same_hits(esql_hits(resp), json_hits(json))


def test_match_phrase_with_options_and_boolean_filters(lib):
    built = (
        ESQL.from_("lib")
        .metadata("_id", "_score")
        .where(
            and_(f.match_phrase(E("body"), "dark night", {"slop": 3}), or_(E("genre") == "sf", not_(E("year") > 1990)))
        )
        .sort("_score DESC")
        .limit(10)
    )
    resp = lib.esql.query(query=built)
    json = lib.search(
        index="lib",
        size=10,
        retriever={
            "standard": {
                "query": {"match_phrase": {"body": {"query": "dark night", "slop": 3}}},
                "filter": {"bool": {"should": [{"term": {"genre": "sf"}}, {"range": {"year": {"lte": 1990}}}]}},
            }
        },
    )
    assert json_hits(json), "the comparison should be about something"
    assert_same_hits(esql_hits(resp), json_hits(json))


def test_rerank_into_a_named_column(lib):
    built = (
        ESQL.from_("lib")
        .metadata("_id", "_score")
        .where(f.match(E("title"), "dark"))
        .sort("_score DESC")
        .limit(10)
        .rerank(s="a dark tale")
        .on("title")
        .with_(inference_id="rr")
        .sort("s DESC")
        .limit(3)
        .keep("_id", "_score", "s")
    )
    resp = _same_as_text(
        lib,
        built,
        'FROM lib METADATA _id, _score | WHERE MATCH(title, "dark") | SORT _score DESC '
        '| LIMIT 10 | RERANK s = "a dark tale" ON title WITH {"inference_id": "rr"} '
        "| SORT s DESC | LIMIT 3 | KEEP _id, _score, s",
    )
    assert [c["name"] for c in resp["columns"]] == ["_id", "_score", "s"]
    json = lib.search(
        index="lib",
        size=3,
        retriever={
            "text_similarity_reranker": {
                "retriever": {"standard": {"query": {"match": {"title": "dark"}}}},
                "field": "title",
                "inference_text": "a dark tale",
                "inference_id": "rr",
                "rank_window_size": 10,
            }
        },
    )
    assert [row[0] for row in resp["values"]] == [h for h, _ in json_hits(json)]


def test_query_parameters_with_a_builder(lib):
    built = ESQL.from_("lib").metadata("_id").where("genre == ?").sort("year").limit(3).keep("_id")
    text = 'FROM lib METADATA _id | WHERE genre == "sf" | SORT year | LIMIT 3 | KEEP _id'
    assert lib.esql.query(query=built, params=["sf"])["values"] == lib.esql.query(query=text)["values"]


def test_plan_of_a_builder(lib):
    built = ESQL.from_("lib").metadata("_score").where(f.match(E("title"), "dark")).sort("_score DESC").limit(5)
    assert str(lib.plan(esql=built)) == str(
        lib.plan(
            index="lib",
            size=5,
            retriever={"standard": {"query": {"match": {"title": {"query": "dark", "lenient": True}}}}},
        )
    )


def test_an_incomplete_builder_is_an_elasticsearch_error(lib):
    with pytest.raises(ApiError) as info:
        lib.esql.query(query=ESQL.from_("lib").rerank("q").with_(inference_id="rr"))
    assert info.value.status_code == 400
    assert "could not render" in error_reason(info.value) and "requires one or more fields" in error_reason(info.value)


def test_a_builder_outside_the_subset_is_named(lib):
    with pytest.raises(ApiError) as info:
        lib.esql.query(query=ESQL.from_("lib").stats(n="COUNT(*)"))
    assert error_reason(info.value).startswith("line 2:3: not supported in retrievo: STATS")
