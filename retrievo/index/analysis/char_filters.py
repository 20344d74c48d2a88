"""Char filters (``mapping``, ``pattern_replace``) and the tokenizer wrapper that runs them.

A char filter rewrites the text before tokenization and remembers how to map an offset in its
output back to the input, with Lucene's BaseCharFilter bookkeeping: a sorted list of
(output offset, cumulative difference) points, an offset taking the difference of the last point
at or before it. Reproducing those exact points matters because they decide the offsets that
``_analyze`` and highlighting report when a replacement is shorter or longer than what it replaced.
Offsets here are code points (Lucene counts UTF-16 units; they agree outside the astral planes).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from re import Pattern
from typing import Any

from .java_regex import expand, java_replacement
from .tokenizers import Span, Tokenizer


class OffsetMap:
    """BaseCharFilter's correction points for one filtered text."""

    __slots__ = ("offsets", "diffs")

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.diffs: list[int] = []

    def add(self, off: int, cumulative_diff: int) -> None:
        if self.offsets and self.offsets[-1] == off:
            self.diffs[-1] = cumulative_diff  # a later point at the same offset replaces the earlier
        else:
            self.offsets.append(off)
            self.diffs.append(cumulative_diff)

    def last_diff(self) -> int:
        return self.diffs[-1] if self.diffs else 0

    def correct(self, off: int) -> int:
        i = bisect_right(self.offsets, off) - 1
        return off + (self.diffs[i] if i >= 0 else 0)


class CharFilter:
    type_name: str = ""

    def filter(self, text: str) -> tuple[str, OffsetMap]:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name}


def parse_mapping_string(s: str) -> str:
    """ES's MappingCharFilterFactory.parseString: backslash escapes \\\\ \\n \\t \\r \\b \\f \\uXXXX
    (any other escaped character stands for itself)."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        i += 1
        if c == "\\":
            if i >= n:
                raise RuntimeError(f"Invalid escaped char in [{s}]")
            c = s[i]
            i += 1
            if c == "u":
                if i + 3 >= n:
                    raise RuntimeError(f"Invalid escaped char in [{s}]")
                c = chr(int(s[i : i + 4], 16))
                i += 4
            else:
                c = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(c, c)
        out.append(c)
    return "".join(out)


class MappingCharFilter(CharFilter):
    """Replaces, scanning left to right, the longest key that starts at each position."""

    type_name = "mapping"

    def __init__(self, mappings: Sequence[tuple[str, str]]) -> None:
        table: dict[str, str] = {}
        for key, value in mappings:
            if not key:
                raise ValueError("cannot match the empty string")
            if key in table:
                raise ValueError(f'match "{key}" was already added')
            table[key] = value
        self.table = table
        self.rules = list(mappings)
        self.lengths = sorted({len(k) for k in table}, reverse=True)

    def filter(self, text: str) -> tuple[str, OffsetMap]:
        table, lengths = self.table, self.lengths
        out: list[str] = []
        fix = OffsetMap()
        i, n = 0, len(text)
        while i < n:
            for size in lengths:
                key = text[i : i + size]
                if len(key) == size and key in table:
                    break
            else:
                out.append(text[i])
                i += 1
                continue
            repl = table[key]
            i += size
            diff = size - len(repl)
            if diff:
                prev = fix.last_diff()
                if diff > 0:
                    fix.add(i - diff - prev, prev + diff)
                else:
                    # the extra output characters all map back to the match's last input character
                    start = i - prev
                    for extra in range(-diff):
                        fix.add(start + extra, prev - extra - 1)
            out.append(repl)
        return "".join(out), fix

    def to_json(self) -> dict[str, Any]:
        return {"type": "mapping", "mappings": [f"{k} => {v}" for k, v in self.rules]}


class PatternReplaceCharFilter(CharFilter):
    """Java's ``replaceAll`` over the whole text, with Lucene's offset points per replacement."""

    type_name = "pattern_replace"

    def __init__(self, pattern: Pattern[str], source: str, replacement: str, flags: str | None) -> None:
        self.pattern, self.source, self.replacement, self.flags = pattern, source, replacement, flags
        self.parts = java_replacement(replacement, pattern)

    def filter(self, text: str) -> tuple[str, OffsetMap]:
        out: list[str] = []
        out_len = 0
        fix = OffsetMap()
        cumulative = 0
        last_end = 0
        for m in self.pattern.finditer(text):
            group_size = m.end() - m.start()
            skipped = text[last_end : m.start()]
            last_end = m.end()
            before = out_len + len(skipped)
            repl = expand(self.parts, m)
            out.append(skipped)
            out.append(repl)
            out_len = before + len(repl)
            if group_size != len(repl):
                if len(repl) < group_size:
                    cumulative += group_size - len(repl)
                    fix.add(before + len(repl), cumulative)
                else:
                    for k in range(group_size, len(repl)):
                        cumulative -= 1
                        fix.add(before + k, cumulative)
        out.append(text[last_end:])
        return "".join(out), fix

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "pattern_replace", "pattern": self.source, "replacement": self.replacement}
        if self.flags:
            out["flags"] = self.flags
        return out


class CharFilteredTokenizer(Tokenizer):
    """A tokenizer reading through char filters: it tokenizes the filtered text and maps each
    offset back through the filters, last one first, as Tokenizer.correctOffset does."""

    def __init__(self, char_filters: Sequence[CharFilter], tokenizer: Tokenizer) -> None:
        self.char_filters = tuple(char_filters)
        self.tokenizer = tokenizer
        self.type_name = tokenizer.type_name

    def _filter(self, text: str) -> tuple[str, list[OffsetMap]]:
        maps: list[OffsetMap] = []
        for cf in self.char_filters:
            text, fix = cf.filter(text)
            maps.append(fix)
        return text, maps

    @staticmethod
    def _correct(off: int, maps: list[OffsetMap]) -> int:
        for fix in reversed(maps):
            off = fix.correct(off)
        return off

    def tokens(self, text: str) -> tuple[list[str], list[Span]]:
        filtered, maps = self._filter(text)
        terms, spans = self.tokenizer.tokens(filtered)
        return terms, [(self._correct(s, maps), self._correct(e, maps), t) for s, e, t in spans]

    def spans(self, text: str) -> list[Span]:
        return self.tokens(text)[1]

    def terms(self, text: str, lower: bool) -> list[str]:
        return self.tokenizer.terms(self._filter(text)[0], lower)

    def increments(self, count: int) -> list[int]:
        return self.tokenizer.increments(count)

    def to_json(self) -> dict[str, Any]:
        return self.tokenizer.to_json()
