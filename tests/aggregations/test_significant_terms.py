"""``significant_terms``: Elasticsearch's ``search.aggregation/30_sig_terms.yml`` and the heuristics checked
against an independent computation (plain Python counting and the published formulas) over a random index.

The YAML's ``text`` field is a ``text`` field with ``fielddata: true``; retrievo has no fielddata, so the
port indexes the same tokens as a multi-valued ``keyword`` field (``"good bad"`` → ``["good", "bad"]``),
which gives the aggregation the same (document, term) pairs.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from elasticsearch import ApiError

from retrievo import Engine


def _goodbad(docs: list[tuple[list[str], str]], index: str = "goodbad") -> Engine:
    es = Engine()
    es.indices.create(index=index, mappings={"properties": {"text": {"type": "keyword"}, "class": {"type": "keyword"}}})
    ops: list[dict[str, Any]] = []
    for i, (text, cls) in enumerate(docs, start=1):
        ops += [{"index": {"_index": index, "_id": str(i)}}, {"text": text, "class": cls}]
    es.bulk(operations=ops, refresh=True)
    return es


GOODBAD = [
    (["good"], "good"),
    (["good"], "good"),
    (["bad"], "bad"),
    (["bad"], "bad"),
    (["good", "bad"], "good"),
    (["good", "bad"], "bad"),
    (["bad"], "bad"),
]


def test_es_yaml_default_index() -> None:
    """30_sig_terms.yml "Default index": per class bucket, the significant term is the class's word."""
    es = _goodbad(GOODBAD)
    aggs = {"class": {"terms": {"field": "class"}, "aggs": {"sig_terms": {"significant_terms": {"field": "text"}}}}}
    resp = es.search(index="goodbad", aggs=aggs, size=0)
    buckets = resp["aggregations"]["class"]["buckets"]
    assert [b["key"] for b in buckets] == ["bad", "good"]
    assert buckets[0]["sig_terms"]["buckets"][0]["key"] == "bad"
    assert buckets[1]["sig_terms"]["buckets"][0]["key"] == "good"
    # the whole response shape, computed by hand for the "bad" bucket (4 docs of 7; "bad" in 4 of them,
    # in 5 of the index): JLH = (4/4 - 5/7) × (4/4) / (5/7)
    sig = buckets[0]["sig_terms"]
    assert (sig["doc_count"], sig["bg_count"]) == (4, 7)
    jlh = (1 - 5 / 7) * (1 / (5 / 7))
    assert sig["buckets"] == [{"key": "bad", "doc_count": 4, "score": pytest.approx(jlh, rel=1e-15), "bg_count": 5}]


def test_es_yaml_background_filter_count() -> None:
    """30_sig_terms.yml "Test background filter count": ``bg_count`` counts the background filter's
    documents (one index here: the YAML's second index holds no ``good`` document)."""
    es = _goodbad([(["good"], "good"), (["good"], "good"), (["bad"], "bad"), (["bad"], "bad")])
    background = {"bool": {"filter": [{"term": {"class": "good"}}]}}
    aggs = {"sig_terms": {"significant_terms": {"field": "text", "background_filter": background}}}
    resp = es.search(index="goodbad", aggs=aggs, size=0)
    assert resp["aggregations"]["sig_terms"]["bg_count"] == 2


def test_es_yaml_misspelled_field_did_you_mean() -> None:
    es = _goodbad(GOODBAD)
    with pytest.raises(ApiError) as info:
        es.search(index="goodbad", aggs={"foo": {"significant_terms": {"field": "foo", "jlp": {}}}})
    assert "[significant_terms] unknown field [jlp] did you mean [jlh]?" in str(info.value.body)


# ----------------------------------------------------------------------- heuristics vs a reference


def _jlh(s: int, ss: int, b: int, bs: int) -> float:
    if ss == 0 or bs == 0 or s == 0:
        return 0.0
    fg, bg = s / ss, b / bs
    return 0.0 if fg - bg <= 0 else (fg - bg) * (fg / bg)


def _nxy(s: int, ss: int, b: int, bs: int) -> tuple[float, ...]:
    # background is a superset: (n00, n01, n10, n11, n0_, n1_, n_0, n_1, n)
    return (bs - b - (ss - s), ss - s, b - s, s, bs - b, b, bs - ss, ss, bs)


def _mi(s: int, ss: int, b: int, bs: int) -> float:
    n00, n01, n10, n11, n0_, n1_, n_0, n_1, n = _nxy(s, ss, b, bs)

    def term(nxy: float, nx: float, ny: float) -> float:
        return 0.0 if nxy == 0 else (nxy / n) * math.log((n * nxy) / (nx * ny))

    score = (term(n00, n0_, n_0) + term(n01, n0_, n_1) + term(n10, n1_, n_0) + term(n11, n1_, n_1)) / math.log(2)
    return -math.inf if n11 / n_1 < n10 / n_0 else score


def _chi(s: int, ss: int, b: int, bs: int) -> float:
    n00, n01, n10, n11, n0_, n1_, n_0, n_1, n = _nxy(s, ss, b, bs)
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


