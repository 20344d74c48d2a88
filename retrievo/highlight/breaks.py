"""Break iterators: where passages may start and end.

Elasticsearch breaks passages with the JDK's ``BreakIterator`` sentence and word instances (root locale);
these functions compute the same boundaries (sentence terminators, closing punctuation, whitespace,
paragraph separators; word runs with their inner punctuation, runs of spaces, single punctuation), checked
against JDK 17 in ``tests/highlight/jdk/``. Offsets are code points where Java counts UTF-16 units (they
differ only after a character outside the Basic Multilingual Plane). :class:`BoundedScanner` is
Elasticsearch's ``BoundedBreakIteratorScanner``: sentences cut down to ``fragment_size`` at word boundaries.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass

#: Elasticsearch's separator between the values of a multi-valued field (``MULTIVAL_SEP_CHAR``).
VALUE_SEPARATOR = "\0"
_PARAGRAPH = frozenset("\n\r\u2028\u2029\u0085\x0b\x0c")
#: Characters the JDK's sentence iterator always breaks after.
_HARD = frozenset("\u2029")
_STERM = frozenset("?!\u203c\u2047\u2048\u2049\uff01\uff1f\u3002")
_ATERM = frozenset(".\u2024\ufe52\uff0e")
_CLOSE = frozenset("\"')]}\u00bb\u2019\u201d\u203a\u300d\u300f")


def _is_space(ch: str) -> bool:
    return ch not in _PARAGRAPH and ch != VALUE_SEPARATOR and (ch.isspace() or ch == "\u00a0")


def _is_whitespace(ch: str) -> bool:
    """Whitespace for the sentence rules: line feeds are whitespace there (the JDK never breaks on them)."""
    return ch != VALUE_SEPARATOR and ch not in _HARD and (ch.isspace() or ch == "\u00a0")


def sentence_breaks(text: str) -> list[int]:
    """Sentence boundaries of ``text`` as the JDK's sentence ``BreakIterator`` finds them, ``0`` and
    ``len(text)`` included.

    Its rules (checked against JDK 17): ``?`` and ``!`` end a sentence after any closing punctuation and
    whitespace that follow; ``.`` only when whitespace follows it (``3.14``, ``x.y``, ``end.Next`` go on),
    and not when exactly one whitespace character comes before a lowercase letter or a digit
    (``e.g. this``); a paragraph separator always ends one; line feeds are only whitespace.
    """
    n = len(text)
    out = {0, n}
    i = 0
    while i < n:
        ch = text[i]
        if ch in _HARD:
            out.add(i + 1)
            i += 1
            continue
        if ch in _STERM or ch in _ATERM:
            j = i + 1
            while j < n and (text[j] in _STERM or text[j] in _ATERM or text[j] in _CLOSE):
                j += 1
            spaces = j
            while spaces < n and _is_whitespace(text[spaces]):
                spaces += 1
            if ch in _ATERM and not any(c in _STERM for c in text[i:j]):
                if spaces == j and j < n and text[j] not in _HARD:
                    i = j
                    continue  # no whitespace after the period: the sentence goes on
                if spaces - j == 1 and spaces < n and (text[spaces].islower() or text[spaces].isdigit()):
                    i = spaces
                    continue
            if spaces < n and text[spaces] in _HARD:
                spaces += 1
            out.add(spaces)
            i = max(spaces, i + 1)
            continue
        i += 1
    return sorted(out)


def _word_class(text: str, i: int) -> str:
    ch = text[i]
    if ch.isalnum() or ch == "_" or unicodedata.category(ch) in ("Mn", "Mc"):
        return "w"
    if unicodedata.category(ch) == "Sc" and i + 1 < len(text) and text[i + 1].isdigit():
        return "w"  # $3.50
    if 0 < i < len(text) - 1:  # punctuation inside a word (checked against JDK 17's word instance)
        before, after = text[i - 1], text[i + 1]
        if ch in "'\u2019-" and before.isalpha() and after.isalpha():
            return "w"  # rock'n'roll, well-known
        if ch == "." and before.isalnum() and after.isalnum():
            return "w"  # 3.14, x.y
        if ch == "," and before.isdigit() and after.isdigit():
            return "w"  # 1,000
    if _is_space(ch):
        return "s"
    return ""


def word_breaks(text: str) -> list[int]:
    """Word boundaries of ``text``: around each word, each run of spaces and each other character."""
    out = [0]
    previous = None
    for i in range(len(text)):
        cls = _word_class(text, i)
        if i > 0 and (cls == "" or cls != previous):
            out.append(i)
        previous = cls
    if len(text) > 0:
        out.append(len(text))
    return sorted(set(out))


@dataclass(frozen=True)
class Breaks:
    """A fixed set of boundaries with ``BreakIterator``'s ``preceding``/``following``."""

    points: tuple[int, ...]
    end: int

    def preceding(self, offset: int) -> int:
        at = bisect.bisect_left(self.points, offset)
        return self.points[at - 1] if at > 0 else -1

    def following(self, offset: int) -> int:
        at = bisect.bisect_right(self.points, offset)
        return self.points[at] if at < len(self.points) else self.end


class BoundedScanner:
    """``BoundedBreakIteratorScanner``: sentences, re-split at word boundaries when longer than ``max_len``.

    It keeps state between calls exactly as the unified highlighter uses it: ``preceding(offset)``
    with increasing offsets, each followed by ``following(offset - 1)``.
    """

    def __init__(self, main: Breaks, inner: Breaks, max_len: int) -> None:
        self.main = main
        self.inner = inner
        self.max_len = max_len
        self.window_start = -1
        self.window_end = -1
        self.inner_start = -1
        self.inner_end = 0

    def preceding(self, offset: int) -> int:
        end_index = self.main.end
        if self.window_start < offset < self.window_end:
            self.inner_start = self.inner_end
            self.inner_end = self.window_end
        else:
            self.inner_start = max(self.main.preceding(offset), 0)
            target = offset + max(0, self.max_len - (offset - self.inner_start))
            if target + 1 > end_index:
                self.inner_end = end_index
            else:
                self.inner_end = self.main.preceding(target + 1)
            if self.inner_start == self.inner_end:
                self.inner_end = end_index if target >= end_index else self.main.following(target)
            self.window_start, self.window_end = self.inner_start, self.inner_end
        if self.inner_end - self.inner_start > self.max_len:
            if offset - self.max_len > self.inner_start:
                self.inner_start = max(self.inner_start, self.inner.preceding(offset - self.max_len))
            remaining = max(0, self.max_len - (offset - self.inner_start))
            if offset + remaining < self.window_end:
                self.inner_end = min(self.window_end, self.inner.following(offset + remaining))
        return self.inner_start

    def following(self, offset: int) -> int:
        return self.inner_end
