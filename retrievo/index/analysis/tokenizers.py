"""Tokenizer objects: the first stage of an analyzer, configurable from index settings.

Each tokenizer offers two entry points: ``spans`` (offsets and types, for ``analyze``) and
``terms`` (just the token texts, optionally lowercased on the fly, for indexing). The second
exists so that the common "tokenizer, then lowercase" prefix of a chain can run in C.
"""

from __future__ import annotations

from typing import Any

from . import simple_tokenizers as _simple
from . import standard_tokenizer as _std
from .lowercase import java_lower
from .tokens import WORD

Span = tuple[int, int, str]


class Tokenizer:
    type_name: str = ""

    def spans(self, text: str) -> list[Span]:
        raise NotImplementedError

    def terms(self, text: str, lower: bool) -> list[str]:
        """Token texts; ``lower`` applies LowerCaseFilter as part of tokenization."""
        out = [text[s:e] for s, e, _ in self.spans(text)]
        return list(map(java_lower, out)) if lower else out

    def tokens(self, text: str) -> tuple[list[str], list[Span]]:
        """Terms with their spans (offsets into ``text``). Tokenizers whose terms are not slices of
        the text (path_hierarchy's replacement, char filters in front) override this."""
        spans = self.spans(text)
        return [text[s:e] for s, e, _ in spans], spans

    def increments(self, count: int) -> list[int]:
        """Position increments of ``count`` tokens: 1 each, except for tokenizers that stack
        tokens on one position (path_hierarchy)."""
        return [1] * count

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_json()})"


class StandardTokenizer(Tokenizer):
    type_name = "standard"

    def __init__(self, max_token_length: int = _std.DEFAULT_MAX_TOKEN_LENGTH) -> None:
        self.max_token_length = _std.check_max_token_length(max_token_length)

    def spans(self, text: str) -> list[Span]:
        return _std.fast_spans(text, self.max_token_length)

    def terms(self, text: str, lower: bool) -> list[str]:
        return _std.fast_terms(text, self.max_token_length, lower)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "standard"}
        if self.max_token_length != _std.DEFAULT_MAX_TOKEN_LENGTH:
            out["max_token_length"] = self.max_token_length
        return out


class _CharTokenizer(Tokenizer):
    def __init__(self, max_token_length: int = _simple.DEFAULT_MAX_TOKEN_LENGTH) -> None:
        if max_token_length < 1 or max_token_length > _simple.MAX_TOKEN_LENGTH_LIMIT:
            raise ValueError(
                f"maxTokenLen must be greater than 0 and less than {_simple.MAX_TOKEN_LENGTH_LIMIT} "
                f"passed: {max_token_length}"
            )
        self.max_token_length = max_token_length

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name}
        if self.max_token_length != _simple.DEFAULT_MAX_TOKEN_LENGTH:
            out["max_token_length"] = self.max_token_length
        return out


class WhitespaceTokenizer(_CharTokenizer):
    type_name = "whitespace"

    def spans(self, text: str) -> list[Span]:
        return [(s, e, WORD) for s, e in _simple.whitespace_spans(text, self.max_token_length)]

    def terms(self, text: str, lower: bool) -> list[str]:
        if text.isascii():
            # str.split() and Character.isWhitespace agree on ASCII (including \x1c-\x1f)
            out = (text.lower() if lower else text).split()
            if not out or max(map(len, out)) < self.max_token_length:
                return out
        return super().terms(text, lower)


class LetterTokenizer(_CharTokenizer):
    type_name = "letter"

    def spans(self, text: str) -> list[Span]:
        return [(s, e, WORD) for s, e in _simple.letter_spans(text, self.max_token_length)]

    def terms(self, text: str, lower: bool) -> list[str]:
        if text.isascii():
            out = _simple.ascii_letter_terms(text.lower()) if lower else _simple.letter_terms(text)
            limit = self.max_token_length
        else:
            out = _simple.letter_terms(java_lower(text) if lower else text)
            limit = (self.max_token_length + 1) // 2  # a supplementary letter counts two units
        if not out or max(map(len, out)) < limit:
            return out
        return super().terms(text, lower)


class KeywordTokenizer(Tokenizer):
    """The whole input as one token. ``buffer_size`` is only an initial allocation in Lucene."""

    type_name = "keyword"

    def __init__(self, buffer_size: int = 256) -> None:
        if buffer_size <= 0 or buffer_size > _simple.MAX_TOKEN_LENGTH_LIMIT:
            raise ValueError(
                f"maxTokenLen must be greater than 0 and less than {_simple.MAX_TOKEN_LENGTH_LIMIT} "
                f"passed: {buffer_size}"
            )
        self.buffer_size = buffer_size

    def spans(self, text: str) -> list[Span]:
        return [(0, len(text), WORD)]

    def terms(self, text: str, lower: bool) -> list[str]:
        return [java_lower(text) if lower else text]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "keyword"}
        if self.buffer_size != 256:
            out["buffer_size"] = self.buffer_size
        return out
