"""The ``percentiles`` and ``percentile_ranks`` aggregations over Elasticsearch's default TDigest.

Both read a bucket's numeric values (``missing`` filling documents without one), sort them once, and answer
every requested key with :mod:`retrievo.aggregations.tdigest`. The printing follows
``AbstractInternalTDigestPercentiles``: keys in ascending order (the request's list is sorted), keyed by
Java's ``String.valueOf(double)`` (``"99.0"``) unless ``keyed: false``, ``null`` values for an empty bucket,
and ``<key>_as_string`` / ``value_as_string`` on date fields or with a ``format``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, AggResult
from retrievo.aggregations.metrics import NumericMetric
from retrievo.aggregations.tdigest import DEFAULT_COMPRESSION, percentile_ranks, quantiles
from retrievo.aggregations.values import Printer
from retrievo.errors import illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.java_text import java_double_str

DEFAULT_PERCENTS = (1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0)
_KEYS = ("field", "missing", "format", "keyed", "tdigest", "hdr")
_TDIGEST_KEYS = ("compression", "execution_hint")


@dataclass(frozen=True, kw_only=True)
class PercentilesBase(NumericMetric):
    """What ``percentiles`` and ``percentile_ranks`` share: the keys asked for and how they print."""

    keys: tuple[float, ...] = DEFAULT_PERCENTS
    keyed: bool = True
    compression: float = DEFAULT_COMPRESSION

    def answers(self, sorted_values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        vals, printer = self.values(ctx, docs)
        samples = np.sort(vals)
        out = self.result(samples, printer)
        if ctx.reducible:  # the digest's samples: ``reduce.py`` merges them
            out.partial = (samples, printer)
        return out

    def result(self, samples: np.ndarray, printer: Printer | None) -> AggResult:
        """The answers over the sorted ``samples`` (one index's, or the merge of several)."""
        vals = samples
        empty = vals.size == 0
        answers = self.answers(vals) if not empty else np.full(len(self.keys), np.nan)
        printed = [None if empty else float(v) for v in answers.tolist()]
        names = [java_double_str(k) for k in self.keys]
        body: dict[str, Any]
        if self.keyed:
            keyed_values: dict[str, Any] = {}
            for name, value in zip(names, printed, strict=True):
                keyed_values[name] = value
                if printer is not None and value is not None:
                    keyed_values[f"{name}_as_string"] = printer(value)
            body = {"values": keyed_values}
        else:
            rows: list[dict[str, Any]] = []
            for key, value in zip(self.keys, printed, strict=True):
                row: dict[str, Any] = {"key": key, "value": value}
                if printer is not None and value is not None:
                    row["value_as_string"] = printer(value)
                rows.append(row)
            body = {"values": rows}
        lookups: dict[str, float | None] = {}
        for key, name, value in zip(self.keys, names, answers.tolist(), strict=True):
            number = None if empty else float(value)
            lookups[name] = number
            if float(key).is_integer():
                lookups[str(int(key))] = number
        if len(self.keys) == 1:
            lookups.setdefault("value", lookups[names[0]])
        return AggResult(body, lookups)


@dataclass(frozen=True, kw_only=True)
class Percentiles(PercentilesBase):
    """``percentiles``: the value below which each requested percentage of the bucket's values fall."""

    type_name: ClassVar[str] = "percentiles"
    type_key: ClassVar[str] = "tdigest_percentiles"

    def answers(self, sorted_values: np.ndarray) -> np.ndarray:
        return quantiles(sorted_values, np.asarray(self.keys) / 100.0)


@dataclass(frozen=True, kw_only=True)
class PercentileRanks(PercentilesBase):
    """``percentile_ranks``: the percentage of the bucket's values at or below each requested value."""

    type_name: ClassVar[str] = "percentile_ranks"
    type_key: ClassVar[str] = "tdigest_percentile_ranks"

    def answers(self, sorted_values: np.ndarray) -> np.ndarray:
        return percentile_ranks(sorted_values, np.asarray(self.keys))


def _double_array(agg_type: str, key: str, value: Any) -> list[float]:
    if value is None:
        raise parsing_error(f"[{agg_type}] {key} doesn't support values of type: VALUE_NULL")
    items = value if isinstance(value, list) else [value]
    return [p.double(agg_type, key, item) for item in items]


def _method(agg_type: str, body: dict[str, Any]) -> float:
    """The ``tdigest`` object's compression; ``hdr`` is refused (retrievo has no HdrHistogram)."""
    if "tdigest" in body and "hdr" in body:
        raise illegal_argument("Only one percentiles method should be declared.")
    if "hdr" in body:
        raise not_supported(f"[hdr] in a [{agg_type}] aggregation", "retrievo computes percentiles with TDigest only")
    compression = DEFAULT_COMPRESSION
    config = body.get("tdigest")
    if config is None:
        return compression
    if not isinstance(config, dict):
        raise parsing_error(f"[tdigest] Expected START_OBJECT but got {jv.token_of(config)}")
    p.check_keys("tdigest", config, _TDIGEST_KEYS)
    if "compression" in config:
        compression = p.double("tdigest", "compression", config["compression"])
        if compression < 0.0:
            raise illegal_argument(
                f"[compression] must be greater than or equal to 0. Found [{java_double_str(compression)}]"
            )
    if "execution_hint" in config:
        hint = p.string("tdigest", "execution_hint", config["execution_hint"])
        if hint == "high_accuracy":
            raise not_supported(
                "[execution_hint] [high_accuracy] in [tdigest]", "retrievo runs the default digest only"
            )
        if hint not in ("default", ""):
            raise illegal_argument(f"Invalid execution_hint [{hint}], valid values are [default, high_accuracy]")
    return compression


def _common(agg_type: str, name: str, body: Any, keys_field: str) -> dict[str, Any]:
    body = p.check_object(agg_type, body)
    p.check_keys(agg_type, body, _KEYS + (keys_field,))
    fields: dict[str, Any] = {}
    if "field" in body:
        fields["field"] = p.string(agg_type, "field", body["field"])
    if body.get("missing") is not None:
        fields["missing"] = p.double(agg_type, "missing", body["missing"])
    if body.get("format") is not None:
        fields["format"] = p.string(agg_type, "format", body["format"])
    if "keyed" in body:
        fields["keyed"] = p.boolean(agg_type, "keyed", body["keyed"])
    fields["compression"] = _method(agg_type, body)
    return fields


def parse_percentiles(name: str, body: Any) -> Percentiles:
    """The ``percentiles`` object: ``percents`` (default 1, 5, 25, 50, 75, 95, 99) and the method."""
    fields = _common("percentiles", name, body, "percents")
    if "percents" in body:
        percents = _double_array("percentiles", "percents", body["percents"])
        if not percents:
            raise illegal_argument(f"[percents] must not be an empty array: [{name}]")
        for percent in percents:
            if percent < 0.0 or percent > 100.0:
                raise illegal_argument(f"percent must be in [0,100], got [{java_double_str(percent)}]: [{name}]")
        fields["keys"] = tuple(sorted(percents))
    return Percentiles(name=name, **fields)


def parse_percentile_ranks(name: str, body: Any) -> PercentileRanks:
    """The ``percentile_ranks`` object: the required ``values`` and the method."""
    fields = _common("percentile_ranks", name, body, "values")
    if "values" not in body:
        raise illegal_argument(f"[values] must not be null: [{name}]")
    values = _double_array("percentile_ranks", "values", body["values"])
    if not values:
        raise illegal_argument(f"[values] must not be an empty array: [{name}]")
    fields["keys"] = tuple(sorted(values))
    return PercentileRanks(name=name, **fields)
