"""``query_string`` and ``simple_query_string`` against Lucene's own parsers on CISI.

The goldens (``tests/goldens/query_string/golden.json``) come from ``tools/lucene-oracle-ext/query_string``:
Lucene 8.8.1's ``QueryParser`` with default field ``text`` and the standard analyzer (no stop words, as
Elasticsearch's ``standard``), searched with ``LegacyBM25Similarity`` (Elasticsearch's default). With one
default field Elasticsearch's ``QueryStringQueryParser`` builds the same trees as Lucene's base parser for
every syntax here, so hit order, scores (1e-5 relative) and totals must agree. The ``simple`` cases run
Lucene's ``SimpleQueryParser`` over the one field ``text`` (its ``flags`` as given); with one field and
lower-case text, Elasticsearch's ``SimpleQueryStringQueryParser`` builds the same trees.
"""

from __future__ import annotations

import pytest

from retrievo import Engine
from tests.goldens_io import index_cisi, read_golden

GOLDEN = read_golden("query_string", "golden.json")


@pytest.fixture(scope="module")
def cisi() -> Engine:
    return index_cisi()


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["id"] for c in GOLDEN["cases"]])
def test_matches_lucene(cisi: Engine, case: dict) -> None:
    if case["parser"] == "simple":
        body = {"query": case["query"], "fields": ["text"], "default_operator": case["default_operator"]}
        query = {"simple_query_string": {**body, "flags": case["flags"]}}
    else:
        body = {
            "query": case["query"],
            "default_field": "text",
            "default_operator": case["default_operator"],
            "phrase_slop": case["phrase_slop"],
        }
        query = {"query_string": body}
    resp = cisi.search(index="cisi", query=query, size=10, track_total_hits=True)
    assert resp["hits"]["total"]["value"] == case["total"], case["lucene"]
    got = [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]
    assert [i for i, _ in got] == [i for i, _ in case["hits"]], case["lucene"]
    for (_, score), (_, expected) in zip(got, case["hits"]):
        assert score == pytest.approx(expected, rel=1e-5), case["lucene"]
