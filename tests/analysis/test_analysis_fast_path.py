"""The fast ``terms`` paths must agree with the reference ``analyze`` path on any input.

The ASCII regex is a hand-derived restriction of the StandardTokenizer grammar and the english
analyzer memoizes its filter tail, so these properties are what make the fast path trustworthy.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from retrievo.index.analysis import BUILTIN_ANALYZERS, AnalysisRegistry
from retrievo.index.analysis import standard_tokenizer as std
from retrievo.index.analysis.lowercase import java_lower

ASCII_ALPHABET = "abcxyzABCXYZ0189 .,'_:;-\"!?/@#*()\t\n\r\x00\x1f\x7f"
MIXED_ALPHABET = ASCII_ALPHABET + (
    "éÉ\u0301\u00ad\u200d\u200b\ufe0f\u20e3\u2019\u00a0\u3000İΣẞ中文あア한ก\u05d0\u05f4"
    "\U0001f600\U0001f3fb\U0001f1fa\U0001d400\U000e0067\U000e007f１٣"
)

CUSTOM = AnalysisRegistry.from_settings(
    {
        "analyzer": {
            "std_stop_porter": {"tokenizer": "standard", "filter": ["lowercase", "stop", "porter_stem"]},
            "raw_std": {"tokenizer": "standard"},
            "short": {"tokenizer": "short_std", "filter": ["lowercase", "asciifolding"]},
            "fold_keep": {"tokenizer": "whitespace", "filter": ["keep_fold", "lowercase"]},
        },
        "tokenizer": {"short_std": {"type": "standard", "max_token_length": 3}},
        "filter": {"keep_fold": {"type": "asciifolding", "preserve_original": True}},
    }
)
ANALYZERS = list(BUILTIN_ANALYZERS.values()) + [
    CUSTOM.get(n) for n in ("std_stop_porter", "raw_std", "short", "fold_keep")
]


def _reference(text: str, max_len: int, lower: bool) -> list[str]:
    terms = [text[s:e] for s, e, _ in std.scan(text, max_len)]
    return [java_lower(t) for t in terms] if lower else terms


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=ASCII_ALPHABET, max_size=60), st.sampled_from([255, 255, 1, 2, 3, 7]))
def test_ascii_regex_equals_automaton(text: str, max_len: int) -> None:
    assert std.fast_terms(text, max_len, lower=True) == _reference(text, max_len, True)
    assert std.fast_terms(text, max_len, lower=False) == _reference(text, max_len, False)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=MIXED_ALPHABET, max_size=60), st.sampled_from([255, 255, 1, 2, 5]))
def test_mixed_text_fast_terms_equal_automaton(text: str, max_len: int) -> None:
    assert std.fast_terms(text, max_len, lower=True) == _reference(text, max_len, True)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(alphabet=ASCII_ALPHABET, max_size=80), st.text(alphabet=MIXED_ALPHABET, max_size=80)))
def test_every_analyzer_terms_equal_analyze(text: str) -> None:
    for analyzer in ANALYZERS:
        tokens = analyzer.analyze(text)
        assert analyzer.terms(text) == ([t.term for t in tokens], [t.position for t in tokens]), analyzer.name


def test_long_ascii_tokens_split_identically() -> None:
    rnd = random.Random(7)
    for _ in range(300):
        unit = rnd.choice(["a", "ab1", "x.", "x'", "1,", "_a", "a:b", "A"])
        text = unit * rnd.randint(60, 400) + rnd.choice(["", "'s", ".x", " end", "__"])
        for max_len in (255, 100, 7):
            assert std.fast_terms(text, max_len) == _reference(text, max_len, True)
    for analyzer in ANALYZERS:
        text = "word " + "z" * 700 + " done"
        tokens = analyzer.analyze(text)
        assert analyzer.terms(text) == ([t.term for t in tokens], [t.position for t in tokens])


def test_english_tail_may_strip_possessives_after_lowercasing() -> None:
    """The english fast path lowercases before stripping "'s"; that is only equivalent to
    Lucene's order because nothing but 'S' lowercases to 's' and the apostrophes are caseless."""
    from retrievo.index.analysis._unicode_tables import LOWER_PAIRS

    lower = dict(zip(LOWER_PAIRS[0::2], LOWER_PAIRS[1::2]))
    assert [cp for cp, lo in lower.items() if lo == ord("s")] == [ord("S")]
    assert not [cp for cp, lo in lower.items() if lo in (0x27, 0x2019, 0xFF07)]


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=MIXED_ALPHABET, max_size=60), st.sampled_from([255, 255, 1, 2, 5]))
def test_fast_spans_equal_automaton(text: str, max_len: int) -> None:
    assert std.fast_spans(text, max_len) == std.scan(text, max_len)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=ASCII_ALPHABET, max_size=60), st.sampled_from([255, 255, 1, 3]))
