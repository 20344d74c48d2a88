"""Building analyzers from ``settings.analysis``: custom chains and Elasticsearch's error wording."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.errors import BadRequestError, error_reason
from retrievo.index.analysis import AnalysisRegistry, Analyzer


def terms(analyzer: Analyzer, text: str) -> list[str]:
    return analyzer.terms(text)[0]


def error_of(analysis: dict[str, Any]) -> BadRequestError:
    with pytest.raises(BadRequestError) as info:
        AnalysisRegistry.from_settings(analysis)
    assert info.value.status_code == 400
    return info.value


# ------------------------------------------------------------------------------------- built-ins


def test_builtins_available_without_settings() -> None:
    reg = AnalysisRegistry.from_settings(None)
    for name in ("standard", "english", "simple", "whitespace", "keyword", "stop", "default"):
        assert name in reg
        assert reg.get(name).to_json() is None
    assert "nope" not in reg
    assert reg.get("default") is reg.get("standard")
    assert AnalysisRegistry.from_settings({}).get("english").name == "english"


def test_builtin_analyzers_behave_like_elasticsearch() -> None:
    reg = AnalysisRegistry.from_settings(None)
    text = "The QUICK brown-fox's 2nd Café, isn't it?"
    assert terms(reg.get("standard"), text) == ["the", "quick", "brown", "fox's", "2nd", "café", "isn't", "it"]
    assert reg.get("english").terms(text) == (["quick", "brown", "fox", "2nd", "café", "isn't"], [1, 2, 3, 4, 5, 6])
    assert terms(reg.get("simple"), text) == ["the", "quick", "brown", "fox", "s", "nd", "café", "isn", "t", "it"]
    assert reg.get("stop").terms(text) == (
        ["quick", "brown", "fox", "s", "nd", "café", "isn", "t"],
        [1, 2, 3, 4, 5, 6, 7, 8],
    )
    assert terms(reg.get("whitespace"), text) == ["The", "QUICK", "brown-fox's", "2nd", "Café,", "isn't", "it?"]
    assert terms(reg.get("keyword"), text) == [text]
    assert [t.type for t in reg.get("whitespace").analyze("a b")] == ["word", "word"]


def test_keyword_analyzer_emits_an_empty_token_for_empty_input() -> None:
    # Lucene's KeywordTokenizer always produces exactly one token.
    tokens = AnalysisRegistry.from_settings(None).get("keyword").analyze("")
    assert [(t.term, t.position, t.start_offset, t.end_offset, t.type) for t in tokens] == [("", 0, 0, 0, "word")]


# ------------------------------------------------------------------------------- custom analyzers


def test_custom_analyzer_with_custom_filters() -> None:
    reg = AnalysisRegistry.from_settings(
        {
            "analyzer": {
                "my": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "my_stop", "porter_stem"]},
                "folded": {"tokenizer": "whitespace", "filter": ["lowercase", "asciifolding"]},
                "kept": {"tokenizer": "standard", "filter": ["lowercase", "fold_keep"]},
                "possessive": {"tokenizer": "standard", "filter": ["poss", "lowercase"]},
                "stemmed": {"tokenizer": "letter", "filter": ["lowercase", "eng"]},
                "upper": {"tokenizer": "keyword", "filter": "uppercase"},
            },
            "filter": {
                "my_stop": {"type": "stop", "stopwords": ["foxes", "the"]},
                "fold_keep": {"type": "asciifolding", "preserve_original": True},
                "poss": {"type": "stemmer", "language": "possessive_english"},
                "eng": {"type": "stemmer", "name": "english"},
            },
        }
    )
    assert reg.get("my").terms("The Foxes are running") == (["ar", "run"], [2, 3])
    assert terms(reg.get("folded"), "Café Déjà vu") == ["cafe", "deja", "vu"]
    kept = reg.get("kept").analyze("Déjà vu")
    assert [(t.term, t.position) for t in kept] == [("deja", 0), ("déjà", 0), ("vu", 1)]
    assert terms(reg.get("possessive"), "John's BOOK’S") == ["john", "book"]
    assert terms(reg.get("stemmed"), "Generalizations") == ["gener"]
    assert terms(reg.get("upper"), "straße ǆ") == ["STRAßE Ǆ"]


def test_custom_tokenizer_max_token_length_splits() -> None:
    reg = AnalysisRegistry.from_settings(
        {
            "tokenizer": {
                "five": {"type": "standard", "max_token_length": 5},
                "ws3": {"type": "whitespace", "max_token_length": 3},
            },
            "analyzer": {"a": {"tokenizer": "five", "filter": ["lowercase"]}, "w": {"tokenizer": "ws3"}},
        }
    )
    assert terms(reg.get("a"), "The 2 QUICK Brown-Foxes jumped") == [
        "the",
        "2",
        "quick",
        "brown",
        "foxes",
        "jumpe",
        "d",
    ]
    assert terms(reg.get("w"), "abcdefg hi") == ["abc", "def", "g", "hi"]


def test_standard_type_with_stopwords_and_length() -> None:
    reg = AnalysisRegistry.from_settings(
        {
            "analyzer": {
                "std_en": {"type": "standard", "stopwords": "_english_", "max_token_length": 4},
                "std_list": {"type": "standard", "stopwords": ["quick", "_english_"]},
                "std_none": {"type": "standard", "stopwords": "_none_"},
            }
        }
    )
    assert reg.get("std_en").terms("the quickest fox") == (["quic", "kest", "fox"], [1, 2, 3])
    assert reg.get("std_list").terms("the quick fox") == (["fox"], [2])
    assert reg.get("std_none").terms("the fox") == (["the", "fox"], [0, 1])
    assert reg.get("std_en").to_json() == {"type": "standard", "stopwords": "_english_", "max_token_length": 4}


def test_english_type_with_stem_exclusion_and_stopwords() -> None:
    reg = AnalysisRegistry.from_settings(
        {
            "analyzer": {
                "en": {"type": "english", "stem_exclusion": ["running"], "stopwords": ["fox"]},
                "en_none": {"type": "english", "stopwords": "_none_"},
            }
        }
    )
    assert reg.get("en").terms("the running fox jumps") == (["the", "running", "jump"], [0, 1, 3])
    assert reg.get("en_none").terms("the fox") == (["the", "fox"], [0, 1])


def test_stop_filter_ignore_case_and_string_booleans() -> None:
    reg = AnalysisRegistry.from_settings(
        {
            "filter": {"ci": {"type": "stop", "stopwords": ["The"], "ignore_case": "true"}},
            "analyzer": {"a": {"tokenizer": "whitespace", "filter": ["ci"]}, "b": {"type": "stop", "stopwords": ["x"]}},
        }
    )
    assert reg.get("a").terms("THE the The cat") == (["cat"], [3])
    assert reg.get("b").terms("x marks the spot") == (["marks", "the", "spot"], [1, 2, 3])


def test_custom_definitions_can_override_builtin_names_and_default() -> None:
    reg = AnalysisRegistry.from_settings(
        {
            "analyzer": {
                "default": {"type": "english"},
                "standard": {"tokenizer": "whitespace"},
            }
        }
    )
    assert terms(reg.get("default"), "running dogs") == ["run", "dog"]
    assert terms(reg.get("standard"), "Foo-Bar") == ["Foo-Bar"]


def test_to_json_and_position_increment_gap() -> None:
    definition = {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"], "position_increment_gap": 10}
    reg = AnalysisRegistry.from_settings({"analyzer": {"a": definition}})
    assert reg.get("a").to_json() == definition
    assert reg.get("a").position_increment_gap == 10
    assert reg.get("standard").position_increment_gap == 100
    assert sorted(reg.custom()) == ["a"]


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "analysis, error_type, reason",
    [
        ({"filter": {"f": {"type": "bogus"}}}, "illegal_argument_exception", "Unknown filter type [bogus] for [f]"),
        (
            {"tokenizer": {"t": {"type": "bogus"}}},
            "illegal_argument_exception",
            "Unknown tokenizer type [bogus] for [t]",
        ),
        ({"analyzer": {"a": {"type": "bogus"}}}, "illegal_argument_exception", "Unknown analyzer type [bogus] for [a]"),
        (
            {"analyzer": {"my_analyzer": {"tokenizer": "standard", "filter": ["x"]}}},
            "illegal_argument_exception",
            "Custom Analyzer [my_analyzer] failed to find filter under name [x]",
        ),
        (
            {"analyzer": {"a": {"type": "custom", "tokenizer": "nope"}}},
            "illegal_argument_exception",
            "Custom Analyzer [a] failed to find tokenizer under name [nope]",
        ),
        (
            {"analyzer": {"a": {"type": "custom"}}},
            "illegal_argument_exception",
            "Custom Analyzer [a] must be configured with a tokenizer",
        ),
        (
            {"analyzer": {"a": {"filter": ["lowercase"]}}},
            "illegal_argument_exception",
            "analyzer [a] must specify either an analyzer type, or a tokenizer",
        ),
        (
            {"filter": {"f": {"stopwords": ["x"]}}},
            "illegal_argument_exception",
            "filter [f] must specify either an analyzer type, or a tokenizer",
        ),
        (
            {"analyzer": {"_a": {"type": "standard"}}},
            "illegal_argument_exception",
            "analyzer name must not start with '_'. got \"_a\"",
        ),
        (
            {"analyzer": {"a": {"tokenizer": "standard", "char_filter": ["no_such_filter"]}}},
            "illegal_argument_exception",
            "Custom Analyzer [a] failed to find char_filter under name [no_such_filter]",
        ),
    ],
)
def test_elasticsearch_error_wording(analysis: dict[str, Any], error_type: str, reason: str) -> None:
    err = error_of(analysis)
    assert err.error == error_type
    assert error_reason(err) == reason


@pytest.mark.parametrize(
    "analysis, setting",
    [
        ({"filter": {"my_stop": {"type": "stop", "stopword": ["x"]}}}, "index.analysis.filter.my_stop.stopword"),
        (
            {"filter": {"f": {"type": "lowercase", "preserve_original": True}}},
            "index.analysis.filter.f.preserve_original",
        ),
        ({"tokenizer": {"t": {"type": "standard", "max_length": 5}}}, "index.analysis.tokenizer.t.max_length"),
        (
            {"tokenizer": {"t": {"type": "letter", "max_token_length": 5}}},
            "index.analysis.tokenizer.t.max_token_length",
        ),
        ({"analyzer": {"a": {"type": "standard", "stop_words": "_english_"}}}, "index.analysis.analyzer.a.stop_words"),
        ({"analyzer": {"a": {"type": "simple", "tokenizer": "standard"}}}, "index.analysis.analyzer.a.tokenizer"),
        ({"analyzer": {"a": {"tokenizer": "standard", "filters": ["lowercase"]}}}, "index.analysis.analyzer.a.filters"),
        ({"analyzers": {}}, "index.analysis.analyzers"),
    ],
)
def test_unknown_parameters_are_rejected_not_ignored(analysis: dict[str, Any], setting: str) -> None:
    err = error_of(analysis)
    assert err.error == "illegal_argument_exception"
    assert f"unknown setting [{setting}]" in error_reason(err)


def test_unused_broken_filter_still_fails() -> None:
    # ES builds every declared component, used or not.
    err = error_of({"filter": {"unused": {"type": "stop", "ignore_case": "maybe"}}})
    assert "only [true] or [false] are allowed" in error_reason(err)


@pytest.mark.parametrize(
    "analysis, fragment",
    [
        ({"filter": {"f": {"type": "snowball"}}}, "snowball language [English]"),
        ({"filter": {"f": {"type": "stemmer", "language": "german"}}}, "stemmer language [german]"),
        ({"filter": {"f": {"type": "stop", "stopwords": "_french_"}}}, "stop word list [_french_]"),
        ({"filter": {"f": {"type": "stop", "stopwords_path": "stop.txt"}}}, "[stopwords_path]"),
        ({"filter": {"f": {"type": "lowercase", "language": "greek"}}}, "language [greek]"),
        ({"analyzer": {"a": {"type": "french"}}}, "analyzer type [french]"),
        ({"tokenizer": {"t": {"type": "char_group"}}}, "tokenizer type [char_group]"),
        ({"normalizer": {"n": {"type": "custom", "filter": ["lowercase"]}}}, "normalizers"),
    ],
)
def test_known_elasticsearch_features_we_lack_are_refused(analysis: dict[str, Any], fragment: str) -> None:
    err = error_of(analysis)
    assert err.error == "illegal_argument_exception"
    assert fragment in error_reason(err)
    assert "not supported" in error_reason(err)


@pytest.mark.parametrize(
    "value, reason",
    [
        (0, "maxTokenLength must be greater than zero"),
        (2_000_000, "maxTokenLength may not exceed 1048576"),
        ("abc", "Failed to parse value [abc] for setting [index.analysis.tokenizer.t.max_token_length]"),
    ],
)
def test_invalid_max_token_length(value: Any, reason: str) -> None:
    assert error_reason(error_of({"tokenizer": {"t": {"type": "standard", "max_token_length": value}}})) == reason


def test_numeric_strings_are_accepted_like_es_settings() -> None:
    reg = AnalysisRegistry.from_settings(
        {"tokenizer": {"t": {"type": "standard", "max_token_length": "3"}}, "analyzer": {"a": {"tokenizer": "t"}}}
    )
    assert terms(reg.get("a"), "abcdef") == ["abc", "def"]


def test_get_unknown_analyzer() -> None:
    with pytest.raises(BadRequestError) as info:
        AnalysisRegistry.from_settings(None).get("missing")
    assert info.value.error == "illegal_argument_exception"
    assert error_reason(info.value) == "failed to find analyzer [missing]"
