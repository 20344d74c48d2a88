"""Elasticsearch's text chunkers and ``chunking_settings``, for ``semantic_text`` and ``chunk_rescorer``.

Ported from ``org.elasticsearch.xpack.core.inference.chunking``:

* :func:`parse_chunking_settings` is ``ChunkingSettingsBuilder.fromMap`` with the three strategies'
  ``fromMap`` validators (``SentenceBoundaryChunkingSettings``, ``WordBoundaryChunkingSettings``,
  ``NoneChunkingSettings``) and their exact messages. An empty map means the default
  ``sentence`` / ``max_chunk_size: 250`` / ``sentence_overlap: 1``.
* :func:`word_chunks` is ``WordBoundaryChunker.chunkPositions``: windows of ``max_chunk_size``
  words that advance by ``max_chunk_size - overlap`` words. A chunk ends right after its last word;
  the whitespace and punctuation that follow belong to the *next* chunk.
* :func:`sentence_chunks` is ``SentenceBoundaryChunker.chunk``: whole sentences are packed greedily
  up to ``max_chunk_size`` words; a sentence longer than that is split with the word chunker
  (overlap ``min(20, (max - 1) // 2)``); with ``sentence_overlap: 1`` each chunk starts with the
  previous sentence (cut to its last ``min(max // 2, 20)`` words when both would not fit).
* ``none`` returns the whole text as one chunk.

Every chunk is a :class:`ChunkOffset` into the original string (``text[start:end]``), which is what
Elasticsearch stores in ``semantic_text``'s ``offsets``. Word and sentence boundaries come from
:mod:`retrievo.inference.text_segmentation`, which approximates ICU (see its docstring for where
the approximation differs: CJK and South-East Asian scripts). Offsets are code-point indices;
:func:`utf16_offset` converts one to the UTF-16 index Elasticsearch reports.

The Java quirks are kept on purpose, so chunk boundaries match Elasticsearch's: the word count of a
sentence includes the token right before it (``ChunkerUtils.countWords``), and ``skipWords`` may
return a position one token before the previous sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from retrievo.errors import illegal_argument, not_supported

from .errors import java_str, validation_exception
from .settings_parsing import SettingsReader, invalid_type_message
from .text_segmentation import sentence_ends, word_boundaries

SCOPE = "chunking_settings"
SENTENCE_MIN_CHUNK_SIZE = 20
WORD_MIN_CHUNK_SIZE = 10
DEFAULT_MAX_CHUNK_SIZE = 250
DEFAULT_SENTENCE_OVERLAP = 1
# EmbeddingRequestChunker.MAX_CHUNKS: more chunks than this are merged when embedded.
MAX_CHUNKS_PER_INPUT = 512


class ChunkOffset(NamedTuple):
    """One chunk as ``[start, end)`` code-point offsets into the chunked text."""

    start: int
    end: int

    def text(self, source: str) -> str:
        return source[self.start : self.end]


@dataclass(frozen=True)
class SentenceChunkingSettings:
    """``{"strategy": "sentence", "max_chunk_size": N, "sentence_overlap": 0|1}``."""

    max_chunk_size: int = DEFAULT_MAX_CHUNK_SIZE
    sentence_overlap: int = DEFAULT_SENTENCE_OVERLAP
    strategy: Literal["sentence"] = "sentence"

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": "sentence",
            "max_chunk_size": self.max_chunk_size,
            "sentence_overlap": self.sentence_overlap,
        }


@dataclass(frozen=True)
class WordChunkingSettings:
    """``{"strategy": "word", "max_chunk_size": N, "overlap": M}``."""

    max_chunk_size: int
    overlap: int
    strategy: Literal["word"] = "word"

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": "word", "max_chunk_size": self.max_chunk_size, "overlap": self.overlap}


@dataclass(frozen=True)
class NoneChunkingSettings:
    """``{"strategy": "none"}``: the whole input is one chunk."""

    strategy: Literal["none"] = "none"

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": "none"}


ChunkingSettings = SentenceChunkingSettings | WordChunkingSettings | NoneChunkingSettings
DEFAULT_CHUNKING_SETTINGS: ChunkingSettings = SentenceChunkingSettings()

# --------------------------------------------------------------------------- parsing


def parse_chunking_settings(settings: Any) -> ChunkingSettings:
    """``ChunkingSettingsBuilder.fromMap`` for a request: ``None``/``{}`` give the default settings."""
    if settings is None:
        return DEFAULT_CHUNKING_SETTINGS
    if not isinstance(settings, Mapping):
        raise illegal_argument(invalid_type_message(SCOPE, settings, dict))
    if not settings:
        return DEFAULT_CHUNKING_SETTINGS
    if "strategy" not in settings:
        raise illegal_argument("Can't generate Chunker without ChunkingStrategy provided")
    strategy = java_str(settings["strategy"])
    if strategy == "sentence":
        return _parse_sentence(settings)
    if strategy == "word":
        return _parse_word(settings)
    if strategy == "none":
        return _parse_none(settings)
    if strategy == "recursive":
        raise not_supported("chunking strategy [recursive]", "use [sentence], [word] or [none]")
    raise illegal_argument(f"Invalid chunkingStrategy {strategy}")


def _invalid_keys(settings: Mapping[str, Any], valid: tuple[str, ...]) -> list[str]:
    return [k for k in settings if k not in valid]


def _parse_sentence(settings: Mapping[str, Any]) -> SentenceChunkingSettings:
    reader = SettingsReader(settings, SCOPE)
    invalid = _invalid_keys(settings, ("strategy", "max_chunk_size", "sentence_overlap"))
    if invalid:
        reader.errors.append(
            "Sentence based chunking settings can not have the following settings: " + java_str(invalid)
        )
    max_chunk_size = reader.required_positive_int_at_least("max_chunk_size", SENTENCE_MIN_CHUNK_SIZE)
    overlap = reader.remove("sentence_overlap", int)
    if overlap is None:
        overlap = DEFAULT_SENTENCE_OVERLAP
    elif overlap not in (0, 1):
        reader.errors.append(f"sentence_overlap[{overlap}] must be either 0 or 1")
    reader.raise_if_errors()
    assert max_chunk_size is not None
    return SentenceChunkingSettings(max_chunk_size, overlap)


def _parse_word(settings: Mapping[str, Any]) -> WordChunkingSettings:
    reader = SettingsReader(settings, SCOPE)
    invalid = _invalid_keys(settings, ("strategy", "max_chunk_size", "overlap"))
    if invalid:
        reader.errors.append("Word based chunking settings can not have the following settings: " + java_str(invalid))
    max_chunk_size = reader.required_positive_int_at_least("max_chunk_size", WORD_MIN_CHUNK_SIZE)
    overlap = None
    if max_chunk_size is not None:
        overlap = reader.required_positive_int_at_most("overlap", max_chunk_size // 2)
    reader.raise_if_errors()
    assert max_chunk_size is not None and overlap is not None
    return WordChunkingSettings(max_chunk_size, overlap)


def _parse_none(settings: Mapping[str, Any]) -> NoneChunkingSettings:
    invalid = _invalid_keys(settings, ("strategy",))
    if invalid:
        raise validation_exception(
            ["When chunking is disabled (none), settings can not have the following: " + java_str(invalid)]
        )
    return NoneChunkingSettings()


# --------------------------------------------------------------------------- chunkers


def chunk_text(text: str, settings: ChunkingSettings) -> list[ChunkOffset]:
    """Chunk ``text`` with ``settings`` (``ChunkerBuilder.fromChunkingStrategy(...).chunk``)."""
    if isinstance(settings, SentenceChunkingSettings):
        return sentence_chunks(text, settings.max_chunk_size, settings.sentence_overlap > 0)
    if isinstance(settings, WordChunkingSettings):
        return word_chunks(text, settings.max_chunk_size, settings.overlap)
    return [ChunkOffset(0, len(text))]


class _WordChunk(NamedTuple):
    offsets: ChunkOffset
    word_count: int


def word_chunks(text: str, chunk_size: int, overlap: int) -> list[ChunkOffset]:
    """``WordBoundaryChunker.chunk``: windows of ``chunk_size`` words overlapping by ``overlap``."""
    return [c.offsets for c in _word_chunk_positions(text, chunk_size, overlap)]


def _word_chunk_positions(text: str, chunk_size: int, overlap: int) -> list[_WordChunk]:
    if overlap > 0 and overlap > chunk_size // 2:
        raise illegal_argument(
            f"Invalid chunking parameters, overlap [{overlap}] must be < chunk size / 2 "
            f"[{chunk_size} / 2 = {chunk_size // 2}]"
        )
    if overlap < 0:
        raise illegal_argument(f"Invalid chunking parameters, overlap [{overlap}] must be >= 0")
    chunks: list[_WordChunk] = []
    size_less_overlap = chunk_size - overlap
    words_in_chunk = 0  # includes the words carried over from the previous chunk's overlap
    next_window_start = 0
    window_start = 0
    words_since_mark = 0
    wb = word_boundaries(text)
    for boundary, is_word in zip(wb.boundaries[1:], wb.is_word[1:]):
        if not is_word:
            continue
        words_in_chunk += 1
        words_since_mark += 1
        if words_in_chunk >= chunk_size:
            chunks.append(_WordChunk(ChunkOffset(window_start, boundary), words_in_chunk))
            words_in_chunk = overlap
            if overlap == 0:
                next_window_start = boundary
            window_start = next_window_start
        if words_since_mark == size_less_overlap:
            next_window_start = boundary
            words_since_mark = 0
    # The last, partly filled window; a window holding only the overlap is dropped unless it is
    # the only one.
    if words_in_chunk > overlap or not chunks:
        chunks.append(_WordChunk(ChunkOffset(window_start, len(text)), words_in_chunk))
    return chunks


def _overlap_for_long_sentence(chunk_size: int) -> int:
    return min(20, (chunk_size - 1) // 2)


def max_words_in_sentence_overlap(chunk_size: int) -> int:
    """``SentenceBoundaryChunker.maxWordsInOverlap``."""
    return min(chunk_size // 2, 20)


def sentence_chunks(text: str, max_words: int, include_preceding_sentence: bool) -> list[ChunkOffset]:
    """``SentenceBoundaryChunker.chunk(input, maxNumberWordsPerChunk, includePrecedingSentence)``."""
    chunks: list[ChunkOffset] = []
    wb = word_boundaries(text)
    chunk_start = 0
    chunk_end = 0
    sentence_start = 0
    chunk_word_count = 0
    words_in_preceding_sentence = 0
    previous_sentence_start = 0

    for sentence_end in sentence_ends(text):
        words_in_sentence = wb.count_words(sentence_start, sentence_end)
        if chunk_word_count + words_in_sentence > max_words:
            # Over the limit: close the chunk before this sentence.
            next_chunk_word_count = words_in_sentence
            if chunk_word_count > 0:
                chunks.append(ChunkOffset(chunk_start, chunk_end))
                if include_preceding_sentence:
                    if words_in_preceding_sentence + words_in_sentence > max_words:
                        skip = _words_to_skip_in_previous_sentence(words_in_preceding_sentence, max_words)
                        chunk_start = wb.skip_words(previous_sentence_start, skip)
                        chunk_word_count = words_in_preceding_sentence - skip + words_in_sentence
                    else:
                        chunk_word_count = words_in_preceding_sentence + words_in_sentence
                        chunk_start = previous_sentence_start
                    next_chunk_word_count = chunk_word_count
                else:
                    chunk_start = chunk_end
                    chunk_word_count = words_in_sentence
            if next_chunk_word_count > max_words:
                # The sentence (with its optional overlap) alone is too long: split it on words.
                splits = _word_chunk_positions(
                    text[chunk_start:sentence_end], max_words, _overlap_for_long_sentence(max_words)
                )
                for split in splits[:-1]:
                    chunks.append(ChunkOffset(chunk_start + split.offsets.start, chunk_start + split.offsets.end))
                # The last split is partly filled and starts the next chunk.
                chunk_start += splits[-1].offsets.start
                chunk_word_count = splits[-1].word_count
        else:
            chunk_word_count += words_in_sentence
        if include_preceding_sentence:
            previous_sentence_start = sentence_start
            words_in_preceding_sentence = words_in_sentence
        sentence_start = sentence_end
        chunk_end = sentence_end

    if chunk_word_count > 0:
        chunks.append(ChunkOffset(chunk_start, len(text)))
    if not chunks:
        chunks.append(ChunkOffset(0, len(text)))  # nothing chunked: the whole input
    return chunks


def _words_to_skip_in_previous_sentence(words_in_preceding_sentence: int, max_words: int) -> int:
    max_overlap = max_words_in_sentence_overlap(max_words)
    return words_in_preceding_sentence - max_overlap if words_in_preceding_sentence > max_overlap else 0


def count_words(text: str) -> int:
    """``ChunkerUtils.countWords(text)``: ICU words in ``text`` (used to size rerank windows)."""
    if not text:
        return 0
    return word_boundaries(text).count_words(0, len(text))


def utf16_offset(text: str, offset: int) -> int:
    """The UTF-16 index Elasticsearch (Java) would report for code-point ``offset`` in ``text``."""
    return offset + sum(1 for ch in text[:offset] if ord(ch) > 0xFFFF)
