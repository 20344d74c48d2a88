"""The unified highlighter (Elasticsearch's default): Lucene's ``FieldHighlighter`` with Elasticsearch's
``CustomFieldHighlighter`` and ``CustomPassageFormatter``.

Matches are walked in offset order; each match opens a passage (from the break iterator around the
match's centre) unless it falls inside the current one. Finished passages are scored with Lucene's
``PassageScorer`` (BM25 over the passage, the field value standing in for the corpus) and the best
``number_of_fragments`` kept, then returned in text order (or by score with ``order: score``).
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, field

from retrievo.highlight.breaks import (
    VALUE_SEPARATOR,
    BoundedScanner,
    Breaks,
    sentence_breaks,
    word_breaks,
)
from retrievo.highlight.encoding import Encoder
from retrievo.highlight.matches import Match
from retrievo.highlight.options import FieldOptions

#: ``PassageScorer`` defaults: BM25's k1 and b, and the "average" passage length.
K1, B, PIVOT = 1.2, 0.75, 87.0
#: What Elasticsearch passes for ``number_of_fragments: 0`` (every passage).
ALL_PASSAGES = 2**31 - 2


@dataclass
class Passage:
    start: int = -1
    end: int = -1
    matches: list[Match] = field(default_factory=list)
    score: float = 0.0


def _tf(freq: int, passage_length: int) -> float:
    norm = K1 * ((1 - B) + B * (passage_length / PIVOT))
    return freq / (freq + norm)


def _weight(content_length: int, total_term_freq: int) -> float:
    num_docs = 1 + content_length / PIVOT
    return (K1 + 1) * math.log(1 + (num_docs + 0.5) / (total_term_freq + 0.5))


def _norm(passage_start: int) -> float:
    return 1 + 1 / math.log(PIVOT + passage_start)


def passage_score(passage: Passage, content_length: int) -> float:
    """``PassageScorer.score``: each distinct term's passage frequency against its value frequency."""
    in_passage: dict[str, int] = {}
    in_value: dict[str, int] = {}
    for match in passage.matches:
        in_passage[match.key] = in_passage.get(match.key, 0) + 1
        in_value.setdefault(match.key, match.freq)
    length = passage.end - passage.start
    score = sum(_tf(count, length) * _weight(content_length, in_value[key]) for key, count in in_passage.items())
    return score * _norm(passage.start)


