"""The ``path_hierarchy`` and ``pattern`` tokenizers (Lucene 8.8's PathHierarchyTokenizer,
ReversePathHierarchyTokenizer and PatternTokenizer as ES's factories configure them)."""

from __future__ import annotations

from re import Pattern
from typing import Any

from .lowercase import java_lower
from .tokenizers import Span, Tokenizer
from .tokens import WORD


def path_prefixes(text: str, delimiter: str, replacement: str, skip: int) -> tuple[list[str], list[Span]]:
    """PathHierarchyTokenizer: each token is the previous one plus the next path component.

    Written as Lucene's character loop (a component ends at a delimiter, which is then carried
    into the next token; the first ``skip`` components are dropped from every token and move its
    start offset), because its behaviour on leading, doubled and trailing delimiters follows
    from that loop rather than from a simple split.
    """
    terms: list[str] = []
    spans: list[Span] = []
    previous = ""
    start = 0
    skipped = 0
    end_delimiter = False
    i, n = 0, len(text)
    while True:
        token = [previous]
        added = False
        if end_delimiter:
            token.append(replacement)
            end_delimiter = False
            added = True
        finished = False
        while True:
            if i >= n:
                finished = True
                break
            c = text[i]
            i += 1
            if not added:
                added = True
                skipped += 1
                if skipped > skip:
                    token.append(replacement if c == delimiter else c)
                else:
                    start += 1
            elif c == delimiter:
                if skipped > skip:
                    end_delimiter = True
                    break
                skipped += 1
                if skipped > skip:
                    token.append(replacement)
                else:
                    start += 1
            elif skipped > skip:
                token.append(c)
            else:
                start += 1
        term = "".join(token)
        if finished:
            if skipped > skip and added:
                terms.append(term)
                spans.append((start, start + len(term), WORD))
            return terms, spans
        terms.append(term)
        spans.append((start, start + len(term), WORD))
        previous = term


def path_suffixes(text: str, delimiter: str, replacement: str, skip: int) -> tuple[list[str], list[Span]]:
    """ReversePathHierarchyTokenizer: the whole path, then each suffix starting after a delimiter,
    all ending before the last ``skip`` components."""
    replaced = text.replace(delimiter, replacement)
    cuts = [0] + [i + 1 for i, c in enumerate(text) if c == delimiter]
    if cuts[-1] < len(text):
        cuts.append(len(text))
    idx = len(cuts) - 1 - skip
    if idx < 0:
        return [], []
    end = cuts[idx]
    starts = cuts[: len(cuts) - skip - 1]
    return [replaced[s:end] for s in starts], [(s, end, WORD) for s in starts]


class PathHierarchyTokenizer(Tokenizer):
    """All tokens share the first one's position (increment 0 after it), as in Lucene."""

    type_name = "path_hierarchy"

    def __init__(
        self,
        delimiter: str = "/",
        replacement: str | None = None,
        skip: int = 0,
        reverse: bool = False,
        buffer_size: int = 1024,
    ) -> None:
        if buffer_size < 0:
            raise ValueError("bufferSize cannot be negative")
        if skip < 0:
            raise ValueError("skip cannot be negative")
        self.delimiter = delimiter
        self.replacement = delimiter if replacement is None else replacement
        self.skip, self.reverse, self.buffer_size = skip, reverse, buffer_size

    def tokens(self, text: str) -> tuple[list[str], list[Span]]:
        make = path_suffixes if self.reverse else path_prefixes
        return make(text, self.delimiter, self.replacement, self.skip)

    def spans(self, text: str) -> list[Span]:
        return self.tokens(text)[1]

    def terms(self, text: str, lower: bool) -> list[str]:
        terms = self.tokens(text)[0]
        return list(map(java_lower, terms)) if lower else terms

    def increments(self, count: int) -> list[int]:
        return [1] + [0] * (count - 1) if count else []

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "path_hierarchy", "delimiter": self.delimiter, "replacement": self.replacement}
        if self.skip:
            out["skip"] = self.skip
        if self.reverse:
            out["reverse"] = True
        return out


class PatternTokenizer(Tokenizer):
    """``group`` -1 splits on the pattern (empty pieces dropped, like String.split); a group
    number emits that group of every match (empty ones dropped)."""

    type_name = "pattern"

    def __init__(self, pattern: Pattern[str], source: str, flags: str | None = None, group: int = -1) -> None:
        if group > pattern.groups:
            # Lucene fails on the first match; ES reports it when the index is created.
            raise ValueError(f"invalid group index [{group}] for pattern [{source}]")
        self.pattern, self.source, self.flags, self.group = pattern, source, flags, group

    def spans(self, text: str) -> list[Span]:
        out: list[Span] = []
        g = self.group
        if g >= 0:
            for m in self.pattern.finditer(text):
                s, e = m.span(g)
                if s != e:
                    out.append((s, e, WORD))
            return out
        index = 0
        for m in self.pattern.finditer(text):
            if m.start() > index:
                out.append((index, m.start(), WORD))
            index = m.end()
        if index < len(text):
            out.append((index, len(text), WORD))
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "pattern", "pattern": self.source}
        if self.flags:
            out["flags"] = self.flags
        if self.group != -1:
            out["group"] = self.group
        return out
