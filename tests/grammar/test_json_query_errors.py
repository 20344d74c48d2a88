"""Bad query DSL fails with Elasticsearch's status, error type and reason."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.errors import ApiError
from retrievo.grammar.json import parse_query

PE, XC, IAE = "parsing_exception", "x_content_parse_exception", "illegal_argument_exception"


BUILT = "after last required field arrived"


def _unsupported(what: str) -> str:
    return f"{what} is not supported in retrievo"


ERRORS: list[tuple[str, Any, str, str]] = [
    # shape of the clause (AbstractQueryBuilder.parseInnerQueryBuilder)
    ("not an object", "match_all", PE, "[_na] query malformed, must start with start_object"),
    ("empty clause", {}, IAE, "query malformed, empty clause found"),
    ("body not object", {"match": "x"}, PE, "[match] query malformed, no start_object after query name"),
    (
        "two queries",
        {"match": {"a": "x"}, "term": {"b": "y"}},
        PE,
        "[match] malformed query, expected [END_OBJECT] but found [FIELD_NAME]",
    ),
    ("unknown query", {"matc": {"a": "x"}}, PE, "unknown query [matc] did you mean [match]?"),
    ("unknown query many", {"matchall": {}}, PE, "unknown query [matchall] did you mean any of [match_all, match]?"),
    ("unknown query far", {"foo": {}}, PE, "unknown query [foo]"),
    ("es query unsupported", {"percolate": {"field": "q"}}, IAE, _unsupported("[percolate] query")),
    ("es knn query without a vector", {"knn": {"field": "v"}}, XC, f"Failed to build [knn] {BUILT}"),
    ("mlt without like", {"more_like_this": {"fields": ["a"]}}, PE, "more_like_this requires 'like' to be specified"),
    # match
    (
        "match multiple fields",
        {"match": {"a": "x", "b": "y"}},
        PE,
        "[match] query doesn't support multiple fields, found [a] and [b]",
    ),
    ("match unknown param", {"match": {"a": {"query": "x", "foo": 1}}}, PE, "[match] query does not support [foo]"),
    ("match no text", {"match": {"a": {"boost": 2}}}, PE, "No text specified for text query"),
    ("match empty", {"match": {}}, PE, "No text specified for text query"),
    (
        "match param object",
        {"match": {"a": {"query": {"x": 1}}}},
        PE,
        "[match] unknown token [START_OBJECT] after [query]",
    ),
    (
        "match param null",
        {"match": {"a": {"query": "x", "analyzer": None}}},
        PE,
        "[match] unknown token [VALUE_NULL] after [analyzer]",
    ),
    ("match short array", {"match": {"a": ["x"]}}, PE, "[match] unknown token [START_ARRAY] after [a]"),
    ("match bad boost", {"match": {"a": {"query": "x", "boost": "x"}}}, XC, "[match] failed to parse field [boost]"),
    (
        "match bad lenient",
        {"match": {"a": {"query": "x", "lenient": "yes"}}},
        XC,
        "[match] failed to parse field [lenient]",
    ),
    (
        "match bad operator",
        {"match": {"a": {"query": "x", "operator": "xor"}}},
        IAE,
        "No enum constant org.elasticsearch.index.query.Operator.XOR",
    ),
    (
        "match bad zero terms",
        {"match": {"a": {"query": "x", "zero_terms_query": "some"}}},
        PE,
        "Unsupported zero_terms_query value [some]",
    ),
    (
        "match negative boost",
        {"match": {"a": {"query": "x", "boost": -1}}},
        IAE,
        'negative [boost] are not allowed in [{"match":{"a":{"query":"x"}}}], use a value between 0 and 1 to deboost',
    ),
    (
        "match fuzziness",
        {"match": {"a": {"query": "x", "fuzziness": "abc"}}},
        IAE,
        "fuzziness cannot be [abc].",
    ),
    (
        "match max expansions",
        {"match": {"a": {"query": "x", "max_expansions": 0}}},
        IAE,
        "[match] requires maxExpansions to be positive.",
    ),
    (
        "match cutoff frequency",
        {"match": {"a": {"query": "x", "cutoff_frequency": 0.1}}},
        PE,
        "[match] query does not support [cutoff_frequency]",
    ),
    # match_phrase
    (
        "phrase bad slop",
        {"match_phrase": {"a": {"query": "x y", "slop": "a"}}},
        XC,
        "[match_phrase] failed to parse field [slop]",
    ),
    ("phrase negative slop", {"match_phrase": {"a": {"query": "x y", "slop": -1}}}, IAE, "No negative slop allowed."),
    (
        "phrase operator",
        {"match_phrase": {"a": {"query": "x", "operator": "and"}}},
        PE,
        "[match_phrase] query does not support [operator]",
    ),
    ("phrase no field", {"match_phrase": {}}, IAE, "[match_phrase] requires fieldName"),
    ("phrase no query", {"match_phrase": {"a": {"slop": 1}}}, IAE, "[match_phrase] requires query value"),
    # multi_match
    ("mm no text", {"multi_match": {"fields": ["a"]}}, PE, "No text specified for multi_match query"),
    (
        "mm unknown type",
        {"multi_match": {"query": "x", "type": "best"}},
        "parse_exception",
        "failed to parse [multi_match] query type [best]. unknown type.",
    ),
    (
        "mm cross_fields fuzziness",
        {"multi_match": {"query": "x", "type": "cross_fields", "fuzziness": 1}},
        PE,
        "Fuzziness not allowed for type [cross_fields]",
    ),
    (
        "mm bool_prefix with slop",
        {"multi_match": {"query": "x", "type": "bool_prefix", "slop": 1}},
        PE,
        "[slop] not allowed for type [bool_prefix]",
    ),
    (
        "mm fields object",
        {"multi_match": {"query": "x", "fields": {"a": 1}}},
        PE,
        "[multi_match] query does not support [fields]",
    ),
    (
        "mm bad field boost",
        {"multi_match": {"query": "x", "fields": ["a^b"]}},
        XC,
        "[multi_match] failed to parse field [fields]",
    ),
    (
        "mm unknown param",
        {"multi_match": {"query": "x", "field": "a"}},
        PE,
        "[multi_match] query does not support [field]",
    ),
    (
        "mm tie breaker list",
        {"multi_match": {"query": "x", "tie_breaker": [1]}},
        PE,
        "[multi_match] unknown token [START_ARRAY] after [tie_breaker]",
    ),
    # bool (an ObjectParser)
    (
        "bool unknown field",
        {"bool": {"mustt": []}},
        XC,
        "[bool] unknown field [mustt] did you mean any of [must, must_not]?",
    ),
    ("bool bad clause type", {"bool": {"must": "x"}}, XC, "[bool] must doesn't support values of type: VALUE_STRING"),
    ("bool bad clause", {"bool": {"filter": [{"term": {"a": [1, 2]}}]}}, XC, "[bool] failed to parse field [filter]"),
    ("bool clause not object", {"bool": {"should": ["x"]}}, XC, "[bool] failed to parse field [should]"),
    ("bool name number", {"bool": {"_name": 5}}, XC, "[bool] _name doesn't support values of type: VALUE_NUMBER"),
    ("bool negative boost", {"bool": {"boost": -2}}, XC, "[bool] failed to parse field [boost]"),
    (
        "bool adjust pure negative",
        {"bool": {"adjust_pure_negative": False}},
        IAE,
        _unsupported("[bool] query parameter [adjust_pure_negative: false]"),
    ),
    (
        "bool nested unsupported",
        {"bool": {"must": {"percolate": {"field": "q"}}}},
        IAE,
        _unsupported("[percolate] query"),
    ),
    # term / terms
    ("term array", {"term": {"a": [1, 2]}}, PE, "[term] query does not support array of values"),
    (
        "term multiple fields",
        {"term": {"a": "x", "b": "y"}},
        PE,
        "[term] query doesn't support multiple fields, found [a] and [b]",
    ),
    ("term unknown param", {"term": {"a": {"value": "x", "foo": 1}}}, PE, "[term] query does not support [foo]"),
    ("term no value", {"term": {"a": {"boost": 1}}}, IAE, "value cannot be null"),
    ("term null", {"term": {"a": None}}, IAE, "field name is null or empty"),
    ("terms two fields", {"terms": {"a": ["x"], "b": ["y"]}}, PE, "[terms] query does not support multiple fields"),
    (
        "terms no field",
        {"terms": {"boost": 2}},
        PE,
        "[terms] query requires a field name, followed by array of terms or a document lookup specification",
    ),
    ("terms scalar", {"terms": {"a": "x"}}, PE, "[terms] query does not support [a]"),
    (
        "terms lookup",
        {"terms": {"a": {"index": "i", "id": "1", "path": "p"}}},
        IAE,
        _unsupported("[terms] query with a terms lookup"),
    ),
    # range
    ("range unknown param", {"range": {"n": {"gte": 1, "gtee": 2}}}, PE, "[range] query does not support [gtee]"),
    ("range scalar", {"range": {"n": 5}}, PE, "[range] query does not support [n]"),
    ("range no field", {"range": {}}, IAE, "field name is null or empty"),
    (
        "range two fields",
        {"range": {"a": {"gte": 1}, "b": {"lt": 2}}},
        PE,
        "[range] query doesn't support multiple fields, found [a] and [b]",
    ),
    (
        "range relation within",
        {"range": {"n": {"gte": 1, "relation": "within"}}},
        IAE,
        _unsupported("[range] query relation [within]"),
    ),
    (
        "range relation disjoint",
        {"range": {"n": {"gte": 1, "relation": "disjoint"}}},
        IAE,
        "[range] query does not support relation [disjoint]",
    ),
    ("range relation bad", {"range": {"n": {"gte": 1, "relation": "near"}}}, IAE, "near is not a valid relation"),
    (
        "range bad include_lower",
        {"range": {"n": {"from": 1, "include_lower": "no"}}},
        XC,
        "[range] failed to parse field [include_lower]",
    ),
    # exists / ids / prefix
    ("exists no field", {"exists": {}}, PE, "[exists] must be provided with a [field]"),
    ("exists unknown param", {"exists": {"fields": "a"}}, PE, "[exists] query does not support [fields]"),
    ("exists field object", {"exists": {"field": {"a": 1}}}, PE, "[exists] unknown token [START_OBJECT] after [field]"),
    ("ids unknown field", {"ids": {"value": ["1"]}}, PE, "[ids] unknown field [value] did you mean [values]?"),
    (
        "ids values object",
        {"ids": {"values": {"a": 1}}},
        PE,
        "[ids] values doesn't support values of type: START_OBJECT",
    ),
    (
        "prefix rewrite not text",
        {"prefix": {"a": {"value": "x", "rewrite": ["constant_score"]}}},
        PE,
        "[prefix] unknown token [START_ARRAY] after [rewrite]",
    ),
    ("prefix no value", {"prefix": {"a": {"boost": 2}}}, IAE, "value cannot be null"),
    (
        "prefix unknown param",
        {"prefix": {"a": {"value": "x", "prefix": "y"}}},
        PE,
        "[prefix] query does not support [prefix]",
    ),
    # constant_score / dis_max / match_all / match_none
    ("constant_score no filter", {"constant_score": {"boost": 2}}, PE, "[constant_score] requires a 'filter' element"),
    (
        "constant_score filter array",
        {"constant_score": {"filter": [{"match_all": {}}]}},
        PE,
        "unexpected token [START_ARRAY]",
    ),
    (
        "constant_score query key",
        {"constant_score": {"query": {"match_all": {}}}},
        PE,
        "[constant_score] query does not support [query]",
    ),
    (
        "dis_max no queries",
        {"dis_max": {"tie_breaker": 0.5}},
        PE,
        "[dis_max] requires 'queries' field with at least one clause",
    ),
    ("dis_max empty queries", {"dis_max": {"queries": []}}, PE, "[_na] query malformed, must start with start_object"),
    (
        "dis_max bad tie_breaker",
        {"dis_max": {"queries": [{"match_all": {}}], "tie_breaker": "x"}},
        XC,
        "[dis_max] failed to parse field [tie_breaker]",
    ),
    ("match_all unknown field", {"match_all": {"foo": 1}}, PE, "[match_all] unknown field [foo]"),
    ("match_all bad boost", {"match_all": {"boost": "x"}}, PE, "[match_all] failed to parse field [boost]"),
    ("match_none unknown", {"match_none": {"foo": 1}}, PE, "[match_none] query does not support [foo]"),
]


@pytest.mark.parametrize(
    ("body", "error_type", "reason"), [(b, t, r) for _, b, t, r in ERRORS], ids=[name for name, *_ in ERRORS]
)
def test_error(body: Any, error_type: str, reason: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_query(body)
    err = info.value
    assert err.status_code == 400
    assert err.body["status"] == 400
    assert err.body["error"]["type"] == error_type
    assert err.body["error"]["reason"] == reason


def test_wrapped_error_keeps_the_clause_error_as_cause_and_root_cause() -> None:
    """``ObjectParser`` wraps a bad clause; the root cause is the clause's own parsing error."""
    with pytest.raises(ApiError) as info:
        parse_query({"bool": {"must": [{"bool": {"filter": {"term": {"a": {"foo": 1}}}}}]}})
    error = info.value.body["error"]
    assert error["reason"] == "[bool] failed to parse field [must]"
    assert error["caused_by"]["reason"] == "[bool] failed to parse field [filter]"
    assert error["caused_by"]["caused_by"] == {"type": PE, "reason": "[term] query does not support [foo]"}
    assert error["root_cause"] == [{"type": PE, "reason": "[term] query does not support [foo]"}]


