"""Malformed ES|QL: every error is Elasticsearch-shaped, names line and column, and says what was wrong
(syntax errors also show the line with a caret and what was expected); ES|QL outside the subset is
"not supported in retrievo: <name>". Never a lark traceback, never a Python error."""

from __future__ import annotations

import pytest

from conftest import build_library
from retrievo.errors import ApiError, error_reason
from retrievo.esql_client import EsqlRunner

PARSE, NOT_SUPPORTED, VERIFY = "parsing_exception", "illegal_argument_exception", "verification_exception"
FUSED = 'FROM lib METADATA _id, _index, _score | FORK (WHERE title:"a" | LIMIT 5) (WHERE title:"b" | LIMIT 5) | '

CASES = [
    # (query, error type, line, column, words the reason must contain)
    (
        "FROM lib | LIMT 10",
        PARSE,
        1,
        12,
        "mismatched input 'LIMT' expecting {'fork', 'fuse', 'keep', 'limit', 'rerank', 'sort', 'where'}",
    ),
    ("FROM lib | WHERE", PARSE, 1, 17, "mismatched input '<EOF>' expecting {"),
    ("FROM lib | WHERE year ~ 1", PARSE, 1, 23, "token recognition error at: '~'"),
    ("FROM lib | LIMIT ten", PARSE, 1, 18, "mismatched input 'ten' expecting {INTEGER_LITERAL, PARAM}"),
    ('FROM lib\n| WHERE "unterminated', PARSE, 2, 9, "token recognition error at: '\"'"),
    ('FROM lib | WHERE MATCH(title, "a"', PARSE, 1, 34, "mismatched input '<EOF>' expecting {')', ','}"),
    ("FROM lib | SORT year NULLS", PARSE, 1, 27, "expecting {'first', 'last'}"),
    ("FROM lib | WHERE year = 5", PARSE, 1, 23, "mismatched input '=' expecting"),
    ("FROM lib /* unterminated comment", PARSE, 1, 10, "mismatched input '/'"),
    ("", PARSE, 1, 1, "mismatched input '<EOF>' expecting 'from'"),
    ("FROM lib | LIMIT -1", PARSE, 1, 18, "mismatched input '-1'"),
    ("FROM lib | WHERE ?3 == 1", PARSE, 1, 18, "Not enough actual parameters 0"),
    ("FROM lib | STATS c = COUNT(*)", NOT_SUPPORTED, 1, 12, "not supported in retrievo: STATS"),
    ("ROW a = 1", NOT_SUPPORTED, 1, 1, "not supported in retrievo: ROW"),
    ('FROM lib\n| FORK (WHERE title:"a") (EVAL x = 1)', NOT_SUPPORTED, 2, 27, "not supported in retrievo: EVAL"),
    ("FROM lib | WHERE LENGTH(title) > 3", NOT_SUPPORTED, 1, 18, "not supported in retrievo: LENGTH"),
    ("FROM lib | WHERE year + 1 > 2000", NOT_SUPPORTED, 1, 23, "not supported in retrievo: arithmetic [+]"),
    ('FROM lib | WHERE title LIKE "da*"', NOT_SUPPORTED, 1, 24, "not supported in retrievo: LIKE"),
    ("FROM lib METADATA _version", NOT_SUPPORTED, 1, 19, "not supported in retrievo: METADATA _version"),
    ("FROM lib, other", NOT_SUPPORTED, 1, 11, "not supported in retrievo: FROM with more than one index"),
    (
        "FROM lib METADATA _score | SORT _score DESC | LIMIT 1 | WHERE year > 2000",
        NOT_SUPPORTED,
        1,
        57,
        "not supported in retrievo: WHERE after LIMIT",
    ),
    ('FROM lib | WHERE title == "dark"', NOT_SUPPORTED, 1, 18, "comparing the text field [title]"),
    (
        'FROM lib METADATA _score | WHERE KNN(vec, [1, 2, 3]) AND MATCH(title, "a")',
        NOT_SUPPORTED,
        1,
        34,
        "KNN combined with AND",
    ),
    (
        'FROM lib METADATA _score | WHERE title:"a" | RERANK "q" ON title, body | SORT _score DESC',
        NOT_SUPPORTED,
        1,
        67,
        "RERANK on more than one field",
    ),
    (
        'FROM lib METADATA _id, _index, _score\n| FORK (WHERE title:"a" | LIMIT 5) (WHERE title:"b" | LIMIT 6)\n'
        "| FUSE\n| SORT _score DESC",
        NOT_SUPPORTED,
        2,
        55,
        "FORK branches with different LIMITs",
    ),
    (FUSED + "FUSE", NOT_SUPPORTED, 1, 104, "FUSE not followed by SORT _score DESC"),
    (FUSED + "SORT _score DESC", NOT_SUPPORTED, 1, 104, "FORK without FUSE"),
    ("FROM lib | FUSE", NOT_SUPPORTED, 1, 12, "FUSE that does not directly follow FORK"),
    ("FROM lib | WHERE FOO(title)", VERIFY, 1, 18, "Unknown function [foo]"),
    ('FROM lib | WHERE titel:"dark"', VERIFY, 1, 18, "Unknown column [titel], did you mean [title]?"),
    ("FROM nope | LIMIT 1", VERIFY, 1, 6, "Unknown index [nope]"),
    ("FROM lib | SORT _score DESC", VERIFY, 1, 17, "Unknown column [_score]"),
    ("FROM lib METADATA _foo", VERIFY, 1, 19, "unsupported metadata field [_foo]"),
    (
        "FROM lib | WHERE genre == 5",
        VERIFY,
        1,
        18,
        "first argument of [genre == 5] is [keyword] so second argument must also be [keyword] but was [integer]",
    ),
    ('FROM lib | WHERE year > "x"', VERIFY, 1, 18, "is [numeric] so second argument must also be [numeric]"),
    ("FROM lib | WHERE 5", VERIFY, 1, 18, "Condition expression needs to be boolean, found [INTEGER]"),
    (
        FUSED + 'FUSE WITH {"rank_constant": 0} | SORT _score DESC',
        VERIFY,
        1,
        104,
        "expected rank_constant to be positive, got [0]",
    ),
    (
        FUSED + 'FUSE LINEAR WITH {"normalizer": "aardvark"} | SORT _score DESC',
        VERIFY,
        1,
        104,
        "[aardvark] is not a valid normalizer",
    ),
    (
        FUSED + 'FUSE WITH {"weights": {"fork1": -0.5}} | SORT _score DESC',
        VERIFY,
        1,
        104,
        "expected weight to be positive, got [-0.5]",
    ),
    (
        FUSED + 'FUSE LINEAR WITH {"foo": 1} | SORT _score DESC',
        VERIFY,
        1,
        104,
        'unknown option [foo] in [FUSE LINEAR WITH {"foo": 1}]',
    ),
    (
        'FROM lib METADATA _score | WHERE title:"a" | RERANK "q" ON title WITH {"inference": "x"} | SORT _score DESC',
        VERIFY,
        1,
        46,
        "Invalid option [inference] in [RERANK], expected one of [inference_id]",
    ),
    ('FROM lib | WHERE MATCH(title, "a", {"fuzzines": 1})', VERIFY, 1, 18, "Invalid option [fuzzines] in [MATCH("),
    ('FROM lib | WHERE MATCH(title, "a", {"boost": "x"})', VERIFY, 1, 18, 'Invalid option in [MATCH(title, "a", '),
    ("FROM lib | WHERE KNN(title, [1,2,3])", VERIFY, 1, 18, "must be [dense_vector or semantic_text]"),
    ("FROM lib | KEEP nope", VERIFY, 1, 17, "Unknown column [nope]"),
    ("FROM lib | KEEP no*", VERIFY, 1, 17, "No matches found for pattern [no*]"),
    ("FROM lib | KEEP title | SORT year", VERIFY, 1, 30, "Unknown column [year]"),
    ("FROM lib | SORT vec | LIMIT 3", VERIFY, 1, 17, "cannot sort on dense_vector"),
    (
        'FROM lib METADATA _id | WHERE _id == "1"',
        NOT_SUPPORTED,
        1,
        31,
        "not supported in retrievo: conditions on the metadata column [_id]",
    ),
    (
        'FROM lib METADATA _score | WHERE title:"dark" | WHERE _score > 0.5 | SORT _score DESC',
        NOT_SUPPORTED,
        1,
        55,
        "not supported in retrievo: conditions on the metadata column [_score]",
    ),
    ('FROM lib | WHERE _id == "1"', VERIFY, 1, 18, "Unknown column [_id]"),
    (
        "FROM lib | WHERE genre == ?1 AND year > ?",
        PARSE,
        1,
        41,
        "Inconsistent parameter declaration, use one of positional, named or anonymous params but not a combination "
        "of anonymous and positional",
    ),
    (
        "FROM lib METADATA _score | WHERE MATCH(title, null) | SORT _score DESC",
        VERIFY,
        1,
        34,
        "second argument of [MATCH(title, null)] cannot be null, received [null]",
    ),
    (
        "FROM lib | WHERE MULTI_MATCH(null, title, body)",
        VERIFY,
        1,
        18,
        "first argument of [MULTI_MATCH(null, title, body)] cannot be null, received [null]",
    ),
    (
        FUSED + 'FUSE WITH {"weights": 3} | SORT _score DESC',
        VERIFY,
        1,
        104,
        "expected weights to be a MapExpression, got [3]",
    ),
    (
        'FROM lib METADATA _id, _index, _score | FORK (WHERE title:"a" | LIMIT 5) | FUSE | SORT _score DESC',
        VERIFY,
        1,
        41,
        "Fork requires at least two branches",
    ),
]


