"""Scoring query nodes: Elasticsearch's ``FunctionScoreQuery`` (``function_score``), Lucene's
``FunctionScoreQuery.boostByQuery`` (``boosting``), ``FeatureField`` queries (``rank_feature``) and
``CoveringQuery`` (``terms_set``) — with their scoring and their explanations.

The arithmetic is the Java code's, type for type, because that is what makes scores bit-exact: score
functions compute in double from a float sub-query score, ``score_mode`` folds them in double, and the
``boost_mode`` combination rounds once to float (``CombineFunction.combine``); the feature functions
mix float and double exactly as ``FeatureField``'s ``SimScorer``s do. Every function is evaluated over
the documents the sub-query matched (and its filter), never over the others: a missing value only
fails a search for a document that is actually scored, as in Elasticsearch.

Nodes import nothing at run time from :mod:`retrievo.lucene.query` (which lists them in ``LQuery``);
the evaluator calls the ``score_*`` functions and the planner's ``explain`` calls ``explain_*`` with
its own callbacks, so this module sits below both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from retrievo.errors import api_error, error_cause
from retrievo.index.sparse_vectors import decode_feature_freqs
from retrievo.java_text import java_double_str, java_float_str

if TYPE_CHECKING:
    from retrievo.lucene.query import LQuery
    from retrievo.lucene.scoring import Evaluator

F32 = np.float32
F64 = np.float64
FLOAT_MAX = float(np.finfo(np.float32).max)

#: ``explain(query, doc, boost)`` → the explanation of a sub-query, ``None`` when it does not match.
ExplainFn = Callable[["LQuery", int, float], "dict[str, Any] | None"]
#: ``node(value, description, details)`` → one explanation object.
NodeFn = Callable[..., "dict[str, Any]"]


def shard_error(ev: Evaluator, error_type: str, reason: str, status: int = 400) -> Exception:
    """An exception thrown while the shard scores documents: the search fails as a whole with
    ``search_phase_execution_exception`` around it (status 400 for an ``IllegalArgumentException``, 500
    for a bare ``ElasticsearchException``)."""
    cause = error_cause(error_type, reason)
    index = ev.s.index_name
    return api_error(
        "search_phase_execution_exception",
        "all shards failed",
        status=status,
        caused_by=cause,
        root_cause=[dict(cause)],
        phase="query",
        grouped=True,
        failed_shards=[{"shard": 0, "index": index, "node": "retrievo", "reason": dict(cause)}],
    )


# ------------------------------------------------------------------------------------ score functions


@dataclass(frozen=True)
class WeightFn:
    """``WeightFactorFunction``'s ``SCORE_ONE``: the constant 1 (the filter entry's ``weight`` scales it)."""

    def __str__(self) -> str:
        return "weight"


@dataclass(frozen=True)
class FieldValueFn:
    """``FieldValueFactorFunction``: ``modifier(value × factor)`` of the document's first (smallest) value."""

    field: str
    factor: float  # a Java float
    modifier: str
    missing: float | None
    #: Whether the field is mapped (an unmapped field reads as missing everywhere).
    mapped: bool = True

    def __str__(self) -> str:
        return f"field_value_factor({self.field})"


@dataclass(frozen=True)
class DecayFn:
    """A decay function over a numeric or date field: ``kind`` ``gauss``/``exp``/``linear``, ``scale``
    already processed (``processScale``), distances ``max(0, |v - origin| - offset)`` folded by ``mode``."""

    kind: str
    field: str
    origin: float
    scale: float
    offset: float
    mode: str

    def __str__(self) -> str:
        return f"{self.kind}({self.field})"


@dataclass(frozen=True)
class RandomFn:
    """``RandomScoreFunction``: a hash of each document's first value of ``field`` (or of its doc id when
    ``field`` is ``None``) with the salted seed, 24 bits of it as a float in [0, 1)."""

    seed: int
    #: ``index name hashCode << 10``: the shard's number completes it (:meth:`salted`).
    salt: int
    field: str | None
    #: How the field's values become bytes: ``keyword`` (the term), ``long`` (``Long.toString``) or ``double``
    #: (``Double.toString`` of the double doc value), or ``seq_no`` (``Long.toString`` of the ``_seq_no``).
    value_kind: str = "keyword"

    def __str__(self) -> str:
        return f"random_score({self.seed})"

    def salted(self, shard: int) -> int:
        """The hash seed on shard ``shard``: ``mix32(seed ^ (salt | shard))``, as an unsigned int."""
        return mix32(self.seed ^ (self.salt | shard)) & 0xFFFFFFFF


ScoreFn = WeightFn | FieldValueFn | DecayFn | RandomFn


