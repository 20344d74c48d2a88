"""The ``cardinality`` aggregation: Elasticsearch's HyperLogLog++ distinct count of a field's values.

Only the *set* of distinct values matters to the count (see :mod:`retrievo.aggregations.hyperloglog`), so
the bucket's values are deduplicated first and only the distinct ones are hashed, each the way
Elasticsearch's value source hashes it (:mod:`retrievo.aggregations.murmur3`): keyword terms by their UTF-8
bytes, integral numbers (long, date, boolean) by their long, floating-point numbers by the bits of the
double the field's doc values hold (a ``float`` value widened from float32, a ``half_float`` from float16).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult
from retrievo.aggregations.grouping import distinct_values
from retrievo.aggregations.hyperloglog import DEFAULT_PRECISION, cardinality, precision_from_threshold
from retrievo.aggregations.ip_ranges import ip_hashes
from retrievo.aggregations.murmur3 import hash_doubles, hash_longs, hash_strings
from retrievo.aggregations.values import (
    docs_with_value,
    field_kind,
    integer_values,
    keyword_values,
    numeric_values,
)
from retrievo.errors import illegal_argument
from retrievo.java_text import java_double_str

_KEYS = ("field", "missing", "precision_threshold", "rehash", "execution_hint")  # not formattable in ES
#: ``CardinalityAggregatorFactory.ExecutionMode``: how ES collects, never what it counts.
_EXECUTION_HINTS = ("global_ordinals", "segment_ordinals", "direct", "save_memory_heuristic", "save_time_heuristic")
#: Doc values of these types are narrower than a double; ES hashes the widened narrow value.
_NARROW_FLOATS: dict[str, type[np.floating[Any]]] = {"float": np.float32, "half_float": np.float16}


@dataclass(frozen=True, kw_only=True)
class Cardinality(Aggregation):
    """``cardinality``: ``precision_threshold`` picks the HLL++ precision (14 when absent)."""

    field: str | None = None
    missing: Any = None
    precision_threshold: int | None = None

    type_name: ClassVar[str] = "cardinality"
    type_key: ClassVar[str] = "cardinality"

    @property
    def precision(self) -> int:
        if self.precision_threshold is None:
            return DEFAULT_PRECISION
        return precision_from_threshold(self.precision_threshold)

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        hashes = self.hashes(ctx, docs)
        out = self.result(hashes)
        if ctx.reducible:  # the distinct hashes: their union is what merged sketches count
            out.partial = hashes
        return out

    def result(self, hashes: np.ndarray) -> AggResult:
        value = cardinality(hashes, self.precision)
        return AggResult({"value": value}, {"value": float(value)})

    def hashes(self, ctx: AggContext, docs: np.ndarray) -> np.ndarray:
        """One hash per distinct value in the bucket (``missing`` included where documents lack one)."""
        if self.field is None:
            return np.zeros(0, dtype=np.int64)
        kind = field_kind(ctx, self.field)
        if kind is None:
            # Unmapped: no values; a ``missing`` value is a bytes value to ES's unmapped source.
            if self.missing is not None and docs.size:
                return hash_strings([_missing_text(self.missing)])
            return np.zeros(0, dtype=np.int64)
        if kind == "other":
            fi = ctx.searcher.field_info(self.field)  # the shard fails (a text field: its fielddata message)
            raise p.type_error(self.field, fi.type if fi else "", self.type_name, ctx.index_name)
        lacking = self.missing is not None and bool((~docs_with_value(ctx, self.field, docs)).any())
        if kind == "keyword":
            read = keyword_values(ctx, self.field, docs)
            terms: list[str] = []
            if read is not None:
                terms = [str(t) for t in read[2][distinct_values(read[1])]]
            if lacking:
                terms.append(_missing_text(self.missing))
            fi_ip = ctx.searcher.field_info(self.field)
            if fi_ip is not None and fi_ip.type == "ip":  # the 16-byte encodings are what ES hashes
                return ip_hashes(terms)
            return hash_strings(sorted(set(terms)))
        if kind == "double":
            read_d = numeric_values(ctx, self.field, docs)
            vals = read_d[1] if read_d is not None else np.zeros(0)
            fi = ctx.searcher.field_info(self.field)
            narrow = _NARROW_FLOATS.get(fi.type if fi else "")
            if narrow is not None:
                vals = vals.astype(narrow).astype(np.float64)
            if lacking:
                vals = np.append(vals, _missing_double(self.missing))
            return hash_doubles(np.unique(vals))
        read_l = integer_values(ctx, self.field, docs)
        longs = read_l[1] if read_l is not None else np.zeros(0, dtype=np.int64)
        if lacking:
            if kind == "date" and isinstance(self.missing, str):  # a date in the field's format
                fi = ctx.searcher.field_info(self.field)
                assert fi is not None
                now = int(time.time() * 1000)
                missing = ctx.searcher.date_parser(fi, self.missing, now, False, None, None)
            else:
                missing = _missing_long(self.missing, kind)
            longs = np.append(longs, np.int64(missing))
        return hash_longs(distinct_values(longs))


def _missing_text(missing: Any) -> str:
    if isinstance(missing, bool):
        return "true" if missing else "false"
    if isinstance(missing, float):
        return java_double_str(missing)
    return str(missing)


def _missing_double(missing: Any) -> float:
    try:
        return float(missing)
    except (TypeError, ValueError):
        raise illegal_argument(f'For input string: "{missing}"') from None


def _missing_long(missing: Any, kind: str) -> int:
    if kind == "boolean":
        if isinstance(missing, bool):
            return int(missing)
        if missing in ("true", "false"):
            return int(missing == "true")
        raise illegal_argument(f"Can't parse boolean value [{missing}], expected [true] or [false]")
    try:
        return int(float(missing)) if not isinstance(missing, int) else missing
    except (TypeError, ValueError):
        raise illegal_argument(f'For input string: "{missing}"') from None


def parse_cardinality(name: str, body: Any) -> Cardinality:
    """The ``cardinality`` object: a values source plus ``precision_threshold``."""
    body = p.check_object("cardinality", body)
    p.check_keys("cardinality", body, _KEYS)
    fields: dict[str, Any] = {}
    if "field" in body:
        fields["field"] = p.string("cardinality", "field", body["field"])
    if body.get("missing") is not None:
        fields["missing"] = body["missing"]
    if "precision_threshold" in body:
        threshold = p.integer("cardinality", "precision_threshold", body["precision_threshold"])
        if threshold < 0:
            raise illegal_argument(
                f"[precisionThreshold] must be greater than or equal to 0. Found [{threshold}] in [{name}]"
            )
        fields["precision_threshold"] = threshold
    if "execution_hint" in body:
        hint = p.string("cardinality", "execution_hint", body["execution_hint"])
        if hint not in _EXECUTION_HINTS:
            raise illegal_argument(f"Unknown execution_hint [{hint}]")
    if "rehash" in body and not isinstance(body["rehash"], bool):
        # deprecated and ignored by ES too ("values will always be rehashed"): a boolean in the API
        # specification, a long in older parsers — both pass
        p.integer("cardinality", "rehash", body["rehash"])
    return Cardinality(name=name, **fields)
