"""The fast paths of bucket counting (``aggregations/grouping.py``, ``values.py``'s snapshot layouts):
single-valued fields counted without a pair sort, small key ranges by ``bincount``, dates rounded once
per distinct day, doc values gathered by mask or whole, layouts reused across searches of one snapshot.

Every expectation is computed here from the generated columns with plain numpy (``np.unique`` on the
raw values, ``datetime64`` month rounding), independently of the code under test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrievo import Engine

N = 3000
START, END = 1577836800000, 1609459200000  # 2020-01-01 … 2021-01-01


def _columns(seed: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "k": rng.integers(0, 40, n),
        "u": rng.integers(-500, 500, n),
        "big": rng.integers(-(2**62), 2**62, n),
        "d": rng.integers(START, END, n),
        "tag": rng.integers(0, 6, (n, 2)),  # two values per doc, sometimes equal
    }


def _docs(cols: dict[str, np.ndarray], lo: int, hi: int) -> list[dict[str, Any]]:
    return [
        {
            "k": f"k{int(cols['k'][i]):03d}",
            "u": int(cols["u"][i]),
            "big": int(cols["big"][i]),
            "d": int(cols["d"][i]),
            "tag": [f"t{int(t)}" for t in cols["tag"][i]],
            "half": i % 2,
        }
        for i in range(lo, hi)
    ]


def _bulk(es: Engine, docs: list[dict[str, Any]], first_id: int) -> None:
    ops: list[dict[str, Any]] = []
    for i, doc in enumerate(docs):
        ops += [{"index": {"_index": "g", "_id": str(first_id + i)}}, doc]
    es.bulk(operations=ops, refresh=True)


@pytest.fixture(scope="module")
def engine() -> tuple[Engine, dict[str, np.ndarray]]:
    cols = _columns(11, N)
    es = Engine()
    es.indices.create(
        index="g",
        mappings={
            "properties": {
                "k": {"type": "keyword"},
                "u": {"type": "long"},
                "big": {"type": "long"},
                "d": {"type": "date"},
                "tag": {"type": "keyword"},
                "half": {"type": "integer"},
            }
        },
    )
    _bulk(es, _docs(cols, 0, N), 0)
    return es, cols


def _agg(es: Engine, aggs: dict[str, Any], query: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"size": 0, "aggs": aggs}
    if query is not None:
        body["query"] = query
    result: dict[str, Any] = es.search(index="g", **body)["aggregations"]
    return result


def _all_terms(keys: np.ndarray) -> list[tuple[int, int]]:
    values, counts = np.unique(keys, return_counts=True)
    return [(int(v), int(c)) for v, c in zip(values, counts)]


@pytest.mark.parametrize("field", ["u", "big"])
@pytest.mark.parametrize("query", [None, {"term": {"half": 1}}, {"range": {"u": {"lt": -400}}}])
def test_long_terms_counts_match_numpy(engine: tuple[Engine, dict[str, np.ndarray]], field: str, query: Any) -> None:
    # all docs (the whole column), half of them (the mask gather), a tenth (the per-doc gather)
    es, cols = engine
    keep = np.ones(N, dtype=bool)
    if query == {"term": {"half": 1}}:
        keep = np.arange(N) % 2 == 1
    elif query is not None:
        keep = cols["u"] < -400
    got = _agg(es, {"a": {"terms": {"field": field, "size": 5000, "order": {"_key": "asc"}}}}, query)["a"]
    assert [(b["key"], b["doc_count"]) for b in got["buckets"]] == _all_terms(cols[field][keep])
    assert got["sum_other_doc_count"] == 0


def test_multi_valued_keyword_counts_a_doc_once(engine: tuple[Engine, dict[str, np.ndarray]]) -> None:
    es, cols = engine
    tags = cols["tag"]
    expected = {f"t{t}": int(np.any(tags == t, axis=1).sum()) for t in range(6)}
    got = _agg(es, {"a": {"terms": {"field": "tag", "size": 10}}})["a"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in got} == expected


def test_terms_sub_aggregation_sees_its_bucket_docs(engine: tuple[Engine, dict[str, np.ndarray]]) -> None:
    es, cols = engine
    got = _agg(es, {"a": {"terms": {"field": "k", "size": 3}, "aggs": {"s": {"sum": {"field": "u"}}}}})["a"]
    for bucket in got["buckets"]:
        members = np.array([f"k{v:03d}" for v in cols["k"]]) == bucket["key"]
        assert bucket["doc_count"] == int(members.sum())
        assert bucket["s"]["value"] == float(cols["u"][members].sum())


def test_monthly_date_histogram_matches_numpy(engine: tuple[Engine, dict[str, np.ndarray]]) -> None:
    es, cols = engine
    months, counts = np.unique(cols["d"].astype("datetime64[ms]").astype("datetime64[M]"), return_counts=True)
    got = _agg(es, {"a": {"date_histogram": {"field": "d", "calendar_interval": "month"}}})["a"]["buckets"]
    assert [b["key"] for b in got] == months.astype("datetime64[ms]").astype(np.int64).tolist()
    assert [b["doc_count"] for b in got] == counts.tolist()


@pytest.mark.parametrize(("interval", "unit"), [("quarter", "Q"), ("year", "Y"), ("week", "W")])
def test_calendar_rounding_table_matches_numpy(
    engine: tuple[Engine, dict[str, np.ndarray]], interval: str, unit: str
) -> None:
    es, cols = engine
    days = cols["d"] // 86_400_000
    if unit == "W":  # weeks start on Monday; 1970-01-05 (day 4) was one
        keys = ((days - 4) // 7 * 7 + 4) * 86_400_000
    elif unit == "Q":
        month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        keys = (month // 3 * 3).astype("datetime64[M]").astype("datetime64[ms]").astype(np.int64)
    else:
        keys = days.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[ms]").astype(np.int64)
    values, counts = np.unique(keys, return_counts=True)
    body = {"date_histogram": {"field": "d", "calendar_interval": interval, "min_doc_count": 1}}
    got = _agg(es, {"a": body})["a"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in got] == list(zip(values.tolist(), counts.tolist()))


def test_date_histogram_in_a_zone_with_dst(engine: tuple[Engine, dict[str, np.ndarray]]) -> None:
    # keys in Europe/Paris are not a multiple of a day apart (DST): the counting falls back to a sort
    es, cols = engine
    local = cols["d"] + np.where(
        (cols["d"] >= 1585443600000) & (cols["d"] < 1603587600000), 7_200_000, 3_600_000
    )  # 2020-03-29T01:00Z … 2020-10-25T01:00Z is CEST
    days = local // 86_400_000
    _, counts = np.unique(days, return_counts=True)
    body = {"date_histogram": {"field": "d", "calendar_interval": "day", "time_zone": "Europe/Paris"}}
    got = _agg(es, {"a": body})["a"]["buckets"]
    assert [b["doc_count"] for b in got if b["doc_count"]] == counts.tolist()


def test_cardinality_of_small_and_wide_longs(engine: tuple[Engine, dict[str, np.ndarray]]) -> None:
    # under 3000 distinct values HyperLogLog++ counts exactly (linear counting at precision 14)
    es, cols = engine
    got = _agg(es, {"u": {"cardinality": {"field": "u"}}, "k": {"cardinality": {"field": "k"}}})
    assert got["u"]["value"] == np.unique(cols["u"]).size
    assert got["k"]["value"] == np.unique(cols["k"]).size


def test_layouts_follow_the_snapshot(engine: tuple[Engine, dict[str, np.ndarray]]) -> None:
    # a refresh publishes a new snapshot: the next search lays the new documents out too
    es, cols = engine
    before = _agg(es, {"a": {"terms": {"field": "u", "size": 5000}}})["a"]["buckets"]
    assert sum(b["doc_count"] for b in before) == N
    more = _columns(12, 200)
    _bulk(es, _docs(more, 0, 200), N)
    after = _agg(es, {"a": {"terms": {"field": "u", "size": 5000, "order": {"_key": "asc"}}}})["a"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in after] == _all_terms(np.concatenate([cols["u"], more["u"]]))
    es.delete_by_query(index="g", query={"range": {"u": {"gte": 0}}}, refresh=True)
    left = _agg(es, {"a": {"terms": {"field": "u", "size": 5000, "order": {"_key": "asc"}}}})["a"]["buckets"]
    every = np.concatenate([cols["u"], more["u"]])
    assert [(b["key"], b["doc_count"]) for b in left] == _all_terms(every[every < 0])
