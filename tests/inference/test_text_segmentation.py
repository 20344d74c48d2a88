"""ICU-style word and sentence boundaries (UAX #29) used by the chunkers."""

from __future__ import annotations

import random

import pytest

from retrievo.inference.chunking import count_words
from retrievo.inference.text_segmentation import (
    _ascii_word_boundaries,
    _unicode_word_boundaries,
    sentence_ends,
    word_boundaries,
)


def words(text: str) -> list[str]:
    wb = word_boundaries(text)
    return [text[a:b] for a, b, w in zip(wb.boundaries, wb.boundaries[1:], wb.is_word[1:]) if w]


def sentences(text: str) -> list[str]:
    ends = sentence_ends(text)
    return [text[a:b] for a, b in zip([0, *ends], ends)]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Won't you chunk", ["Won't", "you", "chunk"]),
        ("ice box = ice-box = icebox", ["ice", "box", "ice", "box", "icebox"]),
        ("pi is 3.14, or 3,14 and 1'000", ["pi", "is", "3.14", "or", "3,14", "and", "1'000"]),
        ("e.g. U.S.A. a.1", ["e.g", "U.S.A", "a", "1"]),
        ("snake_case __init__ _ x", ["snake_case", "__init__", "x"]),
        ("time: 12:30 a:b", ["time", "12", "30", "a", "b"]),  # ICU root: ':' is not MidLetter
        ("naïve café ﬁnal", ["naïve", "café", "ﬁnal"]),
        ("Привет, мир!", ["Привет", "мир"]),
        ("日本語のテキスト", ["日", "本", "語", "の", "テキスト"]),  # see module docstring: no CJK dictionary
        ("שלום עולם", ["שלום", "עולם"]),
        ("emoji 😀 and 🇫🇷 flags", ["emoji", "and", "flags"]),
    ],
)
def test_word_tokens(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_ascii_fast_path_matches_the_unicode_rules() -> None:
    rng = random.Random(1234)
    alphabet = "ab Z09_'.,;:-\t\r\n\"!?()=x"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert _ascii_word_boundaries(text) == _unicode_word_boundaries(text), repr(text)


def test_boundaries_cover_the_text() -> None:
    for text in ["", "a", " a b ", "x\r\ny", "Ünïcödé wörds\u0301 here"]:
        wb = word_boundaries(text)
        assert wb.boundaries[0] == 0 and wb.boundaries[-1] == len(text)
        assert list(wb.boundaries) == sorted(set(wb.boundaries))


def test_count_words_counts_the_token_before_start_like_icu() -> None:
    # ChunkerUtils.countWords starts at preceding(start): a word right before start counts too.
    text = "Title\nBody text."
    wb = word_boundaries(text)
    assert wb.count_words(6, len(text)) == 3
    assert count_words("Body text.") == 2


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Hello world. Foo bar!  Baz?\nQux", ["Hello world. ", "Foo bar!  ", "Baz?\n", "Qux"]),
        ("Pi is 3.14 today. Yes.", ["Pi is 3.14 today. ", "Yes."]),  # SB6
        ("He lives in the U.S.A. He is well.", ["He lives in the U.S.A. ", "He is well."]),  # SB7 inside U.S.A
        ("See e.g. the docs. Then stop.", ["See e.g. the docs. ", "Then stop."]),  # SB8: lower case follows
        ("Mr. Smith went home.", ["Mr. ", "Smith went home."]),  # ICU root: no abbreviations
        ('"Stop." He left.', ['"Stop." ', "He left."]),  # SB9: close punctuation
        ("Wait... what?! Really.", ["Wait... what?! ", "Really."]),  # SB8a
        ("Hello, world; again: done", ["Hello, world; again: done"]),
        ("line one\r\nline two\n\nthree", ["line one\r\n", "line two\n", "\n", "three"]),
        ("終わり。次の文。", ["終わり。", "次の文。"]),
        ("", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected
