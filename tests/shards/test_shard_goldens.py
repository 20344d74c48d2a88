"""Searches over CISI split into 2, 3 and 5 shards, against Lucene (``tests/goldens/shards/golden.json``).

The oracle (``tools/lucene-oracle-ext/shards``) routes each document with Lucene's own
``StringHelper.murmurhash3_x86_32`` as Elasticsearch's ``IndexRouting`` does (by ``_id``, or by the custom
routing every 7th document carries), builds one Lucene index per shard, scores each shard with its own
statistics and merges the shards' top docs with ``TopDocs.merge`` (score, then shard, then the shard's own
order): ``query_then_fetch``. Its ``dfs_query_then_fetch`` scores one index holding every document (global
statistics) and merges the same way, so equal scores still come out shard by shard. A search with
``routing`` is the one shard that value names; a search over two sharded indices merges their shards in
``ShardId`` order (shard number, then index name), under dfs with the statistics of both.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.index.routing import default_routing_num_shards, routing_hash, shard_for
from tests.conftest import shared_path
from tests.goldens_io import CISI_FIELDS, CISI_STANDARD_MAPPING, read_golden

GOLDEN: dict[str, Any] = read_golden("shards", "golden.json")
IDS: list[str] = GOLDEN["ids"]
ROUTING: dict[str, str] = dict(GOLDEN["routing"])
CASES = {c["id"]: c for c in GOLDEN["cases"]}
SHARD_COUNTS = sorted(int(n) for n in GOLDEN["shard_counts"])


def _golden(n: int) -> dict[str, Any]:
    return GOLDEN["shard_counts"][str(n)]


def _index(n: int) -> str:
    return f"cisi{n}"


@pytest.fixture(scope="module")
def engine() -> Engine:
    """One engine with CISI indexed as ``cisi2``, ``cisi3`` and ``cisi5`` (that many shards), every 7th
    document with its custom routing."""
    corpus = shared_path("fixtures", "cisi", "corpus.jsonl")
    docs = [json.loads(line) for line in corpus.read_text().splitlines()]
    e = Engine()
    for n in SHARD_COUNTS:
        e.indices.create(index=_index(n), mappings=CISI_STANDARD_MAPPING, settings={"number_of_shards": n})
        ops: list[dict[str, Any]] = []
        for doc in docs:
            action: dict[str, Any] = {"_index": _index(n), "_id": doc["_id"]}
            if doc["_id"] in ROUTING:
                action["routing"] = ROUTING[doc["_id"]]
            ops += [{"index": action}, {f: doc[f] for f in CISI_FIELDS if f in doc}]
        assert not e.bulk(operations=ops, refresh=True)["errors"]
    return e


def _assert_hits(resp: Any, want: dict[str, Any]) -> None:
    """Same total, same ids in the same order, float32 scores within 1e-5 (relative)."""
    assert resp["hits"]["total"]["value"] == want["total"]
    got = [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]
    assert [i for i, _ in got] == [i for i, _ in want["hits"]]
    for (doc_id, score), (_, expected) in zip(got, want["hits"]):
        assert np.float32(score) == pytest.approx(np.float32(expected), rel=1e-5), doc_id


CASE_PARAMS = [(n, case) for n in SHARD_COUNTS for case in CASES]


@pytest.mark.parametrize(("n", "case"), CASE_PARAMS)
def test_query_then_fetch(engine: Engine, n: int, case: str) -> None:
    c = CASES[case]
    resp = engine.search(index=_index(n), query=c["query"], size=c["size"], track_total_hits=True)
    _assert_hits(resp, _golden(n)["query_then_fetch"][case])


@pytest.mark.parametrize(("n", "case"), CASE_PARAMS)
def test_dfs_query_then_fetch(engine: Engine, n: int, case: str) -> None:
    c = CASES[case]
    resp = engine.search(
        index=_index(n),
        query=c["query"],
        size=c["size"],
        track_total_hits=True,
        search_type="dfs_query_then_fetch",
    )
    _assert_hits(resp, _golden(n)["dfs_query_then_fetch"][case])


def _assert_routed(engine: Engine, n: int, case: str, search_type: str) -> None:
    c = CASES[case]
    shard_of = dict(zip(IDS, _golden(n)["shards"]))
    for value, routed in _golden(n)["routed"].items():
        resp = engine.search(
            index=_index(n),
            query=c["query"],
            size=c["size"],
            track_total_hits=True,
            routing=value,
            search_type=search_type,
        )
        _assert_hits(resp, routed[case])
        assert {shard_of[h["_id"]] for h in resp["hits"]["hits"]} <= {routed["shard"]}
        assert resp["_shards"]["total"] == 1


@pytest.mark.parametrize(("n", "case"), CASE_PARAMS)
def test_search_routing_is_one_shard(engine: Engine, n: int, case: str) -> None:
    """``routing`` on a search: only the shard the value names answers, with its own statistics."""
    _assert_routed(engine, n, case, "query_then_fetch")


@pytest.mark.parametrize("n", SHARD_COUNTS)
def test_search_routing_with_dfs_gathers_the_routed_shards_statistics(engine: Engine, n: int) -> None:
    _assert_routed(engine, n, "term_library", "dfs_query_then_fetch")


@pytest.mark.parametrize("n", SHARD_COUNTS)
@pytest.mark.parametrize("search_type", ["query_then_fetch", "dfs_query_then_fetch"])
def test_explain_names_each_hits_shard(engine: Engine, n: int, search_type: str) -> None:
    """With ``explain`` a hit names its shard (``[index][shard]``) and its explanation's value is its score."""
    shard_of = dict(zip(IDS, _golden(n)["shards"]))
    for case in ("match_or", "bool_must_should", "phrase"):
        c = CASES[case]
        resp = engine.search(index=_index(n), query=c["query"], size=c["size"], explain=True, search_type=search_type)
        _assert_hits_ids(resp, _golden(n)[search_type][case])
        for hit in resp["hits"]["hits"]:
            assert hit["_shard"] == f"[{_index(n)}][{shard_of[hit['_id']]}]"
            assert hit["_explanation"]["value"] == pytest.approx(hit["_score"], rel=1e-6)


