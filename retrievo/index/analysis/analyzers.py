"""Analyzers: a tokenizer plus a filter chain, with fast paths for the built-ins.

``Analyzer.analyze`` is the reference implementation (offsets, types). ``Analyzer.terms`` is what
indexing and query parsing call millions of times, so it skips offsets and types, fuses a leading
LowerCaseFilter into tokenization, and for the ``english`` chain memoizes the whole
possessive -> stop -> Porter tail per distinct lowercased token. Both paths must agree token for
token; the test-suite checks that on the goldens and on random text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import accumulate, compress
from typing import Any

from .filters import (
    ENGLISH_STOP_WORDS,
    EnglishPossessiveFilter,
    LowercaseFilter,
    PorterStemFilter,
    StopFilter,
    TokenFilter,
    TokenStream,
    strip_possessive,
)
from .porter import porter_stem
from .tokenizers import KeywordTokenizer, LetterTokenizer, StandardTokenizer, Tokenizer, WhitespaceTokenizer
from .tokens import Token

# TextFieldMapper.Defaults.POSITION_INCREMENT_GAP: the gap between values of a multi-valued field.
DEFAULT_POSITION_INCREMENT_GAP = 100


class Analyzer:
    """Immutable analysis chain; safe to share between threads (caches are append-only dicts)."""

    __slots__ = ("name", "tokenizer", "filters", "position_increment_gap", "_definition", "_fused_lowercase")

    def __init__(
        self,
        name: str,
        tokenizer: Tokenizer,
        filters: Sequence[TokenFilter] = (),
        *,
        position_increment_gap: int = DEFAULT_POSITION_INCREMENT_GAP,
        definition: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.tokenizer = tokenizer
        self.filters: tuple[TokenFilter, ...] = tuple(filters)
        self.position_increment_gap = position_increment_gap
        self._definition = definition
        # A leading LowerCaseFilter is applied inside the tokenizer's fast path.
        self._fused_lowercase = bool(self.filters) and type(self.filters[0]) is LowercaseFilter

    def analyze(self, text: str) -> list[Token]:
        terms, spans = self.tokenizer.tokens(text)
        stream = TokenStream(terms, self.tokenizer.increments(len(spans)), spans)
        for f in self.filters:
            stream = f.apply(stream)
        meta = stream.meta
        assert meta is not None
        positions = accumulate(stream.incs)
        lengths = stream.lengths or [1] * len(meta)
        rows = zip(stream.terms, positions, meta, lengths)
        return [Token(term, pos - 1, m[0], m[1], m[2], n) for term, pos, m, n in rows]

    def terms(self, text: str) -> tuple[list[str], list[int]]:
        """Terms and absolute positions, identical to ``analyze`` minus offsets and types."""
        fused = self._fused_lowercase
        terms = self.tokenizer.terms(text, fused)
        stream = TokenStream(terms, self.tokenizer.increments(len(terms)))
        for f in self.filters[1:] if fused else self.filters:
            stream = f.apply(stream)
        incs = stream.incs
        if incs.count(1) == len(incs):
            return stream.terms, list(range(len(incs)))
        return stream.terms, list(accumulate(incs, initial=-1))[1:]

    def to_json(self) -> dict[str, Any] | None:
        """The settings form of a custom analyzer (None for built-ins)."""
        return dict(self._definition) if self._definition is not None else None

    def __repr__(self) -> str:
        return f"Analyzer({self.name!r}, {self.tokenizer!r}, {list(self.filters)!r})"


class StandardAnalyzer(Analyzer):
    """ES ``standard``: StandardTokenizer -> LowerCaseFilter [-> StopFilter]."""

    __slots__ = ("_plain",)

    def __init__(
        self,
        name: str = "standard",
        stopwords: Iterable[str] = (),
        max_token_length: int = 255,
        *,
        position_increment_gap: int = DEFAULT_POSITION_INCREMENT_GAP,
        definition: dict[str, Any] | None = None,
    ) -> None:
        words = frozenset(stopwords)
        filters: list[TokenFilter] = [LowercaseFilter()]
        if words:
            filters.append(StopFilter(words))
        super().__init__(
            name,
            StandardTokenizer(max_token_length),
            filters,
            position_increment_gap=position_increment_gap,
            definition=definition,
        )
        self._plain = not words

    def terms(self, text: str) -> tuple[list[str], list[int]]:
        if self._plain:
            terms = self.tokenizer.terms(text, True)
            return terms, list(range(len(terms)))
        return super().terms(text)


class _EnglishTail(dict[str, str]):
    """Lowercased token -> final term, or "" when the stop filter drops it.

    Possessive stripping may run after lowercasing here because no character other than 'S'
    lowercases to 's' and the three apostrophes are their own lowercase (checked in the tests).
    "" can never be a real result: a StandardTokenizer token never starts with an apostrophe, so
    stripping "'s" cannot leave an empty term, and Porter never empties a word.
    """

    LIMIT = 1 << 20

    def __init__(self, stopwords: frozenset[str], stem_exclusion: frozenset[str]) -> None:
        super().__init__()
        self.stopwords = stopwords
        self.stem_exclusion = stem_exclusion

    def __missing__(self, token: str) -> str:
        term = strip_possessive(token)
        if term in self.stopwords:
            out = ""
        elif term in self.stem_exclusion:
            out = term
        else:
            out = porter_stem(term)
        if len(self) >= self.LIMIT:
            self.clear()
        self[token] = out
        return out


class EnglishAnalyzer(Analyzer):
    """ES/Lucene ``english``: StandardTokenizer -> EnglishPossessiveFilter -> LowerCaseFilter ->
    StopFilter -> [SetKeywordMarkerFilter] -> PorterStemFilter."""

    __slots__ = ("_tail",)

    def __init__(
        self,
        name: str = "english",
        stopwords: Iterable[str] = ENGLISH_STOP_WORDS,
        stem_exclusion: Iterable[str] = (),
        *,
        position_increment_gap: int = DEFAULT_POSITION_INCREMENT_GAP,
        definition: dict[str, Any] | None = None,
    ) -> None:
        words, exclusion = frozenset(stopwords), frozenset(stem_exclusion)
        filters: list[TokenFilter] = [EnglishPossessiveFilter(), LowercaseFilter()]
        if words:
            filters.append(StopFilter(words))
        filters.append(PorterStemFilter(exclusion))
        super().__init__(
            name, StandardTokenizer(), filters, position_increment_gap=position_increment_gap, definition=definition
        )
        self._tail = _EnglishTail(words, exclusion)

    def terms(self, text: str) -> tuple[list[str], list[int]]:
        mapped = list(map(self._tail.__getitem__, self.tokenizer.terms(text, True)))
        if "" not in mapped:
            return mapped, list(range(len(mapped)))
        return list(filter(None, mapped)), list(compress(range(len(mapped)), mapped))


def simple_analyzer(name: str = "simple", **kw: Any) -> Analyzer:
    """ES ``simple``: LetterTokenizer -> LowerCaseFilter."""
    return Analyzer(name, LetterTokenizer(), [LowercaseFilter()], **kw)


def stop_analyzer(name: str = "stop", stopwords: Iterable[str] = ENGLISH_STOP_WORDS, **kw: Any) -> Analyzer:
    """ES ``stop``: LetterTokenizer -> LowerCaseFilter -> StopFilter."""
    return Analyzer(name, LetterTokenizer(), [LowercaseFilter(), StopFilter(stopwords)], **kw)


def whitespace_analyzer(name: str = "whitespace", **kw: Any) -> Analyzer:
    """ES ``whitespace``: WhitespaceTokenizer, no lowercasing."""
    return Analyzer(name, WhitespaceTokenizer(), [], **kw)


def keyword_analyzer(name: str = "keyword", **kw: Any) -> Analyzer:
    """ES ``keyword``: the whole input as a single term."""
    return Analyzer(name, KeywordTokenizer(), [], **kw)


STANDARD = StandardAnalyzer()
ENGLISH = EnglishAnalyzer()
SIMPLE = simple_analyzer()
STOP = stop_analyzer()
WHITESPACE = whitespace_analyzer()
KEYWORD = keyword_analyzer()

BUILTIN_ANALYZERS: dict[str, Analyzer] = {a.name: a for a in (STANDARD, ENGLISH, SIMPLE, STOP, WHITESPACE, KEYWORD)}
