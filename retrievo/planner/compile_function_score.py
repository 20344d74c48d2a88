"""Compile the scoring queries (``function_score``, ``boosting``, ``rank_feature``, ``terms_set``) into
their Lucene nodes (:mod:`retrievo.lucene.function_score`), as their builders' ``doToQuery`` and the
score function builders' ``toFunction`` do: this is where a decay function learns whether its field holds
numbers or dates, where ``random_score`` is salted with the index name, and where a ``rank_feature``
query finds its feature.

``compile_query`` hands each function here its own ``compile_query`` (``compile_sub``) for the inner
queries, so this module does not import it back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from retrievo.errors import BadRequestError, error_cause, not_supported, query_shard_failure, shard_failure
from retrievo.index.searcher import FieldInfo
from retrievo.java_order import java_string_hash
from retrievo.lucene import min_should_match
from retrievo.lucene.function_score import (
    BoostingQ,
    DecayFn,
    FieldValueFn,
    FilterFn,
    FunctionScoreQ,
    RandomFn,
    RankFeatureQ,
    ScoreFn,
    TermsSetQ,
    WeightFn,
    pivot_feature_value,
    process_scale,
)
from retrievo.lucene.query import LQuery, MatchNoneQ
from retrievo.retrievers import function_score as fs
from retrievo.retrievers.queries import Query, TermQuery

if TYPE_CHECKING:
    from retrievo.planner.compile_query import CompileContext

CompileSub = Callable[[Query, "CompileContext"], LQuery]

_NUMERIC = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float"})
_INTEGER = frozenset({"long", "integer", "short", "byte"})


def _failure(ctx: CompileContext, cause: dict[str, Any]) -> BadRequestError:
    """What building the query threw, as the shard's failure (``query_shard_exception`` around it, as
    ``SearchExecutionContext.toQuery`` wraps it)."""
    return query_shard_failure(ctx.searcher.index_name, f"failed to create query: {cause['reason']}", cause)


def _java_int(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _long_hash(value: int) -> int:
    """``Long.hashCode``."""
    bits = value & 0xFFFFFFFFFFFFFFFF
    return _java_int(bits ^ (bits >> 32))


# ------------------------------------------------------------------------------------- function_score


def compile_function_score(q: fs.FunctionScoreQuery, ctx: CompileContext, compile_sub: CompileSub) -> LQuery:
    """``FunctionScoreQueryBuilder.doToQuery``: functions first (a ``match_all`` filter is no filter), then
    the query; the sub-query and filters are rewritten as ``FunctionScoreQuery.rewrite`` rewrites them."""
    functions = []
    for entry in q.functions:
        fn = _score_function(entry.function, ctx)
        filt = None if entry.filter is None else ctx.rewrite(compile_sub(entry.filter, ctx))
        functions.append(FilterFn(fn, entry.function.weight, filt))
    sub = ctx.rewrite(compile_sub(q.query, ctx))
    return FunctionScoreQ(sub, tuple(functions), q.score_mode, q.boost_mode or "multiply", q.max_boost, q.min_score)


def _score_function(fn: fs.ScoreFunction, ctx: CompileContext) -> ScoreFn:
    if isinstance(fn, fs.WeightFunction):
        return WeightFn()
    if isinstance(fn, fs.FieldValueFactorFunction):
        return _field_value_factor(fn, ctx)
    if isinstance(fn, fs.DecayFunction):
        return _decay(fn, ctx)
    assert isinstance(fn, fs.RandomScoreFunction)
    return _random_score(fn, ctx)


def _field_value_factor(fn: fs.FieldValueFactorFunction, ctx: CompileContext) -> FieldValueFn:
    """``FieldValueFactorFunctionBuilder.doToFunction``: an unmapped field needs ``missing``."""
    fi = ctx.searcher.field_info(fn.field)
    if fi is None:
        if fn.missing is None:
            reason = f"Unable to find a field mapper for field [{fn.field}]. No 'missing' value defined."
            raise _failure(ctx, error_cause("exception", reason))
        return FieldValueFn(fn.field, fn.factor, fn.modifier, fn.missing, mapped=False)
    if fi.type not in _NUMERIC | {"date", "boolean"}:
        raise _failure(
            ctx,
            error_cause(
                "illegal_argument_exception",
                f"field [{fn.field}] of type [{fi.type}] is not supported for [field_value_factor]: it needs numeric "
                "doc values",
            ),
        )
    return FieldValueFn(fn.field, fn.factor, fn.modifier, fn.missing)


def _parse_exception(ctx: CompileContext, reason: str) -> BadRequestError:
    return _failure(ctx, error_cause("parse_exception", reason))


def _double(ctx: CompileContext, name: str, value: Any) -> float:
    """``parser.doubleValue()``: a number or a numeric string."""
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        reason = f'For input string: "{value}"' if isinstance(value, str) else f"[{name}] must be a number"
        raise _failure(ctx, error_cause("number_format_exception", reason)) from None


_TIME = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)\s*$")
_UNIT_MILLIS = {
    "nanos": 1e-6,
    "micros": 1e-3,
    "ms": 1.0,
    "s": 1000.0,
    "m": 60_000.0,
    "h": 3_600_000.0,
    "d": 86_400_000.0,
}


def _time_millis(ctx: CompileContext, setting: str, value: Any) -> float:
    """``TimeValue.parseTimeValue(text).getMillis()`` (whole units: a fraction is refused as ES 9 refuses it
    for these settings' integer form)."""
    text = str(value)
    m = _TIME.match(text.lower())
    if m is None:
        reason = (
            f"failed to parse setting [{setting}] with value [{text}] as a time value: unit is missing or unrecognized"
        )
        raise _parse_exception(ctx, reason)
    number, unit = m.group(1), m.group(2)
    if "." in number:
        raise not_supported(f"a fractional time value [{text}] in a decay function")
    return (
        float(math.floor(int(number) * _UNIT_MILLIS[unit]))
        if unit in ("nanos", "micros")
        else int(number) * _UNIT_MILLIS[unit]
    )


def _decay(fn: fs.DecayFunction, ctx: CompileContext) -> DecayFn:
    """``DecayFunctionBuilder.parseVariable``: numeric fields read numbers, date fields date math and time
    values (``origin`` defaults to now, ``offset`` to ``0d``)."""
    fi = ctx.searcher.field_info(fn.field)
    if fi is None:  # a ParsingException: SearchExecutionContext.toQuery lets it through unwrapped
        raise shard_failure(ctx.searcher.index_name, error_cause("parsing_exception", f"unknown field [{fn.field}]"))
    if fi.type == "date_nanos":
        raise not_supported("a decay function on a [date_nanos] field")
    params = dict(fn.params)
    for key in params:
        if key not in ("scale", "decay", "origin", "offset"):
            raise _parse_exception(ctx, f"parameter [{key}] not supported!")
    decay = _double(ctx, "decay", params["decay"]) if "decay" in params else 0.5
    if fi.type == "date":
        if "scale" not in params:
            raise _parse_exception(ctx, "[scale] must be set for date fields.")
        origin = (
            float(ctx.now_millis)
            if params.get("origin") is None
            else float(ctx.searcher.parse_date(fi, params["origin"], ctx.now_millis, False, None, None))
        )
        scale = _time_millis(ctx, "DecayFunctionParser.scale", params["scale"])
        offset = _time_millis(ctx, "DecayFunctionParser.offset", params.get("offset", "0d"))
    elif fi.type in _NUMERIC:
        if "scale" not in params or "origin" not in params:
            raise _parse_exception(ctx, "both [scale] and [origin] must be set for numeric fields.")
        origin = _double(ctx, "origin", params["origin"])
        scale = _double(ctx, "scale", params["scale"])
        offset = _double(ctx, "offset", params["offset"]) if "offset" in params else 0.0
    else:
        reason = f"field [{fn.field}] is of type [{fi.type}], but only numeric types are supported."
        raise shard_failure(ctx.searcher.index_name, error_cause("parsing_exception", reason))
    if scale <= 0.0:
        raise _failure(ctx, error_cause("illegal_argument_exception", "function_score : scale must be > 0.0."))
    if decay <= 0.0 or decay >= 1.0:
        raise _failure(
            ctx, error_cause("illegal_argument_exception", "function_score : decay must be in the range [0..1].")
        )
    if offset < 0.0:
        raise _failure(ctx, error_cause("illegal_argument_exception", "function_score : offset must be > 0.0"))
    return DecayFn(
        fn.decay_type, fn.field, origin, process_scale(fn.decay_type, scale, decay), offset, fn.multi_value_mode
    )


def _random_score(fn: fs.RandomScoreFunction, ctx: CompileContext) -> RandomFn:
    """``RandomScoreFunctionBuilder.doToFunction``: the salt is ``(index name hashCode << 10) | shard``
    (the shard's number joins it when a shard scores, ``RandomFn.salted``); without a seed the doc id is
    hashed with ``hash(now)``."""
    index = ctx.searcher.index_name
    salt = _java_int(java_string_hash(index) << 10)
    if fn.seed is None:
        seed = _long_hash(ctx.now_millis)
        return RandomFn(seed, salt, None)
    if fn.field is None or fn.field == "_seq_no":  # ES's default field: the `_seq_no` doc values
        return _random_on_seq_no(fn.seed, salt, ctx)
    if fn.field == "_id":
        reason = (
            "Fielddata access on the _id field is disallowed, you can re-enable it by updating the dynamic cluster "
            "setting: indices.id_field_data.enabled"
        )
        raise _failure(ctx, error_cause("illegal_argument_exception", reason))
    fi: FieldInfo | None = ctx.searcher.field_info(fn.field)
    if fi is None:
        if not ctx.searcher.fields:
            seed = _long_hash(ctx.now_millis)
            return RandomFn(seed, salt, None)
        raise _failure(
            ctx,
            error_cause(
                "illegal_argument_exception",
                f"Field [{fn.field}] is not mapped on [{index}] and cannot be used as a source of random numbers.",
            ),
        )
    if fi.type == "keyword":
        kind = "keyword"
    elif fi.type in _INTEGER or fi.type == "date":
        kind = "long"
    elif fi.type in ("double", "float", "half_float"):
        kind = "double"
    else:
        raise not_supported(f"[random_score] on a field of type [{fi.type}]", "use a keyword, numeric or date field")
    return RandomFn(fn.seed, salt, fn.field, kind)


def _random_on_seq_no(seed: int, salt: int, ctx: CompileContext) -> RandomFn:
    """A seed without a field hashes each document's ``_seq_no`` (``Long.toString``), as ES 9 does."""
    searcher = ctx.searcher
    seq_nos = searcher.seq_nos
    if seq_nos.size and bool((seq_nos[searcher.live[: seq_nos.size]] < 0).any()):
        raise not_supported(
            "[random_score] on [_seq_no] for documents loaded from an older data directory",
            "their sequence numbers were not saved; re-index them or name a keyword, numeric or date [field]",
        )
    return RandomFn(seed, salt, "_seq_no", "seq_no")


# ------------------------------------------------------------------------------------------- boosting


def compile_boosting(q: fs.BoostingQuery, ctx: CompileContext, compile_sub: CompileSub) -> LQuery:
    """``BoostingQueryBuilder.doToQuery``: ``FunctionScoreQuery.boostByQuery``."""
    positive = ctx.rewrite(compile_sub(q.positive, ctx))
    negative = ctx.rewrite(compile_sub(q.negative, ctx))
    return BoostingQ(positive, negative, q.negative_boost)


# ------------------------------------------------------------------------------------------ rank_feature


def compile_rank_feature(q: fs.RankFeatureQuery, ctx: CompileContext, compile_sub: CompileSub) -> LQuery:
    """``RankFeatureQueryBuilder.doToQuery``: a ``rank_feature`` field is the feature of that name, an
    unmapped ``a.b`` under a ``rank_features`` field ``a`` is its feature ``b``; anything else unmapped
    matches nothing."""
    fi = ctx.searcher.field_info(q.field)
    if fi is not None and fi.type == "rank_feature":
        field, feature, positive = fi.path, fi.path, fi.positive_score_impact
    elif fi is None:
        parent, _, feature = q.field.rpartition(".")
        pfi = ctx.searcher.field_info(parent) if parent else None
        if pfi is None or pfi.type != "rank_features":
            return MatchNoneQ("unmapped field")
        field, positive = pfi.path, True  # ES passes true for a rank_features feature (its values are stored as given)
    else:
        raise _failure(
            ctx,
            error_cause(
                "illegal_argument_exception",
                "[rank_feature] query only works on [rank_feature] fields and features of [rank_features] fields, "
                f"not [{fi.type}]",
            ),
        )
    if q.function == "log" and not positive:
        raise _failure(
            ctx,
            error_cause(
                "illegal_argument_exception",
                "Cannot use the [log] function with a field that has a negative score impact as it would trigger "
                "negative scores",
            ),
        )
    pivot = q.pivot
    if q.function == "saturation" and pivot is None:
        pivot = pivot_feature_value(ctx.searcher.inverted(field), feature)
    return RankFeatureQ(
        field,
        feature,
        q.function,
        pivot=pivot or 0.0,
        scaling_factor=q.scaling_factor or 0.0,
        exponent=q.exponent or 0.0,
        lucene_field="_feature" if fi is not None else "",
    )


# -------------------------------------------------------------------------------------------- terms_set


def compile_terms_set(q: fs.TermsSetQuery, ctx: CompileContext, compile_sub: CompileSub) -> LQuery:
    """``TermsSetQueryBuilder.doToQuery``: one term query per value (the field type's ``termQuery``), covered
    by at least the ``minimum_should_match_field`` value (or the ``minimum_should_match`` count)."""
    if not q.terms:
        return MatchNoneQ('No terms supplied for "terms_set" query.')
    clauses = tuple(compile_sub(TermQuery(field=q.field, value=v), ctx) for v in q.terms)
    if q.minimum_should_match_field is not None:
        if ctx.searcher.field_info(q.minimum_should_match_field) is None:  # a QueryShardException itself
            reason = f"failed to find minimum_should_match field [{q.minimum_should_match_field}]"
            index = ctx.searcher.index_name
            raise shard_failure(index, error_cause("query_shard_exception", reason, index=index))
        return TermsSetQ(clauses, msm_field=q.minimum_should_match_field)
    if q.minimum_should_match is None:
        raise _failure(ctx, error_cause("illegal_state_exception", "No minimum should match has been specified"))
    return TermsSetQ(clauses, msm=min_should_match.calculate(len(q.terms), q.minimum_should_match))
