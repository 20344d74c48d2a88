"""The languages of Lucene's multi-term queries: ``RegExp`` syntax, wildcard patterns, edit distances.

Lucene compiles a regexp or wildcard pattern to an automaton over code points and intersects it with the
term dictionary. retrievo parses the same syntax into a small expression tree and matches each term of
the dictionary against it: with Python's ``re`` (in C) when the expression is a plain regular
expression, and with Brzozowski derivatives — a lazily built DFA shared by all terms — when it uses
Lucene's complement (``~``) or intersection (``&``), which ``re`` cannot express. Edit distances for
fuzzy queries are computed for all candidate terms at once with numpy (the dynamic programme runs over
rows of a padded code-point matrix), which gives what Lucene's Levenshtein automata accept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

# ----------------------------------------------------------------------------------- RegExp flags

#: Lucene 10 ``RegExp`` syntax flags as Elasticsearch 9 passes them (``RegexpFlag``): ``ALL`` is
#: Lucene's ``0xff`` plus ``DEPRECATED_COMPLEMENT`` (``~``, which Lucene 10 keeps behind that bit only).
INTERSECTION = 0x0001
EMPTY = 0x0004
ANYSTRING = 0x0008
AUTOMATON = 0x0010
INTERVAL = 0x0020
LUCENE_ALL = 0x00FF
COMPLEMENT = 0x10000
ALL = LUCENE_ALL | COMPLEMENT
NONE = 0


def sanitise_flags(flags: int) -> int:
    """``RegexpQueryBuilder.doToQuery``: only Lucene's bits and the deprecated complement bit count."""
    return flags & (LUCENE_ALL | (flags & COMPLEMENT))


FLAG_VALUES = {
    "INTERSECTION": INTERSECTION,
    "COMPLEMENT": COMPLEMENT,
    "EMPTY": EMPTY,
    "ANYSTRING": ANYSTRING,
    "INTERVAL": INTERVAL,
    "NONE": NONE,
    "ALL": ALL,
}

MAX_CODE_POINT = 0x10FFFF


class RegexpSyntaxError(ValueError):
    """Lucene's ``IllegalArgumentException`` for a malformed expression (its words)."""


# ----------------------------------------------------------------------------------- expressions
# Expressions are nested tuples (hashable, so derivatives memoise): ("empty",) no string, ("eps",) the
# empty string, ("set", ranges) one code point in sorted (lo, hi) ranges, ("cat", a, b), ("or", a, b),
# ("and", a, b), ("not", a), ("star", a), ("rep", a, lo, hi) with hi -1 for unbounded.

Expr = tuple
EMPTY_LANG: Expr = ("empty",)
EPS: Expr = ("eps",)
ANY_CHAR: Expr = ("set", ((0, MAX_CODE_POINT),))
ANY_STRING: Expr = ("star", ANY_CHAR)


def _char(c: int, case_insensitive: bool) -> Expr:
    if case_insensitive and c < 128 and chr(c).isalpha():
        lo, up = ord(chr(c).lower()), ord(chr(c).upper())
        return ("set", tuple(sorted({(lo, lo), (up, up)})))
    return ("set", ((c, c),))


def _string(s: str, case_insensitive: bool) -> Expr:
    return _cat_all(tuple(_char(ord(ch), case_insensitive) for ch in s))


def _cat(a: Expr, b: Expr) -> Expr:
    """Concatenation, kept flat (``("cat", x1, ..., xn)``): long literals must not nest deeply."""
    if a == EMPTY_LANG or b == EMPTY_LANG:
        return EMPTY_LANG
    if a == EPS:
        return b
    if b == EPS:
        return a
    return ("cat",) + _flat("cat", a) + _flat("cat", b)


def _cat_all(items: tuple[Expr, ...]) -> Expr:
    if any(i == EMPTY_LANG for i in items):
        return EMPTY_LANG
    flat: list[Expr] = []
    for i in items:
        if i != EPS:
            flat.extend(_flat("cat", i))
    if not flat:
        return EPS
    return flat[0] if len(flat) == 1 else ("cat",) + tuple(flat)


