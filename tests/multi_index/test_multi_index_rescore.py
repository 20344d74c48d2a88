"""``rescore`` over several indices: each index (each shard) rescores its own top ``window_size``, then
the coordinator merges by score — so a document is rescored when it is in its own index's window,
whatever the other indices hold. Expected values are worked out by hand from constant scores.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

#: index → [(id, tag, flag)]; the query scores tag ``a`` 1 and tag ``b`` 2, the rescore query ``flag`` 10.
DOCS = {
    "r1": [("p0", "b", False), ("p1", "a", False), ("p2", "b", True), ("p3", "a", True)],
    "r2": [("q0", "a", True), ("q1", "b", False), ("q2", "a", False)],
}
QUERY = {
    "bool": {
        "should": [
            {"constant_score": {"filter": {"term": {"tag": "a"}}, "boost": 1.0}},
            {"constant_score": {"filter": {"term": {"tag": "b"}}, "boost": 2.0}},
        ]
    }
}
FLAGGED = {"constant_score": {"filter": {"term": {"flag": True}}, "boost": 10.0}}


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    for index, docs in DOCS.items():
        engine.indices.create(
            index=index, mappings={"properties": {"tag": {"type": "keyword"}, "flag": {"type": "boolean"}}}
        )
        for doc_id, tag, flag in docs:
            engine.index(index=index, id=doc_id, document={"tag": tag, "flag": flag})
    engine.indices.refresh(index="r1,r2")
    return engine


def hits(response: Any) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in response["hits"]["hits"]]


def test_each_index_rescores_its_own_window(es: Engine) -> None:
    """r1's first pass: p0 2, p2 2, p1 1, p3 1 — its window of 2 is p0, p2 (p2 flagged: 12). r2's: q1 2,
    q0 1, q2 1 — its window is q1, q0 (q0 flagged: 11). p3 is flagged but outside r1's window. One index
    holding all seven would rescore only p0 and p2."""
    rescore = {"window_size": 2, "query": {"rescore_query": FLAGGED}}
    response = es.search(index="r1,r2", query=QUERY, rescore=rescore)
    assert hits(response) == [
        ("p2", 12.0),
        ("q0", 11.0),
        ("p0", 2.0),
        ("q1", 2.0),
        ("p1", 1.0),
        ("p3", 1.0),
        ("q2", 1.0),
    ]
    assert response["hits"]["max_score"] == 12.0
    assert response["hits"]["total"] == {"value": 7, "relation": "eq"}
    page = es.search(index="r1,r2", query=QUERY, rescore=rescore, size=2)
    assert hits(page) == [("p2", 12.0), ("q0", 11.0)]


def test_rescore_weights_and_score_mode(es: Engine) -> None:
    """``query_weight`` 0.5 and ``rescore_query_weight`` 2 with ``multiply``: a flagged document in the
    window scores 0.5 × first × 2 × 10; an unflagged one in the window, and everything below it, 0.5 × first."""
    rescore = {
        "window_size": 3,
        "query": {
            "rescore_query": FLAGGED,
            "query_weight": 0.5,
            "rescore_query_weight": 2.0,
            "score_mode": "multiply",
        },
    }
    response = es.search(index="r1,r2", query=QUERY, rescore=rescore)
    # r1 window: p0 1, p2 (flagged: 1 × 20 = 20), p1 0.5; below it p3 0.5
    # r2 window: q1 1, q0 (flagged: 0.5 × 20 = 10), q2 0.5
    assert hits(response) == [
        ("p2", 20.0),
        ("q0", 10.0),
        ("p0", 1.0),
        ("q1", 1.0),
        ("p1", 0.5),
        ("p3", 0.5),
        ("q2", 0.5),
    ]
    rescore = {"window_size": 1, "query": {"rescore_query": FLAGGED}}
    response = es.search(index="r1,r2", query=QUERY, rescore=rescore, size=3)
    # window 1: r1 rescores p0 only and r2 q1 only, neither flagged; the ties of 2 go by index order
    assert hits(response) == [("p0", 2.0), ("p2", 2.0), ("q1", 2.0)]


def test_two_rescorers_in_turn_per_index(es: Engine) -> None:
    """A second rescorer (window 1, +100 for tag a) runs on each index's list after the first."""
    second = {"constant_score": {"filter": {"term": {"tag": "a"}}, "boost": 100.0}}
    rescore = [
        {"window_size": 2, "query": {"rescore_query": FLAGGED}},
        {"window_size": 1, "query": {"rescore_query": second}},
    ]
    response = es.search(index="r1,r2", query=QUERY, rescore=rescore, size=3)
    # r1 after the first: p2 12 (tag b: no change in the second's window of 1). r2: q0 11 → tag a: 111
    assert hits(response) == [("q0", 111.0), ("p2", 12.0), ("p0", 2.0)]
