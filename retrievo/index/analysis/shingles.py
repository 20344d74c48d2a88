"""The ``shingle`` token filter (Lucene 8.8's ShingleFilter as ES's factory sets it up).

Shingles are the word n-grams of the stream, ``min_shingle_size`` to ``max_shingle_size`` tokens
joined by ``token_separator``. A position gap (a removed stop word) is filled with
``filler_token`` entries, at most ``max_shingle_size - 1`` per gap, so that "the quick" with "the"
removed still yields "_ quick". Every input position (fillers included) that emits something
starts a new output position; a shingle spans as many positions as it has tokens, which the
analyze path reports as ``positionLength``.
"""

from __future__ import annotations

from typing import Any

from .filters import Meta, TokenFilter, TokenStream

SHINGLE = "shingle"


class ShingleFilter(TokenFilter):
    type_name = "shingle"

    def __init__(
        self,
        min_shingle_size: int = 2,
        max_shingle_size: int = 2,
        output_unigrams: bool = True,
        output_unigrams_if_no_shingles: bool = False,
        token_separator: str = " ",
        filler_token: str = "_",
    ) -> None:
        # ShingleFilter's constructor checks, in its order and wording.
        if max_shingle_size < 2:
            raise ValueError("Max shingle size must be >= 2")
        if min_shingle_size < 2:
            raise ValueError("Min shingle size must be >= 2")
        if min_shingle_size > max_shingle_size:
            raise ValueError("Min shingle size must be <= max shingle size")
        self.min = min_shingle_size
        self.max = max_shingle_size
        self.output_unigrams = output_unigrams
        self.output_unigrams_if_no_shingles = output_unigrams_if_no_shingles
        self.token_separator = token_separator
        self.filler_token = filler_token

    def _with_fillers(self, stream: TokenStream) -> list[tuple[str, Meta | None, bool]]:
        """(term, meta, is_filler) per input position; a filler takes the next token's start as
        both offsets and its type."""
        out: list[tuple[str, Meta | None, bool]] = []
        meta = stream.meta
        for i, term in enumerate(stream.terms):
            m = meta[i] if meta is not None else None
            fillers = min(stream.incs[i] - 1, self.max - 1)
            for _ in range(max(fillers, 0)):
                out.append((self.filler_token, (m[0], m[0], m[2]) if m is not None else None, True))
            out.append((term, m, False))
        return out

    def apply(self, stream: TokenStream) -> TokenStream:
        items = self._with_fillers(stream)
        unigrams = self.output_unigrams or (self.output_unigrams_if_no_shingles and len(items) < self.min)
        terms: list[str] = []
        incs: list[int] = []
        lengths: list[int] = []
        meta: list[Meta] | None = [] if stream.meta is not None else None
        sep = self.token_separator
        for p, (term, m, filler) in enumerate(items):
            first = True
            if unigrams and not filler:
                terms.append(term)
                incs.append(1)
                lengths.append(1)
                if meta is not None:
                    assert m is not None
                    meta.append(m)
                first = False
            for size in range(self.min, self.max + 1):
                if p + size > len(items):
                    break
                window = items[p : p + size]
                terms.append(sep.join(w[0] for w in window))
                incs.append(1 if first else 0)
                # Lucene's position length: the shingle's token count with unigrams, else counted
                # from the smallest shingle (a min-size shingle spans one position).
                lengths.append(size if self.output_unigrams else max(1, size - self.min + 1))
                if meta is not None:
                    start, end = window[0][1], window[-1][1]
                    assert start is not None and end is not None
                    meta.append((start[0], end[1], SHINGLE))
                first = False
        return TokenStream(terms, incs, meta, lengths)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "shingle",
            "min_shingle_size": self.min,
            "max_shingle_size": self.max,
            "output_unigrams": self.output_unigrams,
            "output_unigrams_if_no_shingles": self.output_unigrams_if_no_shingles,
            "token_separator": self.token_separator,
            "filler_token": self.filler_token,
        }
