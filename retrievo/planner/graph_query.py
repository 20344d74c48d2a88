"""The queries Elasticsearch's ``MatchQueryParser`` builds when a search analyzer stacks tokens.

Without stacked tokens a ``match`` is a ``bool`` of terms and a ``match_phrase`` a phrase
(``compile_query.py``). A search-time ``synonym``/``synonym_graph`` filter (or ``preserve_original``)
puts several tokens at one position, and then Lucene's ``QueryBuilder`` (as Elasticsearch extends it)
decides by the token graph:

* one position → one ``SynonymQuery`` (a ``match_phrase`` too);
* several positions, every token one position long → ``analyzeMultiBoolean``: per position a term or
  a ``SynonymQuery``, joined by the operator (``minimum_should_match`` then counts positions); for a
  ``match_phrase``, a ``MultiPhraseQuery`` (``lucene/multi_phrase.py``);
* a token spanning several positions (a multi-word ``synonym_graph`` rule) → the graph is cut at its
  articulation points; a stretch without alternatives gives terms/``SynonymQuery``s, a stretch with
  side paths gives a ``bool`` of one query per path — a phrase per multi-word path when
  ``auto_generate_synonyms_phrase_query`` is on (the default), a ``bool`` of MUST terms when off
  (``analyzeGraphBoolean``);
* ``match_phrase`` over a graph: with ``slop`` a ``bool`` of one sloppy phrase per path
  (``analyzeGraphPhrase``); without, a ``SpanNearQuery`` of ``SpanOrQuery``s (``lucene/span_graph.py``).

The graph here is Lucene's ``GraphTokenStreamFiniteStrings``: states are positions, each token an edge
from its position to ``position + position_length``; token ids follow stream order, and a state's edges
are visited by id (the transition label, which orders ``Automaton``'s transitions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from retrievo.errors import not_supported
from retrievo.index.analysis.analyzers import Analyzer
from retrievo.lucene.query import BoolQ, LQuery, MultiPhraseQ, PhraseQ, SpanGraphQ, SpanTree, SynonymQ, TermQ


@dataclass(frozen=True)
class GraphToken:
    """One analyzed query token: its term, absolute position and position length."""

    term: str
    position: int
    length: int = 1


def position_query(field: str, terms: Sequence[str]) -> LQuery:
    """``newTermQuery`` for one term, ``newSynonymQuery`` for several (Lucene sorts a SynonymQuery's
    terms; one left after that is a plain term)."""
    unique = tuple(sorted(terms))
    if len(unique) == 1:
        return TermQ(field, unique[0])
    return SynonymQ(field, unique)


def stacked_query(
    field: str,
    tokens: Sequence[GraphToken],
    *,
    phrase: bool,
    operator: str,
    slop: int = 0,
    auto_phrase: bool = True,
) -> LQuery:
    """``createFieldQuery`` for a token stream with stacked tokens (at least two tokens)."""
    positions = sorted({t.position for t in tokens})
    if any(t.length > 1 for t in tokens):
        if phrase:
            return _graph_phrase(field, tokens, slop)
        return _graph_boolean(field, tokens, operator, auto_phrase)
    if len(positions) == 1:
        return position_query(field, [t.term for t in tokens])  # analyzeBoolean
    if phrase:
        return _multi_phrase(field, tokens, slop)
    return _multi_boolean(field, tokens, operator)


def _multi_phrase(field: str, tokens: Sequence[GraphToken], slop: int) -> MultiPhraseQ:
    """``TextFieldMapper.multiPhraseQuery``: the terms of each position, in stream order."""
    groups: dict[int, list[str]] = {}
    for t in tokens:
        groups.setdefault(t.position, []).append(t.term)
    order = sorted(groups)
    return MultiPhraseQ(field, tuple(tuple(groups[p]) for p in order), tuple(order), slop)


def _multi_boolean(field: str, tokens: Sequence[GraphToken], operator: str) -> LQuery:
    groups: dict[int, list[str]] = {}
    for t in tokens:
        groups.setdefault(t.position, []).append(t.term)
    clauses = tuple(position_query(field, groups[p]) for p in sorted(groups))
    return BoolQ(must=clauses) if operator == "and" else BoolQ(should=clauses)


class _Graph:
    """The token graph: edges by source state, in ``Automaton`` transition order."""

    def __init__(self, tokens: Sequence[GraphToken]) -> None:
        base = min(t.position for t in tokens)
        edges = [(t.position - base, t.position - base + t.length, i, t.term) for i, t in enumerate(tokens)]
        self.final = max(e[1] for e in edges)
        self.out: dict[int, list[tuple[int, int, str]]] = {}
        for src, dest, i, term in edges:
            self.out.setdefault(src, []).append((dest, i, term))
        for lst in self.out.values():
            lst.sort(key=lambda edge: edge[1])
        if any(s not in self.out for s in range(self.final)):
            raise not_supported(
                "a query over a synonym graph with a gap (a removed stop word)",
                "Lucene's graph of such a token stream is not modelled",
            )

    def articulation_points(self) -> list[int]:
        """States every path goes through: those no edge spans over."""
        spanned: set[int] = set()
        for src, lst in self.out.items():
            for dest, _, _ in lst:
                spanned.update(range(src + 1, dest))
        return [s for s in range(1, self.final) if s not in spanned]

    def has_side_path(self, state: int) -> bool:
        return any(dest != state + 1 for dest, _, _ in self.out.get(state, ()))

    def terms(self, state: int) -> list[str]:
        return [term for _, _, term in self.out.get(state, ())]

    def paths(self, start: int, end: int) -> list[list[str]]:
        """Every path from ``start`` to ``end``, depth first in transition order."""
        found: list[list[str]] = []

        def walk(state: int, acc: list[str]) -> None:
            if state == end:
                found.append(list(acc))
                return
            for dest, _, term in self.out.get(state, ()):
                if dest <= end:
                    acc.append(term)
                    walk(dest, acc)
                    acc.pop()

        walk(start, [])
        return found

    def segments(self) -> list[tuple[int, int]]:
        cuts = [0, *self.articulation_points(), self.final]
        return list(pairwise(cuts))


def _path_query(field: str, path: list[str], phrase: bool, slop: int) -> LQuery:
    """``createFieldQuery`` over one path (a plain token stream, MUST)."""
    if len(path) == 1:
        return TermQ(field, path[0])
    if phrase:
        return PhraseQ(field, tuple(path), tuple(range(len(path))), slop)
    return BoolQ(must=tuple(TermQ(field, t) for t in path))


def _graph_synonyms(queries: list[LQuery]) -> LQuery:
    """``newGraphSynonymQuery``: one SHOULD clause per path; a single path is the path's query."""
    return queries[0] if len(queries) == 1 else BoolQ(should=tuple(queries))


