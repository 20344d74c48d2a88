"""Port of Elasticsearch's ``rescorer`` retriever YAML REST tests.

Source: ``rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/search.retrievers/30_rescorer_retriever.yml``
in ``elastic/elasticsearch`` (commit ``75c1b6a90bad791c5069ea25ef40b826288533ea``).

The YAML scores with ``rank_feature`` queries (``linear``: the score is the feature's value) over a
``rank_features`` field, which retrievo does not implement. Each such query is replaced here by a query
with exactly the same scores: a ``bool`` of ``constant_score`` clauses, one per document, boosted by
that document's feature value (each document matches one clause, so its score is the boost). The
documents, windows, sizes, filters and every expected id, score and total are the YAML's.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine
from retrievo.errors import ApiError

#: (_id, first_stage, second_stage, available, group) — the YAML's bulk body.
DOCS = [
    (1, 1, 10, True, 1),
    (2, 2, 9, False, 1),
    (3, 3, 8, False, 3),
    (4, 4, 7, True, 1),
    (5, 5, 6, True, 3),
    (6, 6, 5, False, 2),
    (7, 7, 4, True, 3),
    (8, 8, 3, True, 1),
    (9, 9, 2, True, 2),
    (10, 10, 1, False, 1),
]


def feature(stage: int) -> dict[str, Any]:
    """``rank_feature`` on ``features.first_stage`` (stage 1) or ``features.second_stage`` (2), linear."""
    clauses = [{"constant_score": {"filter": {"ids": {"values": [str(d[0])]}}, "boost": float(d[stage])}} for d in DOCS]
    return {"bool": {"should": clauses}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    es = Engine()
    es.indices.create(
        index="test",
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"available": {"type": "boolean"}}},
    )
    ops: list[dict[str, Any]] = []
    for doc, first, second, available, group in DOCS:
        ops += [
            {"index": {"_index": "test", "_id": str(doc)}},
            {"features": {"first_stage": first, "second_stage": second}, "available": available, "group": group},
        ]
    es.bulk(operations=ops, refresh=True)
    return es


def rescorer(window: int, child: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "rescorer": {
            **extra,
            "rescore": {"window_size": window, "query": {"rescore_query": feature(2), "query_weight": 0}},
            "retriever": {"standard": child or {"query": feature(1)}},
        }
    }


def hits(resp: Any) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


# YAML: "Rescorer retriever basic"
def test_rescorer_retriever_basic(engine: Engine) -> None:
    resp = engine.search(index="test", body={"retriever": rescorer(10), "size": 2})
    assert resp["hits"]["total"]["value"] == 10
    assert hits(resp) == [("1", 10.0), ("2", 9.0)]

    resp = engine.search(index="test", body={"retriever": rescorer(3), "size": 2})
    assert resp["hits"]["total"]["value"] == 10
    assert hits(resp) == [("8", 3.0), ("9", 2.0)]


# YAML: "Rescorer retriever with pre-filters"
def test_rescorer_retriever_with_pre_filters(engine: Engine) -> None:
    available = {"match": {"available": True}}
    resp = engine.search(index="test", body={"retriever": rescorer(10, filter=available), "size": 2})
    assert resp["hits"]["total"]["value"] == 6
    assert hits(resp) == [("1", 10.0), ("4", 7.0)]

    child = {"filter": available, "query": feature(1)}
    resp = engine.search(index="test", body={"retriever": rescorer(4, child), "size": 2})
    assert resp["hits"]["total"]["value"] == 6
    assert hits(resp) == [("5", 6.0), ("7", 4.0)]


# YAML: "Rescorer retriever and collapsing" — the top-level collapse runs over the rescored ranking
def test_rescorer_retriever_and_collapsing(engine: Engine) -> None:
    resp = engine.search(index="test", body={"retriever": rescorer(10), "collapse": {"field": "group"}, "size": 3})
    assert resp["hits"]["total"]["value"] == 10
    assert hits(resp) == [("1", 10.0), ("3", 8.0), ("6", 5.0)]


# YAML: "Rescorer retriever and invalid window size"
def test_rescorer_retriever_invalid_window_size(engine: Engine) -> None:
    with pytest.raises(ApiError) as err:
        engine.search(index="test", body={"retriever": rescorer(5), "size": 10})
    assert err.value.status_code == 400
    assert err.value.body["error"]["type"] == "action_request_validation_exception"
    assert (
        "[rescorer] requires [window_size: 5] be greater than or equal to [size: 10]"
        in (err.value.body["error"]["reason"])
    )
