"""``more_like_this`` with like texts over one field against Lucene 8.8.1's ``MoreLikeThis`` over CISI.

The goldens (``tests/goldens/more_like_this/``) come from ``tools/lucene-oracle-ext/more_like_this``: Lucene's
term selection (ClassicSimilarity idf, ``tf × idf``, a priority queue of ``max_query_terms`` fed in Java
``HashMap`` order, ties decided by the heap) is what Elasticsearch's ``XMoreLikeThis`` does for one field;
the query is scored with ``LegacyBM25Similarity``. Equal selections and bit-exact scores show the term
choice, the boosts (``boost_terms``) and ``minimum_should_match`` all agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from tests.goldens_io import assert_matches_golden, index_cisi, read_golden

GOLDEN = read_golden("more_like_this", "more_like_this.json")
PARAMS = ("max_query_terms", "min_term_freq", "min_doc_freq", "max_doc_freq", "min_word_length", "max_word_length")


@pytest.fixture(scope="module")
def cisi() -> Engine:
    return index_cisi()


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
    assert_matches_golden(cisi, _query(result["case"]), result)


def test_selected_terms_are_lucenes(cisi: Engine) -> None:
    """The profile shows the compiled query: the same terms, in the heap's pop order, with the same boosts."""
    case = next(r for r in GOLDEN if r["case"]["id"] == "mlt3")
    resp = cisi.search(index="cisi", query=_query(case["case"]), profile=True, size=1)
    desc = resp["profile"]["shards"][0]["searches"][0]["query"][0]["description"]
    assert desc == case["query"]