class _Queue:
    """The best ``size`` passages: lowest score first out, ties by the earlier start first out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.heap: list[tuple[float, int, int, Passage]] = []
        self.counter = 0

    def add(self, passage: Passage, content_length: int) -> None:
        if passage.start == -1:
            return
        passage.score = passage_score(passage, content_length)
        if len(self.heap) == self.size and passage.score < self.heap[0][0]:
            return
        self.counter += 1
        heapq.heappush(self.heap, (passage.score, passage.start, self.counter, passage))
        if len(self.heap) > self.size:
            heapq.heappop(self.heap)

    def passages(self) -> list[Passage]:
        return sorted((entry[3] for entry in self.heap), key=lambda p: p.start)


Iterator = Breaks | BoundedScanner


def _value_iterator(value: str, opts: FieldOptions, whole: bool) -> Iterator:
    """``UnifiedHighlighter.getBreakIterator`` over one value: whole, words, or (bounded) sentences."""
    n = len(value)
    if whole:
        return Breaks((0, n), n)
    if opts.boundary_scanner == "word":
        return Breaks(tuple(word_breaks(value)), n)
    sentences = Breaks(tuple(sentence_breaks(value)), n)
    if opts.fragment_size > 0:
        return BoundedScanner(sentences, Breaks(tuple(word_breaks(value)), n), opts.fragment_size)
    return sentences


class SlicedBreaks:
    """Lucene's ``SplittingBreakIterator``: the values of a multi-valued field are separate texts, so no
    passage ever spans two values; each value runs its own break iterator."""

    def __init__(self, content: str, opts: FieldOptions, whole: bool) -> None:
        self.slices: list[tuple[int, int, Iterator]] = []
        start = 0
        for value in content.split(VALUE_SEPARATOR):
            self.slices.append((start, start + len(value), _value_iterator(value, opts, whole)))
            start += len(value) + 1
        self.starts = [s for s, _, _ in self.slices]
        self.current = self.slices[0]

    def preceding(self, offset: int) -> int:
        at = max(0, bisect.bisect_right(self.starts, offset - 1) - 1)
        self.current = self.slices[at]
        start, _, iterator = self.current
        return start + max(iterator.preceding(offset - start), 0)

    def following(self, offset: int) -> int:
        start, end, iterator = self.current
        return min(start + iterator.following(offset - start), end)


def _passages(content: str, matches: list[Match], breaks: SlicedBreaks, max_passages: int) -> list[Passage]:
    """``FieldHighlighter.highlightOffsetsEnums``."""
    n = len(content)
    queue = _Queue(max_passages)
    passage = Passage()
    last_end = 0
    for match in matches:
        start, end = match.start, match.end
        if start < n < end:
            continue
        if start >= passage.end:
            queue.add(passage, n)
            passage = Passage()
            if start >= n:
                break
            center = start + (end - start) // 2  # the passage grows around the match's middle
            passage.start = min(start, max(breaks.preceding(max(start + 1, center)), last_end))
            last_end = max(end, min(breaks.following(min(end - 1, center)), n))
            passage.end = last_end
        passage.matches.append(match)
    queue.add(passage, n)
    return queue.passages()


def _no_match_passage(content: str, no_match_size: int, whole: bool) -> Passage | None:
    """``CustomFieldHighlighter.getSummaryPassagesNoHighlight``: the first value's start, cut at the
    first word boundary after ``no_match_size`` characters (the whole value with ``number_of_fragments: 0``)."""
    pos = 0
    while pos < len(content) and content[pos] == VALUE_SEPARATOR:
        pos += 1
    if pos >= len(content):
        return None
    end = content.find(VALUE_SEPARATOR, pos)
    if end == -1:
        end = len(content)
    if not whole and no_match_size + pos < end:
        end = Breaks(tuple(word_breaks(content)), len(content)).following(no_match_size + pos)
    return Passage(start=pos, end=end, score=math.nan)


def java_trim(text: str) -> str:
    """``String.trim``: every character up to U+0020 goes from both ends (control characters too)."""
    return text.strip(_TRIMMED)


_TRIMMED = "".join(chr(c) for c in range(33))


def _format(content: str, passage: Passage, opts: FieldOptions, encode: Encoder) -> str:
    """``CustomPassageFormatter.format`` for one passage: overlapping matches merge into one span."""
    out: list[str] = []
    pos = passage.start
    matches = passage.matches
    i = 0
    while i < len(matches):
        start, end = matches[i].start, matches[i].end
        out.append(encode(content[pos:start]))
        while i + 1 < len(matches) and matches[i + 1].start < end:
            i += 1
            end = max(end, matches[i].end)
        end = min(end, passage.end)
        out.append(opts.pre_tag + encode(content[start:end]) + opts.post_tag)
        pos = end
        i += 1
    out.append(encode(content[pos : max(pos, passage.end)]))
    text = "".join(out)
    if text.endswith(("\u2029", VALUE_SEPARATOR)):
        text = text[:-1]
    return text if opts.number_of_fragments == 0 else java_trim(text)  # whole values keep their spaces


def unified_fragments(
    content: str, matches: list[Match], opts: FieldOptions, tokenized: bool, encode: Encoder
) -> list[str]:
    """The fragments of one field of one hit (empty: no highlight for the field)."""
    if not content:
        return []
    whole = opts.number_of_fragments == 0 or not tokenized
    max_passages = ALL_PASSAGES if opts.number_of_fragments == 0 else opts.number_of_fragments
    passages = _passages(content, matches, SlicedBreaks(content, opts, whole), max_passages)
    if not passages and opts.no_match_size > 0:
        summary = _no_match_passage(content, opts.no_match_size, opts.number_of_fragments == 0)
        passages = [summary] if summary is not None else []
    kept = [(p, _format(content, p, opts, encode)) for p in passages]
    kept = [(p, text) for p, text in kept if text.strip()]  # ``Strings.hasText``
    if opts.score_ordered:
        kept.sort(key=lambda entry: -entry[0].score)
    return [text for _, text in kept]
