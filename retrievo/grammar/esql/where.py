"""ES|QL ``WHERE`` conditions → query DSL nodes, with Elasticsearch's ES|QL scoring rules.

How Elasticsearch pushes a ``WHERE`` down to Lucene decides the scores, so retrievo translates the
same way:

* Only the full-text functions (``MATCH``, ``:``, ``MATCH_PHRASE``, ``MULTI_MATCH``, ``KNN``) score.
  Every other condition is pushed down with ``boost: 0``: it filters and adds nothing. At the top
  level such conditions become the retriever's ``filter``; inside a scoring ``AND`` they become the
  bool query's ``filter`` clauses; inside an ``OR`` they are ``constant_score`` with ``boost: 0``.
* ``NOT`` is pushed down to the leaves first (De Morgan), as ES|QL's three-valued logic allows:
  ``NOT a > 5`` is ``a <= 5``; ``a != v`` and ``NOT a IN (...)`` hold only where ``a`` has a value
  (``exists`` plus ``must_not``), because a comparison with a missing value is ``null``, never true;
  a negated full-text function is a plain ``must_not`` (full-text functions are never ``null``).
* Comparisons on the same field inside one ``AND`` are combined into one ``range`` query.
* ``KNN`` is a retriever in retrievo's AST, not a query, so it may appear alone, or as a disjunct of
  a top-level ``OR`` (then it is the ``standard`` retriever's ``knn`` section, whose hits are added
  as a ``should`` clause — exactly ES|QL's ``bool.should`` of a match and a knn query). The other
  top-level conjuncts are its pre-filters, as ES|QL pushes conjunctions into ``KNN``'s prefilter.
  ``KNN`` anywhere else is reported as not supported.

Everything is checked against the index's fields when they are known (unknown columns, the type of
compared values), with ES|QL's verification messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from retrievo.errors import ApiError
from retrievo.grammar.esql.errors import Pos, Problems, not_supported, verification_error
from retrievo.grammar.esql.syntax import (
    Call,
    Compare,
    Expr,
    Field,
    InList,
    IsNull,
    Lit,
    Logic,
    MapLit,
    MatchOp,
    Not,
    Unsupported,
)
from retrievo.grammar.json.errors import suggest
from retrievo.grammar.json.knn import default_num_candidates
from retrievo.retrievers.knn import NUM_CANDIDATES_LIMIT, KnnSearch, TextEmbeddingBuilder
from retrievo.retrievers.queries import (
    BoolQuery,
    ConstantScoreQuery,
    ExistsQuery,
    MatchAllQuery,
    MatchNoneQuery,
    Query,
    RangeQuery,
    TermQuery,
    TermsQuery,
)

#: ES|QL functions (Elasticsearch 9.x) retrievo knows by name: using one outside the subset is
#: "not supported in retrievo", an unknown name is ES|QL's "Unknown function".
ESQL_FUNCTIONS = frozenset(
    """