@dataclass(frozen=True)
class FilterFn:
    """One function of a ``function_score``: its filter (``None``: every document) and its ``weight``
    (``None``: the function alone, no ``WeightFactorFunction`` around it)."""

    fn: ScoreFn
    weight: float | None = None
    filter: LQuery | None = None

    def java_weight(self) -> float:
        """``ScoreFunction.getWeight()``: 1 unless a weight wraps the function."""
        return 1.0 if self.weight is None else float(F32(self.weight))


@dataclass(frozen=True)
class FunctionScoreQ:
    """Elasticsearch's ``FunctionScoreQuery``. ``functions`` empty: the sub-query's score, only
    ``min_score`` applies. The boost given to the node goes to the sub-query (``createWeight``)."""

    #: The Lucene class Elasticsearch builds (what ``profile`` names).
    lucene_class: ClassVar[str] = "FunctionScoreQuery"

    query: LQuery
    functions: tuple[FilterFn, ...] = ()
    score_mode: str = "multiply"
    boost_mode: str = "multiply"
    max_boost: float = FLOAT_MAX
    min_score: float | None = None

    def sub_queries(self) -> tuple[LQuery, ...]:
        return (self.query,)

    @property
    def single(self) -> bool:
        """One function without a filter: Elasticsearch builds it with ``ScoreMode.FIRST`` and explains
        the function alone."""
        return len(self.functions) == 1 and self.functions[0].filter is None

    def __str__(self) -> str:
        functions = "".join("{" + _fn_text(f) + "}" for f in self.functions)
        return f"function score ({self.query}, functions: [{functions}])"


def unscored(q: LQuery) -> LQuery:
    """What matching ``q`` needs when no score is: a ``function_score`` without ``min_score`` is its sub-query
    (``FunctionScoreQuery.createWeight`` with ``COMPLETE_NO_SCORES``), so its functions never run in a filter —
    and a function that would fail (a missing value) fails nothing there, as in Elasticsearch."""
    inner = q
    while type(inner).__name__ in ("BoostQ", "NamedQ"):  # score-only wrappers (query.py imports this module)
        inner = inner.query  # type: ignore[union-attr]
    if isinstance(inner, FunctionScoreQ) and inner.min_score is None:
        return unscored(inner.query)
    return q


def _fn_text(f: FilterFn) -> str:
    text = str(f.fn) if f.weight is None else f"{f.fn}, weight {java_float_str(F32(f.weight))}"
    return text if f.filter is None else f"filter({f.filter}), {text}"


def _first_values(ev: Evaluator, field: str, docs: np.ndarray, how: str = "min") -> tuple[np.ndarray, np.ndarray]:
    """(value float64, has value) for ``docs`` from ``field``'s doc values, one value per document."""
    col = ev.s.numeric(field)
    if col is None:
        return np.zeros(docs.size, F64), np.zeros(docs.size, bool)
    values, present = col.per_doc(how)
    return values[docs], present[docs]


_MODIFIERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda n: n,
    "log": np.log10,
    "log1p": lambda n: np.log10(n + 1),
    "log2p": lambda n: np.log10(n + 2),
    "ln": np.log,
    "ln1p": np.log1p,
    "ln2p": lambda n: np.log1p(n + 1),
    "square": lambda n: n * n,
    "sqrt": np.sqrt,
    "reciprocal": lambda n: 1.0 / n,
}


def _field_value(ev: Evaluator, fn: FieldValueFn, docs: np.ndarray) -> np.ndarray:
    """The function per document; the first document (in doc id order, as the shard scores them) whose value
    is missing (without ``missing``) or whose result is negative fails the search."""
    if fn.mapped:
        values, present = _first_values(ev, fn.field, docs)
    else:
        values, present = np.zeros(docs.size), np.zeros(docs.size, bool)
    if fn.missing is not None:
        values = np.where(present, values, fn.missing)
        present = np.ones(docs.size, bool)
    with np.errstate(all="ignore"):
        result = _MODIFIERS[fn.modifier](values * float(F32(fn.factor)))
    bad = np.flatnonzero(~present | (result < 0))
    if bad.size:
        i = int(bad[0])
        if not present[i]:
            raise shard_error(ev, "exception", f"Missing value for field [{fn.field}]", status=500)
        message = (
            "field value function must not produce negative scores, but got: "
            f"[{java_double_str(float(result[i]))}] for field value: [{java_double_str(float(values[i]))}]"
        )
        if fn.modifier == "ln":
            message += "; consider using ln1p or ln2p instead of ln to avoid negative scores"
        elif fn.modifier == "log":
            message += "; consider using log1p or log2p instead of log to avoid negative scores"
        raise shard_error(ev, "illegal_argument_exception", message)
    return np.asarray(result, F64)