@pytest.fixture(scope="module")
def engine():
    return build_library(8)


@pytest.mark.parametrize("query,error,line,column,words", CASES, ids=[c[0][:60] for c in CASES])
def test_malformed_esql(engine, query, error, line, column, words):
    with pytest.raises(ApiError) as info:
        engine.esql.query(query=query)
    err = info.value
    assert err.status_code == 400
    assert err.body["status"] == 400
    assert err.body["error"]["type"] == error
    # the position also travels as attributes of the parser's own error (not over the REST API)
    with pytest.raises(ApiError) as parsed:
        EsqlRunner(engine.catalog).query({"query": query})
    assert (parsed.value.line, parsed.value.column) == (line, column)
    assert error_reason(err).startswith(("Found 1 problem\n" if error == VERIFY else "") + f"line {line}:{column}: ")
    assert words in error_reason(err)
    assert err.body["error"]["root_cause"][0]["reason"] == error_reason(err)


def test_syntax_errors_show_the_line_and_a_caret(engine):
    with pytest.raises(ApiError) as info:
        engine.esql.query(query='FROM lib\n| WHERE MATCH(title, "dark")\n| LIMT 5')
    assert error_reason(info.value) == (
        "line 3:3: mismatched input 'LIMT' expecting {'fork', 'fuse', 'keep', 'limit', "
        "'rerank', 'sort', 'where'}\n| LIMT 5\n  ^"
    )