ABS ACOS ASIN ATAN ATAN2 AVG BIT_LENGTH BUCKET BYTE_LENGTH CASE CATEGORIZE CBRT CEIL CIDR_MATCH COALESCE
CONCAT COPY_SIGN COS COSH COUNT COUNT_DISTINCT DATE_DIFF DATE_EXTRACT DATE_FORMAT DATE_PARSE DATE_TRUNC
DAY_NAME DECAY E ENDS_WITH EXP FIRST FLOOR FROM_BASE64 GREATEST HASH HYPOT IP_PREFIX KNN KQL LAST LEAST
LEFT LENGTH LOCATE LOG LOG10 LTRIM MATCH MATCH_PHRASE MAX MD5 MEDIAN MEDIAN_ABSOLUTE_DEVIATION MIN
MONTH_NAME MULTI_MATCH MV_APPEND MV_AVG MV_CONCAT MV_CONTAINS MV_COUNT MV_DEDUPE MV_FIRST MV_LAST MV_MAX
MV_MEDIAN MV_MEDIAN_ABSOLUTE_DEVIATION MV_MIN MV_PERCENTILE MV_PSERIES_WEIGHTED_SUM MV_SLICE MV_SORT
MV_SUM MV_ZIP NOW PERCENTILE PI POW QSTR RATE REPEAT REPLACE REVERSE RIGHT ROUND RTRIM SAMPLE SCALB SCORE
SHA1 SHA256 SIGNUM SIN SINH SPACE SPLIT SQRT STARTS_WITH STD_DEV ST_CENTROID_AGG ST_CONTAINS
ST_DISJOINT ST_DISTANCE ST_ENVELOPE ST_EXTENT_AGG ST_INTERSECTS ST_WITHIN ST_X ST_XMAX ST_XMIN ST_Y
ST_YMAX ST_YMIN SUBSTRING SUM TAN TANH TAU TERM TEXT_EMBEDDING TO_AGGREGATE_METRIC_DOUBLE TO_BASE64
TO_BOOLEAN TO_CARTESIANPOINT TO_CARTESIANSHAPE TO_DATEPERIOD TO_DATETIME TO_DATE_NANOS TO_DEGREES
TO_DOUBLE TO_GEOPOINT TO_GEOSHAPE TO_INTEGER TO_IP TO_LONG TO_LOWER TO_RADIANS TO_STRING TO_TIMEDURATION
TO_UNSIGNED_LONG TO_UPPER TO_VERSION TOP TRIM VALUES WEIGHTED_AVG CHUNK TOP_SNIPPETS V_COSINE
V_DOT_PRODUCT V_HAMMING V_L1_NORM V_L2_NORM V_MAGNITUDE CLAMP CONTAINS URL_ENCODE URL_DECODE
""".split()
)

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

#: Field types per ES|QL type family, for comparison checks.
NUMERIC_TYPES = frozenset(
    {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
)
TEXT_TYPES = frozenset({"text", "semantic_text", "match_only_text"})


def esql_type(es_type: str) -> str:
    """The ES|QL type of a mapped field (what the response's ``columns`` call it)."""
    if es_type in ("long", "unsigned_long"):
        return es_type
    if es_type in ("integer", "short", "byte"):
        return "integer"
    if es_type in ("double", "float", "half_float", "scaled_float"):
        return "double"
    if es_type in ("text", "semantic_text", "match_only_text"):
        return "text"
    if es_type in ("keyword", "constant_keyword", "wildcard"):
        return "keyword"
    if es_type in ("date", "boolean", "dense_vector", "ip", "version", "date_nanos"):
        return "datetime" if es_type == "date" else es_type
    return "unsupported"


def literal_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list):
        return "dense_vector"
    return "keyword"


# ---------------------------------------------------------------- the normal form


@dataclass(frozen=True)
class KnnSpec:
    """A ``KNN(...)`` call, before its ``k`` is known (it defaults to the ``LIMIT`` after it)."""

    field: str
    vector: tuple[float, ...] | None
    builder: TextEmbeddingBuilder | None
    options: Mapping[str, Any]
    pos: Pos

    def search(self, limit: int, prefilters: tuple[Query, ...] = ()) -> KnnSearch:
        k = int(self.options.get("k", limit))
        num_candidates = self.options.get("min_candidates")
        num_candidates = default_num_candidates(k) if num_candidates is None else max(int(num_candidates), k)
        return KnnSearch(
            field=self.field,
            k=k,
            num_candidates=num_candidates,
            query_vector=self.vector,
            query_vector_builder=self.builder,
            similarity=self.options.get("similarity"),
            boost=float(self.options.get("boost", 1.0)),
            filter=prefilters,
            rescore_oversample=self.options.get("rescore_oversample"),
        )


@dataclass(frozen=True)
class _Leaf:
    query: Query
    scoring: bool


@dataclass(frozen=True)
class _Knn:
    spec: KnnSpec


@dataclass(frozen=True)
class _Const:
    value: bool


@dataclass(frozen=True)
class _And:
    children: tuple[Any, ...]


@dataclass(frozen=True)
class _Or:
    children: tuple[Any, ...]


def _is_scoring(node: Any) -> bool:
    if isinstance(node, _Leaf):
        return node.scoring
    if isinstance(node, _Knn):
        return True
    if isinstance(node, (_And, _Or)):
        return any(_is_scoring(c) for c in node.children)
    return False


def _has_knn(node: Any) -> bool:
    if isinstance(node, _Knn):
        return True
    if isinstance(node, (_And, _Or)):
        return any(_has_knn(c) for c in node.children)
    return False


