"""``match_phrase_prefix`` and ``match_bool_prefix`` against Lucene 8.8.1 over CISI, bit for bit.

The goldens (``goldens/prefix_queries.json``) come from ``tools/lucene-oracle-ext/prefix_queries``: Lucene's
``MultiPhraseQuery`` built as Elasticsearch's ``MultiPhrasePrefixQuery`` rewrites (the prefix expanded to
at most ``max_expansions`` dictionary terms) and the ``BooleanQuery`` with a trailing constant-score
``PrefixQuery`` that ``match_bool_prefix`` builds, scored with ``LegacyBM25Similarity``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from tests.goldens_io import assert_matches_golden, index_cisi

GOLDEN = json.loads((Path(__file__).parent / "goldens" / "prefix_queries.json").read_text())


@pytest.fixture(scope="module")
def cisi() -> Engine:
    return index_cisi()


def _query(case: dict[str, Any]) -> dict[str, Any]:
    if case["type"] == "phrase_prefix":
        params = {"query": case["text"], "slop": case.get("slop", 0), "max_expansions": case.get("max_expansions", 50)}
        return {"match_phrase_prefix": {case["field"]: params}}
    params = {"query": case["text"], "operator": case.get("operator", "or")}
    if "msm" in case:
        params["minimum_should_match"] = case["msm"]
    return {"match_bool_prefix": {case["field"]: params}}


def _f32(x: float) -> np.float32:
    return np.float32(x)


@pytest.mark.parametrize("result", GOLDEN, ids=[r["case"]["id"] for r in GOLDEN])
def test_matches_lucene(cisi: Engine, result: dict[str, Any]) -> None:
    assert_matches_golden(cisi, _query(result["case"]), result)


def test_multi_match_phrase_prefix_is_best_field(cisi: Engine) -> None:
    """``multi_match`` ``phrase_prefix``: one phrase-prefix query per field under a ``dis_max``; a document
    scores its best field (tie_breaker 0), checked against the single-field goldens."""
    pp7 = next(r for r in GOLDEN if r["case"]["id"] == "pp7")  # title:"automatic ind*"
    q = {"multi_match": {"query": "automatic ind", "type": "phrase_prefix", "fields": ["title", "author"]}}
    resp = cisi.search(index="cisi", query=q, size=20)
    assert [(h["_id"], _f32(h["_score"])) for h in resp["hits"]["hits"]] == [(i, _f32(s)) for i, s in pp7["hits"]]
