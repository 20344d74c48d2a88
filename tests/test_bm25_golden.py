"""Lucene 8.8.1 goldens on CISI with Elasticsearch's default similarity, ``LegacyBM25Similarity``:
identical hit order and scores (bit-exact is the aim; the contract is |Δ| ≤ 1e-5 × score), for the
standard and the english analyzer.

The goldens in ``tests/goldens/lucene_legacy_bm25/`` come from the shared Lucene oracle with its searcher
set to ``LegacyBM25Similarity`` (``tools/lucene-oracle-ext``, ``ORACLE_SIMILARITY=legacy``); the shared
``fixtures/lucene-bm25`` goldens were made with plain ``BM25Similarity``, which Elasticsearch's scores are
2.2 times (ES's YAML tests pin the legacy scale). The corpus still comes from ``../shared``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retrievo import Engine
from tests.conftest import shared_path

GOLDENS = Path(__file__).parent / "goldens" / "lucene_legacy_bm25"


def _load(analyzer: str) -> tuple[Engine, dict]:
    golden = json.loads((GOLDENS / f"golden.{analyzer}.json").read_text())
    corpus = shared_path("fixtures", "cisi", "corpus.jsonl")
    engine = Engine()
    engine.indices.create(index="cisi", mappings=golden["mapping"])
    ops: list[dict] = []
    for line in corpus.read_text().splitlines():
        doc = json.loads(line)
        doc_id = doc.pop("_id")
        doc.pop("bib", None)  # unmapped in the goldens (ES would map it dynamically; Lucene's oracle does not)
        ops += [{"index": {"_index": "cisi", "_id": doc_id}}, doc]
    resp = engine.bulk(operations=ops, refresh=True)
    assert not resp["errors"]
    return engine, golden


@pytest.fixture(scope="module", params=["standard", "english"])
def loaded(request):
    return _load(request.param)


def _bits(score: float) -> str:
    return f"{np.array([score], dtype=np.float32).view(np.uint32)[0]:08x}"


def test_field_statistics_match_lucene(loaded):
    engine, golden = loaded
    searcher = engine.catalog.shards["cisi"].searcher()
    for field, stats in golden["field_stats"].items():
        inv = searcher.inverted(field)
        assert inv.doc_count == stats["doc_count"], field
        assert inv.sum_total_term_freq == stats["sum_total_term_freq"], field
        assert inv.sum_doc_freq == stats["sum_doc_freq"], field
        assert len(inv.terms) == stats["unique_terms"], field
        assert float(inv.avgdl) == pytest.approx(stats["avgdl"], rel=1e-7), field


def test_every_golden_query(loaded):
    engine, golden = loaded
    failures = []
    exact = compared = 0
    for case in golden["results"]:
        resp = engine.search(
            index="cisi", query=case["query"], size=golden["top_n"], track_total_hits=True, _source=False
        )
        hits = resp["hits"]["hits"]
        if resp["hits"]["total"]["value"] != case["total_hits"]:
            failures.append(f"{case['id']}: total {resp['hits']['total']['value']} != {case['total_hits']}")
            continue
        got_ids = [h["_id"] for h in hits]
        want_ids = [h["_id"] for h in case["hits"]]
        if got_ids != want_ids:
            failures.append(f"{case['id']}: ids {got_ids[:5]}... != {want_ids[:5]}...")
            continue
        for h, w in zip(hits, case["hits"]):
            compared += 1
            want = float(np.float32(w["score"]))
            if abs(h["_score"] - want) > 1e-5 * want:
                failures.append(f"{case['id']}: doc {h['_id']} score {h['_score']} != {want}")
            exact += _bits(h["_score"]) == w["score_bits"]
    assert not failures, "\n".join(failures[:20])
    assert compared > 1000
    assert exact == compared, f"only {exact}/{compared} scores bit-identical to Lucene"


def test_explanation_top_value_equals_score(loaded):
    engine, golden = loaded
    case = golden["results"][0]
    resp = engine.search(index="cisi", query=case["query"], size=3, explain=True)
    for hit in resp["hits"]["hits"]:
        assert hit["_explanation"]["value"] == hit["_score"]
    top = resp["hits"]["hits"][0]["_explanation"]
    want = case["hits"][0]["explanation"]
    assert top["description"] == want["description"]
    assert len(top["details"]) == len(want["details"])
    assert sorted(d["value"] for d in top["details"]) == pytest.approx(sorted(d["value"] for d in want["details"]))
