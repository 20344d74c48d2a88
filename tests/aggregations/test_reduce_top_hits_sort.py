"""``top_hits`` with a ``sort`` over several indices and over the shards of one index: each shard returns
its first ``from + size`` hits in sort order and the coordinator merges them on their raw sort values
(``InternalTopHits.reduce`` → Lucene's ``TopDocs.merge`` with the sort's comparators), equal values by
shard, then doc id. The expected orders are built here with plain Python sorts over the documents (stable
sorts, least significant key first: the shard/doc tie order, then each key)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from agg_helpers import load_rows, sharded_and_split
from retrievo import Engine
from retrievo.index.routing import default_routing_num_shards, shard_for

Row = dict[str, Any]
_DAY = 86_400_000
_START = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MAPPINGS = {
    "properties": {
        "n": {"type": "long"},
        "k": {"type": "keyword"},
        "ts": {"type": "date"},
        "ip": {"type": "ip"},
        "g": {"type": "keyword"},
    }
}


def _rows(seed: int, count: int) -> list[Row]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        row: Row = {
            "id": f"{seed}-{i}",
            "n": int(rng.integers(0, 12)),  # many ties
            "ts": _START + int(rng.integers(0, 400)) * _DAY,  # dd.MM.yyyy text order is not time order
            "ip": f"10.0.{int(rng.integers(0, 3))}.{int(rng.integers(0, 40))}",  # 10.0.0.9 < 10.0.0.10
            "g": "even" if i % 2 == 0 else "odd",
        }
        if rng.random() < 0.8:
            row["k"] = f"k{int(rng.integers(0, 30)):02d}"
        out.append(row)
    return out


PARTS = {"t1": _rows(11, 40), "t2": _rows(12, 30), "t3": _rows(13, 25)}


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    for name, rows in PARTS.items():
        load_rows(e, name, MAPPINGS, rows)
    return e


def _union(parts: dict[str, list[Row]]) -> list[tuple[str, Row]]:
    """Every document with its index, in the coordinator's tie order: index (shard) order, then doc id."""
    return [(name, r) for name in sorted(parts) for r in parts[name]]


def _ordered(rows: list[tuple[str, Row]], keys: list[tuple[Callable[[Row], Any], bool]]) -> list[tuple[str, Row]]:
    """``rows`` sorted by ``keys`` ((value, descending) pairs, most significant first), ties kept."""
    out = list(rows)
    for value, desc in reversed(keys):
        out.sort(key=lambda item, v=value: v(item[1]), reverse=desc)  # type: ignore[misc]
    return out


def _top(e: Engine, index: str, top_hits: dict[str, Any], **body: Any) -> dict[str, Any]:
    resp = e.search(index=index, size=0, aggs={"t": {"top_hits": top_hits}}, **body)
    return dict(resp["aggregations"]["t"]["hits"])


def _ids(hits: dict[str, Any]) -> list[tuple[str, str]]:
    return [(h["_index"], h["_id"]) for h in hits["hits"]]


def test_a_long_sort_with_ties_and_paging(engine: Engine) -> None:
    got = _top(engine, "t1,t2,t3", {"sort": [{"n": "desc"}], "from": 3, "size": 7, "_source": False})
    want = _ordered(_union(PARTS), [(lambda r: r["n"], True)])[3:10]
    assert _ids(got) == [(i, r["id"]) for i, r in want]
    assert [h["sort"] for h in got["hits"]] == [[r["n"]] for _, r in want]
    assert [h["_score"] for h in got["hits"]] == [None] * 7
    assert got["total"] == {"value": 95, "relation": "eq"} and got["max_score"] is None


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_a_keyword_sort_keeps_missing_values_last(engine: Engine, order: str) -> None:
    got = _top(engine, "t1,t2,t3", {"sort": [{"k": {"order": order}}], "size": 100})
    rows = _union(PARTS)
    present = _ordered([x for x in rows if "k" in x[1]], [(lambda r: r["k"], order == "desc")])
    want = present + [x for x in rows if "k" not in x[1]]
    assert _ids(got) == [(i, r["id"]) for i, r in want]
    assert [h["sort"] for h in got["hits"]][-1] == [None]


