"""The token record shared by every analyzer."""

from __future__ import annotations

from dataclasses import dataclass

# Token types, spelled as Lucene's StandardTokenizer.TOKEN_TYPES (what ES's _analyze reports).
ALPHANUM = "<ALPHANUM>"
NUM = "<NUM>"
SOUTHEAST_ASIAN = "<SOUTHEAST_ASIAN>"
IDEOGRAPHIC = "<IDEOGRAPHIC>"
HIRAGANA = "<HIRAGANA>"
KATAKANA = "<KATAKANA>"
HANGUL = "<HANGUL>"
EMOJI = "<EMOJI>"
# Lucene's TypeAttribute default, used by the whitespace, letter and keyword tokenizers.
WORD = "word"


@dataclass(frozen=True, slots=True)
class Token:
    """One analyzed token.

    ``position`` is absolute (the running sum of position increments, first token at 0), so
    removed stop words leave gaps exactly as in the index. Offsets are code-point indices into the
    analyzed Python string, not UTF-16 units, because that is what callers slice with.
    """

    term: str
    position: int
    start_offset: int
    end_offset: int
    type: str
    # How many positions the token spans (Lucene's PositionLengthAttribute): >1 for shingles,
    # synonym-graph alternatives and word_delimiter_graph catenations.
    position_length: int = 1
