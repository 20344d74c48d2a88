"""The deprecated ``rank``/``sub_searches`` sections: their errors, and the ``rrf`` retriever they become."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.errors import ApiError
from retrievo.grammar.json import parse_search
from retrievo.retrievers.fusion import RrfRetriever

MATCH_ALL: dict[str, Any] = {"match_all": {}}
KNN: dict[str, Any] = {"field": "v", "query_vector": [1.0], "k": 3, "num_candidates": 5}


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ApiError) as info:
        parse_search("i", body)
    assert info.value.status_code == 400
    error: dict[str, Any] = info.value.body["error"]
    return error


@pytest.mark.parametrize(
    ("body", "error_type", "reason"),
    [
        ({"rank": {}}, "parsing_exception", "expected a rank name, but found token [START_OBJECT] for [rank]"),
        ({"rank": {"foo": {}}}, "named_object_not_found_exception", "unknown field [foo]"),
        ({"rank": {"rrf": 5}}, "x_content_parse_exception", "[rrf] Expected START_OBJECT but was: VALUE_NUMBER"),
        ({"rank": {"rrf": {"window": 1}}}, "x_content_parse_exception", "[rrf] unknown field [window]"),
        (
            {"sub_searches": [1]},
            "x_content_parse_exception",
            "malformed query within the [sub_searches] field; found VALUE_NUMBER",
        ),
        (
            {"sub_searches": [{"foo": {}}]},
            "x_content_parse_exception",
            "[sub_search_source_builder] unknown field [foo]",
        ),
        ({"sub_searches": [{}]}, "x_content_parse_exception", "[sub_search_source_builder] failed to parse object"),
        (
            {"sub_searches": [{"query": MATCH_ALL}], "query": MATCH_ALL},
            "illegal_argument_exception",
            "cannot specify field [query] and field [sub_searches]",
        ),
        (
            {"sub_searches": [{"query": MATCH_ALL}] * 2, "rank": {"rrf": {}}, "size": 0},
            "action_request_validation_exception",
            "Validation Failed: 1: [rank] requires [size] greater than [0];",
        ),
        (
            {
                "sub_searches": [{"query": MATCH_ALL}] * 2,
                "rank": {"rrf": {"rank_window_size": 1}},
                "rescore": {"query": {"rescore_query": MATCH_ALL}},
            },
            "action_request_validation_exception",
            "Validation Failed: 1: [rank] requires [rank_window_size: 1] be greater than or equal to [size: 10];"
            "2: [rank] cannot be used with [rescore];",
        ),
        (
            {"sub_searches": [{"query": MATCH_ALL}] * 2, "rank": {"rrf": {}}, "sort": ["_score"]},
            "illegal_argument_exception",
            "[rank] with [sort] is not supported in retrievo: use an [rrf] retriever",
        ),
    ],
)
def test_errors(body: dict[str, Any], error_type: str, reason: str) -> None:
    error = error_of(body)
    assert (error["type"], error["reason"]) == (error_type, reason)


def test_an_empty_sub_searches_before_query_leaves_the_query() -> None:
    request = parse_search("i", {"sub_searches": [], "query": {"term": {"t": "x"}}})
    assert request.retriever.to_json() == {"standard": {"query": {"term": {"t": {"value": "x"}}}}}


def test_a_single_sub_search_is_the_query() -> None:
    request = parse_search("i", {"sub_searches": [{"query": MATCH_ALL}]})
    assert request.retriever.to_json() == {"standard": {"query": {"match_all": {}}}}


def test_translation_is_sub_searches_then_knn_named_by_their_names() -> None:
    body = {
        "knn": [{**KNN, "_name": "near", "filter": {"term": {"t": "y"}}, "boost": 2.0}],
        "query": {"term": {"t": {"value": "x", "_name": "lexical"}}},
        "rank": {"rrf": {"rank_window_size": 20, "rank_constant": 5}},
    }
    request = parse_search("i", body)
    assert isinstance(request.retriever, RrfRetriever)
    assert request.retriever.to_json() == {
        "rrf": {
            "retrievers": [
                {"standard": {"query": {"term": {"t": {"value": "x", "_name": "lexical"}}}, "_name": "lexical"}},
                # RRFRankBuilder.toRetriever keeps field, vector, k, num_candidates, similarity, rescore_vector
                {"knn": {"field": "v", "query_vector": [1.0], "k": 3, "num_candidates": 5, "_name": "near"}},
            ],
            "rank_constant": 5,
            "rank_window_size": 20,
        }
    }
    assert not request.top_level_query
