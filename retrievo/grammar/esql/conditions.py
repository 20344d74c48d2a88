"""The normal form of a ``WHERE`` condition (leaves, kNN searches, constants, ``AND``/``OR``), the
context a translation runs in, and the operand and function checks that every kind of leaf shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from retrievo.errors import ApiError
from retrievo.grammar.esql.errors import Pos, Problems, not_supported, verification_error
from retrievo.grammar.esql.syntax_tree import Call, Field, Lit, Unsupported
from retrievo.grammar.json.errors import suggest
from retrievo.grammar.json.knn import default_num_candidates
from retrievo.retrievers.knn import KnnSearch, TextEmbeddingBuilder
from retrievo.retrievers.queries import Query

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
class Leaf:
    query: Query
    scoring: bool


@dataclass(frozen=True)
class Knn:
    spec: KnnSpec


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class And:
    children: tuple[Any, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Any, ...]


def is_scoring(node: Any) -> bool:
    if isinstance(node, Leaf):
        return node.scoring
    if isinstance(node, Knn):
        return True
    if isinstance(node, (And, Or)):
        return any(is_scoring(c) for c in node.children)
    return False


def has_knn(node: Any) -> bool:
    if isinstance(node, Knn):
        return True
    if isinstance(node, (And, Or)):
        return any(has_knn(c) for c in node.children)
    return False


def flatten(kind: type[And] | type[Or], children: list[Any]) -> Any:
    """An ``AND``/``OR`` with nested same-kind nodes inlined and constants folded."""
    flat: list[Any] = []
    for c in children:
        flat.extend(c.children if isinstance(c, kind) else [c])
    absorbing = kind is Or  # true absorbs an OR, false absorbs an AND
    out = []
    for c in flat:
        if isinstance(c, Const):
            if c.value == absorbing:
                return Const(absorbing)
            continue
        out.append(c)
    if not out:
        return Const(not absorbing)
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


# ---------------------------------------------------------------- operands and functions, in every leaf


def operand_value(expr: Any, ctx: WhereContext, what: str) -> Any:
    if isinstance(expr, Lit):
        return expr.value
    if isinstance(expr, Unsupported):
        raise not_supported(ctx.text, expr.pos, expr.what)
    if isinstance(expr, Call):
        raise function_error(expr, ctx)
    raise not_supported(ctx.text, getattr(expr, "pos", Pos(1, 1)), f"a non-constant {what}")


def function_error(call: Call, ctx: WhereContext) -> ApiError:
    if call.name in ESQL_FUNCTIONS:
        return not_supported(ctx.text, call.pos, call.name)
    return verification_error([(call.pos, f"Unknown function [{call.name.lower()}]")])
