"""Java regular expressions (java.util.regex) for the pattern tokenizer and pattern_replace.

Settings carry Java patterns. Most of Java's syntax means the same in Python's ``re``, but some of
it silently means something else (``.`` and ``$`` know more line terminators in Java, ``\\w``/``\\d``
are ASCII-only there, ``[a[b]]`` is a union, ``\\Z``, ``\\p{...}``, ``\\Q..\\E``, ``&&``). Rather than
analyze differently, this translator rewrites what it can express exactly and refuses the rest
with a ValueError naming the construct; the registry turns that into a 400.
"""

from __future__ import annotations

import re
from re import Pattern

# Java's line terminators when UNIX_LINES is off: what '.' excludes and '$' may stand before.
_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"
_DOLLAR = "(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?\\Z)"

# Escapes with the same meaning in both (given re.ASCII for the classes).
_SAME_ESCAPES = frozenset("dDwWsSbBtnrfaA0123456789")
_REFUSED_ESCAPES = {
    "p": "\\p{...} character properties",
    "P": "\\P{...} character properties",
    "Q": "\\Q...\\E quoting",
    "E": "\\Q...\\E quoting",
    "Z": "\\Z",
    "z": "\\z",
    "G": "\\G",
    "R": "\\R",
    "X": "\\X",
    "h": "\\h",
    "H": "\\H",
    "v": "\\v",
    "V": "\\V",
    "k": "\\k<name> back references",
    "c": "\\c control characters",
    "e": "\\e",
    "N": "\\N{...}",
    "b{": "\\b{g}",
}

# Java flag names accepted by ES's ``flags`` setting, and what Python can do with them.
_FLAG_VALUES = {
    "CASE_INSENSITIVE": re.IGNORECASE,
    "DOTALL": re.DOTALL,
    "LITERAL": 0,
}
_REFUSED_FLAGS = frozenset(
    {"CANON_EQ", "COMMENTS", "MULTILINE", "UNICODE_CASE", "UNICODE_CHARACTER_CLASS", "UNIX_LINES"}
)
_ALL_FLAGS = frozenset(_FLAG_VALUES) | _REFUSED_FLAGS


class UnsupportedRegex(ValueError):
    """A Java construct whose meaning ``re`` cannot reproduce."""


