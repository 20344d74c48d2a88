"""N-gram tokenizers and token filters (Lucene 8.8's NGram*/EdgeNGram* as ES's factories set them up).

The tokenizers cut the text into runs of "token characters" (every character when ``token_chars``
is empty, else the classes listed) and emit, for each run, every gram of ``min_gram`` to
``max_gram`` code points ordered by start then length (edge: only grams at the run's start).
Every gram is its own position. The filters turn each incoming token into its grams, all at the
token's position and with the token's offsets, as Lucene has done since 4.4.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from ._unicode_tables import LETTER_RANGES, WHITESPACE_RANGES
from .filters import Meta, TokenFilter, TokenStream
from .tokenizers import Span, Tokenizer
from .tokens import WORD

CharTest = Callable[[str], bool]


def _in_ranges(ranges: tuple[int, ...]) -> CharTest:
    bounds = list(zip(ranges[0::2], ranges[1::2]))
    cache: dict[str, bool] = {}

    def test(ch: str) -> bool:
        hit = cache.get(ch)
        if hit is None:
            cp = ord(ch)
            hit = cache[ch] = any(lo <= cp <= hi for lo, hi in bounds)
        return hit

    return test


def _categories(cats: frozenset[str]) -> CharTest:
    return lambda ch: unicodedata.category(ch) in cats


# ES's CharMatcher.Basic classes. letter/whitespace use the JVM's tables; digit, punctuation and
# symbol are Unicode general categories (Python's Unicode version, which may be newer than the JVM's).
TOKEN_CHAR_CLASSES: dict[str, CharTest] = {
    "letter": _in_ranges(LETTER_RANGES),
    "digit": _categories(frozenset({"Nd"})),
    "whitespace": _in_ranges(WHITESPACE_RANGES),
    "punctuation": _categories(frozenset({"Ps", "Pe", "Po", "Pc", "Pd", "Pi", "Pf"})),
    "symbol": _categories(frozenset({"Sm", "Sc", "Sk", "So"})),
}


# java.lang.Character's general-category constants, which ES also accepts as token_chars names.
_JAVA_CATEGORIES = {
    "unassigned": "Cn", "uppercase_letter": "Lu", "lowercase_letter": "Ll", "titlecase_letter": "Lt",
    "modifier_letter": "Lm", "other_letter": "Lo", "non_spacing_mark": "Mn", "enclosing_mark": "Me",
    "combining_spacing_mark": "Mc", "decimal_digit_number": "Nd", "letter_number": "Nl", "other_number": "No",
    "space_separator": "Zs", "line_separator": "Zl", "paragraph_separator": "Zp", "control": "Cc",
    "format": "Cf", "private_use": "Co", "surrogate": "Cs", "dash_punctuation": "Pd",
    "start_punctuation": "Ps", "end_punctuation": "Pe", "connector_punctuation": "Pc",
    "other_punctuation": "Po", "math_symbol": "Sm", "currency_symbol": "Sc", "modifier_symbol": "Sk",
    "other_symbol": "So", "initial_quote_punctuation": "Pi", "final_quote_punctuation": "Pf",
}  # fmt: skip
for _name, _cat in _JAVA_CATEGORIES.items():
    TOKEN_CHAR_CLASSES[_name] = _categories(frozenset({_cat}))


def token_char_test(classes: Iterable[str], custom: str) -> CharTest | None:
    """One test for a ``token_chars`` list (already validated); None means "every character"."""
    tests = [TOKEN_CHAR_CLASSES[c] for c in classes if c != "custom"]
    if "custom" in classes:
        tests.append(frozenset(custom).__contains__)
    if not tests:
        return None
    return lambda ch: any(t(ch) for t in tests)


def _runs(text: str, is_token_char: CharTest | None) -> list[tuple[int, int]]:
    if is_token_char is None:
        return [(0, len(text))] if text else []
    runs: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(text):
        if is_token_char(ch):
            if start < 0:
                start = i
        elif start >= 0:
            runs.append((start, i))
            start = -1
    if start >= 0:
        runs.append((start, len(text)))
    return runs


def _check_sizes(min_gram: int, max_gram: int) -> None:
    # NGramTokenizer / NGramTokenFilter constructor checks (Lucene's wording).
    if min_gram < 1:
        raise ValueError("minGram must be greater than zero")
    if min_gram > max_gram:
        raise ValueError("minGram must not be greater than maxGram")


class NGramTokenizer(Tokenizer):
    type_name = "ngram"
    edges_only = False

    def __init__(
        self, min_gram: int = 1, max_gram: int = 2, token_chars: Iterable[str] = (), custom_token_chars: str = ""
    ) -> None:
        _check_sizes(min_gram, max_gram)
        self.min_gram, self.max_gram = min_gram, max_gram
        self.token_chars = tuple(token_chars)
        self.custom_token_chars = custom_token_chars
        self._is_token_char = token_char_test(self.token_chars, custom_token_chars)

    def spans(self, text: str) -> list[Span]:
        out: list[Span] = []
        lo, hi = self.min_gram, self.max_gram
        for start, end in _runs(text, self._is_token_char):
            starts = range(start, start + 1) if self.edges_only else range(start, end)
            for s in starts:
                for size in range(lo, min(hi, end - s) + 1):
                    out.append((s, s + size, WORD))
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name, "min_gram": self.min_gram, "max_gram": self.max_gram}
        if self.token_chars:
            out["token_chars"] = list(self.token_chars)
        if self.custom_token_chars:
            out["custom_token_chars"] = self.custom_token_chars
        return out


class EdgeNGramTokenizer(NGramTokenizer):
    type_name = "edge_ngram"
    edges_only = True


class NGramTokenFilter(TokenFilter):
    """Each token becomes its grams. A token with no grams disappears, its position increment
    carried to the next token emitted; with ``preserve_original`` a too-short token is kept alone
    and a too-long one is kept after its grams, at the same position."""

    type_name = "ngram"
    edges_only = False

    def __init__(self, min_gram: int = 1, max_gram: int = 2, preserve_original: bool = False) -> None:
        _check_sizes(min_gram, max_gram)
        self.min_gram, self.max_gram, self.preserve_original = min_gram, max_gram, preserve_original

    def _grams(self, term: str) -> list[str]:
        n, lo, hi = len(term), self.min_gram, self.max_gram
        starts = range(1) if self.edges_only else range(n)
        return [term[s : s + size] for s in starts for size in range(lo, min(hi, n - s) + 1)]

    def apply(self, stream: TokenStream) -> TokenStream:
        terms: list[str] = []
        incs: list[int] = []
        meta: list[Meta] | None = [] if stream.meta is not None else None
        pending = 0
        for i, term in enumerate(stream.terms):
            pending += stream.incs[i]
            if self.preserve_original and len(term) < self.min_gram:
                out = [term]
            else:
                out = self._grams(term)
                if self.preserve_original and len(term) > self.max_gram:
                    out.append(term)
            for j, gram in enumerate(out):
                terms.append(gram)
                incs.append(pending if j == 0 else 0)
                if meta is not None:
                    meta.append(stream.meta[i])  # type: ignore[index]
            if out:
                pending = 0
        return TokenStream(terms, incs, meta)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name, "min_gram": self.min_gram, "max_gram": self.max_gram}
        if self.preserve_original:
            out["preserve_original"] = True
        return out


class EdgeNGramTokenFilter(NGramTokenFilter):
    type_name = "edge_ngram"
    edges_only = True
