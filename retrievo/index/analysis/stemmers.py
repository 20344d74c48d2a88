"""Snowball stemmers (via the ``snowballstemmer`` package) and Lucene's minimal English stemmer.

Only the Snowball languages whose ``snowballstemmer`` output equals Lucene's SnowballFilter are
offered: checked word for word against Lucene 8.8.1 on about 6,000 words per language built from
each algorithm's own suffix tables (see tools/lucene-oracle-ext/README.md). English (porter2),
German, French, Spanish, Dutch and the other Snowball languages differ between Lucene's bundled
generation of the algorithms and the package's, so they are refused rather than approximated.
"""

from __future__ import annotations

from typing import Any

import snowballstemmer

from .filters import TokenFilter, TokenStream

# ES language name (lowercase) -> snowballstemmer algorithm; all verified equal to Lucene's.
SNOWBALL_LANGUAGES: dict[str, str] = {
    "armenian": "armenian",
    "basque": "basque",
    "catalan": "catalan",
    "danish": "danish",
    "irish": "irish",
    "italian": "italian",
    "lithuanian": "lithuanian",
    "russian": "russian",
    "turkish": "turkish",
}


class SnowballStemFilter(TokenFilter):
    """Lucene's SnowballFilter: each term through the language's stemmer, nothing else changed."""

    type_name = "snowball"

    def __init__(self, language: str) -> None:
        self.language = language
        self._stemmer = snowballstemmer.stemmer(SNOWBALL_LANGUAGES[language])
        self._cache: dict[str, str] = {}

    def _stem(self, term: str) -> str:
        stem = self._cache.get(term)
        if stem is None:
            if len(self._cache) >= 1 << 18:
                self._cache.clear()
            stem = self._cache[term] = self._stemmer.stemWord(term)
        return stem

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(self._stem, stream.terms))
        return stream

    def to_json(self) -> dict[str, Any]:
        return {"type": "snowball", "language": self.language.capitalize()}


def minimal_english_stem(term: str) -> str:
    """EnglishMinimalStemmer: plural "s" removal only ("ies" -> "y" after a non-vowel pair)."""
    n = len(term)
    if n < 3 or term[-1] != "s":
        return term
    before = term[-2]
    if before in "us":
        return term
    if before == "e":
        if n > 3 and term[-3] == "i" and term[-4] not in "ae":
            return term[:-3] + "y"
        if term[-3] in "iaoe":
            return term
    return term[:-1]


class MinimalEnglishStemFilter(TokenFilter):
    type_name = "stemmer"

    def apply(self, stream: TokenStream) -> TokenStream:
        stream.terms = list(map(minimal_english_stem, stream.terms))
        return stream

    def to_json(self) -> dict[str, Any]:
        return {"type": "stemmer", "language": "minimal_english"}
