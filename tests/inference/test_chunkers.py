"""The word and sentence chunkers against Elasticsearch's own unit tests.

Ported from ``WordBoundaryChunkerTests`` and ``SentenceBoundaryChunkerTests``
(x-pack/plugin/core/src/test/java/org/elasticsearch/xpack/core/inference/chunking). Randomised Java
tests are run over their whole parameter range instead of one random draw.
"""

from __future__ import annotations

import itertools
import re

import pytest

from retrievo.errors import BadRequestError, error_reason
from retrievo.inference.chunking import (
    ChunkOffset,
    max_words_in_sentence_overlap,
    sentence_chunks,
    utf16_offset,
    word_chunks,
)
from retrievo.inference.text_segmentation import word_boundaries

TEST_TEXT = (
    "Word segmentation is the problem of dividing a string of written language into its component words.\n"
    "In English and many other languages using some form of the Latin alphabet, the space is a good approximation of a word divider "
    "(word delimiter), although this concept has limits because of the variability with which languages emically regard collocations "
    "and compounds. Many English compound nouns are variably written (for example, ice box = ice-box = icebox; pig sty = pig-sty = "
    "pigsty) with a corresponding variation in whether speakers think of them as noun phrases or single nouns; there are trends in "
    "how norms are set, such as that open compounds often tend eventually to solidify by widespread convention, but variation remains"
    " systemic. In contrast, German compound nouns show less orthographic variation, with solidification being a stronger norm."
)

MULTI_LINGUAL = [
    "Građevne strukture Mesa Verde dokaz su akumuliranog znanja i vještina koje su se stoljećima prenosile generacijama civilizacije"
    " Anasazi. Vrhunce svojih dosega ostvarili su u 12. i 13. stoljeću, kada su sagrađene danas najpoznatije građevine na "
    "liticama. Zidali su obrađenim pješčenjakom, tvrđim kamenom oblikovanim do veličine štruce kruha.",
    "Histoarysk wie in acre in stik lân dat 40 roeden (oftewol 1 furlong of ⅛ myl of 660 foet) lang wie, en 4 roeden (of 66 foet) "
    "breed. Men is fan tinken dat dat likernôch de grûnmjitte wie dy't men mei in jok oksen yn ien dei beploegje koe.",
    "創業当初の「太平洋化学工業社」から1959年太平洋化学工業株式会社へ、1987年には太平洋化学㈱に社名を変更。 1990年以降、海外拠点を増やし本格的な国際進出を始動。"
    " 創業者がつくりあげた化粧品会社を世界企業へと成長させるべく2002年3月英文社名AMOREPACIFICに改めた。",
    "۱۔ ھن شق جي مطابق قادياني گروھ يا لاھوري گروھ جي ڪنھن رڪن کي جيڪو پاڻ کي 'احمدي' يا ڪنھن ٻي نالي سان پڪاري جي لاءِ ممنوع قرار "
    "ڏنو ويو آھي تہ ھو (الف) ڳالھائي، لکي يا ڪنھن ٻي طريقي سان ڪنھن خليفي يا آنحضور ﷺ جي ڪنھن صحابي کان علاوہڍه ڪنھن کي امير",
]


def texts(source: str, chunks: list[ChunkOffset]) -> list[str]:
    return [source[c.start : c.end] for c in chunks]


def numbers(count: int) -> str:
    return "".join(f"{i} " for i in range(count))


# --------------------------------------------------------------------------- WordBoundaryChunkerTests


def test_word_single_split() -> None:
    assert texts(TEST_TEXT, word_chunks(TEST_TEXT, 10_000, 0)) == [TEST_TEXT]


@pytest.mark.parametrize("chunk_size", [10, 20, 100, 300])
def test_word_chunk_size_on_white_space_no_overlap(chunk_size: int) -> None:
    words = len(TEST_TEXT.split())
    assert len(word_chunks(TEST_TEXT, chunk_size, 0)) == (words + chunk_size - 1) // chunk_size


@pytest.mark.parametrize("text", MULTI_LINGUAL)
def test_word_multilingual(text: str) -> None:
    assert len(word_chunks(text, 10, 0)) > 1


def expected_number_of_chunks(num_words: int, window: int, overlap: int) -> int:
    if num_words < window:
        return 1
    remaining = num_words - window
    step = window - overlap
    return 1 + (remaining + step - 1) // step


@pytest.mark.parametrize("num_words", [10, 22, 50, 73, 100])
@pytest.mark.parametrize("window,overlap", [(10, 4), (10, 2), (20, 4), (20, 10)])
def test_word_number_of_chunks(num_words: int, window: int, overlap: int) -> None:
    text = numbers(num_words)
    assert len(word_chunks(text, window, overlap)) == expected_number_of_chunks(num_words, window, overlap)


