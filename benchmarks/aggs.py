"""Aggregations benchmark: retrievo's ``terms``, ``date_histogram`` and ``cardinality`` next to the same
group-bys in pandas (or numpy when pandas is not installed), on one generated index.

Usage (from the repository root):

    .venv/bin/python benchmarks/aggs.py                  # 1,000,000 documents
    .venv/bin/python benchmarks/aggs.py --docs 100000    # quick run

What is measured (single-threaded, in this process; best of ``--repeat`` passes, after one untimed pass):

* retrievo: ``engine.search(index=..., size=0, aggs=...)`` end to end (request parsing, the match-all
  query, the aggregation and the response), one aggregation per request.
* baseline: the same answer from the generated columns (a ``DataFrame`` built before timing):
  ``value_counts`` + top 10 for ``terms``; ``dt.to_period("M")`` counts for ``date_histogram``;
  ``nunique`` for ``cardinality`` (exact: retrievo answers Elasticsearch's HyperLogLog++ estimate).
  With numpy only: ``np.unique(..., return_counts=True)`` for each.
* ratio: retrievo's time over the baseline's (the issue's aim: within 2×).
* first: retrievo's first search of the aggregation on a fresh snapshot (after a refresh), which also lays
  the field's doc values out by document; later searches of the snapshot reuse that layout.

Every retrievo answer is checked against the baseline's counts before timing (the cardinality estimate
within 5% of the exact count). ``pandas`` comes with the ``dev`` extra; where it is not installed the
baseline is numpy's (``np.unique`` on the integer columns, which spares numpy the strings' cost that
``value_counts`` pays on the keyword column).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from retrievo import Engine
from retrievo.aggregations.values import forget_layouts

START, END = 1577836800000, 1609459200000  # 2020-01-01 … 2021-01-01


def build(n: int, seed: int) -> tuple[Engine, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    cols = {"k": rng.integers(0, 1000, n), "u": rng.integers(0, 50_000, n), "d": rng.integers(START, END, n)}
    e = Engine()
    e.indices.create(
        index="bench",
        mappings={"properties": {"k": {"type": "keyword"}, "u": {"type": "long"}, "d": {"type": "date"}}},
    )
    batch: list[dict[str, Any]] = []
    for i in range(n):
        batch.append({"index": {"_index": "bench", "_id": str(i)}})
        batch.append({"k": f"k{cols['k'][i]:04d}", "u": int(cols["u"][i]), "d": int(cols["d"][i])})
        if len(batch) >= 100_000:
            e.bulk(operations=batch)
            batch = []
    if batch:
        e.bulk(operations=batch)
    e.indices.refresh(index="bench")
    return e, cols


def best(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def baselines(cols: dict[str, np.ndarray]) -> tuple[str, dict[str, Callable[[], Any]]]:
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return "numpy", {
            "terms": lambda: np.unique(cols["k"], return_counts=True),
            "date_histogram": lambda: np.unique(
                cols["d"].astype("datetime64[ms]").astype("datetime64[M]"), return_counts=True
            ),
            "cardinality": lambda: np.unique(cols["u"]).size,
        }
    frame = pd.DataFrame(
        {"k": [f"k{v:04d}" for v in cols["k"]], "u": cols["u"], "d": pd.to_datetime(cols["d"], unit="ms")}
    )
    return "pandas", {
        "terms": lambda: frame["k"].value_counts().head(10),
        "date_histogram": lambda: frame["d"].dt.to_period("M").value_counts().sort_index(),
        "cardinality": lambda: frame["u"].nunique(),
    }


AGGS: dict[str, dict[str, Any]] = {
    "terms": {"a": {"terms": {"field": "k"}}},
    "date_histogram": {"a": {"date_histogram": {"field": "d", "calendar_interval": "month"}}},
    "cardinality": {"a": {"cardinality": {"field": "u"}}},
}


def check(e: Engine, cols: dict[str, np.ndarray]) -> None:
    keys, counts = np.unique(cols["k"], return_counts=True)
    top = np.lexsort((keys, -counts))[:10]
    got = e.search(index="bench", size=0, aggs=AGGS["terms"])["aggregations"]["a"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in got] == [(f"k{keys[i]:04d}", int(counts[i])) for i in top]
    _, month_counts = np.unique(cols["d"].astype("datetime64[ms]").astype("datetime64[M]"), return_counts=True)
    got = e.search(index="bench", size=0, aggs=AGGS["date_histogram"])["aggregations"]["a"]["buckets"]
    assert [b["doc_count"] for b in got] == month_counts.tolist()
    # HyperLogLog++ at precision 14 (the default): a standard error near 0.8%, so 5% is a wide margin
    exact = np.unique(cols["u"]).size
    estimate = e.search(index="bench", size=0, aggs=AGGS["cardinality"])["aggregations"]["a"]["value"]
    assert abs(estimate - exact) <= 0.05 * exact, (estimate, exact)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    began = time.perf_counter()
    engine, cols = build(args.docs, args.seed)
    print(f"indexed {args.docs:,} documents in {time.perf_counter() - began:.1f} s")
    check(engine, cols)
    name, base = baselines(cols)
    print(f"{'aggregation':<16}{'first ms':>10}{'retrievo ms':>14}{name + ' ms':>14}{'ratio':>8}")
    for agg, body in AGGS.items():
        forget_layouts()  # the first search of a snapshot lays the field's doc values out
        began = time.perf_counter()
        engine.search(index="bench", size=0, aggs=body)
        first = time.perf_counter() - began
        ours = best(partial(engine.search, index="bench", size=0, aggs=body), args.repeat)
        theirs = best(base[agg], args.repeat)
        print(f"{agg:<16}{first * 1000:>10.1f}{ours * 1000:>14.1f}{theirs * 1000:>14.1f}{ours / theirs:>8.2f}")


if __name__ == "__main__":
    main()
