"""Elasticsearch's ``XMoreLikeThis`` (a fork of Lucene's ``MoreLikeThis``): pick the "interesting" terms.

The input's terms are counted (``tf``), filtered (too rare in the input, too rare or too common in the
index, too short or too long, stop words, terms to skip from ``unlike``), scored ``tf × idf`` with
``ClassicSimilarity``'s idf over the index's live documents, and the best ``max_query_terms`` kept by a
Lucene ``PriorityQueue``. Which of several equally scored terms survive depends on the order the
terms are offered, which is Java's ``HashMap`` iteration order over the counted terms, and on the heap's
own moves, so both are reproduced. The survivors come out of the heap lowest score first; that is the
clause order, and with ``boost_terms`` the first (lowest) score is the one the others are divided by.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from retrievo.index.inverted import InvertedField
from retrievo.java_order import hashmap_order

F32 = np.float32
#: ``XMoreLikeThis.DEFAULT_MAX_NUM_TOKENS_PARSED``: tokens read from one text at most.
MAX_NUM_TOKENS_PARSED = 5000


@dataclass
class ScoreTerm:
    word: str
    field: str
    score: np.float32


@dataclass(frozen=True)
class Selection:
    """The term-selection parameters of a ``more_like_this`` query."""

    max_query_terms: int
    min_term_freq: int
    min_doc_freq: int
    max_doc_freq: int
    min_word_length: int
    max_word_length: int
    stop_words: frozenset[str]


def classic_idf(doc_freq: int, num_docs: int) -> np.float32:
    """``ClassicSimilarity.idf``: ``log((numDocs + 1) / (docFreq + 1)) + 1`` in double, then float."""
    return F32(math.log((num_docs + 1) / (doc_freq + 1)) + 1.0)


def is_noise_word(word: str, sel: Selection) -> bool:
    """``isNoiseWord``: length outside the bounds (Java ``String.length``: UTF-16 units), or a stop word."""
    length = len(word.encode("utf-16-le")) // 2
    if sel.min_word_length > 0 and length < sel.min_word_length:
        return True
    if sel.max_word_length > 0 and length > sel.max_word_length:
        return True
    return word in sel.stop_words


def count_tokens(
    tokens: Iterable[str], field: str, sel: Selection, skip: set[tuple[str, str]], out: dict[str, int]
) -> None:
    """``addTermFrequencies(Reader, …)``: count one text's tokens into ``out`` (insertion order kept)."""
    for count, word in enumerate(tokens, start=1):
        if count > MAX_NUM_TOKENS_PARSED:
            break
        if is_noise_word(word, sel) or (field, word) in skip:
            continue
        out[word] = out.get(word, 0) + 1


def count_vector(
    vector: dict[str, int], field: str, sel: Selection, skip: set[tuple[str, str]], out: dict[str, int]
) -> None:
    """``addTermFrequencies(Map, Terms, …)``: a document's term vector (terms in byte order) into ``out``."""
    for word, freq in vector.items():
        if is_noise_word(word, sel) or (field, word) in skip:
            continue
        out[word] = out.get(word, 0) + freq


def doc_vector(inv: InvertedField | None, doc: int) -> dict[str, int]:
    """One document's term vector for a field, read back from the postings: term → freq, in the byte
    order a ``TermsEnum`` yields (vectorised over the posting arrays)."""
    if inv is None or inv.docs.size == 0:
        return {}
    hits = np.flatnonzero(inv.docs == doc)
    if hits.size == 0:
        return {}
    tids = np.searchsorted(inv.offsets, hits, side="right") - 1
    by_id = {tid: term for term, tid in inv.terms.items()}
    pairs = sorted(((by_id[int(t)], int(f)) for t, f in zip(tids, inv.freqs[hits])), key=lambda p: p[0].encode())
    return dict(pairs)


class _Heap:
    """Lucene's ``PriorityQueue`` (1-based array heap) ordered by ``lessThan(a, b) = a.score < b.score``."""

    def __init__(self) -> None:
        self.heap: list[ScoreTerm | None] = [None]

    def __len__(self) -> int:
        return len(self.heap) - 1

    def add(self, item: ScoreTerm) -> None:
        self.heap.append(item)
        i = len(self.heap) - 1
        j = i >> 1
        while j > 0 and item.score < self._at(j).score:
            self.heap[i] = self.heap[j]
            i, j = j, j >> 1
        self.heap[i] = item

    def _at(self, i: int) -> ScoreTerm:
        item = self.heap[i]
        assert item is not None
        return item

    def top(self) -> ScoreTerm:
        return self._at(1)

    def down(self) -> None:
        size = len(self)
        i = 1
        node = self._at(1)
        j = 2
        if j + 1 <= size and self._at(j + 1).score < self._at(j).score:
            j += 1
        while j <= size and self._at(j).score < node.score:
            self.heap[i] = self.heap[j]
            i = j
            j = i << 1
            if j + 1 <= size and self._at(j + 1).score < self._at(j).score:
                j += 1
        self.heap[i] = node

    def pop(self) -> ScoreTerm:
        result = self._at(1)
        last = self.heap.pop()
        if len(self) > 0:
            self.heap[1] = last
            self.down()
        return result


def select_terms(
    words: dict[str, int],
    fields: Sequence[str],
    doc_freq: Callable[[str, str], int],
    num_docs: int,
    sel: Selection,
) -> list[ScoreTerm]:
    """``createQueue`` then popping it: the kept terms, lowest score first. For each word the field
    with the largest document frequency is the one queried (the first field on ties)."""
    limit = min(sel.max_query_terms, len(words))
    heap = _Heap()
    for word in hashmap_order(words, 16):
        tf = words[word]
        if sel.min_term_freq > 0 and tf < sel.min_term_freq:
            continue
        top_field, df = fields[0], 0
        for field in fields:
            freq = doc_freq(field, word)
            if freq > df:
                top_field, df = field, freq
        if (sel.min_doc_freq > 0 and df < sel.min_doc_freq) or df > sel.max_doc_freq or df == 0:
            continue
        score = F32(F32(tf) * classic_idf(df, num_docs))
        if len(heap) < limit:
            heap.add(ScoreTerm(word, top_field, score))
        elif limit > 0 and heap.top().score < score:
            top = heap.top()
            top.word, top.field, top.score = word, top_field, score
            heap.down()
    return [heap.pop() for _ in range(len(heap))]


def term_boosts(terms: Sequence[ScoreTerm], factor: float) -> list[float]:
    """``boost_terms``: ``factor × score / best`` in float, where ``best`` is the first popped score."""
    if not terms:
        return []
    best = terms[0].score
    return [float(F32(F32(F32(factor) * t.score) / best)) for t in terms]
