"""The full-text functions of a ``WHERE`` (``MATCH``, ``MATCH_PHRASE``, ``MULTI_MATCH``, ``KNN``):
arguments, options and their checks, built into queries (or a kNN search) with the JSON front end's
validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import ApiError, error_reason
from retrievo.grammar.esql.conditions import Const, Knn, KnnSpec, Leaf, WhereContext, operand_value
from retrievo.grammar.esql.errors import not_supported, verification_error
from retrievo.grammar.esql.esql_types import esql_type, literal_type
from retrievo.grammar.esql.syntax_tree import Call, Field, Lit, MapLit
from retrievo.retrievers.knn import NUM_CANDIDATES_LIMIT, TextEmbeddingBuilder
from retrievo.retrievers.queries import BoolQuery, Query

__all__ = ["FULL_TEXT_FUNCTIONS", "match_function"]

MATCH_OPTIONS = (
    "analyzer",
    "auto_generate_synonyms_phrase_query",
    "boost",
    "fuzziness",
    "fuzzy_rewrite",
    "fuzzy_transpositions",
    "lenient",
    "max_expansions",
    "minimum_should_match",
    "operator",
    "prefix_length",
    "zero_terms_query",
)
MATCH_PHRASE_OPTIONS = ("analyzer", "boost", "slop", "zero_terms_query")
MULTI_MATCH_OPTIONS = (
    "analyzer",
    "auto_generate_synonyms_phrase_query",
    "boost",
    "fuzziness",
    "fuzzy_rewrite",
    "fuzzy_transpositions",
    "lenient",
    "max_expansions",
    "minimum_should_match",
    "operator",
    "prefix_length",
    "slop",
    "tie_breaker",
    "type",
)
KNN_OPTIONS = ("boost", "k", "min_candidates", "rescore_oversample", "similarity", "visit_percentage")


def _full_text(query: Query, negated: bool) -> Any:
    return Leaf(BoolQuery(must_not=(query,)), False) if negated else Leaf(query, True)


def _options(call: Call, index: int, allowed: tuple[str, ...], ctx: WhereContext) -> dict[str, Any]:
    """The optional map argument at ``index`` (ES|QL's named function parameters)."""
    if len(call.args) <= index:
        return {}
    arg = call.args[index]
    if not isinstance(arg, MapLit):
        ctx.problems.add(
            call.pos, f"{_ordinal(index)} argument of [{call.text}] must be a map expression, found value [{_src(arg)}]"
        )
        return {}
    opts = arg.as_dict()
    for key in opts:
        if key not in allowed:
            ctx.problems.add(
                call.pos, f"Invalid option [{key}] in [{call.text}], expected one of [{', '.join(allowed)}]"
            )
    return opts


def _not_null(call: Call, index: int, value: Any, ctx: WhereContext) -> bool:
    """ES|QL refuses a ``null`` query text of a full-text function (a verification problem)."""
    if value is None:
        ctx.problems.add(call.pos, f"{_ordinal(index)} argument of [{call.text}] cannot be null, received [null]")
        return False
    return True


def _ordinal(index: int) -> str:
    return ["first", "second", "third", "fourth", "fifth"][index] if index < 5 else f"#{index + 1}"


def _src(arg: Any) -> str:
    if isinstance(arg, Field):
        return arg.name
    if isinstance(arg, Lit):
        return repr(arg.value)
    return type(arg).__name__


def _field_arg(call: Call, index: int, ctx: WhereContext) -> Field:
    arg = call.args[index] if len(call.args) > index else None
    if not isinstance(arg, Field):
        raise not_supported(ctx.text, call.pos, f"{call.name} with a {_ordinal(index)} argument that is not a field")
    return arg


def _arity(call: Call, lo: int, hi: int | None, ctx: WhereContext) -> None:
    n = len(call.args)
    if n < lo or (hi is not None and n > hi):
        want = f"{lo}" if hi == lo else f"at least {lo}" if hi is None else f"between {lo} and {hi}"
        raise verification_error(
            [(call.pos, f"function [{call.name.lower()}] expects {want} arguments, found [{n}] in [{call.text}]")]
        )


#: Options ES|QL accepts and retrievo does not implement (none since fuzzy matching landed).
UNSUPPORTED_OPTIONS: frozenset[str] = frozenset()


def _json_query(body: dict[str, Any], call: Call, ctx: WhereContext) -> Query:
    """Build the query with the JSON front end, so option values are validated the same way; its
    complaint is reported at the function, as ES|QL reports a bad option."""
    from retrievo.grammar.json import parse_query

    inner = next(iter(body.values()))
    opts = next(iter(inner.values())) if "fields" not in inner else inner
    for key in UNSUPPORTED_OPTIONS & set(opts):
        raise not_supported(ctx.text, call.pos, f"the {call.name} option [{key}]")
    if "fields" in inner and opts.get("auto_generate_synonyms_phrase_query") is False:  # match: implemented
        raise not_supported(ctx.text, call.pos, f"the {call.name} option [auto_generate_synonyms_phrase_query: false]")
    try:
        return parse_query(body)
    except ApiError as err:
        cause = err.body["error"].get("caused_by", {}).get("reason")
        raise verification_error(
            [(call.pos, f"Invalid option in [{call.text}]: {cause or error_reason(err)}")]
        ) from None


def match_function(call: Call, negated: bool, ctx: WhereContext) -> Any:
    before = len(ctx.problems.items)
    _arity(call, 2, 3, ctx)
    f = _field_arg(call, 0, ctx)
    value = operand_value(call.args[1], ctx, "MATCH query")
    _not_null(call, 1, value, ctx)
    es_type = ctx.column(f)
    if es_type in ("dense_vector", "unsupported"):
        ctx.problems.add(
            call.pos,
            f"first argument of [{call.text}] must be [boolean, date, double, integer, "
            f"keyword, long, text], found value [{f.name}] type [{esql_type(es_type)}]",
        )
    opts = {"lenient": True, **_options(call, 2, MATCH_OPTIONS, ctx)}
    if len(ctx.problems.items) > before:
        return Const(True)  # reported with every other problem of the query
    return _full_text(_json_query({"match": {f.name: {"query": value, **opts}}}, call, ctx), negated)


def _match_phrase(call: Call, negated: bool, ctx: WhereContext) -> Any:
    before = len(ctx.problems.items)
    _arity(call, 2, 3, ctx)
    f = _field_arg(call, 0, ctx)
    value = operand_value(call.args[1], ctx, "MATCH_PHRASE query")
    _not_null(call, 1, value, ctx)
    ctx.column(f)
    opts = _options(call, 2, MATCH_PHRASE_OPTIONS, ctx)
    if len(ctx.problems.items) > before:
        return Const(True)
    return _full_text(_json_query({"match_phrase": {f.name: {"query": value, **opts}}}, call, ctx), negated)


def _multi_match(call: Call, negated: bool, ctx: WhereContext) -> Any:
    before = len(ctx.problems.items)
    _arity(call, 2, None, ctx)
    value = operand_value(call.args[0], ctx, "MULTI_MATCH query")
    _not_null(call, 0, value, ctx)
    args = list(call.args[1:])
    opts: dict[str, Any] = {}
    if args and isinstance(args[-1], MapLit):
        opts = _options(call, len(call.args) - 1, MULTI_MATCH_OPTIONS, ctx)
        args = args[:-1]
    fields = []
    for i, arg in enumerate(args, start=1):
        fields.append(_field_arg(call, i, ctx).name)
        ctx.column(arg)
    if not fields:
        raise verification_error([(call.pos, f"function [multi_match] expects at least one field in [{call.text}]")])
    if len(ctx.problems.items) > before:
        return Const(True)
    body = {"query": value, "fields": fields, "lenient": True, **opts}
    return _full_text(_json_query({"multi_match": body}, call, ctx), negated)


def _knn(call: Call, negated: bool, ctx: WhereContext) -> Any:
    if negated:
        raise not_supported(ctx.text, call.pos, "NOT KNN (a negated kNN search)")
    _arity(call, 2, 3, ctx)
    f = _field_arg(call, 0, ctx)
    es_type = ctx.column(f)
    if es_type is not None and es_type not in ("dense_vector", "semantic_text"):
        ctx.problems.add(
            call.pos,
            f"first argument of [{call.text}] must be [dense_vector or semantic_text], "
            f"found value [{f.name}] type [{esql_type(es_type)}]",
        )
    query = call.args[1]
    vector: tuple[float, ...] | None = None
    builder: TextEmbeddingBuilder | None = None
    if isinstance(query, Call) and query.name == "TEXT_EMBEDDING":
        _arity(query, 2, 2, ctx)
        text, endpoint = (operand_value(a, ctx, "TEXT_EMBEDDING argument") for a in query.args)
        if not isinstance(text, str) or not isinstance(endpoint, str):
            ctx.problems.add(query.pos, f"arguments of [{query.text}] must be strings")
        else:
            builder = TextEmbeddingBuilder(model_id=endpoint, model_text=text)
    else:
        raw = operand_value(query, ctx, "KNN query vector")
        if (
            not isinstance(raw, list)
            or not raw
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
        ):
            ctx.problems.add(
                call.pos,
                f"second argument of [{call.text}] must be [dense_vector], found value "
                f"[{_src(query)}] type [{literal_type(raw)}]",
            )
        else:
            vector = tuple(float(v) for v in raw)
    opts = _options(call, 2, KNN_OPTIONS, ctx)
    ctx.problems.raise_if_any()
    if "visit_percentage" in opts:
        raise not_supported(ctx.text, call.pos, "the KNN option [visit_percentage]")
    for key in ("k", "min_candidates"):
        if key in opts and (isinstance(opts[key], bool) or not isinstance(opts[key], int)):
            ctx.problems.add(call.pos, f"Invalid option [{key}] in [{call.text}], expected an integer")
    for key in ("similarity", "boost", "rescore_oversample"):
        if key in opts and (isinstance(opts[key], bool) or not isinstance(opts[key], (int, float))):
            ctx.problems.add(call.pos, f"Invalid option [{key}] in [{call.text}], expected a number")
    ctx.problems.raise_if_any()
    if "k" in opts and opts["k"] < 1:
        ctx.problems.add(call.pos, f"Invalid option [k] in [{call.text}], [k] must be greater than 0")
    if opts.get("min_candidates", 0) > NUM_CANDIDATES_LIMIT:
        ctx.problems.add(
            call.pos, f"Invalid option [min_candidates] in [{call.text}], cannot exceed [{NUM_CANDIDATES_LIMIT}]"
        )
    if opts.get("boost", 1.0) < 0:
        ctx.problems.add(call.pos, f"Invalid option [boost] in [{call.text}], must be non-negative")
    ctx.problems.raise_if_any()
    opts = {k: (float(v) if k in ("similarity", "boost", "rescore_oversample") else v) for k, v in opts.items()}
    return Knn(KnnSpec(f.name, vector, builder, opts, call.pos))


FULL_TEXT_FUNCTIONS: dict[str, Callable[[Call, bool, WhereContext], Any]] = {
    "MATCH": match_function,
    "MATCH_PHRASE": _match_phrase,
    "MULTI_MATCH": _multi_match,
    "KNN": _knn,
}