def test_every_problem_is_listed(engine):
    with pytest.raises(ApiError) as info:
        engine.esql.query(query='FROM lib | WHERE titel:"a" AND genre == 1')
    assert error_reason(info.value) == (
        "Found 2 problems\nline 1:18: Unknown column [titel], did you mean [title]?\n"
        "line 1:32: first argument of [genre == 1] is [keyword] so second argument must also be [keyword] "
        "but was [integer]"
    )


def test_nothing_is_written_when_a_query_fails(engine):
    before = engine.count(index="lib")["count"]
    with pytest.raises(ApiError):
        engine.esql.query(query="FROM lib | STATS x = COUNT(*)")
    assert engine.count(index="lib")["count"] == before


def test_client_argument_errors(engine):
    with pytest.raises(ApiError) as info:
        engine.esql.query()
    assert info.value.body["error"]["type"] == "action_request_validation_exception"
    assert "[query] is required" in error_reason(info.value)
    # text formats are the REST layer's (issue 13): csv comes back as the client's text response
    csv = engine.esql.query(query="FROM lib | LIMIT 1", format="csv")
    assert csv.meta.headers["content-type"].startswith("text/csv") and isinstance(csv.body, str)
    with pytest.raises(ApiError) as info:
        engine.esql.query(query="FROM lib", time_zone="Europe/Paris")
    assert "[time_zone] in an ES|QL query is not supported in retrievo" in error_reason(info.value)
    with pytest.raises(ApiError) as info:
        engine.esql.query(query="FROM lib", include_execution_metadata=True)
    assert "[include_execution_metadata] in an ES|QL query is not supported in retrievo" in error_reason(info.value)
    with pytest.raises(ApiError) as info:
        engine.esql.query(body={"query": "FROM lib", "nope": 1})
    assert error_reason(info.value) == "[esql/query] unknown field [nope]"
