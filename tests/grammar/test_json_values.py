"""Java-style coercion, Lucene's did-you-mean, and "no Python error ever escapes"."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrievo.errors import ApiError
from retrievo.grammar.json import parse_query, parse_retriever, parse_search
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import lucene_similarity, suggest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, 2.0),
        ("1.5", 1.5),
        (" 3 ", 3.0),
        ("1.5f", 1.5),
        ("1e3", 1000.0),
        ("-Infinity", float("-inf")),
    ],
)
def test_java_float(value: Any, expected: float) -> None:
    assert jv.java_float(value) == expected


@pytest.mark.parametrize("value", ["inf", "nan", "1_0", "x", "", True, None, [1]])
def test_java_float_rejects(value: Any) -> None:
    with pytest.raises(jv.BadValue):
        jv.java_float(value)


@pytest.mark.parametrize(("value", "expected"), [(7, 7), ("7", 7), ("10.7", 10), (-2.9, -2)])
def test_java_int(value: Any, expected: int) -> None:
    assert jv.java_int(value) == expected


def test_java_int_range_and_bool() -> None:
    with pytest.raises(jv.BadValue) as info:
        jv.java_int(2**31)
    assert info.value.cause["reason"] == "Value [2147483648] is out of range for an integer"
    assert jv.java_bool("false") is False
    with pytest.raises(jv.BadValue) as bad:
        jv.java_bool("TRUE")
    assert bad.value.cause["reason"] == "Failed to parse value [TRUE] as only [true] or [false] are allowed."


def test_tokens() -> None:
    assert [jv.token_of(v) for v in (None, True, 1, 1.5, "s", [], {})] == [
        "VALUE_NULL",
        "VALUE_BOOLEAN",
        "VALUE_NUMBER",
        "VALUE_NUMBER",
        "VALUE_STRING",
        "START_ARRAY",
        "START_OBJECT",
    ]
    assert jv.java_text(True) == "true"


def test_lucene_similarity() -> None:
    assert lucene_similarity("rff", "rrf") == pytest.approx(1 - 1 / 3)
    assert lucene_similarity("", "") == 1.0 and lucene_similarity("a", "") == 0.0


def test_suggest_formats() -> None:
    """The examples of Elasticsearch's ``SuggestingErrorOnUnknownTests``."""
    assert suggest("foo", []) == ""
    assert suggest("foo", ["bar", "baz"]) == ""
    assert suggest("foo", ["bar", "fop"]) == " did you mean [fop]?"
    assert suggest("foo", ["bar", "fop", "fou", "baz"]) == " did you mean any of [fop, fou]?"


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 20_000)
    | st.floats(allow_nan=False, width=32)
    | st.sampled_from(["", "x", "1", "and", "_score", "desc", "true", "title^2"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "match",
                    "bool",
                    "must",
                    "query",
                    "field",
                    "standard",
                    "retriever",
                    "sort",
                    "size",
                    "from",
                    "boost",
                    "_name",
                    "filter",
                    "term",
                    "value",
                    "range",
                    "gte",
                    "terms",
                    "multi_match",
                    "fields",
                    "order",
                    "_source",
                    "includes",
                    "min_score",
                    "dis_max",
                    "queries",
                    "ids",
                    "values",
                    "x",
                ]
            ),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_no_python_error_escapes(value: Any) -> None:
    for parse in (parse_query, parse_retriever, lambda v: parse_search("i", v)):
        try:
            parse(value)
        except ApiError as err:
            assert err.status_code == 400
            assert err.body["error"]["type"] and err.body["error"]["reason"]
