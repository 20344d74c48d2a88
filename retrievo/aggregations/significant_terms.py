"""The ``significant_terms`` aggregation: the terms unusually common in a bucket compared with a background.

For every value of the field found in the bucket (the foreground, ``subset``) Elasticsearch compares its
document count there (``doc_count``, the subset frequency) with its count in the background
(``bg_count``: the whole index, or the documents of ``background_filter``), scores the pair with a
significance heuristic (``jlh`` by default, ``mutual_information``, ``chi_square``, ``gnd``,
``percentage``), keeps the best ``shard_size`` of those reaching ``shard_min_doc_count``, then of those the
best ``size`` with a positive score and at least ``min_doc_count`` documents. Counts come from the same
(doc, value) pairs the ``terms`` aggregation reads, vectorised with ``np.unique``; the heuristics are
Elasticsearch's formulas in double precision over whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, AggResult, Bucket
from retrievo.aggregations.run import finish_buckets
from retrievo.aggregations.terms import Terms, parse_include_exclude
from retrievo.aggregations.values import check_value_type, field_kind
from retrievo.errors import error_cause, not_supported, parsing_error, shard_failure
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import unknown_field
from retrievo.grammar.json.queries import parse_top_level_query

_HEURISTICS = ("jlh", "mutual_information", "chi_square", "gnd", "percentage", "script_heuristic")
_KEYS = (
    "field",
    "size",
    "shard_size",
    "min_doc_count",
    "shard_min_doc_count",
    "missing",
    "include",
    "exclude",
    "execution_hint",
    "format",
    "value_type",
    "background_filter",
    *_HEURISTICS,
)
_SUPERSET_HINT = (
    ", does your background filter not include all documents in the bucket? If so and it is intentional, "
    'set "background_is_superset": false'
)


@dataclass(frozen=True)
class Heuristic:
    """A significance heuristic and its options (``include_negatives``, ``background_is_superset``)."""

    name: str = "jlh"
    include_negatives: bool = False
    background_is_superset: bool = True

    @property
    def java_name(self) -> str:
        return {
            "jlh": "JLHScore",
            "mutual_information": "MutualInformation",
            "chi_square": "ChiSquare",
            "gnd": "GND",
            "percentage": "PercentageScore",
        }[self.name]

    def scores(self, sub_df: np.ndarray, sub_size: int, sup_df: np.ndarray, sup_size: int) -> np.ndarray:
        """``SignificanceHeuristic.getScore`` for every term at once (``IllegalArgumentException``s raised
        as ``ValueError`` with Elasticsearch's message)."""
        a, b = sub_df.astype(np.float64), sup_df.astype(np.float64)
        if (sub_df > sub_size).any():
            raise ValueError(f"subsetFreq > subsetSize, in {self.java_name}")
        if (sup_df > sup_size).any():
            raise ValueError(f"supersetFreq > supersetSize, in {self.java_name}")
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.name == "jlh":
                return _jlh(a, float(sub_size), b, float(sup_size))
            if self.name == "percentage":
                return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))
            n = self._nxy(sub_df, sub_size, sup_df, sup_size)
            if self.name == "mutual_information":
                return self._mutual_information(n)
            if self.name == "chi_square":
                return self._chi_square(n)
            return _gnd(n)

    def _nxy(self, sub_df: np.ndarray, sub_size: int, sup_df: np.ndarray, sup_size: int) -> dict[str, np.ndarray]:
        """``NXYSignificanceHeuristic.computeNxys`` (with its ``checkFrequencies``)."""
        if self.background_is_superset:
            if (sub_df > sup_df).any():
                raise ValueError("subsetFreq > supersetFreq" + _SUPERSET_HINT)
            if sub_size > sup_size:
                raise ValueError("subsetSize > supersetSize" + _SUPERSET_HINT)
            if (sup_df - sub_df > sup_size - sub_size).any():
                raise ValueError("supersetFreq - subsetFreq > supersetSize - subsetSize" + _SUPERSET_HINT)
        s, S = sub_df.astype(np.float64), sup_df.astype(np.float64)
        ss, SS = float(sub_size), float(sup_size)
        if self.background_is_superset:
            return {
                "N00": SS - S - (ss - s),
                "N01": ss - s,
                "N10": S - s,
                "N11": s,
                "N0_": SS - S,
                "N1_": S,
                "N_0": np.full_like(s, SS - ss),
                "N_1": np.full_like(s, ss),
                "N": np.full_like(s, SS),
            }
        return {
            "N00": SS - S,
            "N01": ss - s,
            "N10": S,
            "N11": s,
            "N0_": SS - S + ss - s,
            "N1_": S + s,
            "N_0": np.full_like(s, SS),
            "N_1": np.full_like(s, ss),
            "N": np.full_like(s, SS + ss),
        }

    def _negative(self, n: dict[str, np.ndarray]) -> np.ndarray:
        """Terms more frequent outside the bucket than in it (dropped unless ``include_negatives``)."""
        if self.include_negatives:
            return np.zeros(n["N"].shape, dtype=bool)
        return n["N11"] / n["N_1"] < n["N10"] / n["N_0"]

    def _mutual_information(self, n: dict[str, np.ndarray]) -> np.ndarray:
        total = (
            _mi_term(n["N00"], n["N0_"], n["N_0"], n["N"])
            + _mi_term(n["N01"], n["N0_"], n["N_1"], n["N"])
            + _mi_term(n["N10"], n["N1_"], n["N_0"], n["N"])
            + _mi_term(n["N11"], n["N1_"], n["N_1"], n["N"])
        ) / np.log(2.0)
        total = np.where(np.isnan(total), -np.inf, total)
        return np.where(self._negative(n), -np.inf, total)

    def _chi_square(self, n: dict[str, np.ndarray]) -> np.ndarray:
        diff = n["N11"] * n["N00"] - n["N01"] * n["N10"]
        score = n["N"] * np.power(diff, 2.0) / (n["N_1"] * n["N1_"] * n["N0_"] * n["N_0"])
        return np.where(self._negative(n), -np.inf, score)


