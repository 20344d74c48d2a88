"""Bad search bodies and retrievers fail with Elasticsearch's status, type and reason."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.grammar.json import parse_retriever, parse_search

PE, XC, IAE = "parsing_exception", "x_content_parse_exception", "illegal_argument_exception"
AVE = "action_request_validation_exception"
STD: dict[str, Any] = {"standard": {}}


def _unsupported(what: str) -> str:
    return f"{what} is not supported in retrievo"


ERRORS: list[tuple[str, Any, str, str]] = [
    # keys dispatched on their token (SearchSourceBuilder.parseXContent)
    ("unknown string key", {"foo": "x"}, PE, "Unknown key for a VALUE_STRING in [foo]."),
    ("unknown object key", {"foo": {}}, PE, "Unknown key for a START_OBJECT in [foo]."),
    ("unknown array key", {"foo": []}, PE, "Unknown key for a START_ARRAY in [foo]."),
    ("unknown number key", {"foo": 1}, PE, "Unknown key for a VALUE_NUMBER in [foo]."),
    ("unknown boolean key", {"foo": True}, PE, "Unknown key for a VALUE_BOOLEAN in [foo]."),
    ("null value", {"size": None}, PE, "Unknown key for a VALUE_NULL in [size]."),
    ("query as string", {"query": "fox"}, PE, "Unknown key for a VALUE_STRING in [query]."),
    ("query as array", {"query": [{"match_all": {}}]}, PE, "Unknown key for a START_ARRAY in [query]."),
    ("size as object", {"size": {}}, PE, "Unknown key for a START_OBJECT in [size]."),
    ("retriever as string", {"retriever": "standard"}, PE, "Unknown key for a VALUE_STRING in [retriever]."),
    ("search_after object", {"search_after": {}}, PE, "Unknown key for a START_OBJECT in [search_after]."),
    # values
    ("negative size", {"size": -1}, IAE, "[size] parameter cannot be negative, found [-1]"),
    ("negative from", {"from": -5}, IAE, "[from] parameter cannot be negative, found [-5]"),
    ("size not a number", {"size": "abc"}, XC, "failed to parse field [size]"),
    ("size boolean", {"size": True}, XC, "failed to parse field [size]"),
    ("size too big for int", {"size": 2**40}, XC, "failed to parse field [size]"),
    ("negative terminate_after", {"terminate_after": -1}, IAE, "terminateAfter must be > 0"),
    ("bad min_score", {"min_score": "high"}, XC, "failed to parse field [min_score]"),
    ("bad explain", {"explain": "yes"}, XC, "failed to parse field [explain]"),
    (
        "track_total_hits below -1",
        {"track_total_hits": -2},
        IAE,
        "[track_total_hits] parameter must be positive or equals to -1, got -2",
    ),
    ("track_total_hits text", {"track_total_hits": "all"}, XC, "failed to parse field [track_total_hits]"),
    # _source (FetchSourceContext)
    (
        "source number",
        {"_source": 1},
        PE,
        "Expected one of [VALUE_BOOLEAN, VALUE_STRING, START_ARRAY, START_OBJECT] but found [VALUE_NUMBER]",
    ),
    ("source array number", {"_source": ["a", 1]}, PE, "Unknown key for a VALUE_NUMBER in [_source]."),
    ("source includes number", {"_source": {"includes": [1]}}, PE, "Unknown key for a VALUE_NUMBER in [includes]."),
    ("source unknown key", {"_source": {"fields": ["a"]}}, PE, "Unknown key for a START_ARRAY in [fields]."),
    ("source includes object", {"_source": {"includes": {}}}, PE, "Unknown key for a START_OBJECT in [includes]."),
    # sort (SortBuilder, FieldSortBuilder, ScoreSortBuilder)
    (
        "sort number element",
        {"sort": [1]},
        IAE,
        "malformed sort format, within the sort array, an object, or an actual string are allowed",
    ),
    ("sort bad order", {"sort": {"year": "up"}}, IAE, "No enum constant org.elasticsearch.search.sort.SortOrder.UP"),
    (
        "sort unknown option",
        {"sort": {"year": {"order": "asc", "orderr": 1}}},
        XC,
        "[field_sort] unknown field [orderr] did you mean [order]?",
    ),
    ("sort bad mode", {"sort": [{"year": {"mode": "mean"}}]}, XC, "[field_sort] failed to parse field [mode]"),
    ("sort score missing", {"sort": {"_score": {"missing": "_last"}}}, XC, "[_score] unknown field [missing]"),
    ("sort options not object", {"sort": {"year": 1}}, XC, "[field_sort] Expected START_OBJECT but was: VALUE_NUMBER"),
    ("sort geo", {"sort": [{"_geo_distance": {"loc": [0, 0]}}]}, IAE, _unsupported("[_geo_distance] sort")),
    ("sort script", {"sort": {"_script": {"type": "number"}}}, IAE, _unsupported("[_script] sort")),
    (
        "sort nested no path",
        {"sort": {"year": {"nested": {"max_children": 1}}}},
        XC,
        "[field_sort] failed to parse field [nested]",
    ),
    ("sort shard doc", {"sort": ["_shard_doc"]}, IAE, _unsupported("[_shard_doc] sort")),
    (
        "sort nested_path",
        {"sort": {"year": {"nested_path": "p"}}},
        XC,
        "[field_sort] failed to parse field [nested_path]",
    ),
    # search_after (SearchAfterBuilder)
    ("search_after empty", {"search_after": []}, IAE, "Values must contains at least one value."),
    (
        "search_after object element",
        {"search_after": [{"a": 1}]},
        PE,
        "Expected [VALUE_STRING] or [VALUE_NUMBER] or [VALUE_BOOLEAN] or [VALUE_NULL] but found "
        "[START_OBJECT] inside search_after.",
    ),
    (
        "search_after with from",
        {"search_after": [1], "from": 3},
        "action_request_validation_exception",
        "Validation Failed: 1: [from] parameter must be set to 0 when [search_after] is used;",
    ),
    ("empty query object", {"query": {}}, IAE, "query malformed, empty clause found"),
    # result window (the query phase)
    ("result window", {"size": 10001}, "search_phase_execution_exception", "all shards failed"),
    ("result window from", {"from": 9995, "size": 10}, "search_phase_execution_exception", "all shards failed"),
    # known to Elasticsearch, not implemented by retrievo
    ("aggs", {"aggs": {"by_year": {"composite": {}}}}, IAE, "the [composite] aggregation is not supported in retrievo"),
    (
        "aggregations",
        {"aggregations": {"x": 1}},
        PE,
        "Aggregation definition for [x starts with a [VALUE_NUMBER], expected a [START_OBJECT].",
    ),
    ("highlight unknown field", {"highlight": {"foo": 1}}, XC, "[highlight] unknown field [foo]"),
    ("collapse unknown field", {"collapse": {"field": "user", "foo": 1}}, XC, "[collapse] unknown field [foo]"),
    (
        "knn both vectors",
        {
            "knn": {
                "field": "v",
                "query_vector": [1],
                "query_vector_builder": {"text_embedding": {"model_id": "m", "model_text": "t"}},
                "k": 1,
            }
        },
        IAE,
        "only one of [query_vector] and [query_vector_builder] must be provided",
    ),
    (
        "knn array no vector",
        {"knn": [{"field": "v"}]},
        IAE,
        "either [query_vector] or [query_vector_builder] must be provided",
    ),
    ("knn k zero", {"knn": {"field": "v", "query_vector": [1], "k": 0}}, IAE, "[k] must be greater than 0"),
    (
        "knn too many candidates",
        {"knn": {"field": "v", "query_vector": [1], "k": 1, "num_candidates": 10001}},
        IAE,
        "[num_candidates] cannot exceed [10000]",
    ),
    ("rescore without rescore_query", {"rescore": {"query": {}}}, IAE, "rescore_query cannot be null"),
    ("post_filter", {"post_filter": {"match_all": {}}}, IAE, _unsupported("[post_filter] search parameter")),
    (
        "suggest phrase suggester collate with a stored template",
        {"suggest": {"s": {"text": "a", "phrase": {"field": "f", "collate": {"query": {"id": "t"}}}}}},
        IAE,
        _unsupported("stored scripts ([id]) in the [phrase] suggester's [collate] [query]")
        + ": give the template as [source]",
    ),
    ("fields as string", {"fields": "a"}, PE, "Unknown key for a VALUE_STRING in [fields]."),
    ("docvalue_fields as object", {"docvalue_fields": {}}, PE, "Unknown key for a START_OBJECT in [docvalue_fields]."),
    (
        "stored_fields _none_ and a name",
        {"stored_fields": ["_none_", "a"]},
        IAE,
        "cannot combine _none_ with other fields",
    ),
    ("script_fields", {"script_fields": {}}, IAE, _unsupported("[script_fields] search parameter")),
    ("runtime_mappings", {"runtime_mappings": {}}, IAE, _unsupported("[runtime_mappings] search parameter")),
    ("pit", {"pit": {"id": "x"}}, IAE, _unsupported("[pit] search parameter")),
    ("timeout", {"timeout": "1s"}, IAE, _unsupported("[timeout] search parameter")),
    ("indices_boost", {"indices_boost": [{"a": 1}]}, IAE, _unsupported("[indices_boost] search parameter")),
    ("stats", {"stats": ["g"]}, IAE, _unsupported("[stats] search parameter")),
    ("slice", {"slice": {"id": 0, "max": 2}}, IAE, _unsupported("[slice] search parameter")),
    ("ext", {"ext": {}}, IAE, _unsupported("[ext] search parameter")),
    # legacy rank / sub_searches (SearchSourceBuilder.validate, RRFRankBuilder)
    (
        "rank with one result set",
        {"rank": {"rrf": {}}},
        "action_request_validation_exception",
        "Validation Failed: 1: [rank] requires a minimum of [2] result sets using a combination of sub searches "
        "and/or knn searches;",
    ),
    (
        "two sub_searches without rank",
        {"sub_searches": [{"query": {"match_all": {}}}, {"query": {"match_all": {}}}]},
        "action_request_validation_exception",
        "Validation Failed: 1: [sub_searches] requires [rank];",
    ),
    (
        "query and sub_searches",
        {"query": {"match_all": {}}, "sub_searches": []},
        IAE,
        "cannot specify field [sub_searches] and field [query]",
    ),
    (
        "rank constant zero",
        {"rank": {"rrf": {"rank_constant": 0}}},
        IAE,
        "[rank_constant] must be greater or equal to [1] for [rrf]",
    ),
    ("retriever and rank", {"rank": {"rrf": {}}, "retriever": STD}, IAE, "cannot specify [retriever] and [rank]"),
    (
        "retriever and sub_searches",
        {"sub_searches": [{"query": {"match_all": {}}}], "retriever": STD},
        IAE,
        "cannot specify [retriever] and [query]",
    ),
    (
        "parse error wins over unsupported",
        {"aggs": {}, "size": -1},
        IAE,
        "[size] parameter cannot be negative, found [-1]",
    ),
    # retriever + top-level keys (SearchSourceBuilder, RetrieverBuilderErrorTests)
    (
        "retriever and query",
        {"query": {"match_all": {}}, "retriever": STD},
        IAE,
        "cannot specify [retriever] and [query]",
    ),
    ("retriever and knn", {"knn": {"field": "v"}, "retriever": STD}, IAE, "cannot specify [retriever] and [knn]"),
    (
        "retriever and search_after",
        {"search_after": [1], "retriever": STD},
        IAE,
        "cannot specify [retriever] and [search_after]",
    ),
    (
        "retriever and terminate_after",
        {"terminate_after": 1, "retriever": STD},
        IAE,
        "cannot specify [retriever] and [terminate_after]",
    ),
    ("retriever and sort", {"sort": ["field"], "retriever": STD}, IAE, "cannot specify [retriever] and [sort]"),
    (
        "retriever and rescore",
        {"rescore": {"query": {"rescore_query": {"match_all": {}}}}, "retriever": STD},
        IAE,
        "cannot specify [retriever] and [rescore]",
    ),
    ("retriever and min_score", {"min_score": 2, "retriever": STD}, IAE, "cannot specify [retriever] and [min_score]"),
    (
        "retriever and three",
        {"min_score": 2, "query": {"match_all": {}}, "retriever": STD, "terminate_after": 1},
        IAE,
        "cannot specify [retriever] and [query, terminate_after, min_score]",
    ),
    # retriever shape (RetrieverBuilder.parseInnerRetrieverBuilder)
    ("retriever empty", {"retriever": {}}, PE, "retriever malformed, empty clause found"),
    (
        "retriever body not object",
        {"retriever": {"standard": []}},
        PE,
        "[standard] retriever malformed, no [START_OBJECT] after retriever name",
    ),
    ("retriever unknown", {"retriever": {"rff": {}}}, PE, "unknown retriever [rff] did you mean [rrf]?"),
    ("retriever unknown far", {"retriever": {"bm25": {}}}, PE, "unknown retriever [bm25]"),
    (
        "retriever two",
        {"retriever": {"standard": {}, "knn": {}}},
        PE,
        "[standard] malformed retriever, expected [END_OBJECT] but found [FIELD_NAME]",
    ),
    (
        "rrf without children",
        {"retriever": {"rrf": {"retrievers": []}}},
        AVE,
        "Validation Failed: 1: [rrf] must provide [retrievers] or [query];",
    ),
    ("rrf empty", {"retriever": {"rrf": {}}}, AVE, "Validation Failed: 1: [rrf] must provide [retrievers] or [query];"),
    (
        "linear empty",
        {"retriever": {"linear": {}}},
        AVE,
        "Validation Failed: 1: [linear] must provide [retrievers] or [query];",
    ),
    (
        "rrf negative weight",
        {"retriever": {"rrf": {"retrievers": [{"retriever": STD, "weight": -0.5}]}}},
        "x_content_parse_exception",
        "[rrf] failed to parse field [retrievers]",
    ),
    (
        "rrf rank_constant",
        {"retriever": {"rrf": {"retrievers": [STD], "rank_constant": 0}}},
        IAE,
        "[rank_constant] must be greater or equal to [1] for [rrf]",
    ),
    (
        "reranker missing fields",
        {"retriever": {"text_similarity_reranker": {}}},
        "x_content_parse_exception",
        "[text_similarity_reranker] failed to parse object",
    ),
    (
        "reranker chunk size",
        {
            "retriever": {
                "text_similarity_reranker": {
                    "retriever": STD,
                    "field": "f",
                    "inference_text": "q",
                    "chunk_rescorer": {"size": 0},
                }
            }
        },
        "x_content_parse_exception",
        "[text_similarity_reranker] failed to parse field [chunk_rescorer]",
    ),
    ("rescorer retriever without fields", {"retriever": {"rescorer": {}}}, PE, "[rescorer] failed to parse object"),
    ("pinned retriever without fields", {"retriever": {"pinned": {}}}, PE, "Required [retriever]"),
    ("rule retriever, no fields", {"retriever": {"rule": {}}}, PE, "Required [ruleset_ids, match_criteria, retriever]"),
    ("diversify retriever without fields", {"retriever": {"diversify": {}}}, IAE, "Required [retriever, type, field]"),
    # standard retriever body (an ObjectParser named "standard")
    ("standard unknown field", {"retriever": {"standard": {"foo": 1}}}, XC, "[standard] unknown field [foo]"),
    (
        "standard typo",
        {"retriever": {"standard": {"querry": {}}}},
        XC,
        "[standard] unknown field [querry] did you mean [query]?",
    ),
    (
        "standard collapse",
        {"retriever": {"standard": {"collapse": {"field": "u", "foo": 1}}}},
        XC,
        "[standard] failed to parse field [collapse]",
    ),
    (
        "standard sort string",
        {"retriever": {"standard": {"sort": "_score"}}},
        XC,
        "[standard] sort doesn't support values of type: VALUE_STRING",
    ),
    (
        "standard min_score text",
        {"retriever": {"standard": {"min_score": "x"}}},
        XC,
        "[standard] failed to parse field [min_score]",
    ),
    (
        "standard filter string",
        {"retriever": {"standard": {"filter": "x"}}},
        XC,
        "[standard] filter doesn't support values of type: VALUE_STRING",
    ),
    (
        "standard bad query",
        {"retriever": {"standard": {"query": {"matc": {}}}}},
        XC,
        "[standard] failed to parse field [query]",
    ),
    (
        "standard bad filter",
        {"retriever": {"standard": {"filter": [{"match_all": {}}, {}]}}},
        XC,
        "[standard] failed to parse field [filter]",
    ),
    (
        "standard negative terminate_after",
        {"retriever": {"standard": {"terminate_after": -1}}},
        IAE,
        "terminateAfter must be > 0",
    ),
    (
        "standard search_after object",
        {"retriever": {"standard": {"search_after": {}}}},
        XC,
        "[standard] failed to parse field [search_after]",
    ),
    (
        "standard name number",
        {"retriever": {"standard": {"_name": 1}}},
        XC,
        "[standard] _name doesn't support values of type: VALUE_NUMBER",
    ),
    ("body not object", [{"query": {}}], PE, "Expected [START_OBJECT] but found [START_ARRAY]"),
]


@pytest.mark.parametrize(
    ("body", "error_type", "reason"), [(b, t, r) for _, b, t, r in ERRORS], ids=[name for name, *_ in ERRORS]
)
def test_error(body: Any, error_type: str, reason: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_search("books", body)
    err = info.value
    assert err.status_code == 400
    assert err.body["status"] == 400
    assert err.body["error"]["type"] == error_type
    assert err.body["error"]["reason"] == reason


def test_result_window_error_shape() -> None:
    with pytest.raises(ApiError) as info:
        parse_search("books", {"from": 9000, "size": 1001})
    error = info.value.body["error"]
    reason = (
        "Result window is too large, from + size must be less than or equal to: [10000] but "
        "was [10001]. See the scroll api for a more efficient way to request large data "
        "sets. This limit can be set by changing the [index.max_result_window] index level "
        "setting."
    )
    assert error["root_cause"] == [{"type": IAE, "reason": reason}]
    assert error["caused_by"] == {"type": IAE, "reason": reason}
    assert (error["phase"], error["grouped"]) == ("query", True)
    assert error["failed_shards"][0]["index"] == "books"


def test_standard_query_error_keeps_root_cause() -> None:
    with pytest.raises(ApiError) as info:
        parse_search("books", {"retriever": {"standard": {"query": {"matc": {}}}}})
    error = info.value.body["error"]
    assert error["root_cause"] == [{"type": PE, "reason": "unknown query [matc] did you mean [match]?"}]
    assert error["caused_by"]["type"] == PE


def test_sort_mode_cause_names_the_value() -> None:
    with pytest.raises(ApiError) as info:
        parse_search("books", {"sort": {"year": {"mode": "mean"}}})
    assert info.value.body["error"]["caused_by"] == {"type": IAE, "reason": "Unknown SortMode [mean]"}


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ("standard", "retriever malformed, must start with [START_OBJECT]"),
        ([STD], "retriever malformed, must start with [START_OBJECT]"),
        ({}, "retriever malformed, empty clause found"),
    ],
)
def test_parse_retriever_shape_errors(obj: Any, reason: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_retriever(obj)
    assert (info.value.status_code, info.value.error, error_reason(info.value)) == (400, PE, reason)
