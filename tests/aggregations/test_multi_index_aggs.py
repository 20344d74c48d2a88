"""Aggregations in a search over several indices: each index computes its part, the coordinator reduces
(``retrievo/aggregations/reduce.py``). Expected values are computed here with numpy/pandas over the union
of the indices' documents, and for ``terms`` by replaying Elasticsearch's documented shard cut
(``shard_size = size * 1.5 + 10``, each shard's top terms by count) and error bounds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped,unused-ignore]
import pytest
from elasticsearch import BadRequestError

from retrievo import Engine

_DAY = 86_400_000
_START = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_SIZES = {"ma": 1500, "mb": 1200, "mc": 800}


def _frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(20261207)
    out: dict[str, pd.DataFrame] = {}
    for offset, (name, size) in enumerate(_SIZES.items()):
        weights = rng.dirichlet(np.full(40, 0.4))  # a skewed term distribution of its own per index
        frame = pd.DataFrame(
            {
                "cat": [f"k{i:02d}" for i in rng.choice(40, size=size, p=weights)],
                "n": rng.integers(0, 1000, size=size),
                "x": np.round(rng.normal(50.0, 20.0, size=size), 3),
                "ts": _START + rng.integers(0, 30 * _DAY, size=size) + offset * 45 * _DAY,
                "g": rng.integers(0, 20, size=size) + offset * 30,
            }
        )
        out[name] = frame
    return out


FRAMES = _frames()
#: ``mc`` does not map ``x``; ``mb`` does not map ``g`` (their documents lack them).
UNMAPPED = {"mc": "x", "mb": "g"}


def _mappings(name: str) -> dict[str, Any]:
    props = {"cat": {"type": "keyword"}, "n": {"type": "long"}, "x": {"type": "double"}, "ts": {"type": "date"}}
    props["g"] = {"type": "long"}
    props.pop(UNMAPPED.get(name, ""), None)
    return {"properties": props}


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    for name, frame in FRAMES.items():
        e.indices.create(index=name, mappings=_mappings(name))
        ops: list[dict[str, Any]] = []
        for i, row in enumerate(frame.to_dict("records")):
            doc = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k != UNMAPPED.get(name)}
            ops += [{"index": {"_index": name, "_id": str(i)}}, doc]
        e.bulk(operations=ops, refresh=True)
    # one index holding the union: what a single index answers for the same documents
    e.indices.create(index="union", mappings=_mappings("union"))
    ops = []
    for name, frame in FRAMES.items():
        for i, row in enumerate(frame.to_dict("records")):
            doc = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k != UNMAPPED.get(name)}
            ops += [{"index": {"_index": "union", "_id": f"{name}-{i}"}}, doc]
    e.bulk(operations=ops, refresh=True)
    e.indices.put_alias(index="ma,mb,mc", name="all_m")
    return e


def _union(field: str, query: Any = None) -> pd.Series:
    parts = [f[field] for n, f in FRAMES.items() if UNMAPPED.get(n) != field]
    return pd.concat(parts, ignore_index=True)


def _aggs(e: Engine, aggs: dict[str, Any], index: str = "ma,mb,mc", **body: Any) -> dict[str, Any]:
    return dict(e.search(index=index, size=0, aggs=aggs, **body)["aggregations"])


# -- metrics ------------------------------------------------------------------------------------------


def test_simple_metrics_over_the_union(engine: Engine) -> None:
    aggs = {
        "avg": {"avg": {"field": "x"}},
        "sum": {"sum": {"field": "n"}},
        "min": {"min": {"field": "x"}},
        "max": {"max": {"field": "n"}},
        "count": {"value_count": {"field": "x"}},
        "stats": {"stats": {"field": "n"}},
        "ext": {"extended_stats": {"field": "x", "sigma": 3}},
    }
    got = _aggs(engine, aggs, index="m*")
    x, n = _union("x").to_numpy(float), _union("n").to_numpy(float)
    assert got["avg"]["value"] == pytest.approx(x.mean(), rel=1e-12)
    assert got["sum"]["value"] == float(n.sum())
    assert got["min"]["value"] == x.min()
    assert got["max"]["value"] == n.max()
    assert got["count"]["value"] == x.size  # ``mc`` lacks ``x``: it adds nothing
    assert got["stats"] == {
        "count": n.size,
        "min": n.min(),
        "max": n.max(),
        "avg": pytest.approx(n.mean(), rel=1e-12),
        "sum": float(n.sum()),
    }
    ext = got["ext"]
    assert ext["count"] == x.size
    assert ext["sum_of_squares"] == pytest.approx(float((x * x).sum()), rel=1e-12)
    assert ext["variance"] == pytest.approx(x.var(), rel=1e-9)
    assert ext["std_deviation_sampling"] == pytest.approx(x.std(ddof=1), rel=1e-9)
    assert ext["std_deviation_bounds"]["upper"] == pytest.approx(x.mean() + 3 * x.std(), rel=1e-9)


def test_metrics_of_a_field_no_index_maps(engine: Engine) -> None:
    got = _aggs(
        engine, {"a": {"avg": {"field": "nope"}}, "m": {"min": {"field": "nope"}}, "s": {"sum": {"field": "nope"}}}
    )
    assert got == {"a": {"value": None}, "m": {"value": None}, "s": {"value": 0.0}}


def test_metrics_under_a_query_and_an_alias(engine: Engine) -> None:
    got = _aggs(engine, {"avg": {"avg": {"field": "n"}}}, index="all_m", query={"term": {"cat": "k03"}})
    n = pd.concat([f.loc[f["cat"] == "k03", "n"] for f in FRAMES.values()])
    assert got["avg"]["value"] == pytest.approx(float(n.mean()), rel=1e-12)


def test_cardinality_is_the_union_of_the_sketches(engine: Engine) -> None:
    aggs = {
        "cats": {"cardinality": {"field": "cat"}},
        "ns": {"cardinality": {"field": "n"}},
        "low": {"cardinality": {"field": "n", "precision_threshold": 100}},
    }
    got = _aggs(engine, aggs)
    assert got["cats"]["value"] == _union("cat").nunique() == 40
    assert got["ns"]["value"] == _union("n").nunique()  # under the default threshold: exact
    union = _aggs(engine, aggs, index="union")
    assert got == union  # above the threshold too: the estimate one index holding every document gives


def test_percentiles_merge_the_digests(engine: Engine) -> None:
    small = {"range": {"n": {"lt": 400}}}  # fewer samples than the hybrid digest keeps exactly (2000)
    got = _aggs(engine, {"p": {"percentiles": {"field": "n", "percents": [1, 25, 50, 99.5]}}}, query=small)
    n = _union("n")
    values = n[n < 400].to_numpy(float)
    assert got["p"]["values"] == {
        k: pytest.approx(float(np.percentile(values, float(k))), rel=1e-12) for k in ("1.0", "25.0", "50.0", "99.5")
    }
    ranks = _aggs(engine, {"r": {"percentile_ranks": {"field": "x", "values": [50.0]}}})
    single = _aggs(engine, {"r": {"percentile_ranks": {"field": "x", "values": [50.0]}}}, index="union")
    assert ranks == single


# -- terms --------------------------------------------------------------------------------------------


def _shard_top(counts: pd.Series, cut: int) -> pd.Series:
    """One shard's answer: its terms by count descending, then key ascending, cut at ``cut``."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return pd.Series(dict(ordered[:cut]), dtype=np.int64)