def test_coercion_failure_names_the_value_in_its_cause() -> None:
    with pytest.raises(ApiError) as info:
        parse_query({"match_phrase": {"a": {"query": "x", "slop": "abc"}}})
    assert info.value.body["error"]["caused_by"] == {
        "type": "number_format_exception",
        "reason": 'For input string: "abc"',
    }


def test_unknown_query_carries_named_object_cause() -> None:
    with pytest.raises(ApiError) as info:
        parse_query({"bool": {"must": {"mach": {}}}})
    err = info.value.body["error"]
    assert err["root_cause"][0] == {"type": PE, "reason": "unknown query [mach] did you mean [match]?"}
    assert err["caused_by"]["caused_by"] == {
        "type": "named_object_not_found_exception",
        "reason": "unknown field [mach]",
    }


def test_nesting_deeper_than_thirty_fails() -> None:
    q: dict[str, Any] = {"match_all": {}}
    for _ in range(30):
        q = {"bool": {"must": q}}
    with pytest.raises(ApiError) as info:
        parse_query(q)
    cause = info.value.body["error"]
    while "caused_by" in cause:  # every bool level wraps it in "failed to parse field [must]"
        cause = cause["caused_by"]
    assert cause["type"] == IAE
    assert cause["reason"] == (
        "The nested depth of the query exceeds the maximum nested depth for queries set in "
        "[indices.query.bool.max_nested_depth]"
    )


def test_no_pydantic_or_python_errors_escape() -> None:
    """Odd Python values are reported as Elasticsearch would report an odd token."""
    with pytest.raises(ApiError) as info:
        parse_query({"match": {"a": object()}})
    assert info.value.body["error"]["type"] == PE
