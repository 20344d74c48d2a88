"""Word and sentence boundaries approximating ICU's ``BreakIterator`` for ``Locale.ROOT``.

Elasticsearch's chunkers (``WordBoundaryChunker``, ``SentenceBoundaryChunker``) measure text in
ICU *words* and cut it at ICU *sentence* boundaries, so a faithful port needs both. ICU implements
Unicode UAX #29 with a few root-locale tailorings; this module implements the same rules directly
over Python's ``unicodedata`` (Unicode 14 in Python 3.11):

Words (UAX #29 word boundaries, rules WB3-WB16), with ICU's root tailoring that removes ``:`` from
MidLetter. A token counts as a *word* when ICU would give it a non-``WORD_NONE`` rule status:
letters, numbers, kana and ideographs; whitespace, punctuation, symbols and emoji do not count.
``Won't`` is one word, ``ice-box`` two, ``3.14`` one, ``e.g`` one (the final ``.`` is not part of
it), ``=`` none.

Sentences (UAX #29 sentence boundaries, rules SB3-SB11). ICU's root locale has no abbreviation
exceptions, so ``Mr. Smith`` is two sentences in ICU as well.

Known differences from ICU4J, all in scripts that need a dictionary:

* Han ideographs and Hiragana: ICU segments runs with a CJK dictionary into dictionary words; here
  every ideograph / hiragana character is one word, so Chinese and Japanese text counts somewhat
  more words than Elasticsearch (chunks come out smaller).
* Thai, Lao, Khmer, Myanmar and other "complex context" scripts: ICU uses per-language
  dictionaries; here a run of letters is one word (chunks come out larger).
* Character properties come from Unicode 14 with hand-listed tables for the punctuation classes,
  so rare characters may be classified differently from ICU's tables.
* Offsets are Python string indices (code points); ICU's are UTF-16 units. They differ only after
  characters outside the Basic Multilingual Plane (most emoji); see
  :func:`retrievo.inference.chunking.utf16_offset`.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# --------------------------------------------------------------------------- word-break classes

(
    W_OTHER,
    W_CR,
    W_LF,
    W_NEWLINE,
    W_EXTEND,
    W_ZWJ,
    W_RI,
    W_FORMAT,
    W_KATAKANA,
    W_HEBREW,
    W_ALETTER,
    W_SQUOTE,
    W_DQUOTE,
    W_MIDNUMLET,
    W_MIDLETTER,
    W_MIDNUM,
    W_NUMERIC,
    W_EXTENDNUMLET,
    W_WSEGSPACE,
    W_EXTPICT,
    W_IDEOGRAPHIC,
    W_HIRAGANA,
    W_COMPLEX,
) = range(23)

_MIDNUMLET = frozenset(map(chr, (0x2E, 0x2018, 0x2019, 0x2024, 0xFE52, 0xFF07, 0xFF0E)))
# ICU root tailoring: COLON (and its compatibility forms) is not MidLetter.
_MIDLETTER = frozenset(map(chr, (0xB7, 0x387, 0x55F, 0x5F4, 0x2027, 0xFE13)))
_MIDNUM = frozenset(
    map(
        chr,
        (0x2C, 0x3B, 0x37E, 0x589, 0x60C, 0x60D, 0x66C, 0x7F8, 0x2044, 0xFE10, 0xFE14, 0xFE50, 0xFE54, 0xFF0C, 0xFF1B),
    )
)
_NEWLINES = frozenset(map(chr, (0x0B, 0x0C, 0x85, 0x2028, 0x2029)))
_NON_WSEG_SPACES = frozenset(map(chr, (0xA0, 0x2007, 0x202F)))

_KATAKANA_RANGES = (
    (0x30A1, 0x30FA),
    (0x30FC, 0x30FF),
    (0x31F0, 0x31FF),
    (0x32D0, 0x32FE),
    (0x3300, 0x3357),
    (0xFF66, 0xFF9D),
    (0x3031, 0x3035),
    (0x309B, 0x309C),
    (0x30A0, 0x30A0),
    (0x1B000, 0x1B000),
    (0x1AFF0, 0x1AFFE),
    (0x1B120, 0x1B122),
    (0x1B164, 0x1B167),
)
_HIRAGANA_RANGES = ((0x3041, 0x3096), (0x309D, 0x309F), (0x1B001, 0x1B11F), (0x1F200, 0x1F200))
_IDEOGRAPHIC_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
    (0x3005, 0x3007),
    (0x3021, 0x3029),
    (0x3038, 0x303B),
)
_HEBREW_LETTER_RANGES = ((0x5D0, 0x5EA), (0x5EF, 0x5F2), (0xFB1D, 0xFB1D), (0xFB1F, 0xFB28), (0xFB2A, 0xFB4F))
# Line_Break=SA scripts, segmented by dictionaries in ICU.
_COMPLEX_RANGES = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x1950, 0x19DF),
    (0x19E0, 0x19FF),
    (0x1A20, 0x1AAF),
    (0xA9E0, 0xA9FF),
    (0xAA60, 0xAADF),
)
_EXTPICT_RANGES = (
    (0xA9, 0xA9),
    (0xAE, 0xAE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x21AA),
    (0x2300, 0x23FF),
    (0x25AA, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0x1F000, 0x1FAFF),
)


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


@lru_cache(maxsize=65536)
def word_break_class(ch: str) -> int:
    """UAX #29 Word_Break property of one character (with ICU's root tailorings)."""
    cp = ord(ch)
    if ch == "\r":
        return W_CR
    if ch == "\n":
        return W_LF
    if ch in _NEWLINES:
        return W_NEWLINE
    if cp == 0x200D:
        return W_ZWJ
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return W_RI
    if 0x1F3FB <= cp <= 0x1F3FF or cp in (0x200C, 0xFF9E, 0xFF9F):
        return W_EXTEND
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Mc"):
        return W_EXTEND
    if cat == "Cf" and cp != 0x200B:
        return W_FORMAT
    if ch == "'":
        return W_SQUOTE
    if ch == '"':
        return W_DQUOTE
    if ch in _MIDNUMLET:
        return W_MIDNUMLET
    if ch in _MIDLETTER:
        return W_MIDLETTER
    if ch in _MIDNUM:
        return W_MIDNUM
    if cat == "Nd" or cp == 0x66B:
        return W_NUMERIC
    if cat == "Pc" or cp == 0x202F:
        return W_EXTENDNUMLET
    if cat == "Zs" and ch not in _NON_WSEG_SPACES:
        return W_WSEGSPACE
    if _in(cp, _KATAKANA_RANGES):
        return W_KATAKANA
    if _in(cp, _HIRAGANA_RANGES):
        return W_HIRAGANA
    if _in(cp, _IDEOGRAPHIC_RANGES):
        return W_IDEOGRAPHIC
    if cat[0] == "L" or cat == "Nl":
        if _in(cp, _HEBREW_LETTER_RANGES):
            return W_HEBREW
        if _in(cp, _COMPLEX_RANGES):
            return W_COMPLEX
        return W_ALETTER
    if cat == "So" and 0x24B6 <= cp <= 0x24E9:  # circled letters are ALetter
        return W_ALETTER
    if _in(cp, _EXTPICT_RANGES):
        return W_EXTPICT
    return W_OTHER