def test_ascii_fast_spans_equal_automaton(text: str, max_len: int) -> None:
    assert std.fast_spans(text, max_len) == std.scan(text, max_len)


# Letters, digits, connector and mid punctuation from many scripts (the regex route for non-ASCII
# text), characters whose lowercase changes class (U+1C90, U+24C2, U+A7C5), inert '"#*', and a
# few complex characters so that both routes meet in one string.
SIMPLE_UNICODE_ALPHABET = (
    "aZ1_.:,;'\"#* -\u00a0\u2019\u2018\u2024\u00b7\ufe13\ufe52\uff0e\uff1a\u037e\u066c\ufe50\uff0c"
    "\u203f\ufe33\uff3f\u0660\u0969\uff11\u00e9\u00c9\u0391\u03a3\u0436\u0416\u0627\u0915\u3005\u303b"
    "\u0130\u1e9e\u01c5\u1c90\u1cbd\u24c2\ua7c5\u0301\u200d\u05d0\u05f4\u4e2d\U0001d400\U0001f600"
)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=SIMPLE_UNICODE_ALPHABET, max_size=120), st.sampled_from([255, 255, 1, 2, 3, 40]))
def test_unicode_regex_route_equals_automaton(text: str, max_len: int) -> None:
    reference = std.scan(text, max_len)
    assert std.fast_spans(text, max_len) == reference
    assert std.fast_terms(text, max_len, lower=False) == [text[s:e] for s, e, _ in reference]
    assert std.fast_terms(text, max_len, lower=True) == [java_lower(text[s:e]) for s, e, _ in reference]


def test_java_lower_table_routes_agree() -> None:
    from retrievo.index.analysis.lowercase import LOWER_TABLE

    every_bmp_char = "".join(map(chr, range(0x10000)))
    assert java_lower(every_bmp_char) == every_bmp_char.translate(LOWER_TABLE)
    spelled_pair = "X" * 60 + "\ud801\udc00"  # a surrogate pair written as two code points
    assert java_lower(spelled_pair) == "x" * 60 + "\ud801\udc00"


def test_lowercasing_never_changes_letterness() -> None:
    """LetterTokenizer's fast path finds letter runs on already-lowercased text."""
    from retrievo.index.analysis._unicode_tables import LOWER_PAIRS
    from retrievo.index.analysis.simple_tokenizers import letter_terms

    for cp, lo in zip(LOWER_PAIRS[0::2], LOWER_PAIRS[1::2]):
        assert bool(letter_terms(chr(cp))) == bool(letter_terms(chr(lo))), hex(cp)


@settings(max_examples=800, deadline=None)
@given(
    st.text(alphabet=MIXED_ALPHABET + SIMPLE_UNICODE_ALPHABET + "\u1680\u2028\x1c", max_size=300),
    st.sampled_from([255, 1, 2, 3, 10]),
)
def test_character_tokenizers_fast_terms(text: str, max_len: int) -> None:
    from retrievo.index.analysis.tokenizers import LetterTokenizer, WhitespaceTokenizer

    for tokenizer in (LetterTokenizer(max_len), WhitespaceTokenizer(max_len)):
        spans = tokenizer.spans(text)
        for lower in (False, True):
            expected = [text[s:e] for s, e, _ in spans]
            assert tokenizer.terms(text, lower) == ([java_lower(t) for t in expected] if lower else expected)