def _union(a: Expr, b: Expr) -> Expr:
    if a == EMPTY_LANG:
        return b
    if b == EMPTY_LANG or a == b:
        return a
    if a[0] == "set" and b[0] == "set":
        return ("set", _merge_ranges(a[1] + b[1]))
    return ("or",) + tuple(sorted({*_flat("or", a), *_flat("or", b)}, key=repr))


def _inter(a: Expr, b: Expr) -> Expr:
    if a == EMPTY_LANG or b == EMPTY_LANG:
        return EMPTY_LANG
    if a == b:
        return a
    return ("and",) + tuple(sorted({*_flat("and", a), *_flat("and", b)}, key=repr))


def _flat(op: str, e: Expr) -> tuple[Expr, ...]:
    return e[1:] if e[0] == op else (e,)


def _not(a: Expr) -> Expr:
    return a[1] if a[0] == "not" else ("not", a)


def _star(a: Expr) -> Expr:
    if a in (EPS, EMPTY_LANG):
        return EPS
    return a if a[0] == "star" else ("star", a)


def _merge_ranges(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _complement_ranges(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    out, nxt = [], 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CODE_POINT:
        out.append((nxt, MAX_CODE_POINT))
    return tuple(out)


# ------------------------------------------------------------------------------------ the parser


class _Parser:
    """Lucene ``RegExp``'s recursive descent (``parseUnionExp`` ... ``parseCharExp``), same precedence,
    same flags and the same error messages."""

    def __init__(self, text: str, flags: int, case_insensitive: bool) -> None:
        self.s = [ord(c) for c in text]
        self.text = text
        self.pos = 0
        self.flags = flags
        self.ci = case_insensitive

    def check(self, flag: int) -> bool:
        return bool(self.flags & flag)

    def more(self) -> bool:
        return self.pos < len(self.s)

    def peek(self, chars: str) -> bool:
        return self.more() and chr(self.s[self.pos]) in chars

    def match(self, c: str) -> bool:
        if self.more() and self.s[self.pos] == ord(c):
            self.pos += 1
            return True
        return False

    def next(self) -> int:
        if not self.more():
            raise RegexpSyntaxError("unexpected end-of-string")
        c = self.s[self.pos]
        self.pos += 1
        return c

    def parse(self) -> Expr:
        if not self.s:  # RegExp's constructor: the empty expression is the empty string
            return EPS
        e = self.union()
        if self.pos < len(self.s):
            raise RegexpSyntaxError(f"end-of-string expected at position {self.pos}")
        return e

    def union(self) -> Expr:
        e = self.inter()
        if self.match("|"):
            e = _union(e, self.union())
        return e

    def inter(self) -> Expr:
        e = self.concat()
        if self.check(INTERSECTION) and self.match("&"):
            e = _inter(e, self.inter())
        return e

    def concat(self) -> Expr:
        parts = [self.repeat()]  # Lucene recurses to the right; a loop gives the same concatenation
        while self.more() and not self.peek(")|") and (not self.check(INTERSECTION) or not self.peek("&")):
            parts.append(self.repeat())
        return _cat_all(tuple(parts))

    def repeat(self) -> Expr:
        e = self.compl()
        while self.peek("?*+{"):
            if self.match("?"):
                e = ("rep", e, 0, 1)
            elif self.match("*"):
                e = ("rep", e, 0, -1)
            elif self.match("+"):
                e = ("rep", e, 1, -1)
            elif self.match("{"):
                start = self.pos
                while self.peek("0123456789"):
                    self.next()
                if start == self.pos:
                    raise RegexpSyntaxError(f"integer expected at position {self.pos}")
                n = int(self.text[start : self.pos])
                m = -1
                if self.match(","):
                    start = self.pos
                    while self.peek("0123456789"):
                        self.next()
                    if start != self.pos:
                        m = int(self.text[start : self.pos])
                else:
                    m = n
                if not self.match("}"):
                    raise RegexpSyntaxError(f"expected '}}' at position {self.pos}")
                e = ("rep", e, n, m) if m == -1 or n <= m else EMPTY_LANG
        return e

    def compl(self) -> Expr:
        if self.check(COMPLEMENT) and self.match("~"):
            return _not(self.compl())
        return self.char_class()

    def char_class(self) -> Expr:
        if self.match("["):
            negate = self.match("^")
            e = self.char_classes()
            if negate:
                e = ("set", _complement_ranges(e[1]))
            if not self.match("]"):
                raise RegexpSyntaxError(f"expected ']' at position {self.pos}")
            return e
        return self.simple()

    def char_classes(self) -> Expr:
        e = self.one_class()
        while self.more() and not self.peek("]"):
            e = _union(e, self.one_class())
        return e

    def predefined(self) -> Expr | None:
        """Lucene 10's ``\\d \\D \\s \\S \\w \\W`` (Java's predefined classes, ASCII)."""
        if self.pos + 1 < len(self.s) and self.s[self.pos] == 92 and chr(self.s[self.pos + 1]) in "dDsSwW":
            kind = chr(self.s[self.pos + 1])
            self.pos += 2
            ranges = _PREDEFINED[kind.lower()]
            return ("set", _complement_ranges(ranges) if kind.isupper() else ranges)
        return None

    def one_class(self) -> Expr:
        pre = self.predefined()
        if pre is not None:
            return pre
        c = self.char_exp()
        if self.match("-"):
            to = self.char_exp()
            if c > to:
                raise RegexpSyntaxError(f"invalid range: from ({c}) cannot be > to ({to})")
            return ("set", ((c, to),))
        return _char(c, self.ci)

    def simple(self) -> Expr:
        if self.match("."):
            return ANY_CHAR
        if self.check(EMPTY) and self.match("#"):
            return EMPTY_LANG
        if self.check(ANYSTRING) and self.match("@"):
            return ANY_STRING
        if self.match('"'):
            start = self.pos
            while self.more() and not self.peek('"'):
                self.next()
            if not self.match('"'):
                raise RegexpSyntaxError(f"expected '\"' at position {self.pos}")
            return _string(self.text[start : self.pos - 1], self.ci)
        if self.match("("):
            if self.match(")"):
                return EPS
            e = self.union()
            if not self.match(")"):
                raise RegexpSyntaxError(f"expected ')' at position {self.pos}")
            return e
        if (self.check(AUTOMATON) or self.check(INTERVAL)) and self.match("<"):
            start = self.pos
            while self.more() and not self.peek(">"):
                self.next()
            if not self.match(">"):
                raise RegexpSyntaxError(f"expected '>' at position {self.pos}")
            body = self.text[start : self.pos - 1]
            i = body.find("-")
            if i == -1:
                if not self.check(AUTOMATON):
                    raise RegexpSyntaxError(f"interval syntax error at position {self.pos - 1}")
                raise RegexpSyntaxError(f"'{body}' not found")
            if not self.check(INTERVAL):
                raise RegexpSyntaxError(f"illegal identifier at position {self.pos - 1}")
            try:
                if i == 0 or i == len(body) - 1 or i != body.rfind("-"):
                    raise ValueError
                smin, smax = body[:i], body[i + 1 :]
                lo, hi = _java_int(smin), _java_int(smax)
            except ValueError:
                raise RegexpSyntaxError(f"interval syntax error at position {self.pos - 1}") from None
            digits = len(smin) if len(smin) == len(smax) else 0
            if lo > hi:
                lo, hi = hi, lo
            return decimal_interval(lo, hi, digits)
        pre = self.predefined()
        if pre is not None:
            return pre
        return _char(self.char_exp(), self.ci)

    def char_exp(self) -> int:
        self.match("\\")
        return self.next()


_PREDEFINED: dict[str, tuple[tuple[int, int], ...]] = {
    "d": ((48, 57),),
    "s": _merge_ranges([(9, 10), (13, 13), (32, 32)]),
    "w": _merge_ranges([(48, 57), (65, 90), (95, 95), (97, 122)]),
}


def _java_int(text: str) -> int:
    if not text or not all(c in "0123456789" for c in text.lstrip("+-")) or text in "+-":
        raise ValueError(text)
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise ValueError(text)
    return value


def _digit_range(lo: str, hi: str) -> Expr:
    """Fixed-width decimal strings from ``lo`` to ``hi`` (same length), digit by digit."""
    if not lo:
        return EPS
    if lo[0] == hi[0]:
        return _cat(_char(ord(lo[0]), False), _digit_range(lo[1:], hi[1:]))
    rest = len(lo) - 1
    any_digits: Expr = EPS
    for _ in range(rest):
        any_digits = _cat(any_digits, ("set", ((48, 57),)))
    out = _cat(_char(ord(lo[0]), False), _digit_range(lo[1:], "9" * rest))
    if ord(hi[0]) - ord(lo[0]) > 1:
        out = _union(out, _cat(("set", ((ord(lo[0]) + 1, ord(hi[0]) - 1),)), any_digits))
    return _union(out, _cat(_char(ord(hi[0]), False), _digit_range("0" * rest, hi[1:])))


def decimal_interval(lo: int, hi: int, digits: int) -> Expr:
    """Lucene's ``Automata.makeDecimalInterval``: numbers in [lo, hi]; exactly ``digits`` digits when
    ``digits`` > 0 (zero-padded), otherwise any number of leading zeros."""
    if digits > 0:
        if len(str(hi)) > digits:
            raise RegexpSyntaxError(f"interval {lo}-{hi} does not fit in {digits} digits")
        return _digit_range(str(lo).zfill(digits), str(hi).zfill(digits))
    out: Expr = EMPTY_LANG
    for width in range(len(str(lo)), len(str(hi)) + 1):
        a = max(lo, 10 ** (width - 1) if width > 1 else 0)
        b = min(hi, 10**width - 1)
        if a <= b:
            out = _union(out, _digit_range(str(a).zfill(width), str(b).zfill(width)))
    return _cat(("rep", ("set", ((48, 48),)), 0, -1), out)


def parse_regexp(text: str, flags: int = ALL, case_insensitive: bool = False) -> Expr:
    """A Lucene ``RegExp`` (syntax ``flags``) as an expression; :class:`RegexpSyntaxError` if malformed."""
    return _Parser(text, flags, case_insensitive).parse()


def wildcard_expr(pattern: str, case_insensitive: bool = False) -> Expr:
    """Lucene's ``WildcardQuery.toAutomaton``: ``*`` any string, ``?`` any code point, ``\\`` escapes
    the next code point (a trailing one is itself)."""
    parts: list[Expr] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            parts.append(ANY_STRING)
        elif ch == "?":
            parts.append(ANY_CHAR)
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            parts.append(_char(ord(pattern[i]), case_insensitive))
        else:
            parts.append(_char(ord(ch), case_insensitive))
        i += 1
    return _cat_all(tuple(parts))


# ------------------------------------------------------------------------------------- matching


def _has_boolean_ops(e: Expr) -> bool:
    if e[0] in ("and", "not"):
        return True
    return any(_has_boolean_ops(c) for c in e[1:] if isinstance(c, tuple))


def _re_char(c: int) -> str:
    return f"\\U{c:08x}"


def _atom(e: Expr, lines: bool) -> str | None:
    """``e`` as one regex atom when it is a single character or class (no group needed). With
    ``lines``, no atom matches a newline (the terms are matched as the lines of one text)."""
    if e[0] != "set":
        return None
    ranges = e[1]
    if lines:
        ranges = tuple(r for lo, hi in ranges for r in ((lo, min(hi, 9)), (max(lo, 11), hi)) if r[0] <= r[1])
        if not ranges:
            return "(?!)"
    if ranges == ((0, MAX_CODE_POINT),):
        return "."
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return re.escape(chr(ranges[0][0]))
    body = "".join(_re_char(lo) if lo == hi else f"{_re_char(lo)}-{_re_char(hi)}" for lo, hi in ranges)
    return f"[{body}]"


def _group(e: Expr, lines: bool) -> str:
    atom = _atom(e, lines)
    return atom if atom is not None else f"(?:{to_python_regex(e, lines)})"


def to_python_regex(e: Expr, lines: bool = False) -> str:
    """The expression in Python ``re`` syntax (only for expressions without ``and``/``not``); ``lines``:
    no part of it matches a newline."""
    kind = e[0]
    if kind == "empty":
        return "(?!)"
    if kind == "eps":
        return ""
    if kind == "set":
        return _group(e, lines)
    if kind == "cat":
        return "".join(_group(c, lines) if c[0] == "or" else to_python_regex(c, lines) for c in e[1:])
    if kind == "or":
        return "|".join(to_python_regex(c, lines) for c in e[1:])
    if kind == "star":
        return _group(e[1], lines) + "*"
    if kind == "rep":
        lo, hi = e[2], e[3]
        inner = _group(e[1], lines)
        if (lo, hi) == (0, -1):
            return inner + "*"
        if (lo, hi) == (1, -1):
            return inner + "+"
        if (lo, hi) == (0, 1):
            return inner + "?"
        return inner + (f"{{{lo},}}" if hi == -1 else f"{{{lo},{hi}}}")
    raise ValueError(kind)  # pragma: no cover - and/not go to the derivative matcher


def _nullable(e: Expr) -> bool:
    kind = e[0]
    if kind in ("eps", "star"):
        return True
    if kind in ("empty", "set"):
        return False
    if kind == "cat":
        return all(_nullable(c) for c in e[1:])
    if kind == "or":
        return any(_nullable(c) for c in e[1:])
    if kind == "and":
        return all(_nullable(c) for c in e[1:])
    if kind == "not":
        return not _nullable(e[1])
    if kind == "rep":
        return e[2] == 0 or _nullable(e[1])
    raise ValueError(kind)  # pragma: no cover


def _in_set(ranges: tuple[tuple[int, int], ...], c: int) -> bool:
    return any(lo <= c <= hi for lo, hi in ranges)


class DerivativeMatcher:
    """Brzozowski derivatives with a shared transition cache: a DFA built lazily as terms need it.

    ``states`` counts the distinct expressions reached: the size of the part of the DFA explored."""

    def __init__(self, e: Expr) -> None:
        self.start = e
        self.cache: dict[tuple[Expr, int], Expr] = {}
        self.null_cache: dict[Expr, bool] = {}

    def derive(self, e: Expr, c: int) -> Expr:
        key = (e, c)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self._derive(e, c)
        return hit

    def _derive(self, e: Expr, c: int) -> Expr:
        kind = e[0]
        if kind in ("empty", "eps"):
            return EMPTY_LANG
        if kind == "set":
            return EPS if _in_set(e[1], c) else EMPTY_LANG
        if kind == "cat":
            out = EMPTY_LANG
            for i in range(1, len(e)):
                out = _union(out, _cat_all((self.derive(e[i], c),) + e[i + 1 :]))
                if not self.nullable(e[i]):
                    break
            return out
        if kind == "or":
            out = EMPTY_LANG
            for sub in e[1:]:
                out = _union(out, self.derive(sub, c))
            return out
        if kind == "and":
            out = self.derive(e[1], c)
            for sub in e[2:]:
                out = _inter(out, self.derive(sub, c))
            return out
        if kind == "not":
            return _not(self.derive(e[1], c))
        if kind == "star":
            return _cat(self.derive(e[1], c), e)
        if kind == "rep":
            inner, lo, hi = e[1], e[2], e[3]
            if hi == 0:
                return EMPTY_LANG
            rest: Expr = ("rep", inner, max(lo - 1, 0), -1 if hi == -1 else hi - 1)
            if rest[2:] == (0, -1):
                rest = _star(inner)
            elif rest[2:] == (0, 0):
                rest = EPS
            return _cat(self.derive(inner, c), rest)
        raise ValueError(kind)  # pragma: no cover

    def nullable(self, e: Expr) -> bool:
        hit = self.null_cache.get(e)
        if hit is None:
            hit = self.null_cache[e] = _nullable(e)
        return hit

    def fullmatch(self, term: str) -> bool:
        e = self.start
        for ch in term:
            e = self.derive(e, ord(ch))
            if e == EMPTY_LANG:
                return False
        return self.nullable(e)


@dataclass(frozen=True)
class TermMatcher:
    """How to find the terms an expression matches: ``lines`` is a multi-line pattern matching whole
    lines (for a dictionary joined by newlines, one C-level scan), ``None`` when ``re`` cannot express
    the expression; ``select`` filters a list of terms one by one (always correct)."""

    lines: re.Pattern[str] | None
    select: Callable[[list[str]], list[str]]


def matcher(e: Expr) -> TermMatcher:
    """Python's ``re`` (in C) when it can express ``e``, Brzozowski derivatives otherwise."""
    if _has_boolean_ops(e):
        return TermMatcher(None, lambda terms: list(filter(DerivativeMatcher(e).fullmatch, terms)))
    compiled = re.compile(to_python_regex(e), re.DOTALL)
    lines = re.compile(f"^(?:{to_python_regex(e, lines=True)})$", re.MULTILINE)
    return TermMatcher(lines, lambda terms: list(filter(compiled.fullmatch, terms)))


def _boundaries(e: Expr, out: set[int]) -> None:
    if e[0] == "set":
        for lo, hi in e[1]:
            out.add(lo)
            out.add(hi + 1)
        return
    for c in e[1:]:
        if isinstance(c, tuple):
            _boundaries(c, out)


def count_dfa_states(e: Expr, limit: int) -> int:
    """States of the expression's DFA reachable from the start (derivatives over one representative
    code point per character class), counted up to ``limit + 1``."""
    cuts: set[int] = {0}
    _boundaries(e, cuts)
    reps = sorted(c for c in cuts if c <= MAX_CODE_POINT)
    m = DerivativeMatcher(e)
    seen = {e}
    todo = [e]
    while todo and len(seen) <= limit:
        state = todo.pop()
        for c in reps:
            nxt = m.derive(state, c)
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return len(seen)


def literal_prefix(e: Expr) -> str:
    """The code points every match starts with (a concatenation's leading single characters): the
    sorted term dictionary is scanned from there only."""
    items = e[1:] if e[0] == "cat" else (e,)
    out: list[str] = []
    for item in items:
        if item[0] == "set" and len(item[1]) == 1 and item[1][0][0] == item[1][0][1]:
            out.append(chr(item[1][0][0]))
        else:
            break
    return "".join(out)


# ---------------------------------------------------------------------------------- edit distance


def edit_distances(query: str, terms: list[str], max_edits: int, transpositions: bool) -> np.ndarray:
    """Levenshtein distance (with adjacent transpositions as one edit when ``transpositions``: the
    optimal-string-alignment distance, which is what Lucene's Levenshtein automata accept), capped at
    ``max_edits + 1``, for all ``terms`` at once: one numpy row per term, code points padded with -1."""
    cap = max_edits + 1
    if not terms:
        return np.zeros(0, dtype=np.int32)
    a = np.array([ord(c) for c in query], dtype=np.int64)
    m = a.size
    lengths = np.fromiter((len(t) for t in terms), dtype=np.int64, count=len(terms))
    width = int(lengths.max()) if lengths.size else 0
    b = np.full((len(terms), max(width, 1)), -1, dtype=np.int64)
    flat = np.frombuffer("".join(terms).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    rows = np.repeat(np.arange(len(terms)), lengths)
    cols = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    b[rows, cols] = flat
    n = b.shape[1]
    # prev2, prev, cur: DP rows i-2, i-1, i over query positions; columns over candidate positions.
    prev = np.tile(np.arange(n + 1, dtype=np.int64), (len(terms), 1))
    prev2 = prev
    for i in range(1, m + 1):
        cur = np.empty_like(prev)
        cur[:, 0] = i
        ai = a[i - 1]
        for j in range(1, n + 1):
            cost = (b[:, j - 1] != ai).astype(np.int64)
            best = np.minimum(np.minimum(prev[:, j] + 1, cur[:, j - 1] + 1), prev[:, j - 1] + cost)
            if transpositions and i > 1 and j > 1:
                swap = (b[:, j - 1] == a[i - 2]) & (b[:, j - 2] == ai) & (b[:, j - 1] != ai)
                best = np.where(swap, np.minimum(best, prev2[:, j - 2] + 1), best)
            cur[:, j] = best
        prev2, prev = prev, cur
    dist = prev[np.arange(len(terms)), lengths]
    return np.minimum(dist, cap).astype(np.int32)
