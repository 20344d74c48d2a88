"""Writes the oracle's input: one JSON line per (component chain, text) case.

Each chain is written with Elasticsearch's setting names (the same definitions the tests feed to
retrievo's registry); texts are CISI titles and abstract openings plus hand-made edge cases.
Usage: python3 make_cases.py CISI_CORPUS.jsonl > cases.jsonl
"""

from __future__ import annotations

import json
import sys
from typing import Any

EDGE_TEXTS = [
    "",
    "a",
    "Quick Brown-Fox's 2 jumps!",
    "  leading and trailing  ",
    "e-mail: foo@bar.com, 555-1234",
    "naïve café Ünïcödé",
    "𝒳 astral 𝒴𝒵 chars",
    "one  two\tthree\nfour",
]
PATH_TEXTS = ["/usr/local/bin/python", "a/b/c", "/", "//a//b/", "a", "", "/a/b/", "x/y/z/w", "\\\\srv\\share\\dir"]

SNOWBALL_LANGS = ["armenian", "basque", "catalan", "danish", "irish", "italian", "lithuanian", "russian", "turkish"]
# A few real words per language (inflected forms), one text each.
WORDS = {
    "armenian": "գրքեր գրքերի տներում",
    "basque": "etxeetan mendiak liburuarekin",
    "catalan": "cases llibres cantaven ciutats",
    "danish": "bøgerne husene løbende hurtigere",
    "irish": "leabhair na bhfear cathracha",
    "italian": "libri case cantavano velocemente",
    "lithuanian": "knygos namuose bėgantys",
    "russian": "книги домами бегущие быстрее",
    "turkish": "kitaplar evlerde koşuyorlar",
}
PLURALS = "ponies flies series queries news bus boss glasses toes shoes pies cookies dies"
SYN_RULES = [
    "quick => fast",
    "brown fox => redfox, dark brown vulpes",
    "jumps, leaps, hops",
    "ny, new york city",
    "a b, c d e",
    "sea biscuit, seabiscuit",
]
SYN_TEXTS = [
    "the quick brown fox jumps",
    "ny city is big",
    "big ny",
    "x a b y",
    "a b",
    "the brown fox",
    "sea biscuit sea biscuit",
    "Sea Biscuit horse jumps",
    "new york city",
    "the Quick brown dog",
]
CHAINS: list[tuple[str, dict[str, Any], list[str]]] = [
    # (chain id, {"char_filter": [...], "tokenizer": {...}, "filter": [...]}, text set)
    ("ngram_tok_1_2", {"tokenizer": {"type": "ngram"}}, ["edge"]),
    (
        "ngram_tok_2_3_letters",
        {"tokenizer": {"type": "ngram", "min_gram": 2, "max_gram": 3, "token_chars": ["letter", "digit"]}},
        ["edge", "cisi"],
    ),
    (
        "ngram_tok_custom",
        {
            "tokenizer": {
                "type": "ngram",
                "min_gram": 3,
                "max_gram": 3,
                "token_chars": ["letter", "custom"],
                "custom_token_chars": "-'",
            }
        },
        ["edge", "cisi"],
    ),
    (
        "ngram_tok_punct_symbol_ws",
        {
            "tokenizer": {
                "type": "ngram",
                "min_gram": 1,
                "max_gram": 1,
                "token_chars": ["punctuation", "symbol", "whitespace"],
            }
        },
        ["edge"],
    ),
    (
        "edge_tok_1_5_letters",
        {"tokenizer": {"type": "edge_ngram", "min_gram": 1, "max_gram": 5, "token_chars": ["letter"]}},
        ["edge", "cisi"],
    ),
    (
        "edge_tok_2_10_letters_digits",
        {"tokenizer": {"type": "edge_ngram", "min_gram": 2, "max_gram": 10, "token_chars": ["letter", "digit"]}},
        ["edge", "cisi"],
    ),
    ("edge_tok_default", {"tokenizer": {"type": "edge_ngram", "min_gram": 1, "max_gram": 3}}, ["edge"]),
    (
        "ngram_filter_2_3",
        {
            "tokenizer": {"type": "standard"},
            "filter": [{"type": "lowercase"}, {"type": "ngram", "min_gram": 2, "max_gram": 3}],
        },
        ["edge", "cisi"],
    ),
    (
        "ngram_filter_preserve",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [{"type": "ngram", "min_gram": 3, "max_gram": 4, "preserve_original": True}],
        },
        ["edge"],
    ),
    (
        "edge_filter_2_4",
        {
            "tokenizer": {"type": "standard"},
            "filter": [{"type": "lowercase"}, {"type": "edge_ngram", "min_gram": 2, "max_gram": 4}],
        },
        ["edge", "cisi"],
    ),
    (
        "edge_filter_preserve",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [{"type": "edge_ngram", "min_gram": 2, "max_gram": 3, "preserve_original": True}],
        },
        ["edge"],
    ),
    ("path_default", {"tokenizer": {"type": "path_hierarchy"}}, ["path"]),
    (
        "path_replace_skip",
        {"tokenizer": {"type": "path_hierarchy", "delimiter": "/", "replacement": "|", "skip": 1}},
        ["path"],
    ),
    ("path_backslash", {"tokenizer": {"type": "path_hierarchy", "delimiter": "\\", "replacement": "/"}}, ["path"]),
    ("path_reverse", {"tokenizer": {"type": "path_hierarchy", "reverse": True}}, ["path"]),
    (
        "path_reverse_skip",
        {"tokenizer": {"type": "path_hierarchy", "reverse": True, "skip": 1, "replacement": "."}},
        ["path"],
    ),
    ("pattern_default", {"tokenizer": {"type": "pattern"}}, ["edge", "cisi"]),
    ("pattern_comma", {"tokenizer": {"type": "pattern", "pattern": ",\\s*"}}, ["edge"]),
    ("pattern_group", {"tokenizer": {"type": "pattern", "pattern": "([A-Za-z]+)(\\d*)", "group": 1}}, ["edge", "cisi"]),
    ("pattern_dot", {"tokenizer": {"type": "pattern", "pattern": "o.", "group": 0}}, ["edge"]),
    *[
        (f"regex_{i}", {"tokenizer": {"type": "pattern", **spec}}, ["regex"])
        for i, spec in enumerate(
            [
                {"pattern": "\\b"},
                {"pattern": "\\s+"},
                {"pattern": "[^\\w']+"},
                {"pattern": "\\w+", "group": 0},
                {"pattern": "\\d+", "group": 0},
                {"pattern": ".$", "group": 0},
                {"pattern": "^.", "group": 0},
                {"pattern": "(?<=o)\\w", "group": 0},
                {"pattern": "O.", "flags": "CASE_INSENSITIVE", "group": 0},
                {"pattern": "a.c", "flags": "DOTALL", "group": 0},
                {"pattern": "a.c", "flags": "LITERAL|CASE_INSENSITIVE"},
                {"pattern": "(\\w)(\\w)?", "group": 2},
                {"pattern": "\\u00e9|\\x41|\\0101|\\t", "group": 0},
                {"pattern": "[\\]a-c-]+", "group": 0},
                {"pattern": "(?:ab)++|\\.", "group": 0},
            ]
        )
    ],
    (
        "mapping_simple",
        {
            "char_filter": [{"type": "mapping", "mappings": ["ph => f", "qu => kw", "& => and", "ï => i"]}],
            "tokenizer": {"type": "standard"},
        },
        ["edge", "cisi"],
    ),
    (
        "mapping_shrink_grow",
        {
            "char_filter": [{"type": "mapping", "mappings": ["the => X", "a => ", "e => EEE", "\\u0020 => _"]}],
            "tokenizer": {"type": "whitespace"},
        },
        ["edge", "cisi"],
    ),
    (
        "pattern_replace_digits",
        {
            "char_filter": [{"type": "pattern_replace", "pattern": "(\\d+)-(?=\\d)", "replacement": "$1_"}],
            "tokenizer": {"type": "standard"},
        },
        ["edge", "cisi"],
    ),
    (
        "pattern_replace_grow",
        {
            "char_filter": [{"type": "pattern_replace", "pattern": "([aeiou])", "replacement": "<$1$1>"}],
            "tokenizer": {"type": "whitespace"},
        },
        ["edge", "cisi"],
    ),
    (
        "pattern_replace_delete",
        {
            "char_filter": [{"type": "pattern_replace", "pattern": "[^A-Za-z ]+", "replacement": ""}],
            "tokenizer": {"type": "whitespace"},
        },
        ["edge", "cisi"],
    ),
    (
        "two_char_filters",
        {
            "char_filter": [
                {"type": "mapping", "mappings": ["ph => f"]},
                {"type": "pattern_replace", "pattern": "ss", "replacement": "s"},
            ],
            "tokenizer": {"type": "standard"},
        },
        ["edge", "cisi"],
    ),
    (
        "html_strip_keyword",
        {"char_filter": [{"type": "html_strip"}], "tokenizer": {"type": "keyword"}},
        ["html"],
    ),
    (
        "html_strip_standard",
        {"char_filter": [{"type": "html_strip"}], "tokenizer": {"type": "standard"}},
        ["html", "edge"],
    ),
    (
        "html_strip_escaped",
        {
            "char_filter": [{"type": "html_strip", "escaped_tags": ["b", "br", "script"]}],
            "tokenizer": {"type": "keyword"},
        },
        ["html"],
    ),
    (
        "shingle_default",
        {"tokenizer": {"type": "standard"}, "filter": [{"type": "lowercase"}, {"type": "shingle"}]},
        ["edge", "cisi"],
    ),
    (
        "shingle_2_3_no_unigrams",
        {
            "tokenizer": {"type": "standard"},
            "filter": [
                {"type": "lowercase"},
                {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 3, "output_unigrams": False},
            ],
        },
        ["edge", "cisi"],
    ),
    (
        "shingle_3_3_if_no_shingles",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [
                {
                    "type": "shingle",
                    "min_shingle_size": 3,
                    "max_shingle_size": 3,
                    "output_unigrams": False,
                    "output_unigrams_if_no_shingles": True,
                }
            ],
        },
        ["edge"],
    ),
    (
        "shingle_separator",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [{"type": "shingle", "token_separator": "+", "max_shingle_size": 3}],
        },
        ["edge"],
    ),
    (
        "shingle_after_stop",
        {
            "tokenizer": {"type": "standard"},
            "filter": [{"type": "lowercase"}, {"type": "stop"}, {"type": "shingle", "filler_token": "*"}],
        },
        ["stop"],
    ),
    (
        "syn_graph",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [{"type": "lowercase"}, {"type": "synonym_graph", "synonyms": SYN_RULES}],
        },
        ["syn"],
    ),
    (
        "syn_plain",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [{"type": "lowercase"}, {"type": "synonym", "synonyms": SYN_RULES}],
        },
        ["syn"],
    ),
    (
        "syn_graph_no_expand",
        {
            "tokenizer": {"type": "standard"},
            "filter": [
                {"type": "lowercase"},
                {
                    "type": "synonym_graph",
                    "expand": False,
                    "synonyms": ["Sea Biscuit, seabiscit, sea biscuit horse", "jumps, leaps, hops"],
                },
            ],
        },
        ["syn"],
    ),
    (
        "syn_plain_no_expand",
        {
            "tokenizer": {"type": "standard"},
            "filter": [
                {"type": "lowercase"},
                {
                    "type": "synonym",
                    "expand": False,
                    "synonyms": ["Sea Biscuit, seabiscit, sea biscuit horse", "jumps, leaps, hops"],
                },
            ],
        },
        ["syn"],
    ),
    (
        "syn_lenient_after_stop",
        {
            "tokenizer": {"type": "standard"},
            "filter": [
                {"type": "lowercase"},
                {"type": "stop"},
                {
                    "type": "synonym_graph",
                    "lenient": True,
                    "synonyms": ["the fox, vulpes", "quick, fast", "brown => tan"],
                },
            ],
        },
        ["syn"],
    ),
    (
        "syn_cisi",
        {
            "tokenizer": {"type": "standard"},
            "filter": [
                {"type": "lowercase"},
                {
                    "type": "synonym_graph",
                    "synonyms": [
                        "information retrieval, ir",
                        "library => libraries, book collection",
                        "classification, taxonomy",
                        "# a comment",
                        "",
                        "study\\, report => survey",
                    ],
                },
            ],
        },
        ["cisi"],
    ),
    (
        "syn_cisi_plain",
        {
            "tokenizer": {"type": "standard"},
            "filter": [
                {"type": "lowercase"},
                {
                    "type": "synonym",
                    "synonyms": [
                        "information retrieval, ir",
                        "library => libraries, book collection",
                        "classification, taxonomy",
                    ],
                },
            ],
        },
        ["cisi"],
    ),
    (
        "stemmer_minimal_english",
        {
            "tokenizer": {"type": "standard"},
            "filter": [{"type": "lowercase"}, {"type": "stemmer", "language": "minimal_english"}],
        },
        ["edge", "cisi", "plurals"],
    ),
    *[
        (
            f"snowball_{lang}",
            {
                "tokenizer": {"type": "standard"},
                "filter": [{"type": "lowercase"}, {"type": "snowball", "language": lang.capitalize()}],
            },
            [f"words_{lang}"],
        )
        for lang in SNOWBALL_LANGS
    ],
    (
        "stemmer_russian",
        {
            "tokenizer": {"type": "standard"},
            "filter": [{"type": "lowercase"}, {"type": "stemmer", "language": "russian"}],
        },
        ["words_russian"],
    ),
    (
        "limit_3",
        {"tokenizer": {"type": "standard"}, "filter": [{"type": "limit", "max_token_count": 3}]},
        ["edge", "cisi"],
    ),
    (
        "keep_case",
        {"tokenizer": {"type": "standard"}, "filter": [{"type": "keep", "keep_words": ["the", "Quick", "fox", "of"]}]},
        ["edge", "cisi"],
    ),
    (
        "keep_ignore_case",
        {
            "tokenizer": {"type": "standard"},
            "filter": [{"type": "keep", "keep_words": ["the", "Quick", "of"], "keep_words_case": True}],
        },
        ["edge", "cisi"],
    ),
    (
        "elision",
        {"tokenizer": {"type": "whitespace"}, "filter": [{"type": "elision", "articles": ["l", "d", "O"]}]},
        ["french"],
    ),
    (
        "elision_ignore_case",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [{"type": "elision", "articles": ["l", "d"], "articles_case": True}],
        },
        ["french"],
    ),
    ("apostrophe", {"tokenizer": {"type": "whitespace"}, "filter": [{"type": "apostrophe"}]}, ["french", "edge"]),
    (
        "remove_duplicates",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [
                {"type": "lowercase"},
                {"type": "synonym", "synonyms": ["fast, quick, rapid", "Fast => fast"]},
                {"type": "remove_duplicates"},
            ],
        },
        ["syn"],
    ),
    (
        "syn_graph_then_stop",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [{"type": "lowercase"}, {"type": "synonym_graph", "synonyms": SYN_RULES}, {"type": "stop"}],
        },
        ["syn"],
    ),
    *[
        (
            f"wdg_{i}",
            {"tokenizer": {"type": "whitespace"}, "filter": [{"type": "word_delimiter_graph", **cfg}]},
            ["wdg"],
        )
        for i, cfg in enumerate(
            [
                {},
                {"preserve_original": True},
                {"catenate_words": True},
                {"catenate_all": True, "catenate_numbers": True},
                {"catenate_words": True, "preserve_original": True, "catenate_numbers": True},
                {"catenate_all": True, "catenate_words": True, "catenate_numbers": True},
                {"split_on_case_change": False, "split_on_numerics": False, "stem_english_possessive": False},
                {"generate_word_parts": False, "catenate_words": True},
                {"generate_number_parts": False, "catenate_all": True, "adjust_offsets": False},
            ]
        )
    ],
    ("decimal_digit", {"tokenizer": {"type": "whitespace"}, "filter": [{"type": "decimal_digit"}]}, ["edge", "digits"]),
    (
        "pattern_replace_filter",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [{"type": "pattern_replace", "pattern": "([a-z])\\1", "replacement": "<$1>"}],
        },
        ["edge", "cisi"],
    ),
    (
        "pattern_replace_filter_first",
        {
            "tokenizer": {"type": "whitespace"},
            "filter": [
                {
                    "type": "pattern_replace",
                    "pattern": "[aeiou]",
                    "replacement": "",
                    "all": False,
                    "flags": "CASE_INSENSITIVE",
                }
            ],
        },
        ["edge", "cisi"],
    ),
    ("trim_keyword", {"tokenizer": {"type": "keyword"}, "filter": [{"type": "trim"}]}, ["edge"]),
    (
        "truncate_3",
        {"tokenizer": {"type": "whitespace"}, "filter": [{"type": "truncate", "length": 3}]},
        ["edge", "cisi"],
    ),
    ("reverse", {"tokenizer": {"type": "whitespace"}, "filter": [{"type": "reverse"}]}, ["edge", "cisi"]),
    (
        "length_2_5",
        {"tokenizer": {"type": "standard"}, "filter": [{"type": "length", "min": 2, "max": 5}]},
        ["edge", "cisi"],
    ),
]