@pytest.mark.parametrize("n", SHARD_COUNTS)
@pytest.mark.parametrize("search_type", ["query_then_fetch", "dfs_query_then_fetch"])
def test_from_pages_through_the_merged_hits(engine: Engine, n: int, search_type: str) -> None:
    """Each shard returns its top ``from + size``; the page is cut from the merge."""
    c = CASES["term_title_information"]
    resp = engine.search(index=_index(n), query=c["query"], from_=5, size=10, search_type=search_type)
    want = _golden(n)[search_type]["term_title_information"]["hits"][5:15]
    assert [(h["_id"], np.float32(h["_score"])) for h in resp["hits"]["hits"]] == [(i, np.float32(s)) for i, s in want]


@pytest.mark.parametrize("n", SHARD_COUNTS)
def test_explain_api_uses_the_documents_shard(engine: Engine, n: int) -> None:
    """``_explain`` scores the document on its shard: with its routing it finds the document and explains
    the ``query_then_fetch`` score; without, it looks on the shard the ``_id`` hashes to."""
    g = _golden(n)
    id_shard, shard = dict(zip(IDS, g["id_shards"])), dict(zip(IDS, g["shards"]))
    c = CASES["match_or"]
    for doc_id, score in g["query_then_fetch"]["match_or"]["hits"]:
        resp = engine.explain(index=_index(n), id=doc_id, query=c["query"], routing=ROUTING.get(doc_id))
        assert resp["matched"]
        assert np.float32(resp["explanation"]["value"]) == np.float32(score)
        if doc_id in ROUTING:
            # a document absent from the shard the _id names: 404 with "matched": false, as ES answers
            unrouted = engine.options(ignore_status=404).explain(index=_index(n), id=doc_id, query=c["query"])
            assert unrouted["matched"] == (id_shard[doc_id] == shard[doc_id])


def test_msearch_search_type_per_item(engine: Engine) -> None:
    c = CASES["term_title_information"]
    resp = engine.msearch(
        searches=[
            {"index": _index(3), "search_type": "dfs_query_then_fetch"},
            {"query": c["query"], "size": c["size"], "track_total_hits": True},
            {"index": _index(3)},
            {"query": c["query"], "size": c["size"], "track_total_hits": True},
        ]
    )
    for item, search_type in zip(resp["responses"], ("dfs_query_then_fetch", "query_then_fetch")):
        _assert_hits(item, _golden(3)[search_type]["term_title_information"])


MULTI = GOLDEN["multi_index"]


def _assert_indexed_hits(resp: Any, want: dict[str, Any]) -> None:
    assert resp["hits"]["total"]["value"] == want["total"]
    got = [(h["_index"], h["_id"], np.float32(h["_score"])) for h in resp["hits"]["hits"]]
    assert got == [(i, d, np.float32(s)) for i, d, s in want["hits"]]