_IGNORABLE = (W_EXTEND, W_FORMAT, W_ZWJ)
_AHLETTER = (W_ALETTER, W_HEBREW)
_MID_LETTERISH = (W_MIDLETTER, W_MIDNUMLET, W_SQUOTE)
_MID_NUMERISH = (W_MIDNUM, W_MIDNUMLET, W_SQUOTE)
_HARD_BREAKS = (W_CR, W_LF, W_NEWLINE)
_WORD_KINDS = frozenset((W_ALETTER, W_HEBREW, W_NUMERIC, W_KATAKANA, W_HIRAGANA, W_IDEOGRAPHIC, W_COMPLEX))


@dataclass(frozen=True)
class WordBoundaries:
    """Every ICU word boundary of a text and the rule status of the token ending at each.

    ``boundaries`` starts with 0 and ends with ``len(text)``; ``is_word[i]`` says whether the token
    ``text[boundaries[i-1]:boundaries[i]]`` is a word (``is_word[0]`` is always ``False``, as ICU
    reports status 0 at the start of text). This is the state ``BreakIterator.preceding``,
    ``next`` and ``getRuleStatus`` walk in the Java chunkers.
    """

    text_length: int
    boundaries: tuple[int, ...]
    is_word: tuple[bool, ...]

    def preceding_index(self, offset: int) -> int:
        """Index of the last boundary strictly before ``offset`` (ICU ``preceding``), 0 at the start."""
        return max(bisect_left(self.boundaries, offset) - 1, 0)

    def count_words(self, start: int, end: int) -> int:
        """``ChunkerUtils.countWords``: statuses from ``preceding(start)`` through boundaries ``<= end``.

        Note the Java quirk kept here: the token ending at ``preceding(start)`` is counted too, so a
        word directly before ``start`` (no space or punctuation between) is counted twice across
        two neighbouring sentences.
        """
        i = self.preceding_index(start)
        count = 0
        bounds, words = self.boundaries, self.is_word
        while i < len(bounds) and bounds[i] <= end:
            count += words[i]
            i += 1
        return count

    def skip_words(self, start: int, num_words: int) -> int:
        """``SentenceBoundaryChunker.skipWords``: the boundary after counting ``num_words`` statuses."""
        i = self.preceding_index(start)
        count = 0
        bounds, words = self.boundaries, self.is_word
        while i < len(bounds) and count < num_words:
            count += words[i]
            i += 1
        return bounds[i] if i < len(bounds) else self.text_length


