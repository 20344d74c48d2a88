"""Token filters that rewrite or drop single terms: ``trim``, ``truncate``, ``reverse``, ``length``,
``unique``, ``limit``, ``keep``, ``remove_duplicates``, ``apostrophe``, ``elision``,
``pattern_replace`` and ``decimal_digit`` (Lucene 8.8's TrimFilter, TruncateTokenFilter,
ReverseStringFilter, LengthFilter, LimitTokenCountFilter, KeepWordFilter,
RemoveDuplicatesTokenFilter, ApostropheFilter, ElisionFilter, PatternReplaceFilter,
DecimalDigitFilter and ES's own UniqueTokenFilter)."""

from __future__ import annotations

import unicodedata
from re import Pattern
from typing import Any

from ._unicode_tables import WHITESPACE_RANGES
from .filters import Meta, TokenFilter, TokenStream
from .java_regex import expand, java_replacement
from .lowercase import java_lower

_WHITESPACE = frozenset(
    chr(cp) for lo, hi in zip(WHITESPACE_RANGES[0::2], WHITESPACE_RANGES[1::2]) for cp in range(lo, hi + 1)
)
_JAVA_WHITESPACE = "".join(sorted(_WHITESPACE))


def utf16_len(term: str) -> int:
    return len(term) if term.isascii() or max(term) <= "\uffff" else len(term.encode("utf-16-le")) // 2


class TrimFilter(TokenFilter):
    """Strips leading and trailing ``Character.isWhitespace``; offsets stay those of the token."""

    type_name = "trim"

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = [t.strip(_JAVA_WHITESPACE) for t in stream.terms]
        return stream


class TruncateFilter(TokenFilter):
    type_name = "truncate"

    def __init__(self, length: int) -> None:
        if length < 1:
            raise ValueError("length parameter must be provided")
        self.length = length

    def _cut(self, term: str) -> str:
        if utf16_len(term) <= self.length:
            return term
        if term.isascii() or max(term) <= "\uffff":
            return term[: self.length]
        # Lucene cuts UTF-16 units, possibly between the halves of a surrogate pair.
        return term.encode("utf-16-le", "surrogatepass")[: 2 * self.length].decode("utf-16-le", "surrogatepass")

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(self._cut, stream.terms))
        return stream

    def to_json(self) -> dict[str, Any]:
        return {"type": "truncate", "length": self.length}


class ReverseFilter(TokenFilter):
    """Reverses code points (a surrogate pair stays in order, as in ReverseStringFilter)."""

    type_name = "reverse"

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = [t[::-1] for t in stream.terms]
        return stream


def _select(stream: TokenStream, keep: list[bool], carry_increments: bool) -> TokenStream:
    """The kept tokens; a dropped token's increment moves to the next kept one only when
    ``carry_increments`` (Lucene's FilteringTokenFilter does, ES's UniqueTokenFilter does not)."""
    terms: list[str] = []
    incs: list[int] = []
    meta: list[Meta] | None = [] if stream.meta is not None else None
    lengths: list[int] | None = [] if stream.lengths is not None else None
    pending = 0
    for i, kept in enumerate(keep):
        if not kept:
            if carry_increments:
                pending += stream.incs[i]
            continue
        terms.append(stream.terms[i])
        incs.append(stream.incs[i] + pending)
        pending = 0
        if meta is not None:
            meta.append(stream.meta[i])  # type: ignore[index]
        if lengths is not None:
            lengths.append(stream.lengths[i])  # type: ignore[index]
    return TokenStream(terms, incs, meta, lengths)


class LengthFilter(TokenFilter):
    type_name = "length"

    def __init__(self, min_length: int = 0, max_length: int = 2**31 - 1) -> None:
        if min_length < 0:
            raise ValueError("minimum length must be greater than or equal to zero")
        if min_length > max_length:
            raise ValueError("maximum length must not be greater than minimum length")
        self.min, self.max = min_length, max_length

    def apply(self, stream: TokenStream) -> TokenStream:
        keep = [self.min <= utf16_len(t) <= self.max for t in stream.terms]
        return stream if all(keep) else _select(stream, keep, carry_increments=True)

    def to_json(self) -> dict[str, Any]:
        return {"type": "length", "min": self.min, "max": self.max}


