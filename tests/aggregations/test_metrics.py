"""Ports of Elasticsearch's metric YAML tests (``search.aggregation/100_avg_metric.yml``,
``110_max_metric.yml``, ``120_min_metric.yml``, ``130_sum_metric.yml``, ``140_value_count_metric.yml``,
``150_stats_metric.yml``, ``160_extended_stats_metric.yml``): values 1, 51, 101, 151."""

from __future__ import annotations

import math
from typing import Any

import pytest
from elasticsearch import BadRequestError

from agg_helpers import aggs_of
from retrievo import Engine

GTE_50 = {"constant_score": {"filter": {"range": {"int_field": {"gte": 50}}}}}
LTE_60 = {"constant_score": {"filter": {"range": {"int_field": {"lte": 60}}}}}

# (metric, all four values, values >= 50, values <= 60), computed by hand from 1, 51, 101, 151.
SINGLE_VALUE = [
    ("avg", 76.0, 101.0, 26.0),
    ("max", 151.0, 151.0, 51.0),
    ("min", 1.0, 51.0, 1.0),
    ("sum", 304.0, 303.0, 52.0),
    ("value_count", 4, 3, 2),
]


@pytest.mark.parametrize(("metric", "every", "gte50", "lte60"), SINGLE_VALUE)
def test_single_value_metrics(metric_engine: Engine, metric: str, every: Any, gte50: Any, lte60: Any) -> None:
    aggs = {
        f"the_int_{metric}": {metric: {"field": "int_field"}},
        f"the_double_{metric}": {metric: {"field": "double_field"}},
    }
    for query, expected in ((None, every), (GTE_50, gte50), (LTE_60, lte60)):
        body = {"query": query} if query else {}
        for size in (10, 0):  # "Basic test" and "Only aggs test"
            got = aggs_of(metric_engine, "test_1", aggs, size=size, **body)
            for name in aggs:
                assert got[name] == {"value": expected}
                assert type(got[name]["value"]) is type(expected)  # value_count is a long, the others doubles


def test_value_count_of_a_keyword_field(metric_engine: Engine) -> None:
    got = aggs_of(metric_engine, "test_1", {"c": {"value_count": {"field": "string_field"}}}, query=GTE_50)
    assert got["c"] == {"value": 3}


@pytest.mark.parametrize(
    ("metric", "expected"), [("avg", 1.0), ("max", 1.0), ("min", 1.0), ("sum", 4.0), ("value_count", 4)]
)
def test_missing_field_with_missing_param(metric_engine: Engine, metric: str, expected: Any) -> None:
    got = aggs_of(metric_engine, "test_1", {"m": {metric: {"field": "foo", "missing": 1}}})
    assert got["m"]["value"] == expected


@pytest.mark.parametrize(
    ("metric", "expected"), [("avg", None), ("max", None), ("min", None), ("sum", 0.0), ("value_count", 0)]
)
def test_missing_field_without_missing_param(metric_engine: Engine, metric: str, expected: Any) -> None:
    got = aggs_of(metric_engine, "test_1", {"m": {metric: {"field": "foo"}}})
    assert got["m"] == {"value": expected}


@pytest.mark.parametrize("metric", ["avg", "max", "min", "sum", "value_count", "stats", "extended_stats"])
def test_metadata(metric_engine: Engine, metric: str) -> None:
    got = aggs_of(metric_engine, "test_1", {"m": {"meta": {"foo": "bar"}, metric: {"field": "int_field"}}})
    assert got["m"]["meta"] == {"foo": "bar"}
    assert next(iter(got["m"])) == "meta"  # printed first, as Elasticsearch does


@pytest.mark.parametrize("metric", ["avg", "max", "min", "sum", "stats", "extended_stats"])
def test_aggregating_wrong_datatype(metric_engine: Engine, metric: str) -> None:
    with pytest.raises(BadRequestError) as err:
        aggs_of(metric_engine, "test_1", {"m": {metric: {"field": "string_field"}}})
    assert err.value.meta.status == 400
    error = err.value.body["error"]
    assert error["type"] == "search_phase_execution_exception"  # the shard fails building its aggregator
    assert error["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": f"Field [string_field] of type [keyword] is not supported for aggregation [{metric}]",
    }