def _flatten(kind: type[_And] | type[_Or], children: list[Any]) -> Any:
    """An ``AND``/``OR`` with nested same-kind nodes inlined and constants folded."""
    flat: list[Any] = []
    for c in children:
        flat.extend(c.children if isinstance(c, kind) else [c])
    absorbing = kind is _Or  # true absorbs an OR, false absorbs an AND
    out = []
    for c in flat:
        if isinstance(c, _Const):
            if c.value == absorbing:
                return _Const(absorbing)
            continue
        out.append(c)
    if not out:
        return _Const(not absorbing)
    return out[0] if len(out) == 1 else kind(tuple(out))


# ---------------------------------------------------------------- the context of a translation


@dataclass
class WhereContext:
    """What a translation needs: the query text (for positions) and, when the index is known, its
    fields (``path → Elasticsearch type``) to verify column references."""

    text: str
    fields: Mapping[str, str] | None = None
    #: The ``FROM ... METADATA`` columns: valid ES|QL in a condition, which retrievo does not filter on.
    metadata: tuple[str, ...] = ()
    problems: Problems = field(init=False)

    def __post_init__(self) -> None:
        self.problems = Problems(self.text)

    def column(self, f: Field) -> str | None:
        """The field's type; records ``Unknown column`` when the index is known and lacks it."""
        if f.name in self.metadata:
            raise not_supported(self.text, f.pos, f"conditions on the metadata column [{f.name}]")
        if self.fields is None:
            return None
        es_type = self.fields.get(f.name)
        if es_type is None:
            hint = suggest(f.name, self.fields).replace(" did you mean", ", did you mean")
            self.problems.add(f.pos, f"Unknown column [{f.name}]{hint}")
        return es_type


# ---------------------------------------------------------------- leaves


def _value(expr: Any, ctx: WhereContext, what: str) -> Any:
    if isinstance(expr, Lit):
        return expr.value
    if isinstance(expr, Unsupported):
        raise not_supported(ctx.text, expr.pos, expr.what)
    if isinstance(expr, Call):
        raise _function_error(expr, ctx)
    raise not_supported(ctx.text, getattr(expr, "pos", Pos(1, 1)), f"a non-constant {what}")


def _function_error(call: Call, ctx: WhereContext) -> ApiError:
    if call.name in ESQL_FUNCTIONS:
        return not_supported(ctx.text, call.pos, call.name)
    return verification_error([(call.pos, f"Unknown function [{call.name.lower()}]")])


def _type_error(text: str, field_type: str, value: Any) -> str:
    return (
        f"first argument of [{text}] is [{field_type}] so second argument must also be [{field_type}] "
        f"but was [{literal_type(value)}]"
    )


def _compared_field(f: Field, value: Any, text: str, pos: Pos, ctx: WhereContext) -> None:
    es_type = ctx.column(f)
    if es_type is None or value is None:
        return
    if es_type in TEXT_TYPES:
        raise not_supported(
            ctx.text, pos, f"comparing the text field [{f.name}] with a value (use MATCH, or a keyword field)"
        )
    family = (
        "numeric"
        if es_type in NUMERIC_TYPES
        else "keyword"
        if es_type in ("keyword", "constant_keyword")
        else "datetime"
        if es_type == "date"
        else es_type
    )
    ok = {
        "numeric": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "keyword": lambda v: isinstance(v, str),
        "datetime": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
    }.get(family)
    if ok is None:
        raise not_supported(ctx.text, pos, f"comparisons on [{es_type}] fields")
    if not ok(value):
        ctx.problems.add(pos, _type_error(text, family, value))


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_RANGE_KEY = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def _present_and_not(f: str, q: Query) -> Query:
    """``f`` has a value and ``q`` does not match: what a negated comparison keeps."""
    return BoolQuery(filter=(ExistsQuery(field=f),), must_not=(q,))


