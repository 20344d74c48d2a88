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
* **Speed**: the automaton runs in a per-character Python loop, so it is the reference, not the
  hot path. ASCII text is tokenized by one precompiled ``re`` pattern equivalent to the grammar
  restricted to ASCII; other text by the same pattern over Unicode sets wherever it contains only
  "simple" classes (letters, digits, connectors, mid punctuation), and the automaton only sees
  the whitespace-delimited runs that contain something else (emoji, CJK, combining marks...).
  Randomized tests check every route against the automaton, and the automaton against Lucene.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import accumulate

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
        c
        for c, feats in enumerate(WB_FEATURES)
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
    plus(
        alt(
            seq(_hebrew_ex, alt(_ex("SingleQuote"), seq(_ex("DoubleQuote"), _hebrew_ex))),
            _number,
            seq(_ahletter_ex, star(seq(alt(star(_extend_num_let_ex), _mid_letter_ex), _ahletter_ex))),
        )
    ),
)
_WORD_RULE = seq(
    star(_extend_num_let_ex),
    _word_core,
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
    [
        _EMOJI_RULE,
        _NUM_RULE,
        _HANGUL_RULE,
        _KATAKANA_RULE,
        _WORD_RULE,
        _SOUTHEAST_ASIAN_RULE,
        _IDEOGRAPHIC_RULE,
        _HIRAGANA_RULE,
    ],
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


class _JFlexBuffer:
    """The scanner buffer of Lucene's JFlex skeleton ("disable buffer expansion" variant).

    Field names follow the generated scanner (zzStartRead, zzCurrentPos, zzMarkedPos, zzEndRead,
    zzFinalHighSurrogate); the input is read like a StringReader serving UTF-16 units.
    """

    __slots__ = ("units", "size", "buf", "reader", "start", "current", "marked", "end", "final_high")

    def __init__(self, units: list[int], size: int) -> None:
        self.units, self.size = units, size
        self.buf = [0] * (size + 1)
        self.reader = self.start = self.current = self.marked = self.end = self.final_high = 0

    def refill(self) -> bool:
        """Returns True when the scanner must act as if the input had ended."""
        if self.start > 0:  # make room: move the current match to the front
            self.end += self.final_high
            self.final_high = 0
            s = self.start
            self.buf[0 : self.end - s] = self.buf[s : self.end]
            self.end -= s
            self.current -= s
            self.marked -= s
            self.start = 0
        requested = self.size - self.end - self.final_high
        if requested == 0:
            return True  # the buffer is full: this is what cuts long tokens
        if self.reader >= len(self.units):
            return True
        n = min(requested, len(self.units) - self.reader)
        self.buf[self.end : self.end + n] = self.units[self.reader : self.reader + n]
        self.reader += n
        self.end += n
        if 0xD800 <= self.buf[self.end - 1] <= 0xDBFF:
            if n == requested:  # keep the high surrogate back for the next refill
                self.end -= 1
                self.final_high = 1
                if n == 1:
                    return True
            elif self.reader >= len(self.units):
                return True  # no low surrogate follows: Lucene gives up on the input here
            else:
                self.buf[self.end] = self.units[self.reader]
                self.reader += 1
                self.end += 1
        return False


def _scan_emulated(text: str, max_token_length: int) -> list[tuple[int, int, str]]:
    raw = text.encode("utf-16-le", "surrogatepass")
    units = [raw[i] | (raw[i + 1] << 8) for i in range(0, len(raw), 2)]
    to_cp: dict[int, int] = {}
    u = 0
    for i, ch in enumerate(text):
        to_cp[u] = i
        u += 2 if ch > "\uffff" else 1
    to_cp[u] = len(text)
    trans, accept = _DFA.trans, _DFA.accept
    b = _JFlexBuffer(units, max_token_length)
    out: list[tuple[int, int, str]] = []
    offset = 0  # yychar: UTF-16 offset of the current match
    while True:
        marked = b.marked
        offset += marked - b.start
        current = b.start = b.current = marked
        state, rule, first, eof = 1, -1, True, False
        while True:
            if current >= b.end:
                b.current, b.marked = current, marked
                eof = b.refill()
                current, marked = b.current, b.marked
                if eof:
                    break
            c = b.buf[current]
            if 0xD800 <= c <= 0xDBFF and current + 1 < b.end and 0xDC00 <= b.buf[current + 1] <= 0xDFFF:
                c = 0x10000 + ((c - 0xD800) << 10) + (b.buf[current + 1] - 0xDC00)
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
        b.marked = marked
        if eof and b.start == b.current:
            return out  # end of input (real or not) before anything was read: the stream ends
        if rule > 0:
            out.append((to_cp[offset], to_cp[offset + marked - b.start], _RULE_TYPES[rule]))


# ------------------------------------------------------------------------------ ASCII fast path
# The grammar restricted to ASCII: letters and digits join directly (WB5, WB8-WB10), '_' joins
# anything (WB13a/b), and one mid character joins two letters ('.', ':', "'") or two digits ('.',
# ',', ';', "'"). Every branch is decided by one character, so the greedy match is the longest
# match. (The mid character is consumed first and its left neighbour checked by a two-character
# lookbehind, which ``re`` runs faster than the other way round.)
_ASCII_TOKEN = re.compile(r"_*[a-z0-9]+(?:(?:_+|[.:'](?<=[a-z].)(?=[a-z])|[.,;'](?<=[0-9].)(?=[0-9]))[a-z0-9]+)*_*")
_ASCII_TOKEN_ANY_CASE = re.compile(
    r"_*[A-Za-z0-9]+(?:(?:_+|[.:'](?<=[A-Za-z].)(?=[A-Za-z])|[.,;'](?<=[0-9].)(?=[0-9]))[A-Za-z0-9]+)*_*"
)
_ASCII_LETTER = re.compile("[A-Za-z]")

Span = tuple[int, int, str]


# ---------------------------------------------------------------- "simple" BMP text fast path
# Most non-ASCII text (accented Latin, Greek, Cyrillic, Arabic, Devanagari letters, ...) only
# contains letters, digits, connector and mid punctuation of the BMP. For those the word/number
# rules have exactly the ASCII shape, so the same regex over the Unicode sets finds the tokens.
# Everything else is "complex": Extend/Format/ZWJ (WB4), emoji, keycaps, Hebrew, CJK, kana,
# Hangul, Southeast Asian scripts, supplementary characters, and the few characters whose
# lowercase falls in another class (matching runs on lowercased text). Whitespace-separated runs
# containing a complex character go to the automaton; the rest stays in C. (BMP-only sets keep
# ``re`` on its bitmap charsets; a set with supplementary ranges is several times slower.)


class _UnicodeFastPath:
    __slots__ = ("token", "letter", "complex_char", "complex_run")

    def __init__(self) -> None:
        from .lowercase import LOWER_TABLE

        by_class: dict[int, list[tuple[int, int]]] = {}
        for first, last, cls in zip(_RANGE_FIRST, _RANGE_LAST, _RANGE_CLASS):
            if first <= 0xFFFF:
                by_class.setdefault(cls, []).append((first, min(last, 0xFFFF)))

        def ids(pred: Callable[[frozenset[str]], bool]) -> set[int]:
            return {c for c, feats in enumerate(WB_FEATURES) if c and pred(frozenset(feats))}

        letter = ids(lambda f: "AHLetter" in f and f <= {"AHLetter", "Han"})  # +Han: U+3005, U+303B
        numeric = ids(lambda f: "Numeric" in f and f <= {"Numeric", "KeyCapBase"})
        enl = ids(lambda f: f == {"ExtendNumLet"})
        mids = {"MidLetter", "MidNumeric", "SingleQuote"}
        mid_letter = ids(lambda f: "MidLetter" in f and f <= mids)
        mid_num = ids(lambda f: "MidNumeric" in f and f <= mids)
        # '"' and '#', '*' only matter next to Hebrew letters / before U+20E3 (both complex)
        inert = ids(lambda f: f in ({"DoubleQuote"}, {"KeyCapBase"}))
        simple = letter | numeric | enl | mid_letter | mid_num | inert
        unsafe = [cp for cp, lo in LOWER_TABLE.items() if cp <= 0xFFFF and char_class(cp) != char_class(lo)]

        def charset(classes: set[int], extra: Iterable[int] = (), astral: bool = False) -> str:
            spans = sorted([r for c in classes for r in by_class.get(c, ())] + [(cp, cp) for cp in extra])
            merged: list[list[int]] = []
            for a, b in spans:
                if merged and merged[-1][1] + 1 >= a:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            body = "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in merged)
            return "[" + body + ("\\U00010000-\\U0010ffff" if astral else "") + "]"

        nonzero = set(range(1, _N_CLASSES))
        L, N, E = charset(letter), charset(numeric), charset(enl)
        core = charset(letter | numeric)
        self.token = re.compile(
            f"{E}*{core}+(?:(?:{E}+|{charset(mid_letter)}(?<={L}.)(?={L})"
            f"|{charset(mid_num)}(?<={N}.)(?={N})){core}+)*{E}*"
        )
        self.letter = re.compile(L)
        complex_set = charset(nonzero - simple, unsafe, astral=True)
        self.complex_char = re.compile(complex_set)
        not_separator = charset(nonzero, unsafe, astral=True)
        self.complex_run = re.compile(f"(?<!{not_separator}){charset(simple)}*+{complex_set}{not_separator}*+")


_UNICODE_FAST: _UnicodeFastPath | None = None


def _unicode_fast() -> _UnicodeFastPath:
    """Built on first use: compiling the Unicode sets takes a few milliseconds."""
    global _UNICODE_FAST
    if _UNICODE_FAST is None:
        _UNICODE_FAST = _UnicodeFastPath()
    return _UNICODE_FAST


def _too_long(terms: list[str], max_token_length: int) -> bool:
    """Whether a regex token would exceed the scanner window (then the automaton must chunk)."""
    if not terms or max(map(len, terms)) * 2 <= max_token_length:
        return False
    return any(len(t.encode("utf-16-le", "surrogatepass")) > 2 * max_token_length for t in terms)


# Any ASCII character but letters, digits and what ``str.split`` splits on (\x1c-\x1f included).
_ASCII_NOT_WORD_OR_SPACE = re.compile("[^A-Za-z0-9 \t\n\r\x0b\x0c\x1c-\x1f]")


def _ascii_terms(text: str, pattern: re.Pattern[str]) -> list[str]:
    """The regex tokens of ASCII ``text``; ``str.split`` when the text is only letters, digits and
    whitespace.

    Then every whitespace-separated word is exactly one token: letters and digits join directly
    (WB5, WB8-WB10) and nothing else is left to join or split them. ``str.split`` does that in C
    several times faster than the regex, and the check stops at the first other character, so text
    with punctuation pays next to nothing before taking the regex.
    """
    if _ASCII_NOT_WORD_OR_SPACE.search(text) is None:
        return text.split()
    return pattern.findall(text)


def fast_terms(text: str, max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH, lower: bool = True) -> list[str]:
    """Token texts (lowercased like LowerCaseFilter when ``lower``); same result as :func:`scan`.

    ASCII text is one ``findall``; other text one ``findall`` per stretch free of complex
    characters, and the automaton only for whitespace-delimited runs that contain one.
    """
    if text.isascii():
        terms = _ascii_terms(text.lower() if lower else text, _ASCII_TOKEN if lower else _ASCII_TOKEN_ANY_CASE)
        if len(text) > max_token_length and _too_long(terms, max_token_length):
            return [_case(text[s:e], lower) for s, e, _ in scan(text, max_token_length)]
        return terms
    if _needs_emulation(text, max_token_length):
        return [_case(text[s:e], lower) for s, e, _ in scan(text, max_token_length)]
    fp = _unicode_fast()
    src = java_lower(text) if lower else text  # one code point for one: spans carry over
    findall = fp.token.findall
    if fp.complex_char.search(text) is None:
        terms = findall(src)
        if _too_long(terms, max_token_length):
            return [src[s:e] for s, e, _ in scan(text, max_token_length)]
        return terms
    out: list[str] = []
    pos = 0
    for m in fp.complex_run.finditer(text):
        a, b = m.span()
        if a > pos:
            terms = findall(src, pos, a)
            if _too_long(terms, max_token_length):
                terms = [src[pos + s : pos + e] for s, e, _ in scan(text[pos:a], max_token_length)]
            out += terms
        out += [src[a + s : a + e] for s, e, _ in scan(text[a:b], max_token_length)]
        pos = b
    if pos < len(text):
        terms = findall(src, pos)
        if _too_long(terms, max_token_length):
            terms = [src[pos + s : pos + e] for s, e, _ in scan(text[pos:], max_token_length)]
        out += terms
    return out


def _case(term: str, lower: bool) -> str:
    return java_lower(term) if lower else term


def _regex_spans(text: str, a: int, b: int, max_token_length: int, ascii_only: bool, out: list[Span]) -> None:
    """Spans of text[a:b] (no complex characters there); types are <NUM> unless a letter occurs."""
    if ascii_only:
        pattern, letter = _ASCII_TOKEN_ANY_CASE, _ASCII_LETTER.search
    else:
        fp = _unicode_fast()
        pattern, letter = fp.token, fp.letter.search
    found: list[Span] = []
    for m in pattern.finditer(text, a, b):
        s, e = m.span()
        if (e - s) * 2 > max_token_length and _too_long([text[s:e]], max_token_length):
            out += [(a + s2, a + e2, t) for s2, e2, t in scan(text[a:b], max_token_length)]
            return
        found.append((s, e, NUM if letter(text, s, e) is None else ALPHANUM))
    out += found


def fast_spans(text: str, max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH) -> list[Span]:
    """Same result as :func:`scan`, by the same routes as :func:`fast_terms`."""
    out: list[Span] = []
    if text.isascii():
        _regex_spans(text, 0, len(text), max_token_length, True, out)
        return out
    if _needs_emulation(text, max_token_length):
        return scan(text, max_token_length)
    fp = _unicode_fast()
    if fp.complex_char.search(text) is None:
        _regex_spans(text, 0, len(text), max_token_length, False, out)
        return out
    pos = 0
    for m in fp.complex_run.finditer(text):
        a, b = m.span()
        if a > pos:
            _regex_spans(text, pos, a, max_token_length, False, out)
        out += [(a + s, a + e, t) for s, e, t in scan(text[a:b], max_token_length)]
        pos = b
    if pos < len(text):
        _regex_spans(text, pos, len(text), max_token_length, False, out)
    return out


def check_max_token_length(value: int) -> int:
    """Validates like ``StandardTokenizer.setMaxTokenLength``."""
    if value < 1:
        raise ValueError("maxTokenLength must be greater than zero")
    if value > MAX_TOKEN_LENGTH_LIMIT:
        raise ValueError(f"maxTokenLength may not exceed {MAX_TOKEN_LENGTH_LIMIT}")
    return value
