"""``query_string`` and ``simple_query_string`` compiled on one index, as Elasticsearch's ``doToQuery`` does.

The query text is parsed here, not in the JSON layer, because what it means depends on the index: which
fields ``*`` (or ``index.query.default_field``) covers, which analyzer each field has. ``compile_dsl`` is the
planner's ``compile_query``, handed in by it so that the pieces built as ordinary DSL queries (``match``,
``match_phrase``, ``range``, ``exists``, ``prefix``) compile exactly as they do anywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retrievo.errors import BadRequestError, error_cause, not_supported, query_shard_failure
from retrievo.lucene import min_should_match, multi_term
from retrievo.lucene.query import BoolQ, BoostQ, LQuery, MatchNoneQ
from retrievo.planner.query_string.classic import ClassicParser, build_boolean, escape
from retrievo.planner.query_string.fields import (
    CompileDsl,
    FieldQueries,
    QueryParseError,
    is_match_all_pattern,
    parse_weighted,
)
from retrievo.planner.query_string.simple import SimpleParser
from retrievo.retrievers.query_string import QueryStringQuery, SimpleQueryStringQuery

if TYPE_CHECKING:
    from retrievo.planner.compile_query import CompileContext

__all__ = ["build_boolean", "compile_query_string", "compile_simple_query_string"]

_TYPE_TIE = {"best_fields": 0.0, "most_fields": 1.0, "phrase": 0.0}


def _weights(specs: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for spec in specs:
        name, weight = parse_weighted(spec)
        out[name] = out.get(name, 1.0) * weight if name in out else weight
    return out


def _shard_failure(ctx: CompileContext, reason: str, cause: dict[str, Any] | None = None) -> BadRequestError:
    """A ``QueryShardException`` thrown while the shard builds the query: the search fails with it."""
    return query_shard_failure(ctx.searcher.index_name, reason, cause)


def _lenient(flag: bool | None, all_fields: bool) -> bool:
    """``lenient`` as both builders resolve it: unset, it is on when the fields include an all-fields
    pattern (``*``), whose text/number mix would otherwise fail on the first number field."""
    return (flag if flag is not None else True) if all_fields else bool(flag)


def _failed_to_parse(ctx: CompileContext, query: str, err: QueryParseError) -> BadRequestError:
    """``QueryShardException("Failed to parse query [...]")`` around Lucene's ``ParseException``."""
    inner = str(err)
    cause = error_cause(
        "parse_exception", f"Cannot parse '{query}': {inner}", caused_by=error_cause(err.cause_type, inner)
    )
    return _shard_failure(ctx, f"Failed to parse query [{query}]", cause)


def _analyzer_check(ctx: CompileContext, kind: str, option: str, name: str | None) -> None:
    if name is not None and ctx.searcher.find_analyzer(name) is None:
        raise _shard_failure(ctx, f"[{kind}] {option} [{name}] not found")


def _apply_msm(q: LQuery, msm: Any) -> LQuery:
    """``Queries.maybeApplyMinimumShouldMatch``: on a top-level boolean only, when it asks for any."""
    if msm is None or not isinstance(q, BoolQ):
        return q
    n = min_should_match.calculate(len(q.should), msm)
    if n <= 0:
        return q
    return BoolQ(must=q.must, should=q.should, filter=q.filter, must_not=q.must_not, msm=n)


