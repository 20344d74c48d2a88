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

The graph here is Lucene's ``GraphTokenStreamFiniteStrings``, built as its ``build`` builds it: each
token an edge from the state after the previous position to that state plus its position length, and
a hole left by a removed token (a stop word: a position increment above one) folded into the edge of the
token after it; states no path from the first to the last goes through are then dropped and the rest
numbered in order (``Operations.removeDeadStates``). Token ids follow stream order, and a state's edges
are visited by id (the transition label, which orders ``Automaton``'s transitions). Each token keeps its
position increment (a stacked token: its position's), so a path read back as a token stream keeps its
holes: a phrase over it has a gap there (``TextFieldType.phraseQuery``), and a span near gets
``SpanNearQuery.Builder.addGap`` where Elasticsearch's ``createSpanQuery`` adds it — before the term
that precedes the hole, as that loop does. Between segments, and at a segment without side paths, a
hole leaves no trace, as in Lucene.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise

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


@dataclass(frozen=True)
class _Step:
    """One token on a path: its term and the position increment Lucene's copy of it keeps."""

    term: str
    increment: int


@dataclass(frozen=True)
class _Edge:
    dest: int
    step: _Step


def _lucene_edges(tokens: Sequence[GraphToken]) -> tuple[list[tuple[int, _Edge]], int]:
    """``GraphTokenStreamFiniteStrings.build``: (source state, edge) per token in stream order, and the
    accept state (the last one created). A token after a hole starts at the state after the previous
    position and its edge spans the hole too; a token stacked on it starts where it does."""
    edges: list[tuple[int, _Edge]] = []
    pos, gap, prev_increment, state, last_position = -1, 0, 1, -1, -1
    for t in tokens:
        increment = t.position - last_position
        last_position = t.position
        if increment == 0:
            if gap > 0:
                pos -= gap
        else:
            pos += 1
            gap = increment - 1
        end = pos + t.length + gap
        state = max(state, end)
        # a stacked token keeps the increment of the token it stacks on
        edges.append((pos, _Edge(end, _Step(t.term, prev_increment if increment == 0 else increment))))
        pos += gap
        if increment > 0:
            prev_increment = increment
    return edges, state


class _Graph:
    """The token graph after ``Operations.removeDeadStates``: live states numbered in order, edges by
    source state in ``Automaton`` transition order (token id)."""

    def __init__(self, tokens: Sequence[GraphToken]) -> None:
        edges, accept = _lucene_edges(tokens)
        forward: dict[int, set[int]] = {}
        backward: dict[int, set[int]] = {}
        for src, edge in edges:
            forward.setdefault(src, set()).add(edge.dest)
            backward.setdefault(edge.dest, set()).add(src)
        live = _reach(0, forward) & _reach(accept, backward)
        number = {old: new for new, old in enumerate(sorted(live))}
        self.final = number[accept]
        self.out: dict[int, list[_Edge]] = {}
        for src, edge in edges:  # stream order is id order
            if src in live and edge.dest in live:
                self.out.setdefault(number[src], []).append(_Edge(number[edge.dest], edge.step))

    def articulation_points(self) -> list[int]:
        """States every path goes through: those no edge spans over (all states being live and
        numbered in order, these are exactly the undirected graph's cut vertices)."""
        spanned: set[int] = set()
        for src, lst in self.out.items():
            for edge in lst:
                spanned.update(range(src + 1, edge.dest))
        return [s for s in range(1, self.final) if s not in spanned]

    def has_side_path(self, state: int) -> bool:
        """``hasSidePath``: more than one edge, not all to one state."""
        return len({edge.dest for edge in self.out.get(state, ())}) > 1

    def terms(self, state: int) -> list[str]:
        return [edge.step.term for edge in self.out.get(state, ())]

    def paths(self, start: int, end: int) -> list[list[_Step]]:
        """Every path from ``start`` to ``end``, depth first in transition order."""
        found: list[list[_Step]] = []

        def walk(state: int, acc: list[_Step]) -> None:
            if state == end:
                found.append(list(acc))
                return
            for edge in self.out.get(state, ()):
                if edge.dest <= end:
                    acc.append(edge.step)
                    walk(edge.dest, acc)
                    acc.pop()

        walk(start, [])
        return found

    def segments(self) -> list[tuple[int, int]]:
        cuts = [0, *self.articulation_points(), self.final]
        return list(pairwise(cuts))


def _reach(start: int, links: dict[int, set[int]]) -> set[int]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in links.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _path_query(field: str, path: Sequence[_Step], phrase: bool, slop: int) -> LQuery:
    """``createFieldQuery`` over one path (a plain token stream, MUST): a phrase places each term by
    the increments (holes kept), then ``PhraseQuery.rewrite`` starts the positions at 0."""
    terms = tuple(step.term for step in path)
    if len(terms) == 1:
        return TermQ(field, terms[0])
    if phrase:
        positions = list(accumulate(step.increment for step in path))
        return PhraseQ(field, terms, tuple(p - positions[0] for p in positions), slop)
    return BoolQ(must=tuple(TermQ(field, t) for t in terms))


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
            clauses.append(("term", terms[0]) if len(terms) == 1 else ("or", tuple(("term", t) for t in terms)))
    return SpanGraphQ(field, clauses[0] if len(clauses) == 1 else ("near", tuple(clauses)))


def _span_path(path: Sequence[_Step]) -> SpanTree:
    """Elasticsearch's ``MatchQueryParser.createSpanQuery``: an ordered near of the path's terms, one
    term alone. A hole (an increment above one) adds a gap of its width, and the loop adds it before it
    adds the previous term, so the gap lands before that term rather than after it."""
    clauses: list[SpanTree] = []
    last: str | None = None
    for step in path:
        if step.increment > 1:
            clauses.append(("gap", step.increment - 1))
        if last is not None:
            clauses.append(("term", last))
        last = step.term
    assert last is not None
    clauses.append(("term", last))
    return clauses[0] if len(clauses) == 1 else ("near", tuple(clauses))


def graph_tokens(analyzer: object, text: str) -> list[GraphToken]:
    """The analyzer's tokens with their position lengths (the full analysis path, which keeps them)."""
    if not isinstance(analyzer, Analyzer):  # pragma: no cover - every search analyzer is one
        raise TypeError(type(analyzer))
    return [GraphToken(t.term, t.position, t.position_length) for t in analyzer.analyze(text)]


def is_stacked(positions: Sequence[int]) -> bool:
    """Whether some tokens share a position (the fast ``terms`` path keeps positions, not lengths)."""
    return len(set(positions)) != len(positions)
