"""Port of Elasticsearch's ``rescorer``-around-``rrf`` YAML REST tests.

Source: ``x-pack/plugin/rank-rrf/src/yamlRestTest/resources/rest-api-spec/test/rrf/900_rrf_with_rescorer.yml``
in ``elastic/elasticsearch``, read at commit ``5b66966bcf5daf358b9e5b2f009d3651025ca9b0``.

The YAML scores with ``rank_feature`` queries (``linear`` function) on a ``rank_features`` field;
the literal request is run too (``test_literal_rank_feature_request``, on one shard). What the cases test — a ``rescorer`` around an
``rrf``, its window checks and its ``filter`` — is kept by a faithful translation: ``rank_feature`` with
``linear`` scores a document with its feature value (integers 1–10, exact in the field's 9-bit
mantissa encoding) and matches only documents that have it, which is exactly a ``bool.should`` of one
``constant_score {term: {n: doc}}`` per document with ``boost`` = the value. Every expectation below is
the YAML's own. The YAML's index has 3 shards; retrievo keeps one, which changes nothing here (constant
scores carry no shard statistics and no two fused scores tie).
"""

from __future__ import annotations

from typing import Any

import pytest

from es_yaml import assert_catch_regex, at, ids, scores, total
from retrievo import Engine
from retrievo.errors import ApiError

pytestmark = pytest.mark.requires("rrf")

