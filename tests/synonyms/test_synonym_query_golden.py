"""Search-time synonyms against Lucene 8.8.1: the query ``QueryBuilder`` builds over a synonym analyzer
(``SynonymQuery``, ``analyzeMultiBoolean``, ``analyzeGraphBoolean``, ``MultiPhraseQuery``, graph phrases:
sloppy phrases, or span queries without slop) and its
hits, scores (bit for bit), totals and top explanation, with ``LegacyBM25Similarity`` on CISI's ``text``.

Goldens: ``tests/goldens/synonym_query/golden.json`` from ``tools/lucene-oracle-ext/synonym_query``
(the cases are in its ``cases.json``). Every case's analyzer is a custom analyzer of one index, picked
with the query's ``analyzer`` parameter, as a ``search_analyzer`` would be."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from tests.goldens_io import index_cisi, read_golden

GOLDEN = read_golden("synonym_query", "golden.json")


def _analysis() -> dict[str, Any]:
    filters, analyzers = {}, {}
    for i, g in enumerate(GOLDEN):
        case = g["case"]
        kind = "synonym_graph" if case.get("graph", True) else "synonym"
        filters[f"syn{i}"] = {"type": kind, "synonyms": case["synonyms"], "expand": case.get("expand", True)}
        analyzers[f"an{i}"] = {"tokenizer": "standard", "filter": ["lowercase", f"syn{i}"]}
    return {"analysis": {"filter": filters, "analyzer": analyzers}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return index_cisi({"properties": {"text": {"type": "text"}}}, fields=("text",), settings=_analysis())


def _query(i: int, case: dict[str, Any]) -> dict[str, Any]:
    if case.get("phrase"):
        return {"match_phrase": {"text": {"query": case["query"], "analyzer": f"an{i}", "slop": case.get("slop", 0)}}}
    body: dict[str, Any] = {"query": case["query"], "analyzer": f"an{i}", "operator": case.get("operator", "or")}
    if "msm" in case:
        body["minimum_should_match"] = case["msm"]
    if case.get("auto_phrase") is False:
        body["auto_generate_synonyms_phrase_query"] = False
    return {"match": {"text": body}}


#: The profile prints the rewritten query: Lucene's ``BooleanQuery.rewrite`` flattens a nested pure
#: disjunction (a graph's paths) into a pure-disjunction parent. Scores are unchanged (checked above).
REWRITTEN = {
    "graph-or-phrases": 'text:"information retrieval" text:ir text:systems',
    "graph-or-bools": "(+text:information +text:retrieval) text:ir text:systems",
    "graph-mixed": 'Synonym(text:libraries text:library) text:"information retrieval" text:ir',
}


def _bits(x: float) -> str:
    return f"{np.float32(x).view(np.uint32):08x}"


def _normalise(e: dict[str, Any]) -> dict[str, Any]:
    """Lucene's explanation as Elasticsearch prints it: the similarity is ``PerFieldSimilarity``."""
    return {
        "value": _bits(e["value"]),
        "description": e["description"].replace("[LegacyBM25Similarity]", "[PerFieldSimilarity]"),
        "details": [_normalise(d) for d in e["details"]],
    }


@pytest.mark.parametrize("i", range(len(GOLDEN)), ids=[g["id"] for g in GOLDEN])
def test_synonym_queries_match_lucene(engine: Engine, i: int) -> None:
    golden = GOLDEN[i]
    query = _query(i, golden["case"])
    resp = engine.search(index="cisi", query=query, size=20, track_total_hits=True, profile=True)
    assert resp["hits"]["total"]["value"] == golden["total"]
    got = [(h["_id"], _bits(h["_score"])) for h in resp["hits"]["hits"]]
    assert got == [(h["_id"], _bits(h["score"])) for h in golden["hits"]]
    want = REWRITTEN.get(golden["id"], golden["lucene_query"])
    assert resp["profile"]["shards"][0]["searches"][0]["query"][0]["description"] == want
    if "explain_id" in golden:  # the top hit's explanation
        explained = engine.explain(index="cisi", id=golden["explain_id"], query=query)["explanation"]
        assert _normalise(explained) == _normalise(golden["explain"])
