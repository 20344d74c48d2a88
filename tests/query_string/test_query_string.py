"""``query_string`` as Elasticsearch builds it: each search is compared with the explicit DSL query that
``QueryStringQueryParser`` produces for it (per ``QueryStringQueryParser``/``MultiMatchQueryParser``), or
with hand-computed document sets, on the small index of ``conftest.py``."""

from __future__ import annotations

import pytest

from retrievo.errors import ApiError
from tests.query_string.conftest import assert_same, hits


def qs(query: str, **opts) -> dict:
    return {"query_string": {"query": query, **opts}}


def ids(result: list[tuple[str, float]]) -> list[str]:
    return sorted(i for i, _ in result)


def test_multi_field_run_of_terms_is_one_best_fields_multi_match(es):
    assert_same(
        es,
        qs("quick brown", fields=["title^2", "body"]),
        {"multi_match": {"query": "quick brown", "fields": ["title^2", "body"]}},
    )
    assert_same(
        es,
        qs("quick brown", fields=["title^2", "body"], default_operator="and"),
        {"multi_match": {"query": "quick brown", "fields": ["title^2", "body"], "operator": "and"}},
    )
    # a field pattern among the fields keeps only fields with text search (the date and number fields drop out)
    assert_same(es, qs("quick", fields=["t*", "body"]), {"multi_match": {"query": "quick", "fields": ["t*", "body"]}})


def test_most_fields_and_tie_breaker(es):
    assert_same(
        es,
        qs("quick fox", fields=["title", "body"], type="most_fields"),
        {"multi_match": {"query": "quick fox", "fields": ["title", "body"], "type": "most_fields"}},
    )
    assert_same(
        es,
        qs("quick fox", fields=["title", "body"], tie_breaker=0.3),
        {"multi_match": {"query": "quick fox", "fields": ["title", "body"], "tie_breaker": 0.3}},
    )


def test_fielded_clauses_with_and(es):
    assert_same(
        es,
        qs("title:quick AND body:lazy"),
        {"bool": {"must": [{"match": {"title": "quick"}}, {"match": {"body": "lazy"}}]}},
    )


def test_default_operator_and_splices_the_terms_as_required(es):
    assert_same(
        es,
        qs("quick brown", default_field="title", default_operator="and"),
        {"match": {"title": {"query": "quick brown", "operator": "and"}}},
    )


def test_or_after_and_under_default_and(es):
    # addClause: "a OR b" under AND makes both optional
    assert_same(
        es,
        qs("lazy OR rabbit", default_field="title", default_operator="and"),
        {"bool": {"should": [{"match": {"title": "lazy"}}, {"match": {"title": "rabbit"}}]}},
    )


def test_pure_negative_query_matches_everything_else_with_score_zero(es):
    result = hits(es, qs("-cow", default_field="title"))
    assert ids(result) == ["1", "2", "4", "5"]
    assert {s for _, s in result} == {0.0}


def test_not_and_bang_and_minus(es):
    for q in ("brown NOT cow", "brown !cow", "brown -cow", "brown AND NOT cow"):
        assert ids(hits(es, qs(q, default_field="title"))) == ["1"], q


def test_boosts_and_groups(es):
    assert_same(
        es,
        qs("title:(quick OR lazy)^3 body:fox"),
        {
            "bool": {
                "should": [
                    {"bool": {"should": [{"match": {"title": "quick"}}, {"match": {"title": "lazy"}}], "boost": 3}},
                    {"match": {"body": "fox"}},
                ]
            }
        },
    )


def test_phrases_slop_and_phrase_slop(es):
    assert_same(es, qs('"lazy dog"', default_field="body"), {"match_phrase": {"body": "lazy dog"}})
    assert_same(
        es, qs('"jumps dog"~4', default_field="body"), {"match_phrase": {"body": {"query": "jumps dog", "slop": 4}}}
    )
    assert_same(
        es,
        qs('"jumps dog"', default_field="body", phrase_slop=4),
        {"match_phrase": {"body": {"query": "jumps dog", "slop": 4}}},
    )
    assert ids(hits(es, qs('"jumps dog"', default_field="body"))) == []


def test_type_phrase_makes_plain_text_a_phrase(es):
    assert_same(
        es,
        qs("lazy dog", fields=["title", "body"], type="phrase"),
        {"multi_match": {"query": "lazy dog", "fields": ["title", "body"], "type": "phrase"}},
    )


