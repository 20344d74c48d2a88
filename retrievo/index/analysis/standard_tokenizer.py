"""Lucene 8.8's StandardTokenizer: UAX #29 word breaks (Unicode 9.0) plus UTS #51 emoji sequences.

How it reproduces Lucene:

* **Character classes** come from ``_unicode_tables`` (frozen Unicode 9.0 / emoji 11.0 sets, the
  data Lucene's JFlex scanner was compiled from), not from Python's newer Unicode database.
* **Rules** are the scanner's eight token rules written out below as regular expressions over those
  classes. ``_dfa`` turns them into one automaton with JFlex semantics: at each position take the
  longest match over all rules, ties going to the earlier rule; if nothing matches, drop one code
  point and try again.
* **max_token_length** works the way Lucene's fixed, non-growing scanner buffer does: a match
  starting at ``p`` can only see the next ``max_token_length`` UTF-16 units (one fewer when the
  last one would be the first half of a surrogate pair). A longer word therefore comes out as
  several chunks, and the text after a cut is rescanned from scratch ("x"*255 + "'s" gives the
  chunk and then "s").
* **Speed**: ASCII text is tokenized by one precompiled ``re`` pattern that is equivalent to the
  grammar restricted to ASCII (checked by randomized tests against the automaton). Mixed text is
  split at ASCII whitespace/control characters, which no rule can cross, so only the chunks that
  actually contain non-ASCII characters go through the per-character automaton.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from typing import Callable

from . import _dfa
from ._dfa import alt, opt, plus, seq, star
from ._unicode_tables import WB_FEATURES, WB_RANGES
from .lowercase import java_lower
from .tokens import ALPHANUM, EMOJI, HANGUL, HIRAGANA, IDEOGRAPHIC, KATAKANA, NUM, SOUTHEAST_ASIAN

DEFAULT_MAX_TOKEN_LENGTH = 255
# StandardTokenizer.MAX_TOKEN_LENGTH_LIMIT: the scanner buffer is never made larger than this.
MAX_TOKEN_LENGTH_LIMIT = 1024 * 1024

# --------------------------------------------------------------------------- character classes

_RANGE_FIRST: tuple[int, ...] = WB_RANGES[0::3]
_RANGE_LAST: tuple[int, ...] = WB_RANGES[1::3]
_RANGE_CLASS: tuple[int, ...] = WB_RANGES[2::3]
_N_CLASSES = len(WB_FEATURES)


def char_class(cp: int) -> int:
    """Word-break class of one code point (0 = in none of the grammar's sets)."""
    i = bisect_right(_RANGE_FIRST, cp) - 1
    if i >= 0 and cp <= _RANGE_LAST[i]:
        return _RANGE_CLASS[i]
    return 0


class _ClassTable(dict[int, str]):
    """``str.translate`` table code point -> class (as a one-char string), filled on demand.

    A lazily filled dict keeps import cheap and makes each distinct character cost one bisect,
    ever; ``str.translate`` then maps whole strings in C.
    """

    def __missing__(self, cp: int) -> str:
        value = chr(char_class(cp))
        self[cp] = value
        return value


_CLASS_TABLE = _ClassTable()
for _cp in range(256):
    _CLASS_TABLE[_cp]


def _classes(*features: str, without: tuple[str, ...] = ()) -> _dfa.Sym:
    """The symbol 'any class that is in one of ``features`` and in none of ``without``'."""
    chosen = frozenset(
        c for c, feats in enumerate(WB_FEATURES)
        if any(f in feats for f in features) and not any(w in feats for w in without)
    )
    if not chosen:
        raise AssertionError(f"no character class has {features}")
    return _dfa.Sym(chosen)


# ------------------------------------------------------------------------------------- grammar
# Names follow the macros of Lucene's StandardTokenizerImpl.jflex so the two can be compared.

_ext_fmt_zwj = star(_classes("ExtFmtZwj"))  # UAX#29 WB4: X (Extend | Format | ZWJ)* -> X


def _ex(*features: str) -> _dfa.Node:
    return seq(_classes(*features), _ext_fmt_zwj)


# Emoji sequences must not swallow the presentation selectors, which the rules place explicitly.
_ext_sans_pres = star(_classes("ExtFmtZwj", without=("TextPresSel", "EmojiPresSel")))
_zwj = _classes("ZWJ")
_emoji_pres_sel = _classes("EmojiPresSel")
_emoji_char_ex = seq(_classes("EmojiChar"), _ext_sans_pres)
_modifier_base_ex = seq(_classes("EmojiModifierBase"), _ext_sans_pres)
_modifier_ex = seq(_classes("EmojiModifier"), _ext_sans_pres)
_emoji_element = alt(
    seq(star(_zwj), _emoji_char_ex, opt(_emoji_pres_sel)),
    seq(opt(seq(star(_zwj), _modifier_base_ex)), _modifier_ex),
)
_EMOJI_RULE = alt(
    seq(_emoji_element, alt(star(seq(_zwj, _emoji_element)), seq(plus(_classes("TagSpec")), _classes("TagTerm")))),
    seq(_classes("KeyCapBase"), _ext_sans_pres, opt(_emoji_pres_sel), _classes("KeyCap"), _ext_sans_pres),
    seq(_ex("RegionalIndicator"), _ex("RegionalIndicator")),
)

_ahletter_ex = _ex("AHLetter")
_hebrew_ex = _ex("HebrewLetter")
_numeric_ex = _ex("Numeric")
_katakana_ex = _ex("Katakana")
_extend_num_let_ex = _ex("ExtendNumLet")
_mid_letter_ex = _ex("MidLetter")  # MidLetter | MidNumLet | Single_Quote
_mid_numeric_ex = _ex("MidNumeric")  # MidNum | MidNumLet | Single_Quote

# WB8, WB11, WB12, WB13a, WB13b
_number = seq(_numeric_ex, star(seq(alt(star(_extend_num_let_ex), _mid_numeric_ex), _numeric_ex)))
_NUM_RULE = seq(star(_extend_num_let_ex), _number, star(_extend_num_let_ex))
_HANGUL_RULE = plus(_ex("Hangul"))
_KATAKANA_RULE = plus(_katakana_ex)

# WB5-WB7c, WB9, WB10, WB13, WB13a, WB13b
_word_core = alt(
    seq(_katakana_ex, star(seq(star(_extend_num_let_ex), _katakana_ex))),
    plus(alt(
        seq(_hebrew_ex, alt(_ex("SingleQuote"), seq(_ex("DoubleQuote"), _hebrew_ex))),
        _number,
        seq(_ahletter_ex, star(seq(alt(star(_extend_num_let_ex), _mid_letter_ex), _ahletter_ex))),
    )),
)
_WORD_RULE = seq(
    star(_extend_num_let_ex), _word_core,
    star(seq(plus(_extend_num_let_ex), _word_core)),
    star(_extend_num_let_ex),
)
_SOUTHEAST_ASIAN_RULE = plus(_ex("ComplexContext"))
_IDEOGRAPHIC_RULE = _ex("Han")
_HIRAGANA_RULE = _ex("Hiragana")

# Rule order matters: equally long matches go to the earlier rule (JFlex), e.g. "1\u20e3" is an
# emoji although the word rule matches it too, and a run of digits is <NUM>, not <ALPHANUM>.
_RULE_TYPES: tuple[str, ...] = ("", EMOJI, NUM, HANGUL, KATAKANA, ALPHANUM, SOUTHEAST_ASIAN, IDEOGRAPHIC, HIRAGANA)
_DFA = _dfa.compile_rules(
    [_EMOJI_RULE, _NUM_RULE, _HANGUL_RULE, _KATAKANA_RULE, _WORD_RULE,
     _SOUTHEAST_ASIAN_RULE, _IDEOGRAPHIC_RULE, _HIRAGANA_RULE],
    _N_CLASSES,
)
# Skips, in C, every character that cannot begin any rule (spaces, punctuation, ...).
_TOKEN_START = re.compile(b"[" + b"".join(re.escape(bytes([c])) for c in sorted(_DFA.start_classes)) + b"]")


def _utf16_prefix(text: str) -> list[int]:
    """``units[i]`` = UTF-16 length of ``text[:i]``; only needed when astral characters occur."""
    return list(accumulate((2 if ch > "\uffff" else 1 for ch in text), initial=0))


def scan(text: str, max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH) -> list[tuple[int, int, str]]:
    """``(start, end, type)`` for every token, offsets in code points. The reference path."""
    n = len(text)
    if not n:
        return []
    if _needs_emulation(text, max_token_length):
        return _scan_emulated(text, max_token_length)
    classes = text.translate(_CLASS_TABLE).encode("latin-1")
    units = _utf16_prefix(text) if not text.isascii() and max(text) > "\uffff" else None
    trans, accept = _DFA.trans, _DFA.accept
    search = _TOKEN_START.search
    out: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        m = search(classes, pos)
        if m is None:
            return out
        start = m.start()
        if units is None:
            limit = min(start + max_token_length, n)
        else:
            limit = bisect_right(units, units[start] + max_token_length, start) - 1
        state, i, end, rule = 1, start, 0, 0
        while i < limit:
            state = trans[state][classes[i]]
            if not state:
                break
            i += 1
            if accept[state]:
                end, rule = i, accept[state]
        if rule:
            out.append((start, end, _RULE_TYPES[rule]))
            pos = end
        else:
            pos = start + 1


# ------------------------------------------------------------------- exact buffer emulation
# Two inputs make Lucene's fixed-size scanner buffer do more than "cut long tokens": a lone high
# surrogate at the end of a read ends the whole token stream early (Lucene's refill treats a
# failed attempt to complete the pair as end of input), and with max_token_length 1 a
# supplementary character can never be loaded, which also stops the scanner for good. For those
# rare inputs the scanner below replays the buffer bookkeeping of Lucene's JFlex skeleton unit by
# unit; everything else uses the equivalent and much cheaper window rule in ``scan``.

_HIGH_SURROGATE = re.compile("[\ud800-\udbff]")


def _needs_emulation(text: str, max_token_length: int) -> bool:
    if text.isascii():
        return False
    if _HIGH_SURROGATE.search(text):
        return True
    return max_token_length == 1 and max(text) > "\uffff"


def _scan_emulated(text: str, max_token_length: int) -> list[tuple[int, int, str]]:
    raw = text.encode("utf-16-le", "surrogatepass")
    units = [raw[i] | (raw[i + 1] << 8) for i in range(0, len(raw), 2)]
    to_cp: dict[int, int] = {}
    u = 0
    for i, ch in enumerate(text):
        to_cp[u] = i
        u += 2 if ch > "\uffff" else 1
    to_cp[u] = len(text)
    total = len(units)
    size = max_token_length
    buf = [0] * (size + 1)
    trans, accept = _DFA.trans, _DFA.accept
    # scanner fields, named after the skeleton's (zzStartRead, zzCurrentPos, ...)
    st = {"start": 0, "current": 0, "marked": 0, "end": 0, "fhs": 0, "reader": 0}

    def read(off: int, n: int) -> int:
        r = st["reader"]
        if r >= total:
            return -1
        k = min(n, total - r)
        buf[off:off + k] = units[r:r + k]
        st["reader"] = r + k
        return k

    def refill() -> bool:
        """Lucene's non-expanding zzRefill; True means 'treat as end of input'."""
        if st["start"] > 0:
            st["end"] += st["fhs"]
            st["fhs"] = 0
            s, e = st["start"], st["end"]
            buf[0:e - s] = buf[s:e]
            st["end"] -= s
            st["current"] -= s
            st["marked"] -= s
            st["start"] = 0
        requested = size - st["end"] - st["fhs"]
        if requested == 0:
            return True
        n = read(st["end"], requested)
        if n < 0:
            return True
        st["end"] += n
        if 0xD800 <= buf[st["end"] - 1] <= 0xDBFF:
            if n == requested:
                st["end"] -= 1
                st["fhs"] = 1
                if n == 1:
                    return True
            else:
                if st["reader"] >= total:
                    return True
                buf[st["end"]] = units[st["reader"]]
                st["reader"] += 1
                st["end"] += 1
        return False

    out: list[tuple[int, int, str]] = []
    yychar = 0
    while True:
        marked = st["marked"]
        yychar += marked - st["start"]
        current = st["start"] = st["current"] = marked
        state, rule, first = 1, -1, True
        eof = False
        while True:
            if current >= st["end"]:
                st["current"], st["marked"] = current, marked
                eof = refill()
                current, marked = st["current"], st["marked"]
                if eof:
                    break
            c = buf[current]
            if 0xD800 <= c <= 0xDBFF and current + 1 < st["end"] and 0xDC00 <= buf[current + 1] <= 0xDFFF:
                c = 0x10000 + ((c - 0xD800) << 10) + (buf[current + 1] - 0xDC00)
                current += 2
            else:
                current += 1
            if first:  # the catch-all rule: any one code point
                marked, rule, first = current, 0, False
            state = trans[state][char_class(c)] if state else 0
            if not state:
                break
            if accept[state]:
                marked, rule = current, accept[state]
        st["marked"] = marked
        if eof and st["start"] == st["current"]:
            return out
        if rule > 0:
            begin = yychar
            out.append((to_cp[begin], to_cp[begin + marked - st["start"]], _RULE_TYPES[rule]))


# ------------------------------------------------------------------------------ ASCII fast path
# The grammar restricted to ASCII, on lowercased text: letters and digits join directly (WB5,
# WB8-WB10), '_' joins anything (WB13a/b), and a single mid character joins two letters
# ('.', ':', "'") or two digits ('.', ',', ';', "'"). Every branch is decided by one character, so
# the greedy match is the longest match.
# (The mid character is consumed first and its left neighbour checked by a two-character
# lookbehind, which the ``re`` engine runs noticeably faster than a lookbehind before it.)
_ASCII_TOKEN = re.compile(
    r"_*[a-z0-9]+(?:(?:_+|[.:'](?<=[a-z].)(?=[a-z])|[.,;'](?<=[0-9].)(?=[0-9]))[a-z0-9]+)*_*"
)
_ASCII_TOKEN_ANY_CASE = re.compile(
    r"_*[A-Za-z0-9]+(?:(?:_+|[.:'](?<=[A-Za-z].)(?=[A-Za-z])|[.,;'](?<=[0-9].)(?=[0-9]))[A-Za-z0-9]+)*_*"
)
_lower_findall: Callable[[str], list[str]] = _ASCII_TOKEN.findall
_any_case_findall: Callable[[str], list[str]] = _ASCII_TOKEN_ANY_CASE.findall
# Maximal runs that contain a non-ASCII character, bounded by ASCII whitespace/controls (no rule
# can join across those, so each run tokenizes independently of its neighbours).
_NON_ASCII_RUN = re.compile(r"[^\x00-\x20\x7f]*[^\x00-\x7f][^\x00-\x20\x7f]*")


def _ascii_terms(region: str, max_token_length: int, lower: bool) -> list[str]:
    terms = _lower_findall(region.lower()) if lower else _any_case_findall(region)
    if len(region) > max_token_length and terms and max(map(len, terms)) > max_token_length:
        # a token longer than the window: let the automaton do Lucene's chunking
        return [_case(region[s:e], lower) for s, e, _ in scan(region, max_token_length)]
    return terms


def _case(term: str, lower: bool) -> str:
    return java_lower(term) if lower else term


def fast_terms(text: str, max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH, lower: bool = True) -> list[str]:
    """Token texts (lowercased like LowerCaseFilter when ``lower``), same as :func:`scan` but fast.

    Pure-ASCII stretches go through the regex; only whitespace-delimited runs containing a
    non-ASCII character pay for the automaton.
    """
    if text.isascii():
        return _ascii_terms(text, max_token_length, lower)
    if _needs_emulation(text, max_token_length):
        return [_case(text[s:e], lower) for s, e, _ in scan(text, max_token_length)]
    out: list[str] = []
    pos = 0
    for m in _NON_ASCII_RUN.finditer(text):
        a, b = m.span()
        if a > pos:
            out += _ascii_terms(text[pos:a], max_token_length, lower)
        run = text[a:b]
        out += [_case(run[s:e], lower) for s, e, _ in scan(run, max_token_length)]
        pos = b
    if pos < len(text):
        out += _ascii_terms(text[pos:], max_token_length, lower)
    return out


def check_max_token_length(value: int) -> int:
    """Validates like ``StandardTokenizer.setMaxTokenLength``."""
    if value < 1:
        raise ValueError("maxTokenLength must be greater than zero")
    if value > MAX_TOKEN_LENGTH_LIMIT:
        raise ValueError(f"maxTokenLength may not exceed {MAX_TOKEN_LENGTH_LIMIT}")
    return value