def compile_query_string(q: QueryStringQuery, ctx: CompileContext, compile_dsl: CompileDsl) -> LQuery:
    """``QueryStringQueryBuilder.doToQuery``."""
    if q.fields and q.default_field is not None:  # addValidationError, wrapped by SearchExecutionContext.toQuery
        reason = "Validation Failed: 1: cannot use [fields] parameter in conjunction with [default_field];"
        raise _shard_failure(
            ctx, f"failed to create query: {reason}", error_cause("query_validation_exception", reason)
        )
    multi_term.parse_rewrite(q.rewrite)  # QueryParsers.parseRewriteMethod: a bad name fails here
    multi_term.parse_rewrite(q.fuzzy_rewrite)
    _analyzer_check(ctx, "query_string", "analyzer", q.analyzer)
    _analyzer_check(ctx, "query_string", "quote_analyzer", q.quote_analyzer)
    probe = FieldQueries(ctx, compile_dsl, {}, False)
    default_field: str | None = None
    if q.default_field is not None:
        all_fields = is_match_all_pattern(q.default_field)
        lenient = _lenient(q.lenient, all_fields)
        default_field = q.default_field
        weights = probe.resolve(q.default_field, 1.0, accept_all_types=not all_fields, suffix=None)
    elif q.fields:
        specs = _weights(q.fields)
        weights = probe.resolve_all(specs)
        all_fields = any(is_match_all_pattern(n) for n in specs)
        lenient = _lenient(q.lenient, all_fields)
    else:
        defaults = ctx.default_field
        all_fields = any(is_match_all_pattern(n) for n in defaults)
        if all_fields:
            default_field = "*"
            weights = probe.resolve("*", 1.0, accept_all_types=False, suffix=None)
        else:
            weights = probe.resolve_all(_weights(tuple(defaults)))
        lenient = _lenient(q.lenient, all_fields)
    fq = FieldQueries(
        ctx,
        compile_dsl,
        weights,
        lenient,
        default_operator=q.default_operator,
        analyzer=q.analyzer,
        quote_analyzer=q.quote_analyzer,
        quote_field_suffix=q.quote_field_suffix,
        default_field=default_field,
        tie_breaker=q.tie_breaker if q.tie_breaker is not None else _TYPE_TIE[q.type],
        analyze_wildcard=bool(q.analyze_wildcard),
        allow_leading_wildcard=q.allow_leading_wildcard if q.allow_leading_wildcard is not None else True,
        rewrite=q.rewrite,
        fuzziness=q.fuzziness,
        fuzzy_prefix_length=q.fuzzy_prefix_length,
        fuzzy_max_expansions=q.fuzzy_max_expansions,
        fuzzy_transpositions=q.fuzzy_transpositions,
        max_determinized_states=q.max_determinized_states,
        time_zone=q.time_zone,
    )
    text = escape(q.query) if q.escape else q.query
    if not text.strip():
        return MatchNoneQ("Matching no documents because no terms present")
    try:
        parser = ClassicParser(
            text, fq, default_and=q.default_operator == "and", phrase_slop=q.phrase_slop, phrase_type=q.type == "phrase"
        )
        parsed = parser.parse()
    except QueryParseError as err:
        raise _failed_to_parse(ctx, q.query, err) from None
    except RecursionError:  # Lucene's generated parser recurses on the JVM stack, which goes much deeper
        raise not_supported("[query_string] groups nested this deeply", "the parser recurses once per group") from None
    if parsed is None:  # QueryParserBase.parse: nothing left → an empty boolean, which matches nothing
        return MatchNoneQ("empty boolean query")
    boosts: list[float] = []
    while isinstance(parsed, BoostQ):
        boosts.append(parsed.boost)
        parsed = parsed.query
    if isinstance(parsed, BoolQ) and parsed.must_not and not (parsed.must or parsed.should or parsed.filter):
        parsed = BoolQ(filter=(parsed.filter or ()) + (_match_all(),), must_not=parsed.must_not)
    parsed = _apply_msm(parsed, q.minimum_should_match)
    for boost in reversed(boosts):
        parsed = BoostQ(parsed, boost)
    return parsed


def _match_all() -> LQuery:
    from retrievo.lucene.query import MatchAllQ

    return MatchAllQ()


def compile_simple_query_string(q: SimpleQueryStringQuery, ctx: CompileContext, compile_dsl: CompileDsl) -> LQuery:
    """``SimpleQueryStringBuilder.doToQuery``."""
    probe = FieldQueries(ctx, compile_dsl, {}, False, query_kind="simple_query_string")
    specs = _weights(q.fields) if q.fields else _weights(tuple(ctx.default_field))
    weights = probe.resolve_all(specs)
    all_fields = any(is_match_all_pattern(n) for n in specs)
    lenient = _lenient(q.lenient, all_fields)
    _analyzer_check(ctx, "simple_query_string", "analyzer", q.analyzer)
    fq = FieldQueries(
        ctx,
        compile_dsl,
        weights,
        lenient,
        default_operator=q.default_operator,
        analyzer=q.analyzer,
        quote_field_suffix=q.quote_field_suffix,
        tie_breaker=1.0,
        analyze_wildcard=q.analyze_wildcard,
        fuzzy_prefix_length=q.fuzzy_prefix_length,
        fuzzy_max_expansions=q.fuzzy_max_expansions,
        fuzzy_transpositions=q.fuzzy_transpositions,
        query_kind="simple_query_string",
    )
    try:
        parsed = SimpleParser(fq, q.flags, q.default_operator).parse(q.query)
    except RecursionError:  # Lucene's parser recurses on the JVM stack, which goes much deeper
        raise not_supported(
            "[simple_query_string] sub-queries nested this deeply", "the parser recurses once per sub-query"
        ) from None
    return _apply_msm(parsed, q.minimum_should_match)