def _pct(s: int, ss: int, b: int, bs: int) -> float:
    return 0.0 if b == 0 else s / b


REFERENCE = {"jlh": _jlh, "mutual_information": _mi, "chi_square": _chi, "gnd": _gnd, "percentage": _pct}


Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def random_index() -> tuple[Engine, Rows]:
    rng = np.random.default_rng(7)
    n = 400
    words = [f"w{i:02d}" for i in range(30)]
    rows = []
    for i in range(n):
        topic = "a" if i % 3 == 0 else "b"
        weights = np.linspace(3, 1, 30) if topic == "a" else np.linspace(1, 3, 30)
        picked = rng.choice(words, size=int(rng.integers(1, 6)), replace=False, p=weights / weights.sum())
        rows.append({"id": str(i), "topic": topic, "tags": sorted(set(picked.tolist()))})
    es = Engine()
    es.indices.create(index="r", mappings={"properties": {"topic": {"type": "keyword"}, "tags": {"type": "keyword"}}})
    ops: list[dict[str, Any]] = []
    for row in rows:
        ops += [{"index": {"_index": "r", "_id": row["id"]}}, {"topic": row["topic"], "tags": row["tags"]}]
    es.bulk(operations=ops, refresh=True)
    return es, rows


@pytest.mark.parametrize("heuristic", sorted(REFERENCE))
def test_heuristics_match_reference(random_index: tuple[Engine, Rows], heuristic: str) -> None:
    es, rows = random_index
    agg = {"significant_terms": {"field": "tags", "size": 50, "min_doc_count": 2, heuristic: {}}}
    resp = es.search(index="r", query={"term": {"topic": "a"}}, aggs={"s": agg}, size=0)
    got = resp["aggregations"]["s"]
    subset_size = sum(1 for r in rows if r["topic"] == "a")
    superset_size = len(rows)
    fg = Counter(t for r in rows if r["topic"] == "a" for t in r["tags"])
    bg = Counter(t for r in rows for t in r["tags"])
    fn = REFERENCE[heuristic]
    expected = []
    for term, s in fg.items():
        score = fn(int(s), subset_size, int(bg[term]), superset_size)
        if score > 0 and s >= 2:
            expected.append((term, int(s), int(bg[term]), score))
    expected.sort(key=lambda t: (-t[3], t[0]))
    assert (got["doc_count"], got["bg_count"]) == (subset_size, superset_size)
    assert [(b["key"], b["doc_count"], b["bg_count"]) for b in got["buckets"]] == [e[:3] for e in expected]
    assert [b["score"] for b in got["buckets"]] == pytest.approx([e[3] for e in expected], rel=1e-12)


def test_size_shard_size_include_exclude(random_index: tuple[Engine, Rows]) -> None:
    es, _ = random_index
    base = {"field": "tags", "min_doc_count": 2}

    def keys(**extra: Any) -> list[str]:
        resp = es.search(
            index="r", query={"term": {"topic": "a"}}, aggs={"s": {"significant_terms": {**base, **extra}}}
        )
        return [b["key"] for b in resp["aggregations"]["s"]["buckets"]]

    top = keys(size=50)
    assert keys(size=3) == top[:3]
    assert keys(size=50, include="w0.*") == [k for k in top if k.startswith("w0")]
    assert keys(size=50, exclude=["w00", "w01"]) == [k for k in top if k not in ("w00", "w01")]
    assert keys(size=2, shard_size=1) == top[:2]  # a shard_size below size is raised to size
    # the shard's cut comes before min_doc_count: with min_doc_count above every count nothing is left
    assert keys(size=50, min_doc_count=10_000) == []


def test_errors(random_index: tuple[Engine, Rows]) -> None:
    es, _ = random_index

    def error(agg: dict[str, Any]) -> ApiError:
        with pytest.raises(ApiError) as info:
            es.search(index="r", aggs={"s": {"significant_terms": agg}})
        return info.value

    err = error({"field": "tags", "script_heuristic": {"script": "1"}})
    assert "is not supported in retrievo" in err.body["error"]["reason"]
    err = error({"field": "tags", "size": 0})
    assert err.body["error"]["caused_by"]["reason"] == "[size] must be greater than 0. Found [0] in [s]"
    # a background that is not a superset of the bucket: the NXY heuristics refuse it unless told
    sig = {"field": "tags", "background_filter": {"term": {"topic": "b"}}, "mutual_information": {}}
    with pytest.raises(ApiError) as info:
        es.search(index="r", query={"term": {"topic": "a"}}, aggs={"s": {"significant_terms": sig}})
    assert info.value.body["error"]["caused_by"]["reason"] == (
        "subsetFreq > supersetFreq, does your background filter not include all documents in the bucket? "
        'If so and it is intentional, set "background_is_superset": false'
    )
    sig["mutual_information"] = {"background_is_superset": False}
    resp = es.search(index="r", query={"term": {"topic": "a"}}, aggs={"s": {"significant_terms": sig}})
    assert resp["aggregations"]["s"]["bg_count"] == sum(1 for i in range(400) if i % 3 != 0)