def _graph_boolean(field: str, tokens: Sequence[GraphToken], operator: str, auto_phrase: bool) -> LQuery:
    graph = _Graph(tokens)
    clauses: list[LQuery] = []
    for start, end in graph.segments():
        if graph.has_side_path(start):
            paths = graph.paths(start, end)
            clauses.append(_graph_synonyms([_path_query(field, p, auto_phrase, 0) for p in paths]))
        else:
            clauses.append(position_query(field, graph.terms(start)))
    return BoolQ(must=tuple(clauses)) if operator == "and" else BoolQ(should=tuple(clauses))


def _graph_phrase(field: str, tokens: Sequence[GraphToken], slop: int) -> LQuery:
    graph = _Graph(tokens)
    if slop > 0:  # one sloppy phrase per path
        return BoolQ(should=tuple(_path_query(field, p, True, slop) for p in graph.paths(0, graph.final)))
    # without slop: a span near query, in order, over each stretch's alternatives
    clauses: list[SpanTree] = []
    for start, end in graph.segments():
        if graph.has_side_path(start):
            clauses.append(("or", tuple(_span_path(p) for p in graph.paths(start, end))))
        else:
            terms = graph.terms(start)
            clauses.append(_span_path(terms[:1]) if len(terms) == 1 else ("or", tuple(("term", t) for t in terms)))
    return SpanGraphQ(field, clauses[0] if len(clauses) == 1 else ("near", tuple(clauses)))


def _span_path(path: Sequence[str]) -> SpanTree:
    """``createSpanQuery``: one term, or an ordered near of the path's terms."""
    return ("term", path[0]) if len(path) == 1 else ("near", tuple(("term", t) for t in path))


def graph_tokens(analyzer: object, text: str) -> list[GraphToken]:
    """The analyzer's tokens with their position lengths (the full analysis path, which keeps them)."""
    if not isinstance(analyzer, Analyzer):  # pragma: no cover - every search analyzer is one
        raise TypeError(type(analyzer))
    return [GraphToken(t.term, t.position, t.position_length) for t in analyzer.analyze(text)]


def is_stacked(positions: Sequence[int]) -> bool:
    """Whether some tokens share a position (the fast ``terms`` path keeps positions, not lengths)."""
    return len(set(positions)) != len(positions)