# ASCII text needs none of the Unicode machinery: one regex gives the same tokens (tested).
_ASCII_TOKEN = re.compile(
    r"(?P<word>(?:[A-Za-z0-9_]|(?<=[A-Za-z])['.](?=[A-Za-z])|(?<=[0-9])[.,;'](?=[0-9]))+)"
    r"|\r\n| +|[\s\S]"
)


def _token_is_word(token_classes: list[int]) -> bool:
    if any(c in _WORD_KINDS for c in token_classes):
        return True
    # ICU gives a run of two or more connector punctuation marks ("__") letter status.
    return sum(c == W_EXTENDNUMLET for c in token_classes) >= 2


def word_boundaries(text: str) -> WordBoundaries:
    """ICU-style word boundaries of ``text`` with each token's word/non-word status."""
    if text.isascii():
        return _ascii_word_boundaries(text)
    return _unicode_word_boundaries(text)


def _ascii_word_boundaries(text: str) -> WordBoundaries:
    bounds = [0]
    words = [False]
    for m in _ASCII_TOKEN.finditer(text):
        bounds.append(m.end())
        token = m.group("word")
        words.append(token is not None and (any(c.isalnum() for c in token) or len(token) >= 2))
    return WordBoundaries(len(text), tuple(bounds), tuple(words))


def _unicode_word_boundaries(text: str) -> WordBoundaries:
    n = len(text)
    cls = [word_break_class(ch) for ch in text]
    # base[i]: index of the character whose class stands for position i after WB4 (X Extend* -> X).
    base = list(range(n))
    for i in range(1, n):
        if cls[i] in _IGNORABLE and cls[i - 1] not in _HARD_BREAKS:
            base[i] = base[i - 1]

    def eff(i: int) -> int:
        return cls[base[i]] if i >= 0 else -1

    def next_base_class(i: int) -> int:
        j = i + 1
        while j < n and cls[j] in _IGNORABLE:
            j += 1
        return cls[j] if j < n else -1

    bounds = [0]
    words = [False]
    token_start = 0
    # WB15/16 need the number of Regional_Indicator bases in a row ending before position i.
    ri_run = 1 if n and cls[0] == W_RI else 0
    for i in range(1, n + 1):
        if i < n:
            brk = _word_break_between(cls, base, i, eff, next_base_class, ri_run)
            if cls[i] == W_RI:
                ri_run = ri_run + 1 if eff(i - 1) == W_RI else 1
            elif cls[i] not in _IGNORABLE:
                ri_run = 0
        else:
            brk = True
        if brk:
            bounds.append(i)
            words.append(_token_is_word(cls[token_start:i]))
            token_start = i
    return WordBoundaries(n, tuple(bounds), tuple(words))


