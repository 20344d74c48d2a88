"""Compile ``fuzzy``, ``wildcard``, ``regexp`` (and ``match`` fuzziness) as Elasticsearch's field types do.

The field decides: ``text`` and ``keyword`` fields expand the raw value (never analysed) over their term
dictionary (``lucene/multi_term.py``); any other type is refused with Elasticsearch's message; an
unmapped field matches nothing (the builders' ``doRewrite`` to ``match_none``). Failures while building
the Lucene query (a bad ``rewrite``, a malformed regexp, Lucene's constructor checks) are shard
failures, ``query_shard_exception`` "failed to create query: ..." as ``SearchExecutionContext.toQuery``
wraps them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from retrievo.errors import BadRequestError, bad_request, error_cause, error_reason, error_type, query_shard_failure
from retrievo.index.searcher import FieldInfo
from retrievo.lucene import multi_term
from retrievo.lucene.automata import RegexpSyntaxError
from retrievo.lucene.query import LQuery, MatchNoneQ
from retrievo.retrievers.fuzzy_options import FuzzyOptions
from retrievo.retrievers.multi_term_queries import FuzzyQuery, RegexpQuery, WildcardQuery
from retrievo.retrievers.queries import PrefixQuery

if TYPE_CHECKING:
    from retrievo.planner.compile_query import CompileContext

STRING_TYPES = ("text", "keyword")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shard_failure(ctx: CompileContext, reason: str, cause_type: str = "illegal_argument_exception") -> BadRequestError:
    """What ``SearchExecutionContext.toQuery`` makes of an exception while the query is built: a
    ``query_shard_exception`` failing the (only) shard, with a ``cause_type`` exception as its cause."""
    message = f"failed to create query: {reason}"
    return query_shard_failure(ctx.searcher.index_name, message, error_cause(cause_type, reason))


def _field(ctx: CompileContext, name: str, kind: str, types_text: str) -> FieldInfo | None:
    fi = ctx.searcher.field_info(name)
    if fi is None:
        return None
    if not fi.indexed:
        raise bad_request(
            "query_shard_exception", f"failed to create query: Cannot search on field [{name}] since it is not indexed."
        )
    if fi.type not in STRING_TYPES:
        reason = f"Can only use {kind} queries on {types_text} fields - not on [{fi.path}] which is of type [{fi.type}]"
        raise bad_request("query_shard_exception", f"failed to create query: {reason}")
    return fi


def _building(ctx: CompileContext, build: Callable[[], LQuery]) -> LQuery:
    """Run a Lucene query constructor, turning its ``IllegalArgumentException``s into shard failures."""
    try:
        return build()
    except RegexpSyntaxError as bad:
        raise _shard_failure(ctx, str(bad)) from None
    except multi_term.TooComplex as bad:
        reason = f"Determinizing automaton would result in more than {bad.limit} states."
        raise _shard_failure(ctx, reason, "too_complex_to_determinize_exception") from None
    except BadRequestError as bad:
        if error_type(bad) != "illegal_argument_exception" or "not supported in retrievo" in error_reason(bad):
            raise
        raise _shard_failure(ctx, error_reason(bad)) from None


def fuzzy_term_query(ctx: CompileContext, fi: FieldInfo, term: str, options: FuzzyOptions) -> LQuery:
    """One term as a fuzzy query (``match`` with ``fuzziness``: ``MatchQueryParser.newTermQuery``)."""
    edits = multi_term.auto_fuzziness(options.fuzziness, term)
    return _building(
        ctx,
        lambda: multi_term.fuzzy_query(
            ctx.searcher,
            fi.path,
            term,
            max_edits=edits,
            prefix_length=options.prefix_length,
            max_expansions=options.max_expansions,
            transpositions=options.transpositions,
            rewrite=options.rewrite,
        ),
    )


def fuzzy_field_type_check(ctx: CompileContext, fi: FieldInfo) -> None:
    """``MappedFieldType.fuzzyQuery`` on a field that is neither text nor keyword."""
    if fi.type not in STRING_TYPES:
        reason = (
            f"Can only use fuzzy queries on keyword and text fields - not on [{fi.path}] which is of type [{fi.type}]"
        )
        raise _shard_failure(ctx, reason)


def fuzzy_term_builder(ctx: CompileContext, fi: FieldInfo, options: FuzzyOptions) -> Callable[[str, str], LQuery]:
    """``(field, term) -> query`` for ``match``'s analysed terms: each one a fuzzy query."""
    return lambda _field_path, term: fuzzy_term_query(ctx, fi, term, options)


