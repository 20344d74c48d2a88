"""Where a field value's tokens match a query's leaves, as offsets into the value.

Two modes, as in Lucene's unified highlighter. With ``WEIGHT_MATCHES`` (Elasticsearch's default when
matches must come from the highlighted field) every match of a leaf query is one span: a phrase is
highlighted whole, and each match counts once towards its passage's score. Without it each matching
*term* is a span of its own and carries its frequency in the value; a phrase's terms are highlighted
only where the phrase matched.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from retrievo.highlight.terms import Leaf, PhraseLeaf, PrefixLeaf, SetLeaf, TermLeaf


@dataclass(frozen=True, slots=True)
class FieldToken:
    """One analyzed token of the (merged) field content: offsets index the content string."""

    term: str
    position: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Match:
    start: int
    end: int
    #: What the passage scorer counts as one term (the term, or the leaf query in weight mode).
    key: str
    #: The key's frequency in the whole value (the scorer's document frequency stand-in).
    freq: int
    #: The leaf's boost (the plain highlighter weighs fragments with it).
    weight: float = 1.0


def _single_term(leaf: Leaf, term: str) -> bool:
    if isinstance(leaf, TermLeaf):
        return term == leaf.term
    if isinstance(leaf, SetLeaf):
        return term in leaf.terms
    if isinstance(leaf, PrefixLeaf):
        if leaf.case_insensitive:
            return term.lower().startswith(leaf.prefix.lower())
        return term.startswith(leaf.prefix)
    return False


def _phrase_runs(leaf: PhraseLeaf, by_position: dict[int, list[FieldToken]]) -> list[list[FieldToken]]:
    """Each place the phrase matches: its tokens, in phrase order. Exact relative positions when the
    slop is 0; otherwise every term within ``slop`` moves of its place in total (Lucene's sloppy
    phrase distance, taken term by term)."""
    first_rel = leaf.positions[0]
    runs: list[list[FieldToken]] = []
    for position in sorted(by_position):
        starts = [t for t in by_position[position] if t.term == leaf.terms[0]]
        if not starts:
            continue
        run = [starts[0]]
        moves = 0
        for term, rel in zip(leaf.terms[1:], leaf.positions[1:]):
            want = position + rel - first_rel
            best: FieldToken | None = None
            for delta in range(0, leaf.slop - moves + 1):
                for at in (want - delta, want + delta) if delta else (want,):
                    found = [t for t in by_position.get(at, ()) if t.term == term and t not in run]
                    if found:
                        best = found[0]
                        break
                if best is not None:
                    moves += delta
                    break
            if best is None:
                break
            run.append(best)
        if len(run) == len(leaf.terms):
            runs.append(run)
    return runs


def _leaf_key(leaf: Leaf) -> str:
    if isinstance(leaf, PhraseLeaf):
        return f'{leaf.field}:"{" ".join(leaf.terms)}"' + (f"~{leaf.slop}" if leaf.slop else "")
    if isinstance(leaf, TermLeaf):
        return f"{leaf.field}:{leaf.term}"
    if isinstance(leaf, PrefixLeaf):
        return f"{leaf.field}:{leaf.prefix}*"
    return f"{leaf.field}:{sorted(leaf.terms)}"


def find_matches(tokens: list[FieldToken], leaves: tuple[Leaf, ...], weight_matches: bool) -> list[Match]:
    """Every match of ``leaves`` in ``tokens``, ordered by start offset (then end, then key)."""
    by_position: dict[int, list[FieldToken]] = defaultdict(list)
    for token in tokens:
        by_position[token.position].append(token)
    spans: dict[tuple[int, int, str], None] = {}
    for leaf in leaves:
        if isinstance(leaf, PhraseLeaf):
            for run in _phrase_runs(leaf, by_position):
                if weight_matches:
                    start = min(t.start for t in run)
                    end = max(t.end for t in run)
                    spans[(start, end, _leaf_key(leaf))] = None
                else:
                    for t in run:
                        spans[(t.start, t.end, t.term)] = None
            continue
        for token in tokens:
            if _single_term(leaf, token.term):
                key = _leaf_key(leaf) if weight_matches else token.term
                spans[(token.start, token.end, key)] = None
    counts: dict[str, int] = defaultdict(int)
    for _, _, key in spans:
        counts[key] += 1
    ordered = sorted(spans)
    return [Match(start, end, key, 1 if weight_matches else counts[key]) for start, end, key in ordered]