def _word_break_between(
    cls: list[int],
    base: list[int],
    i: int,
    eff: Callable[[int], int],
    next_base_class: Callable[[int], int],
    ri_run: int,
) -> bool:
    """UAX #29 word-boundary decision between ``text[i-1]`` and ``text[i]``."""
    a_raw, b = cls[i - 1], cls[i]
    if a_raw == W_CR and b == W_LF:  # WB3
        return False
    if a_raw in _HARD_BREAKS or b in _HARD_BREAKS:  # WB3a, WB3b
        return True
    if a_raw == W_ZWJ and b == W_EXTPICT:  # WB3c
        return False
    if a_raw == W_WSEGSPACE and b == W_WSEGSPACE:  # WB3d
        return False
    if b in _IGNORABLE:  # WB4
        return False
    a = eff(i - 1)
    z = eff(base[i - 1] - 1)
    c = next_base_class(i)
    if a in _AHLETTER and b in _AHLETTER:  # WB5
        return False
    if a in _AHLETTER and b in _MID_LETTERISH and c in _AHLETTER:  # WB6
        return False
    if z in _AHLETTER and a in _MID_LETTERISH and b in _AHLETTER:  # WB7
        return False
    if a == W_HEBREW and b == W_SQUOTE:  # WB7a
        return False
    if a == W_HEBREW and b == W_DQUOTE and c == W_HEBREW:  # WB7b
        return False
    if z == W_HEBREW and a == W_DQUOTE and b == W_HEBREW:  # WB7c
        return False
    if a == W_NUMERIC and b == W_NUMERIC:  # WB8
        return False
    if a in _AHLETTER and b == W_NUMERIC:  # WB9
        return False
    if a == W_NUMERIC and b in _AHLETTER:  # WB10
        return False
    if z == W_NUMERIC and a in _MID_NUMERISH and b == W_NUMERIC:  # WB11
        return False
    if a == W_NUMERIC and b in _MID_NUMERISH and c == W_NUMERIC:  # WB12
        return False
    if a == W_KATAKANA and b == W_KATAKANA:  # WB13
        return False
    if a in (W_ALETTER, W_HEBREW, W_NUMERIC, W_KATAKANA, W_EXTENDNUMLET) and b == W_EXTENDNUMLET:
        return False  # WB13a
    if a == W_EXTENDNUMLET and b in (W_ALETTER, W_HEBREW, W_NUMERIC, W_KATAKANA):
        return False  # WB13b
    if a == W_RI and b == W_RI and ri_run % 2 == 1:  # WB15, WB16
        return False
    # ICU keeps a dictionary run (complex-context letters) whole; everything else breaks (WB999).
    return not (a == W_COMPLEX and b == W_COMPLEX)


# --------------------------------------------------------------------------- sentence-break classes

(
    S_OTHER,
    S_CR,
    S_LF,
    S_SEP,
    S_EXTEND,
    S_FORMAT,
    S_SP,
    S_LOWER,
    S_UPPER,
    S_OLETTER,
    S_NUMERIC,
    S_ATERM,
    S_STERM,
    S_SCONTINUE,
    S_CLOSE,
) = range(15)

_ATERMS = frozenset(map(chr, (0x2E, 0x2024, 0xFE52, 0xFF0E)))
_STERMS = frozenset(
    map(
        chr,
        (
            0x21,
            0x3F,
            0x589,
            0x61D,
            0x61E,
            0x61F,
            0x6D4,
            0x700,
            0x701,
            0x702,
            0x7F9,
            0x837,
            0x839,
            0x83D,
            0x83E,
            0x964,
            0x965,
            0x104A,
            0x104B,
            0x1362,
            0x1367,
            0x1368,
            0x166E,
            0x1735,
            0x1736,
            0x1803,
            0x1809,
            0x1944,
            0x1945,
            0x1AA8,
            0x1AA9,
            0x1AAA,
            0x1AAB,
            0x1B5A,
            0x1B5B,
            0x1B5E,
            0x1B5F,
            0x1C3B,
            0x1C3C,
            0x1C7E,
            0x1C7F,
            0x203C,
            0x203D,
            0x2047,
            0x2048,
            0x2049,
            0x2E2E,
            0x2E3C,
            0x3002,
            0xA4FF,
            0xA60E,
            0xA60F,
            0xA6F3,
            0xA6F7,
            0xA876,
            0xA877,
            0xA8CE,
            0xA8CF,
            0xA92F,
            0xA9C8,
            0xA9C9,
            0xAA5D,
            0xAA5E,
            0xAA5F,
            0xAAF0,
            0xAAF1,
            0xABEB,
            0xFE56,
            0xFE57,
            0xFF01,
            0xFF1F,
            0xFF61,
        ),
    )
)
_SCONTINUES = frozenset(
    map(
        chr,
        (
            0x2C,
            0x2D,
            0x3A,
            0x3B,
            0x37E,
            0x55D,
            0x60C,
            0x60D,
            0x7F8,
            0x1802,
            0x1808,
            0x2013,
            0x2014,
            0x3001,
            0xFE10,
            0xFE11,
            0xFE13,
            0xFE31,
            0xFE32,
            0xFE50,
            0xFE51,
            0xFE55,
            0xFE58,
            0xFE63,
            0xFF0C,
            0xFF0D,
            0xFF1A,
            0xFF1B,
            0xFF64,
        ),
    )
)
_QUOTES = frozenset("\"'\u275b\u275c\u275d\u275e\u2e42\u301d\u301e\u301f")
_SEPS = frozenset(map(chr, (0x85, 0x2028, 0x2029)))


