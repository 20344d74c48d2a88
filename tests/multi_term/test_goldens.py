"""Fuzzy, wildcard, regexp and prefix queries against Lucene 8.8.1 goldens on CISI (LegacyBM25Similarity):
same total, same top-20 order, scores within 1e-5 (relative), and Lucene's ``toString`` in ``profile``-free
form through ``Engine.plan``-independent checks. The goldens come from ``tools/lucene-oracle-ext/multi_term``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.goldens_io import read_golden

GOLDEN = read_golden("multi_term", "golden.json")


def es_query(case: dict[str, Any]) -> dict[str, Any]:
    """The Elasticsearch query a golden case stands for."""
    body: dict[str, Any] = {"value": case["value"]}
    if case.get("rewrite"):
        body["rewrite"] = case["rewrite"]
    if case.get("case_insensitive"):
        body["case_insensitive"] = True
    if case["type"] == "fuzzy":
        body["fuzziness"] = case.get("max_edits", 2)
        for key in ("prefix_length", "max_expansions", "transpositions"):
            if key in case:
                body[key] = case[key]
    return {case["type"]: {case["field"]: body}}


@pytest.mark.parametrize("result", GOLDEN, ids=[r["case"]["id"] for r in GOLDEN])
def test_golden(cisi, result):
    resp = cisi.search(index="cisi", query=es_query(result["case"]), size=20, track_total_hits=True, _source=False)
    assert resp["hits"]["total"]["value"] == result["total"]
    got = [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]
    assert [g[0] for g in got] == [w[0] for w in result["hits"]]
    for (doc, score), (_, want) in zip(got, result["hits"]):
        assert score == pytest.approx(want, rel=1e-5, abs=1e-7), doc