def _expected_terms(size: int, shard_size: int | None = None, field: str = "cat") -> dict[str, Any]:
    """Elasticsearch's documented terms reduce: per-shard top ``shard_size``, counts added, the final
    top ``size``; ``sum_other_doc_count`` is every document not in the final buckets; the upper bound of
    the error adds each shard's smallest returned count where the shard returned a full ``shard_size``."""
    cut = shard_size if shard_size is not None else int(size * 1.5 + 10)
    total: dict[str, int] = {}
    error = 0
    returned_by: dict[str, set[str]] = {}
    shard_errors: dict[str, int] = {}
    docs = 0
    for name, frame in FRAMES.items():
        counts = frame[field].value_counts()
        docs += int(counts.sum())
        top = _shard_top(counts, cut)
        shard_errors[name] = int(top.min()) if len(top) >= cut else 0
        error += shard_errors[name]
        for key, count in top.items():
            total[key] = total.get(key, 0) + int(count)
            returned_by.setdefault(key, set()).add(name)
    final = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    buckets = [
        {
            "key": k,
            "doc_count": c,
            "doc_count_error_upper_bound": error - sum(shard_errors[n] for n in returned_by[k]),
        }
        for k, c in final
    ]
    return {
        "doc_count_error_upper_bound": error,
        "sum_other_doc_count": docs - sum(c for _, c in final),
        "buckets": buckets,
    }