def _comparison(c: Compare, negated: bool, ctx: WhereContext) -> Any:
    left, right, op = c.left, c.right, c.op
    if isinstance(left, Lit) and isinstance(right, Field):
        left, right, op = right, left, _FLIP[op]
    if not isinstance(left, Field):
        if isinstance(left, Lit) and isinstance(right, Lit):
            raise not_supported(ctx.text, c.pos, "comparisons between two constants")
        _value(left, ctx, "comparison operand")
        raise not_supported(ctx.text, c.pos, "comparisons that do not compare a field with a constant")
    value = _value(right, ctx, "comparison operand")
    if isinstance(value, list):
        raise not_supported(ctx.text, right.pos, "comparing with an array")
    _compared_field(left, value, c.text, c.pos, ctx)
    if value is None:
        return _Const(False)  # a comparison with null is null: never true, negated or not
    if negated:
        op = _NEGATE[op]
    if op == "==":
        return _Leaf(TermQuery(field=left.name, value=value), False)
    if op == "!=":
        return _Leaf(_present_and_not(left.name, TermQuery(field=left.name, value=value)), False)
    return _Leaf(RangeQuery(field=left.name, **{_RANGE_KEY[op]: value}), False)


def _in_list(e: InList, negated: bool, ctx: WhereContext) -> Any:
    if not isinstance(e.value, Field):
        raise not_supported(ctx.text, e.pos, "IN on something other than a field")
    values = [_value(item, ctx, "IN list item") for item in e.items]
    for v in values:
        if isinstance(v, list):
            raise not_supported(ctx.text, e.pos, "arrays in an IN list")
        _compared_field(e.value, v, e.text, e.pos, ctx)
    negated = negated != e.negated
    present = [v for v in values if v is not None]
    if negated and len(present) < len(values):
        return _Const(False)  # x NOT IN (..., null) is never true
    if not present:
        return _Const(False)
    terms = TermsQuery(field=e.value.name, values=tuple(present))
    if negated:
        return _Leaf(_present_and_not(e.value.name, terms), False)
    return _Leaf(terms, False)


def _is_null(e: IsNull, negated: bool, ctx: WhereContext) -> Any:
    if not isinstance(e.value, Field):
        raise not_supported(ctx.text, e.pos, "IS NULL on something other than a field")
    ctx.column(e.value)
    exists = ExistsQuery(field=e.value.name)
    wants_value = negated != e.negated
    return _Leaf(exists if wants_value else BoolQuery(must_not=(exists,)), False)


def _boolean_field(f: Field, negated: bool, ctx: WhereContext) -> Any:
    es_type = ctx.column(f)
    if es_type is not None and es_type != "boolean":
        ctx.problems.add(f.pos, f"Condition expression needs to be boolean, found [{esql_type(es_type).upper()}]")
    return _Leaf(TermQuery(field=f.name, value=not negated), False)


def _full_text(query: Query, negated: bool) -> Any:
    return _Leaf(BoolQuery(must_not=(query,)), False) if negated else _Leaf(query, True)


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


#: Options ES|QL accepts and retrievo does not implement (fuzzy matching).
UNSUPPORTED_OPTIONS = frozenset({"fuzziness"})


def _json_query(body: dict[str, Any], call: Call, ctx: WhereContext) -> Query:
    """Build the query with the JSON front end, so option values are validated the same way; its
    complaint is reported at the function, as ES|QL reports a bad option."""
    from retrievo.grammar.json import parse_query

    inner = next(iter(body.values()))
    opts = next(iter(inner.values())) if "fields" not in inner else inner
    for key in UNSUPPORTED_OPTIONS & set(opts):
        raise not_supported(ctx.text, call.pos, f"the {call.name} option [{key}]")
    if opts.get("auto_generate_synonyms_phrase_query") is False:
        raise not_supported(ctx.text, call.pos, f"the {call.name} option [auto_generate_synonyms_phrase_query: false]")
    try:
        return parse_query(body)
    except ApiError as err:
        cause = err.body["error"].get("caused_by", {}).get("reason")
        raise verification_error([(call.pos, f"Invalid option in [{call.text}]: {cause or err.reason}")]) from None


def _match(call: Call, negated: bool, ctx: WhereContext) -> Any:
    before = len(ctx.problems.items)
    _arity(call, 2, 3, ctx)
    f = _field_arg(call, 0, ctx)
    value = _value(call.args[1], ctx, "MATCH query")
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
        return _Const(True)  # reported with every other problem of the query
    return _full_text(_json_query({"match": {f.name: {"query": value, **opts}}}, call, ctx), negated)


