"""The compact posting layout (issue 18 item 4): scores, phrases and statistics unchanged.

The memory-saving paths normally engage only on large fields (per-posting scores computed per slice
above ``UNIT_SCORES_CACHE_LIMIT`` postings, merges and impact bounds built in chunks); here their
thresholds are lowered so that CISI goes through them, and Lucene 8.8.1's goldens must still match bit
for bit. Phrase positions, stored implicitly while every document's are 0 .. n-1, are checked against
matches worked out by hand, across refreshes and against a multi-valued field's position gap."""

from __future__ import annotations

import json

import numpy as np
import pytest

import retrievo.index.impacts as impacts
import retrievo.index.inverted as inverted
import retrievo.index.postings_merge as postings_merge
from retrievo import Engine
from retrievo.index.posting_views import UnitScoresView
from tests.conftest import shared_path
from tests.test_bm25_golden import GOLDENS, _bits


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(inverted, "UNIT_SCORES_CACHE_LIMIT", 0)
    monkeypatch.setattr(impacts, "_CHUNK", 997)
    monkeypatch.setattr(postings_merge, "CHUNK", 1009)


def test_cisi_goldens_bit_exact_through_the_compact_paths(tiny_chunks):
    golden = json.loads((GOLDENS / "golden.standard.json").read_text())
    es = Engine()
    es.indices.create(index="cisi", mappings=golden["mapping"])
    docs = [json.loads(line) for line in shared_path("fixtures", "cisi", "corpus.jsonl").read_text().splitlines()]
    for start in range(0, len(docs), 400):  # several refreshes: each merges the snapshot with new postings
        ops: list[dict] = []
        for doc in docs[start : start + 400]:
            doc = dict(doc)
            doc_id = doc.pop("_id")
            doc.pop("bib", None)
            ops += [{"index": {"_index": "cisi", "_id": doc_id}}, doc]
        assert not es.bulk(operations=ops, refresh=True)["errors"]
    inv = es.catalog.shards["cisi"].searcher().inverted("title")
    assert isinstance(inv.unit_scores, UnitScoresView)
    for field, stats in golden["field_stats"].items():
        f = es.catalog.shards["cisi"].searcher().inverted(field)
        assert (f.doc_count, f.sum_total_term_freq, f.sum_doc_freq) == (
            stats["doc_count"],
            stats["sum_total_term_freq"],
            stats["sum_doc_freq"],
        )
    compared = 0
    for case in golden["results"]:
        resp = es.search(index="cisi", query=case["query"], size=golden["top_n"], track_total_hits=True, _source=False)
        assert resp["hits"]["total"]["value"] == case["total_hits"], case["id"]
        hits = resp["hits"]["hits"]
        assert [h["_id"] for h in hits] == [h["_id"] for h in case["hits"]], case["id"]
        for h, w in zip(hits, case["hits"]):
            assert _bits(h["_score"]) == w["score_bits"], (case["id"], h["_id"])
            compared += 1
    assert compared > 1000


def test_impact_bounds_round_the_best_posting_up_per_block(tiny_chunks):
    es = Engine()
    es.indices.create(index="t", mappings={"properties": {"text": {"type": "text"}}})
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(50)]
    ops: list[dict] = []
    for i in range(3000):
        n = int(rng.integers(1, 30))
        ops += [{"index": {"_index": "t", "_id": str(i)}}, {"text": " ".join(rng.choice(words, n))}]
    es.bulk(operations=ops, refresh=True)
    inv = es.catalog.shards["t"].searcher().inverted("text")
    imp = inv.impacts
    # independent reference: every posting's freq * normInverse from the norm bytes and the 256 table
    x = inv.freqs.astype(np.float32) * inv.norm_cache[inv.norms[inv.docs]]
    for tid in range(len(inv.terms)):
        lo, hi = int(inv.offsets[tid]), int(inv.offsets[tid + 1])
        blocks = inv.docs[lo:hi] >> imp.shift
        want_blocks = np.unique(blocks)
        want_max = np.array([x[lo:hi][blocks == b].max() for b in want_blocks], dtype=np.float32)
        e0, e1 = int(imp.offsets[tid]), int(imp.offsets[tid + 1])
        assert np.array_equal(imp.blocks[e0:e1], want_blocks)
        # kept as the smallest float16 at or above it (found among every finite float16, ascending)
        assert np.array_equal(imp.max_x[e0:e1], _HALVES[np.searchsorted(_HALVES, want_max, side="left")])


#: Every non-negative finite float16, ascending, as float32 (the reference for rounded-up bounds).
_HALVES = np.unique(np.arange(0, 0x7C00, dtype=np.uint16).view(np.float16).astype(np.float32))


def _phrase_ids(es: Engine, text: str, slop: int = 0) -> list[str]:
    resp = es.search(index="p", query={"match_phrase": {"body": {"query": text, "slop": slop}}}, size=20)
    return sorted(h["_id"] for h in resp["hits"]["hits"])


def test_phrases_over_implicit_then_explicit_positions():
    es = Engine()
    es.indices.create(index="p", mappings={"properties": {"body": {"type": "text"}}})
    es.index(index="p", id="1", document={"body": "red fox jumps"})
    es.index(index="p", id="2", document={"body": "fox red jumps"}, refresh=True)
    inv = es.catalog.shards["p"].searcher().inverted("body")
    assert inv.fwd_pos.size == 0 and inv.fwd_tids.size == 6  # implicit 0 .. n-1
    assert _phrase_ids(es, "red fox") == ["1"]
    assert _phrase_ids(es, "fox jumps") == ["1"]
    # an array: the second value starts 100 positions (position_increment_gap) after the first ends
    es.index(index="p", id="3", document={"body": ["quick red", "fox jumps"]})
    es.index(index="p", id="4", document={"body": "jumps red fox"}, refresh=True)
    inv = es.catalog.shards["p"].searcher().inverted("body")
    assert inv.fwd_pos.size == inv.fwd_tids.size == 13
    assert _phrase_ids(es, "red fox") == ["1", "4"]  # not 3: "red" at 1, "fox" at 102
    assert _phrase_ids(es, "fox jumps") == ["1", "3"]
    # "fox red" (doc 2) needs slop 2; doc 3's "red" at 1 and "fox" at 102 need slop 100
    assert _phrase_ids(es, "red fox", slop=99) == ["1", "2", "4"]
    assert _phrase_ids(es, "red fox", slop=100) == ["1", "2", "3", "4"]
    assert _phrase_ids(es, "quick red") == ["3"]
    # a later refresh of plain values keeps the written-out positions of the older documents
    es.index(index="p", id="5", document={"body": "red fox"}, refresh=True)
    assert _phrase_ids(es, "red fox") == ["1", "4", "5"]
    assert _phrase_ids(es, "jumps red") == ["4"]
    assert _phrase_ids(es, "red jumps") == ["2"]


def test_explicit_positions_in_the_same_batch_as_implicit_ones():
    es = Engine()
    es.indices.create(index="p", mappings={"properties": {"body": {"type": "text"}}})
    ops = [
        {"index": {"_index": "p", "_id": "1"}},
        {"body": "a b c"},
        {"index": {"_index": "p", "_id": "2"}},
        {"body": ["a", "b c"]},
        {"index": {"_index": "p", "_id": "3"}},
        {"body": "c b a"},
    ]
    es.bulk(operations=ops, refresh=True)
    assert _phrase_ids(es, "a b") == ["1"]
    assert _phrase_ids(es, "b c") == ["1", "2"]
    assert _phrase_ids(es, "b a") == ["3"]