def decay_distances(ev: Evaluator, fn: DecayFn, docs: np.ndarray) -> np.ndarray:
    """Each document's distance as ``MultiValueMode.select`` folds its values' distances (sorted, as
    ``SortingNumericDoubleValues`` sorts them); 0 for a document without a value."""
    out = np.zeros(docs.size, F64)
    col = ev.s.numeric(fn.field)
    if col is None or docs.size == 0:
        return out
    pos = np.full(ev.n, -1, np.int64)
    pos[docs] = np.arange(docs.size)
    at = pos[col.docs]
    keep = at >= 0
    owners = at[keep]
    dist = np.maximum(0.0, np.abs(col.values[keep].astype(F64) - fn.origin) - fn.offset)
    order = np.lexsort((dist, owners))
    owners, dist = owners[order], dist[order]
    if fn.mode == "min":
        acc = np.full(docs.size, np.inf)
        np.minimum.at(acc, owners, dist)
    elif fn.mode == "max":
        acc = np.full(docs.size, -np.inf)
        np.maximum.at(acc, owners, dist)
    else:
        acc = np.zeros(docs.size)
        np.add.at(acc, owners, dist)
        if fn.mode == "avg":
            counts = np.bincount(owners, minlength=docs.size)
            acc = np.where(counts > 0, acc / np.maximum(counts, 1), 0.0)
    has = np.zeros(docs.size, bool)
    has[owners] = True
    out[has] = acc[has]
    return out


def decay_value(kind: str, distance: np.ndarray, scale: float) -> np.ndarray:
    """``DecayFunction.evaluate`` (scale already processed)."""
    if kind == "gauss":
        return np.exp(0.5 * (distance * distance) / scale)
    if kind == "exp":
        return np.exp(scale * distance)
    return np.maximum(0.0, (scale - distance) / scale)


def process_scale(kind: str, scale: float, decay: float) -> float:
    """``DecayFunction.processScale``."""
    if kind == "gauss":
        return 0.5 * scale * scale / math.log(decay)
    if kind == "exp":
        return math.log(decay) / scale
    return scale / (1.0 - decay)


def _mix32(k: np.ndarray) -> np.ndarray:
    """``BitMixer.mix32`` (MurmurHash3's finaliser) on uint32 values."""
    k = k.astype(np.uint32)
    with np.errstate(over="ignore"):
        k = (k ^ (k >> np.uint32(16))) * np.uint32(0x85EBCA6B)
        k = (k ^ (k >> np.uint32(13))) * np.uint32(0xC2B2AE35)
    return (k ^ (k >> np.uint32(16))).astype(np.uint32)


def mix32(value: int) -> int:
    """``BitMixer.mix(int)`` as a Java int."""
    out = int(_mix32(np.array([value & 0xFFFFFFFF], np.uint64))[0])
    return out - (1 << 32) if out >= 1 << 31 else out


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def murmurhash3_x86_32(keys: list[bytes], seed: int) -> np.ndarray:
    """Lucene's ``StringHelper.murmurhash3_x86_32`` of each key (uint32), vectorised over the keys of each
    length: the 4-byte blocks column by column, then the tail and the finaliser."""
    out = np.zeros(len(keys), np.uint32)
    lengths = np.fromiter((len(k) for k in keys), np.int64, count=len(keys))
    c1, c2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
    with np.errstate(over="ignore"):
        for length in np.unique(lengths).tolist():
            at = np.flatnonzero(lengths == length)
            raw = np.frombuffer(b"".join(keys[i] for i in at.tolist()), np.uint8).reshape(at.size, length)
            h = np.full(at.size, seed & 0xFFFFFFFF, np.uint32)
            rounded = length & ~3
            if rounded:
                blocks = raw[:, :rounded].copy().view("<u4").astype(np.uint32)
                for j in range(blocks.shape[1]):
                    k = _rotl(blocks[:, j] * c1, 15) * c2
                    h = _rotl(h ^ k, 13) * np.uint32(5) + np.uint32(0xE6546B64)
            if length & 3:
                k = np.zeros(at.size, np.uint32)
                for j in range(length & 3):
                    k |= raw[:, rounded + j].astype(np.uint32) << np.uint32(8 * j)
                h ^= _rotl(k * c1, 15) * c2
            h ^= np.uint32(length & 0xFFFFFFFF)
            out[at] = _mix32(h)
    return out


def _random_value(ev: Evaluator, fn: RandomFn, docs: np.ndarray) -> np.ndarray:
    salted = fn.salted(ev.s.shard_id or 0)
    if fn.field is None:  # the shard's own (Lucene) doc ids
        ids = docs if ev.s.local_doc_ids is None else ev.s.local_doc_ids[docs]
        hashes = _mix32((ids.astype(np.uint64) & 0xFFFFFFFF) ^ np.uint64(salted))
    else:
        hashes = np.full(docs.size, salted, np.uint32)  # a document without a value hashes to the seed
        keys, inverse, owners = _hash_keys(ev, fn, docs)
        if owners.size:
            hashes[owners] = murmurhash3_x86_32(keys, salted)[inverse]
    return (hashes & np.uint32(0x00FFFFFF)).astype(F32) / F32(1 << 24)


