"""The token manager of Lucene's classic ``QueryParser`` (``QueryParser.jj``), as a plain function.

JavaCC picks, at each position, the longest token any rule of the current lexical state matches, the
earlier rule winning a tie (``AND`` before ``TERM``, ``PREFIXTERM`` before ``WILDTERM``). The state changes
as tokens are matched — ``^`` enters ``Boost`` (where only a number is a token, and a space is a lexical
error), ``[``/``{`` enter ``Range`` — so the whole text can be tokenised before parsing, which is what
this module does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

WHITESPACE = frozenset(" \t\n\r\u3000")
_NOT_TERM_START = WHITESPACE | frozenset('+-!():^[]"{}~*?\\/')

# token kinds, named as in QueryParser.jj
EOF = "<EOF>"
AND, OR, NOT, PLUS, MINUS, BAREOPER = "AND", "OR", "NOT", "+", "-", "BAREOPER"
LPAREN, RPAREN, COLON, STAR, CARAT = "(", ")", ":", "*", "^"
QUOTED, TERM, FUZZY_SLOP, PREFIXTERM, WILDTERM, REGEXPTERM = (
    "QUOTED",
    "TERM",
    "FUZZY_SLOP",
    "PREFIXTERM",
    "WILDTERM",
    "REGEXPTERM",
)
RANGEIN_START, RANGEEX_START, NUMBER = "[", "{", "NUMBER"
RANGE_TO, RANGEIN_END, RANGEEX_END, RANGE_QUOTED, RANGE_GOOP = "TO", "]", "}", "RANGE_QUOTED", "RANGE_GOOP"


@dataclass(frozen=True)
class Token:
    kind: str
    image: str
    #: The token's first character, counted from 0 (``FastCharStream``'s ``beginColumn``).
    column: int


class LexicalError(Exception):
    """JavaCC's ``TokenMgrError``."""


def _escaped_char_len(s: str, i: int) -> int:
    """Length of one term-start character at ``i`` (an escape is two characters), 0 if none."""
    if i >= len(s):
        return 0
    c = s[i]
    if c == "\\":
        return 2 if i + 1 < len(s) else 0
    return 0 if c in _NOT_TERM_START else 1


def _term_char_len(s: str, i: int) -> int:
    if i < len(s) and s[i] in "-+":
        return 1
    return _escaped_char_len(s, i)


def _term_chars(s: str, i: int, *, wild: bool = False) -> int:
    """How far ``(<_TERM_CHAR>)*`` (with ``*``/``?`` when ``wild``) runs from ``i``."""
    j = i
    while j < len(s):
        if wild and s[j] in "*?":
            j += 1
            continue
        n = _term_char_len(s, j)
        if n == 0:
            break
        j += n
    return j


def _quoted(s: str, i: int) -> int:
    j = i + 1
    while j < len(s):
        if s[j] == '"':
            return j + 1 - i
        if s[j] == "\\":
            if j + 1 >= len(s):
                return 0
            j += 2
            continue
        j += 1
    return 0


def _regexp(s: str, i: int) -> int:
    """``"/" (~["/"] | "\\/")* "/"``: the longest match (an escaped slash may continue the token)."""
    best = 0
    j = i + 1
    while j < len(s):
        if s[j] == "/":
            best = j + 1 - i
            if s[j - 1] == "\\" and j - 1 > i:
                j += 1
                continue
            break
        j += 1
    return best


def _default_token(s: str, i: int) -> tuple[str, int]:
    """The longest DEFAULT-state token at ``i`` (earlier rule on a tie)."""
    candidates: list[tuple[str, int]] = []
    c = s[i]
    if s.startswith("AND", i):
        candidates.append((AND, 3))
    elif s.startswith("&&", i):
        candidates.append((AND, 2))
    if s.startswith("OR", i) or s.startswith("||", i):
        candidates.append((OR, 2))
    if s.startswith("NOT", i):
        candidates.append((NOT, 3))
    elif c == "!":
        candidates.append((NOT, 1))
    if c == "+":
        candidates.append((PLUS, 1))
    if c == "-":
        candidates.append((MINUS, 1))
    if c in "+-!" and i + 1 < len(s) and s[i + 1] in WHITESPACE:
        candidates.append((BAREOPER, 2))
    single = {"(": LPAREN, ")": RPAREN, ":": COLON, "*": STAR, "^": CARAT, "[": RANGEIN_START, "{": RANGEEX_START}
    if c in single:
        candidates.append((single[c], 1))
    if c == '"':
        n = _quoted(s, i)
        if n:
            candidates.append((QUOTED, n))
    start = _escaped_char_len(s, i)
    if start:
        end = _term_chars(s, i + start)
        candidates.append((TERM, end - i))
        if end < len(s) and s[end] == "*":
            candidates.append((PREFIXTERM, end + 1 - i))
    if c == "~":
        candidates.append((FUZZY_SLOP, _term_chars(s, i + 1) - i))
    if c == "*":
        candidates.append((PREFIXTERM, 1))
    if start or c in "*?":
        end = _term_chars(s, i + (start or 1), wild=True)
        candidates.append((WILDTERM, end - i))
    if c == "/":
        n = _regexp(s, i)
        if n:
            candidates.append((REGEXPTERM, n))
    if not candidates:
        if c in '"/' or (c == "\\" and i + 1 == len(s)):  # an unclosed quote, regexp or escape
            raise LexicalError(_lexical_message(s, len(s), s[i:]))
        raise LexicalError(_lexical_message(s, i))
    best = max(n for _, n in candidates)
    kind = next(k for k, n in candidates if n == best)
    return kind, best


