"""Token filters, each reproducing one Lucene TokenFilter as ES configures it.

A token stream is held column-wise (``terms``, position ``incs``, and optionally ``meta`` =
``(start, end, type)``) rather than as token objects: the indexing path only needs the first two
columns, and list-at-a-time filters keep the per-token Python work to a minimum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress
from operator import sub
from typing import Any

from ._unicode_tables import ASCII_FOLDING
from .lowercase import java_lower, java_upper
from .porter import porter_stem

Meta = tuple[int, int, str]

# Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET (ES "_english_").
ENGLISH_STOP_WORDS: frozenset[str] = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then "
    "there these they this to was will with".split()
)

# EnglishPossessiveFilter strips a trailing apostrophe + s written with any of these.
POSSESSIVE_APOSTROPHES = frozenset("'\u2019\uff07")

_FOLD_TABLE: dict[int, str] = dict(ASCII_FOLDING)


@dataclass(slots=True)
class TokenStream:
    terms: list[str]
    incs: list[int]
    meta: list[Meta] | None = None
    # Position lengths (PositionLengthAttribute); None means all 1. Only filters making
    # multi-position tokens (shingles, synonym graphs, word_delimiter_graph) set it; analyze reads it.
    lengths: list[int] | None = None


class TokenFilter:
    """Base class. Filters are immutable and may be shared between analyzers and threads."""

    type_name: str = ""

    def apply(self, stream: TokenStream) -> TokenStream:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_json()})"


class LowercaseFilter(TokenFilter):
    type_name = "lowercase"

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(java_lower, stream.terms))
        return stream


class UppercaseFilter(TokenFilter):
    type_name = "uppercase"

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(java_upper, stream.terms))
        return stream


class StopFilter(TokenFilter):
    """Removes stop words; a removed token's position increment moves to the next kept token,
    which is what leaves the position gaps that phrase queries rely on."""

    type_name = "stop"

    def __init__(self, words: Iterable[str], ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        # CharArraySet(ignoreCase=true) lowercases entries and probes with Character.toLowerCase.
        self.words: frozenset[str] = frozenset(java_lower(w) for w in words) if ignore_case else frozenset(words)

    def apply(self, stream: TokenStream) -> TokenStream:
        probe = list(map(java_lower, stream.terms)) if self.ignore_case else stream.terms
        words = self.words
        if words.isdisjoint(probe):
            return stream
        keep = [t not in words for t in probe]
        incs = stream.incs
        if stream.meta is None and incs.count(1) == len(incs):
            # Straight from a tokenizer (every increment 1): the kept tokens' positions are their
            # indices, and the new increments are the differences between those positions.
            positions = list(compress(range(len(keep)), keep))
            return TokenStream(list(compress(stream.terms, keep)), list(map(sub, positions, [-1] + positions[:-1])))
        terms: list[str] = []
        new_incs: list[int] = []
        meta: list[Meta] | None = [] if stream.meta is not None else None
        pending = 0
        for i, kept in enumerate(keep):
            if not kept:
                pending += incs[i]
                continue
            terms.append(stream.terms[i])
            new_incs.append(incs[i] + pending)
            pending = 0
            if meta is not None:
                meta.append(stream.meta[i])  # type: ignore[index]
        lengths = None if stream.lengths is None else list(compress(stream.lengths, keep))
        return TokenStream(terms, new_incs, meta, lengths)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "stop", "stopwords": sorted(self.words)}
        if self.ignore_case:
            out["ignore_case"] = True
        return out


class _StemCache(dict[str, str]):
    """Memo for the Porter stemmer; stemming is pure, so one cache serves every analyzer.

    Bounded so that adversarial input (random strings) cannot grow it without limit; clearing is
    cheap and only costs a few re-stems.
    """

    LIMIT = 1 << 20

    def __missing__(self, word: str) -> str:
        stem = porter_stem(word)
        if len(self) >= self.LIMIT:
            self.clear()
        self[word] = stem
        return stem


STEM_CACHE = _StemCache()


class PorterStemFilter(TokenFilter):
    type_name = "porter_stem"

    def __init__(self, keywords: Iterable[str] = ()) -> None:
        # Terms marked as keywords (EnglishAnalyzer's stem_exclusion) pass through unstemmed.
        self.keywords: frozenset[str] = frozenset(keywords)

    def apply(self, stream: TokenStream) -> TokenStream:
        if self.keywords:
            kw = self.keywords
            stream.terms = [t if t in kw else STEM_CACHE[t] for t in stream.terms]
        else:
            stream.terms = list(map(STEM_CACHE.__getitem__, stream.terms))
        return stream


def strip_possessive(term: str) -> str:
    if len(term) >= 2 and term[-1] in "sS" and term[-2] in POSSESSIVE_APOSTROPHES:
        return term[:-2]
    return term


class EnglishPossessiveFilter(TokenFilter):
    type_name = "english_possessive_stemmer"

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(strip_possessive, stream.terms))
        return stream

    def to_json(self) -> dict[str, Any]:
        return {"type": "stemmer", "language": "possessive_english"}


def ascii_fold(term: str) -> str:
    return term if term.isascii() else term.translate(_FOLD_TABLE)


class AsciiFoldingFilter(TokenFilter):
    """ASCIIFoldingFilter. With ``preserve_original`` a changed token is emitted folded first and
    then unchanged at the same position (increment 0), Lucene's order."""

    type_name = "asciifolding"

    def __init__(self, preserve_original: bool = False) -> None:
        self.preserve_original = preserve_original

    def apply(self, stream: TokenStream) -> TokenStream:
        folded = list(map(ascii_fold, stream.terms))
        if not self.preserve_original:
            stream.terms = folded
            return stream
        terms: list[str] = []
        incs: list[int] = []
        meta: list[Meta] | None = [] if stream.meta is not None else None
        for i, (orig, new) in enumerate(zip(stream.terms, folded)):
            terms.append(new)
            incs.append(stream.incs[i])
            if meta is not None:
                meta.append(stream.meta[i])  # type: ignore[index]
            if new != orig:
                terms.append(orig)
                incs.append(0)
                if meta is not None:
                    meta.append(stream.meta[i])  # type: ignore[index]
        lengths = None
        if stream.lengths is not None:  # a kept original spans what its folded form spans
            lengths = [n for n, o, f in zip(stream.lengths, stream.terms, folded) for _ in range(1 + (o != f))]
        return TokenStream(terms, incs, meta, lengths)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "asciifolding"}
        if self.preserve_original:
            out["preserve_original"] = True
        return out
