"""The aggregation types by request name (``AGG_PARSERS``), and ``AggregatorFactories.parseAggregators``:
names, nesting, ``meta``, and Elasticsearch's errors for malformed definitions and unknown types."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from retrievo.aggregations import (
    cardinality,
    filters,
    histograms,
    ip_ranges,
    metrics,
    nested,
    percentiles,
    pipelines,
    ranges,
    significant_terms,
    terms,
    top_hits,
)
from retrievo.aggregations.base import Aggregation
from retrievo.errors import bad_request, error_cause, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import suggest

AggParser = Callable[[str, Any], Aggregation]

AGG_PARSERS: dict[str, AggParser] = {
    "avg": metrics.parse_avg,
    "sum": metrics.parse_sum,
    "min": metrics.parse_min,
    "max": metrics.parse_max,
    "stats": metrics.parse_stats,
    "extended_stats": metrics.parse_extended_stats,
    "value_count": metrics.parse_value_count,
    "terms": terms.parse_terms,
    "significant_terms": significant_terms.parse_significant_terms,
    "range": ranges.parse_range,
    "date_range": ranges.parse_date_range,
    "ip_range": ip_ranges.parse_ip_range,
    "ip_prefix": ip_ranges.parse_ip_prefix,
    "histogram": histograms.parse_histogram,
    "date_histogram": histograms.parse_date_histogram,
    "filter": filters.parse_filter,
    "filters": filters.parse_filters,
    "missing": filters.parse_missing,
    "avg_bucket": pipelines.parse_avg_bucket,
    "sum_bucket": pipelines.parse_sum_bucket,
    "max_bucket": pipelines.parse_max_bucket,
    "min_bucket": pipelines.parse_min_bucket,
    "cumulative_sum": pipelines.parse_cumulative_sum,
    "bucket_sort": pipelines.parse_bucket_sort,
    "cardinality": cardinality.parse_cardinality,
    "percentiles": percentiles.parse_percentiles,
    "percentile_ranks": percentiles.parse_percentile_ranks,
    "top_hits": top_hits.parse_top_hits,
    "nested": nested.parse_nested,
    "reverse_nested": nested.parse_reverse_nested,
}

#: Elasticsearch's other aggregation types: a request naming one is refused as unsupported, not unknown.
NOT_SUPPORTED: frozenset[str] = frozenset(
    {
        "significant_text", "global", "composite", "adjacency_matrix", "auto_date_histogram",
        "variable_width_histogram", "rare_terms", "multi_terms", "sampler", "diversified_sampler", "random_sampler",
        "geo_distance", "geohash_grid", "geotile_grid", "geo_bounds", "geo_centroid",
        "median_absolute_deviation", "weighted_avg", "boxplot", "string_stats", "top_metrics", "t_test", "rate",
        "scripted_metric", "matrix_stats", "children", "parent", "frequent_item_sets", "categorize_text",
        "time_series", "derivative", "moving_fn", "moving_percentiles", "serial_diff", "bucket_script",
        "bucket_selector", "stats_bucket", "extended_stats_bucket", "percentiles_bucket", "normalize",
        "cumulative_cardinality", "inference", "bucket_count_ks_test", "bucket_correlation", "change_point",
    }
)  # fmt: skip

_VALID_NAME = re.compile(r"[^\[\]>]+")


def parse_aggregations(body: Any) -> tuple[Aggregation, ...]:
    """The ``aggs`` object of a search (or of an aggregation) → its aggregations, in request order."""
    if not isinstance(body, dict):
        raise parsing_error(
            f"Unexpected token {jv.token_of(body)} in [aggs]: "
            "aggregations definitions must start with the name of the aggregation."
        )
    out: list[Aggregation] = []
    seen: set[str] = set()
    for name, definition in body.items():
        if not _VALID_NAME.fullmatch(name):
            raise parsing_error(
                f"Invalid aggregation name [{name}]. "
                "Aggregation names can contain any character except '[', ']', and '>'"
            )
        if not isinstance(definition, dict):
            raise parsing_error(
                f"Aggregation definition for [{name} starts with a [{jv.token_of(definition)}], "
                "expected a [START_OBJECT]."
            )
        agg = _parse_one(name, definition)
        if not agg.is_pipeline:
            if name in seen:
                raise illegal_argument(f"Two sibling aggregations cannot have the same name: [{name}]")
            seen.add(name)
        out.append(agg)
    return tuple(out)


def _parse_one(name: str, definition: dict[str, Any]) -> Aggregation:
    agg: Aggregation | None = None
    agg_type = ""
    meta: dict[str, Any] | None = None
    subs: tuple[Aggregation, ...] | None = None
    for key, value in definition.items():
        if not isinstance(value, dict):
            raise parsing_error(f"Expected [START_OBJECT] under [{key}], but got a [{jv.token_of(value)}] in [{name}]")
        if key == "meta":
            meta = value
        elif key in ("aggs", "aggregations"):
            if subs is not None:
                raise parsing_error(f"Found two sub aggregation definitions under [{name}]")
            subs = parse_aggregations(value)
        else:
            if agg is not None:
                raise parsing_error(f"Found two aggregation type definitions in [{name}]: [{agg_type}] and [{key}]")
            parser = AGG_PARSERS.get(key)
            if parser is None:
                if key in NOT_SUPPORTED:
                    raise not_supported(f"the [{key}] aggregation")
                raise bad_request(
                    "parsing_exception",
                    f"Unknown aggregation type [{key}]{suggest(key, [*AGG_PARSERS, *NOT_SUPPORTED])}",
                    caused_by=error_cause("named_object_not_found_exception", f"unknown field [{key}]"),
                )
            agg, agg_type = parser(name, value), key
    if agg is None:
        raise parsing_error(f"Missing definition for aggregation [{name}]")
    if subs:
        if not agg.accepts_subs:
            raise _no_subs(name, agg_type)
        agg = dataclasses.replace(agg, subs=subs)
    if meta is not None:
        agg = dataclasses.replace(agg, meta=meta)
    return agg


def _no_subs(name: str, agg_type: str) -> Exception:
    """``AggregationInitializationException`` for metrics and pipelines given sub-aggregations."""
    return bad_request(
        "aggregation_initialization_exception",
        f"Aggregator [{name}] of type [{agg_type}] cannot accept sub-aggregations",
    )
