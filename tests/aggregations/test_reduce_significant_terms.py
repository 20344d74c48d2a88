"""``significant_terms`` over several indices and over the shards of one index: each shard scores its own
terms against its own sizes and returns its best ``shard_size``; the coordinator sums the subset and
superset sizes of every mapped shard and, for each term, the frequencies of the shards that returned it,
rescores, keeps a positive score and ``min_doc_count``, and cuts at ``size``
(``InternalSignificantTerms.reduce``). The expectations replay that procedure here in plain Python over
the documents (``Counter`` counts, the published heuristic formulas); nothing is read from retrievo."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from agg_helpers import load_rows, sharded_and_split
from retrievo import Engine
from retrievo.index.routing import default_routing_num_shards, shard_for

Row = dict[str, Any]
Score = Callable[[int, int, int, int], float]


def _jlh(s: int, ss: int, b: int, bs: int) -> float:
    if ss == 0 or bs == 0 or s == 0:
        return 0.0
    fg, bg = s / ss, b / bs
    return 0.0 if fg - bg <= 0 else (fg - bg) * (fg / bg)


def _pct(s: int, ss: int, b: int, bs: int) -> float:
    return 0.0 if b == 0 else s / b


def _chi(s: int, ss: int, b: int, bs: int) -> float:
    n11, n01, n10, n00 = s, ss - s, b - s, bs - b - (ss - s)
    n1_, n0_, n_1, n_0, n = b, bs - b, ss, bs - ss, bs
    if n11 / n_1 < n10 / n_0:
        return -math.inf
    return n * (n11 * n00 - n01 * n10) ** 2 / (n_1 * n1_ * n0_ * n_0)


def _gnd(s: int, ss: int, b: int, bs: int) -> float:
    fx, fy, fxy, n = float(b), float(ss), float(s), float(bs)
    if fxy == 0:
        return 0.0
    if fx == fy == fxy:
        return 1.0
    d = (max(math.log(fx), math.log(fy)) - math.log(fxy)) / (math.log(n) - min(math.log(fx), math.log(fy)))
    return math.exp(-d)


HEURISTICS: dict[str, Score] = {"jlh": _jlh, "percentage": _pct, "chi_square": _chi, "gnd": _gnd}
WORDS = [f"w{i:02d}" for i in range(40)]


def _rows(seed: int, n: int, tilt: float) -> list[Row]:
    """``n`` documents; topic ``a`` leans to the low words, ``b`` to the high ones, by ``tilt``."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        topic = "a" if rng.random() < 0.35 else "b"
        slope = np.linspace(tilt, 1, len(WORDS)) if topic == "a" else np.linspace(1, tilt, len(WORDS))
        tags = rng.choice(WORDS, size=int(rng.integers(1, 6)), replace=False, p=slope / slope.sum())
        out.append(
            {"id": f"d{seed}-{i}", "topic": topic, "tags": sorted(tags.tolist()), "n": int(rng.integers(0, 100))}
        )
    return out


