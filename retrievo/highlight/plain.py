"""The plain highlighter: Lucene's ``Highlighter`` with a ``QueryScorer`` over each value's tokens.

Each value of the field is highlighted on its own. Its tokens are grouped (overlapping tokens form one
group), a group with a matching token is wrapped in the tags, and the fragmenter decides where a new
fragment starts: ``span`` (the default) every ``fragment_size`` characters but never inside a matched
phrase, ``simple`` every ``fragment_size`` characters, none with ``number_of_fragments: 0``. A
fragment's score is the summed weight of the distinct matching terms in it; the best fragments come
first (ties: the earlier fragment).
"""

from __future__ import annotations

from dataclasses import dataclass

from retrievo.highlight.encoding import Encoder
from retrievo.highlight.matches import FieldToken, find_matches
from retrievo.highlight.options import FieldOptions
from retrievo.highlight.terms import Leaf


@dataclass
class Fragment:
    number: int
    start: int
    end: int = -1
    score: float = 0.0
    text: str = ""


class _Fragmenter:
    """``SimpleSpanFragmenter`` / ``SimpleFragmenter`` / ``NullFragmenter``."""

    def __init__(self, kind: str, size: int, text_length: int, phrase_ends: dict[int, int]) -> None:
        self.kind = kind
        self.size = size
        self.text_length = text_length
        self.phrase_ends = phrase_ends
        self.fragments = 1
        self.wait_for = -1
        self.position = -1

    def is_new_fragment(self, token: FieldToken, increment: int) -> bool:
        """Asked at each new token group. Lucene's span fragmenter adds up only the increments of the
        tokens it is asked about (never the first), so its position runs one behind on plain text; the
        phrase it then waits for is the one starting at that lagging position, as in Lucene."""
        if self.kind == "none":
            return False
        if self.kind == "span":
            self.position += increment
            if self.wait_for <= self.position:
                self.wait_for = -1
            elif self.wait_for != -1:
                return False
            end = self.phrase_ends.get(self.position)
            if end is not None:
                self.wait_for = end + 1
            is_new = token.end >= self.size * self.fragments and self.text_length - token.end >= self.size >> 1
        else:
            is_new = token.end >= self.size * self.fragments
        if is_new:
            self.fragments += 1
        return is_new


def _phrase_ends(tokens: list[FieldToken], leaves: tuple[Leaf, ...]) -> dict[int, int]:
    """First position → last position of each matched phrase (the span fragmenter keeps them whole)."""
    by_start = {t.start: t.position for t in tokens}
    by_end = {t.end: t.position for t in tokens}
    out: dict[int, int] = {}
    for match in find_matches(tokens, leaves, weight_matches=True):
        first, last = by_start.get(match.start), by_end.get(match.end)
        if first is not None and last is not None and last > first:
            out[first] = max(out.get(first, first), last)
    return out


def value_fragments(
    text: str,
    tokens: list[FieldToken],
    leaves: tuple[Leaf, ...],
    weights: dict[str, float],
    opts: FieldOptions,
    encode: Encoder,
) -> list[Fragment]:
    """``Highlighter.getBestTextFragments`` for one value, best first (scores of 0 included)."""
    matched = {(m.start, m.end) for m in find_matches(tokens, leaves, weight_matches=False)}
    kind = "none" if opts.number_of_fragments == 0 else ("simple" if opts.fragmenter == "simple" else "span")
    fragmenter = _Fragmenter(
        kind, opts.fragment_size, len(text), _phrase_ends(tokens, leaves) if kind == "span" else {}
    )
    out: list[str] = []
    length = 0
    fragments = [Fragment(0, 0)]
    found: set[str] = set()
    group: list[tuple[FieldToken, float]] = []
    last_end = 0

    def emit(piece: str) -> None:
        nonlocal length
        out.append(piece)
        length += len(piece)

    def flush() -> None:
        nonlocal last_end
        start = min(t.start for t, _ in group)
        end = max(t.end for t, _ in group)
        body = encode(text[start:end])
        if sum(score for _, score in group) > 0:
            body = opts.pre_tag + body + opts.post_tag
        if start > last_end:
            emit(encode(text[last_end:start]))
        emit(body)
        last_end = max(end, last_end)
        group.clear()

    previous_position = -1
    for token in tokens:
        increment = token.position - previous_position
        previous_position = token.position
        if group and token.start >= max(t.end for t, _ in group):
            flush()
            if fragmenter.is_new_fragment(token, increment):
                fragments[-1].score = sum(weights.get(term, 1.0) for term in found)
                fragments[-1].end = length
                fragments.append(Fragment(len(fragments), length))
                found = set()
        score = 0.0
        if (token.start, token.end) in matched:
            score = weights.get(token.term, 1.0)
            found.add(token.term)
        group.append((token, score))
    fragments[-1].score = sum(weights.get(term, 1.0) for term in found)
    if group:
        flush()
    if last_end < len(text):
        emit(encode(text[last_end:]))
    fragments[-1].end = length
    joined = "".join(out)
    for fragment in fragments:
        fragment.text = joined[fragment.start : fragment.end]
    limit = max(opts.number_of_fragments, 1)
    return sorted(fragments, key=lambda f: (-f.score, f.number))[:limit]


def plain_fragments(
    values: list[tuple[str, list[FieldToken]]],
    leaves: tuple[Leaf, ...],
    weights: dict[str, float],
    opts: FieldOptions,
    encode: Encoder,
    no_match_end: int,
) -> list[str]:
    """``PlainHighlighter.highlight``: the scoring fragments of every value; ``no_match_end`` is where
    the ``no_match_size`` excerpt of the first value ends (0: none)."""
    kept: list[Fragment] = []
    for text, tokens in values:
        kept.extend(f for f in value_fragments(text, tokens, leaves, weights, opts, encode) if f.score > 0)
    if opts.score_ordered:
        kept.sort(key=lambda f: -f.score)
    if opts.number_of_fragments == 0 and len(values) > 1 and kept:
        chosen = kept
    else:
        chosen = kept[: min(len(kept), max(opts.number_of_fragments, 1))]
    if chosen:
        return [f.text for f in chosen]
    if opts.no_match_size > 0 and values and no_match_end > 0:
        return [values[0][0][:no_match_end]]
    return []


def no_match_end(tokens: list[FieldToken], no_match_size: int) -> int:
    """``PlainHighlighter.findGoodEndForNoHighlightExcerpt``: the end of the last token that fits."""
    end = -1
    for token in tokens:
        if token.end >= no_match_size:
            return no_match_size if token.end == no_match_size else end
        end = token.end
    return end
