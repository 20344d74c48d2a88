"""``rank_feature`` queries against Lucene 8.8.1's ``FeatureField`` queries, bit for bit.

The goldens (``goldens/feature_field.json``) come from ``tools/lucene-oracle-ext/feature_field``: Lucene
indexes the same documents as ``FeatureField``s the way Elasticsearch indexes ``rank_feature`` (field
``_feature``, feature = field name; ``url_length`` has ``positive_score_impact: false`` so 1/value is
indexed) and ``rank_features`` (``tags``), and runs each function with and without a boost. The default
saturation pivot (computed from the index statistics) is read from the rewritten query's text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrievo import Engine

GOLDEN = json.loads((Path(__file__).parent / "goldens" / "feature_field.json").read_text())

# The documents of FeatureOracle.java (url_length as written: the oracle indexes its inverse).
DOCS = {
    "1": {"pagerank": 10, "url_length": 50, "tags": {"foo": 3, "bar": 5}},
    "2": {"pagerank": 100, "url_length": 20, "tags": {"bar": 6, "quux": 10}},
    "3": {"pagerank": 0.1, "url_length": 7, "tags": {"foo": 0.3, "bar": 1234.5678}},
    "4": {"pagerank": 3.3, "url_length": 1000, "tags": {"quux": 0.001}},
    "5": {"pagerank": 77777.7, "url_length": 3, "tags": {"bar": 0.7}},
}

FUNCTIONS: dict[str, dict[str, Any]] = {
    "saturation": {},
    "saturation_pivot_20": {"saturation": {"pivot": 20}},
    "log_3": {"log": {"scaling_factor": 3}},
    "sigmoid_20_0.6": {"sigmoid": {"pivot": 20, "exponent": 0.6}},
    "linear": {"linear": {}},
    "saturation_pivot_2.5_boost_1.7": {"saturation": {"pivot": 2.5}, "boost": 1.7},
    "log_1.5_boost_3": {"log": {"scaling_factor": 1.5}, "boost": 3},
    "sigmoid_7_1.3_boost_0.4": {"sigmoid": {"pivot": 7, "exponent": 1.3}, "boost": 0.4},
    "linear_boost_2": {"linear": {}, "boost": 2},
}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="features",
        mappings={
            "properties": {
                "pagerank": {"type": "rank_feature"},
                "url_length": {"type": "rank_feature", "positive_score_impact": False},
                "tags": {"type": "rank_features"},
            }
        },
    )
    for doc_id, doc in DOCS.items():
        engine.index(index="features", id=doc_id, document=doc)
    engine.indices.refresh(index="features")
    return engine


def _cases() -> list[Any]:
    return [pytest.param(c, id=f"{c['field']}-{c['function']}") for c in GOLDEN["cases"]]


@pytest.mark.parametrize("case", _cases())
def test_scores_match_lucene(es: Engine, case: dict[str, Any]) -> None:
    if case["field"] == "url_length" and case["function"].startswith("log"):
        pytest.skip("Elasticsearch refuses [log] on a negative score impact (tested separately)")
    query = {"rank_feature": {"field": case["field"], **FUNCTIONS[case["function"]]}}
    resp = es.search(index="features", query=query, explain=True, size=10)
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == [h["id"] for h in case["hits"]]
    for got, want in zip(hits, case["hits"]):
        bits = int(np.array(got["_score"], dtype=np.float32).view(np.int32))
        assert bits == want["bits"], (got["_id"], got["_score"], want["score"])
        assert got["_explanation"]["description"] == want["explanation"]
        assert got["_explanation"]["value"] == got["_score"]


def test_default_pivot_is_lucenes(es: Engine) -> None:
    """The saturation pivot computed from the index (mean encoded frequency, decoded) is Lucene's."""
    for case in GOLDEN["cases"]:
        if case["function"] != "saturation":
            continue
        want = float(re.search(r"pivot=([^)]+)\)", case["query"]).group(1))  # type: ignore[union-attr]
        resp = es.search(index="features", query={"rank_feature": {"field": case["field"]}}, explain=True)
        details = resp["hits"]["hits"][0]["_explanation"]["details"]
        pivot = next(d for d in details if d["description"].startswith("k, pivot"))
        assert np.float32(pivot["value"]) == np.float32(want)


def test_log_on_negative_impact_is_refused(es: Engine) -> None:
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError) as err:
        es.search(index="features", query={"rank_feature": {"field": "url_length", "log": {"scaling_factor": 3}}})
    assert "Cannot use the [log] function with a field that has a negative score impact" in str(err.value.body)
