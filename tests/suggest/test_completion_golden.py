"""The completion suggester against Lucene 8.8.1's ``NRTSuggester`` (``tools/lucene-oracle-ext/completion``):
the same documents, options, order and scores, for prefix, fuzzy and regex queries, over CISI titles and
authors (cut to ``max_input_length``) and a few hand-made inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine

GOLDENS = Path(__file__).parent / "goldens"
RESULTS = json.loads((GOLDENS / "completion.json").read_text())


@pytest.fixture(scope="module")
def engine() -> Engine:
    es = Engine()
    es.indices.create(index="c", mappings={"properties": {"suggest": {"type": "completion"}}})
    ops: list[dict[str, Any]] = []
    for line in (GOLDENS / "completion_docs.jsonl").read_text().splitlines():
        doc = json.loads(line)
        ops += [{"index": {"_index": "c", "_id": doc.pop("_id")}}, doc]
    assert not es.bulk(operations=ops, refresh=True)["errors"]
    return es


def _request(case: dict[str, Any]) -> dict[str, Any]:
    completion: dict[str, Any] = {"field": "suggest", "size": case["size"]}
    if case.get("skip_duplicates"):
        completion["skip_duplicates"] = True
    if "fuzzy" in case:
        f = case["fuzzy"]
        completion["fuzzy"] = {
            "fuzziness": f.get("edits", 1),
            "transpositions": f.get("transpositions", True),
            "prefix_length": f.get("prefix_length", 1),
            "min_length": f.get("min_length", 3),
        }
    if "regex" in case:
        completion["regex"] = {"flags_value": case.get("flags", 0xFFFF)}
        return {"s": {"regex": case["regex"], "completion": completion}}
    return {"s": {"prefix": case["prefix"], "completion": completion}}


@pytest.mark.parametrize("result", RESULTS, ids=[r["case"]["id"] for r in RESULTS])
def test_matches_lucene(engine: Engine, result: dict[str, Any]) -> None:
    resp = engine.search(index="c", suggest=_request(result["case"]))
    (entry,) = resp["suggest"]["s"]
    typed = result["case"].get("prefix", result["case"].get("regex"))
    assert entry["text"] == typed
    assert entry["offset"] == 0 and entry["length"] == len(typed)
    got = [[o["_id"], o["text"], o["_score"]] for o in entry["options"]]
    assert got == result["options"]
    assert all(o["_index"] == "c" and "suggest" in o["_source"] for o in entry["options"])