def test_terms_shard_cut_and_error_bounds(engine: Engine) -> None:
    got = _aggs(engine, {"t": {"terms": {"field": "cat", "size": 3, "show_term_doc_count_error": True}}})
    expected = _expected_terms(3)
    assert expected["doc_count_error_upper_bound"] > 0  # the dataset makes the shard cut matter
    assert got["t"] == expected


def test_terms_explicit_shard_size(engine: Engine) -> None:
    got = _aggs(engine, {"t": {"terms": {"field": "cat", "size": 4, "shard_size": 5}}})
    expected = _expected_terms(4, 5)
    for bucket in expected["buckets"]:
        del bucket["doc_count_error_upper_bound"]
    assert got["t"] == expected


def test_terms_with_every_bucket_returned_are_exact(engine: Engine) -> None:
    got = _aggs(engine, {"t": {"terms": {"field": "cat", "size": 5, "shard_size": 100}}})
    counts = _union("cat").value_counts()
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert got["t"]["doc_count_error_upper_bound"] == 0
    assert [(b["key"], b["doc_count"]) for b in got["t"]["buckets"]] == top
    assert got["t"]["sum_other_doc_count"] == int(counts.sum()) - sum(c for _, c in top)


def test_terms_key_order_and_min_doc_count_after_the_reduce(engine: Engine) -> None:
    counts = _union("cat").value_counts()
    got = _aggs(engine, {"t": {"terms": {"field": "cat", "size": 6, "order": {"_key": "desc"}}}})
    keys = sorted(counts.index, reverse=True)[:6]
    assert [(b["key"], b["doc_count"]) for b in got["t"]["buckets"]] == [(k, int(counts[k])) for k in keys]
    assert got["t"]["doc_count_error_upper_bound"] == 0
    assert got["t"]["sum_other_doc_count"] == int(counts.sum()) - sum(int(counts[k]) for k in keys)
    # ``min_doc_count`` counts the union: a term rare in every index may pass it
    threshold = int(counts.sort_values().iloc[len(counts) // 2])
    got = _aggs(
        engine,
        {"t": {"terms": {"field": "cat", "size": 100, "min_doc_count": threshold, "order": {"_key": "asc"}}}},
    )
    assert [b["key"] for b in got["t"]["buckets"]] == sorted(k for k, c in counts.items() if c >= threshold)


def test_terms_ordered_by_a_sub_aggregation(engine: Engine) -> None:
    aggs = {
        "t": {
            "terms": {"field": "cat", "size": 5, "shard_size": 100, "order": {"top": "desc"}},
            "aggs": {"top": {"max": {"field": "n"}}, "mean": {"avg": {"field": "x"}}},
        }
    }
    got = _aggs(engine, aggs)
    frame = pd.concat([f.assign(x=f["x"] if n != "mc" else np.nan) for n, f in FRAMES.items()])
    per = frame.groupby("cat").agg(top=("n", "max"), mean=("x", "mean"), count=("n", "size")).reset_index()
    per = per.sort_values(["top", "cat"], ascending=[False, True]).head(5)
    assert [b["key"] for b in got["t"]["buckets"]] == per["cat"].tolist()
    assert [b["top"]["value"] for b in got["t"]["buckets"]] == per["top"].astype(float).tolist()
    for bucket, mean in zip(got["t"]["buckets"], per["mean"], strict=True):
        assert bucket["mean"]["value"] == pytest.approx(float(mean), rel=1e-12)
    assert got["t"]["doc_count_error_upper_bound"] == 0  # every shard answered all its 40 terms or fewer


def test_terms_on_a_field_one_index_lacks(engine: Engine) -> None:
    got = _aggs(engine, {"t": {"terms": {"field": "g", "size": 3, "order": {"_key": "asc"}}}})
    assert [b["key"] for b in got["t"]["buckets"]] == [0, 1, 2]
    counts = _union("g").value_counts()
    assert [b["doc_count"] for b in got["t"]["buckets"]] == [int(counts[k]) for k in (0, 1, 2)]


# -- fixed and keyed buckets -------------------------------------------------------------------------


def test_ranges_filters_and_single_buckets(engine: Engine) -> None:
    aggs = {
        "r": {
            "range": {"field": "n", "ranges": [{"to": 100}, {"from": 100, "to": 500}, {"from": 500}]},
            "aggs": {"m": {"avg": {"field": "x"}}},
        },
        "f": {"filters": {"filters": {"low": {"range": {"n": {"lt": 10}}}, "k01": {"term": {"cat": "k01"}}}}},
        "one": {"filter": {"term": {"cat": "k02"}}, "aggs": {"s": {"sum": {"field": "n"}}}},
        "gone": {"missing": {"field": "x"}},
    }
    got = _aggs(engine, aggs)
    frame = pd.concat([f.assign(x=f["x"] if n != "mc" else np.nan) for n, f in FRAMES.items()])
    for bucket, (lo, hi) in zip(got["r"]["buckets"], [(-math.inf, 100), (100, 500), (500, math.inf)], strict=True):
        inside = frame[(frame["n"] >= lo) & (frame["n"] < hi)]
        assert bucket["doc_count"] == len(inside)
        assert bucket["m"]["value"] == pytest.approx(float(inside["x"].mean()), rel=1e-12)
    assert got["f"]["buckets"] == {
        "k01": {"doc_count": int((frame["cat"] == "k01").sum())},
        "low": {"doc_count": int((frame["n"] < 10).sum())},
    }
    assert got["one"] == {
        "doc_count": int((frame["cat"] == "k02").sum()),
        "s": {"value": float(frame.loc[frame["cat"] == "k02", "n"].sum())},
    }
    assert got["gone"] == {"doc_count": _SIZES["mc"]}


def test_date_range_keys_print_once(engine: Engine) -> None:
    aggs = {"d": {"date_range": {"field": "ts", "ranges": [{"to": "2024-02-01"}, {"from": "2024-02-01"}]}}}
    got = _aggs(engine, aggs)
    ts = _union("ts")
    cut = 1_706_745_600_000
    assert [b["key"] for b in got["d"]["buckets"]] == ["*-2024-02-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z-*"]
    assert [b["doc_count"] for b in got["d"]["buckets"]] == [int((ts < cut).sum()), int((ts >= cut).sum())]


# -- histograms --------------------------------------------------------------------------------------


def test_histogram_fills_the_gap_between_indices(engine: Engine) -> None:
    aggs = {
        "h": {
            "histogram": {"field": "g", "interval": 10, "extended_bounds": {"min": -10, "max": 90}},
            "aggs": {"c": {"value_count": {"field": "g"}}},
        }
    }
    got = _aggs(engine, aggs)
    g = _union("g")
    keys = np.arange(-10, 100, 10)
    counts = [int(((g >= k) & (g < k + 10)).sum()) for k in keys]
    assert [b["key"] for b in got["h"]["buckets"]] == keys.astype(float).tolist()
    assert [b["doc_count"] for b in got["h"]["buckets"]] == counts
    assert counts[4:6] == [0, 0]  # 30..49: no index holds them (``ma`` 0..19, ``mc`` 60..79)
    assert [b["c"]["value"] for b in got["h"]["buckets"]] == counts


def test_histogram_min_doc_count_counts_the_union(engine: Engine) -> None:
    got = _aggs(engine, {"h": {"histogram": {"field": "n", "interval": 1, "min_doc_count": 6}}})
    counts = _union("n").value_counts()
    wanted = sorted(int(k) for k, c in counts.items() if c >= 6)
    per_index_max = {k: max(int((f["n"] == k).sum()) for f in FRAMES.values()) for k in wanted}
    assert any(v < 6 for v in per_index_max.values())  # some keys pass only once the indices are added
    assert [int(b["key"]) for b in got["h"]["buckets"]] == wanted
    assert [b["doc_count"] for b in got["h"]["buckets"]] == [int(counts[k]) for k in wanted]


def test_date_histogram_with_a_cumulative_sum_run_once(engine: Engine) -> None:
    aggs = {
        "months": {
            "date_histogram": {"field": "ts", "calendar_interval": "month"},
            "aggs": {"s": {"sum": {"field": "n"}}, "running": {"cumulative_sum": {"buckets_path": "s"}}},
        },
        "best": {"max_bucket": {"buckets_path": "months>s"}},
    }
    got = _aggs(engine, aggs)
    frame = pd.concat(FRAMES.values())
    months = pd.to_datetime(frame["ts"], unit="ms").dt.to_period("M")
    per = frame.groupby(months)["n"].agg(["size", "sum"])
    span = pd.period_range(per.index.min(), per.index.max(), freq="M")
    per = per.reindex(span, fill_value=0)
    buckets = got["months"]["buckets"]
    assert [b["key_as_string"][:7] for b in buckets] == [str(p) for p in span]
    assert [b["doc_count"] for b in buckets] == per["size"].tolist()
    assert [b["running"]["value"] for b in buckets] == per["sum"].cumsum().astype(float).tolist()
    best = per["sum"].idxmax()
    assert got["best"]["value"] == float(per["sum"].max())
    assert got["best"]["keys"] == [b["key_as_string"] for b in buckets if b["key_as_string"][:7] == str(best)]


def test_bucket_sort_runs_after_the_reduce(engine: Engine) -> None:
    aggs = {
        "t": {
            "terms": {"field": "cat", "size": 40},
            "aggs": {"s": {"sum": {"field": "n"}}, "sorted": {"bucket_sort": {"sort": [{"s": "desc"}], "size": 3}}},
        }
    }
    got = _aggs(engine, aggs)
    frame = pd.concat(FRAMES.values())
    per = frame.groupby("cat")["n"].sum().sort_values(ascending=False).head(3)
    assert [b["key"] for b in got["t"]["buckets"]] == per.index.tolist()


# -- top_hits -----------------------------------------------------------------------------------------


def test_top_hits_merge_by_score_then_index_order(engine: Engine) -> None:
    query = {"function_score": {"query": {"match_all": {}}, "field_value_factor": {"field": "n"}}}
    aggs = {"best": {"top_hits": {"size": 6, "_source": ["n"]}}, "tie": {"top_hits": {"from": 2, "size": 3}}}
    got = _aggs(engine, aggs, query=query)
    rows = [(int(v), pos, i, name) for pos, (name, f) in enumerate(FRAMES.items()) for i, v in enumerate(f["n"])]
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    hits = got["best"]["hits"]
    assert hits["total"] == {"value": sum(_SIZES.values()), "relation": "eq"}
    assert hits["max_score"] == float(rows[0][0])
    assert [(h["_index"], h["_id"], h["_score"]) for h in hits["hits"]] == [
        (name, str(i), float(v)) for v, _, i, name in rows[:6]
    ]
    assert [h["_id"] for h in got["tie"]["hits"]["hits"]] == [str(i) for _, _, i, _ in rows[2:5]]


def test_top_hits_ties_keep_index_order_then_rank(engine: Engine) -> None:
    query = {"constant_score": {"filter": {"term": {"cat": "k00"}}}}
    got = _aggs(engine, {"t": {"top_hits": {"size": 2}}}, index="mc,ma", query=query)
    first = [(name, str(i)) for name in ("ma", "mc") for i in FRAMES[name].index[FRAMES[name]["cat"] == "k00"]]
    assert [(h["_index"], h["_id"]) for h in got["t"]["hits"]["hits"]] == first[:2]


# -- printing, mappings, refusals --------------------------------------------------------------------


def test_typed_keys_and_meta(engine: Engine) -> None:
    resp = engine.search(
        index="ma,mc",
        size=0,
        typed_keys=True,
        aggs={
            "t": {"terms": {"field": "cat", "size": 1}, "meta": {"m": 1}, "aggs": {"a": {"avg": {"field": "n"}}}},
            "d": {"terms": {"field": "x", "size": 1}},
        },
    )
    aggs = resp["aggregations"]
    assert set(aggs) == {"sterms#t", "dterms#d"}
    assert aggs["sterms#t"]["meta"] == {"m": 1}
    assert set(aggs["sterms#t"]["buckets"][0]) == {"key", "doc_count", "avg#a"}


def test_hits_and_aggregations_together(engine: Engine) -> None:
    resp = engine.search(index="ma,mb", size=2, aggs={"c": {"value_count": {"field": "n"}}})
    assert list(resp.body)[-1] == "aggregations" and list(resp.body).index("hits") < list(resp.body).index(
        "aggregations"
    )
    assert len(resp["hits"]["hits"]) == 2
    assert resp["aggregations"]["c"]["value"] == _SIZES["ma"] + _SIZES["mb"]


def test_terms_over_a_field_of_two_types_fails_the_reduce() -> None:
    e = Engine()
    e.indices.create(index="s1", mappings={"properties": {"f": {"type": "keyword"}}})
    e.indices.create(index="s2", mappings={"properties": {"f": {"type": "long"}}})
    e.index(index="s1", document={"f": "a"}, refresh=True)
    e.index(index="s2", document={"f": 1}, refresh=True)
    with pytest.raises(BadRequestError) as info:
        e.search(index="s1,s2", aggs={"t": {"terms": {"field": "f"}}})
    cause = info.value.body["error"]["caused_by"]
    assert cause["type"] == "illegal_argument_exception"
    assert cause["reason"] == (
        "Merging/Reducing the aggregations failed when computing the aggregation [t] because the field you gave "
        "in the aggregation query existed as two different types in two different indices"
    )
    # a metric over a keyword in one index: that index's shard fails and is reported, the other answers
    # (tests/aggregations/test_reduce_shard_failures.py)
    resp = e.search(index="s1,s2", aggs={"m": {"max": {"field": "f"}}})
    assert resp["_shards"]["failures"][0]["reason"] == {
        "type": "illegal_argument_exception",
        "reason": "Field [f] of type [keyword] is not supported for aggregation [max]",
    }
    assert resp["aggregations"] == {"m": {"value": 1.0}}


def test_significant_terms_and_sorted_top_hits_reduce(engine: Engine) -> None:
    """Reduced, no longer refused (``test_reduce_significant_terms.py``, ``test_reduce_top_hits_sort.py``
    check them in depth): here the union's ``bg_count`` and the top ``n`` over the three indices."""
    aggs = {"s": {"significant_terms": {"field": "cat"}}, "h": {"top_hits": {"sort": [{"n": "desc"}], "size": 2}}}
    got = _aggs(engine, aggs, query={"term": {"cat": "k03"}})
    assert got["s"]["bg_count"] == sum(_SIZES.values())
    assert got["s"]["buckets"][0]["key"] == "k03"
    best = max(int(v) for f in FRAMES.values() for v in f.loc[f["cat"] == "k03", "n"])
    assert got["h"]["hits"]["hits"][0]["sort"] == [best]


def test_terms_count_ascending_has_an_unbounded_error(engine: Engine) -> None:
    aggs = {"t": {"terms": {"field": "cat", "size": 3, "order": {"_count": "asc"}, "show_term_doc_count_error": True}}}
    got = _aggs(engine, aggs)["t"]
    assert got["doc_count_error_upper_bound"] == -1  # the shards cut an ascending order: no bound
    assert {b["doc_count_error_upper_bound"] for b in got["buckets"]} == {-1}
    counts: dict[str, int] = {}
    for frame in FRAMES.values():  # each shard's 3 * 1.5 + 10 = 14 rarest terms
        top = sorted(frame["cat"].value_counts().items(), key=lambda kv: (kv[1], kv[0]))[:14]
        for key, count in top:
            counts[key] = counts.get(key, 0) + int(count)
    expected = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))[:3]
    assert [(b["key"], b["doc_count"]) for b in got["buckets"]] == expected