def test_numeric_ranges(es):
    cases = {
        "n:[2 TO 10]": ["2", "3", "4"],
        "n:{5 TO 10}": ["4"],
        "n:[* TO 5]": ["1", "2"],
        "n:>5": ["3", "4"],
        "n:>=5": ["2", "3", "4"],
        "n:<5": ["1"],
        "n:<=5": ["1", "2"],
    }
    for q, expected in cases.items():
        result = hits(es, qs(q))
        assert ids(result) == expected, q
        assert {s for _, s in result} == {1.0}, q


def test_date_term_with_time_zone_is_the_whole_local_day(es):
    # 2024-01-02T23:30Z is 2024-01-03 in +02:00; without a time zone the term is the UTC day
    assert ids(hits(es, qs("day:2024-01-02"))) == ["2"]
    assert ids(hits(es, qs("day:2024-01-03", time_zone="+02:00"))) == ["2"]
    assert ids(hits(es, qs("day:[2024-01-01 TO 2024-01-01]"))) == ["1"]


def test_exists_and_field_star(es):
    assert ids(hits(es, qs("_exists_:tag"))) == ["1", "2", "3"]
    assert ids(hits(es, qs("tag:*"))) == ["1", "2", "3"]
    assert ids(hits(es, qs("*:*"))) == ["1", "2", "3", "4", "5"]
    assert ids(hits(es, qs("flag:true"))) == ["3"]


def test_prefix_and_keyword_terms(es):
    result = hits(es, qs("title:qu*"))
    assert ids(result) == ["1", "4"]
    assert {s for _, s in result} == {1.0}
    assert ids(hits(es, qs("tag:A"))) == ["1", "3"]
    # a keyword field is not normalised: the prefix is taken as written
    assert ids(hits(es, qs("title.raw:Qu*"))) == ["1"]


def test_wildcard_fuzzy_and_regexp(es):
    assert ids(hits(es, qs("title:qu?ck"))) == ["1", "4"]
    assert ids(hits(es, qs("title:/br.wn/"))) == ["1", "3"]
    # AUTO fuzziness: 5 letters allow one edit
    assert ids(hits(es, qs("title:quack~"))) == ["1", "4"]
    assert ids(hits(es, qs("title:quakc~"))) == []  # a transposition plus a change is two edits
    assert ids(hits(es, qs("title:quakc~2"))) == ["1", "4"]


def test_leading_wildcard_refused_when_asked(es):
    assert ids(hits(es, qs("title:*own"))) == ["1", "3"]
    with pytest.raises(ApiError) as err:
        hits(es, qs("title:*own", allow_leading_wildcard=False))
    assert err.value.body["error"]["root_cause"][0]["type"] == "query_shard_exception"
    assert "Failed to parse query [title:*own]" in err.value.body["error"]["root_cause"][0]["reason"]


def test_analyze_wildcard(es):
    # without analysis the prefix is only normalised, so "quick-b*" looks for terms starting with "quick-b"
    assert ids(hits(es, qs("title:quick-b*"))) == []
    assert_same(
        es,
        qs("title:quick-b*", analyze_wildcard=True),
        {"bool": {"should": [{"term": {"title": "quick"}}, {"prefix": {"title": "b"}}]}},
    )


def test_minimum_should_match_applies_to_the_top_boolean(es):
    assert_same(
        es,
        qs("quick brown fox", default_field="title", minimum_should_match=2),
        {"match": {"title": {"query": "quick brown fox", "minimum_should_match": 2}}},
    )


def test_default_field_star_is_lenient_over_every_field(es):
    # "B" reaches the keyword field; "5" the integer field; the boolean and date fields refuse them silently
    assert ids(hits(es, qs("B"))) == ["2"]
    assert ids(hits(es, qs("5"))) == ["2"]


def test_lenient(es):
    # lenient defaults to true only when the default fields are "*"
    assert hits(es, qs("n:foo")) == []
    with pytest.raises(ApiError) as err:
        hits(es, qs("n:foo", default_field="title"))
    assert err.value.status_code == 400
    assert 'For input string: \\"foo\\"' in str(err.value.body) or "foo" in str(err.value.body)
    assert hits(es, qs("n:foo", default_field="title", lenient=True)) == []