def test_word_window_spanning_with_overlap_num_words_in_overlap_section() -> None:
    for num_words in (7, 8, 9, 10):
        assert len(word_chunks(numbers(num_words), 10, 3)) == 1
    assert len(word_chunks(numbers(11), 10, 3)) == 2


@pytest.mark.parametrize("num_words", range(4, 121))
@pytest.mark.parametrize("window,overlap", [(20, 10), (10, 4), (15, 3)])
def test_word_window_spanning_words(num_words: int, window: int, overlap: int) -> None:
    text = numbers(num_words).rstrip()
    chunks = texts(text, word_chunks(text, window, overlap))
    start, index = 0, 0
    while True:
        end = min(start + window, num_words)
        # The whitespace after a chunk's last word starts the next chunk.
        expected = (" " if index > 0 else "") + " ".join(str(i) for i in range(start, end))
        assert chunks[index] == expected
        index += 1
        if end == num_words:
            break
        start += window - overlap
    assert len(chunks) == index


def test_word_text_shorter_than_window() -> None:
    assert len(word_chunks(numbers(8), 10, 5)) == 1


@pytest.mark.parametrize("text", ["", " ", "   ", "   b", "b", ". ", " , ", " ,", "a" * 32_000])
def test_word_degenerate_inputs_are_one_chunk(text: str) -> None:
    assert texts(text, word_chunks(text, 100, 10)) == [text]


def test_word_punctuation() -> None:
    assert texts("Comma, separated", word_chunks("Comma, separated", 1, 0)) == ["Comma", ", separated"]
    assert texts("Mme. Thénardier", word_chunks("Mme. Thénardier", 1, 0)) == ["Mme", ". Thénardier"]
    assert texts("Won't you chunk", word_chunks("Won't you chunk", 1, 0)) == ["Won't", " you", " chunk"]
    assert texts("Won't you chunk", word_chunks("Won't you chunk", 10, 0)) == ["Won't you chunk"]


def test_word_invalid_params() -> None:
    with pytest.raises(BadRequestError) as e:
        word_chunks("not evaluated", 4, 10)
    assert "Invalid chunking parameters, overlap [10] must be < chunk size / 2 [4 / 2 = 2]" in error_reason(e.value)
    with pytest.raises(BadRequestError) as e:
        word_chunks("not evaluated", 10, 6)
    assert "Invalid chunking parameters, overlap [6] must be < chunk size / 2 [10 / 2 = 5]" in error_reason(e.value)


# --------------------------------------------------------------------------- SentenceBoundaryChunkerTests


@pytest.mark.parametrize("overlap", [False, True])
@pytest.mark.parametrize("text", ["", "   ", "   b", "b", ". ", " , ", " ,", "a" * 32_000])
def test_sentence_degenerate_inputs_are_one_chunk(text: str, overlap: bool) -> None:
    assert texts(text, sentence_chunks(text, 100, overlap)) == [text]


def sentence_sizes(text: str) -> list[int]:
    """The Java test's estimate: split on '. ', drop '=' (not an ICU word), words split on ' ' or '-'."""
    return [len(re.split(r"[ \-]+", s.replace("=", ""))) for s in re.split(r"\.\s+", text)]


def chunk_overlaps(lengths: list[int], max_words: int, overlap: bool) -> list[int]:
    max_overlap = max_words_in_sentence_overlap(max_words)
    overlaps = [0]
    running = 0
    for i, length in enumerate(lengths):
        if running + length > max_words:
            running = length
            if overlap and i > 0:
                carried = min(max_overlap, lengths[i - 1])
                overlaps.append(carried)
                running += carried
            else:
                overlaps.append(0)
        else:
            running += length
    return overlaps


@pytest.mark.parametrize("max_words", [100, 200])
def test_sentence_chunk_split_large_chunk_sizes(max_words: int) -> None:
    chunks = texts(TEST_TEXT, sentence_chunks(TEST_TEXT, max_words, False))
    assert len(chunks) == len(chunk_overlaps(sentence_sizes(TEST_TEXT), max_words, False))
    for chunk in chunks:
        assert chunk[0].isupper()
        assert chunk.strip()[-1] == "."


@pytest.mark.parametrize("max_words", [70, 80, 100, 120, 150, 200])
def test_sentence_chunk_split_large_chunk_sizes_with_overlap(max_words: int) -> None:
    chunks = texts(TEST_TEXT, sentence_chunks(TEST_TEXT, max_words, True))
    overlaps = chunk_overlaps(sentence_sizes(TEST_TEXT), max_words, True)
    assert len(chunks) == len(overlaps)
    assert chunks[0][0].isupper()
    for i, overlap in enumerate(overlaps):
        if overlap == 0:
            assert chunks[i][0].isupper()
        else:
            assert chunks[i - 1][-20:] in chunks[i]
    assert chunks[0].strip()[-1] == "."
    assert chunks[-1].strip()[-1] == "."