def _match_phrase(call: Call, negated: bool, ctx: WhereContext) -> Any:
    before = len(ctx.problems.items)
    _arity(call, 2, 3, ctx)
    f = _field_arg(call, 0, ctx)
    value = _value(call.args[1], ctx, "MATCH_PHRASE query")
    _not_null(call, 1, value, ctx)
    ctx.column(f)
    opts = _options(call, 2, MATCH_PHRASE_OPTIONS, ctx)
    if len(ctx.problems.items) > before:
        return _Const(True)
    return _full_text(_json_query({"match_phrase": {f.name: {"query": value, **opts}}}, call, ctx), negated)


def _multi_match(call: Call, negated: bool, ctx: WhereContext) -> Any:
    before = len(ctx.problems.items)
    _arity(call, 2, None, ctx)
    value = _value(call.args[0], ctx, "MULTI_MATCH query")
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
        return _Const(True)
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
        text, endpoint = (_value(a, ctx, "TEXT_EMBEDDING argument") for a in query.args)
        if not isinstance(text, str) or not isinstance(endpoint, str):
            ctx.problems.add(query.pos, f"arguments of [{query.text}] must be strings")
        else:
            builder = TextEmbeddingBuilder(model_id=endpoint, model_text=text)
    else:
        raw = _value(query, ctx, "KNN query vector")
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
    return _Knn(KnnSpec(f.name, vector, builder, opts, call.pos))


_FUNCTIONS: dict[str, Callable[[Call, bool, WhereContext], Any]] = {
    "MATCH": _match,
    "MATCH_PHRASE": _match_phrase,
    "MULTI_MATCH": _multi_match,
    "KNN": _knn,
}


def normal_form(e: Expr, ctx: WhereContext, negated: bool = False) -> Any:
    """The condition with ``NOT`` pushed to the leaves and leaves translated to queries."""
    if isinstance(e, Logic):
        kind = _And if (e.op == "and") != negated else _Or
        return _flatten(kind, [normal_form(c, ctx, negated) for c in e.children])
    if isinstance(e, Not):
        return normal_form(e.child, ctx, not negated)
    if isinstance(e, Lit):
        if isinstance(e.value, bool):
            return _Const(e.value != negated)
        if e.value is None:
            return _Const(False)
        ctx.problems.add(e.pos, f"Condition expression needs to be boolean, found [{literal_type(e.value).upper()}]")
        return _Const(False)
    if isinstance(e, Field):
        return _boolean_field(e, negated, ctx)
    if isinstance(e, MatchOp):
        call = Call("MATCH", (e.field, e.value), e.pos, f"{e.field.name}:...")
        return _match(call, negated, ctx)
    if isinstance(e, Call):
        handler = _FUNCTIONS.get(e.name)
        if handler is None:
            raise _function_error(e, ctx)
        return handler(e, negated, ctx)
    if isinstance(e, Compare):
        return _comparison(e, negated, ctx)
    if isinstance(e, InList):
        return _in_list(e, negated, ctx)
    if isinstance(e, IsNull):
        return _is_null(e, negated, ctx)
    if isinstance(e, Unsupported):
        raise not_supported(ctx.text, e.pos, e.what)
    raise not_supported(ctx.text, getattr(e, "pos", Pos(1, 1)), "this expression in WHERE")


# ---------------------------------------------------------------- normal form → queries


def merge_ranges(queries: list[Query]) -> tuple[Query, ...]:
    """One ``range`` per field inside a conjunction: a bound joins the first earlier range on the
    same field whose side (lower or upper) is still free."""
    out: list[Query] = []
    for q in queries:
        if isinstance(q, RangeQuery):
            lower = q.gt is not None or q.gte is not None
            for i, prev in enumerate(out):
                if not isinstance(prev, RangeQuery) or prev.field != q.field:
                    continue
                prev_lower = prev.gt is not None or prev.gte is not None
                prev_upper = prev.lt is not None or prev.lte is not None
                if (lower and not prev_lower) or (not lower and not prev_upper):
                    bound = {
                        k: v for k, v in (("gt", q.gt), ("gte", q.gte), ("lt", q.lt), ("lte", q.lte)) if v is not None
                    }
                    out[i] = prev.model_copy(update=bound)
                    break
            else:
                out.append(q)
            continue
        out.append(q)
    return tuple(out)


