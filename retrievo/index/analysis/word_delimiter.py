"""The ``word_delimiter_graph`` token filter (Lucene 8.8's WordDelimiterGraphFilter).

A token is cut into subwords at delimiters (anything not a letter or digit), at lower->upper case
changes and at letter<->digit changes ("Wi-Fi" -> Wi, Fi; "PowerShot" -> Power, Shot; "SD500" ->
SD, 500), with a trailing English possessive dropped. Each subword gets its own position;
catenations and the preserved original span the positions of the parts they cover (position
length), and the parts are emitted ordered by start position, longer spans first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .filters import Meta, TokenFilter, TokenStream

LOWER, UPPER, DIGIT, DELIM = 1, 2, 4, 8
ALPHA = LOWER | UPPER

_CATEGORY_TYPES = {
    "Lu": UPPER,
    "Ll": LOWER,
    "Lt": ALPHA,
    "Lm": ALPHA,
    "Lo": ALPHA,
    "Mn": ALPHA,
    "Me": ALPHA,
    "Mc": ALPHA,
    "Nd": DIGIT,
    "Nl": DIGIT,
    "No": DIGIT,
}


def char_type(ch: str) -> int:
    """WordDelimiterIterator's default table (Latin-1 by case/digit tests, the rest by category)."""
    cp = ord(ch)
    if cp < 256:
        if ch.islower():
            return LOWER
        if ch.isupper():
            return UPPER
        return DIGIT if ch.isdigit() else DELIM
    if cp > 0xFFFF:
        return ALPHA | DIGIT  # Java sees two surrogates, each "letter or digit"
    return _CATEGORY_TYPES.get(unicodedata.category(ch), DELIM)


def _is_break(last: int, cur: int, split_case: bool, split_numerics: bool) -> bool:
    if cur & last:
        return False
    if not split_case and last & ALPHA and cur & ALPHA:
        return False
    if last & UPPER and cur & ALPHA:
        return False
    mixed = (last & ALPHA and cur & DIGIT) or (last & DIGIT and cur & ALPHA)
    return bool(split_numerics or not mixed)


def subwords(term: str, split_case: bool, split_numerics: bool, possessive: bool) -> tuple[list[tuple[int, int]], bool]:
    """(start, end) of each subword, and whether the whole term is one subword (no split)."""
    types = [char_type(c) for c in term]
    n = len(term)
    start, end_bounds = 0, n
    while start < n and types[start] & DELIM:
        start += 1
    while end_bounds > start and types[end_bounds - 1] & DELIM:
        end_bounds -= 1

    def ends_with_possessive(pos: int) -> bool:
        return (
            possessive
            and pos > 2
            and term[pos - 2] == "'"
            and term[pos - 1] in "sS"
            and bool(types[pos - 3] & ALPHA)
            and (pos == end_bounds or bool(types[pos] & DELIM))
        )

    parts: list[tuple[int, int]] = []
    current, skip = start, False
    while True:
        if skip:
            current += 2
            skip = False
        last = 0
        while current < end_bounds and (last := types[current]) & DELIM:
            current += 1
        if current >= end_bounds:
            break
        end = current + 1
        while end < end_bounds and not _is_break(last, types[end], split_case, split_numerics):
            last = types[end]
            end += 1
        if end < end_bounds - 1 and ends_with_possessive(end + 2):
            skip = True
        parts.append((current, end))
        current = end
    whole = len(parts) == 1 and parts[0] == (0, n)
    return parts, whole


def _part_type(term: str, start: int) -> int:
    t = char_type(term[start])
    return ALPHA if t in (LOWER, UPPER) else t


@dataclass(slots=True)
class _Concat:
    text: str = ""
    type: int = 0
    start_part: int = 0
    end_part: int = 0
    start_pos: int = 0
    count: int = 0