def make_sentence(num_words: int, index: int) -> str:
    return f"SStart{index} " + "".join(f"{i} " for i in range(1, num_words - 1)) + f"{num_words - 1}. "


@pytest.mark.parametrize("num_sentences", [2, 3, 4, 5])
def test_sentence_with_overlap_sentences_fit_in_chunks(num_sentences: int) -> None:
    num_chunks, chunk_size = 4, 100
    parts: list[str] = []
    starts = [0] * num_chunks
    index = 0
    size = chunk_size // num_sentences - 1
    for _ in range(num_sentences):
        parts.append(make_sentence(size, index))
        index += 1
    last = size
    for i in range(1, num_chunks):
        starts[i] = index - 1
        count = last
        while count + size < chunk_size:
            parts.append(make_sentence(size, index))
            index += 1
            last = size
            count += size
    text = "".join(parts)
    chunks = texts(text, sentence_chunks(text, chunk_size, True))
    assert len(chunks) == num_chunks
    for i, chunk in enumerate(chunks):
        assert chunk.startswith(f"SStart{starts[i]}")
        assert chunk.strip().endswith(".")


@pytest.mark.parametrize("overlap", [False, True])
def test_sentence_chunk_size_larger_than_text(overlap: bool) -> None:
    assert texts(TEST_TEXT, sentence_chunks(TEST_TEXT, 500, overlap))[0] == TEST_TEXT


@pytest.mark.parametrize("max_words,expected", [(10, 21), (30, 7), (50, 4)])
def test_sentence_chunk_split_sentences_longer_than_chunk_size(max_words: int, expected: int) -> None:
    chunks = texts(TEST_TEXT, sentence_chunks(TEST_TEXT, max_words, False))
    assert len(chunks) == expected
    for chunk in chunks:
        words = [w for w in re.split(r"[\s\-]+", chunk.strip().replace("=", "")) if w]
        if chunk.strip().endswith("."):
            assert len(words) <= max_words
        else:
            assert len(words) == max_words  # split inside a sentence: exactly full


@pytest.mark.parametrize("max_words", [10, 30, 50])
def test_sentence_chunk_split_sentences_longer_than_chunk_size_with_overlap(max_words: int) -> None:
    chunks = texts(TEST_TEXT, sentence_chunks(TEST_TEXT, max_words, True))
    assert "Word segmentation is the problem of dividing" in chunks[0]
    assert ", with solidification being a stronger norm." in chunks[-1]


def test_sentence_short_long_short_sentences_with_overlap() -> None:
    text = ""
    for n, length in enumerate([15, 30, 20, 5]):
        text += f"SStart{n} " + "".join(f"{i} " for i in range(1, length - 1)) + f"{length - 1}. "
    chunks = [c.strip() for c in texts(text, sentence_chunks(text, 40, True))]
    assert len(chunks) == 5
    assert chunks[0].startswith("SStart0") and chunks[0].endswith(".")
    assert chunks[1].startswith("SStart0") and not chunks[1].endswith(".")
    assert chunks[2].endswith(".")
    assert chunks[3].endswith(".")
    assert chunks[4].startswith("SStart2") and "SStart3" in chunks[4] and chunks[4].endswith(".")


def test_sentence_skip_words() -> None:
    text = "".join(f"word{i} " for i in range(50))
    wb = word_boundaries(text)
    pos = wb.skip_words(0, 3)
    assert text[pos:].startswith("word3 ")
    pos = wb.skip_words(pos + 1, 1)
    assert text[pos:].startswith("word4 ")
    pos = wb.skip_words(pos + 1, 5)
    assert text[pos:].startswith("word9 ")
    assert wb.skip_words(0, 60) > 0  # past the end of the input


# --------------------------------------------------------------------------- offsets


@pytest.mark.parametrize(
    "strategy,size", [("sentence0", 25), ("sentence0", 100), ("sentence1", 25), ("sentence1", 100), ("word", 20)]
)
def test_chunks_are_offsets_that_cover_the_text_in_order(strategy: str, size: int) -> None:
    if strategy == "word":
        chunks = word_chunks(TEST_TEXT, size, 5)
    else:
        chunks = sentence_chunks(TEST_TEXT, size, strategy == "sentence1")
    assert chunks[0].start == 0 and chunks[-1].end == len(TEST_TEXT)
    for prev, cur in itertools.pairwise(chunks):
        assert prev.start <= cur.start <= prev.end <= cur.end  # adjacent or overlapping, never a gap
    if strategy == "sentence0" and size == 100:
        # Every sentence fits: chunks are whole sentences, back to back.
        assert all(p.end == c.start for p, c in itertools.pairwise(chunks))


def test_utf16_offsets_count_astral_characters_twice() -> None:
    text = "a😀b c"
    assert utf16_offset(text, 0) == 0
    assert utf16_offset(text, 2) == 3  # after the emoji
    assert utf16_offset(text, len(text)) == len(text) + 1