REGEX_TEXTS = [
    "Foo bar, o'clock; naïve straße 12 \u0663\u0664 A-c]b",
    "line one\r\nline two\u2028end\r",
    "a.c abc A.C a\nc a\rc ababab. \u00e9A\tA",
    "",
    "oxo Oy o",
]
FRENCH_TEXTS = ["l'avion d'Orly L'Arbre O\u2019Neil's l'' 'l jusqu'à d'", "Qu'il l\u2019école"]
WDG_TEXTS = [
    "Wi-Fi PowerShot SD500 O'Neil's 500-42 wi-fi-4000 j2se ABCdef --x-- 3.14 AT&T",
    "foo_bar-baz2Qux -- x's ab'S_ 12ab-CD34 Ünïcödé-ǅemo ٣٤x 𝒳y _a_",
    "",
    "a",
]
HTML_TEXTS = [
    "<p>Hello <b>World</b></p>",
    "a&amp;b &lt;tag&gt; &copy; &#65;&#x42; &nbsp;x &bogus; &amp no &#xD800; &#1114112; &notit;",
    "<div class=\"x\">one<br/>two<br>three</div><BR >four</br>",
    "before<!-- a <b>comment</b> -->after <![CDATA[raw <data>]]> end",
    "<script type=\"text/javascript\">var x = '<b>';</script>text<style>p {color: red}</style>more",
    "<html><head><title>T</title></head><body><h1>Head</h1><ul><li>one</li><li>two</li></ul></body></html>",
    "x < y and y > z, a<b c>d, 1<2",
    "<?xml version=\"1.0\"?><!DOCTYPE html><a href='#'>link</a><img src=x.png/>",
    "caf&eacute; na&iuml;ve &AMP; &QUOT;q&QUOT; &COPY; &REG; &TRADE;",
    "unterminated <!-- comment",
    "entity at end &amp",
    "<span>in</span>line <em>words</em> and <section>blocks</section> <custom-tag x=1>c</custom-tag>",
    "tab\t<p\n>split</p\t> < /p> </ p>",
    "<script>unterminated",
]
STOP_TEXTS = [
    "the quick brown fox",
    "quick and the dead",
    "to be or not to be is the question",
    "a b c d",
    "fox of the",
]


def texts(kind: str, cisi: list[str]) -> list[str]:
    if kind.startswith("words_"):
        return [WORDS[kind[6:]]]
    if kind == "plurals":
        return [PLURALS]
    return {
        "edge": EDGE_TEXTS,
        "cisi": cisi,
        "path": PATH_TEXTS,
        "stop": STOP_TEXTS,
        "html": HTML_TEXTS,
        "syn": SYN_TEXTS,
        "regex": REGEX_TEXTS,
        "french": FRENCH_TEXTS,
        "wdg": WDG_TEXTS,
        "digits": ["\u0661\u0662 \u096b\u096c x\u0663 \uff11\uff12 \U0001d7ce"],
    }[kind]


def main() -> None:
    cisi: list[str] = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 3:
                break
            doc = json.loads(line)
            cisi.append(doc["title"])
            cisi.append(doc["text"][:120])
    for chain_id, chain, kinds in CHAINS:
        n = 0
        for kind in kinds:
            for text in texts(kind, cisi):
                case = {"id": f"{chain_id}/{n}", "chain": chain_id, "text": text, **chain}
                print(json.dumps(case, ensure_ascii=False))
                n += 1


if __name__ == "__main__":
    main()
