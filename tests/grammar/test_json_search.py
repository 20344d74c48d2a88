"""Search bodies and retrievers → AST, the retriever registry, and round trips."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.errors import ApiError, error_reason, parsing_error
from retrievo.grammar.json import (
    RETRIEVER_EXCLUSIVE_KEYS,
    parse_retriever,
    parse_search,
    register_retriever,
)
from retrievo.grammar.json import retrievers as json_retrievers
from retrievo.retrievers.queries import MatchAllQuery, MatchQuery, TermQuery
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.search import SearchRequest, SourceFilter
from retrievo.retrievers.sort import SortField
from retrievo.retrievers.standard import StandardRetriever

M = MatchQuery(field="title", query="fox")
MATCH = {"match": {"title": "fox"}}


def test_empty_body_is_match_all_semantics() -> None:
    request = parse_search("books", {})
    assert request == SearchRequest(index="books", retriever=StandardRetriever(), top_level_query=True)
    assert parse_search("books", None) == request
    assert request.to_json() == {}


def test_top_level_query_becomes_a_standard_retriever() -> None:
    body = {
        "query": MATCH,
        "size": 5,
        "sort": [{"year": "desc"}, "_score"],
        "min_score": 0.5,
        "terminate_after": 100,
        "search_after": [1999, "x"],
        "_source": False,
        "explain": True,
        "track_total_hits": True,
        "track_scores": True,
    }
    request = parse_search("books", body)
    assert request == SearchRequest(
        index="books",
        size=5,
        source=SourceFilter(enabled=False),
        explain=True,
        track_total_hits=True,
        track_scores=True,
        top_level_query=True,
        retriever=StandardRetriever(
            query=M,
            sort=(SortField(field="year", order="desc"), SortField(field="_score", order="desc")),
            min_score=0.5,
            terminate_after=100,
            search_after=(1999, "x"),
        ),
    )


def test_retriever_body() -> None:
    body = {
        "retriever": {
            "standard": {
                "query": MATCH,
                "filter": [{"term": {"lang": "en"}}, {"exists": {"field": "year"}}],
                "min_score": 1,
                "sort": {"year": {"order": "asc", "missing": "_first"}},
                "terminate_after": 5,
                "search_after": [2000],
                "_name": "s",
            }
        },
        "size": 3,
    }
    request = parse_search("books", body)
    assert not request.top_level_query
    retriever = request.retriever
    assert isinstance(retriever, StandardRetriever)
    assert retriever.query == M
    assert retriever.filter[0] == TermQuery(field="lang", value="en")
    assert len(retriever.filter) == 2
    assert retriever.min_score == 1.0
    assert retriever.sort == (SortField(field="year", order="asc", missing="_first"),)
    assert (retriever.terminate_after, retriever.search_after, retriever.name) == (5, (2000,), "s")


def test_single_filter_object() -> None:
    retriever = parse_retriever({"standard": {"filter": {"match_all": {}}}})
    assert retriever == StandardRetriever(filter=(MatchAllQuery(),))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("_score", [SortField(field="_score", order="desc")]),
        ("year", [SortField(field="year", order="asc")]),
        (["_doc"], [SortField(field="_doc", order="asc")]),
        ({"year": "DESC"}, [SortField(field="year", order="desc")]),
        ({"_score": {"order": "asc"}}, [SortField(field="_score", order="asc")]),
        ({"_score": {}}, [SortField(field="_score", order="desc")]),
        ({"a": "asc", "b": "desc"}, [SortField(field="a", order="asc"), SortField(field="b", order="desc")]),
        (
            [{"price": {"order": "desc", "mode": "AVG", "missing": 0, "unmapped_type": "long"}}],
            [SortField(field="price", order="desc", mode="avg", missing=0, unmapped_type="long")],
        ),
        ({"price": {"missing": None}}, [SortField(field="price", order="asc")]),
    ],
)
def test_sort_forms(sort: Any, expected: list[SortField]) -> None:
    assert list(parse_search("i", {"sort": sort}).retriever.sort) == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (True, SourceFilter()),
        (False, SourceFilter(enabled=False)),
        ("title", SourceFilter(includes=("title",))),
        (["a", "b", "a"], SourceFilter(includes=("a", "b"))),
        ({"includes": "a*", "excludes": ["b", "c"]}, SourceFilter(includes=("a*",), excludes=("b", "c"))),
        ({"include": ["a"], "exclude": "b"}, SourceFilter(includes=("a",), excludes=("b",))),
        ({"excludes": ["secret"]}, SourceFilter(excludes=("secret",))),
    ],
)
def test_source_forms(source: Any, expected: SourceFilter) -> None:
    assert parse_search("i", {"_source": source}).source == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        (100, 100),
        ("250", 250),
        (-1, False),
        (2**31 - 1, True),
        (0, 0),
    ],
)
def test_track_total_hits(value: Any, expected: bool | int) -> None:
    result = parse_search("i", {"track_total_hits": value}).track_total_hits
    assert result == expected and type(result) is type(expected)


def test_coercions_and_harmless_defaults() -> None:
    request = parse_search(
        "i",
        {
            "size": "7",
            "from": 2.9,
            "explain": "true",
            "profile": False,
            "version": False,
            "seq_no_primary_term": False,
            "terminate_after": 0,
        },
    )
    assert (request.size, request.from_, request.explain) == (7, 2, True)
    assert request.retriever == StandardRetriever()


def test_max_result_window_is_configurable() -> None:
    assert parse_search("i", {"size": 50}, max_result_window=50).size == 50
    with pytest.raises(ApiError):
        parse_search("i", {"size": 51}, max_result_window=50)
    assert parse_search("i", {"from": 9990, "size": 10}).from_ == 9990


ROUND_TRIP = [
    {},
    {
        "query": {"bool": {"must": MATCH, "filter": {"range": {"year": {"gte": 2000}}}}},
        "size": 20,
        "sort": [{"year": "desc"}, "_score"],
        "min_score": 0.1,
        "terminate_after": 10,
        "search_after": [2001, "id"],
        "_source": ["title"],
        "explain": True,
        "track_total_hits": 1000,
        "track_scores": True,
    },
    {
        "retriever": {
            "standard": {
                "query": MATCH,
                "filter": [{"term": {"a": 1}}, {"term": {"b": 2}}],
                "min_score": 2,
                "_name": "x",
                "sort": ["year"],
            }
        },
        "_source": {"includes": ["a"], "excludes": ["b"]},
        "track_total_hits": False,
    },
    {"retriever": {"standard": {"filter": {"exists": {"field": "f"}}}}, "size": 0, "from": 7},
]


@pytest.mark.parametrize("body", ROUND_TRIP, ids=range(len(ROUND_TRIP)))
def test_search_round_trip(body: dict[str, Any]) -> None:
    first = parse_search("i", body)
    printed = first.to_json()
    again = parse_search("i", printed)
    assert again == first
    assert again.to_json() == printed


def test_retriever_round_trip() -> None:
    first = parse_retriever(
        {"standard": {"query": MATCH, "sort": [{"a": {"order": "desc"}}], "terminate_after": 3, "search_after": [1]}}
    )
    assert parse_retriever(first.to_json()) == first


def test_exclusive_keys_are_listed_in_elasticsearch_order() -> None:
    assert RETRIEVER_EXCLUSIVE_KEYS == (
        "query",
        "knn",
        "search_after",
        "terminate_after",
        "sort",
        "rank",
        "rescore",
        "min_score",
    )


class _Fake(Retriever):
    """A stand-in for a later retriever's AST node."""

    kind = "fake"
    k: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"rrf": {"k": self.k, **self._base_json()}}


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A private copy of the registry so registrations do not leak between tests."""
    copy = dict(json_retrievers.RETRIEVER_PARSERS)
    monkeypatch.setattr(json_retrievers, "RETRIEVER_PARSERS", copy)
    return copy


def test_register_retriever_extends_parsing(registry: dict[str, Any]) -> None:
    seen: list[dict[str, Any]] = []
    registry.pop("rule")  # every retriever Elasticsearch registers has a parser now: take one away

    def parse_rule(body: dict[str, Any]) -> Retriever:
        seen.append(body)
        if "k" not in body:
            raise parsing_error("[rule] needs k")
        return _Fake(k=body["k"])

    with pytest.raises(ApiError, match="not supported"):
        parse_retriever({"rule": {"k": 1}})
    register_retriever("rule", parse_rule)
    assert parse_retriever({"rule": {"k": 60}}) == _Fake(k=60)
    assert seen == [{"k": 60}]
    request = parse_search("i", {"retriever": {"rule": {"k": 5}}, "size": 2})
    assert request.retriever == _Fake(k=5) and not request.top_level_query
    with pytest.raises(ApiError) as info:
        parse_retriever({"rule": {"k": 1}, "standard": {}})
    assert error_reason(info.value) == "[rule] malformed retriever, expected [END_OBJECT] but found [FIELD_NAME]"


def test_registered_names_are_suggested(registry: dict[str, Any]) -> None:
    register_retriever("my_retriever", lambda body: StandardRetriever())
    with pytest.raises(ApiError) as info:
        parse_retriever({"my_retreiver": {}})
    assert error_reason(info.value) == "unknown retriever [my_retreiver] did you mean [my_retriever]?"


def test_register_retriever_checks_its_arguments(registry: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        register_retriever("", lambda body: StandardRetriever())
    with pytest.raises(TypeError):
        register_retriever("x", "not callable")  # type: ignore[arg-type]
