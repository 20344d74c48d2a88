"""``combined_fields`` against Lucene 8.8.1's ``BM25FQuery`` over CISI, bit for bit.

The goldens (``tests/goldens/combined_fields/``) come from ``tools/lucene-oracle-ext/combined_fields``: one
``BM25FQuery`` (the sandbox query Lucene 9+ calls ``CombinedFieldQuery``, which Elasticsearch 9 builds) per
analysed token over the weighted fields, joined by a ``BooleanQuery``, on Elasticsearch's
``LegacyBM25Similarity`` scale (a ``BoostQuery`` of 2.2 around ``BM25Similarity``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from tests.conftest import shared_path

GOLDEN_PATH = Path(__file__).parents[1] / "goldens" / "combined_fields" / "combined_fields.json"
GOLDEN = json.loads(GOLDEN_PATH.read_text())
#: Lucene 8.8's BM25FQuery sums only the norms of the fields in which the term occurs (and scores a term
#: found in one field as a plain term query); Lucene 9+'s CombinedFieldQuery, which Elasticsearch 9 runs,
#: sums every field's. They agree when every token occurs in every field, which the oracle records; the
#: other cases are kept in the golden file for reference and checked by hand in test_combined_fields.py.
COMPARABLE = [r for r in GOLDEN if r["every_term_in_every_field"]]
MAPPING = {"properties": {f: {"type": "text", "analyzer": "standard"} for f in ("title", "author", "text")}}


@pytest.fixture(scope="module")
def cisi() -> Engine:
    engine = Engine()
    engine.indices.create(index="cisi", mappings=MAPPING)
    ops: list[dict[str, Any]] = []
    for line in shared_path("fixtures", "cisi", "corpus.jsonl").read_text().splitlines():
        doc = json.loads(line)
        doc_id = doc.pop("_id")
        ops += [
            {"index": {"_index": "cisi", "_id": doc_id}},
            {f: doc[f] for f in ("title", "author", "text") if f in doc},
        ]
    assert not engine.bulk(operations=ops, refresh=True)["errors"]
    return engine


def _query(case: dict[str, Any]) -> dict[str, Any]:
    fields = [f if w == 1 else f"{f}^{w}" for f, w in case["fields"].items()]
    params: dict[str, Any] = {"query": case["query"], "fields": fields, "operator": case.get("operator", "or")}
    if "msm" in case:
        params["minimum_should_match"] = case["msm"]
    if "boost" in case:
        params["boost"] = case["boost"]
    return {"combined_fields": params}


@pytest.mark.parametrize("result", COMPARABLE, ids=[r["case"]["id"] for r in COMPARABLE])
def test_matches_lucene(cisi: Engine, result: dict[str, Any]) -> None:
    resp = cisi.search(index="cisi", query=_query(result["case"]), size=20, track_total_hits=True)
    assert resp["hits"]["total"]["value"] == result["total"]
    got = [(h["_id"], np.float32(h["_score"])) for h in resp["hits"]["hits"]]
    want = [(i, np.float32(s)) for i, s in result["hits"]]
    assert [s for _, s in got] == [s for _, s in want]  # bit-exact float32 scores, in order
    assert [i for i, _ in got] == [i for i, _ in want]  # ties in doc id (corpus) order


def test_explanation_adds_up(cisi: Engine) -> None:
    """The explain API's tree for a combined field query: BM25 over the pseudo field, its value the hit's
    score (golden case cf8: one token, so the query is one ``CombinedFieldQuery``)."""
    case = next(r for r in COMPARABLE if r["case"]["id"] == "cf8")
    doc_id, score = case["hits"][0]
    got = cisi.explain(index="cisi", id=doc_id, query=_query(case["case"]))
    exp = got["explanation"]
    assert np.float32(exp["value"]) == np.float32(score)
    assert exp["description"].startswith("weight(CombinedFieldQuery((text title)(dewey)) in ")
    bm25 = exp["details"][0]
    assert [d["description"].split(",")[0] for d in bm25["details"]] == ["boost", "idf", "tf"]
    boost, idf, tf = (np.float32(d["value"]) for d in bm25["details"])
    assert boost == np.float32(2.2)
    assert np.float32(boost * idf * tf) == pytest.approx(np.float32(score), rel=1e-6)
