"""``simple_query_string`` as Elasticsearch builds it (Lucene's ``SimpleQueryParser`` with
``SimpleQueryStringQueryParser``'s field handling): each whitespace-separated token is a ``most_fields``
``multi_match`` (a ``dis_max`` with tie breaker 1), joined by the default operator; compared with the
explicit DSL, or with hand-computed document sets, on the index of ``conftest.py``."""

from __future__ import annotations

import pytest

from retrievo.errors import ApiError
from tests.query_string.conftest import assert_same, hits

FIELDS = ["title", "body"]


def sqs(query: str, **opts) -> dict:
    return {"simple_query_string": {"query": query, **opts}}


def mf(text: str, fields: list[str] = FIELDS) -> dict:
    return {"multi_match": {"query": text, "fields": fields, "type": "most_fields"}}


def ids(result: list[tuple[str, float]]) -> list[str]:
    return sorted(i for i, _ in result)


def test_each_token_is_a_most_fields_query(es):
    assert_same(es, sqs("quick", fields=FIELDS), mf("quick"))
    assert_same(es, sqs("quick fox", fields=FIELDS), {"bool": {"should": [mf("quick"), mf("fox")]}})
    assert_same(
        es,
        sqs("quick fox", fields=FIELDS, default_operator="and"),
        {"bool": {"must": [mf("quick"), mf("fox")]}},
    )


def test_field_weights(es):
    assert_same(es, sqs("lazy", fields=["title^3", "body"]), mf("lazy", ["title^3", "body"]))


def test_and_or_not(es):
    assert_same(es, sqs("fox + lazy", fields=FIELDS), {"bool": {"must": [mf("fox"), mf("lazy")]}})
    assert_same(es, sqs("fox | rabbit", fields=FIELDS), {"bool": {"should": [mf("fox"), mf("rabbit")]}})
    # a negated token is bool(must_not x, should match_all)
    negated = {"bool": {"must_not": [mf("cow")], "should": [{"match_all": {}}]}}
    assert_same(es, sqs("brown -cow", fields=FIELDS), {"bool": {"should": [mf("brown"), negated]}})
    assert_same(es, sqs("-cow", fields=FIELDS), negated)
    # two minus signs cancel
    assert_same(es, sqs("--cow", fields=FIELDS), mf("cow"))


def test_operator_change_nests_what_came_before(es):
    # "a | b + c": the OR of a and b becomes one required clause next to c
    expected = {"bool": {"must": [{"bool": {"should": [mf("quick"), mf("cow")]}}, mf("brown")]}}
    assert_same(es, sqs("quick | cow + brown", fields=FIELDS), expected)


def test_precedence(es):
    expected = {"bool": {"must": [{"bool": {"should": [mf("rabbit"), mf("cow")]}}, mf("brown")]}}
    assert_same(es, sqs("(rabbit | cow) + brown", fields=FIELDS), expected)


def test_phrase_and_slop(es):
    phrase = {"multi_match": {"query": "lazy dog", "fields": FIELDS, "type": "phrase"}}
    assert_same(es, sqs('"lazy dog"', fields=FIELDS), phrase)
    sloppy = {"multi_match": {"query": "jumps dog", "fields": FIELDS, "type": "phrase", "slop": 4}}
    assert_same(es, sqs('"jumps dog"~4', fields=FIELDS), sloppy)
    assert hits(es, sqs('"jumps dog"', fields=FIELDS)) == []


def test_prefix_and_fuzzy(es):
    result = hits(es, sqs("qu*", fields=["title"]))
    assert ids(result) == ["1", "4"]
    assert {s for _, s in result} == {1.0}
    assert ids(hits(es, sqs("quakc~2", fields=["title"]))) == ["1", "4"]
    assert ids(hits(es, sqs("quakc~1", fields=["title"]))) == []
    # "~0" is a plain term
    assert_same(es, sqs("quick~0", fields=["title"]), mf("quick", ["title"]))


def test_flags_switch_operators_off(es):
    # with no operators "fox+lazy" is one token, analysed into two terms of one field query
    assert_same(
        es,
        sqs("fox+lazy", fields=["body"], flags="NONE"),
        {"match": {"body": "fox lazy"}},
    )
    assert_same(es, sqs("fox+lazy", fields=["body"], flags="OR|PHRASE"), {"match": {"body": "fox lazy"}})
    assert_same(
        es,
        sqs("fox+lazy", fields=["body"], flags="AND"),
        {"bool": {"must": [mf("fox", ["body"]), mf("lazy", ["body"])]}},
    )
    # numeric flags: 0 is NONE, a negative number is ALL
    assert_same(es, sqs("-cow", fields=FIELDS, flags=0), mf("cow"))
    assert_same(es, sqs("qu*", fields=["title"], flags=-5), sqs("qu*", fields=["title"]))


@pytest.mark.parametrize("query", ['"unclosed', "((quick", "quick)))", "+", "-", "|", '""', "()", "~2", "\\"])
def test_bad_syntax_never_fails(es, query):
    hits(es, sqs(query, fields=FIELDS))


def test_empty_and_star(es):
    assert hits(es, sqs("", fields=FIELDS)) == []
    assert ids(hits(es, sqs("*", fields=FIELDS))) == ["1", "2", "3", "4", "5"]


def test_minimum_should_match(es):
    expected = {"bool": {"should": [mf("quick"), mf("brown"), mf("cow")], "minimum_should_match": 2}}
    assert_same(es, sqs("quick brown cow", fields=FIELDS, minimum_should_match=2), expected)


def test_quote_field_suffix(es):
    assert ids(hits(es, sqs('"QUICK"', fields=["title"], quote_field_suffix=".exact"))) == ["4"]
    assert ids(hits(es, sqs("QUICK", fields=["title"], quote_field_suffix=".exact"))) == ["1", "4"]


def test_default_fields_are_lenient(es):
    assert ids(hits(es, sqs("5"))) == ["2"]
    with pytest.raises(ApiError):
        hits(es, sqs("foo", fields=["n"]))
    assert hits(es, sqs("foo", fields=["n"], lenient=True)) == []


def test_analyzer_and_analyze_wildcard(es):
    assert hits(es, sqs("Quick", fields=["title"], analyzer="whitespace")) == []
    assert_same(
        es,
        sqs("quick-b*", fields=["title"], analyze_wildcard=True),
        {"bool": {"should": [{"term": {"title": "quick"}}, {"prefix": {"title": "b"}}]}},
    )


@pytest.mark.parametrize(
    ("body", "error_type", "reason"),
    [
        ({}, "parsing_exception", "[simple_query_string] query text missing"),
        ({"query": "a", "foo": 1}, "parsing_exception", "[simple_query_string] unsupported field [foo]"),
        (
            {"query": "a", "flags": "AND|BOGUS"},
            "illegal_argument_exception",
            "Unknown simple_query_string flag [BOGUS]",
        ),
    ],
)
def test_body_errors(es, body, error_type, reason):
    with pytest.raises(ApiError) as err:
        es.search(index="t", query={"simple_query_string": body})
    assert err.value.body["error"]["root_cause"][0]["type"] == error_type
    assert err.value.body["error"]["root_cause"][0]["reason"] == reason