def test_index_default_field_setting(es):
    es.indices.create(
        index="dflt",
        settings={"index.query.default_field": ["title"]},
        mappings={"properties": {"title": {"type": "text"}, "body": {"type": "text"}}},
    )
    es.index(index="dflt", id="1", document={"title": "alpha", "body": "beta"})
    es.index(index="dflt", id="2", document={"title": "beta", "body": "alpha"}, refresh=True)
    assert ids(hits(es, qs("alpha"), index="dflt")) == ["1"]
    assert ids(hits(es, {"simple_query_string": {"query": "alpha"}}, index="dflt")) == ["1"]


def test_quote_field_suffix_and_analyzers(es):
    # title.exact keeps case (whitespace analyzer): only the quoted part moves to it
    assert ids(hits(es, qs('"QUICK"', default_field="title", quote_field_suffix=".exact"))) == ["4"]
    assert ids(hits(es, qs("QUICK", default_field="title", quote_field_suffix=".exact"))) == ["1", "4"]
    assert ids(hits(es, qs("Quick", default_field="title", analyzer="whitespace"))) == []
    assert ids(hits(es, qs('"Quick"', default_field="title.exact"))) == ["1"]
    assert ids(hits(es, qs('"Quick"', default_field="title.exact", quote_analyzer="standard"))) == ["4"]
    assert ids(hits(es, qs('"quick"', default_field="title", quote_analyzer="whitespace"))) == ["1", "4"]


def test_escape_option_and_escaped_characters(es):
    # escaped, "title:(quick" is one term, analysed into "title" and "quick"
    assert ids(hits(es, qs("title:(quick", escape=True, default_field="title"))) == ["1", "4"]
    with pytest.raises(ApiError):
        hits(es, qs("title:(quick", default_field="title"))
    assert_same(es, qs("lazy\\ dog", default_field="title"), {"match": {"title": "lazy dog"}})


def test_boost_and_name(es):
    resp = es.search(index="t", query=qs("fox", default_field="title", boost=2, _name="q"))
    plain = hits(es, qs("fox", default_field="title"))
    assert resp["hits"]["hits"][0]["_score"] == pytest.approx(2 * plain[0][1], rel=1e-6)
    assert resp["hits"]["hits"][0]["matched_queries"] == ["q"]


def test_stop_words_only_matches_nothing(es):
    es.indices.create(
        index="stops",
        settings={"analysis": {"analyzer": {"en": {"type": "standard", "stopwords": "_english_"}}}},
        mappings={"properties": {"f": {"type": "text", "analyzer": "en"}}},
    )
    es.index(index="stops", id="1", document={"f": "the cat"}, refresh=True)
    assert hits(es, qs("the", default_field="f"), index="stops") == []
    assert ids(hits(es, qs("the cat", default_field="f"), index="stops")) == ["1"]


@pytest.mark.parametrize(
    "query",
    ["title:", "(quick", "quick)", "title:[a TO", '"quick', "quick^", "AND", "quick \\"],
)
def test_syntax_errors_fail_the_shard(es, query):
    with pytest.raises(ApiError) as err:
        hits(es, qs(query))
    error = err.value.body["error"]
    assert err.value.status_code == 400
    assert error["type"] == "search_phase_execution_exception"
    assert error["root_cause"][0] == {
        "type": "query_shard_exception",
        "reason": f"Failed to parse query [{query}]",
        "index": "t",
    }
    cause = error["failed_shards"][0]["reason"]["caused_by"]
    assert cause["type"] == "parse_exception"
    assert cause["reason"].startswith(f"Cannot parse '{query}': ")


def test_empty_query_matches_nothing(es):
    assert hits(es, qs("   ")) == []


@pytest.mark.parametrize(
    ("body", "error_type", "reason"),
    [
        ({}, "parsing_exception", "[query_string] must be provided with a [query]"),
        ({"query": "a", "foo": 1}, "parsing_exception", "[query_string] query does not support [foo]"),
        (
            {"query": "a", "type": "nope"},
            "parse_exception",
            "failed to parse [multi_match] query type [nope]. unknown type.",
        ),
        (
            {"query": "a", "default_operator": "xor"},
            "illegal_argument_exception",
            "No enum constant org.elasticsearch.index.query.Operator.XOR",
        ),
    ],
)
def test_body_errors(es, body, error_type, reason):
    with pytest.raises(ApiError) as err:
        es.search(index="t", query={"query_string": body})
    assert err.value.body["error"]["root_cause"][0]["type"] == error_type
    assert err.value.body["error"]["root_cause"][0]["reason"] == reason


