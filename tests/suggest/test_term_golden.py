"""The ``term`` suggester against Lucene 8.8.1's ``DirectSpellChecker`` set up as Elasticsearch sets it up
(``tools/lucene-oracle-ext/term_suggest``): the same words, float32 scores and frequencies, in the same
order, over CISI's text field, for every option the suggester takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from tests.goldens_io import index_cisi

RESULTS = json.loads((Path(__file__).parent / "goldens" / "term_suggest.json").read_text())
OPTIONS = (
    "size",
    "suggest_mode",
    "sort",
    "string_distance",
    "max_edits",
    "max_inspections",
    "max_term_freq",
    "prefix_length",
    "min_word_length",
    "min_doc_freq",
    "accuracy",
)


@pytest.fixture(scope="module")
def cisi() -> Engine:
    return index_cisi({"properties": {"text": {"type": "text"}}}, fields=("text",))


@pytest.mark.parametrize("result", RESULTS, ids=[r["case"]["id"] for r in RESULTS])
def test_matches_lucene(cisi: Engine, result: dict[str, Any]) -> None:
    case = result["case"]
    term = {"field": "text", **{k: case[k] for k in OPTIONS if k in case}}
    resp = cisi.search(index="cisi", size=0, suggest={"s": {"text": case["word"], "term": term}})
    (entry,) = resp["suggest"]["s"]
    assert (entry["text"], entry["offset"], entry["length"]) == (case["word"], 0, len(case["word"]))
    got = [(o["text"], np.float32(o["score"]), o["freq"]) for o in entry["options"]]
    want = [(w, np.float32(s), f) for w, s, f in result["options"][: case.get("size", 5)]]
    assert got == want
