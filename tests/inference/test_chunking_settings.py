"""``chunking_settings`` parsing and validation, with Elasticsearch's messages
(``ChunkingSettingsBuilder``, ``SentenceBoundaryChunkingSettings``, ``WordBoundaryChunkingSettings``,
``NoneChunkingSettings``, ``InferenceUtils``)."""

from __future__ import annotations

from typing import Any

import pytest

from retrievo.errors import BadRequestError, error_reason
from retrievo.inference.chunking import (
    DEFAULT_CHUNKING_SETTINGS,
    NoneChunkingSettings,
    SentenceChunkingSettings,
    WordChunkingSettings,
    chunk_text,
    parse_chunking_settings,
)


def error(settings: Any) -> BadRequestError:
    with pytest.raises(BadRequestError) as e:
        parse_chunking_settings(settings)
    return e.value


@pytest.mark.parametrize("settings", [None, {}])
def test_absent_or_empty_settings_are_the_default(settings: Any) -> None:
    assert parse_chunking_settings(settings) == SentenceChunkingSettings(250, 1)
    assert DEFAULT_CHUNKING_SETTINGS.to_dict() == {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1}


def test_valid_settings_round_trip() -> None:
    for raw, parsed in [
        ({"strategy": "sentence", "max_chunk_size": 20}, SentenceChunkingSettings(20, 1)),
        ({"strategy": "sentence", "max_chunk_size": 300, "sentence_overlap": 0}, SentenceChunkingSettings(300, 0)),
        ({"strategy": "word", "max_chunk_size": 10, "overlap": 5}, WordChunkingSettings(10, 5)),
        ({"strategy": "none"}, NoneChunkingSettings()),
    ]:
        assert parse_chunking_settings(raw) == parsed
        assert parse_chunking_settings(parsed.to_dict()) == parsed


def test_strategy_is_required() -> None:
    e = error({"max_chunk_size": 100})
    assert (e.error, error_reason(e)) == (
        "illegal_argument_exception",
        "Can't generate Chunker without ChunkingStrategy provided",
    )


def test_unknown_strategy() -> None:
    assert error_reason(error({"strategy": "paragraph"})) == "Invalid chunkingStrategy paragraph"
    assert error_reason(error({"strategy": "Sentence", "max_chunk_size": 100})) == "Invalid chunkingStrategy Sentence"


def test_recursive_strategy_is_not_supported() -> None:
    assert "not supported in retrievo" in error_reason(error({"strategy": "recursive", "max_chunk_size": 100}))


def test_sentence_validation_messages() -> None:
    e = error({"strategy": "sentence", "max_chunk_size": 10})
    assert e.error == "validation_exception"
    assert error_reason(e) == (
        "Validation Failed: 1: [chunking_settings] Invalid value [10.0]. [max_chunk_size] "
        "must be greater than or equal to [20.0];"
    )
    assert error_reason(error({"strategy": "sentence"})) == (
        "Validation Failed: 1: [chunking_settings] does not contain the required setting [max_chunk_size];"
    )
    assert error_reason(error({"strategy": "sentence", "max_chunk_size": 0})) == (
        "Validation Failed: 1: [chunking_settings] Invalid value [0]. [max_chunk_size] must be a positive integer;"
    )
    assert error_reason(error({"strategy": "sentence", "max_chunk_size": 100, "sentence_overlap": 2})) == (
        "Validation Failed: 1: sentence_overlap[2] must be either 0 or 1;"
    )
    assert error_reason(error({"strategy": "sentence", "max_chunk_size": "100"})) == (
        "Validation Failed: 1: field [max_chunk_size] is not of the expected type. The value [100] cannot "
        "be converted to a [Integer];"
    )
    assert error_reason(error({"strategy": "sentence", "max_chunk_size": 100.0})) == (
        "Validation Failed: 1: field [max_chunk_size] is not of the expected type. The value [100.0] cannot "
        "be converted to a [Integer];"
    )


def test_sentence_rejects_unknown_keys_and_reports_every_problem() -> None:
    e = error({"strategy": "sentence", "max_chunk_size": 5, "overlap": 1})
    assert error_reason(e) == (
        "Validation Failed: 1: Sentence based chunking settings can not have the following settings: [overlap];"
        "2: [chunking_settings] Invalid value [5.0]. [max_chunk_size] must be greater than or equal to [20.0];"
    )


def test_word_validation_messages() -> None:
    assert error_reason(error({"strategy": "word", "max_chunk_size": 100, "overlap": 51})) == (
        "Validation Failed: 1: [chunking_settings] Invalid value [51.0]. [overlap] must be less than or "
        "equal to [50.0];"
    )
    assert error_reason(error({"strategy": "word", "max_chunk_size": 100})) == (
        "Validation Failed: 1: [chunking_settings] does not contain the required setting [overlap];"
    )
    # Elasticsearch's word strategy requires a positive overlap.
    assert error_reason(error({"strategy": "word", "max_chunk_size": 100, "overlap": 0})) == (
        "Validation Failed: 1: [chunking_settings] Invalid value [0]. [overlap] must be a positive integer;"
    )
    assert error_reason(error({"strategy": "word", "max_chunk_size": 9, "overlap": 1})) == (
        "Validation Failed: 1: [chunking_settings] Invalid value [9.0]. [max_chunk_size] must be greater "
        "than or equal to [10.0];"
    )
    assert error_reason(error({"strategy": "word", "max_chunk_size": 100, "overlap": 10, "sentence_overlap": 1})) == (
        "Validation Failed: 1: Word based chunking settings can not have the following settings: [sentence_overlap];"
    )


def test_none_strategy_takes_no_other_keys() -> None:
    e = error({"strategy": "none", "max_chunk_size": 100})
    assert error_reason(e) == (
        "Validation Failed: 1: When chunking is disabled (none), settings can not have the following: [max_chunk_size];"
    )
    assert chunk_text("one. two. three.", NoneChunkingSettings()) == [(0, 16)]


def test_chunking_settings_must_be_an_object() -> None:
    assert "[chunking_settings]" in error_reason(error("sentence"))