@lru_cache(maxsize=65536)
def sentence_break_class(ch: str) -> int:
    """UAX #29 Sentence_Break property of one character."""
    cp = ord(ch)
    if ch == "\r":
        return S_CR
    if ch == "\n":
        return S_LF
    if ch in _SEPS:
        return S_SEP
    if cp in (0x200C, 0x200D, 0xFF9E, 0xFF9F) or 0x1F3FB <= cp <= 0x1F3FF:
        return S_EXTEND
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Mc"):
        return S_EXTEND
    if cat == "Cf" and cp != 0x200B:
        return S_FORMAT
    if ch in "\t\x0b\x0c" or cat == "Zs":
        return S_SP
    if ch in _ATERMS:
        return S_ATERM
    if ch in _STERMS:
        return S_STERM
    if ch in _SCONTINUES:
        return S_SCONTINUE
    if ch.islower():
        return S_LOWER
    if ch.isupper() or cat == "Lt":
        return S_UPPER
    if cat[0] == "L" or cat == "Nl":
        return S_OLETTER
    if cat == "Nd":
        return S_NUMERIC
    if cat in ("Ps", "Pe", "Pi", "Pf") or ch in _QUOTES:
        return S_CLOSE
    return S_OTHER


_PARA_SEPS = (S_CR, S_LF, S_SEP)
_SATERMS = (S_ATERM, S_STERM)
_SB8_STOPPERS = (S_OLETTER, S_UPPER, S_LOWER, S_CR, S_LF, S_SEP, S_ATERM, S_STERM)
_CANDIDATE = re.compile(
    "[\r\n\x85\u2028\u2029.!?\u2024\ufe52\uff0e"
    + "".join(re.escape(c) for c in sorted(_STERMS) if c not in ".!?")
    + "]"
)


def sentence_ends(text: str) -> list[int]:
    """Offsets where ICU's sentence iterator puts boundaries, excluding 0, ending with ``len(text)``.

    Boundaries can only follow a paragraph separator or a terminator (``.`` ``!`` ``?`` ...), so
    only those candidates are examined; everything between them is one sentence (rule SB998).
    """
    n = len(text)
    if n == 0:
        return []
    ends: set[int] = {n}
    for m in _CANDIDATE.finditer(text):
        i = m.start()
        end = _sentence_end_after(text, i)
        if end is not None:
            ends.add(end)
    return sorted(ends)


def _sentence_end_after(text: str, i: int) -> int | None:
    """The boundary caused by the paragraph separator or terminator at ``text[i]``, if any."""
    n = len(text)
    cls = sentence_break_class
    here = cls(text[i])

    def skip_ignorable(j: int) -> int:
        while j < n and cls(text[j]) in (S_EXTEND, S_FORMAT):
            j += 1
        return j

    if here in _PARA_SEPS:  # SB3, SB4
        if here == S_CR and i + 1 < n and text[i + 1] == "\n":
            return None  # the LF makes the break
        return i + 1
    if here not in _SATERMS:
        return None
    j = skip_ignorable(i + 1)
    if j >= n:
        return n
    nxt = cls(text[j])
    if here == S_ATERM:
        if nxt == S_NUMERIC:  # SB6
            return None
        if nxt == S_UPPER and _previous_base_class(text, i) in (S_UPPER, S_LOWER):
            return None  # SB7
    # SATerm Close* Sp*: no break inside (SB9, SB10); the candidate break is after the run.
    while j < n and cls(text[j]) == S_CLOSE:
        j = skip_ignorable(j + 1)
    while j < n and cls(text[j]) == S_SP:
        j = skip_ignorable(j + 1)
    if j >= n:
        return n
    nxt = cls(text[j])
    if nxt in _PARA_SEPS:  # SB9/SB10, then SB4
        return None
    if nxt in (S_SCONTINUE, S_ATERM, S_STERM):  # SB8a
        return None
    if here == S_ATERM:  # SB8
        k = j
        while k < n and cls(text[k]) not in _SB8_STOPPERS:
            k += 1
        if k < n and cls(text[k]) == S_LOWER:
            return None
    return j  # SB11


def _previous_base_class(text: str, i: int) -> int:
    j = i - 1
    while j >= 0 and sentence_break_class(text[j]) in (S_EXTEND, S_FORMAT):
        j -= 1
    return sentence_break_class(text[j]) if j >= 0 else -1