def test_a_formatted_date_sort_merges_on_the_dates_not_their_text(engine: Engine) -> None:
    sort = [{"ts": {"order": "asc", "format": "dd.MM.yyyy"}}, {"n": "desc"}]
    got = _top(engine, "t1,t2,t3", {"sort": sort, "size": 12})
    want = _ordered(_union(PARTS), [(lambda r: r["ts"], False), (lambda r: r["n"], True)])[:12]
    assert _ids(got) == [(i, r["id"]) for i, r in want]
    shown = [datetime.fromtimestamp(r["ts"] / 1000, tz=UTC).strftime("%d.%m.%Y") for _, r in want]
    assert [h["sort"] for h in got["hits"]] == [[d, r["n"]] for d, (_, r) in zip(shown, want, strict=True)]


def test_an_ip_sort_merges_on_the_addresses(engine: Engine) -> None:
    got = _top(engine, "t1,t2,t3", {"sort": [{"ip": "desc"}], "size": 15})
    want = _ordered(_union(PARTS), [(lambda r: ipaddress.ip_address(r["ip"]), True)])[:15]
    assert _ids(got) == [(i, r["id"]) for i, r in want]
    assert [h["sort"] for h in got["hits"]] == [[r["ip"]] for _, r in want]


def test_a_score_sort_then_a_field(engine: Engine) -> None:
    query = {
        "function_score": {"query": {"match_all": {}}, "field_value_factor": {"field": "n"}, "boost_mode": "replace"}
    }
    top = {"sort": [{"_score": "desc"}, {"ts": "asc"}], "size": 6, "track_scores": True}
    got = _top(engine, "t1,t2,t3", top, query=query)
    want = _ordered(_union(PARTS), [(lambda r: r["n"], True), (lambda r: r["ts"], False)])[:6]
    assert _ids(got) == [(i, r["id"]) for i, r in want]
    assert [h["_score"] for h in got["hits"]] == [float(r["n"]) for _, r in want]
    assert got["max_score"] == float(max(r["n"] for rows in PARTS.values() for r in rows))


def test_under_a_terms_bucket(engine: Engine) -> None:
    aggs = {"g": {"terms": {"field": "g"}, "aggs": {"t": {"top_hits": {"sort": [{"n": "asc"}, {"k": "desc"}]}}}}}
    resp = engine.search(index="t3,t1", size=0, aggs=aggs)
    for bucket in resp["aggregations"]["g"]["buckets"]:
        parts = {name: [r for r in PARTS[name] if r["g"] == bucket["key"]] for name in ("t1", "t3")}
        rows = _ordered(_union(parts), [(lambda r: r["n"], False), (lambda r: r.get("k") or "", True)])
        assert _ids(bucket["t"]["hits"]) == [(i, r["id"]) for i, r in rows[:3]]


# -- one index of three shards = its shards as three indices ------------------------------------------

SHARDS = 3
ALL_ROWS = [r for name in sorted(PARTS) for r in PARTS[name]]
SHARD_OF = {r["id"]: shard_for(r["id"], None, SHARDS, default_routing_num_shards(SHARDS)) for r in ALL_ROWS}


@pytest.fixture(scope="module")
def sharded() -> Engine:
    return sharded_and_split(MAPPINGS, ALL_ROWS, SHARD_OF, SHARDS)


@pytest.mark.parametrize(
    "top",
    [
        {"sort": [{"n": "desc"}], "size": 10, "from": 2},
        {"sort": [{"k": "asc"}, {"ip": "asc"}], "size": 20},
        {"sort": [{"ts": {"order": "desc", "format": "dd.MM.yyyy"}}], "size": 5},
    ],
    ids=["long", "keyword_ip", "date_format"],
)
def test_a_sharded_index_reduces_its_shards(sharded: Engine, top: dict[str, Any]) -> None:
    got = _top(sharded, "all", top)
    want = _top(sharded, "s0,s1,s2", top)
    for hit in want["hits"]:
        hit["_index"] = "all"
    assert got == want
    if top["sort"] == [{"n": "desc"}]:  # one numeric key: the whole order is known independently
        by_shard = {f"s{s}": [r for r in ALL_ROWS if SHARD_OF[r["id"]] == s] for s in range(SHARDS)}
        rows = _ordered(_union(by_shard), [(lambda r: r["n"], True)])
        assert [h["_id"] for h in got["hits"]] == [r["id"] for _, r in rows[2:12]]