PARTS = {"p1": _rows(1, 300, 4.0), "p2": _rows(2, 200, 1.5), "p3": _rows(3, 120, 6.0)}
MAPPINGS = {"properties": {"topic": {"type": "keyword"}, "tags": {"type": "keyword"}, "n": {"type": "long"}}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    for name, rows in PARTS.items():
        load_rows(e, name, MAPPINGS, rows)
    e.indices.create(index="bare", mappings={"properties": {"topic": {"type": "keyword"}}})  # no ``tags``
    e.index(index="bare", document={"topic": "a"}, refresh=True)
    return e


def _replay(
    shards: list[list[Row]],
    *,
    size: int = 10,
    shard_size: int | None = None,
    min_doc_count: int = 3,
    shard_min_doc_count: int = 0,
    score: Score = _jlh,
    subset: Callable[[Row], bool] = lambda r: r["topic"] == "a",
) -> tuple[int, int, list[tuple[str, int, int, float]]]:
    """Elasticsearch's shard cut and reduce, by hand: (doc_count, bg_count, [(key, doc_count, bg_count, score)])."""
    cut = shard_size if shard_size is not None else 2 * int(size * 1.5 + 10)
    cut = max(cut, size)
    shard_min = min(shard_min_doc_count, min_doc_count)
    sub_total = sup_total = 0
    sub_df: Counter[str] = Counter()
    sup_df: Counter[str] = Counter()
    for rows in shards:
        inside = [r for r in rows if subset(r)]
        ss, bs = len(inside), len(rows)
        sub_total, sup_total = sub_total + ss, sup_total + bs
        fg = Counter(t for r in inside for t in r["tags"])
        bg = Counter(t for r in rows for t in r["tags"])
        ranked = sorted((t for t in fg if fg[t] >= shard_min), key=lambda t: (-score(fg[t], ss, bg[t], bs), t))
        for t in ranked[:cut]:  # what this shard returns; the others' counts of a term it cut never arrive
            sub_df[t] += fg[t]
            sup_df[t] += bg[t]
    rescored = [(t, sub_df[t], sup_df[t], score(sub_df[t], sub_total, sup_df[t], sup_total)) for t in sub_df]
    kept = sorted((x for x in rescored if x[3] > 0 and x[1] >= min_doc_count), key=lambda x: (-x[3], x[0]))
    return sub_total, sup_total, kept[:size]


def _check(got: dict[str, Any], want: tuple[int, int, list[tuple[str, int, int, float]]]) -> None:
    assert (got["doc_count"], got["bg_count"]) == want[:2]
    assert [(b["key"], b["doc_count"], b["bg_count"]) for b in got["buckets"]] == [w[:3] for w in want[2]]
    assert [b["score"] for b in got["buckets"]] == pytest.approx([w[3] for w in want[2]], rel=1e-12)


def _sig(e: Engine, index: str, agg: dict[str, Any], query: Any = None) -> dict[str, Any]:
    query = query or {"term": {"topic": "a"}}
    resp = e.search(index=index, size=0, query=query, aggs={"s": {"significant_terms": {"field": "tags", **agg}}})
    return dict(resp["aggregations"]["s"])


@pytest.mark.parametrize("heuristic", sorted(HEURISTICS))
def test_the_reduce_rescores_the_summed_counts(engine: Engine, heuristic: str) -> None:
    got = _sig(engine, "p1,p2,p3", {"size": 8, heuristic: {}})
    _check(got, _replay(list(PARTS.values()), size=8, score=HEURISTICS[heuristic]))


def test_a_small_shard_size_loses_the_counts_of_the_shards_that_cut_a_term(engine: Engine) -> None:
    agg = {"size": 4, "shard_size": 4, "min_doc_count": 1}
    want = _replay(list(PARTS.values()), size=4, shard_size=4, min_doc_count=1)
    _check(_sig(engine, "p1,p2,p3", agg), want)
    exact = _replay(list(PARTS.values()), size=4, shard_size=len(WORDS), min_doc_count=1)
    assert want[2] != exact[2]  # the cut matters here: a term's frequencies are partial


def test_min_doc_count_applies_after_the_sum_shard_min_doc_count_before(engine: Engine) -> None:
    # every shard holds few documents of a word, the union enough: min_doc_count counts the union
    agg = {"size": 40, "min_doc_count": 25, "shard_min_doc_count": 6}
    want = _replay(list(PARTS.values()), size=40, min_doc_count=25, shard_min_doc_count=6)
    assert want[2]
    _check(_sig(engine, "p1,p2,p3", agg), want)


def test_an_index_without_the_field_adds_no_sizes(engine: Engine) -> None:
    """``bare`` does not map ``tags``: its ``UnmappedSignificantTerms`` never leads and adds nothing, not
    even its matching document to ``doc_count``."""
    got = _sig(engine, "p2,bare", {"size": 5})
    _check(got, _replay([PARTS["p2"]], size=5))
    alone = engine.search(index="bare", size=0, aggs={"s": {"significant_terms": {"field": "tags"}}})
    assert alone["aggregations"]["s"] == {"buckets": []}


def test_sub_aggregations_and_typed_keys(engine: Engine) -> None:
    aggs = {"s": {"significant_terms": {"field": "tags", "size": 3}, "aggs": {"mx": {"max": {"field": "n"}}}}}
    resp = engine.search(index="p1,p3", size=0, typed_keys=True, query={"term": {"topic": "a"}}, aggs=aggs)
    got = resp["aggregations"]["sigsterms#s"]
    want = _replay([PARTS["p1"], PARTS["p3"]], size=3)
    assert [b["key"] for b in got["buckets"]] == [w[0] for w in want[2]]
    for bucket in got["buckets"]:
        values = [r["n"] for p in ("p1", "p3") for r in PARTS[p] if r["topic"] == "a" and bucket["key"] in r["tags"]]
        assert bucket["max#mx"] == {"value": float(max(values))}
    numeric = engine.search(
        index="p1,p2", size=0, typed_keys=True, aggs={"l": {"significant_terms": {"field": "n", "min_doc_count": 1}}}
    )
    assert "siglterms#l" in numeric["aggregations"]


def test_under_a_terms_bucket(engine: Engine) -> None:
    aggs = {"t": {"terms": {"field": "topic"}, "aggs": {"s": {"significant_terms": {"field": "tags", "size": 3}}}}}
    resp = engine.search(index="p1,p2,p3", size=0, aggs=aggs)
    for bucket in resp["aggregations"]["t"]["buckets"]:
        topic: str = bucket["key"]

        def in_topic(row: Row, topic: str = topic) -> bool:
            return bool(row["topic"] == topic)

        want = _replay(list(PARTS.values()), size=3, subset=in_topic)
        _check(bucket["s"], want)


def test_es_yaml_background_filter_count_over_two_indices() -> None:
    """30_sig_terms.yml "Test background filter count": ``goodbad-2`` maps ``text`` but holds none; the
    background (``class: good``) counts two documents over both indices."""
    e = Engine()
    for index in ("goodbad", "goodbad-2"):
        e.indices.create(
            index=index, mappings={"properties": {"text": {"type": "keyword"}, "class": {"type": "keyword"}}}
        )
    e.index(index="goodbad-2", id="1", document={"class": "bad"})
    e.index(index="goodbad-2", id="2", document={"class": "bad"})
    for i, (text, cls) in enumerate([("good", "good"), ("good", "good"), ("bad", "bad"), ("bad", "bad")], start=1):
        e.index(index="goodbad", id=str(i), document={"text": text, "class": cls})
    e.indices.refresh(index="goodbad,goodbad-2")
    assert e.search(index="goodbad*")["hits"]["total"]["value"] == 6
    background = {"bool": {"filter": [{"term": {"class": "good"}}]}}
    aggs = {"sig_terms": {"significant_terms": {"field": "text", "background_filter": background}}}
    resp = e.search(index="goodbad*", aggs=aggs)
    assert resp["aggregations"]["sig_terms"]["bg_count"] == 2
    assert resp["aggregations"]["sig_terms"]["doc_count"] == 6


# -- one index of three shards = its shards as three indices ------------------------------------------

SHARDS = 3
ALL_ROWS = [r for rows in PARTS.values() for r in rows]
SHARD_OF = {r["id"]: shard_for(r["id"], None, SHARDS, default_routing_num_shards(SHARDS)) for r in ALL_ROWS}


@pytest.fixture(scope="module")
def sharded() -> Engine:
    return sharded_and_split(MAPPINGS, ALL_ROWS, SHARD_OF, SHARDS)


@pytest.mark.parametrize(
    "agg",
    [{"size": 6}, {"size": 3, "shard_size": 3, "min_doc_count": 1}, {"size": 10, "chi_square": {}}],
    ids=["default", "small_shard_size", "chi_square"],
)
def test_a_sharded_index_reduces_its_shards(sharded: Engine, agg: dict[str, Any]) -> None:
    got = _sig(sharded, "all", agg)
    assert got == _sig(sharded, "s0,s1,s2", agg)
    shards = [[r for r in ALL_ROWS if SHARD_OF[r["id"]] == s] for s in range(SHARDS)]
    score = _chi if "chi_square" in agg else _jlh
    kwargs = {k: v for k, v in agg.items() if k in ("size", "shard_size", "min_doc_count")}
    _check(got, _replay(shards, score=score, **kwargs))