def _hash_keys(ev: Evaluator, fn: RandomFn, docs: np.ndarray) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    """The distinct bytes the field data gives (a keyword's term, a number's ``Long.toString``), which one
    each document's first value is, and the positions into ``docs`` that have a value."""
    assert fn.field is not None
    if fn.value_kind == "seq_no":  # every document has one (a nested level's rows have none here)
        seq_nos = ev.s.seq_nos
        owners = np.flatnonzero(docs < seq_nos.size)
        unique, inverse = np.unique(seq_nos[docs[owners]], return_inverse=True)
        return [str(v).encode() for v in unique.tolist()], inverse, owners
    if fn.value_kind in ("long", "double"):
        values, present = _first_values(ev, fn.field, docs)
        owners = np.flatnonzero(present)
        if fn.value_kind == "long":  # exact longs (not through the doubles): the smallest value per document
            col = ev.s.numeric(fn.field)
            assert col is not None
            first = np.full(max(ev.n, col.max_doc), np.iinfo(np.int64).max, np.int64)
            np.minimum.at(first, col.docs, col.values.astype(np.int64))
            unique, inverse = np.unique(first[docs[owners]], return_inverse=True)
            return [str(v).encode() for v in unique.tolist()], inverse, owners
        unique, inverse = np.unique(values[owners], return_inverse=True)  # Double.toString of the double value
        return [java_double_str(float(v)).encode() for v in unique.tolist()], inverse, owners
    inv = ev.s.inverted(fn.field)
    if inv is None or not inv.terms:
        return [], np.zeros(0, np.int64), np.zeros(0, np.int64)
    terms = inv.sorted_terms
    rank_of_tid = np.empty(len(inv.terms), np.int64)
    rank_of_tid[[inv.terms[t] for t in terms]] = np.arange(terms.size)
    entry_rank = rank_of_tid[np.repeat(np.arange(len(inv.terms)), np.diff(inv.offsets))]
    best = np.full(max(ev.n, inv.max_doc), terms.size, np.int64)
    np.minimum.at(best, np.asarray(inv.docs), entry_rank)
    ranks = best[docs]
    owners = np.flatnonzero(ranks < terms.size)
    unique, inverse = np.unique(ranks[owners], return_inverse=True)
    return [str(t).encode("utf-8") for t in terms[unique].tolist()], inverse, owners


def function_values(ev: Evaluator, f: FilterFn, docs: np.ndarray) -> np.ndarray:
    """The function's double score (weight included) for each of ``docs``."""
    fn = f.fn
    if isinstance(fn, WeightFn):
        raw = np.ones(docs.size, F64)
    elif isinstance(fn, FieldValueFn):
        raw = _field_value(ev, fn, docs)
    elif isinstance(fn, DecayFn):
        raw = decay_value(fn.kind, decay_distances(ev, fn, docs), fn.scale)
    else:
        raw = _random_value(ev, fn, docs).astype(F64)
    return raw if f.weight is None else raw * float(F32(f.weight))


def _factors(ev: Evaluator, q: FunctionScoreQ, docs: np.ndarray) -> np.ndarray:
    """``FunctionFactorScorer.computeScore`` for every document of ``docs``, vectorised per function."""
    mode = "first" if q.single else q.score_mode
    total = np.ones(docs.size, F64) if mode in ("first", "multiply") else np.zeros(docs.size, F64)
    if mode == "max":
        total[:] = -np.inf
    elif mode == "min":
        total[:] = np.inf
    weight_sum = np.zeros(docs.size, F64)
    unset = np.ones(docs.size, bool)  # FIRST: no function has applied yet
    for f in q.functions:
        applies = np.ones(docs.size, bool) if f.filter is None else ev.mask(f.filter)[docs]
        if mode == "first":
            applies &= unset
        at = np.flatnonzero(applies)
        if at.size == 0:
            continue
        values = function_values(ev, f, docs[at])
        if mode == "first":
            total[at] = values
            unset[at] = False
        elif mode == "multiply":
            total[at] *= values
        elif mode == "max":
            total[at] = np.maximum(total[at], values)
        elif mode == "min":
            total[at] = np.minimum(total[at], values)
        else:
            total[at] += values
            weight_sum[at] += f.java_weight()
    if mode in ("max", "min"):
        total[np.isinf(total) & (total == (-np.inf if mode == "max" else np.inf))] = 1.0
    elif mode in ("sum", "avg"):
        none = weight_sum == 0
        if mode == "avg":
            total = np.where(none, 1.0, total / np.where(none, 1.0, weight_sum))
        else:
            total = np.where(none, 1.0, total)
    return total


