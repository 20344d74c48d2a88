"""``combined_fields`` → Lucene: ``CombinedFieldsQueryBuilder.doToQuery``.

The fields are resolved (patterns expanded, weights of a field named twice multiplied), every mapped
one must be a text field and all must share one search analyzer; the text is analysed once and each
position becomes a ``CombinedFieldQuery`` over all the fields (stacked synonyms share one), joined by
a ``bool`` whose occur is the ``operator``. ``compile_query`` passes in its error builder and field
resolver (this module may not import it: it imports this one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from retrievo.errors import BadRequestError, not_supported
from retrievo.index.searcher import FieldInfo
from retrievo.lucene import min_should_match
from retrievo.lucene.clause_limit import MAX_CLAUSE_COUNT
from retrievo.lucene.combined_fields import make_combined
from retrievo.lucene.query import BoolQ, LQuery, MatchAllQ, MatchNoneQ, PhraseQ, SynonymQ, TermQ, boosted
from retrievo.planner import graph_query
from retrievo.retrievers.combined_fields import CombinedFieldsQuery

if TYPE_CHECKING:
    from retrievo.planner.compile_query import CompileContext

NAME = "combined_fields"
#: The text field family (``familyTypeName() == "text"``).
TEXT_FAMILY = frozenset({"text", "match_only_text"})

ShardFailure = Callable[["CompileContext", str, dict[str, Any]], BadRequestError]
ExpandFields = Callable[["CompileContext", tuple[str, ...]], tuple[list[tuple[FieldInfo, float]], bool]]


def _fail(ctx: CompileContext, failure: ShardFailure, reason: str) -> BadRequestError:
    return failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})


def _resolve(ctx: CompileContext, q: CombinedFieldsQuery, expand: ExpandFields) -> tuple[dict[str, float], list[str]]:
    """``QueryParserHelper.resolveMappingFields``: mapped fields with their weights (a field reached
    twice multiplies its weights), and the names that resolved to no mapped field."""
    weights: dict[str, float] = {}
    unmapped: list[str] = []
    for spec in q.fields:
        found, _ = expand(ctx, (spec,))
        if not found and not any(c in spec for c in "*?"):
            unmapped.append(spec.partition("^")[0])
        for fi, weight in found:
            weights[fi.path] = weights[fi.path] * weight if fi.path in weights else weight
    return weights, unmapped


def compile_combined(
    q: CombinedFieldsQuery, ctx: CompileContext, failure: ShardFailure, expand: ExpandFields
) -> LQuery:
    if not q.fields:
        raise _fail(ctx, failure, f"In [{NAME}] query, at least one field must be provided")
    weights, unmapped = _resolve(ctx, q, expand)
    if not weights:
        return MatchNoneQ(f"unmapped fields [{', '.join(sorted(set(unmapped)))}]")
    analyzer_name: str | None = None
    analyzer = None
    for path in weights:
        fi = ctx.searcher.field_info(path)
        assert fi is not None
        if fi.type not in TEXT_FAMILY:
            raise _fail(ctx, failure, f"Field [{path}] of type [{fi.type}] does not support [{NAME}] queries")
        name = getattr(fi.search_analyzer, "name", None)
        if analyzer is not None and name != analyzer_name:
            raise _fail(ctx, failure, f"All fields in [{NAME}] query must have the same search analyzer")
        analyzer, analyzer_name = fi.search_analyzer, name
    assert analyzer is not None
    auto_phrase = q.auto_generate_synonyms_phrase_query and all(
        (fi := ctx.searcher.field_info(path)) is not None and fi.has_positions for path in weights
    )
    query = _analyzed(ctx, q, weights, analyzer, failure, auto_phrase)
    if query is None:
        return (
            MatchAllQ() if q.zero_terms_query == "all" else MatchNoneQ("Matching no documents because no terms present")
        )
    return query


def _analyzed(
    ctx: CompileContext,
    q: CombinedFieldsQuery,
    weights: dict[str, float],
    analyzer: Any,
    failure: ShardFailure,
    auto_phrase: bool,
) -> LQuery | None:
    """Lucene's ``QueryBuilder.createBooleanQuery`` with ``newSynonymQuery``/``newTermQuery`` building
    combined field queries, then ``Queries.maybeApplyMinimumShouldMatch``."""
    terms, positions = analyzer.terms(q.query)
    if not terms:
        return None
    groups: dict[int, list[str]] = {}
    if graph_query.is_stacked(positions):
        tokens = graph_query.graph_tokens(analyzer, q.query)
        if any(t.length > 1 for t in tokens):  # a multi-word synonym: Lucene's analyzeGraphBoolean
            graph = graph_query.stacked_query("", tokens, phrase=False, operator=q.operator, auto_phrase=auto_phrase)
            query = map_graph_leaves(graph, lambda ts: make_combined(weights, ts), _phrases(weights))
            return with_msm(query, q.minimum_should_match)
        for t in tokens:
            groups.setdefault(t.position, []).append(t.term)
    else:
        for term, pos in zip(terms, positions):
            groups.setdefault(pos, []).append(term)
    clauses = tuple(make_combined(weights, group) for _, group in sorted(groups.items()))
    if len(clauses) == 1:
        return clauses[0]
    if len(clauses) > MAX_CLAUSE_COUNT:
        raise _fail(ctx, failure, f"too many clauses: maxClauseCount is set to {MAX_CLAUSE_COUNT}")
    return with_msm(BoolQ(must=clauses) if q.operator == "and" else BoolQ(should=clauses), q.minimum_should_match)


def with_msm(query: LQuery, msm: int | str | None) -> LQuery:
    """``Queries.maybeApplyMinimumShouldMatch`` as the term-centric builders (``combined_fields``,
    ``cross_fields``) apply it: to a ``bool`` with SHOULD clauses, counting them."""
    if msm is not None and isinstance(query, BoolQ) and query.should:
        n = min_should_match.calculate(len(query.should), msm)
        if n > 0:
            return BoolQ(must=query.must, should=query.should, filter=query.filter, must_not=query.must_not, msm=n)
    return query


def _phrases(weights: dict[str, float]) -> Callable[[PhraseQ], LQuery]:
    """``CombinedFieldsBuilder.analyzePhrase``: a ``bool`` of one phrase per field, boosted by its weight."""

    def build(p: PhraseQ) -> LQuery:
        return BoolQ(should=tuple(boosted(PhraseQ(f, p.terms, p.positions, p.slop), w) for f, w in weights.items()))

    return build


def map_graph_leaves(q: LQuery, terms: Callable[[list[str]], LQuery], phrase: Callable[[PhraseQ], LQuery]) -> LQuery:
    """A single-field graph query (``graph_query.stacked_query``) rebuilt for several fields: each term or
    synonym leaf becomes ``terms(...)`` (``newTermQuery``/``newSynonymQuery``), each phrase ``phrase(...)``
    (``analyzePhrase``); the ``bool`` structure is kept."""
    if isinstance(q, TermQ):
        return terms([q.term])
    if isinstance(q, SynonymQ):
        return terms(list(q.terms))
    if isinstance(q, PhraseQ):
        return phrase(q)
    if isinstance(q, BoolQ):

        def each(clauses: tuple[LQuery, ...]) -> tuple[LQuery, ...]:
            return tuple(map_graph_leaves(c, terms, phrase) for c in clauses)

        return BoolQ(each(q.must), each(q.should), each(q.filter), each(q.must_not), q.msm)
    raise not_supported("this synonym graph in a multi-field query", f"[{type(q).__name__}] is not rebuilt per field")