def test_fields_with_default_field_is_a_validation_error(es):
    with pytest.raises(ApiError) as err:
        hits(es, qs("a", fields=["title"], default_field="body"))
    assert "cannot use [fields] parameter in conjunction with [default_field]" in str(err.value.body)


def test_unknown_analyzer(es):
    with pytest.raises(ApiError) as err:
        hits(es, qs("a", analyzer="nope"))
    assert "[query_string] analyzer [nope] not found" in str(err.value.body)


def test_multi_term_pieces_over_several_fields_are_a_dis_max(es):
    prefix = {"dis_max": {"queries": [{"prefix": {"title": "qu"}}, {"prefix": {"body": "qu"}}]}}
    assert_same(es, qs("qu*", fields=["title", "body"]), prefix)
    ranged = {
        "dis_max": {
            "queries": [{"range": {"title": {"gte": "a", "lte": "c"}}}, {"range": {"body": {"gte": "a", "lte": "c"}}}],
            "tie_breaker": 1.0,
        }
    }
    assert_same(es, qs("[a TO c]", fields=["title", "body"], type="most_fields"), ranged)
    # "*" alone over named fields: an exists query per field
    assert ids(hits(es, qs("*", fields=["tag", "n"]))) == ["1", "2", "3", "4"]


def test_scoring_rewrite_of_a_prefix(es):
    # scoring_boolean scores each expanded term as a term query ("qu" expands to "quick" in title)
    assert_same(es, qs("title:qu*", rewrite="scoring_boolean"), {"term": {"title": "quick"}})
    with pytest.raises(ApiError) as err:
        hits(es, qs("title:qu*", rewrite="nope"))
    assert "Failed to parse rewrite_method [nope]" in str(err.value.body)


def test_refused_options(es):
    for option in ({"auto_generate_synonyms_phrase_query": False}, {"enable_position_increments": False}):
        with pytest.raises(ApiError) as err:
            hits(es, qs("quick", **option))
        assert "is not supported in retrievo" in err.value.body["error"]["reason"]
    with pytest.raises(ApiError) as err:
        hits(es, qs("quick", type="cross_fields"))
    assert "is not supported in retrievo" in err.value.body["error"]["reason"]


def test_explain_and_highlight_run_on_the_compiled_query(es):
    resp = es.search(
        index="t",
        query=qs("title:fox OR body:lazy"),
        explain=True,
        highlight={"fields": {"title": {}, "body": {}}},
    )
    top = resp["hits"]["hits"][0]
    assert top["_explanation"]["value"] == pytest.approx(top["_score"], rel=1e-6)
    assert "<em>" in str(top["highlight"])


def test_default_field_is_the_field_of_unfielded_text(es):
    # Lucene passes the default field down as the field name: ">5" after it is a one-sided range
    result = hits(es, qs(">5", default_field="n"))
    assert ids(result) == ["3", "4"]
    assert ids(hits(es, qs("2024-01-03", default_field="day", time_zone="+02:00"))) == ["2"]
    assert ids(hits(es, qs("*", default_field="tag"))) == ["1", "2", "3"]


def test_field_patterns(es):
    # the star of a field pattern is escaped (unescaped, "title.*" lexes as a prefix term and fails)
    with pytest.raises(ApiError):
        hits(es, qs("title.*:QUICK"))
    assert_same(
        es,
        qs("title.\\*:QUICK"),
        {"dis_max": {"queries": [{"match": {"title.exact": "QUICK"}}, {"term": {"title.raw": "QUICK"}}]}},
    )
    assert ids(hits(es, qs("title.\\*:QUICK"))) == ["4"]


