"""``more_like_this`` with like texts over one field against Lucene 8.8.1's ``MoreLikeThis`` over CISI.

The goldens (``tests/goldens/more_like_this/``) come from ``tools/lucene-oracle-ext/more_like_this``: Lucene's
term selection (ClassicSimilarity idf, ``tf × idf``, a priority queue of ``max_query_terms`` fed in Java
``HashMap`` order, ties decided by the heap) is what Elasticsearch's ``XMoreLikeThis`` does for one field;
the query is scored with ``LegacyBM25Similarity``. Equal selections and bit-exact scores show the term
choice, the boosts (``boost_terms``) and ``minimum_should_match`` all agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from tests.conftest import shared_path

GOLDEN = json.loads((Path(__file__).parents[1] / "goldens" / "more_like_this" / "more_like_this.json").read_text())
MAPPING = {"properties": {f: {"type": "text", "analyzer": "standard"} for f in ("title", "author", "text")}}
PARAMS = ("max_query_terms", "min_term_freq", "min_doc_freq", "max_doc_freq", "min_word_length", "max_word_length")


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
    body: dict[str, Any] = {"fields": [case["field"]], "like": case["like"]}
    body.update({k: case[k] for k in PARAMS if k in case})
    if "stop_words" in case:
        body["stop_words"] = case["stop_words"]
    if "boost_terms" in case:
        body["boost_terms"] = case["boost_terms"]
    body["minimum_should_match"] = str(case.get("msm", 0))
    return {"more_like_this": body}


@pytest.mark.parametrize("result", GOLDEN, ids=[r["case"]["id"] for r in GOLDEN])
def test_matches_lucene(cisi: Engine, result: dict[str, Any]) -> None:
    resp = cisi.search(index="cisi", query=_query(result["case"]), size=20, track_total_hits=True)
    assert resp["hits"]["total"]["value"] == result["total"]
    got = [(h["_id"], np.float32(h["_score"])) for h in resp["hits"]["hits"]]
    want = [(i, np.float32(s)) for i, s in result["hits"]]
    assert [s for _, s in got] == [s for _, s in want]  # bit-exact float32 scores, in order
    assert [i for i, _ in got] == [i for i, _ in want]


def test_selected_terms_are_lucenes(cisi: Engine) -> None:
    """The profile shows the compiled query: the same terms, in the heap's pop order, with the same boosts."""
    case = next(r for r in GOLDEN if r["case"]["id"] == "mlt3")
    resp = cisi.search(index="cisi", query=_query(case["case"]), profile=True, size=1)
    desc = resp["profile"]["shards"][0]["searches"][0]["query"][0]["description"]
    assert desc == case["query"]