class UniqueFilter(TokenFilter):
    """Drops a term seen before in the stream (or, with ``only_on_same_position``, seen before at
    the same position). Every term, dropped or not, joins the seen set; the dropped token's
    position increment is lost rather than carried, as in ES's filter."""

    type_name = "unique"

    def __init__(self, only_on_same_position: bool = False) -> None:
        self.only_on_same_position = only_on_same_position

    def apply(self, stream: TokenStream) -> TokenStream:
        seen: set[str] = set()
        keep: list[bool] = []
        for term, inc in zip(stream.terms, stream.incs):
            if self.only_on_same_position:
                if inc > 0:
                    seen.clear()
                duplicate = inc == 0 and term in seen
            else:
                duplicate = term in seen
            seen.add(term)
            keep.append(not duplicate)
        return stream if all(keep) else _select(stream, keep, carry_increments=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "unique"}
        if self.only_on_same_position:
            out["only_on_same_position"] = True
        return out


class LimitFilter(TokenFilter):
    """LimitTokenCountFilter: the first ``max_token_count`` tokens (consuming the rest or not
    changes nothing visible here)."""

    type_name = "limit"

    def __init__(self, max_token_count: int = 1, consume_all_tokens: bool = False) -> None:
        if max_token_count < 0:
            raise ValueError("maxTokenCount must be greater than or equal to zero")
        self.max_token_count, self.consume_all_tokens = max_token_count, consume_all_tokens

    def apply(self, stream: TokenStream) -> TokenStream:
        n = self.max_token_count
        if len(stream.terms) <= n:
            return stream
        return _select(stream, [i < n for i in range(len(stream.terms))], carry_increments=False)

    def to_json(self) -> dict[str, Any]:
        return {"type": "limit", "max_token_count": self.max_token_count}


class KeepWordsFilter(TokenFilter):
    """KeepWordFilter: only the listed words; a dropped token's increment goes to the next kept one."""

    type_name = "keep"

    def __init__(self, words: frozenset[str], ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        self.words = frozenset(map(java_lower, words)) if ignore_case else words

    def apply(self, stream: TokenStream) -> TokenStream:
        probe = list(map(java_lower, stream.terms)) if self.ignore_case else stream.terms
        keep = [t in self.words for t in probe]
        return stream if all(keep) else _select(stream, keep, carry_increments=True)


class RemoveDuplicatesFilter(TokenFilter):
    """RemoveDuplicatesTokenFilter: drops a term already seen at the same position."""

    type_name = "remove_duplicates"

    def apply(self, stream: TokenStream) -> TokenStream:
        seen: set[str] = set()
        keep: list[bool] = []
        for term, inc in zip(stream.terms, stream.incs):
            if inc > 0:
                seen = set()
            keep.append(term not in seen)
            seen.add(term)
        return stream if all(keep) else _select(stream, keep, carry_increments=True)


_APOSTROPHES = ("'", "\u2019")


def _apostrophe_at(term: str) -> int:
    hits = [i for i in (term.find(a) for a in _APOSTROPHES) if i >= 0]
    return min(hits) if hits else -1


class ApostropheFilter(TokenFilter):
    """Drops everything from the first apostrophe on ("O'Neil's" -> "O")."""

    type_name = "apostrophe"

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = [t[:i] if (i := _apostrophe_at(t)) >= 0 else t for t in stream.terms]
        return stream


class ElisionFilter(TokenFilter):
    """Removes an article and its apostrophe from the front of a term ("l'avion" -> "avion")."""

    type_name = "elision"

    def __init__(self, articles: frozenset[str], ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        self.articles = frozenset(map(java_lower, articles)) if ignore_case else articles

    def _strip(self, term: str) -> str:
        i = _apostrophe_at(term)
        if i < 0:
            return term
        prefix = java_lower(term[:i]) if self.ignore_case else term[:i]
        return term[i + 1 :] if prefix in self.articles else term

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(self._strip, stream.terms))
        return stream


class PatternReplaceFilter(TokenFilter):
    """PatternReplaceFilter: Java's ``replaceAll`` (or ``replaceFirst``) on each term."""

    type_name = "pattern_replace"

    def __init__(self, pattern: Pattern[str], source: str, replacement: str, replace_all: bool = True) -> None:
        self.pattern, self.source, self.replacement, self.replace_all = pattern, source, replacement, replace_all
        self.parts = java_replacement(replacement, pattern)

    def _replace(self, term: str) -> str:
        parts = self.parts
        return self.pattern.sub(lambda m: expand(parts, m), term, count=0 if self.replace_all else 1)

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(self._replace, stream.terms))
        return stream

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "pattern_replace",
            "pattern": self.source,
            "replacement": self.replacement,
            "all": self.replace_all,
        }


def _decimal_digits(term: str) -> str:
    if term.isascii():
        return term
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c for c in term)


class DecimalDigitFilter(TokenFilter):
    """DecimalDigitFilter: every Unicode decimal digit (category Nd) becomes its ASCII digit."""

    type_name = "decimal_digit"

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(_decimal_digits, stream.terms))
        return stream