#: Per ``_id`` (1–10): (first_query, second_query, final_score, available), as the YAML indexes them.
FEATURES: dict[int, tuple[int, int, int, bool]] = {
    1: (1, 3, 7, True),
    2: (5, 7, 4, False),
    3: (6, 5, 3, False),
    4: (3, 2, 2, True),
    5: (2, 1, 1, True),
    6: (4, 4, 8, False),
    7: (7, 10, 9, True),
    8: (8, 8, 10, True),
    9: (9, 9, 5, True),
    10: (10, 6, 6, False),
}
FIRST, SECOND, FINAL = 0, 1, 2
AVAILABLE = {"match": {"available": True}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    """The YAML's documents with each ``rank_features`` value made a per-document constant score."""
    e = Engine()
    e.indices.create(
        index="test", mappings={"properties": {"available": {"type": "boolean"}, "n": {"type": "integer"}}}
    )
    ops: list[dict[str, Any]] = []
    for doc, (_, _, _, available) in FEATURES.items():
        ops += [{"index": {"_id": doc}}, {"n": doc, "available": available}]
    e.bulk(index="test", refresh=True, operations=ops)
    return e


def feature(which: int) -> dict[str, Any]:
    """``rank_feature {field: features.<which>, linear: {}}``, translated (see the module docstring)."""
    clauses = [
        {"constant_score": {"filter": {"term": {"n": doc}}, "boost": values[which]}} for doc, values in FEATURES.items()
    ]
    return {"bool": {"should": clauses}}


def body(
    window_size: int,
    rank_window_size: int,
    size: int,
    *,
    rescorer_filter: bool = False,
    child_filter: bool = False,
) -> dict[str, Any]:
    second: dict[str, Any] = {"query": feature(SECOND)}
    if child_filter:
        second["filter"] = AVAILABLE
    rescorer: dict[str, Any] = {
        "rescore": {"window_size": window_size, "query": {"rescore_query": feature(FINAL), "query_weight": 0}},
        "retriever": {
            "rrf": {
                "rank_window_size": rank_window_size,
                "retrievers": [{"standard": {"query": feature(FIRST)}}, {"standard": second}],
            }
        },
    }
    if rescorer_filter:
        rescorer["filter"] = AVAILABLE
    return {"retriever": {"rescorer": rescorer}, "size": size}


def test_translation_scores_like_rank_feature_linear(engine):
    resp = engine.search(index="test", body={"query": feature(FINAL), "size": 3})
    assert total(resp) == 10
    assert list(zip(ids(resp), scores(resp))) == [("8", 10.0), ("7", 9.0), ("6", 8.0)]


# YAML: "RRF with rescorer retriever basic"
def test_rescorer_over_rrf_basic(engine):
    resp = engine.search(index="test", body=body(10, 10, 3))
    assert total(resp) == 10
    assert len(resp["hits"]["hits"]) == 3
    assert list(zip(ids(resp), scores(resp))) == [("8", 10.0), ("7", 9.0), ("6", 8.0)]

    # window 5: rrf's top 5 are 9, 7, 10, 8, 2; rescored by final_score → 8, 7, 10
    resp = engine.search(index="test", body=body(5, 5, 3))
    assert total(resp) == 10
    assert len(resp["hits"]["hits"]) == 3
    assert list(zip(ids(resp), scores(resp))) == [("8", 10.0), ("7", 9.0), ("10", 6.0)]


# YAML: "RRF with rescorer retriever and prefilters"
def test_rescorer_over_rrf_with_prefilters(engine):
    resp = engine.search(index="test", body=body(5, 5, 3, rescorer_filter=True))
    assert total(resp) == 6
    assert len(resp["hits"]["hits"]) == 3
    assert list(zip(ids(resp), scores(resp))) == [("8", 10.0), ("7", 9.0), ("1", 7.0)]

    resp = engine.search(index="test", body=body(5, 5, 3, rescorer_filter=True, child_filter=True))
    assert total(resp) == 6
    assert len(resp["hits"]["hits"]) == 3
    assert list(zip(ids(resp), scores(resp))) == [("8", 10.0), ("7", 9.0), ("1", 7.0)]


# YAML: "RRF with rescorer retriever and aggs" — its hits, without the terms aggregation
def test_rescorer_over_rrf_with_filtered_child_hits(engine):
    resp = engine.search(index="test", body=body(5, 5, 3, child_filter=True))
    assert total(resp) == 10
    assert len(resp["hits"]["hits"]) == 3
    assert list(zip(ids(resp), scores(resp))) == [("8", 10.0), ("7", 9.0), ("1", 7.0)]


def test_rescorer_over_rrf_with_aggs(engine):
    resp = engine.search(
        index="test", body={**body(5, 5, 3, child_filter=True), "aggs": {"1": {"terms": {"field": "available"}}}}
    )
    assert len(at(resp, "aggregations.1.buckets")) == 2
    assert at(resp, "aggregations.1.buckets.0.key") == 1
    assert at(resp, "aggregations.1.buckets.0.doc_count") == 6
    assert at(resp, "aggregations.1.buckets.1.key") == 0
    assert at(resp, "aggregations.1.buckets.1.doc_count") == 4


# YAML: "RRF with rescorer retriever and invalid window size"
def test_rescorer_over_rrf_invalid_window_size(engine):
    with pytest.raises(ApiError) as err:
        engine.search(index="test", body=body(5, 5, 10))
    assert_catch_regex(err.value, r"\[rescorer\] requires \[window_size: 5\] be greater than or equal to \[size: 10\]")

    with pytest.raises(ApiError) as err:
        engine.search(index="test", body=body(10, 5, 5))
    assert_catch_regex(
        err.value,
        r"\[rescorer\] requires \[window_size: 10\] to be smaller than or equal to its sub retriever's rrf "
        r"\[rank_window_size: 5\]",
    )


# The literal YAML request: rank_feature queries on a rank_features field
def test_literal_rank_feature_request():
    e = Engine()
    e.indices.create(
        index="test",
        mappings={"properties": {"available": {"type": "boolean"}, "features": {"type": "rank_features"}}},
    )
    ops: list[dict[str, Any]] = []
    for doc, (first, second, final, available) in FEATURES.items():
        features = {"first_query": first, "second_query": second, "final_score": final}
        ops += [{"index": {"_id": doc}}, {"features": features, "available": available}]
    e.bulk(index="test", refresh=True, operations=ops)

    def rank_feature(name: str) -> dict[str, Any]:
        return {"rank_feature": {"field": f"features.{name}", "linear": {}}}

    request = {
        "retriever": {
            "rescorer": {
                "rescore": {
                    "window_size": 10,
                    "query": {"rescore_query": rank_feature("final_score"), "query_weight": 0},
                },
                "retriever": {
                    "rrf": {
                        "rank_window_size": 10,
                        "retrievers": [
                            {"standard": {"query": rank_feature("first_query")}},
                            {"standard": {"query": rank_feature("second_query")}},
                        ],
                    }
                },
            }
        },
        "size": 3,
    }
    resp = e.search(index="test", body=request)
    assert list(zip(ids(resp), scores(resp))) == [("8", 10.0), ("7", 9.0), ("6", 8.0)]
