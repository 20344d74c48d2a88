"""``boosting`` and ``terms_set`` through the official client.

``boosting`` is Lucene's ``FunctionScoreQuery.boostByQuery``: the positive query's score times
``negative_boost`` where the negative query matches (in double, rounded once), times the query's boost.
``terms_set`` is Lucene's ``CoveringQuery``: the sum of the matching term queries' scores — the same double
sum a ``bool`` of ``should`` term clauses gives, which is the independent reference here — for documents
matching at least the required number of terms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from elasticsearch import BadRequestError

from retrievo import Engine
from tests.function_score.conftest import f32, indexed

F32 = np.float32
INDEX = "bt"
DOCS: dict[str, dict[str, Any]] = {
    "1": {"title": "apple pie recipe", "codes": ["abc", "def"], "required": 2},
    "2": {"title": "apple juice", "codes": ["abc"], "required": 1},
    "3": {"title": "apple apple tart", "codes": ["abc", "def", "ghi"], "required": 3},
    "4": {"title": "pie chart", "codes": ["ghi", "xyz"], "required": 0},
    "5": {"title": "pear pie", "codes": ["def", "ghi"]},
}


@pytest.fixture(scope="module")
def es() -> Engine:
    properties = {"title": {"type": "text"}, "codes": {"type": "keyword"}, "required": {"type": "long"}}
    return indexed(INDEX, properties, DOCS)


def scores(es: Engine, query: dict[str, Any]) -> dict[str, float]:
    resp = es.search(index=INDEX, query=query, size=20)
    return {h["_id"]: h["_score"] for h in resp["hits"]["hits"]}


@pytest.mark.parametrize("boost", [1.0, 3.0])
def test_boosting_scores(es: Engine, boost: float) -> None:
    positive = {"match": {"title": "apple pie"}}
    negative = {"term": {"codes": "def"}}
    base = scores(es, positive)
    query = {"boosting": {"positive": positive, "negative": negative, "negative_boost": 0.2, "boost": boost}}
    got = scores(es, query)
    assert set(got) == set(base)
    for doc_id, sub in base.items():
        factor = float(F32(0.2)) if "def" in DOCS[doc_id]["codes"] else 1.0
        assert got[doc_id] == f32(float(F32(sub)) * factor * boost), doc_id


def test_boosting_explanation(es: Engine) -> None:
    query = {
        "boosting": {
            "positive": {"match": {"title": "apple"}},
            "negative": {"term": {"codes": "def"}},
            "negative_boost": 0.5,
        }
    }
    hits = {h["_id"]: h for h in es.search(index=INDEX, query=query, explain=True)["hits"]["hits"]}
    # Lucene 8.8's own wording (checked with its FunctionScoreQuery.boostByQuery)
    top = "weight(FunctionScoreQuery(title:apple, scored by boost(queryboost(score(codes:def))^0.5))), result of:"
    demoted = hits["1"]["_explanation"]
    assert demoted["description"] == top
    product = demoted["details"][0]
    assert product["description"] == "product of:"
    assert product["details"][1] == {
        "value": 0.5,
        "description": "Matched boosting query score(codes:def)",
        "details": [],
    }
    assert np.float32(product["value"]) == np.float32(hits["1"]["_score"])
    kept = hits["2"]["_explanation"]
    assert kept["description"] == top
    assert kept["details"][0]["description"].startswith("weight(title:apple in ")
    boosted = {**query["boosting"], "boost": 2}
    hit = es.search(index=INDEX, query={"boosting": boosted}, explain=True)["hits"]["hits"][0]
    assert hit["_explanation"]["description"].endswith("), product of:")
    assert hit["_explanation"]["details"][0] == {"value": 2.0, "description": "boost", "details": []}
    assert hit["_explanation"]["value"] == hit["_score"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"negative": {"match_all": {}}, "negative_boost": 0.5}, "[boosting] query requires 'positive' query"),
        ({"positive": {"match_all": {}}, "negative_boost": 0.5}, "[boosting] query requires 'negative' query"),
        (
            {"positive": {"match_all": {}}, "negative": {"match_all": {}}},
            "[boosting] query requires 'negative_boost' to be set to be a positive value'",
        ),
        (
            {"positive": {"match_all": {}}, "negative": {"match_all": {}}, "x": 1},
            "[boosting] query does not support [x]",
        ),
    ],
)
def test_boosting_parse_errors(es: Engine, body: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index=INDEX, query={"boosting": body})
    assert message in str(err.value.body)


TERMS = ["abc", "def", "ghi"]


def _should(terms: list[str], boost: float = 1.0) -> dict[str, Any]:
    return {"bool": {"should": [{"term": {"codes": {"value": t, "boost": boost}}} for t in terms]}}


def test_terms_set_with_field(es: Engine) -> None:
    """Matches need ``max(1, required)`` terms; a document without ``required`` never matches."""
    got = scores(es, {"terms_set": {"codes": {"terms": TERMS, "minimum_should_match_field": "required"}}})
    reference = scores(es, _should(TERMS))
    expected_ids = {
        d
        for d, doc in DOCS.items()
        if "required" in doc and len(set(doc["codes"]) & set(TERMS)) >= max(1, doc["required"])
    }
    assert set(got) == expected_ids == {"1", "2", "3", "4"}
    assert got == {d: reference[d] for d in expected_ids}


@pytest.mark.parametrize(("msm", "need"), [(2, 2), ("2", 2), ("67%", 2), ("-1", 2), (1, 1)])
def test_terms_set_with_minimum_should_match(es: Engine, msm: Any, need: int) -> None:
    got = scores(es, {"terms_set": {"codes": {"terms": TERMS, "minimum_should_match": msm, "boost": 2}}})
    reference = scores(es, _should(TERMS, 2.0))
    expected = {d for d, doc in DOCS.items() if len(set(doc["codes"]) & set(TERMS)) >= need}
    assert got == {d: reference[d] for d in expected}


def test_terms_set_explanation(es: Engine) -> None:
    query = {"terms_set": {"codes": {"terms": TERMS, "minimum_should_match_field": "required"}}}
    hits = {h["_id"]: h for h in es.search(index=INDEX, query=query, explain=True)["hits"]["hits"]}
    expl = hits["1"]["_explanation"]
    assert expl["description"] == "2 matches for 2 required matches, sum of:"
    assert expl["value"] == hits["1"]["_score"]
    assert len(expl["details"]) == 3  # the miss on "ghi" is listed too
    assert expl["details"][2]["value"] == 0.0


def test_terms_set_errors(es: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index=INDEX, query={"terms_set": {"codes": {"terms": TERMS, "minimum_should_match_field": "nope"}}})
    assert "failed to find minimum_should_match field [nope]" in str(err.value.body)
    with pytest.raises(BadRequestError) as err:
        es.search(
            index=INDEX,
            query={"terms_set": {"codes": {"terms": TERMS, "minimum_should_match_script": {"source": "2"}}}},
        )
    assert "is not supported in retrievo" in str(err.value.body)
    with pytest.raises(BadRequestError) as err:
        es.search(index=INDEX, query={"terms_set": {"codes": {"terms": TERMS, "foo": 1}}})
    assert "[terms_set] query does not support [foo]" in str(err.value.body)
    empty = {"terms_set": {"codes": {"terms": [], "minimum_should_match_field": "required"}}}
    assert es.search(index=INDEX, query=empty)["hits"]["total"]["value"] == 0