def combine(boost_mode: str, query: np.ndarray, factor: np.ndarray, max_boost: float) -> np.ndarray:
    """``CombineFunction.combine``: in double, rounded once to float."""
    capped = np.minimum(factor, max_boost)
    if boost_mode == "multiply":
        out = query * capped
    elif boost_mode == "replace":
        out = capped
    elif boost_mode == "sum":
        out = query + capped
    elif boost_mode == "avg":
        out = (capped + query) / 2.0
    elif boost_mode == "min":
        out = np.minimum(query, capped)
    else:
        out = np.maximum(query, capped)
    with np.errstate(over="ignore"):
        return np.asarray(out, F64).astype(F32)


def score_function_score(ev: Evaluator, q: FunctionScoreQ, boost: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """(match mask, float32 scores) of a ``FunctionScoreQuery`` under ``boost``."""
    mask, sub = ev.evaluate(q.query, float(boost)).dense(ev.n)
    mask = mask.copy()
    scores = np.where(mask, sub, F32(0.0)).astype(F32)
    if q.functions:
        docs = np.flatnonzero(mask)
        factor = _factors(ev, q, docs)
        final = combine(q.boost_mode, sub[docs].astype(F64), factor, float(F32(q.max_boost)))
        bad = np.flatnonzero((final < 0) | np.isnan(final))
        if bad.size:
            i = int(bad[0])
            raise shard_error(
                ev,
                "exception",
                f"function score query returned an invalid score: {java_float_str(final[i])} for doc: {int(docs[i])}",
                status=500,
            )
        scores[docs] = final
    if q.min_score is not None:
        mask &= scores >= F32(q.min_score)
        scores = np.where(mask, scores, F32(0.0)).astype(F32)
    return mask, scores


# -------------------------------------------------------------------------------------------- boosting


@dataclass(frozen=True)
class BoostingQ:
    """Lucene's ``FunctionScoreQuery.boostByQuery(positive, negative, negative_boost)``: the positive
    query's score (its weight built at boost 1), times ``negative_boost`` where ``negative`` matches,
    times the node's boost, in double, rounded once."""

    #: The Lucene class Elasticsearch builds (what ``profile`` names).
    lucene_class: ClassVar[str] = "FunctionScoreQuery"

    positive: LQuery
    negative: LQuery
    negative_boost: float

    def sub_queries(self) -> tuple[LQuery, ...]:
        return (self.positive,)

    def __str__(self) -> str:
        """Lucene's ``toString`` of ``boostByQuery``'s query (``queryboost(score(<negative>))^<b>``)."""
        nb = java_float_str(F32(self.negative_boost))
        return f"FunctionScoreQuery({self.positive}, scored by boost(queryboost(score({self.negative}))^{nb}))"


def score_boosting(ev: Evaluator, q: BoostingQ, boost: np.float32) -> tuple[np.ndarray, np.ndarray]:
    mask, sub = ev.evaluate(q.positive, 1.0).dense(ev.n)
    negative = ev.mask(q.negative)
    factor = np.where(negative, float(F32(q.negative_boost)), 1.0)
    scores = (sub.astype(F64) * factor * float(boost)).astype(F32)
    return mask, np.where(mask, scores, F32(0.0)).astype(F32)


# ------------------------------------------------------------------------------------- rank features


@dataclass(frozen=True)
class RankFeatureQ:
    """Lucene's ``FeatureQuery`` on ``field``'s feature ``feature`` with ``function`` (``saturation``,
    ``log``, ``sigmoid``, ``linear``); the saturation pivot is already resolved (``computePivotFeatureValue``
    when the query gave none)."""

    #: The Lucene class Elasticsearch builds (what ``profile`` names).
    lucene_class: ClassVar[str] = "FeatureQuery"

    field: str
    feature: str
    function: str
    pivot: float = 0.0
    scaling_factor: float = 0.0
    exponent: float = 0.0
    #: The Lucene field name Elasticsearch uses: ``_feature`` for a ``rank_feature`` field.
    lucene_field: str = ""

    @property
    def shown_field(self) -> str:
        return self.lucene_field or self.field

    def __str__(self) -> str:
        return f"FeatureQuery(field={self.shown_field}, feature={self.feature}, function={self._function_text()})"

    def _function_text(self) -> str:
        if self.function == "saturation":
            return f"SaturationFunction(pivot={java_float_str(F32(self.pivot))})"
        if self.function == "log":
            return f"LogFunction(scalingFactor={java_float_str(F32(self.scaling_factor))})"
        if self.function == "sigmoid":
            return f"SigmoidFunction(pivot={java_float_str(F32(self.pivot))}, a={java_float_str(F32(self.exponent))})"
        return "LinearFunction"


def feature_scores(q: RankFeatureQ, w: np.float32, values: np.ndarray) -> np.ndarray:
    """The ``SimScorer`` of each ``FeatureField`` function, float and double as Lucene mixes them."""
    f = values.astype(F32)
    if q.function == "saturation":
        pivot = F32(q.pivot)
        return (w * (F32(1.0) - pivot / (f + pivot))).astype(F32)
    if q.function == "log":
        return (float(w) * np.log((F32(q.scaling_factor) + f).astype(F64))).astype(F32)
    if q.function == "sigmoid":
        a = float(F32(q.exponent))
        pivot_pa = math.pow(float(F32(q.pivot)), a)
        return (float(w) * (1 - pivot_pa / (np.power(f.astype(F64), a) + pivot_pa))).astype(F32)
    return (w * f).astype(F32)


def score_rank_feature(ev: Evaluator, q: RankFeatureQ, boost: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """(doc ids ascending, float32 scores) of the feature's postings."""
    inv = ev.s.inverted(q.field)
    tid = inv.term_id(q.feature) if inv is not None else None
    if inv is None or tid is None:
        return np.zeros(0, np.int32), np.zeros(0, F32)
    sl = inv.posting_slice(tid)
    docs = np.asarray(inv.docs[sl])
    live = ev.s.live[docs]
    values = decode_feature_freqs(inv.freqs[sl])[live]
    return docs[live].astype(np.int32), feature_scores(q, F32(boost), values)


def pivot_feature_value(inv: Any, feature: str) -> float:
    """``FeatureField.computePivotFeatureValue``: the feature's mean encoded frequency
    (``totalTermFreq / docFreq``, as a float), decoded; 1 for a feature no document has."""
    tid = inv.term_id(feature) if inv is not None else None
    if tid is None or inv.doc_freq(tid) == 0:
        return 1.0
    sl = inv.posting_slice(tid)
    avg = F32(float(np.asarray(inv.freqs[sl], np.int64).sum()) / inv.doc_freq(tid))
    return float(decode_feature_freqs(np.array([int(avg)]))[0])


def explain_rank_feature(q: RankFeatureQ, boost: float, value: float, score: float, node: NodeFn) -> dict[str, Any]:
    """``FeatureFunction.explain``."""
    w = node(boost, "w, weight of this function")
    s = node(value, "S, feature value")
    where = f"on the {q.shown_field} field for the {q.feature} feature"
    if q.function == "saturation":
        k = node(q.pivot, "k, pivot feature value that would give a score contribution equal to w/2")
        return node(score, f"Saturation function {where}, computed as w * S / (S + k) from:", [w, k, s])
    if q.function == "log":
        a = node(q.scaling_factor, "a, scaling factor")
        return node(score, f"Log function {where}, computed as w * log(a + S) from:", [w, a, s])
    if q.function == "sigmoid":
        k = node(q.pivot, "k, pivot feature value that would give a score contribution equal to w/2")
        a = node(q.exponent, "a, exponent, higher values make the function grow slower before 'k' and faster after 'k'")
        return node(score, f"Sigmoid function {where}, computed as w * S^a / (S^a + k^a) from:", [w, k, a, s])
    return node(score, f"Linear function {where}, computed as w * S from:", [w, s])


# ------------------------------------------------------------------------------------------- terms_set


@dataclass(frozen=True)
class TermsSetQ:
    """Lucene's ``CoveringQuery``: a document matches when at least ``max(1, n)`` clauses match, ``n``
    read from ``msm_field`` (no value: no match) or the constant ``msm``; its score is the double sum of
    the matching clauses' scores, rounded once."""

    #: The Lucene class Elasticsearch builds (what ``profile`` names).
    lucene_class: ClassVar[str] = "CoveringQuery"

    clauses: tuple[LQuery, ...]
    msm_field: str | None = None
    msm: int = 1

    def sub_queries(self) -> tuple[LQuery, ...]:
        return self.clauses

    def __str__(self) -> str:
        source = f"long({self.msm_field})" if self.msm_field is not None else f"constant({self.msm})"
        return f"CoveringQuery(queries=[{', '.join(str(c) for c in self.clauses)}], minimumNumberMatch={source})"


def required_matches(ev: Evaluator, q: TermsSetQ) -> np.ndarray:
    """Per document, the matches it needs (int64; ``2^63 - 1``: cannot match)."""
    if q.msm_field is None:
        return np.full(ev.n, max(1, q.msm), np.int64)
    col = ev.s.numeric(q.msm_field)
    need = np.full(ev.n, np.iinfo(np.int64).max, np.int64)
    if col is not None:
        values, present = col.per_doc("min")
        need[present] = np.maximum(1, values[present].astype(np.int64))
    return need


def score_terms_set(ev: Evaluator, q: TermsSetQ, boost: np.float32) -> tuple[np.ndarray, np.ndarray]:
    total = np.zeros(ev.n, F64)
    count = np.zeros(ev.n, np.int64)
    for c in q.clauses:
        m, s = ev.evaluate(c, float(boost)).dense(ev.n)
        total += np.where(m, s, F32(0.0)).astype(F64)
        count += m
    mask = count >= required_matches(ev, q)
    return mask, np.where(mask, total.astype(F32), F32(0.0)).astype(F32)


def explain_terms_set(
    ev: Evaluator, q: TermsSetQ, doc: int, boost: float, explain: ExplainFn, explain_any: ExplainFn, node: NodeFn
) -> dict[str, Any]:
    """``CoveringQuery``'s explanation: every clause's (matching or not), the count against the requirement."""
    need = int(required_matches(ev, q)[doc])
    if need == np.iinfo(np.int64).max:
        return node(0.0, "minimumNumberMatch has no value on the current document")
    subs: list[dict[str, Any]] = []
    freq, total = 0, 0.0
    for c in q.clauses:
        e = explain(c, doc, boost)
        if e is not None:
            freq += 1
            total += float(e["value"])
            subs.append(e)
        else:
            found = explain_any(c, doc, boost)
            assert found is not None
            subs.append(found)
    if freq >= need:
        return node(float(F32(total)), f"{freq} matches for {need} required matches, sum of:", subs)
    return node(0.0, f"{freq} matches for {need} required matches", subs)


# ----------------------------------------------------------------------------------- explanations


def _fn_explanation(ev: Evaluator, f: FilterFn, doc: int, value: float, node: NodeFn) -> dict[str, Any]:
    """``LeafScoreFunction.explainScore`` of one function for ``doc`` (``value``: its double score)."""
    fn = f.fn
    inner_value = value if f.weight is None else float(function_values(ev, replace(f, weight=None), np.array([doc]))[0])
    if isinstance(fn, WeightFn):
        inner = node(1.0, "constant score 1.0 - no function provided")
    elif isinstance(fn, FieldValueFn):
        default = "" if fn.missing is None else "?:" + java_double_str(fn.missing)
        factor = java_float_str(F32(fn.factor))
        text = f"field value function: {fn.modifier}(doc['{fn.field}'].value{default} * factor={factor})"
        inner = node(float(F32(inner_value)), text)
    elif isinstance(fn, DecayFn):
        inner = _decay_explanation(ev, fn, doc, inner_value, node)
    else:
        inner = node(float(F32(inner_value)), f"random score function (seed: {fn.seed}, field: {fn.field})")
    if f.weight is None:
        return inner
    weight = float(F32(f.weight))
    return node(float(F32(F32(inner["value"]) * F32(weight))), "product of:", [inner, node(weight, "weight")])


def _decay_explanation(ev: Evaluator, fn: DecayFn, doc: int, value: float, node: NodeFn) -> dict[str, Any]:
    col = ev.s.numeric(fn.field)
    parts: list[str] = []
    if col is not None:
        lo, hi = np.searchsorted(col.docs, doc), np.searchsorted(col.docs, doc, side="right")
        for v in sorted(float(x) for x in col.values[lo:hi]):
            parts.append(
                f"Math.max(Math.abs({java_double_str(v)}(=doc value) - {java_double_str(fn.origin)}(=origin))) - "
                f"{java_double_str(fn.offset)}(=offset), 0)"
            )
    distance_text = fn.mode.upper() + "[" + (", ".join(parts) if parts else "0.0") + "]"
    scale = java_double_str(-1 * fn.scale if fn.kind != "linear" else fn.scale)
    if fn.kind == "gauss":
        text = f"exp(-0.5*pow({distance_text},2.0)/{scale})"
    elif fn.kind == "exp":
        text = f"exp(- {distance_text} * {scale})"
    else:
        text = f"max(0.0, (({scale} - {distance_text})/{scale})"
    score = float(F32(value))
    return node(score, f"Function for field {fn.field}:", [node(score, text)])


def explain_function_score(
    ev: Evaluator, q: FunctionScoreQ, doc: int, boost: float, explain: ExplainFn, node: NodeFn
) -> dict[str, Any] | None:
    """``CustomBoostFactorWeight.explain`` for a document the query matches."""
    sub = explain(q.query, doc, boost)
    if sub is None:
        return None
    if not q.functions:
        return sub
    one = np.array([doc])
    expls: list[dict[str, Any]] = []
    for f in q.functions:
        if f.filter is not None and not bool(ev.mask(f.filter)[doc]):
            continue
        value = float(function_values(ev, f, one)[0])
        e = _fn_explanation(ev, f, doc, value, node)
        if f.filter is not None:
            e = node(e["value"], "function score, product of:", [node(1.0, f"match filter: {f.filter}"), e])
        expls.append(e)
    if not expls:
        factor = node(1.0, "No function matched")
    elif q.single:
        factor = expls[0]
    else:
        computed = float(F32(_factors(ev, q, one)[0]))
        factor = node(computed, f"function score, score mode [{q.score_mode}]", expls)
    return _combine_explanation(q.boost_mode, sub, factor, float(F32(q.max_boost)), node)


def _combine_explanation(
    mode: str, query: dict[str, Any], func: dict[str, Any], max_boost: float, node: NodeFn
) -> dict[str, Any]:
    """``CombineFunction.explain`` (float arithmetic, as the explanation's values are floats)."""
    fv, qv, mb = F32(func["value"]), F32(query["value"]), F32(max_boost)
    capped = min(fv, mb)
    min_expl = node(float(capped), "min of:", [func, node(float(mb), "maxBoost")])
    if mode == "multiply":
        return node(float(F32(qv * capped)), "function score, product of:", [query, min_expl])
    if mode == "replace":
        return min_expl
    if mode == "sum":
        return node(float(F32(capped + qv)), "sum of", [query, min_expl])
    if mode == "avg":
        return node(float(F32((float(capped) + float(qv)) / 2.0)), "avg of", [query, min_expl])
    if mode == "min":
        return node(float(min(capped, qv)), "min of", [query, min_expl])
    return node(float(max(capped, qv)), "max of:", [query, min_expl])


def explain_boosting(
    ev: Evaluator, q: BoostingQ, doc: int, boost: float, explain: ExplainFn, node: NodeFn
) -> dict[str, Any] | None:
    """``FunctionScoreQuery.FunctionScoreWeight.explain`` with ``MultiplicativeBoostValuesSource`` (Lucene 8.8):
    the positive query's explanation, times ``Matched boosting query score(<negative>)`` where the negative
    query matches (a double product), under ``weight(<query>), result of:`` — or ``product of:`` the boost
    when there is one."""
    sub = explain(q.positive, doc, 1.0)
    if sub is None:
        return None
    value = float(F32(sub["value"]))
    expl = sub
    if bool(ev.mask(q.negative)[doc]):
        nb = float(F32(q.negative_boost))
        value = value * nb
        matched = node(nb, f"Matched boosting query score({q.negative})")
        expl = {"value": value, "description": "product of:", "details": [sub, matched]}  # a double, printed as such
    if F32(boost) != F32(1.0):
        score = float(F32(value * float(F32(boost))))
        return node(score, f"weight({q}), product of:", [node(boost, "boost"), expl])
    return {"value": value, "description": f"weight({q}), result of:", "details": [expl]}


ScoringNode = FunctionScoreQ | BoostingQ | RankFeatureQ | TermsSetQ
#: The node types this module scores and explains.
SCORING_NODES = (FunctionScoreQ, BoostingQ, RankFeatureQ, TermsSetQ)


def explain_scoring_match(
    ev: Evaluator,
    q: ScoringNode,
    doc: int,
    boost: float,
    score: float,
    explain: ExplainFn,
    explain_any: ExplainFn,
    node: NodeFn,
) -> dict[str, Any] | None:
    """The explanation of a document one of these nodes matches (``score``: its score)."""
    if isinstance(q, FunctionScoreQ):
        return explain_function_score(ev, q, doc, boost, explain, node)
    if isinstance(q, BoostingQ):
        return explain_boosting(ev, q, doc, boost, explain, node)
    if isinstance(q, TermsSetQ):
        return explain_terms_set(ev, q, doc, boost, explain, explain_any, node)
    from retrievo.lucene.feature_field import feature_value

    value = feature_value(ev.s, q.field, q.feature, doc)
    assert value is not None
    return explain_rank_feature(q, boost, value, score, node)


def explain_scoring_miss(
    ev: Evaluator, q: ScoringNode, doc: int, boost: float, explain: ExplainFn, explain_any: ExplainFn, node: NodeFn
) -> dict[str, Any]:
    """``Explanation.noMatch`` of these nodes: the sub-query's own miss, a ``min_score`` too high, the
    covering count short of its requirement."""
    if isinstance(q, FunctionScoreQ):
        if explain(q.query, doc, boost) is None:
            found = explain_any(q.query, doc, boost)
            assert found is not None
            return found
        expl = explain_function_score(ev, q, doc, boost, explain, node)
        assert expl is not None and q.min_score is not None
        got = java_float_str(F32(expl["value"]))
        reason = f"Score value is too low, expected at least {java_float_str(F32(q.min_score))} but got {got}"
        return node(0.0, reason, [expl])
    if isinstance(q, BoostingQ):
        found = explain_any(q.positive, doc, 1.0)
        assert found is not None
        return found
    if isinstance(q, TermsSetQ):
        return explain_terms_set(ev, q, doc, boost, explain, explain_any, node)
    return node(0.0, "no matching term")
