"""``multi_match`` ``type: cross_fields`` → Lucene: ``MultiMatchQueryParser.buildCrossFieldQuery``.

Fields are grouped by the analyzer that reads the text for them (the request's ``analyzer``, else each
text field's search analyzer; every other field type shares Lucene's keyword analyzer). A group of one
field is an ordinary ``match`` on it, boosted by the field's boost. A larger group analyses the text
once; each position becomes a blended term query over all the group's fields
(``lucene/blended_terms.py``), the positions joined by a ``bool`` of the ``operator`` with
``minimum_should_match``. Several groups are joined by a ``dis_max`` with the ``tie_breaker``.
``compile_query`` passes in what it owns (this module may not import it: it imports this one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from retrievo.errors import not_supported
from retrievo.index.searcher import FieldInfo
from retrievo.lucene.blended_terms import dismax_blended
from retrievo.lucene.query import (
    BlendedTermQ,
    BoolQ,
    DisMaxQ,
    LQuery,
    MatchAllQ,
    MatchNoneQ,
    PhraseQ,
    TermQ,
    boosted,
    unboost,
)
from retrievo.planner import graph_query
from retrievo.planner.compile_combined import map_graph_leaves, with_msm
from retrievo.retrievers.queries import MultiMatchQuery

if TYPE_CHECKING:
    from retrievo.planner.compile_query import CompileContext

#: ``match`` on one field: (ctx, field, text, operator, msm, analyzer, zero_terms, lenient) → query.
MatchField = Callable[["CompileContext", FieldInfo, Any, str, Any, "str | None", str, bool], LQuery]
#: A field's ``termQuery`` for one value (``term`` semantics; lenient failures match nothing).
ExactTerm = Callable[["CompileContext", FieldInfo, str, bool], LQuery]
#: The analyzer named by the request (``None``: none named), or an error naming it.
FindAnalyzer = Callable[["CompileContext", str], Any]

_NO_TERMS = "Matching no documents because no terms present"


def compile_cross_fields(
    q: MultiMatchQuery,
    ctx: CompileContext,
    fields: list[tuple[FieldInfo, float]],
    lenient: bool,
    match_field: MatchField,
    exact: ExactTerm,
    find_analyzer: FindAnalyzer,
) -> LQuery:
    tie = q.tie_breaker if q.tie_breaker is not None else 0.0
    override = find_analyzer(ctx, q.analyzer) if q.analyzer is not None else None
    groups: dict[Any, list[tuple[FieldInfo, float]]] = {}
    for fi, boost in fields:
        if override is not None:
            key: Any = ("analyzer", q.analyzer)
        elif fi.type == "text":
            key = ("analyzer", getattr(fi.search_analyzer, "name", None))
        else:
            key = ("keyword",)
        groups.setdefault(key, []).append((fi, boost))
    queries: list[LQuery] = []
    for key, members in groups.items():
        if len(members) == 1:
            fi, boost = members[0]
            fq = match_field(
                ctx, fi, q.query, q.operator, q.minimum_should_match, q.analyzer, q.zero_terms_query, lenient
            )
            queries.append(boosted(fq, boost))
            continue
        analyzer = (
            override if override is not None else (members[0][0].search_analyzer if key[0] == "analyzer" else None)
        )
        queries.append(_blended_group(q, ctx, members, analyzer, tie, lenient, exact))
    if not queries:
        return MatchAllQ() if q.zero_terms_query == "all" else MatchNoneQ(_NO_TERMS)
    return queries[0] if len(queries) == 1 else DisMaxQ(tuple(queries), tie)


def _positions(analyzer: Any, text: str) -> list[list[str]] | list[graph_query.GraphToken]:
    """The analysed tokens grouped by position (the keyword analyzer: the whole text, one token), or the
    tokens themselves when a token spans several positions (a multi-word synonym: a graph)."""
    if analyzer is None:
        return [[text]]
    terms, positions = analyzer.terms(text)
    groups: dict[int, list[str]] = {}
    if graph_query.is_stacked(positions):
        tokens = graph_query.graph_tokens(analyzer, text)
        if any(t.length > 1 for t in tokens):
            return tokens
        for t in tokens:
            groups.setdefault(t.position, []).append(t.term)
    else:
        for term, pos in zip(terms, positions):
            groups.setdefault(pos, []).append(term)
    return [groups[p] for p in sorted(groups)]


def _blend(
    ctx: CompileContext,
    members: list[tuple[FieldInfo, float]],
    values: list[str],
    tie: float,
    lenient: bool,
    exact: ExactTerm,
) -> LQuery:
    """``blendTerms``: term queries are blended together; any other field query (a number, a date …)
    joins them, boosted, under the ``dis_max``."""
    pairs: list[tuple[str, str, float]] = []
    others: list[LQuery] = []
    for fi, boost in members:
        for value in values:
            tq = exact(ctx, fi, value, lenient) if fi.type != "text" else TermQ(fi.path, value)
            inner, extra = unboost(tq)
            total = float(boost) * extra
            if isinstance(inner, (TermQ, BlendedTermQ)):
                pairs.append((inner.field, inner.term, total))
            else:
                others.append(inner if isinstance(inner, MatchNoneQ) else boosted(inner, total))
    queries = others + ([dismax_blended(ctx.searcher, pairs, tie)] if pairs else [])
    return queries[0] if len(queries) == 1 else DisMaxQ(tuple(queries), tie)


def _blended_group(
    q: MultiMatchQuery,
    ctx: CompileContext,
    members: list[tuple[FieldInfo, float]],
    analyzer: Any,
    tie: float,
    lenient: bool,
    exact: ExactTerm,
) -> LQuery:
    """``CrossFieldsQueryBuilder.createBooleanQuery`` then ``Queries.maybeApplyMinimumShouldMatch``."""
    text = str(q.query).lower() if isinstance(q.query, bool) else str(q.query)
    positions = _positions(analyzer, text)
    if not positions:
        return MatchAllQ() if q.zero_terms_query == "all" else MatchNoneQ(_NO_TERMS)
    if isinstance(positions[0], graph_query.GraphToken):  # Lucene's analyzeGraphBoolean
        tokens = [t for t in positions if isinstance(t, graph_query.GraphToken)]
        auto_phrase = all(fi.has_positions for fi, _ in members)  # MatchQueryParser: phrases need positions
        graph = graph_query.stacked_query("", tokens, phrase=False, operator=q.operator, auto_phrase=auto_phrase)
        query = map_graph_leaves(
            graph, lambda ts: _blend(ctx, members, ts, tie, lenient, exact), lambda p: _phrases(members, p, tie)
        )
        return with_msm(query, q.minimum_should_match)
    clauses = tuple(
        _blend(ctx, members, values, tie, lenient, exact) for values in positions if isinstance(values, list)
    )
    if len(clauses) == 1:
        return clauses[0]
    return with_msm(BoolQ(must=clauses) if q.operator == "and" else BoolQ(should=clauses), q.minimum_should_match)


def _phrases(members: list[tuple[FieldInfo, float]], p: PhraseQ, tie: float) -> LQuery:
    """``CrossFieldsQueryBuilder.analyzePhrase``: a ``dis_max`` of one phrase per field, boosted."""
    if any(fi.type != "text" for fi, _ in members):
        raise not_supported(
            "[multi_match] [cross_fields] phrases over non-text fields", "only text fields index positions"
        )
    return DisMaxQ(tuple(boosted(PhraseQ(fi.path, p.terms, p.positions, p.slop), b) for fi, b in members), tie)