def _jlh(a: np.ndarray, sub_size: float, b: np.ndarray, sup_size: float) -> np.ndarray:
    """``JLHScore``: (p_fg - p_bg) × p_fg / p_bg where the change is positive, else 0."""
    if sub_size == 0 or sup_size == 0:
        return np.zeros(a.shape)
    p_fg = a / sub_size
    p_bg = b / sup_size
    change = p_fg - p_bg
    score = change * (p_fg / p_bg)
    return np.where((a == 0) | (change <= 0), 0.0, score)


def _mi_term(nxy: np.ndarray, nx_: np.ndarray, n_y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``MutualInformation.getMITerm``: ``|Nxy/N| · log(|N·Nxy| / |Nx_·N_y|)``, 0 where both are ~0."""
    numerator = np.abs(n * nxy)
    denominator = np.abs(nx_ * n_y)
    factor = np.abs(nxy / n)
    value = factor * np.log(numerator / denominator)
    return np.where((numerator < 1e-7) & (factor < 1e-7), 0.0, value)


def _gnd(n: dict[str, np.ndarray]) -> np.ndarray:
    """``GND``: exp(-(max(log fx, log fy) - log fxy) / (log N - min(log fx, log fy)))."""
    fx, fy, fxy, total = n["N1_"], n["N_1"], n["N11"], n["N"]
    score = (np.maximum(np.log(fx), np.log(fy)) - np.log(fxy)) / (np.log(total) - np.minimum(np.log(fx), np.log(fy)))
    score = np.exp(-1.0 * score)
    score = np.where((fx == fy) & (fx == fxy), 1.0, score)
    return np.where(fxy == 0, 0.0, score)


def _shard_size(size: int) -> int:
    """``2 × BucketUtils.suggestShardSideQueueSize(size)``: what an unset ``shard_size`` becomes."""
    return 2 * int(min(2**31 - 1, int(size * 1.5 + 10)))


@dataclass(frozen=True, kw_only=True)
class SignificantTerms(Terms):
    min_doc_count: int = 3
    shard_size: int = -1
    shard_min_doc_count: int = 0
    background_filter: Any = None
    heuristic: Heuristic = Heuristic()

    type_name: ClassVar[str] = "significant_terms"
    type_key: ClassVar[str] = "sigsterms"

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        kind = field_kind(ctx, self.field) if self.field is not None else None
        sup_mask = self._background(ctx)
        sup_size = int(sup_mask.sum())
        if kind is None:  # ``UnmappedSignificantTerms``: no sizes, never leads a multi-shard reduce
            shard = SignificantShard("sigsterms", 0, 0, unmapped=True) if ctx.reducible else None
            return AggResult({"__type__": "sigsterms", "buckets": []}, buckets=[], partial=shard)
        check_value_type(ctx, self.field, self.value_type)
        if kind == "other":
            fi = ctx.searcher.field_info(self.field or "")
            raise p.type_error(self.field or "", fi.type if fi else "", "significant_terms", ctx.index_name)
        if kind == "double":
            cause = error_cause("aggregation_execution_exception", "No support for examining floating point numerics")
            raise shard_failure(ctx.index_name, cause)
        pair_docs, pair_keys, labels = self._pairs(ctx, kind, docs)
        keys, sub_df = np.unique(pair_keys, return_counts=True)
        if self.include_exclude is not None and keys.size:
            keep = self._included(ctx, kind, keys, labels)
            keys, sub_df = keys[keep], sub_df[keep]
        sup_df = self._background_counts(ctx, kind, keys, labels, sup_mask)
        try:
            scores = self.heuristic.scores(sub_df, int(docs.size), sup_df, sup_size)
        except ValueError as err:
            raise shard_failure(ctx.index_name, error_cause("illegal_argument_exception", str(err))) from None
        chosen = self._shard_cut(sub_df, scores, self._tiebreak(keys, kind, labels))
        if not ctx.reducible:  # one shard: the reduce's cut follows at once
            chosen = self.final_cut(sub_df[chosen], scores[chosen], chosen)

        def bucket(i: int) -> tuple[Any, dict[str, Any], np.ndarray]:
            k = keys[i]
            lo, hi = np.searchsorted(pair_keys, k, "left"), np.searchsorted(pair_keys, k, "right")
            key = self._key(kind, k.item(), labels)
            body: dict[str, Any] = {"key": key}
            shown = self._key_as_string(kind, key, ctx)
            if shown is not None:
                body["key_as_string"] = shown
            body["doc_count"] = int(sub_df[i])
            body["score"] = float(scores[i])
            body["bg_count"] = int(sup_df[i])
            return key, body, pair_docs[lo:hi]

        buckets = finish_buckets(ctx, self, [bucket(int(i)) for i in chosen])
        type_key = "sigsterms" if kind == "keyword" else "siglterms"
        result = self.result(type_key, int(docs.size), sup_size, buckets)
        if ctx.reducible:
            result.partial = SignificantShard(type_key, int(docs.size), sup_size)
        return result

    def result(self, type_key: str, sub_size: int, sup_size: int, buckets: list[Bucket]) -> AggResult:
        """The printed aggregation: the subset's and superset's sizes, then the buckets."""
        body = {
            "__type__": type_key,
            "doc_count": int(sub_size),
            "bg_count": int(sup_size),
            "buckets": [b.body for b in buckets],
        }
        return AggResult(body, buckets=buckets)

    def _background(self, ctx: AggContext) -> np.ndarray:
        """The background documents: the live documents, or those matching ``background_filter``."""
        if self.background_filter is None:
            return ctx.searcher.live
        if ctx.filter_mask is None:  # pragma: no cover - every search gives aggregations its query engine
            raise not_supported("[significant_terms] background_filter here", "no query engine in this context")
        return ctx.filter_mask(self.background_filter) & ctx.searcher.live

    def _background_counts(
        self, ctx: AggContext, kind: str, keys: np.ndarray, labels: np.ndarray | None, sup_mask: np.ndarray
    ) -> np.ndarray:
        """Each key's document count in the background, from the background's (doc, value) pairs (built
        once per search and background, whatever the number of parent buckets)."""
        memo_key = ("significant_terms", self.field, repr(self.background_filter), self.missing)
        found = ctx.cache.get(memo_key)
        if found is None:
            bg_docs = np.flatnonzero(sup_mask).astype(np.int32)
            _, bg_keys, bg_labels = self._pairs(ctx, kind, bg_docs)
            values, counts = np.unique(bg_keys, return_counts=True)
            if kind == "keyword":
                assert bg_labels is not None
                values = np.asarray(bg_labels, dtype=object)[values] if values.size else np.array([], dtype=object)
            found = ctx.cache[memo_key] = (values, counts)
        values, counts = found
        wanted = np.asarray(labels, dtype=object)[keys] if kind == "keyword" and labels is not None else keys
        if not len(values) or not len(wanted):
            return np.zeros(len(wanted), dtype=np.int64)
        lookup = dict(zip(values.tolist(), counts.tolist()))
        return np.array([lookup.get(v, 0) for v in wanted.tolist()], dtype=np.int64)

    def _tiebreak(self, keys: np.ndarray, kind: str, labels: np.ndarray | None) -> np.ndarray:
        """Each key's rank in key order (ascending), what breaks equal scores."""
        if kind == "keyword" and labels is not None:
            return np.argsort(np.argsort(np.asarray(labels, dtype=object)[keys].astype(str), kind="stable"))
        return keys.astype(np.float64)

    def _shard_cut(self, sub_df: np.ndarray, scores: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
        """What one shard returns: of the terms reaching ``shard_min_doc_count``, the best ``shard_size`` by
        score (no other condition: a term may score better once the shards' counts are added)."""
        shard_size = max(self.shard_size if self.shard_size > 0 else _shard_size(self.size), self.size)
        shard_min = min(self.shard_min_doc_count, self.min_doc_count)  # BucketCountThresholds.ensureValidity
        candidates = np.flatnonzero(sub_df >= shard_min)
        return candidates[np.lexsort((tiebreak[candidates], -scores[candidates]))][:shard_size]

    def final_cut(self, sub_df: np.ndarray, scores: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        """The reduce's cut of ``ranked`` (best first; ``sub_df``/``scores`` aligned with it): a positive
        score and at least ``min_doc_count`` documents, then the best ``size``."""
        return ranked[(scores > 0) & (sub_df >= self.min_doc_count)][: self.size]

    def reduce_scores(self, sub_df: np.ndarray, sub_size: int, sup_df: np.ndarray, sup_size: int) -> np.ndarray:
        """The heuristic over the shards' summed counts and sizes (``InternalSignificantTerms.reduce``);
        its ``IllegalArgumentException`` fails the reduce."""
        try:
            return self.heuristic.scores(sub_df, sub_size, sup_df, sup_size)
        except ValueError as err:
            raise shard_failure(None, error_cause("illegal_argument_exception", str(err))) from None


@dataclass(frozen=True)
class SignificantShard:
    """What the reduce needs beyond one shard's buckets (each bucket's ``doc_count`` is its subset
    frequency, ``bg_count`` its superset frequency): the shard's subset and superset sizes, summed
    across shards before the scores are recomputed."""

    type_key: str
    subset_size: int
    superset_size: int
    unmapped: bool = False


def _heuristic(name: str, body: Any) -> Heuristic:
    if name == "script_heuristic":
        raise not_supported("[significant_terms] heuristic [script_heuristic]", "scripts are not run")
    if not isinstance(body, dict):
        raise parsing_error(f"[significant_terms] {name} doesn't support values of type: {jv.token_of(body)}")
    allowed: tuple[str, ...] = ()
    if name in ("mutual_information", "chi_square"):
        allowed = ("include_negatives", "background_is_superset")
    elif name == "gnd":
        allowed = ("background_is_superset",)
    for key in body:
        if key not in allowed:
            raise unknown_field(name, key, allowed)
    return Heuristic(
        name=name,
        include_negatives=p.boolean(name, "include_negatives", body.get("include_negatives", name == "gnd")),
        background_is_superset=p.boolean(name, "background_is_superset", body.get("background_is_superset", True)),
    )


def parse_significant_terms(name: str, body: Any) -> SignificantTerms:
    body = p.check_object("significant_terms", body)
    p.check_keys("significant_terms", body, _KEYS)
    p.require_field(body)
    fields: dict[str, Any] = {}
    if "value_type" in body:
        fields["value_type"] = p.value_type("significant_terms", body["value_type"])
    if "field" in body:
        fields["field"] = p.string("significant_terms", "field", body["field"])
    for key in ("size", "shard_size"):
        if key in body:
            value = p.integer("significant_terms", key, body[key])
            if value <= 0:
                java = "size" if key == "size" else "shardSize"
                raise p.setter_error(
                    "significant_terms", key, f"[{java}] must be greater than 0. Found [{value}] in [{name}]"
                )
            fields[key] = value
    for key in ("min_doc_count", "shard_min_doc_count"):
        if key in body:
            count = p.integer("significant_terms", key, body[key])
            if count < 0:
                java = "minDocCount" if key == "min_doc_count" else "shardMinDocCount"
                raise p.setter_error(
                    "significant_terms",
                    key,
                    f"[{java}] must be greater than or equal to 0. Found [{count}] in [{name}]",
                )
            fields[key] = count
    if "missing" in body:
        fields["missing"] = body["missing"]
    if "format" in body:
        fields["format"] = p.string("significant_terms", "format", body["format"])
    if "background_filter" in body:
        fields["background_filter"] = parse_top_level_query(body["background_filter"])
    for key, value in body.items():  # the last heuristic given wins: each is a setter
        if key in _HEURISTICS:
            fields["heuristic"] = _heuristic(key, value)
    fields["include_exclude"] = parse_include_exclude(body)
    return SignificantTerms(name=name, **fields)