def test_stats(metric_engine: Engine) -> None:
    got = aggs_of(metric_engine, "test_1", {"s": {"stats": {"field": "int_field"}}}, query=GTE_50)
    assert got["s"] == {"count": 3, "min": 51.0, "max": 151.0, "avg": 101.0, "sum": 303.0}
    empty = aggs_of(metric_engine, "test_1", {"s": {"stats": {"field": "foo"}}})
    assert empty["s"] == {"count": 0, "min": None, "max": None, "avg": None, "sum": 0.0}


def test_extended_stats_basic(metric_engine: Engine) -> None:
    for field in ("int_field", "double_field"):
        got = aggs_of(metric_engine, "test_1", {"e": {"extended_stats": {"field": field}}}, size=0)["e"]
        assert (got["count"], got["min"], got["max"], got["avg"], got["sum"]) == (4, 1.0, 151.0, 76.0, 304.0)
        assert got["sum_of_squares"] == 35604.0
        assert got["variance"] == 3125.0
        assert got["std_deviation"] == 55.90169943749474
        assert got["std_deviation_bounds"]["upper"] == 187.80339887498948
        assert got["std_deviation_bounds"]["lower"] == -35.80339887498948


def test_extended_stats_filtered(metric_engine: Engine) -> None:
    got = aggs_of(metric_engine, "test_1", {"e": {"extended_stats": {"field": "int_field"}}}, query=GTE_50)["e"]
    assert (got["count"], got["sum"], got["sum_of_squares"]) == (3, 303.0, 35603.0)
    assert got["variance"] == 1666.6666666666667
    assert got["std_deviation"] == 40.824829046386306
    assert got["std_deviation_bounds"] == {
        "upper": 182.6496580927726,
        "lower": 19.35034190722739,
        "upper_population": 182.6496580927726,
        "lower_population": 19.35034190722739,
        "upper_sampling": 101.0 + 2 * math.sqrt(2500.0),  # sample variance: (35603 - 303²/3) / 2 = 2500
        "lower_sampling": 101.0 - 2 * math.sqrt(2500.0),
    }
    assert got["variance_sampling"] == 2500.0


def test_extended_stats_missing_param(metric_engine: Engine) -> None:
    got = aggs_of(metric_engine, "test_1", {"e": {"extended_stats": {"field": "foo", "missing": 1}}})["e"]
    assert (got["count"], got["min"], got["max"], got["avg"], got["sum"]) == (4, 1.0, 1.0, 1.0, 4.0)
    assert (got["sum_of_squares"], got["variance"], got["std_deviation"]) == (4.0, 0.0, 0.0)
    assert (got["std_deviation_bounds"]["upper"], got["std_deviation_bounds"]["lower"]) == (1.0, 1.0)


def test_extended_stats_empty_prints_nulls(metric_engine: Engine) -> None:
    got = aggs_of(metric_engine, "test_1", {"e": {"extended_stats": {"field": "foo"}}})["e"]
    assert "value" not in got
    assert got["count"] == 0 and got["sum"] == 0.0 and got["variance"] is None
    assert set(got["std_deviation_bounds"].values()) == {None}


def test_extended_stats_sigma(metric_engine: Engine) -> None:
    got = aggs_of(metric_engine, "test_1", {"e": {"extended_stats": {"field": "int_field", "sigma": 3}}})["e"]
    assert got["std_deviation_bounds"]["upper"] == 243.7050983124842
    assert got["std_deviation_bounds"]["lower"] == -91.70509831248421


def test_extended_stats_bad_sigma(metric_engine: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        aggs_of(
            metric_engine, "test_1", {"the_int_extended_stats": {"extended_stats": {"field": "int_field", "sigma": -1}}}
        )
    assert "[sigma] must be greater than or equal to 0. Found [-1.0] in [the_int_extended_stats]" in str(err.value)
    with pytest.raises(BadRequestError) as err:
        aggs_of(metric_engine, "test_1", {"e": {"extended_stats": {"field": "int_field", "sigma": "foo"}}})
    assert err.value.body["error"]["type"] == "x_content_parse_exception"