def fuzzy_exact(ctx: CompileContext, fi: FieldInfo, text: str, options: FuzzyOptions, lenient: bool) -> LQuery:
    """``match`` with ``fuzziness`` on a field that is not analysed: a keyword field's value is one fuzzy
    term; any other type cannot be fuzzy (``lenient`` turns the failure into no match)."""
    if fi.type != "keyword":
        if lenient:
            return MatchNoneQ(f"[{fi.path}] cannot be fuzzy")
        fuzzy_field_type_check(ctx, fi)
    return fuzzy_term_query(ctx, fi, text, options)


def compile_fuzzy(q: FuzzyQuery, ctx: CompileContext) -> LQuery:
    fi = ctx.searcher.field_info(q.field)
    if fi is None:
        return MatchNoneQ('The "fuzzy" query was rewritten to a "match_none" query.')
    fuzzy_field_type_check(ctx, fi)
    options = FuzzyOptions(
        fuzziness=q.fuzziness,
        prefix_length=q.prefix_length,
        max_expansions=q.max_expansions,
        transpositions=q.transpositions,
        rewrite=q.rewrite,
    )
    return fuzzy_term_query(ctx, fi, _text(q.value), options)


def compile_wildcard(q: WildcardQuery, ctx: CompileContext) -> LQuery:
    fi = _field(ctx, q.field, "wildcard", "keyword, text and wildcard")
    if fi is None:
        return MatchNoneQ('The "wildcard" query was rewritten to a "match_none" query.')
    return _building(
        ctx,
        lambda: multi_term.wildcard_query(
            ctx.searcher, fi.path, q.value, case_insensitive=q.case_insensitive, rewrite=q.rewrite
        ),
    )


def compile_prefix_rewrite(q: PrefixQuery, fi: FieldInfo, ctx: CompileContext) -> LQuery:
    """A ``prefix`` query with an explicit ``rewrite`` (the field is already checked by ``_prefix``)."""
    return _building(
        ctx,
        lambda: multi_term.prefix_query(
            ctx.searcher, fi.path, q.value, case_insensitive=q.case_insensitive, rewrite=q.rewrite
        ),
    )


def compile_regexp(q: RegexpQuery, ctx: CompileContext) -> LQuery:
    fi = ctx.searcher.field_info(q.field)
    if fi is None:
        return MatchNoneQ('The "regexp" query was rewritten to a "match_none" query.')
    length = len(q.value.encode("utf-16-le")) // 2
    if length > multi_term.MAX_REGEX_LENGTH:
        raise _shard_failure(
            ctx,
            f"The length of regex [{length}] used in the Regexp Query request has exceeded the allowed maximum of "
            f"[{multi_term.MAX_REGEX_LENGTH}]. This maximum can be set by changing the [index.max_regex_length] "
            "index level setting.",
        )
    fi = _field(ctx, q.field, "regexp", "keyword and text")
    assert fi is not None
    return _building(
        ctx,
        lambda: multi_term.regexp_query(
            ctx.searcher,
            fi.path,
            q.value,
            case_insensitive=q.case_insensitive,
            max_determinized_states=q.max_determinized_states,
            rewrite=q.rewrite,
            syntax_flags=q.flags_value,
        ),
    )