def _small_engine() -> Engine:
    e = Engine()
    mappings = {
        "properties": {"ip": {"type": "ip"}, "items": {"type": "nested", "properties": {"v": {"type": "long"}}}}
    }
    docs: dict[str, list[dict[str, Any]]] = {
        "p1": [{"ip": "10.0.0.5", "items": [{"v": 1}, {"v": 2}]}, {"ip": "10.0.1.9", "items": [{"v": 3}]}],
        "p2": [{"ip": "10.0.0.7", "items": [{"v": 10}]}, {"ip": "192.168.1.1"}, {"ip": "10.0.1.1"}],
    }
    for name, rows in docs.items():
        e.indices.create(index=name, mappings=mappings)
        for i, doc in enumerate(rows):
            e.index(index=name, id=str(i), document=doc)
        e.indices.refresh(index=name)
    return e


def test_ip_range_ip_prefix_and_nested_reduce() -> None:
    e = _small_engine()
    aggs = {
        "r": {"ip_range": {"field": "ip", "ranges": [{"to": "10.0.1.0"}, {"from": "10.0.1.0"}]}},
        "p": {"ip_prefix": {"field": "ip", "prefix_length": 24, "min_doc_count": 2}},
        "n": {"nested": {"path": "items"}, "aggs": {"s": {"sum": {"field": "items.v"}}}},
    }
    got = dict(e.search(index="p1,p2", size=0, aggs=aggs)["aggregations"])
    assert got["r"]["buckets"] == [
        {"key": "*-10.0.1.0", "to": "10.0.1.0", "doc_count": 2},
        {"key": "10.0.1.0-*", "from": "10.0.1.0", "doc_count": 3},
    ]
    # two networks hold two documents once both indices are added (one each): ``min_doc_count`` after the reduce
    assert [(b["key"], b["doc_count"]) for b in got["p"]["buckets"]] == [("10.0.0.0", 2), ("10.0.1.0", 2)]
    assert got["n"] == {"doc_count": 4, "s": {"value": 16.0}}


