"""Aggregations on a generated index of 100,000 documents, checked against independent numpy group-bys
of the generated values (the issue's "checked against an independent computation" criterion)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from retrievo import Engine

N = 100_000
START, END = 1577836800000, 1609459200000  # 2020-01-01 … 2021-01-01


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261207)
    return {
        "k": rng.integers(0, 300, N),
        "n": rng.integers(-1000, 1000, N),
        "x": np.round(rng.normal(size=N), 6),
        "d": rng.integers(START, END, N),
        "t1": rng.integers(0, 5, N),
        "t2": rng.integers(0, 5, N),
    }


@pytest.fixture(scope="module")
def engine(data: dict[str, np.ndarray]) -> Engine:
    e = Engine()
    e.indices.create(
        index="g",
        mappings={
            "properties": {
                "k": {"type": "keyword"},
                "tags": {"type": "keyword"},
                "n": {"type": "long"},
                "x": {"type": "double"},
                "d": {"type": "date"},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for i in range(N):
        ops.append({"index": {"_index": "g", "_id": str(i)}})
        ops.append(
            {
                "k": f"k{data['k'][i]:03d}",
                "tags": [f"t{data['t1'][i]}", f"t{data['t2'][i]}"],  # often the same tag twice
                "n": int(data["n"][i]),
                "x": float(data["x"][i]),
                "d": int(data["d"][i]),
            }
        )
    for start in range(0, len(ops), 20_000):
        e.bulk(operations=ops[start : start + 20_000])
    e.indices.refresh(index="g")
    return e


def aggs(e: Engine, spec: dict[str, Any], **body: Any) -> dict[str, Any]:
    return dict(e.search(index="g", body={"size": 0, "aggs": spec, **body})["aggregations"])


def test_terms_counts_order_and_rest(engine: Engine, data: dict[str, np.ndarray]) -> None:
    keys, counts = np.unique(data["k"], return_counts=True)
    order = np.lexsort((keys, -counts))  # count desc, then key asc (zero-padded names sort as numbers)
    got = aggs(engine, {"t": {"terms": {"field": "k", "size": 20}, "aggs": {"a": {"avg": {"field": "n"}}}}})["t"]
    assert [(b["key"], b["doc_count"]) for b in got["buckets"]] == [
        (f"k{keys[i]:03d}", int(counts[i])) for i in order[:20]
    ]
    assert got["sum_other_doc_count"] == int(counts[order[20:]].sum())
    sums = np.bincount(data["k"], weights=data["n"].astype(np.float64), minlength=300)
    for b in got["buckets"]:
        k = int(b["key"][1:])
        assert b["a"]["value"] == pytest.approx(sums[k] / counts[keys == k][0], rel=1e-12)


def test_multi_valued_terms_count_documents(engine: Engine, data: dict[str, np.ndarray]) -> None:
    got = aggs(engine, {"t": {"terms": {"field": "tags"}}})["t"]
    expected = {f"t{t}": int(((data["t1"] == t) | (data["t2"] == t)).sum()) for t in range(5)}
    assert {b["key"]: b["doc_count"] for b in got["buckets"]} == expected


def test_terms_under_a_query(engine: Engine, data: dict[str, np.ndarray]) -> None:
    mask = data["n"] >= 500
    keys, counts = np.unique(data["k"][mask], return_counts=True)
    order = np.lexsort((keys, -counts))
    got = aggs(engine, {"t": {"terms": {"field": "k", "size": 5}}}, query={"range": {"n": {"gte": 500}}})["t"]
    assert [(b["key"], b["doc_count"]) for b in got["buckets"]] == [
        (f"k{keys[i]:03d}", int(counts[i])) for i in order[:5]
    ]


def test_date_histogram_month_utc(engine: Engine, data: dict[str, np.ndarray]) -> None:
    months = data["d"].astype("datetime64[ms]").astype("datetime64[M]")
    keys, counts = np.unique(months, return_counts=True)
    got = aggs(engine, {"h": {"date_histogram": {"field": "d", "calendar_interval": "month"}}})["h"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in got] == [
        (int(k.astype("datetime64[ms]").astype(np.int64)), int(c)) for k, c in zip(keys, counts)
    ]
    assert got[0]["key_as_string"] == "2020-01-01T00:00:00.000Z"


def test_date_histogram_day_in_a_dst_zone(engine: Engine, data: dict[str, np.ndarray]) -> None:
    zone = ZoneInfo("Europe/Berlin")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    expected: dict[int, int] = {}
    for ms in data["d"][:20_000].tolist():  # per value, with the standard library: independent of numpy
        local = (epoch + timedelta(milliseconds=ms)).astimezone(zone)
        midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
        key = int((midnight - epoch).total_seconds() * 1000)
        expected[key] = expected.get(key, 0) + 1
    spec = {
        "date_histogram": {"field": "d", "calendar_interval": "day", "time_zone": "Europe/Berlin", "min_doc_count": 1}
    }
    ids = {"ids": {"values": [str(i) for i in range(20_000)]}}
    got = aggs(engine, {"h": spec}, query=ids)["h"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in got} == expected


def test_histogram_and_stats(engine: Engine, data: dict[str, np.ndarray]) -> None:
    x = data["x"]
    keys, counts = np.unique(np.floor(x / 0.5) * 0.5, return_counts=True)
    got = aggs(
        engine,
        {
            "h": {"histogram": {"field": "x", "interval": 0.5, "min_doc_count": 1}},
            "s": {"extended_stats": {"field": "x"}},
        },
    )
    assert [(b["key"], b["doc_count"]) for b in got["h"]["buckets"]] == list(zip(keys.tolist(), counts.tolist()))
    s = got["s"]
    assert s["count"] == N
    assert (s["min"], s["max"]) == (float(x.min()), float(x.max()))
    assert s["avg"] == pytest.approx(float(x.mean()), rel=1e-12, abs=1e-15)
    assert s["variance"] == pytest.approx(float(x.var()), rel=1e-9)
    assert s["variance_sampling"] == pytest.approx(float(x.var(ddof=1)), rel=1e-9)


def test_ranges_and_filters(engine: Engine, data: dict[str, np.ndarray]) -> None:
    n = data["n"]
    got = aggs(
        engine,
        {
            "r": {"range": {"field": "n", "ranges": [{"to": -500}, {"from": -500, "to": 500}, {"from": 500}]}},
            "f": {"filters": {"filters": {"neg": {"range": {"n": {"lt": 0}}}}, "other_bucket": True}},
        },
    )
    assert [b["doc_count"] for b in got["r"]["buckets"]] == [
        int((n < -500).sum()),
        int(((n >= -500) & (n < 500)).sum()),
        int((n >= 500).sum()),
    ]
    assert got["f"]["buckets"] == {
        "neg": {"doc_count": int((n < 0).sum())},
        "_other_": {"doc_count": int((n >= 0).sum())},
    }