class WordDelimiterGraphFilter(TokenFilter):
    type_name = "word_delimiter_graph"

    def __init__(
        self,
        *,
        generate_word_parts: bool = True,
        generate_number_parts: bool = True,
        catenate_words: bool = False,
        catenate_numbers: bool = False,
        catenate_all: bool = False,
        split_on_case_change: bool = True,
        preserve_original: bool = False,
        split_on_numerics: bool = True,
        stem_english_possessive: bool = True,
        adjust_offsets: bool = True,
        protected_words: Iterable[str] = (),
    ) -> None:
        self.word_parts, self.number_parts = generate_word_parts, generate_number_parts
        self.cat_words, self.cat_numbers, self.cat_all = catenate_words, catenate_numbers, catenate_all
        self.split_case, self.split_numerics = split_on_case_change, split_on_numerics
        self.preserve, self.possessive, self.adjust = preserve_original, stem_english_possessive, adjust_offsets
        self.protected = frozenset(protected_words)

    def _generate(self, t: int) -> bool:
        return bool((self.word_parts and t & ALPHA) or (self.number_parts and t & DIGIT))

    def _concatenates(self, t: int) -> bool:
        return bool((self.cat_words and t & ALPHA) or (self.cat_numbers and t & DIGIT))

    def _parts(self, term: str, parts: list[tuple[int, int]]) -> list[tuple[int, int, int, int, str]]:
        """(start pos, end pos, start char, end char, text) in buffering order (before sorting)."""
        out: list[tuple[int, int, int, int, str]] = []
        word_pos = 0
        last_count = 0
        concat, concat_all = _Concat(), _Concat()

        def add(c: _Concat, start: int, end: int) -> None:
            if not c.count:
                c.type, c.start_part, c.start_pos = _part_type(term, start), start, word_pos
            c.text += term[start:end]
            c.end_part = end
            c.count += 1

        def flush(c: _Concat) -> None:
            nonlocal word_pos, last_count
            last_count = c.count
            if c.count != 1 or not self._generate(c.type):
                if word_pos == c.start_pos:
                    word_pos += 1
                out.append((c.start_pos, word_pos, c.start_part, c.end_part, c.text))

        if self.preserve:
            out.append((0, 1, 0, len(term), term))
        if len(parts) == 1:
            s, e = parts[0]
            out.append((word_pos, word_pos + 1, s, e, term[s:e]))
            word_pos += 1
        else:
            for s, e in parts:
                t = _part_type(term, s)
                if concat.count and not concat.type & t:
                    flush(concat)
                    concat = _Concat()
                if self._concatenates(t):
                    add(concat, s, e)
                if self.cat_all:
                    add(concat_all, s, e)
                if self._generate(t):
                    out.append((word_pos, word_pos + 1, s, e, term[s:e]))
                    word_pos += 1
            if concat.count:
                flush(concat)
            if concat_all.count and concat_all.count > last_count:
                if word_pos == concat_all.start_pos:
                    word_pos += 1
                out.append(
                    (concat_all.start_pos, word_pos, concat_all.start_part, concat_all.end_part, concat_all.text)
                )
        if self.preserve:
            out[0] = (0, max(1, word_pos), 0, len(term), term)
        return out

    def apply(self, stream: TokenStream) -> TokenStream:
        terms: list[str] = []
        incs: list[int] = []
        lengths: list[int] = []
        meta: list[Meta] | None = [] if stream.meta is not None else None
        pending = 0
        for i, term in enumerate(stream.terms):
            pending += stream.incs[i]
            m = stream.meta[i] if stream.meta is not None else None
            parts, whole = subwords(term, self.split_case, self.split_numerics, self.possessive)
            if whole or term in self.protected or (not parts and self.preserve):
                terms.append(term)
                incs.append(pending)
                lengths.append(1)
                if meta is not None:
                    assert m is not None
                    meta.append(m)
                pending = 0
                continue
            if not parts:
                continue  # only delimiters: dropped, leaving a hole
            # by start position, longer spans first, then by where the text starts and (longest) ends
            buffered = sorted(self._parts(term, parts), key=lambda p: (p[0], -p[1], p[2], -p[3]))
            illegal = m is not None and m[1] - m[0] != len(term)
            word_pos = 0
            last_start = -1
            for start_pos, end_pos, start_part, end_part, text in buffered:
                terms.append(text)
                incs.append(pending + start_pos - word_pos)
                pending = 0
                word_pos = start_pos
                lengths.append(end_pos - start_pos)
                if meta is not None:
                    assert m is not None
                    if illegal or not self.adjust:
                        so, eo = m[0], m[1]
                    else:
                        so, eo = m[0] + start_part, m[0] + end_part
                    so = max(so, last_start)
                    eo = max(eo, last_start)
                    last_start = so
                    meta.append((so, eo, m[2]))
        return TokenStream(terms, incs, meta, lengths)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name}