def test_date_histogram_over_date_and_date_nanos_indices() -> None:
    """``search/240_date_nanos.yml`` (its ``date_histogram`` case runs over ``date*``: both indices)."""
    e = Engine()
    e.indices.create(index="date_ns", mappings={"properties": {"date": {"type": "date_nanos"}}})
    e.indices.create(index="date_ms", mappings={"properties": {"date": {"type": "date"}}})
    ops: list[dict[str, Any]] = []
    for index, doc_id, when in (
        ("date_ns", "date_ns_1", "2018-10-29T12:12:12.123456789Z"),
        ("date_ms", "date_ms_1", "2018-10-29T12:12:12.987Z"),
        ("date_ns", "date_ns_2", "2018-10-30T12:12:12.123456789Z"),
        ("date_ms", "date_ms_2", "2018-10-30T12:12:12.987Z"),
    ):
        ops += [{"index": {"_index": index, "_id": doc_id}}, {"date": when}]
    e.bulk(operations=ops, refresh=True)
    resp = e.search(
        index="date*", size=0, aggs={"date": {"date_histogram": {"field": "date", "calendar_interval": "1d"}}}
    )
    assert [(b["key"], b["key_as_string"], b["doc_count"]) for b in resp["aggregations"]["date"]["buckets"]] == [
        (1540771200000, "2018-10-29T00:00:00.000Z", 2),
        (1540857600000, "2018-10-30T00:00:00.000Z", 2),
    ]


def test_terms_over_long_and_double_promote_the_keys() -> None:
    e = Engine()
    e.indices.create(index="l1", mappings={"properties": {"f": {"type": "long"}}})
    e.indices.create(index="d1", mappings={"properties": {"f": {"type": "double"}}})
    e.bulk(
        operations=[
            {"index": {"_index": "l1"}},
            {"f": 1},
            {"index": {"_index": "l1"}},
            {"f": 2},
            {"index": {"_index": "d1"}},
            {"f": 1.0},
            {"index": {"_index": "d1"}},
            {"f": 1.5},
        ],
        refresh=True,
    )
    resp = e.search(index="l1,d1", size=0, typed_keys=True, aggs={"t": {"terms": {"field": "f"}}})
    assert resp["aggregations"]["dterms#t"]["buckets"] == [
        {"key": 1.0, "doc_count": 2},
        {"key": 1.5, "doc_count": 1},
        {"key": 2.0, "doc_count": 1},
    ]