def _range_token(s: str, i: int) -> tuple[str, int]:
    c = s[i]
    candidates: list[tuple[str, int]] = []
    if s.startswith("TO", i):
        candidates.append((RANGE_TO, 2))
    if c == "]":
        candidates.append((RANGEIN_END, 1))
    if c == "}":
        candidates.append((RANGEEX_END, 1))
    if c == '"':
        j = i + 1
        while j < len(s):
            if s[j] == '"' and j > i + 1:
                candidates.append((RANGE_QUOTED, j + 1 - i))
                break
            if s[j] == "\\" and j + 1 < len(s) and s[j + 1] == '"':
                j += 2
                continue
            j += 1
    j = i
    while j < len(s) and s[j] not in " ]}":
        j += 1
    if j > i:
        candidates.append((RANGE_GOOP, j - i))
    if not candidates:
        raise LexicalError(_lexical_message(s, i))
    best = max(n for _, n in candidates)
    kind = next(k for k, n in candidates if n == best)
    return kind, best


def _add_escapes(text: str) -> str:
    """JavaCC's ``TokenMgrError.addEscapes``."""
    named = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "'": "\\'", "\\": "\\\\"}
    out = []
    for c in text:
        if c in named:
            out.append(named[c])
        elif ord(c) < 0x20 or ord(c) > 0x7E:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def _lexical_message(s: str, i: int, partial: str = "") -> str:
    """``TokenMgrError.LexicalError``'s words. The token manager reads one character past the one it
    cannot use: at the end of the text that is ``<EOF>`` (column one past the end), reported after what
    the failed token had consumed when that is more than one character."""
    if i >= len(s) - 1:
        after = _add_escapes(partial) if len(partial) > 1 else ""
        return f'Lexical error at line 1, column {len(s) + 1}.  Encountered: <EOF> after : "{after}"'
    return f'Lexical error at line 1, column {i + 1}.  Encountered: "{_add_escapes(s[i])}" ({ord(s[i])}), after : ""'


def tokenize(s: str) -> Iterator[Token]:
    """The tokens of ``s`` one at a time, ending with ``<EOF>``, as the parser asks for them: JavaCC's
    token manager runs on demand, so a syntax error before a lexical one is the one reported. A lexical
    error raises :class:`LexicalError` when the parser reaches it."""
    state = "DEFAULT"
    i = 0
    while True:
        if state != "Boost":
            while i < len(s) and s[i] in WHITESPACE:
                i += 1
        if i >= len(s):
            yield Token(EOF, "", len(s))
            return
        if state == "Boost":
            j = i
            while j < len(s) and s[j].isascii() and s[j].isdigit():
                j += 1
            if j == i:
                raise LexicalError(_lexical_message(s, i))
            if j + 1 < len(s) and s[j] == "." and s[j + 1].isascii() and s[j + 1].isdigit():
                j += 1
                while j < len(s) and s[j].isascii() and s[j].isdigit():
                    j += 1
            yield Token(NUMBER, s[i:j], i)
            state = "DEFAULT"
            i = j
            continue
        kind, n = _range_token(s, i) if state == "Range" else _default_token(s, i)
        yield Token(kind, s[i : i + n], i)
        i += n
        if kind == CARAT:
            state = "Boost"
        elif kind in (RANGEIN_START, RANGEEX_START):
            state = "Range"
        elif kind in (RANGEIN_END, RANGEEX_END):
            state = "DEFAULT"
