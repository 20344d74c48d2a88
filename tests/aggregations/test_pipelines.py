"""Ports of Elasticsearch's ``search.aggregation/500_avg_bucket.yml``, ``500_max_bucket.yml``,
``500_min_bucket.yml`` and ``500_sum_bucket.yml`` (gap policies, ``format``), plus hand-computed
``cumulative_sum`` and ``bucket_sort`` checks."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

NO_GAPS = [("2022-01-01T00:00:00", 1), ("2022-01-01T01:00:00", 2), ("2022-01-01T02:00:00", 1)]


def timestamps(index: str, rows: list[tuple[str, int]]) -> Engine:
    """Indexed with dynamic mappings, as the YAML's bulk does (``@timestamp`` detected as a date)."""
    e = Engine()
    ops: list[dict[str, Any]] = []
    for ts, v in rows:
        ops += [{"index": {"_index": index}}, {"@timestamp": ts, "v": v}]
    e.bulk(operations=ops, refresh=True)
    return e


def run(e: Engine, index: str, pipeline: str, **params: Any) -> dict[str, Any]:
    resp = e.search(
        index=index,
        body={
            "size": 0,
            "aggs": {
                "@timestamp": {
                    "date_histogram": {"field": "@timestamp", "fixed_interval": "1h"},
                    "aggs": {"v": {"avg": {"field": "v"}}},
                },
                "d": {pipeline: {"buckets_path": "@timestamp>v", **params}},
            },
        },
    )
    assert resp["hits"]["total"]["value"] == 3
    return dict(resp["aggregations"])


@pytest.fixture(scope="module")
def no_gaps() -> Engine:
    return timestamps("no_gaps", NO_GAPS)


@pytest.fixture(scope="module")
def gaps_avg() -> Engine:
    """500_avg_bucket / 500_sum_bucket's ``gaps`` index: an empty 01:00 bucket."""
    return timestamps("gaps", [("2022-01-01T00:00:00", 1), ("2022-01-01T02:00:00", 2), ("2022-01-01T03:00:00", 1)])


@pytest.fixture(scope="module")
def gaps_max() -> Engine:
    """500_max_bucket's ``gaps`` index: negative values, so an inserted zero is the maximum."""
    return timestamps("gaps", [("2022-01-01T00:00:00", -1), ("2022-01-01T02:00:00", -2), ("2022-01-01T03:00:00", -1)])


def test_avg_bucket(no_gaps: Engine, gaps_avg: Engine) -> None:
    got = run(no_gaps, "no_gaps", "avg_bucket")
    assert len(got["@timestamp"]["buckets"]) == 3
    assert got["d"]["value"] == pytest.approx(4 / 3)
    formatted = run(no_gaps, "no_gaps", "avg_bucket", format="0.00")["d"]
    assert formatted["value_as_string"] == "1.33"
    for policy, expected in (("skip", 4 / 3), ("insert_zeros", 1.0), ("keep_values", 4 / 3)):
        got = run(gaps_avg, "gaps", "avg_bucket", gap_policy=policy)
        assert len(got["@timestamp"]["buckets"]) == 4
        assert got["d"]["value"] == pytest.approx(expected)


def test_max_bucket(no_gaps: Engine, gaps_max: Engine) -> None:
    got = run(no_gaps, "no_gaps", "max_bucket")["d"]
    assert got == {"value": 2.0, "keys": ["2022-01-01T01:00:00.000Z"]}
    assert run(no_gaps, "no_gaps", "max_bucket", format="0.00")["d"]["value_as_string"] == "2.00"
    for policy, expected in (("skip", -1.0), ("insert_zeros", 0.0), ("keep_values", -1.0)):
        assert run(gaps_max, "gaps", "max_bucket", gap_policy=policy)["d"]["value"] == expected


def test_min_bucket(no_gaps: Engine, gaps_max: Engine) -> None:
    got = run(no_gaps, "no_gaps", "min_bucket")["d"]
    assert got == {"value": 1.0, "keys": ["2022-01-01T00:00:00.000Z", "2022-01-01T02:00:00.000Z"]}
    assert run(gaps_max, "gaps", "min_bucket", gap_policy="insert_zeros")["d"]["value"] == -2.0


def test_sum_bucket(no_gaps: Engine, gaps_avg: Engine) -> None:
    assert run(no_gaps, "no_gaps", "sum_bucket")["d"] == {"value": 4.0}
    assert run(no_gaps, "no_gaps", "sum_bucket", format="0.00")["d"] == {"value": 4.0, "value_as_string": "4.00"}
    for policy in ("skip", "insert_zeros", "keep_values"):
        assert run(gaps_avg, "gaps", "sum_bucket", gap_policy=policy)["d"]["value"] == 4.0


def test_typed_keys(no_gaps: Engine) -> None:
    resp = no_gaps.search(
        index="no_gaps",
        typed_keys=True,
        size=0,
        aggs={
            "h": {
                "date_histogram": {"field": "@timestamp", "fixed_interval": "1h"},
                "aggs": {"v": {"avg": {"field": "v"}}},
            },
            "a": {"avg_bucket": {"buckets_path": "h>v"}},
            "m": {"max_bucket": {"buckets_path": "h>v"}},
        },
    )
    assert list(resp["aggregations"]) == ["date_histogram#h", "simple_value#a", "bucket_metric_value#m"]
    assert list(resp["aggregations"]["date_histogram#h"]["buckets"][0]) == [
        "key_as_string",
        "key",
        "doc_count",
        "avg#v",
    ]


def test_cumulative_sum_and_bucket_sort(no_gaps: Engine) -> None:
    resp = no_gaps.search(
        index="no_gaps",
        size=0,
        aggs={
            "h": {
                "date_histogram": {"field": "@timestamp", "fixed_interval": "1h"},
                "aggs": {
                    "s": {"sum": {"field": "v"}},
                    "running": {"cumulative_sum": {"buckets_path": "s"}},
                    "top": {"bucket_sort": {"sort": [{"s": {"order": "desc"}}], "size": 2}},
                },
            }
        },
    )
    buckets = resp["aggregations"]["h"]["buckets"]
    # running sums 1, 3, 4 in time order; then sorted by s desc (2, then the earlier of the two 1s), cut to 2
    assert [(b["key_as_string"], b["s"]["value"], b["running"]["value"]) for b in buckets] == [
        ("2022-01-01T01:00:00.000Z", 2.0, 3.0),
        ("2022-01-01T00:00:00.000Z", 1.0, 1.0),
    ]


def test_bucket_sort_from_without_sort(no_gaps: Engine) -> None:
    resp = no_gaps.search(
        index="no_gaps",
        size=0,
        aggs={
            "h": {
                "date_histogram": {"field": "@timestamp", "fixed_interval": "1h"},
                "aggs": {"page": {"bucket_sort": {"from": 1, "size": 1}}},
            }
        },
    )
    assert [b["key_as_string"] for b in resp["aggregations"]["h"]["buckets"]] == ["2022-01-01T01:00:00.000Z"]


def test_missing_buckets_path(no_gaps: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        no_gaps.search(index="no_gaps", aggs={"d": {"avg_bucket": {}}})
    assert "Required parameter [buckets_path] missing" in str(err.value)


def test_pipeline_cannot_take_sub_aggregations(no_gaps: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        no_gaps.search(
            index="no_gaps",
            aggs={"d": {"avg_bucket": {"buckets_path": "x>y"}, "aggs": {"m": {"max": {"field": "v"}}}}},
        )
    assert "cannot accept sub-aggregations" in str(err.value)