def _filter_query(node: Any) -> Query:
    """A non-scoring condition as a query (only matching matters)."""
    if isinstance(node, _Leaf):
        return node.query
    if isinstance(node, _Const):
        return MatchAllQuery() if node.value else MatchNoneQuery()
    if isinstance(node, _And):
        merged = merge_ranges([_filter_query(c) for c in node.children])
        return merged[0] if len(merged) == 1 else BoolQuery(filter=merged)
    if isinstance(node, _Or):
        return BoolQuery(should=tuple(_filter_query(c) for c in node.children))
    raise AssertionError(node)


def zero_score(q: Query) -> Query:
    """A condition inside a scoring ``OR``: it matches, and adds nothing to the score."""
    return ConstantScoreQuery(filter=q, boost=0.0)


def _scoring_query(node: Any, ctx: WhereContext) -> Query:
    if isinstance(node, _Knn):
        raise not_supported(
            ctx.text,
            node.spec.pos,
            "KNN inside AND, NOT or a nested OR (retrievo runs KNN as a "
            "retriever: alone, or as a disjunct of the top-level OR)",
        )
    if not _is_scoring(node):
        return zero_score(_filter_query(node))
    if isinstance(node, _Leaf):
        return node.query
    if isinstance(node, _And):
        must = tuple(_scoring_query(c, ctx) for c in node.children if _is_scoring(c))
        filters = merge_ranges([_filter_query(c) for c in node.children if not _is_scoring(c)])
        return BoolQuery(must=must, filter=filters)
    assert isinstance(node, _Or)
    return BoolQuery(should=tuple(_scoring_query(c, ctx) for c in node.children))


@dataclass(frozen=True)
class WherePlan:
    """A whole (possibly multi-command) ``WHERE``, split the way a retriever needs it."""

    query: Query | None = None  # the scoring part, kNN disjuncts excluded
    knn: tuple[KnnSpec, ...] = ()  # kNN searches (alone, or disjuncts of the top-level OR)
    filters: tuple[Query, ...] = ()  # the non-scoring conjuncts (the retriever's filter)
    scoring: bool = False  # some condition scores (otherwise every score is 0)


def translate_where(conditions: list[Expr], ctx: WhereContext) -> WherePlan:
    """All ``WHERE`` conditions of one pipeline stage (they are ANDed) → a :class:`WherePlan`."""
    nodes = [normal_form(c, ctx) for c in conditions]
    ctx.problems.raise_if_any()
    top = _flatten(_And, nodes) if nodes else _Const(True)
    conjuncts = list(top.children) if isinstance(top, _And) else [top]
    scoring = [c for c in conjuncts if _is_scoring(c)]
    filters = merge_ranges(
        [_filter_query(c) for c in conjuncts if not _is_scoring(c) and not (isinstance(c, _Const) and c.value)]
    )
    if not scoring:
        return WherePlan(filters=filters)
    knn: list[KnnSpec] = []
    if len(scoring) == 1 and isinstance(scoring[0], _Knn):
        return WherePlan(knn=(scoring[0].spec,), filters=filters, scoring=True)
    if len(scoring) == 1 and isinstance(scoring[0], _Or) and any(isinstance(c, _Knn) for c in scoring[0].children):
        rest = [c for c in scoring[0].children if not isinstance(c, _Knn)]
        knn = [c.spec for c in scoring[0].children if isinstance(c, _Knn)]
        query = None
        if rest:
            query = _scoring_query(rest[0], ctx) if len(rest) == 1 else _scoring_query(_Or(tuple(rest)), ctx)
        return WherePlan(query=query, knn=tuple(knn), filters=filters, scoring=True)
    for c in scoring:
        if _has_knn(c) and len(scoring) > 1:
            spec = _first_knn(c)
            raise not_supported(
                ctx.text,
                spec.pos,
                "KNN combined with AND with another full-text function (the retriever API has no kNN query)",
            )
    query = (
        _scoring_query(scoring[0], ctx)
        if len(scoring) == 1
        else BoolQuery(must=tuple(_scoring_query(c, ctx) for c in scoring))
    )
    return WherePlan(query=query, filters=filters, scoring=True)


def _first_knn(node: Any) -> KnnSpec:
    if isinstance(node, _Knn):
        return node.spec
    for c in node.children:
        if _has_knn(c):
            return _first_knn(c)
    raise AssertionError
