"""Unit-level behaviour of the pieces: Java lowercasing, Porter, folding, the tokenizer's buffer."""

from __future__ import annotations

import dataclasses

import pytest

from retrievo.index.analysis import ENGLISH, STANDARD, Token
from retrievo.index.analysis import standard_tokenizer as std
from retrievo.index.analysis.filters import ascii_fold, strip_possessive
from retrievo.index.analysis.lowercase import java_lower, java_upper
from retrievo.index.analysis.porter import porter_stem
from retrievo.index.analysis.simple_tokenizers import letter_spans, whitespace_spans


def test_token_is_frozen() -> None:
    tok = Token("a", 0, 0, 1, "<ALPHANUM>")
    with pytest.raises(dataclasses.FrozenInstanceError):
        tok.term = "b"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text, lowered",
    [
        ("İstanbul", "istanbul"),  # simple mapping: one code point, no combining dot
        ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),  # no final-sigma rule
        ("ẞ", "ß"),
        ("ǅ", "ǆ"),  # titlecase digraph
        ("Ⅻ", "ⅻ"),
        ("\U00010400", "\U00010428"),  # Deseret, astral
        ("ABC", "abc"),
    ],
)
def test_java_lower(text: str, lowered: str) -> None:
    assert java_lower(text) == lowered
    assert STANDARD.terms(text)[0] == [lowered]


def test_java_upper_is_simple_mapping() -> None:
    assert java_upper("straße ǆ ﬁ") == "STRAßE Ǆ ﬁ"


@pytest.mark.parametrize(
    "word, stem",
    [
        # the paper's examples
        ("caresses", "caress"),
        ("ponies", "poni"),
        ("ties", "ti"),
        ("cats", "cat"),
        ("feed", "feed"),
        ("agreed", "agre"),
        ("plastered", "plaster"),
        ("motoring", "motor"),
        ("sing", "sing"),
        ("conflated", "conflat"),
        ("hopping", "hop"),
        ("falling", "fall"),
        ("filing", "file"),
        ("happy", "happi"),
        ("relational", "relat"),
        ("generalizations", "gener"),
        ("libraries", "librari"),
        ("dewey", "dewei"),
        ("news", "new"),
        # Lucene's (Porter's release 3) departures from the paper: -bli -> -ble, and -logi -> -log
        ("possibly", "possibl"),
        ("apology", "apolog"),
        ("archaeology", "archaeolog"),
        ("conformabli", "conform"),
        ("analogousli", "analog"),
        # short words are left alone; the algorithm is case-sensitive and not ASCII-only
        ("is", "is"),
        ("as", "as"),
        ("Running", "Run"),
        ("RUNNING", "RUNNING"),
        ("naïveties", "naïveti"),
        ("\U0001d400ay", "\U0001d400ai"),  # 4 UTF-16 units, so it is stemmed
    ],
)
def test_porter(word: str, stem: str) -> None:
    assert porter_stem(word) == stem


def test_possessive_variants() -> None:
    assert [strip_possessive(w) for w in ["john's", "JOHN'S", "it’s", "x＇s", "it‘s", "'s", "s"]] == [
        "john",
        "JOHN",
        "it",
        "x",
        "it‘s",
        "",
        "s",
    ]
    assert ENGLISH.terms("it's John’s and Mary＇S") == (["john", "mari"], [1, 3])


def test_ascii_folding_examples() -> None:
    assert [ascii_fold(w) for w in ["Café", "Déjà", "Ærøskøbing", "ﬁne", "straße", "Œuvre", "½"]] == [
        "Cafe",
        "Deja",
        "AEroskobing",
        "fine",
        "strasse",
        "OEuvre",
        "½",
    ]


# ---------------------------------------------------------------------------- StandardTokenizer


def _spans(text: str, max_len: int = 255) -> list[tuple[str, int, int, str]]:
    return [(text[s:e], s, e, t) for s, e, t in std.scan(text, max_len)]


def test_token_types() -> None:
    assert _spans("Ab 12 1.5x 中 あ アイ 한국 ไทย 😀") == [
        ("Ab", 0, 2, "<ALPHANUM>"),
        ("12", 3, 5, "<NUM>"),
        ("1.5x", 6, 10, "<ALPHANUM>"),
        ("中", 11, 12, "<IDEOGRAPHIC>"),
        ("あ", 13, 14, "<HIRAGANA>"),
        ("アイ", 15, 17, "<KATAKANA>"),
        ("한국", 18, 20, "<HANGUL>"),
        ("ไทย", 21, 24, "<SOUTHEAST_ASIAN>"),
        ("😀", 25, 26, "<EMOJI>"),
    ]


def test_longest_match_with_rule_priority() -> None:
    # keycap: emoji and word rules both match two chars, the emoji rule comes first;
    # one more letter makes the word rule longer.
    assert _spans("1\u20e3") == [("1\u20e3", 0, 2, "<EMOJI>")]
    assert _spans("1\u20e3a") == [("1\u20e3a", 0, 3, "<ALPHANUM>")]
    # a skin-tone modifier is not Extend in Unicode 9, so it does not glue to a letter
    assert _spans("a\U0001f3fb") == [("a", 0, 1, "<ALPHANUM>"), ("\U0001f3fb", 1, 2, "<EMOJI>")]


def test_max_token_length_counts_utf16_units() -> None:
    assert [len(t) for t, *_ in _spans("a" * 300)] == [255, 45]
    assert [len(t) for t, *_ in _spans("\U0001d400" * 200)] == [127, 73]
    assert [t for t, *_ in _spans("x" * 255 + "'s")] == ["x" * 255, "s"]
    assert [t for t, *_ in _spans("jumped", 5)] == ["jumpe", "d"]


def test_scanner_buffer_edge_cases_match_lucene() -> None:
    # A lone high surrogate completing Lucene's first read ends the stream (checked against 8.8.1).
    assert _spans("a\ud800") == []
    assert _spans("a\ud800 b") == [("a", 0, 1, "<ALPHANUM>"), ("b", 3, 4, "<ALPHANUM>")]
    # With a one-unit buffer a supplementary character can never be loaded: scanning stops there.
    assert _spans("a\U0001d400b c", 1) == [("a", 0, 1, "<ALPHANUM>")]
    assert std.fast_terms("a\ud800") == []


def test_offsets_are_code_points() -> None:
    tokens = STANDARD.analyze("\U0001d400x \U0001f600 é")
    assert [(t.term, t.start_offset, t.end_offset) for t in tokens] == [
        ("\U0001d400x", 0, 2),
        ("\U0001f600", 3, 4),
        ("é", 5, 6),
    ]


def test_character_tokenizers_split_long_runs() -> None:
    assert [e - s for s, e in letter_spans("a" * 600)] == [255, 255, 90]
    # the check happens after appending, so a supplementary char may end a chunk at 256 units
    assert [e - s for s, e in letter_spans("a" * 254 + "\U0001d400b")] == [255, 1]
    assert whitespace_spans("a\u00a0b c\x1cd") == [(0, 3), (4, 5), (6, 7)]


def test_invalid_max_token_length() -> None:
    with pytest.raises(ValueError):
        std.check_max_token_length(0)
    with pytest.raises(ValueError):
        std.check_max_token_length(1024 * 1024 + 1)