@pytest.mark.parametrize("case", list(CASES))
def test_two_sharded_indices_query_then_fetch(engine: Engine, case: str) -> None:
    """One search over cisi2 and cisi3: every shard of both with its own statistics, merged."""
    c = CASES[case]
    resp = engine.search(index=",".join(MULTI["indices"]), query=c["query"], size=c["size"], track_total_hits=True)
    _assert_indexed_hits(resp, MULTI["query_then_fetch"][case])


@pytest.mark.parametrize("case", ["term_library", "match_or", "phrase"])
def test_two_sharded_indices_dfs_statistics_span_both(engine: Engine, case: str) -> None:
    c = CASES[case]
    resp = engine.search(
        index=",".join(MULTI["indices"]),
        query=c["query"],
        size=c["size"],
        track_total_hits=True,
        search_type="dfs_query_then_fetch",
    )
    _assert_indexed_hits(resp, MULTI["dfs_query_then_fetch"][case])


def test_equal_scores_across_indices_merge_shard_number_first() -> None:
    """Two identical 3-shard indices, one document per shard ("5" on 0, "2" on 1, "1" on 2: the oracle's
    murmur3 table), every score equal: the merge takes [a][0], [b][0], [a][1], [b][1], [a][2], [b][2]."""
    e = Engine()
    for name in ("a", "b"):
        e.indices.create(
            index=name, settings={"number_of_shards": 3}, mappings={"properties": {"text": {"type": "text"}}}
        )
        for doc_id in ("1", "2", "5"):
            assert shard_for(doc_id, None, 3, default_routing_num_shards(3)) == {"5": 0, "2": 1, "1": 2}[doc_id]
            e.index(index=name, id=doc_id, document={"text": "fox"})
        e.indices.refresh(index=name)
    resp = e.search(index="a,b", query={"match": {"text": "fox"}}, explain=True)
    assert len({h["_score"] for h in resp["hits"]["hits"]}) == 1
    assert [h["_shard"] for h in resp["hits"]["hits"]] == [f"[{i}][{s}]" for s in range(3) for i in ("a", "b")]


def _assert_hits_ids(resp: Any, want: dict[str, Any]) -> None:
    assert [h["_id"] for h in resp["hits"]["hits"]] == [i for i, _ in want["hits"]]


def test_hits_print_their_custom_routing(engine: Engine) -> None:
    resp = engine.search(index=_index(3), query={"ids": {"values": ["7", "8"]}})
    routing = {h["_id"]: h.get("_routing") for h in resp["hits"]["hits"]}
    assert routing == {"7": ROUTING["7"], "8": None}


@pytest.mark.parametrize("n", SHARD_COUNTS)
def test_routing_num_shards(n: int) -> None:
    assert default_routing_num_shards(n) == _golden(n)["routing_num_shards"]


@pytest.mark.parametrize("n", SHARD_COUNTS)
def test_shard_for_matches_lucene_murmur3(n: int) -> None:
    """``shard_for`` gives every id (and every custom routing) the shard Lucene's murmur3 gave it."""
    g = _golden(n)
    rns = g["routing_num_shards"]
    by_id = [shard_for(i, None, n, rns) for i in IDS]
    assert by_id == g["id_shards"]
    as_indexed = [shard_for(i, ROUTING.get(i), n, rns) for i in IDS]
    assert as_indexed == g["shards"]
    for value, routed in g["routed"].items():
        assert shard_for("ignored", value, n, rns) == routed["shard"]


@pytest.mark.parametrize("n", SHARD_COUNTS)
def test_get_with_routing_finds_the_routed_document(engine: Engine, n: int) -> None:
    """A document indexed with a custom routing is found with it; with only its ``_id`` the get goes to the
    shard its id hashes to, which holds it only where the two shards agree."""
    g = _golden(n)
    id_shard = dict(zip(IDS, g["id_shards"]))
    shard = dict(zip(IDS, g["shards"]))
    for doc_id, value in list(ROUTING.items())[:12]:
        assert engine.get(index=_index(n), id=doc_id, routing=value)["found"]
        found = engine.options(ignore_status=404).get(index=_index(n), id=doc_id)["found"]
        assert found == (id_shard[doc_id] == shard[doc_id])


@pytest.mark.parametrize(("text", "expected"), GOLDEN["hashes"])
def test_routing_hash_matches_lucene(text: str, expected: int) -> None:
    """``Murmur3HashFunction.hash(String)`` on UTF-16 code units, low byte first: a surrogate pair hashes as
    its two units; values from Lucene's ``murmurhash3_x86_32``."""
    assert routing_hash(text) == expected
