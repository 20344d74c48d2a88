"""The n-gram, path, pattern, shingle, term-rewriting and char-filter components through the
client: settings errors as Elasticsearch words them, ``_analyze`` output, and indexing/searching
with analyzers built from them (expected hits worked out by hand from the token streams)."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError, error_reason
from retrievo.index.analysis import AnalysisRegistry
from retrievo.index.analysis.java_regex import compile_java, java_replacement


def create_error(analysis: dict[str, Any]) -> ApiError:
    es = Engine()
    with pytest.raises(ApiError) as info:
        es.indices.create(index="bad", settings={"analysis": analysis})
    assert not es.indices.exists(index="bad")  # a rejected request changes nothing
    return info.value


def reason_of(analysis: dict[str, Any]) -> tuple[int, str, str]:
    err = create_error(analysis)
    body = err.body["error"]  # type: ignore[index]
    return err.status_code, body["type"], body["reason"]


@pytest.mark.parametrize(
    "analysis, reason",
    [
        (
            {"tokenizer": {"t": {"type": "ngram", "min_gram": 1, "max_gram": 3}}},
            "The difference between max_gram and min_gram in NGram Tokenizer must be less than or equal to: [1] "
            "but was [2]. This limit can be set by changing the [index.max_ngram_diff] index level setting.",
        ),
        (
            {"filter": {"f": {"type": "ngram", "min_gram": 2, "max_gram": 5}}},
            "The difference between max_gram and min_gram in NGram Token Filter must be less than or equal to: [1] "
            "but was [3]. This limit can be set by changing the [index.max_ngram_diff] index level setting.",
        ),
        (
            {"filter": {"f": {"type": "shingle", "max_shingle_size": 5}}},
            "In Shingle TokenFilter the difference between max_shingle_size and min_shingle_size (and +1 if "
            "outputting unigrams) must be less than or equal to: [3] but was [4]. This limit can be set by "
            "changing the [index.max_shingle_diff] index level setting.",
        ),
        ({"filter": {"f": {"type": "shingle", "min_shingle_size": 1}}}, "Min shingle size must be >= 2"),
        (
            {"filter": {"f": {"type": "shingle", "min_shingle_size": 3, "max_shingle_size": 2}}},
            "Min shingle size must be <= max shingle size",
        ),
        (
            {"tokenizer": {"t": {"type": "edge_ngram", "min_gram": 3, "max_gram": 2}}},
            "minGram must not be greater than maxGram",
        ),
        ({"tokenizer": {"t": {"type": "ngram", "min_gram": 0, "max_gram": 1}}}, "minGram must be greater than zero"),
        (
            {"tokenizer": {"t": {"type": "ngram", "token_chars": ["custom"]}}},
            "Token type: 'custom' requires setting `custom_token_chars`",
        ),
        ({"tokenizer": {"t": {"type": "path_hierarchy", "delimiter": "::"}}}, "delimiter must be a one char value"),
        ({"tokenizer": {"t": {"type": "path_hierarchy", "replacement": ""}}}, "replacement must be a one char value"),
        ({"tokenizer": {"t": {"type": "path_hierarchy", "skip": -1}}}, "skip cannot be negative"),
        ({"filter": {"f": {"type": "truncate"}}}, "length parameter must be provided"),
        (
            {"filter": {"f": {"type": "keep"}}},
            "keep requires either `keep_words` or `keep_words_path` to be configured",
        ),
        ({"filter": {"f": {"type": "elision"}}}, "elision filter requires [articles] or [articles_path] setting"),
        (
            {"filter": {"f": {"type": "limit", "max_token_count": -1}}},
            "maxTokenCount must be greater than or equal to zero",
        ),
        ({"tokenizer": {"t": {"type": "ngram", "token_chars": ["letters"]}}}, None),
        (
            {"filter": {"f": {"type": "length", "min": 5, "max": 2}}},
            "maximum length must not be greater than minimum length",
        ),
        (
            {"char_filter": {"c": {"type": "mapping"}}},
            "mapping requires either `mappings` or `mappings_path` to be configured",
        ),
        ({"char_filter": {"c": {"type": "mapping", "mappings": ["a => b", "a => c"]}}}, 'match "a" was already added'),
        (
            {"tokenizer": {"t": {"type": "ngram", "min_gram": 1, "max_gram": 2, "bogus": 1}}},
            "unknown setting [index.analysis.tokenizer.t.bogus] please check that any required plugins are "
            "installed, or check the breaking changes documentation for removed settings",
        ),
    ],
)
def test_settings_errors_are_elasticsearchs(analysis: dict[str, Any], reason: str | None) -> None:
    status, kind, got = reason_of(analysis)
    assert (status, kind) == (400, "illegal_argument_exception")
    if reason is None:  # ES lists its (HashMap-ordered) class names; only the start is stable
        assert got.startswith("Unknown token type: 'letters', must be one of [")
    else:
        assert got == reason


def test_invalid_mapping_rule_is_a_runtime_exception() -> None:
    # MappingCharFilterFactory throws a bare RuntimeException, which ES answers with a 500.
    assert reason_of({"char_filter": {"c": {"type": "mapping", "mappings": ["no arrow"]}}}) == (
        500,
        "runtime_exception",
        "Invalid Mapping Rule : [no arrow]",
    )


@pytest.mark.parametrize(
    "analysis, fragment",
    [
        ({"char_filter": {"c": {"type": "mapping", "mappings_path": "m.txt"}}}, "[mappings_path]"),
        ({"tokenizer": {"t": {"type": "pattern", "pattern": "\\p{L}+"}}}, "\\p{...} character properties"),
        ({"tokenizer": {"t": {"type": "pattern", "pattern": "[a-z&&[^aeiou]]"}}}, "character class intersection"),
        ({"tokenizer": {"t": {"type": "pattern", "pattern": "x", "flags": "MULTILINE"}}}, "regex flag [MULTILINE]"),
        ({"char_filter": {"c": {"type": "pattern_replace", "pattern": "(?i)x"}}}, "embedded flags"),
        ({"filter": {"f": {"type": "edge_ngram", "side": "back"}}}, "[side: back]"),
        ({"filter": {"f": {"type": "word_delimiter_graph", "type_table": ["# => ALPHA"]}}}, "[type_table]"),
        ({"filter": {"f": {"type": "word_delimiter"}}}, "filter type [word_delimiter]"),
    ],
)
def test_refused_settings_say_not_supported(analysis: dict[str, Any], fragment: str) -> None:
    status, kind, reason = reason_of(analysis)
    assert (status, kind) == (400, "illegal_argument_exception")
    assert fragment in reason and "is not supported in retrievo" in reason


# ------------------------------------------------------------------------------- Java regexes


@pytest.mark.parametrize(
    "pattern, text, expected",
    [
        ("a.c", "abc a\rc a\u2028c a\nc", ["abc"]),  # Java's '.' excludes \r and U+2028 too
        ("\\w+", "naïve straße", ["na", "ve", "stra", "e"]),  # \w is ASCII-only in Java
        ("\\d+", "12 \u0663\u0664", ["12"]),  # so is \d
        ("x$", "x\r", ["x"]),  # '$' may stand before a final \r in Java
        ("(?<word>[a-z]+)", "ab cd", ["ab", "cd"]),  # named groups
    ],
)
def test_java_regex_semantics(pattern: str, text: str, expected: list[str]) -> None:
    assert [m.group(0) for m in compile_java(pattern).finditer(text)] == expected


def test_java_flags_and_replacement_templates() -> None:
    assert compile_java("ABC", "CASE_INSENSITIVE").fullmatch("abc")
    assert compile_java("a.b", "DOTALL").fullmatch("a\nb")
    assert compile_java("a.b", "LITERAL").fullmatch("a.b") and not compile_java("a.b", "LITERAL").fullmatch("axb")
    p = compile_java("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)")
    # "$11" is group 11 when it exists; "$1x" is group 1 then "x"; "\\$" a literal dollar
    assert java_replacement("$11-$1x-\\$", p) == [11, "-", 1, "x-", "$"]
    assert java_replacement("$12", p) == [1, "2"]  # no group 12: Java takes "$1" then "2"
    with pytest.raises(ValueError):
        java_replacement("$", p)


# --------------------------------------------------------------------------- _analyze and search


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="docs",
        settings={
            "analysis": {
                "char_filter": {"amp": {"type": "mapping", "mappings": ["& => and"]}},
                "tokenizer": {
                    "autocomplete": {"type": "edge_ngram", "min_gram": 2, "max_gram": 10, "token_chars": ["letter"]},
                    "paths": {"type": "path_hierarchy"},
                },
                "filter": {"bigrams": {"type": "shingle", "output_unigrams": False}},
                "analyzer": {
                    "autocomplete": {"tokenizer": "autocomplete", "filter": ["lowercase"]},
                    "autocomplete_search": {"tokenizer": "standard", "filter": ["lowercase"]},
                    "bigrams": {"tokenizer": "standard", "char_filter": ["amp"], "filter": ["lowercase", "bigrams"]},
                    "paths": {"tokenizer": "paths"},
                },
            }
        },
        mappings={
            "properties": {
                "title": {"type": "text", "analyzer": "autocomplete", "search_analyzer": "autocomplete_search"},
                "phrase": {"type": "text", "analyzer": "bigrams"},
                "path": {"type": "text", "analyzer": "paths", "search_analyzer": "keyword"},
            }
        },
    )
    docs = [
        {"title": "Information retrieval", "phrase": "salt & pepper shaker", "path": "/usr/local/bin"},
        {"title": "Informal logic", "phrase": "pepper and salt", "path": "/usr/share"},
        {"title": "Library science", "phrase": "salt and pepper", "path": "/var/log"},
    ]
    for i, doc in enumerate(docs, 1):
        engine.index(index="docs", id=str(i), document=doc)
    engine.indices.refresh(index="docs")
    return engine


def ids(es: Engine, query: dict[str, Any]) -> list[str]:
    return sorted(h["_id"] for h in es.search(index="docs", query=query)["hits"]["hits"])


def test_match_on_an_edge_ngram_field_finds_prefixes(es: Engine) -> None:
    # "infor" is a prefix gram of "information" and "informal"; "retr" of "retrieval" only.
    assert ids(es, {"match": {"title": "infor"}}) == ["1", "2"]
    assert ids(es, {"match": {"title": "Retr"}}) == ["1"]
    assert ids(es, {"match": {"title": "x"}}) == []


def test_shingles_with_a_char_filter_match_word_pairs(es: Engine) -> None:
    # "salt & pepper" -> "salt and pepper" -> bigrams "salt and", "and pepper": docs 1 and 3 share them,
    # doc 2 ("pepper and salt") has "pepper and", "and salt".
    assert ids(es, {"term": {"phrase": "salt and"}}) == ["1", "3"]
    assert ids(es, {"term": {"phrase": "and salt"}}) == ["2"]


def test_path_hierarchy_makes_every_ancestor_a_term(es: Engine) -> None:
    assert ids(es, {"match": {"path": "/usr"}}) == ["1", "2"]
    assert ids(es, {"match": {"path": "/usr/local"}}) == ["1"]


def test_analyze_reports_position_length_of_shingles(es: Engine) -> None:
    tokens = es.indices.analyze(index="docs", analyzer="bigrams", text="Salt & pepper")["tokens"]
    assert tokens == [
        {"token": "salt and", "start_offset": 0, "end_offset": 6, "type": "shingle", "position": 0},
        {"token": "and pepper", "start_offset": 5, "end_offset": 13, "type": "shingle", "position": 1},
    ]
    registry = AnalysisRegistry.from_settings(
        {
            "filter": {"s": {"type": "shingle", "max_shingle_size": 3}},
            "analyzer": {"a": {"tokenizer": "whitespace", "filter": ["s"]}},
        }
    )
    spans = [(t.term, t.position, t.position_length) for t in registry.get("a").analyze("a b c")]
    assert spans == [("a", 0, 1), ("a b", 0, 2), ("a b c", 0, 3), ("b", 1, 1), ("b c", 1, 2), ("c", 2, 1)]


def test_analyze_api_writes_position_length(es: Engine) -> None:
    es.indices.create(
        index="sh",
        settings={"analysis": {"analyzer": {"a": {"tokenizer": "whitespace", "filter": ["shingle"]}}}},
    )
    tokens = es.indices.analyze(index="sh", analyzer="a", text="new york")["tokens"]
    assert tokens == [
        {"token": "new", "start_offset": 0, "end_offset": 3, "type": "word", "position": 0},
        {
            "token": "new york",
            "start_offset": 0,
            "end_offset": 8,
            "type": "shingle",
            "position": 0,
            "positionLength": 2,
        },
        {"token": "york", "start_offset": 4, "end_offset": 8, "type": "word", "position": 1},
    ]


def test_index_limits_can_be_raised() -> None:
    reg = AnalysisRegistry.from_settings(
        {"tokenizer": {"t": {"type": "ngram", "min_gram": 1, "max_gram": 3}}, "analyzer": {"a": {"tokenizer": "t"}}},
        max_ngram_diff=2,
    )
    assert reg.get("a").terms("ab")[0] == ["a", "ab", "b"]


def test_error_text_mentions_the_setting_for_bad_values() -> None:
    err = create_error({"tokenizer": {"t": {"type": "ngram", "min_gram": "x"}}})
    assert error_reason(err) == "Failed to parse value [x] for setting [index.analysis.tokenizer.t.min_gram]"


# ------------------------------------------------------------------- _analyze with ad-hoc chains
# Expected tokens are the examples of Elasticsearch's reference pages for each component.


def analyze_terms(es: Engine, **body: Any) -> list[str]:
    return [t["token"] for t in es.indices.analyze(**body)["tokens"]]


def test_analyze_with_builtin_components_by_name() -> None:
    es = Engine()
    # the pre-configured edge_ngram is Lucene's EdgeNGramTokenizer defaults (1..1); a defined one is 1..2
    assert analyze_terms(es, tokenizer="edge_ngram", text="Quick Fox") == ["Q"]
    assert analyze_terms(es, tokenizer={"type": "edge_ngram"}, text="Quick Fox") == ["Q", "Qu"]
    assert analyze_terms(es, tokenizer="ngram", text="Quick Fox") == [
        "Q", "Qu", "u", "ui", "i", "ic", "c", "ck", "k", "k ", " ", " F", "F", "Fo", "o", "ox", "x",
    ]  # fmt: skip
    assert analyze_terms(es, tokenizer="path_hierarchy", text="/one/two/three") == [
        "/one",
        "/one/two",
        "/one/two/three",
    ]
    assert analyze_terms(es, tokenizer="pattern", text="The foo_bar_size's default is 5.") == [
        "The",
        "foo_bar_size",
        "s",
        "default",
        "is",
        "5",
    ]
    assert analyze_terms(es, tokenizer="whitespace", filter=["shingle"], text="quick brown fox jumps") == [
        "quick",
        "quick brown",
        "brown",
        "brown fox",
        "fox",
        "fox jumps",
        "jumps",
    ]


def test_analyze_with_inline_definitions() -> None:
    es = Engine()
    tokens = es.indices.analyze(
        tokenizer="standard",
        char_filter=[{"type": "mapping", "mappings": [f"{chr(0x660 + d)} => {d}" for d in range(10)]}],
        text="My license plate is ٢٥٠١٥",
    )["tokens"]
    assert [t["token"] for t in tokens] == ["My", "license", "plate", "is", "25015"]
    graph = es.indices.analyze(
        tokenizer="standard",
        filter=["lowercase", {"type": "synonym_graph", "synonyms": ["dns, domain name system"]}],
        text="DNS is fragile",
    )["tokens"]
    assert [(t["token"], t["position"], t.get("positionLength", 1)) for t in graph] == [
        ("domain", 0, 1),
        ("dns", 0, 3),
        ("name", 1, 1),
        ("system", 2, 1),
        ("is", 3, 1),
        ("fragile", 4, 1),
    ]


def test_analyze_chain_names_the_index_components_and_reports_missing_ones(es: Engine) -> None:
    # the index's "autocomplete" tokenizer (edge 2..10, letters) and "bigrams" filter (shingles only)
    assert analyze_terms(es, index="docs", tokenizer="autocomplete", filter=["bigrams"], text="abc") == ["ab abc"]
    with pytest.raises(ApiError) as info:
        es.indices.analyze(index="docs", tokenizer="nope", text="x")
    assert error_reason(info.value) == "failed to find tokenizer under [nope]"
    with pytest.raises(ApiError) as info:
        Engine().indices.analyze(tokenizer="standard", filter=["nope"], text="x")
    assert error_reason(info.value) == "failed to find global filter under [nope]"
    with pytest.raises(ApiError) as info:
        es.indices.analyze(index="docs", analyzer="standard", tokenizer="standard", text="x")
    assert error_reason(info.value) == (
        "Validation Failed: 1: custom tokenizer or filters cannot be specified if a named analyzer is used;"
    )


def test_word_delimiter_graph_by_name_and_with_protected_words() -> None:
    es = Engine()
    assert analyze_terms(es, tokenizer="whitespace", filter=["word_delimiter_graph"], text="Wi-Fi SD500") == [
        "Wi",
        "Fi",
        "SD",
        "500",
    ]
    inline = {"type": "word_delimiter_graph", "protected_words": ["Wi-Fi"]}
    assert analyze_terms(es, tokenizer="whitespace", filter=[inline], text="Wi-Fi SD500") == ["Wi-Fi", "SD", "500"]


def test_index_max_ngram_and_shingle_diff_settings_raise_the_limits() -> None:
    """``index.max_ngram_diff`` (default 1) and ``index.max_shingle_diff`` (default 3; a shingle filter that
    outputs unigrams spans one more) bound the index's ngram and shingle components; set at creation they
    let wider ones build."""
    from retrievo import BadRequestError, Engine

    analysis = {
        "tokenizer": {"grams": {"type": "ngram", "min_gram": 1, "max_gram": 3}},
        "filter": {"shingles": {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 6}},
        "analyzer": {"g": {"tokenizer": "grams"}, "s": {"tokenizer": "whitespace", "filter": ["shingles"]}},
    }
    es = Engine()
    try:
        es.indices.create(index="narrow", settings={"analysis": analysis})
    except BadRequestError as err:
        assert "This limit can be set by changing the [index.max_" in str(err.body["error"]["reason"])
    else:
        raise AssertionError("the default max_ngram_diff of 1 must refuse a 1..3 ngram tokenizer")
    es.indices.create(
        index="wide", settings={"index": {"max_ngram_diff": 2, "max_shingle_diff": 5}, "analysis": analysis}
    )
    index = es.indices.get_settings(index="wide")["wide"]["settings"]["index"]
    assert (index["max_ngram_diff"], index["max_shingle_diff"]) == ("2", "5")
    tokens = es.indices.analyze(index="wide", analyzer="g", text="abc")["tokens"]
    assert [t["token"] for t in tokens] == ["a", "ab", "abc", "b", "bc", "c"]