#: Lucene 8.8.1's ``QueryParser.parse`` messages for these texts (up to its list of expected tokens, which
#: retrievo leaves out), and what it threw first.
LUCENE_MESSAGES = [
    ("title:", 'Encountered "<EOF>" at line 1, column 6.', "parse_exception"),
    ("quick)", 'Encountered " ")" ") "" at line 1, column 5.', "parse_exception"),
    ("AND", 'Encountered " <AND> "AND "" at line 1, column 0.', "parse_exception"),
    ("foo:bar:baz", 'Encountered " ":" ": "" at line 1, column 7.', "parse_exception"),
    ("quick^", 'Encountered "<EOF>" at line 1, column 6.', "parse_exception"),
    ("quick \\", 'Lexical error at line 1, column 8.  Encountered: <EOF> after : ""', "token_mgr_error"),
    ('"quick', 'Lexical error at line 1, column 7.  Encountered: <EOF> after : "\\"quick"', "token_mgr_error"),
    ("a^ 2", 'Lexical error at line 1, column 3.  Encountered: " " (32), after : ""', "token_mgr_error"),
]


@pytest.mark.parametrize(("query", "message", "first"), LUCENE_MESSAGES)
def test_parse_messages_are_lucenes(es, query, message, first):
    with pytest.raises(ApiError) as err:
        hits(es, qs(query))
    cause = err.value.body["error"]["failed_shards"][0]["reason"]["caused_by"]
    assert cause["reason"] == f"Cannot parse '{query}': {message}"
    assert cause["caused_by"] == {"type": first, "reason": message}


def test_fuzzy_options(es):
    assert ids(hits(es, qs("title:qiuck~1"))) == ["1", "4"]  # a transposition is one edit
    assert ids(hits(es, qs("title:qiuck~1", fuzzy_transpositions=False))) == []
    assert ids(hits(es, qs("title:quakc~2", fuzzy_prefix_length=3))) == []
    assert ids(hits(es, qs("title:quack~", fuzziness=0))) == []
    assert ids(hits(es, qs("title:quack~", fuzziness="AUTO:6,8"))) == []  # five letters: no edit under AUTO:6,8
    # max_expansions keeps the best-scoring expansions: "brow~1" reaches only "brown" here
    assert ids(hits(es, qs("title:brow~1", fuzzy_max_expansions=1))) == ["1", "3"]


def test_regexp_limits(es):
    # not lenient (a named default field): a regexp that does not build fails the search
    with pytest.raises(ApiError) as err:
        hits(es, qs("/(a|b)*a(a|b){10}/", default_field="title", max_determinized_states=100))
    assert err.value.status_code == 400
    assert hits(es, qs("/(a|b)*a(a|b){10}/", default_field="title")) == []
    with pytest.raises(ApiError) as err:
        hits(es, qs("/[a-/", default_field="title"))
    assert err.value.status_code == 400
    assert hits(es, qs("/[a-/", default_field="title", lenient=True)) == []
    assert hits(es, qs("title:/[a-/")) == []  # the default fields "*" make the query lenient


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("title:quick~xyz", "fuzziness cannot be [xyz]."),
        ("title:quick~1.5", "fuzziness needs to be one of 0.0, 1.0 or 2.0 but was 1.5"),
        ("title:quick~3", "Valid edit distances are [0, 1, 2] but was [3]"),
    ],
)
def test_fuzziness_after_the_tilde_is_elasticsearchs(es, query, reason):
    """Elasticsearch reads ``~x`` with ``Fuzziness.fromString`` (Lucene's base parser would fall back to 2)."""
    with pytest.raises(ApiError) as err:
        hits(es, qs(query))
    failure = err.value.body["error"]["failed_shards"][0]["reason"]
    assert failure["reason"] == f"failed to create query: {reason}"
    assert failure["caused_by"] == {"type": "illegal_argument_exception", "reason": reason}


def test_fuzziness_auto_after_the_tilde(es):
    assert ids(hits(es, qs("title:quack~AUTO"))) == ["1", "4"]
    with pytest.raises(ApiError):  # ":" ends the fuzzy token, then nothing can follow it
        hits(es, qs("title:quack~AUTO:6,8"))


def test_very_deep_nesting_is_refused_not_a_crash(es):
    for query in (
        {"query_string": {"query": "(" * 1000 + "a" + ")" * 1000}},
        {"simple_query_string": {"query": "(" * 2000 + "a" + ")" * 2000}},
    ):
        with pytest.raises(ApiError) as err:
            hits(es, query)
        assert err.value.status_code == 400
        assert "is not supported in retrievo" in err.value.body["error"]["reason"]
    assert ids(hits(es, qs("(" * 100 + "fox" + ")" * 100, default_field="title"))) == ["1"]