def parse_flags(flags: str | None) -> tuple[int, bool]:
    """ES ``Regex.flagsFromString``: pipe-separated Java flag names. Returns (re flags, literal)."""
    value, literal = 0, False
    if not flags:
        return value, literal
    for name in flags.split("|"):
        name = name.strip().upper()
        if not name:
            continue
        if name not in _ALL_FLAGS:
            raise ValueError(f"Unknown regex flag [{name}]")
        if name in _REFUSED_FLAGS:
            raise UnsupportedRegex(f"regex flag [{name}]")
        literal = literal or name == "LITERAL"
        value |= _FLAG_VALUES[name]
    return value, literal


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Translates the escape at ``pattern[i] == '\\'``; returns (python text, next index)."""
    if i + 1 >= len(pattern):
        raise ValueError(f"Unexpected internal error near index {i + 1}\n{pattern}")
    ch = pattern[i + 1]
    if ch == "b" and pattern.startswith("{", i + 2):
        raise UnsupportedRegex(_REFUSED_ESCAPES["b{"])
    if ch in _REFUSED_ESCAPES:
        raise UnsupportedRegex(_REFUSED_ESCAPES[ch])
    if ch == "x" and pattern.startswith("{", i + 2):
        end = pattern.index("}", i + 3)
        return f"\\U{int(pattern[i + 3 : end], 16):08x}", end + 1
    if ch == "u":
        return pattern[i : i + 6], i + 6
    if ch == "x":
        return pattern[i : i + 4], i + 4
    if ch == "0":  # Java: octal \0n, \0nn, \0mnn
        j = i + 2
        while j < len(pattern) and j < i + 5 and pattern[j] in "01234567":
            j += 1
        digits = pattern[i + 2 : j]
        if not digits:
            raise ValueError(f"Illegal octal escape sequence near index {i + 2}\n{pattern}")
        return f"\\x{int(digits, 8):02x}", j
    if ch.isdigit() and in_class:
        raise UnsupportedRegex("a back reference inside a character class")
    if ch in _SAME_ESCAPES or not ch.isalnum():
        if ch == "b" and in_class:
            raise UnsupportedRegex("\\b inside a character class")
        return pattern[i : i + 2], i + 2
    raise ValueError(f"Illegal/unsupported escape sequence near index {i + 1}\n{pattern}")


def _class(pattern: str, i: int) -> tuple[str, int]:
    """Copies the character class opening at ``pattern[i] == '['``, refusing Java-only forms."""
    out = ["["]
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        out.append("^")
        j += 1
    first = True
    while j < len(pattern):
        ch = pattern[j]
        if ch == "]" and not first:
            out.append("]")
            return "".join(out), j + 1
        if ch == "[":
            raise UnsupportedRegex("nested character classes ([a[b]])")
        if ch == "&" and pattern.startswith("&&", j):
            raise UnsupportedRegex("character class intersection (&&)")
        if ch == "\\":
            text, j = _escape(pattern, j, in_class=True)
            out.append(text)
        else:
            # ']' first in a Java class is an error, in Python a literal; escape it either way.
            out.append("\\]" if ch == "]" else ch)
            j += 1
        first = False
    raise ValueError(f"Unclosed character class near index {len(pattern) - 1}\n{pattern}")


def translate(pattern: str) -> str:
    """A Python pattern (to compile with re.ASCII) matching exactly what the Java one matches."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            text, i = _escape(pattern, i, in_class=False)
            out.append(text)
        elif ch == "[":
            text, i = _class(pattern, i)
            out.append(text)
        elif ch == ".":
            out.append(_DOT)
            i += 1
        elif ch == "$":
            out.append(_DOLLAR)
            i += 1
        elif ch == "(" and pattern.startswith("(?", i):
            if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
                out.append("(?P<")
                i += 3
            elif pattern.startswith(("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>"), i):
                out.append(pattern[i : i + 3])
                i += 3
            else:
                raise UnsupportedRegex("embedded flags ((?i) and the like)")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def compile_java(pattern: str, flags: str | None = None) -> Pattern[str]:
    """Compiles a Java pattern with ES's ``flags`` string; ValueError for what we refuse."""
    value, literal = parse_flags(flags)
    if literal:
        return re.compile(re.escape(pattern), value)
    py = translate(pattern).replace(_DOT, ".") if value & re.DOTALL else translate(pattern)
    try:
        return re.compile(py, value | re.ASCII)
    except re.error as e:
        raise ValueError(f"{e.msg} near index {e.pos}\n{pattern}") from None


_GROUP_REF = re.compile(r"\$(\d+|\{[A-Za-z][A-Za-z0-9]*\})|\\(.)|\\$|\$")


def java_replacement(template: str, pattern: Pattern[str]) -> list[str | int]:
    """Java's ``Matcher.appendReplacement`` template as literal pieces and group numbers.

    ``$n`` takes the longest group number that exists (Java's rule), ``${name}`` a named group,
    ``\\x`` is a literal x; a lone ``$`` or trailing ``\\`` is an error, as in Java.
    """
    parts: list[str | int] = []
    pos = 0
    for m in _GROUP_REF.finditer(template):
        parts.append(template[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if m.group(2) is not None:
            parts.append(m.group(2))
        elif token == "\\":
            raise ValueError("character to be escaped is missing")
        elif token == "$":
            raise ValueError("Illegal group reference: group index is missing")
        elif m.group(1).startswith("{"):
            name = m.group(1)[1:-1]
            if name not in pattern.groupindex:
                raise ValueError(f"No group with name {{{name}}}")
            parts.append(pattern.groupindex[name])
        else:
            digits = m.group(1)
            n = int(digits[0])
            if n > pattern.groups:
                raise ValueError(f"No group {n}")
            used = 1
            while used < len(digits) and int(digits[: used + 1]) <= pattern.groups:
                used += 1
            parts.append(int(digits[:used]))
            parts.append(digits[used:])
    parts.append(template[pos:])
    return [p for p in parts if p != ""]


def expand(parts: list[str | int], m: re.Match[str]) -> str:
    return "".join(p if isinstance(p, str) else (m.group(p) or "") for p in parts)
