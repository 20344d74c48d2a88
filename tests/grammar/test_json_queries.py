"""Query DSL → AST, and AST → JSON → the same AST, for every query type retrievo parses."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.grammar.json import parse_query
from retrievo.retrievers.queries import (
    BoolQuery,
    ConstantScoreQuery,
    DisMaxQuery,
    ExistsQuery,
    IdsQuery,
    MatchAllQuery,
    MatchNoneQuery,
    MatchPhraseQuery,
    MatchQuery,
    MultiMatchQuery,
    PrefixQuery,
    Query,
    RangeQuery,
    TermQuery,
    TermsQuery,
)

M = MatchQuery(field="title", query="quick fox")
T = TermQuery(field="status", value="published")

CASES: list[tuple[str, dict[str, Any], Query]] = [
    ("match short", {"match": {"title": "quick fox"}}, M),
    ("match short number", {"match": {"year": 2024}}, MatchQuery(field="year", query=2024)),
    (
        "match long",
        {
            "match": {
                "title": {
                    "query": "quick fox",
                    "operator": "AND",
                    "minimum_should_match": "75%",
                    "boost": 2,
                    "analyzer": "english",
                    "zero_terms_query": "ALL",
                    "lenient": True,
                    "_name": "m1",
                }
            }
        },
        MatchQuery(
            field="title",
            query="quick fox",
            operator="and",
            minimum_should_match="75%",
            boost=2.0,
            analyzer="english",
            zero_terms_query="all",
            lenient=True,
            name="m1",
        ),
    ),
    (
        "match operator lower",
        {"match": {"title": {"query": "a b", "operator": "or"}}},
        MatchQuery(field="title", query="a b"),
    ),
    (
        "match msm int",
        {"match": {"title": {"query": "a b c", "minimum_should_match": 2}}},
        MatchQuery(field="title", query="a b c", minimum_should_match=2),
    ),
    (
        "match fuzzy tuning ignored",
        {
            "match": {
                "title": {
                    "query": "x",
                    "prefix_length": 1,
                    "max_expansions": 10,
                    "fuzzy_transpositions": False,
                    "fuzzy_rewrite": "constant_score",
                    "auto_generate_synonyms_phrase_query": True,
                }
            }
        },
        MatchQuery(field="title", query="x"),
    ),
    (
        "match coerced strings",
        {"match": {"title": {"query": "x", "boost": "1.5", "lenient": "true"}}},
        MatchQuery(field="title", query="x", boost=1.5, lenient=True),
    ),
    (
        "match_phrase short",
        {"match_phrase": {"body": "to be or not"}},
        MatchPhraseQuery(field="body", query="to be or not"),
    ),
    (
        "match_phrase long",
        {
            "match_phrase": {
                "body": {
                    "query": "to be",
                    "slop": 2,
                    "analyzer": "standard",
                    "zero_terms_query": "all",
                    "boost": 0.5,
                    "_name": "p",
                }
            }
        },
        MatchPhraseQuery(
            field="body", query="to be", slop=2, analyzer="standard", zero_terms_query="all", boost=0.5, name="p"
        ),
    ),
    (
        "match_phrase string slop",
        {"match_phrase": {"body": {"query": "a b", "slop": "3"}}},
        MatchPhraseQuery(field="body", query="a b", slop=3),
    ),
    ("match_all", {"match_all": {}}, MatchAllQuery()),
    ("match_all boosted", {"match_all": {"boost": 1.2, "_name": "all"}}, MatchAllQuery(boost=1.2, name="all")),
    ("match_none", {"match_none": {}}, MatchNoneQuery()),
    ("match_none named", {"match_none": {"_name": "none", "boost": 3}}, MatchNoneQuery(name="none", boost=3.0)),
    (
        "multi_match list",
        {"multi_match": {"query": "fox", "fields": ["title^3", "body"]}},
        MultiMatchQuery(query="fox", fields=("title^3", "body")),
    ),
    (
        "multi_match string field",
        {"multi_match": {"query": "fox", "fields": "title^2.5"}},
        MultiMatchQuery(query="fox", fields=("title^2.5",)),
    ),
    ("multi_match no fields", {"multi_match": {"query": "fox"}}, MultiMatchQuery(query="fox", fields=())),
    (
        "multi_match all params",
        {
            "multi_match": {
                "query": "quick fox",
                "fields": ["a", "b"],
                "type": "most_fields",
                "tie_breaker": 0.3,
                "operator": "and",
                "minimum_should_match": "2<75%",
                "analyzer": "simple",
                "slop": 1,
                "zero_terms_query": "all",
                "lenient": True,
                "boost": 2,
                "_name": "mm",
            }
        },
        MultiMatchQuery(
            query="quick fox",
            fields=("a", "b"),
            type="most_fields",
            tie_breaker=0.3,
            operator="and",
            minimum_should_match="2<75%",
            analyzer="simple",
            slop=1,
            zero_terms_query="all",
            lenient=True,
            boost=2.0,
            name="mm",
        ),
    ),
    (
        "multi_match phrase",
        {"multi_match": {"query": "a b", "fields": ["t"], "type": "phrase"}},
        MultiMatchQuery(query="a b", fields=("t",), type="phrase"),
    ),
    (
        "multi_match boolean alias",
        {"multi_match": {"query": "a", "type": "boolean"}},
        MultiMatchQuery(query="a", fields=()),
    ),
    (
        "bool object clauses",
        {"bool": {"must": {"match": {"title": "quick fox"}}, "filter": {"term": {"status": "published"}}}},
        BoolQuery(must=(M,), filter=(T,)),
    ),
    (
        "bool list clauses",
        {
            "bool": {
                "must": [{"match": {"title": "quick fox"}}],
                "should": [{"term": {"status": "published"}}],
                "must_not": [{"exists": {"field": "deleted"}}],
                "filter": [],
                "minimum_should_match": 1,
                "boost": 1.5,
                "_name": "b",
            }
        },
        BoolQuery(
            must=(M,),
            should=(T,),
            must_not=(ExistsQuery(field="deleted"),),
            minimum_should_match=1,
            boost=1.5,
            name="b",
        ),
    ),
    ("bool empty", {"bool": {}}, BoolQuery()),
    ("bool null clause", {"bool": {"must": None, "adjust_pure_negative": True}}, BoolQuery()),
    (
        "bool nested",
        {"bool": {"should": [{"bool": {"must_not": {"match_all": {}}}}]}},
        BoolQuery(should=(BoolQuery(must_not=(MatchAllQuery(),)),)),
    ),
    ("term short", {"term": {"status": "published"}}, T),
    (
        "term long",
        {"term": {"status": {"value": "Published", "boost": 2, "case_insensitive": True, "_name": "t"}}},
        TermQuery(field="status", value="Published", boost=2.0, case_insensitive=True, name="t"),
    ),
    ("term alias", {"term": {"n": {"term": 7}}}, TermQuery(field="n", value=7)),
    ("term bool value", {"term": {"flag": False}}, TermQuery(field="flag", value=False)),
    ("terms", {"terms": {"tag": ["a", "b", 3]}}, TermsQuery(field="tag", values=("a", "b", 3))),
    (
        "terms boosted",
        {"terms": {"tag": ["a"], "boost": 2, "_name": "ts"}},
        TermsQuery(field="tag", values=("a",), boost=2.0, name="ts"),
    ),
    ("terms boost first", {"terms": {"boost": 2, "tag": []}}, TermsQuery(field="tag", values=(), boost=2.0)),
    ("range", {"range": {"price": {"gte": 10, "lt": 20}}}, RangeQuery(field="price", gte=10, lt=20)),
    (
        "range all params",
        {
            "range": {
                "date": {
                    "gt": "2020-01-01",
                    "lte": "now",
                    "format": "yyyy-MM-dd",
                    "time_zone": "+01:00",
                    "relation": "INTERSECTS",
                    "boost": 2,
                    "_name": "r",
                }
            }
        },
        RangeQuery(
            field="date", gt="2020-01-01", lte="now", format="yyyy-MM-dd", time_zone="+01:00", boost=2.0, name="r"
        ),
    ),
    ("range legacy from/to", {"range": {"n": {"from": 1, "to": 5}}}, RangeQuery(field="n", gte=1, lte=5)),
    (
        "range legacy exclusive",
        {"range": {"n": {"from": 1, "include_lower": False, "to": 5, "include_upper": False}}},
        RangeQuery(field="n", gt=1, lt=5),
    ),
    ("range later wins", {"range": {"n": {"gt": 1, "gte": 2, "lt": None}}}, RangeQuery(field="n", gte=2)),
    ("exists", {"exists": {"field": "title"}}, ExistsQuery(field="title")),
    (
        "exists named",
        {"exists": {"field": "title", "boost": 2, "_name": "e"}},
        ExistsQuery(field="title", boost=2.0, name="e"),
    ),
    ("ids", {"ids": {"values": ["1", "2"]}}, IdsQuery(values=("1", "2"))),
    (
        "ids numbers",
        {"ids": {"values": [1, 2], "boost": 2, "_name": "i"}},
        IdsQuery(values=("1", "2"), boost=2.0, name="i"),
    ),
    ("ids single string", {"ids": {"values": "7"}}, IdsQuery(values=("7",))),
    ("ids empty", {"ids": {}}, IdsQuery(values=())),
    ("prefix short", {"prefix": {"user": "ki"}}, PrefixQuery(field="user", value="ki")),
    (
        "prefix long",
        {"prefix": {"user": {"value": "Ki", "case_insensitive": True, "boost": 2, "_name": "p"}}},
        PrefixQuery(field="user", value="Ki", case_insensitive=True, boost=2.0, name="p"),
    ),
    (
        "constant_score",
        {"constant_score": {"filter": {"term": {"status": "published"}}, "boost": 1.2, "_name": "cs"}},
        ConstantScoreQuery(filter=T, boost=1.2, name="cs"),
    ),
    (
        "dis_max list",
        {
            "dis_max": {
                "queries": [{"match": {"title": "quick fox"}}, {"term": {"status": "published"}}],
                "tie_breaker": 0.7,
                "boost": 1.2,
                "_name": "d",
            }
        },
        DisMaxQuery(queries=(M, T), tie_breaker=0.7, boost=1.2, name="d"),
    ),
    ("dis_max object", {"dis_max": {"queries": {"match_all": {}}}}, DisMaxQuery(queries=(MatchAllQuery(),))),
]


@pytest.mark.parametrize(("body", "expected"), [(b, e) for _, b, e in CASES], ids=[name for name, _, _ in CASES])
def test_parses_to_expected_ast(body: dict[str, Any], expected: Query) -> None:
    assert parse_query(body) == expected


@pytest.mark.parametrize("body", [b for _, b, _ in CASES], ids=[name for name, _, _ in CASES])
def test_round_trip(body: dict[str, Any]) -> None:
    """The printed form parses back to an equal AST, and printing is stable."""
    first = parse_query(body)
    printed = first.to_json()
    again = parse_query(printed)
    assert again == first
    assert again.to_json() == printed
    assert again.canonical() == first.canonical()


def test_input_is_normalised_like_the_client_would() -> None:
    """Tuples are arrays and non-string keys are strings, as after ``json.dumps``."""
    q = parse_query({"terms": {"tag": ("a", "b")}})
    assert q == TermsQuery(field="tag", values=("a", "b"))
    assert parse_query({"match": {1: "x"}}) == MatchQuery(field="1", query="x")


def test_query_nested_thirty_deep_is_fine() -> None:
    q: dict[str, Any] = {"match_all": {}}
    for _ in range(29):
        q = {"bool": {"must": q}}
    assert isinstance(parse_query(q), BoolQuery)
