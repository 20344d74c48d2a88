"""Lucene's ``CharTokenizer`` family (letter, whitespace) and the keyword tokenizer.

A CharTokenizer emits maximal runs of "token characters" (``Character.isLetter`` or
``!Character.isWhitespace``, per code point, with the JVM's tables). A run is cut as soon as the
token reaches ``max_token_length`` UTF-16 units *after* appending a code point, so a run of BMP
characters is cut every 255 characters and a supplementary character can end a chunk at 256
units. The rest of the run continues as the next token; nothing is dropped.
"""

from __future__ import annotations

import re
from re import Pattern

from ._unicode_tables import LETTER_RANGES, WHITESPACE_RANGES

DEFAULT_MAX_TOKEN_LENGTH = 255
# CharTokenizer refuses larger limits.
MAX_TOKEN_LENGTH_LIMIT = 1024 * 1024

Span = tuple[int, int]


def _char_class(ranges: tuple[int, ...], negate: bool) -> str:
    parts = []
    for lo, hi in zip(ranges[0::2], ranges[1::2]):
        parts.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _split_bmp(ranges: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    bmp: list[int] = []
    astral: list[int] = []
    for lo, hi in zip(ranges[0::2], ranges[1::2]):
        if lo <= 0xFFFF:
            bmp += [lo, min(hi, 0xFFFF)]
        if hi > 0xFFFF:
            astral += [max(lo, 0x10000), hi]
    return tuple(bmp), tuple(astral)


# ``re`` tests a BMP-only set with a bitmap but walks supplementary ranges one by one, so the
# letter set is split: the bitmap decides for BMP characters, the range list only ever sees
# supplementary ones.
_BMP_LETTERS, _ASTRAL_LETTERS = _split_bmp(LETTER_RANGES)
_LETTER_RUN: Pattern[str] = re.compile(
    f"(?:{_char_class(_BMP_LETTERS, False)}|(?=[\U00010000-\U0010ffff]){_char_class(_ASTRAL_LETTERS, False)})+"
)
_NON_WHITESPACE_RUN: Pattern[str] = re.compile(_char_class(WHITESPACE_RANGES, negate=True) + "+")
_ASCII_LETTER_RUN: Pattern[str] = re.compile("[A-Za-z]+")


def _chunk(text: str, start: int, end: int, max_len: int, out: list[Span]) -> None:
    """Cuts one run the way CharTokenizer's buffer check does (>= max_len units after a char)."""
    run = text[start:end]
    if run.isascii() or max(run) <= "\uffff":
        for s in range(start, end, max_len):
            out.append((s, min(s + max_len, end)))
        return
    s, units = start, 0
    for i in range(start, end):
        units += 2 if text[i] > "\uffff" else 1
        if units >= max_len:
            out.append((s, i + 1))
            s, units = i + 1, 0
    if s < end:
        out.append((s, end))


def _spans(pattern: Pattern[str], text: str, max_len: int) -> list[Span]:
    out: list[Span] = []
    for m in pattern.finditer(text):
        start, end = m.span()
        if (end - start) * 2 < max_len:
            out.append((start, end))  # cannot reach the limit even if every char were astral
        else:
            _chunk(text, start, end, max_len, out)
    return out


def letter_spans(text: str, max_len: int = DEFAULT_MAX_TOKEN_LENGTH) -> list[Span]:
    """LetterTokenizer: runs of ``Character.isLetter``."""
    return _spans(_ASCII_LETTER_RUN if text.isascii() else _LETTER_RUN, text, max_len)


def whitespace_spans(text: str, max_len: int = DEFAULT_MAX_TOKEN_LENGTH) -> list[Span]:
    """WhitespaceTokenizer: runs of characters that are not ``Character.isWhitespace``.

    Note that Java's whitespace excludes the no-break spaces (U+00A0, U+2007, U+202F) but
    includes the information separators U+001C..U+001F, unlike ``str.split()``.
    """
    return _spans(_NON_WHITESPACE_RUN, text, max_len)


_ASCII_LOWER_LETTER_RUN: Pattern[str] = re.compile("[a-z]+")


def ascii_letter_terms(lowered: str) -> list[str]:
    """Fast path for ASCII text already lowercased: the letter runs (caller checks the length)."""
    return _ASCII_LOWER_LETTER_RUN.findall(lowered)


def letter_terms(text: str) -> list[str]:
    """Letter runs as strings (caller checks the length). Works on lowercased text too: Java's
    lowercase mapping never turns a letter into a non-letter or back (checked in the tests)."""
    return _LETTER_RUN.findall(text)
